"""No reader input can break a page: every parameter of every public address, given hostile
values (empty items, NUL, lone surrogates, huge numbers, repeated keys, very long strings),
gives a page or a 404, never a server error. CI runs it on both databases."""

from urllib.parse import quote, quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cooperation.filters import AgreementFilter, InitiativeFilter, ThreatFilter

pytestmark = pytest.mark.django_db

#: Every public address, with the parameters its page reads.
LIST_PARAMETERS = ["page", "ordering", "q"]
RECORD_PARAMETERS = ["preview", "type", "q", "threat", "page"]
ADDRESSES = {
    "/": ["page"],
    "/article/early-collaborations-and-agreements/": RECORD_PARAMETERS,
    "/article/historical-context/": RECORD_PARAMETERS,
    "/eras/": ["page"],
    "/eras/cold-war/": RECORD_PARAMETERS,
    "/agreements/": [*AgreementFilter.base_filters, *LIST_PARAMETERS],
    "/agreements/merida-initiative/": RECORD_PARAMETERS,
    "/initiatives/": [*InitiativeFilter.base_filters, *LIST_PARAMETERS],
    "/initiatives/escuadron-201/": RECORD_PARAMETERS,
    "/threats/": [*ThreatFilter.base_filters, *LIST_PARAMETERS],
    "/threats/drug-trafficking/": RECORD_PARAMETERS,
    "/events/us-occupation-of-veracruz/": RECORD_PARAMETERS,
    "/parties/": ["page"],
    "/parties/mexico/": RECORD_PARAMETERS,
    "/sources/": ["page"],
    "/sources/us-mexico-military-alliances-article/": RECORD_PARAMETERS,
    "/sitemap.xml": ["p", "page"],
    "/robots.txt": ["page"],
    "/health/": ["page"],
}

#: Values as they travel in an address: already percent-encoded.
hostile = st.one_of(
    st.sampled_from(
        [
            "",
            ",",
            ",,",
            "title,",
            ",-signed",
            "%00",
            "a%00b",
            "%ED%A0%80",  # a lone surrogate, as UTF-8 would write it
            "%FF%FE",  # not UTF-8
            "9" * 5000,
            "-1",
            "0",
            "1e999",
            "NaN",
            "x" * 20_000,
            "%3Cscript%3Ealert(1)%3C/script%3E",
            "%27%20OR%201%3D1%20--",
            "cold-war",
            "mexico",
            "drug-trafficking",
            "merida-initiative",
            "treaty",
        ]
    ),
    st.text(max_size=300).map(lambda text: quote(text, safe="", errors="surrogatepass")),
    st.binary(max_size=60).map(lambda raw: quote_from_bytes(raw, safe="")),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)


@st.composite
def requests(draw):
    address = draw(st.sampled_from(sorted(ADDRESSES)))
    names = st.one_of(st.sampled_from(ADDRESSES[address]), st.sampled_from(["zzz", "", "%00"]))
    pairs = draw(st.lists(st.tuples(names, hostile), max_size=6))  # names may repeat
    query = "&".join(f"{name}={value}" for name, value in pairs)
    return f"{address}?{query}" if query else address


@settings(
    max_examples=300,
    deadline=None,
    # The article's records are loaded once for all the examples, which only read.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_reader_input_gives_a_server_error(article, client, data):
    url = data.draw(requests())
    response = client.get(url)
    assert response.status_code < 500, url
