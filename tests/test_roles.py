"""The permission matrix: who may view, add, change, publish, delete, restore and preview."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from cooperation import revisions
from cooperation.models import Agreement, Era, Revision, RevisionStatus, State
from cooperation.roles import EDITOR, PUBLISHER
from tests import factories
from tests.admin_forms import sign_in

pytestmark = pytest.mark.django_db

ACTORS = ["anonymous", "editor", "publisher", "superuser"]


@pytest.fixture
def actor(request, client, django_user_model):
    """A client signed in as the actor named by the test's parameter."""
    name = request.param
    if name == "superuser":
        client.force_login(django_user_model.objects.create_superuser("root", "", "pw"))
    elif name != "anonymous":
        user = django_user_model.objects.create_user(name, password="pw")
        call_command("grant_role", name, name, stdout=StringIO())
        client.force_login(user)
    return client


def agreement_form(agreement, **changes):
    data = {
        "title": agreement.title,
        "slug": agreement.slug,
        "kind": agreement.kind,
        "scope": agreement.scope,
        "status": agreement.status,
        "state": agreement.state,
        "era": agreement.era_id or "",
        "signed_date": agreement.signed_date or "",
        "signed_precision": agreement.signed_precision,
        "in_force_precision": "",
        "ended_precision": "",
        "summary": agreement.summary,
        "body": agreement.body,
        "editorial_note": agreement.editorial_note,
        "base_version": agreement.lock_version,
    }
    data.update(changes)
    return data


# Each action is tried on a record and says what came of it, from the database and from the
# page an anonymous reader gets: "refused" (nothing changed), "pending" (a change waits for
# review; readers see the record as before), or "done" (done, and readers see it as done).


def reader_sees(record):
    response = Client().get(record.get_absolute_url())
    return response.content.decode() if response.status_code == 200 else None


def outcome(done, pending=False):
    return "done" if done else "pending" if pending else "refused"


def can_view(client, record):
    ok = client.get(reverse("admin:cooperation_agreement_changelist")).status_code == 200
    return outcome(ok)


def can_add(client, record):
    era = Era.objects.first()
    data = agreement_form(record, title="Added", slug="added", state=State.DRAFT, era=era.pk)
    client.post(reverse("admin:cooperation_agreement_add"), data)
    added = Agreement.objects.filter(slug="added").first()
    assert added is None or reader_sees(added) is None  # a draft
    return outcome(added is not None)


def can_change_a_draft(client, record):
    draft = make_draft(record)
    url = reverse("admin:cooperation_agreement_change", args=[draft.pk])
    client.post(url, agreement_form(draft, title="Changed"))
    assert reader_sees(draft) is None
    return outcome(Agreement.objects.get(pk=draft.pk).title == "Changed")


def can_change_a_live_record(client, live):
    url = reverse("admin:cooperation_agreement_change", args=[live.pk])
    client.post(url, agreement_form(live, title="Changed live"))
    shown = reader_sees(live)
    saved = Agreement.objects.get(pk=live.pk).title == "Changed live"
    assert saved == ("Changed live" in shown)
    return outcome(saved, pending=Revision.objects.of(live).open().exists())


def can_submit_for_review(client, record):
    draft = make_draft(record)
    client.post(
        reverse("admin:cooperation_agreement_changelist"),
        {"action": "submit_for_review", "_selected_action": [draft.pk]},
    )
    assert reader_sees(draft) is None
    return outcome(Agreement.objects.get(pk=draft.pk).state == State.IN_REVIEW)


def pending_change(live):
    editor = get_user_model().objects.create_user("someone", password="pw")
    revisions.write(live, revisions.fields_of(live) | {"title": "Reviewed title"}, editor)
    return revisions.submit(live, editor, "please")


def can_publish_a_revision(client, live):
    pending_change(live)
    client.post(
        reverse("admin:cooperation_agreement_review", args=[live.pk]), {"action": "publish"}
    )
    published = Agreement.objects.get(pk=live.pk).title == "Reviewed title"
    assert published == ("Reviewed title" in reader_sees(live))
    return outcome(published)


def can_send_back(client, live):
    revision = pending_change(live)
    client.post(
        reverse("admin:cooperation_agreement_review", args=[live.pk]),
        {"action": "send_back", "comment": "Cite the source."},
    )
    revision.refresh_from_db()
    assert "Reviewed title" not in reader_sees(live)
    return outcome(revision.status == RevisionStatus.SENT_BACK)


def can_revert_a_live_record(client, live):
    version = live.history.first()
    live.title = "Renamed since"
    live.save()
    client.post(
        reverse("admin:cooperation_agreement_revert", args=[live.pk, version.history_id]),
        {"confirm": "1"},
    )
    reverted = Agreement.objects.get(pk=live.pk).title == version.title
    assert reverted == (f"<h1>{version.title}</h1>" in reader_sees(live))
    return outcome(reverted, pending=Revision.objects.of(live).open().exists())


