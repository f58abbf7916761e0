"""The timeline: every dated published record drawn from start to end, its end drawn as it is
known, the lists' filters in the URL, a table saying the same, and counts per year linking to
the lists once there are too many records to draw, at a fixed number of queries."""

import datetime
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cooperation import timeline
from cooperation.dates import DatePrecision
from cooperation.models import AgreementStatus, Era, InitiativeStatus
from cooperation.synthetic import generate
from tests import factories

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def drawing(page):
    """The timeline's SVG, parsed: the page must give well-formed XML."""
    svg = re.search(r"<svg class=\"timeline-chart\".*?</svg>", page, re.S)[0]
    return ET.fromstring(svg)  # noqa: S314 (the page is our own)


def bars(page):
    """{record address: the bar's classes} of the records drawn."""
    return {
        link.get("href"): set(link.get("class").split())
        for link in drawing(page).iter(f"{SVG}a")
        if "bar" in (link.get("class") or "")
    }


def table_rows(page):
    table = page.split('class="records-table"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<th scope="row"><a href="([^"]+)"', table)


def day(year, month=1, date=1):
    return datetime.date(year, month, date)


@pytest.fixture
def records(db):
    era = factories.EraFactory(slug="war", title="The war", start_year=1940, end_year=1950)
    later = factories.EraFactory(slug="later", title="Later", start_year=1990, end_year=None)
    drugs = factories.ThreatFactory(slug="drugs", title="Drugs")
    mexico = factories.PartyFactory(slug="mexico", title="Mexico")
    factories.AgreementFactory(
        slug="ended",
        title="Ended accord",
        era=era,
        signed_date=day(1942, 3, 27),
        in_force_date=day(1943, 1, 1),
        in_force_precision=DatePrecision.DAY,
        ended_date=day(1949, 1, 1),
        ended_precision=DatePrecision.YEAR,
        status=AgreementStatus.EXPIRED,
        threats=[drugs],
    )
    factories.AgreementFactory(
        slug="holds", title="Holding accord", era=later, signed_date=day(1992, 5, 1)
    )
    factories.AgreementFactory(
        slug="unknown-end",
        title="Expired, end not given",
        era=later,
        signed_date=day(1995, 1, 1),
        signed_precision=DatePrecision.YEAR,
        status=AgreementStatus.EXPIRED,
    )
    factories.AgreementFactory(slug="undated", era=later, signed_date=None, signed_precision="")
    factories.AgreementFactory(slug="draft", era=later, state="draft")
    factories.InitiativeFactory(
        slug="training",
        title="Joint training",
        era=later,
        started_date=day(2004, 1, 1),
        status=InitiativeStatus.ONGOING,
        participants=[mexico],
    )
    factories.EventFactory(slug="landing", title="A landing", era=era, started_date=day(1944, 6, 6))


def test_every_dated_published_record_is_drawn_with_its_end_as_known(client, records):
    page = client.get("/timeline/").text

    assert bars(page) == {
        "/agreements/ended/": {"bar", "kind-agreement", "end-ended"},
        "/events/landing/": {"bar", "kind-event", "end-point"},
        "/agreements/holds/": {"bar", "kind-agreement", "end-holds"},
        "/agreements/unknown-end/": {"bar", "kind-agreement", "end-unknown"},
        "/initiatives/training/": {"bar", "kind-initiative", "end-holds"},
    }
    # The table says the same, in the order the records began.
    assert table_rows(page) == [
        "/agreements/ended/",
        "/events/landing/",
        "/agreements/holds/",
        "/agreements/unknown-end/",
        "/initiatives/training/",
    ]
    assert "signed 27 March 1942; in force 1 January 1943; ended 1949" in page
    assert "signed 1995; ended, date unknown" in page
    assert "5 dated records." in page


def test_the_eras_are_bands_over_the_axis_named_with_links(client, records):
    svg = drawing(client.get("/timeline/").text)

    bands = [
        rect.find(f"{SVG}title").text
        for rect in svg.iter(f"{SVG}rect")
        if "era-band" in rect.get("class", "")
    ]
    assert bands == ["The war", "Later"]
    names = svg.find(f"{SVG}g[@class='era-names']")
    assert [link.get("href") for link in names.iter(f"{SVG}a")] == ["/eras/war/", "/eras/later/"]


def test_the_lists_filters_narrow_the_timeline(client, records):
    def drawn(**parameters):
        return set(bars(client.get("/timeline/", parameters).text))

    assert drawn(type="event") == {"/events/landing/"}
    assert drawn(era="war") == {"/agreements/ended/", "/events/landing/"}
    assert drawn(threat="drugs") == {"/agreements/ended/"}
    assert drawn(party="mexico") == {"/initiatives/training/"}
    assert drawn(decade="1990") == {"/agreements/holds/", "/agreements/unknown-end/"}
    assert drawn(decade="1990", year="2004") == {
        "/agreements/holds/",
        "/agreements/unknown-end/",
        "/initiatives/training/",
    }
    assert drawn(q="training") == {"/initiatives/training/"}


