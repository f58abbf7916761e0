"""Imports: every bad file is refused with the place of each problem and nothing written; a
good one is reported object by object, recorded in history once, and exported back unchanged."""

import copy
import json
from io import StringIO

import pytest
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cooperation import imports
from cooperation.article import ARTICLE_FIXTURES, load_article, record_count
from cooperation.imports import MODELS_BY_LABEL, export_records, import_files
from cooperation.models import PUBLIC_MODELS, Agreement, Era, Party, Source, State, Threat

pytestmark = pytest.mark.django_db

FIXTURES = settings.BASE_DIR / "fixtures"
DEPENDENCIES = ("sources", "parties", "eras", "threats")
AGREEMENTS = json.loads((FIXTURES / "agreements.json").read_text(encoding="utf-8"))
DROP = object()


def snapshot():
    """Every row of every imported model, relations included, and the size of its history."""
    return {
        model.__name__: (
            serializers.serialize("json", model.objects.order_by("pk")),
            model.history.count(),
        )
        for model in PUBLIC_MODELS
    }


def fixture_bytes(*names):
    return {f"{name}.json": (FIXTURES / f"{name}.json").read_bytes() for name in names}


def as_file(objects):
    return json.dumps(objects, ensure_ascii=False, indent=2).encode("utf-8")


def new_agreement(slug="test-agreement", **changes):
    fields = {
        "title": "Test agreement",
        "slug": slug,
        "kind": "treaty",
        "scope": "bilateral",
        "status": "in_force",
        "era": ["cold-war"],
        "parties": [["mexico"], ["united-states"]],
        "signed_date": "1942-08-04",
        "signed_precision": "day",
        "state": "published",
    } | changes
    return {
        "model": "cooperation.agreement",
        "fields": {name: value for name, value in fields.items() if value is not DROP},
    }


def problems_text(report):
    return [str(problem) for problem in report.problems]


def assert_refused(report, before, *, file, index, slug, field, says):
    assert not report.ok
    assert not report.written
    places = [
        problem
        for problem in report.problems
        if (problem.file, problem.index, problem.slug, problem.field) == (file, index, slug, field)
    ]
    assert places, problems_text(report)
    problem = places[0]
    for words in says:
        assert words in problem.message, str(problem)
    text = str(problem)
    assert text.startswith(file)
    if index is not None:
        assert f"object {index}" in text
    if slug:
        assert f"({slug})" in text
    if field:
        assert f"“{field}”" in text
    assert snapshot() == before


@pytest.fixture
def loaded(article):
    """The article's records, and a snapshot of them to compare with."""
    return snapshot()


@pytest.fixture
def dependencies():
    report = import_files(fixture_bytes(*DEPENDENCIES))
    assert report.ok, problems_text(report)


#: A section of the article's second part, but for its slug, position and part.
SECTION = {
    "title": "A section",
    "kind": "section",
    "body": "Text.",
    "state": "published",
}

