"""The article's fixtures: complete, valid, faithful to the article's text, and idempotent."""

import json
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management import call_command

from cooperation.article import ARTICLE_FIXTURES, load_article, record_count
from cooperation.markup import linkable_models, plain_text, record_links
from cooperation.models import RECORD_MODELS, Section, SectionKind, Source, SourceKind

pytestmark = pytest.mark.django_db

# The source article as published, kept beside the tests as the reference the fixtures must match.
ARTICLE_FILE = Path(__file__).parent / "data" / "us-mexico-military-alliances.txt"
FIXTURE_FILES = [Path(settings.BASE_DIR / "fixtures" / f"{name}.json") for name in ARTICLE_FIXTURES]
ALL_MODELS = [Source, *RECORD_MODELS]
NOT_IN_ARTICLE = "Not in the source article"


def article_lines():
    """The article's non-empty lines, without its trailing "More in ..." line."""
    lines = [line.strip() for line in ARTICLE_FILE.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    assert lines[-1].startswith("More in MexicoHistorico.com")
    return lines[:-1]


def is_heading(line):
    return not line.startswith("•") and not line.endswith((".", ":", "?", "!", '"'))


def snapshot():
    """Every row of every record table, primary keys and relations included."""
    return {
        model.__name__: serializers.serialize("json", model.objects.order_by("pk"))
        for model in ALL_MODELS
    }


def test_fixture_files_use_natural_keys_and_no_primary_keys():
    for path in FIXTURE_FILES:
        objects = json.loads(path.read_text(encoding="utf-8"))
        assert objects, path
        for index, obj in enumerate(objects):
            assert "pk" not in obj, f"{path.name}[{index}]"
            model = apps.get_model(obj["model"])
            for field in model._meta.get_fields():
                value = obj["fields"].get(field.name)
                if field.many_to_many and value:
                    assert all(isinstance(key, list) for key in value), (path.name, field.name)
                elif field.many_to_one and value is not None:
                    assert isinstance(value, list), (path.name, index, field.name)


def test_every_loaded_object_passes_full_clean(article):
    assert record_count() > 0
    for model in ALL_MODELS:
        for obj in model.objects.all():
            obj.full_clean()


def test_loading_twice_changes_nothing(article):
    first = snapshot()
    load_article()
    assert snapshot() == first


def test_load_article_command_leaves_a_database_with_records_alone(article, capsys):
    section = Section.objects.get(kind=SectionKind.INTRODUCTION)
    section.title = "Edited by an editor"
    section.save()
    call_command("load_article")
    assert "not reloaded" in capsys.readouterr().out
    section.refresh_from_db()
    assert section.title == "Edited by an editor"


def test_load_article_command_fills_an_empty_database(capsys):
    call_command("load_article")
    assert "Loaded the article" in capsys.readouterr().out
    # The introduction, three parts, and three sections and a closing passage in each part.
    assert Section.objects.count() == 1 + 3 + 3 * 4


def test_every_heading_of_the_article_is_a_section(article):
    headings = [line for line in article_lines()[1:] if is_heading(line)]
    titles = list(Section.objects.filter(heading_in_article=True).values_list("title", flat=True))
    assert titles == headings


def test_the_article_is_an_introduction_three_parts_and_their_sections(article):
    top = Section.objects.filter(parent=None)
    assert [s.kind for s in top] == ["introduction", "part", "part", "part"]
    for part in top[1:]:
        assert [s.kind for s in part.children.all()] == ["section"] * 3 + ["closing"]


def test_sections_reproduce_the_article_text_exactly(article):
    """Reading the sections in order, headings where the article prints them and the links
    turned back into words, gives the article line for line."""
    rebuilt = [article_lines()[0]]
    for section in Section.objects.all():
        if section.heading_in_article:
            rebuilt.append(section.title)
        for line in plain_text(section.body).splitlines():
            line = line.strip()
            if line:
                rebuilt.append("• " + line[2:] if line.startswith("- ") else line)
    assert rebuilt == article_lines()


def test_inline_links_point_at_records_the_section_links(article):
    models = linkable_models()  # the records, and sources cited inline
    for model in RECORD_MODELS:
        for record in model.objects.all():
            for link in record_links(record.body):
                assert link.type in models, (record.slug, link)
                target = models[link.type].objects.filter(slug=link.slug).first()
                assert target is not None, f"{record.slug} links to missing {link}"
                if model is Section and link.type not in ("section", "source"):
                    linked = getattr(record, f"{link.type}s" if link.type != "party" else "parties")
                    assert linked.filter(pk=target.pk).exists(), f"{record.slug}: {link}"


def test_every_section_discusses_linked_records(article):
    for section in Section.objects.filter(kind=SectionKind.SECTION):
        linked = sum(
            getattr(section, name).count()
            for name in ("eras", "agreements", "initiatives", "threats", "events", "parties")
        )
        assert linked, section.slug


def test_records_from_the_article_cite_it_and_added_records_say_so(article):
    source_article = Source.objects.get(kind=SourceKind.SOURCE_ARTICLE)
    for model in RECORD_MODELS:
        for record in model.objects.all():
            cites_article = record.sources.filter(pk=source_article.pk).exists()
            added = NOT_IN_ARTICLE in record.editorial_note
            assert cites_article != added, f"{model.__name__} {record.slug}"


def test_records_with_an_editorial_note_cite_a_public_source(article):
    for model in RECORD_MODELS:
        for record in model.objects.exclude(editorial_note=""):
            public = record.sources.exclude(kind=SourceKind.SOURCE_ARTICLE)
            assert public.exists(), f"{model.__name__} {record.slug}"


@pytest.mark.parametrize("model", RECORD_MODELS, ids=lambda model: model.__name__)
def test_every_record_page_renders(article, client, model):
    for record in model.objects.all():
        response = client.get(record.get_absolute_url())
        assert response.status_code == 200, record.slug
