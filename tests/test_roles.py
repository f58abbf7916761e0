"""The permission matrix: who may view, add, change, publish, delete, restore and preview."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse

from cooperation.models import Agreement, Era, State
from cooperation.roles import EDITOR, PUBLISHER
from tests import factories

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
        "base_version": latest.history_id if (latest := agreement.history.first()) else "",
    }
    data.update(changes)
    return data


def can_view(client, draft):
    return client.get(reverse("admin:cooperation_agreement_changelist")).status_code == 200


def can_add(client, draft):
    era = Era.objects.first()
    data = agreement_form(draft, title="Added", slug="added", state=State.DRAFT, era=era.pk)
    client.post(reverse("admin:cooperation_agreement_add"), data)
    return Agreement.objects.filter(slug="added").exists()


def can_change(client, draft):
    url = reverse("admin:cooperation_agreement_change", args=[draft.pk])
    client.post(url, agreement_form(draft, title="Changed"))
    return Agreement.objects.get(pk=draft.pk).title == "Changed"


def can_publish_in_the_form(client, draft):
    url = reverse("admin:cooperation_agreement_change", args=[draft.pk])
    client.post(url, agreement_form(draft, state=State.PUBLISHED))
    return Agreement.objects.get(pk=draft.pk).is_published


def can_publish_in_bulk(client, draft):
    client.post(
        reverse("admin:cooperation_agreement_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    return Agreement.objects.get(pk=draft.pk).is_published


def can_withdraw_in_bulk(client, draft):
    draft.state = State.PUBLISHED
    draft.save()
    client.post(
        reverse("admin:cooperation_agreement_changelist"),
        {"action": "withdraw", "_selected_action": [draft.pk]},
    )
    return Agreement.objects.get(pk=draft.pk).state == State.WITHDRAWN


def can_delete(client, draft):
    client.post(reverse("admin:cooperation_agreement_delete", args=[draft.pk]), {"post": "yes"})
    return not Agreement.objects.filter(pk=draft.pk).exists()


def can_restore(client, draft):
    pk = draft.pk
    draft.delete()
    version = draft.history.model.objects.get(id=pk, history_type="-")
    client.post(reverse("admin:cooperation_agreement_restore", args=[version.history_id]))
    return Agreement.objects.filter(pk=pk).exists()


def can_preview(client, draft):
    return client.get(draft.get_absolute_url(), {"preview": "1"}).status_code == 200


def can_submit_for_review(client, draft):
    client.post(
        reverse("admin:cooperation_agreement_changelist"),
        {"action": "submit_for_review", "_selected_action": [draft.pk]},
    )
    return Agreement.objects.get(pk=draft.pk).state == State.IN_REVIEW


MATRIX = {
    # action: (anonymous, editor, publisher, superuser)
    can_view: (False, True, True, True),
    can_add: (False, True, True, True),
    can_change: (False, True, True, True),
    can_submit_for_review: (False, True, True, True),
    can_publish_in_the_form: (False, False, True, True),
    can_publish_in_bulk: (False, False, True, True),
    can_withdraw_in_bulk: (False, False, True, True),
    can_delete: (False, False, True, True),
    can_restore: (False, False, True, True),
    can_preview: (False, True, True, True),
}


@pytest.mark.parametrize("actor", ACTORS, indirect=True)
@pytest.mark.parametrize("action", MATRIX, ids=lambda action: action.__name__)
def test_permission_matrix(actor, action, request):
    draft = factories.AgreementFactory(state=State.DRAFT)
    expected = MATRIX[action][ACTORS.index(request.node.callspec.params["actor"])]
    assert action(actor, draft) is expected


def test_roles_are_groups_created_by_a_migration():
    editor = set(Group.objects.get(name=EDITOR).permissions.values_list("codename", flat=True))
    publisher = set(
        Group.objects.get(name=PUBLISHER).permissions.values_list("codename", flat=True)
    )
    assert "change_agreement" in editor
    assert "publish_agreement" not in editor
    assert "delete_agreement" not in editor
    assert {"publish_agreement", "delete_agreement", "publish_source"} <= publisher


def test_grant_role_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("grant_role", "nobody", "editor")


def test_grant_role_can_take_a_role_away(django_user_model):
    user = django_user_model.objects.create_user("historian", password="pw")
    call_command("grant_role", "historian", "publisher", stdout=StringIO())
    user.refresh_from_db()
    assert user.is_staff
    assert user.has_perm("cooperation.publish_agreement")
    call_command("grant_role", "historian", "publisher", "--remove", stdout=StringIO())
    user = django_user_model.objects.get(pk=user.pk)
    assert not user.has_perm("cooperation.publish_agreement")
