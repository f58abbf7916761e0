import pytest

from cooperation.markup import plain_text, record_links, render, resolve_links
from tests import factories

pytestmark = pytest.mark.django_db


def test_record_links_are_found_with_and_without_words():
    text = "The [[agreement:merida-initiative|Mérida Initiative]] and [[threat:terrorism]]."
    assert [(link.type, link.slug, link.text) for link in record_links(text)] == [
        ("agreement", "merida-initiative", "Mérida Initiative"),
        ("threat", "terrorism", None),
    ]
    assert plain_text(text) == "The Mérida Initiative and terrorism."


def test_render_links_known_records_and_keeps_words_of_unknown_ones():
    agreement = factories.AgreementFactory(slug="merida-initiative")
    text = "[[agreement:merida-initiative|Mérida]] and [[agreement:missing|a lost record]]"
    html = render(text, resolve_links(text))
    assert f'<a href="{agreement.get_absolute_url()}"' in html
    assert ">Mérida</a>" in html
    assert "a lost record" in html
    assert "missing" not in html


def test_render_strips_scripts_and_dangerous_links():
    html = render(
        'Hi <script>alert("x")</script><img src=x onerror=alert(1)> [a](javascript:alert(1))', {}
    )
    assert "<script" not in html
    assert "onerror" not in html
    assert "javascript:" not in html


def test_resolve_links_makes_one_query_per_type(django_assert_num_queries):
    factories.AgreementFactory(slug="a")
    factories.ThreatFactory(slug="t")
    text = "[[agreement:a]] [[agreement:b]] [[threat:t]] [[unknown:x]]"
    with django_assert_num_queries(2):
        found = resolve_links(text)
    assert set(found) == {("agreement", "a"), ("threat", "t")}
