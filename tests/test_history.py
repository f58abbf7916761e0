"""Versions: every change recorded with who, when and why; compare, revert and restore give
back exactly the old fields and relations; a save over another editor's change is refused."""

import html
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from cooperation.article import LOAD_REASON, load_article
from cooperation.history import record_version
from cooperation.models import Agreement, Section, Source
from tests import factories
from tests.test_roles import agreement_form

pytestmark = pytest.mark.django_db


def url(view, *args):
    return reverse(f"admin:cooperation_agreement_{view}", args=args)


def edit(client, agreement, **changes):
    return client.post(url("change", agreement.pk), agreement_form(agreement, **changes))


@pytest.fixture
def agreement():
    mexico, usa = factories.PartyFactory(title="Mexico"), factories.PartyFactory(title="USA")
    record = factories.AgreementFactory(
        title="Mérida Initiative",
        body="Announced in 2007 and first funded in 2008.",
        parties=[mexico, usa],
    )
    # The record as an editor first saved it: one version with its relations.
    record.history.all().delete()
    record_version(record, "+", "Created")
    return record


def test_an_admin_edit_records_one_version_with_who_and_why(admin_client, admin_user, agreement):
    response = edit(admin_client, agreement, change_comment="Fix the date", title="Merida")
    assert response.status_code == 302
    latest = agreement.history.first()
    assert agreement.history.count() == 2
    assert (latest.title, latest.history_user, latest.history_change_reason) == (
        "Merida",
        admin_user,
        "Fix the date",
    )
    page = admin_client.get(url("history", agreement.pk)).text
    assert "Fix the date" in page


def test_compare_shows_changed_words_and_relations(admin_client, agreement):
    old = agreement.history.first()
    new_party = factories.PartyFactory(title="Canada")
    data = agreement_form(agreement, body="Announced in October 2007 and first funded in 2008.")
    data["parties"] = [agreement.parties.get(title="Mexico").pk, new_party.pk]
    assert admin_client.post(url("change", agreement.pk), data).status_code == 302
    new = agreement.history.first()
    page = admin_client.get(
        url("compare", agreement.pk), {"from": old.history_id, "to": new.history_id}
    )
    changes = {change.label: change for change in page.context["changes"]}
    assert str(changes["body"].words) == (
        "Announced in <ins>October </ins>2007 and first funded in 2008."
    )
    assert changes["parties"].added == ("Canada",)
    assert changes["parties"].removed == ("USA",)
    assert "Revert the record" in page.text


def test_compare_with_bad_versions_goes_back_with_a_message(admin_client, agreement):
    response = admin_client.get(url("compare", agreement.pk), {"from": "x", "to": "999"})
    assert response.status_code == 302
    assert response.url == url("history", agreement.pk)


def test_revert_restores_exactly_the_old_fields_and_relations(admin_client, agreement):
    original = agreement.history.first()
    before = (agreement.title, agreement.body, set(agreement.parties.all()))
    data = agreement_form(agreement, title="Renamed", body="Rewritten entirely.")
    data["parties"] = [factories.PartyFactory().pk]
    admin_client.post(url("change", agreement.pk), data)
    agreement.refresh_from_db()
    assert agreement.title == "Renamed"
    response = admin_client.post(url("revert", agreement.pk, original.history_id), {"confirm": "1"})
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert (agreement.title, agreement.body, set(agreement.parties.all())) == before
    assert "Reverted" in agreement.history.first().history_change_reason


def test_revert_asks_first_and_changes_nothing_until_confirmed(admin_client, agreement):
    version = agreement.history.first()
    edit(admin_client, agreement, title="Renamed")
    revert = url("revert", agreement.pk, version.history_id)

    asked = admin_client.get(revert)
    admin_client.post(revert)

    assert asked.status_code == 200
    assert "Yes, revert" in asked.text
    agreement.refresh_from_db()
    assert agreement.title == "Renamed"


