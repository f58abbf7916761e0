import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_settings(**environ):
    """Import the settings in a fresh interpreter with exactly this environment."""
    env = {"PATH": os.environ["PATH"], **environ}
    return subprocess.run(
        [sys.executable, "-c", "import mexhist.settings as s; print(s.DEBUG, s.DATABASES)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_development_needs_no_configuration():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("True")
    assert "var/db.sqlite3" in result.stdout


@pytest.mark.parametrize(
    ("environ", "missing"),
    [
        ({"DJANGO_ALLOWED_HOSTS": "example.org"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "x" * 50}, "DJANGO_ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_to_start_without_its_secrets(environ, missing):
    result = load_settings(MEXHIST_ENV="production", **environ)
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr


def test_production_with_its_secrets_turns_debug_off():
    result = load_settings(
        MEXHIST_ENV="production", DJANGO_SECRET_KEY="x" * 50, DJANGO_ALLOWED_HOSTS="example.org"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("False")


def test_database_url_selects_the_database():
    result = load_settings(DATABASE_URL="postgres://user:secret@db.example:5432/mexhist")
    assert result.returncode == 0, result.stderr
    assert "django.db.backends.postgresql" in result.stdout
    assert "'NAME': 'mexhist'" in result.stdout


def test_unknown_environment_name_is_refused():
    result = load_settings(MEXHIST_ENV="prod")
    assert result.returncode != 0
    assert "MEXHIST_ENV must be" in result.stderr
