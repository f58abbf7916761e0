"""Reviewed changes, driven through the admin's forms: an editor's change to a published record
waits for a publisher, and readers see the published version until then. After each step the
test reads the database and the page an anonymous reader gets."""

import contextlib
import json
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client

from cooperation import revisions
from cooperation.models import Agreement, Era, Revision, RevisionStatus, Section, State
from cooperation.roles import EDITOR, PUBLISHER
from tests import factories
from tests.admin_forms import admin_url, change_form, save, signed_in

pytestmark = pytest.mark.django_db

LIVE_TITLE = "Lend-Lease agreement with Mexico"


@pytest.fixture
def second_editor(django_user_model):
    return signed_in(django_user_model, "bea", EDITOR)


@pytest.fixture
def live():
    """A published agreement, with its era and its parties."""
    era = factories.EraFactory(title="World War II")
    return factories.AgreementFactory(
        title=LIVE_TITLE, era=era, parties=factories.PartyFactory.create_batch(2)
    )


def public(record):
    """What an anonymous reader gets at the record's address: (status, page)."""
    response = Client().get(record.get_absolute_url())
    return response.status_code, response.content.decode()


def test_an_editors_change_to_a_live_record_waits_and_readers_see_the_live_version(editor, live):
    response = save(editor, live, title="Lend-Lease agreement (retitled)", _continue="1")

    assert response.status_code == 302
    assert "saved as pending changes" in editor.get(response["Location"]).content.decode()
    live.refresh_from_db()
    assert live.title == LIVE_TITLE
    assert live.is_published
    revision = Revision.objects.of(live).get()
    assert revision.status == RevisionStatus.PENDING
    assert revision.fields["title"] == "Lend-Lease agreement (retitled)"
    assert revision.author == editor.user
    status, page = public(live)
    assert status == 200
    assert LIVE_TITLE in page
    assert "retitled" not in page
    # The form opens on the pending changes, says so, and links to the comparison.
    reopened, values = change_form(editor, live)
    assert values["title"] == "Lend-Lease agreement (retitled)"
    text = reopened.content.decode()
    assert "This record is live" in text
    assert admin_url(Agreement, "review", live.pk) in text


def test_the_review_page_compares_the_pending_changes_with_the_live_record(editor, live):
    save(editor, live, body="It brought Mexico into the Lend-Lease programme in 1942.")
    party = live.parties.first()
    _page, values = change_form(editor, live)
    values["parties"] = [str(party.pk)]
    editor.post(admin_url(Agreement, "change", live.pk), values)

    review = editor.get(admin_url(Agreement, "review", live.pk)).content.decode()

    assert "<ins>It brought Mexico into the Lend-Lease programme in 1942.</ins>" in review
    assert "Removed" in review  # the party left out
    assert "Publish these changes" not in review  # an editor cannot publish


def test_submitting_lists_the_changes_for_publishers_with_who_when_and_why(editor, publisher, live):
    save(
        editor,
        live,
        title="Lend-Lease (1942)",
        change_comment="Add the year",
        _submit_for_review="1",
    )

    revision = Revision.objects.of(live).get()
    assert revision.status == RevisionStatus.SUBMITTED
    assert revision.comment == "Add the year"
    home = publisher.get("/admin/").content.decode()
    assert "Awaiting review (1)" in home
    assert LIVE_TITLE in home
    assert "ana" in home
    assert "Add the year" in home
    assert admin_url(Agreement, "review", live.pk) in home
    own = editor.get("/admin/").content.decode()
    assert "Your changes" in own
    assert "awaiting review" in own
    assert "Awaiting review (" not in own  # editors do not review
    assert "Lend-Lease (1942)" not in public(live)[1]