BAD_FILES = [
    pytest.param(
        {"bad.json": b'[\n  {"model": "cooperation.agreement",,}\n]'},
        {"file": "bad.json", "index": None, "slug": "", "field": ""},
        ["not valid JSON", "line 2, column 37"],
        id="malformed-json",
    ),
    pytest.param(
        {"bad.json": b'{"a": 1}'},
        {"file": "bad.json", "index": None, "slug": "", "field": ""},
        ["should hold a JSON list of records"],
        id="not-a-list",
    ),
    pytest.param(
        {"bad.json": as_file([new_agreement(), "an agreement"])},
        {"file": "bad.json", "index": 1, "slug": "", "field": ""},
        ['an object with "model" and "fields"'],
        id="list-with-a-non-object",
    ),
    pytest.param(
        {"bad.json": as_file([{**new_agreement(), "model": "cooperation.spaceship"}])},
        {"file": "bad.json", "index": 0, "slug": "test-agreement", "field": "model"},
        ["Unknown model “cooperation.spaceship”", "cooperation.agreement"],
        id="unknown-model",
    ),
    pytest.param(
        {"bad.json": as_file([new_agreement(colour="red")])},
        {"file": "bad.json", "index": 0, "slug": "test-agreement", "field": "colour"},
        ["Agreement has no field “colour”"],
        id="unknown-field",
    ),
    pytest.param(
        {
            "bad.json": as_file(
                [
                    new_agreement(
                        sources=[["wikipedia-201st-fighter-squadron"]],
                        citations=[
                            {
                                "source": "oas-press-release-september-2001",
                                "locator": "paragraph 2",
                                "supports": "Fox's announcement",
                            }
                        ],
                    )
                ]
            )
        },
        {"file": "bad.json", "index": 0, "slug": "test-agreement", "field": "citations"},
        ["oas-press-release-september-2001", "not among the record's sources"],
        id="citation-of-a-source-the-record-does-not-cite",
    ),
    pytest.param(
        {
            "bad.json": as_file(
                [
                    new_agreement(
                        sources=[["wikipedia-201st-fighter-squadron"]],
                        citations=[
                            {"source": "wikipedia-201st-fighter-squadron", "locator": "lead"}
                        ],
                    )
                ]
            )
        },
        {"file": "bad.json", "index": 0, "slug": "test-agreement", "field": "citations"},
        ['Citation 1: give "source", "locator" and "supports"'],
        id="citation-without-what-it-supports",
    ),
    pytest.param(
        {"bad.json": as_file([new_agreement(citations={"source": "x"})])},
        {"file": "bad.json", "index": 0, "slug": "test-agreement", "field": "citations"},
        ["Citations are a list of objects."],
        id="citations-not-a-list",
    ),
    pytest.param(
        {"bad.json": as_file([new_agreement(title=DROP)])},
        {"file": "bad.json", "index": 0, "slug": "test-agreement", "field": "title"},
        ["cannot be blank"],
        id="missing-title",
    ),
    pytest.param(
        {"bad.json": as_file([new_agreement(kind=DROP)])},
        {"file": "bad.json", "index": 0, "slug": "test-agreement", "field": "kind"},
        ["cannot be blank"],
        id="missing-kind",
    ),
    pytest.param(
        {"bad.json": as_file([new_agreement(kind="spaceship")])},
        {"file": "bad.json", "index": 0, "slug": "test-agreement", "field": "kind"},
        ["spaceship", "not a valid choice"],
        id="bad-choice",
    ),
    pytest.param(
        {"bad.json": as_file([new_agreement(signed_date="1942-02-30")])},
        {"file": "bad.json", "index": 0, "slug": "test-agreement", "field": "signed_date"},
        ["1942-02-30", "invalid date"],
        id="impossible-date",
    ),
    pytest.param(
        {"bad.json": as_file([new_agreement(signed_precision="year")])},
        {"file": "bad.json", "index": 0, "slug": "test-agreement", "field": "signed_date"},
        ["known only to the year", "1 January"],
        id="date-finer-than-its-precision",
    ),
    pytest.param(
        {"bad.json": as_file([new_agreement(era=["no-such-era"])])},
        {"file": "bad.json", "index": 0, "slug": "test-agreement", "field": "era"},
        ["“no-such-era”", "neither in the database nor in the files"],
        id="unknown-reference",
    ),
    pytest.param(
        {"bad.json": as_file([new_agreement(), new_agreement(title="Another")])},
        {"file": "bad.json", "index": 1, "slug": "test-agreement", "field": "slug"},
        ["used twice", "bad.json, object 0"],
        id="same-slug-twice-in-a-file",
    ),
    pytest.param(
        {"first.json": as_file([new_agreement()]), "second.json": as_file([new_agreement()])},
        {"file": "second.json", "index": 0, "slug": "test-agreement", "field": "slug"},
        ["used twice", "first.json, object 0"],
        id="same-slug-in-two-files",
    ),
    pytest.param(
        {
            "bad.json": as_file(
                [
                    {
                        "model": "cooperation.agreement",
                        "fields": {
                            "slug": "merida-initiative",
                            "supersedes": ["bicentennial-framework"],
                        },
                    }
                ]
            )
        },
        {"file": "bad.json", "index": 0, "slug": "merida-initiative", "field": "supersedes"},
        ["cycle", "superseding itself"],
        id="supersedes-cycle-through-a-saved-agreement",
    ),
    pytest.param(
        {"bad.json": b""},
        {"file": "bad.json", "index": None, "slug": "", "field": ""},
        ["The file is empty"],
        id="empty-file",
    ),
    pytest.param(
        {"bad.json": b"[]"},
        {"file": "bad.json", "index": None, "slug": "", "field": ""},
        ["empty list", "nothing to import"],
        id="empty-list",
    ),
    pytest.param(
        {
            "bad.json": as_file([new_agreement(title="Iniciativa Mérida")]).replace(
                "Mérida".encode(), "Mérida".encode("latin-1")
            )
        },
        {"file": "bad.json", "index": None, "slug": "", "field": ""},
        ["not UTF-8", "line 5"],
        id="latin-1-text",
    ),
    pytest.param(
        {"bad.json": as_file([{**new_agreement(), "pk": 1}])},
        {"file": "bad.json", "index": 0, "slug": "test-agreement", "field": "pk"},
        ["remove the “pk” key"],
        id="primary-key",
    ),
    pytest.param(
        {"bad.json": b"[" * 100_000 + b"]" * 100_000},
        {"file": "bad.json", "index": None, "slug": "", "field": ""},
        ["nests lists or objects far more deeply"],
        id="nested-100000-deep",
    ),
    pytest.param(
        {
            "bad.json": b'[{"model": "cooperation.era", "fields": {"start_year": '
            + b"9" * 5000
            + b"}}]"
        },
        {"file": "bad.json", "index": None, "slug": "", "field": ""},
        ["a number of 5000 digits"],
        id="five-thousand-digit-number",
    ),
    pytest.param(
        {"bad.json": b'[{"model": "cooperation.agreement", "fields": {"slug": "a", "slug": "b"}}]'},
        {"file": "bad.json", "index": None, "slug": "", "field": ""},
        ["The key “slug” appears twice"],
        id="duplicate-key",
    ),
    pytest.param(
        {"bad.json": b'[{"model": "cooperation.agreement", "fields": {"year": NaN}}]'},
        {"file": "bad.json", "index": None, "slug": "", "field": ""},
        ["NaN is not a JSON value"],
        id="not-a-number",
    ),
    pytest.param(
        {"bad.json": as_file([new_agreement(summary="A summary\u0000 with a NUL.")])},
        {"file": "bad.json", "index": 0, "slug": "test-agreement", "field": "summary"},
        ["NUL character"],
        id="nul-character",
    ),
    pytest.param(
        {"bad.json": as_file([new_agreement(body="word " * 20_001)])},
        {"file": "bad.json", "index": 0, "slug": "test-agreement", "field": "body"},
        ["at most 100000 characters"],
        id="body-longer-than-the-admin-takes",
    ),
    pytest.param(
        {
            "bad.json": as_file(
                [
                    {
                        "model": "cooperation.section",
                        "fields": {**SECTION, "slug": "first", "position": 1, "parent": ["second"]},
                    },
                    {
                        "model": "cooperation.section",
                        "fields": {**SECTION, "slug": "second", "position": 2, "parent": ["first"]},
                    },
                ]
            )
        },
        {"file": "bad.json", "index": 0, "slug": "first", "field": "parent"},
        ["in a circle", "first → second → first"],
        id="sections-each-others-part",
    ),
]


