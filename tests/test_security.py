"""The site against the open internet: the production settings are secure by default, request
bodies are bounded, a password cannot be guessed by trying, a bad host is a line in the log."""

import datetime
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests.admin_forms import sign_in

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent

#: The README's production configuration, on a host behind a load balancer.
PRODUCTION = {
    "MEXHIST_ENV": "production",
    "DJANGO_SECRET_KEY": "x7Kq2vP9mN4sR8tW1yZ6bC3dF5gH0jL-sQ_eU2iO9pA7kM4nB8vC1xZ5wE3rT6yU",
    "DJANGO_ALLOWED_HOSTS": "history.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://history.example.org",
}


def production(*arguments, script=None, **environment):
    """Run manage.py (or a script) under the production settings, in its own process."""
    env = {**os.environ, **PRODUCTION, **environment, "DJANGO_SETTINGS_MODULE": "mexhist.settings"}
    command = [sys.executable, "-c", script] if script else [sys.executable, "manage.py"]
    return subprocess.run(
        [*command, *arguments], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_deployment_check_finds_nothing_in_the_production_configuration():
    result = production("check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_turning_https_off_is_what_the_check_warns_about():
    result = production("check", "--deploy", DJANGO_HTTPS="0")

    assert "security.W004" in result.stderr  # no HSTS
    assert "security.W012" in result.stderr  # session cookie not secure


HEADERS_SCRIPT = """
import json, django
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
client = Client(HTTP_HOST="history.example.org")
page = client.get("/health/", secure=True)
plain = client.get("/agreements/")
health = client.get("/health/")
login = client.get("/admin/login/", secure=True)
print(json.dumps({
    "page": dict(page.headers),
    "plain": [plain.status_code, plain.headers.get("Location")],
    "health": health.status_code,
    "cookies": {name: dict(morsel) for name, morsel in login.cookies.items()},
}))
"""


def test_production_pages_carry_hsts_csp_and_permissions_policy_and_redirect_plain_http(tmp_path):
    # As a deployment does, collect the static files first: production serves them by hashed name.
    static = {"DJANGO_STATIC_ROOT": str(tmp_path / "static")}
    collected = production("collectstatic", "--no-input", "-v0", **static)
    assert collected.returncode == 0, collected.stderr
    result = production(script=HEADERS_SCRIPT, DATABASE_URL="sqlite:///:memory:", **static)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    headers = seen["page"]

    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "camera=()" in headers["Permissions-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert seen["plain"] == [301, "https://history.example.org/agreements/"]
    assert seen["health"] == 200  # the load balancer checks over plain HTTP
    assert seen["cookies"]["csrftoken"]["secure"] is True


def test_a_request_body_over_the_limit_is_refused_before_it_is_read(client, settings):
    body = b"x" * (settings.REQUEST_BODY_LIMIT + 1)

    response = client.generic("POST", "/", body, content_type="application/octet-stream")

    assert response.status_code == 413
    assert f"at most {settings.REQUEST_BODY_LIMIT:,}" in response.text


def test_the_import_page_takes_a_fixture_file_but_not_more(client, settings):
    url = reverse("cooperation-import")
    within = client.generic("POST", url, b"x" * (settings.REQUEST_BODY_LIMIT + 1))
    beyond = client.generic("POST", url, b"x" * (settings.IMPORT_BODY_LIMIT + 1))

    assert within.status_code != 413  # refused further on: not signed in
    assert beyond.status_code == 413


def test_an_unreadable_content_length_is_a_bad_request(client):
    response = client.generic("POST", "/", b"", CONTENT_LENGTH="lots")

    assert response.status_code == 400


@pytest.fixture
def ana_account(django_user_model):
    return django_user_model.objects.create_user(
        "ana", password="the right password", is_staff=True
    )


def test_five_wrong_passwords_lock_the_username_even_against_the_right_one(client, ana_account):
    for _attempt in range(4):
        assert sign_in(client, "ana", "a wrong guess").status_code == 200
    assert sign_in(client, "ana", "a wrong guess").status_code == 429  # the fifth locks

    locked = sign_in(client, "ana", "the right password")

    assert locked.status_code == 429
    assert "signing in with this username or from this address is paused" in locked.text
    assert "_auth_user_id" not in client.session


def test_the_lock_holds_for_another_address_and_lifts_after_the_cool_off(client, ana_account):
    for _attempt in range(5):
        sign_in(client, "ana", "a wrong guess")
    elsewhere = client.post(
        reverse("admin:login"),
        {"username": "ana", "password": "the right password"},
        REMOTE_ADDR="203.0.113.9",
    )
    assert elsewhere.status_code == 429

    later = datetime.timedelta(minutes=16)
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(
            attempt_time=attempt.attempt_time - later
        )

    assert sign_in(client, "ana", "the right password").status_code == 302


def test_guessing_many_usernames_from_one_address_locks_the_address(client, ana_account):
    for number in range(5):
        sign_in(client, f"someone-{number}", "a guess")

    assert sign_in(client, "ana", "the right password").status_code == 429


def test_a_superuser_unlocks_in_the_admin(client, ana_account, django_user_model):
    for _attempt in range(5):
        sign_in(client, "ana", "a wrong guess")
    root = django_user_model.objects.create_superuser("root", "", "pw")
    admin = type(client)()
    admin.force_login(root)

    attempts = admin.get(reverse("admin:axes_accessattempt_changelist"))
    assert attempts.status_code == 200
    assert "ana" in attempts.text
    admin.post(
        reverse("admin:axes_accessattempt_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": list(AccessAttempt.objects.values_list("pk", flat=True)),
            "post": "yes",
        },
    )

    assert sign_in(client, "ana", "the right password").status_code == 302


def test_a_request_for_another_host_is_one_line_in_the_log(client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.security.DisallowedHost"):
        response = client.get("/", HTTP_HOST="attacker.example")

    assert response.status_code == 400
    (record,) = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    assert "attacker.example" in record.getMessage()
    assert record.exc_info is None
