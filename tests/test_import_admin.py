"""The publishers' import page: upload, dry-run report, confirm; editors are refused."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from cooperation.models import Agreement, ImportJob, ImportStatus, Revision, State

pytestmark = pytest.mark.django_db

URL = reverse("cooperation-import")


def modified_agreements():
    objects = json.loads((Path(settings.BASE_DIR) / "fixtures" / "agreements.json").read_text())
    for obj in objects:
        if obj["fields"]["slug"] == "merida-initiative":
            obj["fields"]["title"] = "Mérida Initiative (2007–2021)"
    return json.dumps(objects, ensure_ascii=False).encode()


def upload(client, data, name="agreements.json", publish=False):
    """Upload a file as a publisher does; the page the upload leads to (the checked file)."""
    form = {"file": SimpleUploadedFile(name, data, content_type="application/json")}
    if publish:
        form["publish"] = "on"
    return client.post(URL, form, follow=True)


def confirm(client, page):
    """Press "Import these records" on a checked file's page."""
    return client.post(page.request["PATH_INFO"], {"confirm": "1"}, follow=True)


@pytest.fixture
def publisher(client, django_user_model):
    user = django_user_model.objects.create_user("pub", password="pw")
    call_command("grant_role", "pub", "publisher", stdout=StringIO())
    client.force_login(user)
    return user


def test_upload_shows_the_dry_run_report_and_writes_nothing(article, client, publisher):
    page = upload(client, modified_agreements(), publish=True)
    assert page.status_code == 200
    report = page.context["report"]
    assert report["ok"]
    assert report["counts"]["updated"] == 1
    assert "Mérida Initiative (2007–2021)" in page.text
    assert "Import these records" in page.text
    assert Agreement.objects.get(slug="merida-initiative").title == "Mérida Initiative"
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.CHECKED
    assert bytes(job.data) == modified_agreements()  # kept in the job, not the session
    assert "cooperation_pending_import" not in client.session


def test_confirming_imports_and_records_who_and_which_file(article, client, publisher):
    page = confirm(client, upload(client, modified_agreements(), publish=True))
    assert "Imported:" in page.text
    merida = Agreement.objects.get(slug="merida-initiative")
    assert merida.title == "Mérida Initiative (2007–2021)"
    assert merida.state == State.PUBLISHED
    version = merida.history.first()
    assert version.history_user == publisher
    assert "agreements.json" in version.history_change_reason
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.IMPORTED
    assert bytes(job.data) == b""  # dropped once imported
    again = confirm(client, page)  # a second press imports nothing more
    assert "not waiting to be imported" in again.text


def test_changes_to_published_records_wait_for_review_and_the_others_keep_their_state(
    article, client, publisher
):
    page = upload(client, modified_agreements(), publish=False)
    assert page.context["report"]["counts"]["updated"] == 1
    confirm(client, page)
    merida = Agreement.objects.get(slug="merida-initiative")
    assert merida.state == State.PUBLISHED
    assert merida.title == "Mérida Initiative"
    pending = Revision.objects.of(merida).open().get()
    assert pending.fields["title"] == "Mérida Initiative (2007–2021)"
    assert Agreement.objects.get(slug="rio-treaty").state == State.PUBLISHED


def test_a_bad_file_shows_its_problems_and_offers_no_import(client, publisher):
    page = upload(client, b'[{"model": "cooperation.agreement", "fields": {"slug": "x"}')
    assert page.status_code == 200
    assert "line 1, column" in page.text
    assert "Import these records" not in page.text
    assert "not waiting to be imported" in confirm(client, page).text
    assert not Agreement.objects.exists()
    assert ImportJob.objects.get().status == ImportStatus.REFUSED


def test_another_publishers_upload_is_not_theirs_to_see(client, publisher, django_user_model):
    page = upload(client, modified_agreements())
    other = django_user_model.objects.create_user("other", password="pw")
    call_command("grant_role", "other", "publisher", stdout=StringIO())
    client.force_login(other)
    assert client.get(page.request["PATH_INFO"]).status_code == 404


def test_editors_cannot_import(client, django_user_model):
    editor = django_user_model.objects.create_user("ed", password="pw")
    call_command("grant_role", "ed", "editor", stdout=StringIO())
    client.force_login(editor)
    assert client.get(URL).status_code == 403
    assert upload(client, modified_agreements()).status_code == 403


def test_the_admin_index_links_publishers_to_the_import_page(client, publisher):
    assert URL in client.get(reverse("admin:index")).text