def test_a_publisher_publishes_the_changes_in_one_step_with_a_version(editor, publisher, live):
    save(editor, live, title="Lend-Lease (1942)", _submit_for_review="1")
    versions = live.history.count()

    response = publisher.post(admin_url(Agreement, "review", live.pk), {"action": "publish"})

    assert response.status_code == 302
    live.refresh_from_db()
    assert live.title == "Lend-Lease (1942)"
    assert live.is_published
    assert live.history.count() == versions + 1
    assert "ana" in live.history.first().history_change_reason
    assert Revision.objects.of(live).get().status == RevisionStatus.PUBLISHED
    assert not Revision.objects.of(live).open().exists()
    status, page = public(live)
    assert status == 200
    assert "Lend-Lease (1942)" in page


def test_a_publisher_sends_changes_back_with_a_comment_the_editor_reads(editor, publisher, live):
    save(editor, live, title="Lend Lease", _submit_for_review="1")

    refused = publisher.post(admin_url(Agreement, "review", live.pk), {"action": "send_back"})
    assert Revision.objects.of(live).get().status == RevisionStatus.SUBMITTED
    assert "Say why" in publisher.get(refused["Location"]).content.decode()

    publisher.post(
        admin_url(Agreement, "review", live.pk),
        {"action": "send_back", "comment": "Keep the hyphen: it is the programme's name."},
    )

    revision = Revision.objects.of(live).get()
    assert revision.status == RevisionStatus.SENT_BACK
    assert revision.reviewer == publisher.user
    page = editor.get(admin_url(Agreement, "change", live.pk)).content.decode()
    assert "Keep the hyphen: it is the programme" in page
    assert "sent them back" in page
    assert LIVE_TITLE in public(live)[1]
    save(editor, live, title="Lend-Lease agreement, corrected")
    assert Revision.objects.of(live).get().status == RevisionStatus.PENDING


def test_an_editor_cannot_publish_send_back_or_take_a_record_off_the_site(editor, live):
    save(editor, live, title="Retitled", _submit_for_review="1")
    url = admin_url(Agreement, "review", live.pk)

    assert editor.post(url, {"action": "publish"}).status_code == 403
    assert editor.post(url, {"action": "send_back", "comment": "no"}).status_code == 403
    _page, values = change_form(editor, live)
    assert "state" not in values  # read-only for an editor on a live record
    editor.post(admin_url(Agreement, "change", live.pk), {**values, "state": State.DRAFT})
    live.refresh_from_db()
    assert live.is_published
    assert public(live)[0] == 200


def test_an_editor_discards_their_own_pending_changes(editor, live):
    save(editor, live, title="A mistake")
    editor.post(admin_url(Agreement, "review", live.pk), {"action": "discard"})
    assert not Revision.objects.of(live).open().exists()
    assert change_form(editor, live)[1]["title"] == LIVE_TITLE


def test_a_new_record_is_submitted_and_published_like_a_change(editor, publisher):
    draft = factories.AgreementFactory(title="Draft accord", state=State.DRAFT)

    editor.post(
        admin_url(Agreement, "changelist"),
        {"action": "submit_for_review", "_selected_action": [draft.pk]},
    )

    draft.refresh_from_db()
    assert draft.state == State.IN_REVIEW
    assert "Draft accord" in publisher.get("/admin/").content.decode()
    assert public(draft)[0] == 404
    publisher.post(admin_url(Agreement, "review", draft.pk), {"action": "publish"})
    draft.refresh_from_db()
    assert draft.is_published
    assert public(draft)[0] == 200


def test_a_new_record_sent_back_returns_to_draft(editor, publisher):
    draft = factories.AgreementFactory(title="Draft accord", state=State.DRAFT)
    revisions.submit(draft, editor.user)
    publisher.post(
        admin_url(Agreement, "review", draft.pk),
        {"action": "send_back", "comment": "Cite a source."},
    )
    draft.refresh_from_db()
    assert draft.state == State.DRAFT
    assert "Cite a source." in editor.get(admin_url(Agreement, "change", draft.pk)).content.decode()