def test_the_agreement_the_bad_files_start_from_imports(loaded):
    report = import_files({"good.json": as_file([new_agreement()])})
    assert report.ok, problems_text(report)
    assert report.written
    assert Agreement.objects.get(slug="test-agreement").parties.count() == 2


@pytest.mark.parametrize(("files", "place", "says"), BAD_FILES)
def test_a_bad_file_is_refused_with_the_place_of_the_problem_and_nothing_written(
    loaded, files, place, says
):
    report = import_files(files)
    assert_refused(report, loaded, **place, says=says)


def test_a_file_over_the_size_limit_is_refused(loaded, monkeypatch):
    monkeypatch.setattr(imports, "MAX_FILE_BYTES", 100)
    report = import_files({"big.json": as_file([new_agreement()])})
    assert_refused(
        report,
        loaded,
        file="big.json",
        index=None,
        slug="",
        field="",
        says=["the limit is 100", "Split it into smaller files"],
    )


def test_one_bad_object_among_good_ones_writes_none_of_them(loaded):
    good = [new_agreement(f"good-agreement-{n}") for n in range(5)]
    bad = new_agreement("bad-agreement", era=["no-such-era"])
    report = import_files({"mixed.json": as_file([*good[:3], bad, *good[3:]])})
    assert_refused(
        report,
        loaded,
        file="mixed.json",
        index=3,
        slug="bad-agreement",
        field="era",
        says=["no-such-era"],
    )
    assert not Agreement.objects.filter(slug__startswith="good-agreement").exists()


