import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from cooperation.management.commands import ensure_dev_superuser
from tests.admin_forms import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def password_file(tmp_path, monkeypatch):
    path = tmp_path / "var" / "admin-password.txt"
    monkeypatch.setattr(ensure_dev_superuser, "PASSWORD_FILE", path)
    monkeypatch.setattr(ensure_dev_superuser.settings, "BASE_DIR", tmp_path)
    return path


def test_creates_an_admin_whose_saved_password_signs_in(password_file, client):
    call_command("ensure_dev_superuser")
    user, password = (line.split(": ")[1] for line in password_file.read_text().splitlines())
    assert sign_in(client, user, password).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_does_nothing_when_a_superuser_exists(password_file):
    get_user_model().objects.create_superuser("historian", "", "a-long-password")
    call_command("ensure_dev_superuser")
    assert not password_file.exists()
    assert get_user_model().objects.count() == 1


def test_creates_no_account_in_production(password_file, settings):
    settings.PRODUCTION = True
    call_command("ensure_dev_superuser")
    assert not get_user_model().objects.exists()