def test_a_publishers_save_of_the_form_publishes_the_pending_changes_it_shows(
    editor, publisher, live
):
    save(editor, live, title="Editor's title", _submit_for_review="1")

    _page, values = change_form(publisher, live)
    assert values["title"] == "Editor's title"
    publisher.post(admin_url(Agreement, "change", live.pk), values)

    live.refresh_from_db()
    assert live.title == "Editor's title"
    assert not Revision.objects.of(live).open().exists()
    assert "Editor&#x27;s title" in public(live)[1]


def test_publishing_over_a_change_made_since_asks_first(editor, publisher, live):
    save(editor, live, title="Editor's title", _submit_for_review="1")
    live.summary = "Changed by a publisher meanwhile."
    live.save()

    publisher.post(admin_url(Agreement, "review", live.pk), {"action": "publish"})
    live.refresh_from_db()
    assert live.title == LIVE_TITLE
    review = publisher.get(admin_url(Agreement, "review", live.pk)).content.decode()
    assert "Publish anyway" in review

    publisher.post(admin_url(Agreement, "review", live.pk), {"action": "publish", "force": "on"})
    live.refresh_from_db()
    assert live.title == "Editor's title"


def test_preview_shows_the_pending_changes_as_readers_will_see_them(editor, live):
    party = live.parties.first()
    _page, values = change_form(editor, live)
    values.update(title="Previewed title", parties=[str(party.pk)])
    editor.post(admin_url(Agreement, "change", live.pk), values)

    preview = editor.get(live.get_absolute_url(), {"preview": "1"}).content.decode()

    assert "<h1>Previewed title</h1>" in preview
    assert "pending changes" in preview
    assert party.title in preview
    assert all(other.title not in preview for other in live.parties.exclude(pk=party.pk))
    anonymous = Client().get(live.get_absolute_url(), {"preview": "1"}).content.decode()
    assert "Previewed title" not in anonymous
    assert f"<h1>{LIVE_TITLE}</h1>" in anonymous


def test_view_on_site_of_a_draft_opens_its_preview(publisher):
    draft = factories.AgreementFactory(state=State.DRAFT)
    page = publisher.get(admin_url(Agreement, "change", draft.pk)).content.decode()
    assert f'href="{draft.get_absolute_url()}?preview=1"' in page
    assert publisher.get(f"{draft.get_absolute_url()}?preview=1").status_code == 200


# --- Revert, withdraw and delete ask first --------------------------------------------------


def old_version(record, **changes):
    """Change the record and return the version it had before."""
    before = record.history.first()
    for name, value in changes.items():
        setattr(record, name, value)
    record.save()
    return before


def test_revert_asks_first_and_says_what_readers_will_see(publisher, live):
    version = old_version(live, title="Renamed")
    url = admin_url(Agreement, "revert", live.pk, version.history_id)

    confirmation = publisher.get(url).content.decode()
    assert "readers will see the reverted version at once" in confirmation
    assert "Renamed" in confirmation
    publisher.post(url)  # no confirmation: nothing happens
    live.refresh_from_db()
    assert live.title == "Renamed"

    publisher.post(url, {"confirm": "1"})

    live.refresh_from_db()
    assert live.title == LIVE_TITLE
    assert LIVE_TITLE in public(live)[1]


def test_an_editors_revert_of_a_live_record_becomes_pending_changes(editor, live):
    version = old_version(live, title="Renamed", state=State.PUBLISHED)
    live.history.filter(history_id=version.history_id).update(state=State.DRAFT)
    url = admin_url(Agreement, "revert", live.pk, version.history_id)

    assert "become its pending changes" in editor.get(url).content.decode()
    editor.post(url, {"confirm": "1"})

    live.refresh_from_db()
    assert live.title == "Renamed"
    assert live.is_published
    assert Revision.objects.of(live).get().fields["title"] == LIVE_TITLE
    assert public(live)[0] == 200