def test_agreements_superseding_each_other_are_refused_at_their_place(loaded):
    first = new_agreement("first-agreement", supersedes=["second-agreement"])
    second = new_agreement("second-agreement", supersedes=["first-agreement"])
    report = import_files({"bad.json": as_file([first, second])})
    assert not report.ok
    assert not report.written
    cycles = [problem for problem in report.problems if problem.field == "supersedes"]
    assert cycles, problems_text(report)
    for problem in cycles:
        assert (problem.file, problem.index, problem.slug) in {
            ("bad.json", 0, "first-agreement"),
            ("bad.json", 1, "second-agreement"),
        }, str(problem)
        assert str(problem).startswith("bad.json, object ")
    assert snapshot() == loaded


@pytest.mark.parametrize(
    ("parent", "position", "says"),
    [
        pytest.param(
            "historical-context", 1, "Another section of this part has this position.", id="part"
        ),
        pytest.param(None, 1, "Another top-level section has this position.", id="top-level"),
    ],
)
def test_a_section_at_a_taken_position_is_refused_with_the_rule_it_breaks(
    loaded, parent, position, says
):
    section = {
        "model": "cooperation.section",
        "fields": {
            "title": "A new section",
            "slug": "a-new-section",
            "kind": "section" if parent else "part",
            "parent": [parent] if parent else None,
            "position": position,
            "state": "published",
        },
    }
    report = import_files({"sections.json": as_file([section])})
    assert_refused(
        report, loaded, file="sections.json", index=0, slug="a-new-section", field="", says=[says]
    )


def era(**changes):
    fields = {"title": "An era", "slug": "an-era", "start_year": 1990, "state": "published"}
    return {"model": "cooperation.era", "fields": fields | changes}


@pytest.mark.parametrize(
    ("data", "slug", "field"),
    [
        pytest.param(
            as_file([new_agreement(signed_date=1942)]),
            "test-agreement",
            "signed_date",
            id="date-as-a-number",
        ),
        pytest.param(
            as_file([new_agreement(in_force_date=["1942-08-04"])]),
            "test-agreement",
            "in_force_date",
            id="date-as-a-list",
        ),
        pytest.param(
            as_file([new_agreement(created_at={"year": 1942})]),
            "test-agreement",
            "created_at",
            id="time-as-an-object",
        ),
        pytest.param(
            as_file([era(start_year="YEAR")]).replace(b'"YEAR"', b"1e400"),
            "an-era",
            "start_year",
            id="year-too-large-for-a-number",
        ),
        pytest.param(
            json.dumps([era(title="\ud800")]).encode(),
            "an-era",
            "title",
            id="half-of-a-unicode-pair",
        ),
    ],
)
def test_a_value_a_field_cannot_hold_is_reported_not_raised(loaded, data, slug, field):
    report = import_files({"bad.json": data})
    assert not report.ok
    assert not report.written
    assert [
        problem
        for problem in report.problems
        if (problem.file, problem.index, problem.slug) == ("bad.json", 0, slug)
        and problem.field in (field, "")
        and problem.message.strip()
    ], problems_text(report)
    assert snapshot() == loaded