def can_publish_in_the_form(client, record):
    draft = make_draft(record)
    url = reverse("admin:cooperation_agreement_change", args=[draft.pk])
    client.post(url, agreement_form(draft, state=State.PUBLISHED))
    published = Agreement.objects.get(pk=draft.pk).is_published
    assert published == (reader_sees(draft) is not None)
    return outcome(published)


def can_publish_in_bulk(client, record):
    draft = make_draft(record)
    client.post(
        reverse("admin:cooperation_agreement_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    published = Agreement.objects.get(pk=draft.pk).is_published
    assert published == (reader_sees(draft) is not None)
    return outcome(published)


def can_withdraw_in_bulk(client, live):
    client.post(
        reverse("admin:cooperation_agreement_changelist"),
        {"action": "withdraw", "_selected_action": [live.pk], "confirm": "1"},
    )
    withdrawn = Agreement.objects.get(pk=live.pk).state == State.WITHDRAWN
    assert withdrawn == (reader_sees(live) is None)
    return outcome(withdrawn)


def can_delete(client, live):
    client.post(reverse("admin:cooperation_agreement_delete", args=[live.pk]), {"post": "yes"})
    deleted = not Agreement.objects.filter(pk=live.pk).exists()
    assert deleted == (reader_sees(live) is None)
    return outcome(deleted)


def can_restore(client, live):
    pk = live.pk
    live.delete()
    version = live.history.model.objects.get(id=pk, history_type="-")
    client.post(reverse("admin:cooperation_agreement_restore", args=[version.history_id]))
    restored = Agreement.objects.filter(pk=pk).exists()
    assert restored == (reader_sees(live) is not None)
    return outcome(restored)


def can_preview(client, record):
    draft = make_draft(record)
    return outcome(client.get(draft.get_absolute_url(), {"preview": "1"}).status_code == 200)


def make_draft(record):
    return factories.AgreementFactory(state=State.DRAFT, era=record.era)


MATRIX = {
    # action: (anonymous, editor, publisher, superuser)
    can_view: ("refused", "done", "done", "done"),
    can_add: ("refused", "done", "done", "done"),
    can_change_a_draft: ("refused", "done", "done", "done"),
    can_change_a_live_record: ("refused", "pending", "done", "done"),
    can_submit_for_review: ("refused", "done", "done", "done"),
    can_publish_a_revision: ("refused", "refused", "done", "done"),
    can_send_back: ("refused", "refused", "done", "done"),
    can_revert_a_live_record: ("refused", "pending", "done", "done"),
    can_publish_in_the_form: ("refused", "refused", "done", "done"),
    can_publish_in_bulk: ("refused", "refused", "done", "done"),
    can_withdraw_in_bulk: ("refused", "refused", "done", "done"),
    can_delete: ("refused", "refused", "done", "done"),
    can_restore: ("refused", "refused", "done", "done"),
    can_preview: ("refused", "done", "done", "done"),
}


@pytest.mark.parametrize("actor", ACTORS, indirect=True)
@pytest.mark.parametrize("action", MATRIX, ids=lambda action: action.__name__)
def test_permission_matrix(actor, action, request):
    live = factories.AgreementFactory(title="Live accord", state=State.PUBLISHED)
    expected = MATRIX[action][ACTORS.index(request.node.callspec.params["actor"])]
    assert action(actor, live) == expected


def test_roles_are_groups_created_by_a_migration():
    editor = set(Group.objects.get(name=EDITOR).permissions.values_list("codename", flat=True))
    publisher = set(
        Group.objects.get(name=PUBLISHER).permissions.values_list("codename", flat=True)
    )
    assert "change_agreement" in editor
    assert "publish_agreement" not in editor
    assert "delete_agreement" not in editor
    assert {"publish_agreement", "delete_agreement", "publish_source"} <= publisher


def test_grant_role_refuses_an_unknown_user_and_offers_to_create_one():
    with pytest.raises(CommandError, match=r"No user named 'nobody'\. Add --create"):
        call_command("grant_role", "nobody", "editor")


def test_grant_role_creates_the_user_with_the_role(django_user_model, client):
    out = StringIO()
    call_command("grant_role", "newcomer", "editor", "--create", stdout=out)
    text = out.getvalue()
    assert "newcomer is now an editor." in text
    password = text.split("the password: ")[1].split()[0]
    user = django_user_model.objects.get(username="newcomer")
    assert user.is_staff
    assert user.has_perm("cooperation.change_agreement")
    assert not user.has_perm("cooperation.publish_agreement")
    assert sign_in(client, "newcomer", password).status_code == 302


def test_grant_role_can_take_a_role_away(django_user_model):
    user = django_user_model.objects.create_user("historian", password="pw")
    call_command("grant_role", "historian", "publisher", stdout=StringIO())
    user.refresh_from_db()
    assert user.is_staff
    assert user.has_perm("cooperation.publish_agreement")
    call_command("grant_role", "historian", "publisher", "--remove", stdout=StringIO())
    user = django_user_model.objects.get(pk=user.pk)
    assert not user.has_perm("cooperation.publish_agreement")