def test_withdrawing_in_bulk_asks_first_and_says_what_readers_lose(publisher, live):
    changelist = admin_url(Agreement, "changelist")
    chosen = {"action": "withdraw", "_selected_action": [live.pk]}

    confirmation = publisher.post(changelist, chosen).content.decode()
    assert "will no longer see this record" in confirmation
    live.refresh_from_db()
    assert live.is_published

    response = publisher.post(changelist, {**chosen, "confirm": "1"})

    live.refresh_from_db()
    assert live.state == State.WITHDRAWN
    assert public(live)[0] == 404
    assert "1 record withdrawn." in publisher.get(response["Location"]).content.decode()


def test_withdrawing_in_the_form_asks_for_confirmation(publisher, live):
    refused = save(publisher, live, state=State.WITHDRAWN)
    assert refused.status_code == 200
    assert "takes it off the site" in refused.content.decode()
    live.refresh_from_db()
    assert live.is_published

    save(publisher, live, state=State.WITHDRAWN, take_off_site="on")

    live.refresh_from_db()
    assert live.state == State.WITHDRAWN
    assert public(live)[0] == 404


def test_deleting_says_what_readers_will_see(publisher, live):
    url = admin_url(Agreement, "delete", live.pk)
    assert "readers will no longer see it" in publisher.get(url).content.decode()
    publisher.post(url, {"post": "yes"})
    assert not Agreement.objects.filter(pk=live.pk).exists()
    assert public(live)[0] == 404


def test_publishing_in_bulk_counts_in_words(publisher):
    first, *drafts = factories.AgreementFactory.create_batch(3, state=State.DRAFT)
    one = publisher.post(
        admin_url(Agreement, "changelist"),
        {"action": "publish", "_selected_action": [first.pk]},
        follow=True,
    ).content.decode()
    two = publisher.post(
        admin_url(Agreement, "changelist"),
        {
            "action": "publish",
            "_selected_action": [draft.pk for draft in drafts],
        },
        follow=True,
    ).content.decode()
    assert "1 record published." in one
    assert "2 records published." in two


# --- Restore that cannot fail half-way ------------------------------------------------------


def deleted(record):
    pk = record.pk
    record.delete()
    return record.history.model.objects.filter(id=pk, history_type="-").get()


def test_restoring_a_record_whose_slug_was_taken_offers_a_new_slug(publisher, live):
    version = deleted(live)
    factories.AgreementFactory(slug=live.slug, title="The newcomer")
    url = admin_url(Agreement, "restore", version.history_id)

    offered = publisher.post(url).content.decode()
    assert "has the slug" in offered
    assert Agreement.objects.filter(slug=live.slug).count() == 1

    publisher.post(url, {"resolve": "1", "slug": "lend-lease-restored"})

    restored = Agreement.objects.get(slug="lend-lease-restored")
    assert restored.title == LIVE_TITLE
    assert public(restored)[0] == 200


def test_restoring_a_record_whose_era_was_deleted_offers_another(publisher, live):
    era = live.era
    version = deleted(live)
    era.delete()
    other = Era.objects.create(title="Another era", slug="another-era", start_year=1941)
    url = admin_url(Agreement, "restore", version.history_id)

    assert "has been deleted since" in publisher.post(url).content.decode()
    publisher.post(url, {"resolve": "1", "era": str(other.pk)})

    assert Agreement.objects.get(title=LIVE_TITLE).era == other


# --- Concurrent edits ------------------------------------------------------------------------


def test_two_editors_pending_changes_the_second_save_is_refused_then_deliberate(
    editor, second_editor, live
):
    _page, first = change_form(editor, live)
    _page, second = change_form(second_editor, live)
    editor.post(admin_url(Agreement, "change", live.pk), {**first, "title": "Ana's title"})

    refused = second_editor.post(
        admin_url(Agreement, "change", live.pk), {**second, "summary": "Bea's summary"}
    )

    assert refused.status_code == 200
    text = refused.content.decode()
    assert "ana changed these pending changes" in text
    assert admin_url(Agreement, "review", live.pk) in text
    assert Revision.objects.of(live).get().fields["title"] == "Ana's title"
    again = refused.context["adminform"].form.data
    second_editor.post(admin_url(Agreement, "change", live.pk), again)
    assert Revision.objects.of(live).get().fields["summary"] == "Bea's summary"