def test_an_unreadable_time_of_last_change_is_reported_not_raised(loaded):
    report = import_files({"bad.json": as_file([new_agreement(updated_at="yesterday")])})
    assert_refused(
        report,
        loaded,
        file="bad.json",
        index=0,
        slug="test-agreement",
        field="updated_at",
        says=["yesterday"],
    )


def test_an_empty_time_of_last_change_means_now(loaded):
    before = timezone.now()
    report = import_files({"new.json": as_file([new_agreement(updated_at=None)])})

    assert report.ok, problems_text(report)
    assert report.written
    assert Agreement.objects.get(slug="test-agreement").updated_at >= before


# --- The command -----------------------------------------------------------------------------


def test_the_command_refuses_a_bad_file_and_writes_a_report_with_each_place(loaded, tmp_path):
    path = tmp_path / "agreements.json"
    path.write_bytes(as_file([new_agreement(), new_agreement("other", kind="spaceship")]))
    report_path = tmp_path / "report.json"
    stderr = StringIO()
    with pytest.raises(CommandError, match="1 problem") as error:
        call_command(
            "import_records",
            str(path),
            "--report",
            str(report_path),
            stdout=StringIO(),
            stderr=stderr,
        )
    assert error.value.returncode != 0
    written = json.loads(report_path.read_text(encoding="utf-8"))
    assert (written["ok"], written["written"]) == (False, False)
    [problem] = written["problems"]
    assert {key: problem[key] for key in ("file", "index", "slug", "field")} == {
        "file": str(path),
        "index": 1,
        "slug": "other",
        "field": "kind",
    }
    assert "spaceship" in problem["message"]
    assert problem["text"] in stderr.getvalue()
    assert snapshot() == loaded


def test_the_command_reports_a_dry_run_without_writing_then_imports(tmp_path):
    path = FIXTURES / "sources.json"
    count = len(json.loads(path.read_text(encoding="utf-8")))
    before = snapshot()
    stdout = StringIO()
    call_command("import_records", str(path), "--dry-run", stdout=stdout)
    assert "created  cooperation.source us-mexico-military-alliances-article" in stdout.getvalue()
    assert f"Dry run, nothing written: {count} created, 0 updated, 0 unchanged." in (
        stdout.getvalue()
    )
    assert snapshot() == before

    stdout = StringIO()
    call_command("import_records", str(path), stdout=stdout)
    assert f"Imported: {count} created, 0 updated, 0 unchanged." in stdout.getvalue()
    assert Source.objects.count() == count


# --- The report ------------------------------------------------------------------------------


def test_a_first_import_creates_every_object_and_a_second_changes_nothing():
    files = fixture_bytes(*ARTICLE_FIXTURES)
    total = sum(len(json.loads(data)) for data in files.values())
    first = import_files(files)
    assert first.ok, problems_text(first)
    assert [outcome.action for outcome in first.outcomes] == ["created"] * total
    assert record_count() == total

    before = snapshot()
    second = import_files(files)
    assert second.ok, problems_text(second)
    assert second.written
    assert [outcome.action for outcome in second.outcomes] == ["unchanged"] * total
    assert all(outcome.changes == {} for outcome in second.outcomes)
    assert snapshot() == before


