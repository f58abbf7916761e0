"""“In force in Y” and “active in Y” follow what each row says: its dates and its status.

Records and years are generated (hypothesis); the list's rows are read from the page. A row
the filter returns must say it held that year, and a record it leaves out must not; one whose
status says it ended while no end date is given is listed apart (``end_unknown_in``)."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cooperation.dates import DatePrecision
from cooperation.models import AgreementStatus, InitiativeStatus
from tests import factories

pytestmark = pytest.mark.django_db

YEARS = st.integers(1900, 2030)
PRECISIONS = st.sampled_from(DatePrecision.values)


@st.composite
def partial_dates(draw, after=None):
    """(date, precision) stored as the site stores them: the first day of the period."""
    year = draw(st.integers(after.year if after else 1900, 2030))
    precision = draw(PRECISIONS)
    month = draw(st.integers(1, 12)) if precision != DatePrecision.YEAR else 1
    day = draw(st.integers(1, 28)) if precision == DatePrecision.DAY else 1
    date = datetime.date(year, month, day)
    if after and date < after:
        date = after
        precision = DatePrecision.DAY
    return date, precision


@st.composite
def spans(draw, statuses, first="started"):
    """The dates of one record: a start, perhaps a second start (an agreement's entry into
    force), perhaps an end, each optional; and a status."""
    fields = {"status": draw(st.sampled_from(statuses)), f"{first}_date": None}
    fields[f"{first}_precision"] = ""
    start = draw(st.none() | partial_dates())
    latest = None
    if start:
        fields[f"{first}_date"], fields[f"{first}_precision"] = start
        latest = start[0]
    if first == "signed" and draw(st.booleans()):
        fields["in_force_date"], fields["in_force_precision"] = in_force = draw(
            partial_dates(after=latest)
        )
        latest = in_force[0]
    if latest and draw(st.booleans()):
        fields["ended_date"], fields["ended_precision"] = draw(partial_dates(after=latest))
    return fields


def shown_rows(client, url):
    """{slug: the row's “meta” line as a reader reads it} of a list page."""
    page = client.get(url).content.decode()
    rows = re.findall(
        r'<li class="row">\s*<h3><a href="/\w+/([^/]+)/">.*?</a></h3>\s*<p class="meta">(.*?)</p>',
        page,
        re.S,
    )
    return {slug: re.sub(r"<[^>]+>", "", meta) for slug, meta in rows}


def year_after(label, meta):
    """The year of the date shown after ``label`` in a row, or None."""
    found = re.search(rf"{label} (?:\d+ )?(?:[A-Z][a-z]+ )?(\d{{4}})", meta)
    return int(found[1]) if found else None


def status_shown(meta):
    labels = {str(label) for label in (*AgreementStatus.labels, *InitiativeStatus.labels)}
    return next(part for part in meta.split(" · ") if part in labels)


def held_as_shown(meta, year, *, started, holding):
    """Whether a row says the record held in ``year``: begun by its end, and ended in or
    after it, or with no end and a status that says it still holds."""
    begun = next((y for y in (year_after(label, meta) for label in started) if y), None)
    ended = year_after("ended" if "ended" in meta else "to", meta)
    status = status_shown(meta)
    if begun is None or begun > year:
        return False
    return ended >= year if ended else status == holding


def ended_unknown_as_shown(meta, year, *, started, holding, never):
    begun = next((y for y in (year_after(label, meta) for label in started) if y), None)
    ended = year_after("ended" if "ended" in meta else "to", meta)
    status = status_shown(meta)
    return bool(begun and begun <= year and not ended and status not in (holding, never))


def check_rows(client, path, name, unknown_name, records, year, **shown):
    every = shown_rows(client, path)
    assert set(every) == {record.slug for record in records}  # every record shown, one page
    held = shown_rows(client, f"{path}?{name}={year}")
    apart = shown_rows(client, f"{path}?end_unknown_in={year}")
    holding, never = shown["holding"], shown.pop("never")
    for slug, meta in every.items():
        says_held = held_as_shown(meta, year, **shown)
        assert (slug in held) == says_held, (year, meta)
        says_unknown = ended_unknown_as_shown(meta, year, never=never, **shown)
        assert (slug in apart) == says_unknown, (year, meta)
        assert not (slug in held and slug in apart)
    page = client.get(f"{path}?{name}={year}").content.decode()
    assert ("Not counted:" in page) == bool(apart)
    assert holding  # the status that says a record still holds


# Each example runs in a transaction rolled back at its end; the page cache is cleared because
# a rolled-back change of content takes the content version back with it.
EXAMPLES = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@EXAMPLES
@given(
    dates=st.lists(spans(AgreementStatus.values, first="signed"), min_size=1, max_size=6),
    year=YEARS,
)
def test_in_force_in_a_year_is_what_each_row_says(client, dates, year):
    with transaction.atomic():
        cache.clear()
        era = factories.EraFactory()
        records = [factories.AgreementFactory(era=era, **fields) for fields in dates]
        check_rows(
            client,
            "/agreements/",
            "in_force_in",
            "end_unknown_in",
            records,
            year,
            started=("in force from", "signed"),
            holding=str(AgreementStatus.IN_FORCE.label),
            never=str(AgreementStatus.PROPOSED.label),
        )
        transaction.set_rollback(True)


@EXAMPLES
@given(dates=st.lists(spans(InitiativeStatus.values), min_size=1, max_size=6), year=YEARS)
def test_active_in_a_year_is_what_each_row_says(client, dates, year):
    with transaction.atomic():
        cache.clear()
        era = factories.EraFactory()
        records = [factories.InitiativeFactory(era=era, **fields) for fields in dates]
        check_rows(
            client,
            "/initiatives/",
            "active_in",
            "end_unknown_in",
            records,
            year,
            started=("from",),
            holding=str(InitiativeStatus.ONGOING.label),
            never=str(InitiativeStatus.PROPOSED.label),
        )
        transaction.set_rollback(True)