def test_a_record_without_versions_is_still_protected(publisher, second_editor):
    (bulk,) = Agreement.objects.bulk_create(
        [Agreement(title="Bulk", slug="bulk", kind="treaty", scope="bilateral", status="in_force")]
    )
    _page, first = change_form(publisher, bulk)
    _page, second = change_form(publisher, bulk)
    publisher.post(admin_url(Agreement, "change", bulk.pk), {**first, "title": "First"})

    refused = publisher.post(admin_url(Agreement, "change", bulk.pk), {**second, "title": "Second"})

    assert refused.status_code == 200
    assert "changed this record" in refused.content.decode()
    assert Agreement.objects.get(pk=bulk.pk).title == "First"


def test_inline_sections_changed_since_the_page_was_opened_are_refused(publisher):
    part = factories.SectionFactory()
    child = factories.SectionFactory(kind="section", parent=part, position=1, title="Child")
    _page, opened = change_form(publisher, part)
    child.title = "Renamed elsewhere"
    child.save()

    prefix = "children-0-"
    refused = publisher.post(
        admin_url(Section, "change", part.pk), {**opened, f"{prefix}title": "Renamed inline"}
    )

    assert refused.status_code == 200
    assert "changed by someone else" in refused.content.decode()
    child.refresh_from_db()
    assert child.title == "Renamed elsewhere"


@pytest.mark.django_db(transaction=True)
def test_two_saves_at_the_same_moment_one_lands_and_the_other_is_refused(
    monkeypatch, django_user_model
):
    publishers = [signed_in(django_user_model, name, PUBLISHER) for name in ("one", "two")]
    record = factories.AgreementFactory(title="Contested", state=State.DRAFT)
    forms = [change_form(client, record)[1] for client in publishers]
    # Both saves check at once and then claim: only one claim can move the edit number.
    barrier = threading.Barrier(2, timeout=3)
    claim = Agreement.claim

    def claim_together(self, opened_on):
        # On SQLite writers take turns: the second waits for the first to commit.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return claim(self, opened_on)

    monkeypatch.setattr(Agreement, "claim", claim_together)
    results = [None, None]

    def post(index):
        try:
            response = publishers[index].post(
                admin_url(Agreement, "change", record.pk),
                {**forms[index], "title": f"Title {index}"},
            )
            results[index] = response.status_code
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=post, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == [200, 302]
    winner = results.index(302)
    assert Agreement.objects.get(pk=record.pk).title == f"Title {winner}"


# --- Imports never take a live record off the site -------------------------------------------


def test_an_import_without_publish_keeps_changes_to_live_records_for_review(article, publisher):
    from tests.test_import_admin import confirm, modified_agreements, upload

    page = upload(publisher, modified_agreements(), publish=False)
    merida = next(o for o in page.context["report"]["changed"] if o["slug"] == "merida-initiative")
    assert "wait for review" in merida["readers"]
    confirm(publisher, page)

    record = Agreement.objects.get(slug="merida-initiative")
    assert record.title == "Mérida Initiative"
    assert record.is_published
    assert Revision.objects.of(record).get().fields["title"] == "Mérida Initiative (2007–2021)"
    status, page = public(record)
    assert status == 200
    assert "(2007–2021)" not in page


def test_the_import_command_with_draft_state_keeps_changes_for_review(article, tmp_path):
    from tests.test_import_admin import modified_agreements

    path = tmp_path / "agreements.json"
    path.write_bytes(modified_agreements())
    out = StringIO()

    call_command("import_records", str(path), "--state", "draft", stdout=out)

    record = Agreement.objects.get(slug="merida-initiative")
    assert record.title == "Mérida Initiative"
    assert record.is_published
    assert Revision.objects.of(record).open().exists()
    assert "wait for review" in out.getvalue()