def test_an_edited_object_is_reported_updated_with_each_change(loaded):
    objects = copy.deepcopy(AGREEMENTS)
    merida = next(obj for obj in objects if obj["fields"]["slug"] == "merida-initiative")
    old_title = merida["fields"]["title"]
    old_parties = sorted(slug for [slug] in merida["fields"]["parties"])
    merida["fields"]["title"] = "The Mérida Initiative"
    merida["fields"]["parties"].append(["canada"])
    versions = Agreement.objects.get(slug="merida-initiative").history.count()

    report = import_files({"agreements.json": as_file(objects)})

    assert report.ok, problems_text(report)
    changed = [outcome for outcome in report.outcomes if outcome.action != "unchanged"]
    assert [(outcome.slug, outcome.action) for outcome in changed] == [
        ("merida-initiative", "updated")
    ]
    assert changed[0].changes == {
        "title": [old_title, "The Mérida Initiative"],
        "parties": [old_parties, sorted([*old_parties, "canada"])],
    }
    assert report.count("unchanged") == len(AGREEMENTS) - 1
    merida = Agreement.objects.get(slug="merida-initiative")
    assert merida.title == "The Mérida Initiative"
    assert merida.parties.filter(slug="canada").exists()
    assert merida.history.count() == versions + 1


def test_a_changed_reference_is_reported_by_slug(loaded):
    objects = copy.deepcopy(AGREEMENTS)
    lend_lease = next(o for o in objects if o["fields"]["slug"] == "lend-lease-agreement-mexico")
    lend_lease["fields"]["era"] = ["cold-war"]
    report = import_files({"agreements.json": as_file(objects)})
    assert report.ok, problems_text(report)
    [changed] = [outcome for outcome in report.outcomes if outcome.action == "updated"]
    assert changed.changes == {"era": ["world-war-ii-alliance", "cold-war"]}


# --- Export ----------------------------------------------------------------------------------


def test_an_export_imported_into_an_empty_database_exports_the_same_text():
    with transaction.atomic():
        load_article()
        exported = export_records()
        transaction.set_rollback(True)
    assert record_count() == 0
    assert len(json.loads(exported)) == sum(
        len(json.loads(data)) for data in fixture_bytes(*ARTICLE_FIXTURES).values()
    )

    report = import_files({"export.json": exported.encode("utf-8")})

    assert report.ok, problems_text(report)
    assert export_records() == exported


def test_the_export_command_writes_only_the_models_asked_for(loaded, tmp_path):
    path = tmp_path / "agreements.json"
    call_command("export_records", "--model", "agreement", "--output", str(path))
    objects = json.loads(path.read_text(encoding="utf-8"))
    assert {obj["model"] for obj in objects} == {"cooperation.agreement"}
    assert [obj["fields"]["slug"] for obj in objects] == list(
        Agreement.objects.order_by("slug").values_list("slug", flat=True)
    )
    assert all("pk" not in obj for obj in objects)


# --- History, state and text -----------------------------------------------------------------


def test_each_record_written_gets_one_version_with_the_reason_and_user(django_user_model):
    historian = django_user_model.objects.create_user("historian")
    report = import_files(
        fixture_bytes(*DEPENDENCIES), reason="Checked against FRUS", user=historian
    )
    assert report.ok, problems_text(report)
    for model in (Source, Party, Era, Threat):
        assert model.objects.exists()
        for record in model.objects.all():
            [version] = record.history.all()
            assert (version.history_type, version.history_change_reason) == (
                "+",
                "Checked against FRUS",
            )
            assert version.history_user == historian


def test_the_default_reason_names_the_files():
    import_files(fixture_bytes("sources"))
    reasons = set(Source.history.values_list("history_change_reason", flat=True))
    assert len(reasons) == 1
    assert "sources.json" in reasons.pop()


def test_a_dry_run_writes_no_record_and_no_version():
    before = snapshot()
    report = import_files(fixture_bytes(*DEPENDENCIES), dry_run=True)
    assert report.ok, problems_text(report)
    assert report.dry_run
    assert not report.written
    assert report.count("created") == sum(
        len(json.loads(data)) for data in fixture_bytes(*DEPENDENCIES).values()
    )
    assert snapshot() == before
    assert record_count() == 0


