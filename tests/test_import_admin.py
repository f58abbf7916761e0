"""The publishers' import page: upload, dry-run report, confirm; editors are refused."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from cooperation.models import Agreement, Revision, State

pytestmark = pytest.mark.django_db

URL = reverse("cooperation-import")


def modified_agreements():
    objects = json.loads((Path(settings.BASE_DIR) / "fixtures" / "agreements.json").read_text())
    for obj in objects:
        if obj["fields"]["slug"] == "merida-initiative":
            obj["fields"]["title"] = "Mérida Initiative (2007–2021)"
    return json.dumps(objects, ensure_ascii=False).encode()


def upload(client, data, name="agreements.json", publish=False):
    form = {"file": SimpleUploadedFile(name, data, content_type="application/json")}
    if publish:
        form["publish"] = "on"
    return client.post(URL, form)


@pytest.fixture
def publisher(client, django_user_model):
    user = django_user_model.objects.create_user("pub", password="pw")
    call_command("grant_role", "pub", "publisher", stdout=StringIO())
    client.force_login(user)
    return user


def test_upload_shows_the_dry_run_report_and_writes_nothing(article, client, publisher):
    response = upload(client, modified_agreements(), publish=True)
    assert response.status_code == 200
    report = response.context["report"]
    assert report.ok
    assert report.count("updated") == 1
    assert "Mérida Initiative (2007–2021)" in response.text
    assert "Import these records" in response.text
    assert Agreement.objects.get(slug="merida-initiative").title == "Mérida Initiative"


def test_confirming_imports_and_records_who_and_which_file(article, client, publisher):
    upload(client, modified_agreements(), publish=True)
    response = client.post(URL, {"confirm": "1"})
    assert response.status_code == 302
    merida = Agreement.objects.get(slug="merida-initiative")
    assert merida.title == "Mérida Initiative (2007–2021)"
    assert merida.state == State.PUBLISHED
    version = merida.history.first()
    assert version.history_user == publisher
    assert "agreements.json" in version.history_change_reason


def test_changes_to_published_records_wait_for_review_and_the_others_keep_their_state(
    article, client, publisher
):
    response = upload(client, modified_agreements(), publish=False)
    assert response.context["report"].count("updated") == 1
    client.post(URL, {"confirm": "1"})
    merida = Agreement.objects.get(slug="merida-initiative")
    assert merida.state == State.PUBLISHED
    assert merida.title == "Mérida Initiative"
    assert (
        Revision.objects.of(merida).open().get().fields["title"] == "Mérida Initiative (2007–2021)"
    )
    assert Agreement.objects.get(slug="rio-treaty").state == State.PUBLISHED


def test_a_bad_file_shows_its_problems_and_offers_no_import(client, publisher):
    response = upload(client, b'[{"model": "cooperation.agreement", "fields": {"slug": "x"}')
    assert response.status_code == 200
    assert "line 1, column" in response.text
    assert "Import these records" not in response.text
    assert client.post(URL, {"confirm": "1"}).status_code == 302
    assert not Agreement.objects.exists()


def test_editors_cannot_import(client, django_user_model):
    editor = django_user_model.objects.create_user("ed", password="pw")
    call_command("grant_role", "ed", "editor", stdout=StringIO())
    client.force_login(editor)
    assert client.get(URL).status_code == 403
    assert upload(client, modified_agreements()).status_code == 403


def test_the_admin_index_links_publishers_to_the_import_page(client, publisher):
    assert URL in client.get(reverse("admin:index")).text