# --- The admin home's lists stay bounded -----------------------------------------------------


def test_the_review_lists_cost_the_same_however_many_changes_wait(
    editor, publisher, django_assert_num_queries
):
    def submit(n):
        for record in factories.AgreementFactory.create_batch(n):
            revisions.write(record, revisions.fields_of(record), editor.user)
            revisions.submit(record, editor.user, "please")

    def queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert publisher.get("/admin/").status_code == 200
        return len(captured)

    submit(2)
    few = queries()
    submit(30)
    assert queries() == few


# --- No path an editor takes changes what readers see ----------------------------------------


def change_of(live, state):
    """A fixture file that retitles ``live`` and gives it ``state``."""
    fields = {"slug": live.slug, "title": "Imported", "kind": "treaty", "scope": "bilateral"}
    fields |= {"status": "in_force", "state": state}
    return json.dumps([{"model": "cooperation.agreement", "fields": fields}])


def what_readers_see(record):
    """The pages an anonymous reader could find the record on, as they are now."""
    reader = Client()
    urls = ["/", "/agreements/", record.get_absolute_url(), "/sitemap.xml", "/eras/"]
    return {url: reader.get(url).content for url in urls}


def through_the_form(editor, live):
    save(editor, live, title="Changed in the form", summary="New summary.")


def through_the_form_and_submit(editor, live):
    save(editor, live, title="Changed and submitted", _submit_for_review="1")


def through_an_inline(editor, live):
    part = Section.objects.get(title="A part")
    child = part.children.get()
    _page, values = change_form(editor, part)
    values["children-0-title"] = "Renamed inline"
    editor.post(admin_url(Section, "change", part.pk), values)
    assert Section.objects.get(pk=child.pk).title == "Child"


def through_bulk_actions(editor, live):
    for action in ("submit_for_review", "publish", "withdraw", "delete_selected"):
        editor.post(
            admin_url(Agreement, "changelist"),
            {"action": action, "_selected_action": [live.pk], "confirm": "1", "post": "yes"},
        )


def through_a_revert(editor, live):
    version = live.history.get(title="An older title")
    editor.post(admin_url(Agreement, "revert", live.pk, version.history_id), {"confirm": "1"})
    assert Revision.objects.of(live).get().fields["title"] == "An older title"


def through_delete_and_restore(editor, live):
    editor.post(admin_url(Agreement, "delete", live.pk), {"post": "yes"})
    version = live.history.first()
    editor.post(admin_url(Agreement, "restore", version.history_id))


def through_the_admin_import(editor, live):
    from tests.test_import_admin import upload

    text = change_of(live, "published")
    assert upload(editor, text.encode(), publish=True).status_code == 403
    assert editor.post("/admin/import/1/", {"confirm": "1"}).status_code == 403


def through_the_import_command(editor, live):
    import tempfile
    from pathlib import Path

    text = change_of(live, "draft")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "change.json"
        path.write_text(text)
        call_command("import_records", str(path), stdout=StringIO())
        call_command("import_records", str(path), "--state", "draft", stdout=StringIO())


@pytest.mark.parametrize(
    "path",
    [
        through_the_form,
        through_the_form_and_submit,
        through_an_inline,
        through_bulk_actions,
        through_a_revert,
        through_delete_and_restore,
        through_the_admin_import,
        through_the_import_command,
    ],
    ids=lambda path: path.__name__,
)
def test_no_path_an_editor_takes_changes_what_readers_see(editor, live, path):
    for title in ("An older title", LIVE_TITLE):  # a past to revert to
        live.title = title
        live.save()
    part = factories.SectionFactory(title="A part")  # a part with a section, to edit inline
    factories.SectionFactory(kind="section", parent=part, position=1, title="Child")
    before = what_readers_see(live)
    path(editor, live)
    live.refresh_from_db()
    assert live.is_published
    assert what_readers_see(live) == before