def test_a_state_given_makes_every_imported_record_a_draft():
    report = import_files(fixture_bytes(*DEPENDENCIES, "agreements"), state="draft")
    assert report.ok, problems_text(report)
    for model in (Source, Party, Era, Threat, Agreement):
        states = set(model.objects.values_list("state", flat=True))
        assert states == {State.DRAFT}, model


def test_markup_and_accents_are_stored_exactly_as_written(dependencies):
    party = {
        "model": "cooperation.party",
        "fields": {
            "title": "Secretaría de la Defensa Nacional",
            "slug": "sedena-test",
            "kind": "armed_force",
            "country": "mx",
            "state": "published",
        },
    }
    summary = '<script>alert(1)</script> <b onclick="x()">Mérida</b> & "quotes"'
    agreement = new_agreement(title="Iniciativa Mérida", summary=summary, parties=[["sedena-test"]])
    report = import_files({"records.json": as_file([party, agreement])})
    assert report.ok, problems_text(report)
    stored = Agreement.objects.get(slug="test-agreement")
    assert (stored.title, stored.summary) == ("Iniciativa Mérida", summary)
    assert Party.objects.get(slug="sedena-test").title == "Secretaría de la Defensa Nacional"
    exported = export_records([Agreement])
    assert summary.replace('"', '\\"') in exported
    assert "Iniciativa Mérida" in exported


# --- Any mutation ----------------------------------------------------------------------------

FIELDS = sorted({name for obj in AGREEMENTS for name in obj["fields"]})
REFERENCES = ("era", "supersedes", "parties", "threats", "sources")
texts = st.text(max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | texts,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)
indexes = st.integers(0, len(AGREEMENTS) - 1)
mutations = st.one_of(
    st.tuples(st.just("drop"), indexes, st.sampled_from(FIELDS), st.none()),
    st.tuples(st.just("set"), indexes, st.sampled_from(FIELDS), json_values),
    st.tuples(st.just("reference"), indexes, st.sampled_from(REFERENCES), texts),
    st.tuples(st.just("duplicate"), indexes, st.none(), st.none()),
    st.tuples(
        st.just("model"), indexes, st.none(), st.sampled_from(sorted(MODELS_BY_LABEL)) | texts
    ),
)


def mutate(objects, mutation):
    kind, index, name, value = mutation
    fields = objects[index]["fields"]
    if kind == "drop":
        fields.pop(name, None)
    elif kind == "set":
        fields[name] = value
    elif kind == "reference" and name in ("era", "supersedes"):
        fields[name] = [value]
    elif kind == "reference":
        fields[name] = [[value], *fields.get(name, [])[1:]]
    elif kind == "duplicate":
        objects.append(copy.deepcopy(objects[index]))
    else:
        objects[index]["model"] = value
    return objects


@hypothesis_settings(
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(mutation=mutations)
@example(mutation=("reference", 12, "supersedes", "bicentennial-framework"))
def test_any_mutated_agreement_is_imported_or_refused_without_writing(dependencies, mutation):
    objects = mutate(copy.deepcopy(AGREEMENTS), mutation)
    with transaction.atomic():
        before = snapshot()
        report = import_files({"agreements.json": json.dumps(objects).encode()})
        if report.ok:
            assert report.written
        else:
            assert report.problems
            assert all(problem.message.strip() for problem in report.problems)
            assert not report.written
            assert snapshot() == before
        transaction.set_rollback(True)


def test_a_slug_of_a_million_characters_is_quoted_short(loaded):
    report = import_files({"bad.json": as_file([new_agreement(slug="x" * 1_000_000)])})

    text = "\n".join(problems_text(report))
    assert report.problems
    assert len(text) < 2_000
    assert "x" * 79 + "…" in text
    assert snapshot() == loaded


def test_the_progress_is_told_of_each_object_once(loaded):
    calls = []
    objects = [new_agreement(), new_agreement("another-agreement", title="Another")]

    import_files({"good.json": as_file(objects)}, dry_run=True, progress=calls.append)

    assert calls == [1, 1]