def test_bad_parameters_are_reported_and_the_rest_apply(client, records):
    response = client.get(
        "/timeline/", {"decade": "1995", "type": "ship", "era": "nowhere", "colour": "red"}
    )

    assert response.status_code == 200
    page = response.text
    assert "“1995” is not a decade" in page
    assert "Select a valid choice. ship is not one of the available choices." in page
    assert "Select a valid choice. nowhere is not one of the available choices." in page
    assert "This list has no filter “colour”." in page
    assert len(bars(page)) == 5


def test_nothing_matching_says_so(client, records):
    page = client.get("/timeline/", {"decade": "1800"}).text

    assert "0 dated records" in page
    assert "No dated records match these filters." in page
    assert "<svg" not in page


def test_past_the_limit_it_draws_counts_per_year_linking_to_the_lists(client, records, monkeypatch):
    monkeypatch.setattr(timeline, "MOST_DRAWN", 0)
    page = client.get("/timeline/", {"party": "mexico", "era": "later"}).text
    assert bars(page) == {}
    # The list of initiatives calls its party filter "participant".
    assert "/initiatives/?era=later&amp;participant=mexico&amp;year=2004" in page

    monkeypatch.setattr(timeline, "MOST_DRAWN", 3)

    page = client.get("/timeline/").text
    assert bars(page) == {}
    counts = {
        link.get("href"): link.find(f"{SVG}rect/{SVG}title").text
        for link in drawing(page).iter(f"{SVG}a")
        if "count" in (link.get("class") or "")
    }
    assert counts["/agreements/?year=1942"] == "1942: 1 agreements"
    assert counts["/initiatives/?year=2004"] == "2004: 1 initiatives"
    assert counts["?type=event&year=1944"] == "1944: 1 events"  # events have no list
    # The decades narrow the timeline, until its records can be drawn.
    assert '<a href="?decade=1990">1990s</a> <span class="count">(2)</span>' in page
    assert set(bars(client.get("/timeline/", {"decade": "1990"}).text)) == {
        "/agreements/holds/",
        "/agreements/unknown-end/",
    }


def queries(client, url):
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/timeline/", "/timeline/?era=later", "/timeline/?decade=1990"])
def test_the_queries_do_not_grow_with_the_records(client, records, url):
    drawn = queries(client, url)
    generate(400)
    counted = queries(client, url)
    later = Era.objects.get(slug="later")
    factories.AgreementFactory.create_batch(50, era=later, signed_date=day(1999, 1, 1))

    assert queries(client, url) == counted
    # Counting per year costs no more queries than drawing each record.
    assert counted <= drawn


def test_the_counts_of_the_timeline_and_of_one_filter_are_remembered_until_a_change(
    client, records, monkeypatch
):
    monkeypatch.setattr(timeline, "MOST_DRAWN", 0)  # counts per year, not records
    cache.clear()
    for url in ("/timeline/", "/timeline/?era=later"):
        first = queries_kept(client, url)
        again = queries_kept(client, url)
        assert again == first - 3, url  # one grouped query per type, remembered

    factories.AgreementFactory(
        slug="new-one", era=Era.objects.get(slug="later"), signed_date=day(1999, 1, 1)
    )
    page = client.get("/timeline/", {"era": "later"}).text
    assert "1999: 1 agreements" in page  # a change is counted, not read from before
    # Words searched for are never remembered: each page counts them.
    assert queries_kept(client, "/timeline/?q=accord") == queries_kept(
        client, "/timeline/?q=accord"
    )


def queries_kept(client, url):
    """The queries of a visit that keeps what earlier visits remembered."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_an_era_name_is_cut_to_the_room_before_the_next_name_of_its_row():
    axis = timeline.Axis.around([1940, 2020], datetime.date(2026, 12, 1))
    eras = [
        factories.EraFactory.build(
            title="Recognition and rapprochement", start_year=1920, end_year=1941
        ),
        factories.EraFactory.build(title="World War II alliance", start_year=1941, end_year=1945),
        factories.EraFactory.build(title="Cold War", start_year=1945, end_year=1991),
    ]

    names = [name for _era, _x, _width, name in axis.bands(eras, datetime.date(2026, 12, 1))]

    # The first name has the room up to "Cold War", the next of its row: about eight letters.
    assert names == ["Recogn…", "World War II alliance", "Cold War"]
