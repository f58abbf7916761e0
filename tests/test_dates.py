"""Uncertain dates: about, on or before, on or after, within a span, or only the article's word.
Entered through the admin's form or an import, shown as such to readers, sorted by the
earliest possible value, exported in EDTF and read back from it."""

import datetime
import json

import pytest
from django.test import Client

from cooperation.dates import DatePrecision, DateQualifier, PartialDate, parse_edtf
from cooperation.imports import export_records, import_files
from cooperation.models import Agreement
from tests import factories
from tests.admin_forms import save

pytestmark = pytest.mark.django_db

YEAR, MONTH = DatePrecision.YEAR, DatePrecision.MONTH

QUALIFIED = [
    # (date, precision, qualifier, latest) -> (shown, EDTF)
    (("1975-01-01", YEAR, "approximate", None), ("about 1975", "1975~")),
    (("1989-02-01", MONTH, "before", None), ("by February 1989", "[..1989-02]")),
    (("1952-01-01", YEAR, "after", None), ("1952 or later", "[1952..]")),
    (("1975-01-01", YEAR, "between", "1977-01-01"), ("between 1975 and 1977", "[1975..1977]")),
    (("1989-01-01", YEAR, "article", None), ("1989 (the article&#x27;s date)", "1989?")),
    (("1942-03-27", DatePrecision.DAY, "", None), ("27 March 1942", "1942-03-27")),
]


def public_page(record):
    response = Client().get(record.get_absolute_url())
    assert response.status_code == 200
    return response.text


@pytest.mark.parametrize(("stored", "expected"), QUALIFIED, ids=[e[1] for _s, e in QUALIFIED])
def test_a_qualified_date_entered_in_the_admin_is_shown_and_exported_as_such(
    publisher, stored, expected
):
    date, precision, qualifier, latest = stored
    shown, edtf = expected
    agreement = factories.AgreementFactory()

    response = save(
        publisher,
        agreement,
        signed_date=date,
        signed_precision=precision,
        signed_qualifier=qualifier,
        signed_latest=latest or "",
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    agreement.refresh_from_db()
    assert agreement.signed.edtf == edtf
    page = public_page(agreement)
    assert f'data-edtf="{edtf}">{shown}</time>' in page
    exported = json.loads(export_records([Agreement]))[0]["fields"]
    assert exported["signed_edtf"] == edtf


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        (
            {"signed_qualifier": "between", "signed_latest": ""},
            "signed_latest",
            "A span of possibilities needs its latest date.",
        ),
        (
            {"signed_qualifier": "", "signed_latest": "1977-01-01"},
            "signed_latest",
            "A latest date is only for a span of possibilities",
        ),
        (
            {"signed_qualifier": "between", "signed_latest": "1974-01-01"},
            "signed_latest",
            "The latest date of a span must fall after its first date.",
        ),
        (
            {"signed_qualifier": "between", "signed_latest": "1977-06-01"},
            "signed_latest",
            "entered as the first day of its year or month",
        ),
        (
            {"signed_date": "", "signed_precision": "", "signed_qualifier": "approximate"},
            "signed_qualifier",
            "A date is qualified but the date is empty.",
        ),
    ],
    ids=["span-without-end", "end-without-span", "end-before-start", "end-mid-year", "no-date"],
)
def test_a_wrong_qualified_date_is_refused_in_the_form_and_nothing_saved(
    publisher, changes, field, says
):
    agreement = factories.AgreementFactory(signed_date=datetime.date(1975, 1, 1))
    agreement.signed_precision = YEAR
    agreement.save()

    response = save(publisher, agreement, **{"signed_precision": YEAR} | changes)

    assert response.status_code == 200
    assert says in str(response.context["adminform"].form.errors[field])
    agreement.refresh_from_db()
    assert (agreement.signed_qualifier, agreement.signed_latest) == ("", None)
    assert "1975" in public_page(agreement)


def test_a_span_sorts_and_filters_by_its_earliest_possible_date(client):
    span = factories.AgreementFactory(title="A span", signed_date=datetime.date(1975, 1, 1))
    span.signed_precision, span.signed_qualifier = YEAR, DateQualifier.BETWEEN
    span.signed_latest = datetime.date(1977, 1, 1)
    span.save()
    factories.AgreementFactory(title="Known", signed_date=datetime.date(1976, 5, 1))

    page = client.get("/agreements/?signed_from=1975&signed_to=1976").text

    assert page.index("A span") < page.index("Known")
    assert "between 1975 and 1977" in page
    assert "A span" not in client.get("/agreements/?signed_from=1976").text


def agreement_entry(**fields):
    return {
        "model": "cooperation.agreement",
        "fields": {
            "title": "An agreement",
            "slug": "an-agreement",
            "kind": "treaty",
            "scope": "bilateral",
            "status": "in_force",
            "state": "published",
        }
        | fields,
    }


def test_an_import_reads_a_date_given_in_edtf():
    report = import_files(
        {"a.json": json.dumps([agreement_entry(signed_edtf="[1975..1977]")]).encode()}
    )

    assert report.ok, [str(problem) for problem in report.problems]
    agreement = Agreement.objects.get(slug="an-agreement")
    assert agreement.signed == PartialDate(
        datetime.date(1975, 1, 1), YEAR, DateQualifier.BETWEEN, datetime.date(1977, 1, 1)
    )
    assert "between 1975 and 1977" in public_page(agreement)


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"signed_edtf": "about 1975"}, "“about 1975” is not an EDTF date this site holds"),
        ({"signed_edtf": "[1977..1975]"}, "it reads 1942, 1942-08"),
        (
            {"signed_edtf": "1975~", "signed_date": "1976-01-01"},
            '“1975~” gives signed_date as "1975-01-01", but the file gives "1976-01-01"',
        ),
    ],
    ids=["not-edtf", "span-backwards", "disagrees-with-the-date"],
)
def test_an_import_refuses_an_edtf_date_it_cannot_read_or_that_disagrees(fields, says):
    report = import_files({"a.json": json.dumps([agreement_entry(**fields)]).encode()})

    assert not report.ok
    assert not report.written
    messages = [str(problem) for problem in report.problems]
    assert any(
        message.startswith("a.json, object 0 (an-agreement), field “signed_edtf”")
        and says in message
        for message in messages
    ), messages
    assert not Agreement.objects.filter(slug="an-agreement").exists()


def test_every_form_edtf_writes_is_read_back_as_the_same_date():
    for (date, precision, qualifier, latest), (_shown, _edtf) in QUALIFIED:
        written = PartialDate(
            datetime.date.fromisoformat(date),
            precision,
            qualifier,
            latest and datetime.date.fromisoformat(latest),
        )
        assert parse_edtf(written.edtf) == written
