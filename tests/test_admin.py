from urllib.parse import parse_qsl

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cooperation.models import PUBLIC_MODELS, Era
from tests.conftest import load_rows

pytestmark = pytest.mark.django_db

MODELS = PUBLIC_MODELS
MODEL_IDS = [model.__name__ for model in MODELS]


def admin_url(model, view, *args):
    return reverse(f"admin:cooperation_{model._meta.model_name}_{view}", args=args)


def queries_for(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_changelist_add_and_change_pages_render(admin_client, populate, model):
    record = populate(2)[model._meta.model_name]
    changelist = admin_client.get(admin_url(model, "changelist"))
    assert changelist.status_code == 200
    assert record.title in changelist.text
    assert admin_client.get(admin_url(model, "add")).status_code == 200
    change = admin_client.get(admin_url(model, "change", record.pk))
    assert change.status_code == 200
    assert record.slug in change.text


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
@pytest.mark.parametrize("view", ["changelist", "change"])
def test_query_count_does_not_grow_with_the_number_of_records(
    admin_client, populated_rows, model, view
):
    """Measured at two sizes: a query per row would make the larger count higher."""
    first, small_rows, more_rows = populated_rows
    load_rows(small_rows)
    url = admin_url(model, view, *((first[model._meta.model_name],) if view == "change" else ()))
    queries_for(admin_client, url)  # once first: the process caches content types
    small = queries_for(admin_client, url)
    load_rows(more_rows)
    assert model.objects.count() > len(small_rows[model])
    large = queries_for(admin_client, url)
    assert small == large


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_changelist_search_and_every_filter_work(admin_client, populate, model):
    record = populate(3)[model._meta.model_name]
    url = admin_url(model, "changelist")
    found = admin_client.get(url, {"q": record.slug})
    assert found.status_code == 200
    assert record.title in found.text
    changelist = admin_client.get(url).context["cl"]
    shown_any = False
    for spec in changelist.filter_specs:
        for choice in list(spec.choices(changelist))[1:]:  # every choice but "All"
            response = admin_client.get(url + choice["query_string"])
            assert response.status_code == 200, choice["query_string"]
            # The list shows exactly the records the filter's lookup gives.
            lookup = {
                name: value == "True" if name.endswith("__isnull") else value
                for name, value in parse_qsl(choice["query_string"].lstrip("?"))
            }
            expected = model.objects.filter(**lookup).distinct().values_list("pk", flat=True)
            shown = [record.pk for record in response.context["cl"].result_list]
            assert sorted(shown) == sorted(expected), choice["query_string"]
            shown_any = shown_any or bool(shown)
    assert shown_any


def test_agreement_change_page_links_to_its_relations(admin_client, populate):
    records = populate(2)
    agreement = records["agreement"]
    page = admin_client.get(admin_url(type(agreement), "change", agreement.pk)).text
    initiative = agreement.initiatives.get()
    assert admin_url(type(initiative), "change", initiative.pk) in page
    section = agreement.sections.first()
    assert admin_url(type(section), "change", section.pk) in page


def test_autocomplete_serves_every_related_model(admin_client, populate):
    populate(2)
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "cooperation", "model_name": "agreement", "field_name": "parties"},
    )
    assert response.status_code == 200
    assert response.json()["results"]


def test_part_page_edits_its_sections_inline(admin_client, populate):
    part = populate(2)["section"]
    child = part.children.get()
    page = admin_client.get(admin_url(type(part), "change", part.pk))
    formset = page.context["inline_admin_formsets"][0].formset
    assert [form.instance for form in formset.forms] == [child]
    data = {
        "title": part.title,
        "slug": part.slug,
        "kind": part.kind,
        "position": part.position,
        "state": "published",
        "base_version": part.lock_version,
        "children-0-base_version": child.lock_version,
        "heading_in_article": "on",
        "children-TOTAL_FORMS": "1",
        "children-INITIAL_FORMS": "1",
        "children-MIN_NUM_FORMS": "0",
        "children-MAX_NUM_FORMS": "1000",
        "children-0-id": child.pk,
        "children-0-parent": part.pk,
        "children-0-position": "7",
        "children-0-title": "Renamed inline",
        "children-0-slug": child.slug,
        "children-0-kind": "section",
    }
    response = admin_client.post(admin_url(type(part), "change", part.pk), data)
    assert response.status_code == 302, response.context["errors"]
    child.refresh_from_db()
    assert (child.title, child.position) == ("Renamed inline", 7)


def test_invalid_admin_form_shows_errors_and_writes_nothing(admin_client):
    response = admin_client.post(
        admin_url(Era, "add"),
        {"title": "Backwards", "slug": "backwards", "start_year": "1950", "end_year": "1940"},
    )
    assert response.status_code == 200
    assert "cannot end before it starts" in response.text
    assert not Era.objects.filter(slug="backwards").exists()
