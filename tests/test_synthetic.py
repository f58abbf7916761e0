"""The synthetic data generator: proportions, valid records, reproducible output, and a site
that still works around them."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from cooperation.article import record_count
from cooperation.caching import current_version
from cooperation.markup import record_links
from cooperation.models import (
    PUBLIC_MODELS,
    Agreement,
    Era,
    Event,
    Initiative,
    Party,
    Section,
    SectionKind,
    Source,
    State,
    Threat,
)
from cooperation.synthetic import PREFIX, Generator, Sizes, generate

pytestmark = pytest.mark.django_db


def synthetic(model):
    return model.objects.filter(slug__startswith=PREFIX)


def canonical_dump():
    """Every synthetic record's fields, with references as slugs and relations as sorted
    slug lists: equal dumps mean equal data, whatever ids the database gave out."""
    dump = {}
    for model in PUBLIC_MODELS:
        names = [
            f"{field.name}__slug" if field.is_relation else field.name
            for field in model._meta.concrete_fields
            if not field.primary_key
        ]
        records = synthetic(model)
        rows = {row["slug"]: row for row in records.values(*names)}
        for relation in model._meta.many_to_many:
            links = records.filter(**{f"{relation.name}__isnull": False})
            for slug, target in links.values_list("slug", f"{relation.name}__slug"):
                rows[slug].setdefault(relation.name, []).append(target)
        for row in rows.values():
            for relation in model._meta.many_to_many:
                row[relation.name] = sorted(row.get(relation.name, []))
        dump[model._meta.model_name] = rows
    return dump


def dump_of_run(agreements, seed):
    """The dump of one run, rolled back afterwards so that the next run starts afresh."""
    with transaction.atomic():
        generate(agreements, seed=seed)
        dump = canonical_dump()
        transaction.set_rollback(True)
    return dump


def counts_per_record(model, relation):
    records = synthetic(model)
    counts = Counter(records.filter(**{f"{relation}__isnull": False}).values_list("pk", flat=True))
    return [counts[pk] for pk in records.values_list("pk", flat=True)]


def test_sizes_follow_the_number_of_agreements():
    assert Sizes.for_agreements(100_000) == Sizes(
        agreements=100_000,
        initiatives=200_000,
        eras=50,
        parties=1000,
        threats=100,
        events=10_000,
        sources=5000,
        sections=500,
    )
    assert Sizes.for_agreements(10) == Sizes(
        agreements=10,
        initiatives=20,
        eras=6,
        parties=20,
        threats=10,
        events=1,
        sources=20,
        sections=3,
    )


def test_an_empty_database_gets_records_in_the_expected_proportions():
    generate(200, seed=3, batch_size=64)

    expected = {
        Agreement: 200,
        Initiative: 400,
        Era: 6,
        Party: 20,
        Threat: 10,
        Event: 20,
        Source: 20,
        Section: 3,
    }
    assert {model: synthetic(model).count() for model in expected} == expected
    assert all(2 <= n <= 4 for n in counts_per_record(Agreement, "parties"))
    assert all(1 <= n <= 3 for n in counts_per_record(Agreement, "threats"))
    assert all(1 <= n <= 2 for n in counts_per_record(Agreement, "sources"))
    assert all(1 <= n <= 4 for n in counts_per_record(Initiative, "participants"))
    assert all(1 <= n <= 3 for n in counts_per_record(Initiative, "threats"))
    assert 0.7 < synthetic(Initiative).filter(agreement__isnull=False).count() / 400 < 0.95


def test_agreements_fit_their_era_and_supersede_only_earlier_ones():
    generate(200, seed=3)

    agreements = synthetic(Agreement).select_related("era", "supersedes")
    for agreement in agreements:
        assert agreement.era is not None
        if agreement.signed_date:
            year = agreement.signed_date.year
            assert agreement.era.start_year <= year <= (agreement.era.end_year or year)
    superseding = [a for a in agreements if a.supersedes]
    assert 2 <= len(superseding) <= 25
    for agreement in superseding:
        earlier = agreement.supersedes
        assert earlier.pk < agreement.pk
        if earlier.signed_date and agreement.signed_date:
            assert earlier.signed_date.year <= agreement.signed_date.year
    # The choices are skewed, not uniform: one kind clearly leads.
    kinds = Counter(agreements.values_list("kind", flat=True)).most_common()
    assert kinds[0][1] > 2 * kinds[-1][1]
    precisions = Counter(agreements.values_list("signed_precision", flat=True))
    assert set(precisions) == {"day", "month", "year", ""}


def test_most_records_are_published_and_the_rest_are_spread_over_other_states():
    generate(200, seed=3)

    states = Counter()
    for model in PUBLIC_MODELS:
        states.update(synthetic(model).values_list("state", flat=True))
    assert 0.85 < states[State.PUBLISHED] / states.total() < 0.95
    assert {State.DRAFT, State.IN_REVIEW, State.WITHDRAWN} <= set(states)


def test_sections_are_parts_with_sections_that_discuss_records():
    generate(400, seed=3)

    parts = synthetic(Section).filter(kind=SectionKind.PART)
    children = synthetic(Section).exclude(kind=SectionKind.PART)
    assert parts.exists()
    assert children.filter(parent__in=parts).count() == children.count()
    for child in children:
        assert 5 <= child.agreements.count() <= 20
        assert child.initiatives.exists()


def test_every_synthetic_record_passes_full_clean():
    generate(60, seed=5)

    for model in PUBLIC_MODELS:
        for record in synthetic(model):
            record.full_clean()


def test_inline_links_point_at_synthetic_agreements():
    generate(200, seed=3)

    slugs = set(synthetic(Agreement).values_list("slug", flat=True))
    links = [
        link
        for model in (Agreement, Initiative, Event, Section)
        for body in synthetic(model).values_list("body", flat=True)
        for link in record_links(body)
    ]
    assert len(links) > 20
    assert all(link.type == "agreement" and link.slug in slugs for link in links)


def test_the_same_seed_gives_the_same_records_and_another_seed_others():
    first = dump_of_run(80, seed=7)
    assert dump_of_run(80, seed=7) == first
    assert dump_of_run(80, seed=8) != first


def test_a_second_run_is_refused():
    call_command("generate_synthetic", agreements=20, verbosity=0)
    before = synthetic(Agreement).count()

    with pytest.raises(CommandError, match="already holds synthetic records"):
        call_command("generate_synthetic", agreements=20, seed=2, verbosity=0)
    assert synthetic(Agreement).count() == before


def test_an_error_leaves_nothing_behind(monkeypatch):
    def fail(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Generator, "create_events", fail)
    with pytest.raises(RuntimeError):
        generate(50)
    assert not any(synthetic(model).exists() for model in PUBLIC_MODELS)


def test_the_article_is_kept_and_the_pages_still_render(article, client):
    article_records = record_count()
    article_sections = set(Section.objects.values_list("slug", "position"))
    version = current_version()

    out = StringIO()
    call_command("generate_synthetic", agreements=100, seed=4, stdout=out)

    assert record_count() - article_records == sum(
        synthetic(model).count() for model in PUBLIC_MODELS
    )
    assert article_sections <= set(Section.objects.values_list("slug", "position"))
    # bulk_create sends no signals: the cached pages are invalidated explicitly.
    assert current_version() != version
    report = out.getvalue()
    assert "agreements: 100 records" in report
    assert "peak memory" in report

    agreement = synthetic(Agreement).published().filter(body__contains="[[agreement:").first()
    section = synthetic(Section).published().exclude(kind=SectionKind.PART).first()
    for url in ("/", "/agreements/", agreement.get_absolute_url(), section.get_absolute_url()):
        assert client.get(url).status_code == 200, url
    page = client.get(agreement.get_absolute_url()).content.decode()
    assert agreement.title in page