def test_a_deleted_record_is_listed_and_restored_with_its_relations(admin_client, agreement):
    section = factories.SectionFactory(title="A part")
    section.agreements.add(agreement)
    record_version(section, "~", "Linked")
    # Every field comes back as it was, but the time of the last change: the restore.
    kept = [f.attname for f in Agreement._meta.concrete_fields if f.name != "updated_at"]
    fields = {name: getattr(agreement, name) for name in kept}
    parties = set(agreement.parties.values_list("pk", flat=True))
    admin_client.post(url("delete", agreement.pk), {"post": "yes"})
    assert not Agreement.objects.filter(pk=agreement.pk).exists()

    deleted = admin_client.get(url("deleted"))
    assert "Mérida Initiative" in deleted.text
    version = deleted.context["versions"][0]
    assert admin_client.post(url("restore", version.history_id)).status_code == 302

    restored = Agreement.objects.get(pk=agreement.pk)
    assert {name: getattr(restored, name) for name in kept} == fields
    assert set(restored.parties.values_list("pk", flat=True)) == parties
    assert list(section.agreements.all()) == [restored]
    assert admin_client.get(url("deleted")).context["versions"] == []


def test_editors_see_deleted_records_but_only_publishers_restore(
    client, agreement, django_user_model
):

    editor = django_user_model.objects.create_user("ed", password="pw")
    call_command("grant_role", "ed", "editor", stdout=StringIO())
    agreement.delete()
    client.force_login(editor)
    page = client.get(url("deleted"))
    assert page.status_code == 200
    assert "Only publishers can restore" in page.text
    version = page.context["versions"][0]
    assert client.post(url("restore", version.history_id)).status_code == 403
    assert not Agreement.objects.filter(pk=agreement.pk).exists()


def test_a_conflicting_save_is_refused_and_loses_neither_edit(client, agreement, django_user_model):
    first = django_user_model.objects.create_superuser("first", "", "pw")
    second = django_user_model.objects.create_superuser("second", "", "pw")
    opened = agreement_form(agreement)  # both editors open the form on the same version

    client.force_login(first)
    client.post(url("change", agreement.pk), {**opened, "title": "First's title"})
    client.force_login(second)
    response = client.post(url("change", agreement.pk), {**opened, "summary": "Second's summary"})

    assert response.status_code == 200
    message = html.unescape(" ".join(response.context["errors"][0]))
    assert "first changed this record" in message
    assert "First's title" in message
    agreement.refresh_from_db()
    assert (agreement.title, agreement.summary) == ("First's title", "A summary.")
    form = response.context["adminform"].form
    assert form["summary"].value() == "Second's summary"

    # Saving again, having read the message, is a deliberate choice.
    data = {**opened, "summary": "Second's summary", "title": "First's title"}
    data["base_version"] = form["base_version"].value()
    assert client.post(url("change", agreement.pk), data).status_code == 302
    agreement.refresh_from_db()
    assert (agreement.title, agreement.summary) == ("First's title", "Second's summary")


def test_fixture_loads_are_recorded_as_loads_and_only_when_something_changes():
    load_article()
    merida = Agreement.objects.get(slug="merida-initiative")
    assert [(v.history_change_reason, v.history_user) for v in merida.history.all()] == [
        (LOAD_REASON, None)
    ]
    versions = sum(model.history.count() for model in (Agreement, Section, Source))
    load_article()
    assert sum(model.history.count() for model in (Agreement, Section, Source)) == versions


def test_history_and_compare_pages_for_a_fixture_record(article, admin_client):
    merida = Agreement.objects.get(slug="merida-initiative")
    history = admin_client.get(url("history", merida.pk))
    assert history.status_code == 200
    assert LOAD_REASON.replace("'", "&#x27;") in history.text
    assert re.search(r'name="from" value="\d+"', history.text)


def test_every_changelist_links_to_its_deleted_records(admin_client):
    page = admin_client.get(reverse("admin:cooperation_era_changelist")).text
    assert f'href="{reverse("admin:cooperation_era_deleted")}"' in page


def test_lists_show_each_record_state_and_last_editor(admin_client, admin_user, agreement):
    edit(admin_client, agreement, title="Edited title")
    changelist = admin_client.get(url("changelist"))
    row = next(r for r in changelist.context["cl"].result_list if r.pk == agreement.pk)
    assert row.last_editor_name == admin_user.username
    assert '<td class="field-state">published</td>' in changelist.text
    assert '<td class="field-last_editor">admin</td>' in changelist.text
