"""`make serve` starts the production stack and serves pages and static files."""

import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


class Served(str):
    """The served site's address, with its environment and the log of make serve."""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """make serve, started once for the module's tests."""
    tmp_path = tmp_path_factory.mktemp("serve")
    port = free_port()
    log = tmp_path / "serve.log"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SECRET_KEY": "a-test-secret-key-that-is-long-enough-for-the-production-check",
        "WEB_CONCURRENCY": "1",
        "DJANGO_HTTPS": "0",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    output = log.open("w")
    process = subprocess.Popen(
        ["make", "serve", "HOST=127.0.0.1", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = Served(f"http://127.0.0.1:{port}")
    base.env, base.log = env, log
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, log.read_text()
                time.sleep(0.5)
        else:
            pytest.fail("make serve did not start listening within 120 s")
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        output.close()


def test_make_serve_serves_pages_and_static_files_in_production_mode(served):
    status, _headers, page = get(served + "/")
    assert status == 200
    assert "US-Mexico Military Alliances and Defense Cooperation" in page
    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page)
    assert stylesheet, "static files are served under hashed names"
    status, headers, css = get(served + stylesheet.group(1))
    assert status == 200
    assert "immutable" in headers["Cache-Control"]
    assert ".site-header" in css
    status, _headers, page = get(served + "/no-such-page/")
    assert status == 404
    assert "Start from the article" in page
    assert "Traceback" not in page


def test_make_serve_is_secure_by_default_and_says_when_https_is_off(served):
    _status, headers, _page = get(served + "/")
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "camera=()" in headers["Permissions-Policy"]
    assert "HTTPS is off (DJANGO_HTTPS=0)" in served.log.read_text()


WAIT_FOR_THE_WORKER = """
import time, django
django.setup()
from django.contrib.auth.models import User
from cooperation.models import ImportJob
from cooperation.tasks import check_import
user = User.objects.create_user("worker-test")
job = ImportJob.objects.create(user=user, name="empty.json", data=b"[]")
check_import.enqueue(job.pk)
deadline = time.monotonic() + 60
while ImportJob.objects.get(pk=job.pk).status == "checking" and time.monotonic() < deadline:
    time.sleep(0.5)
print(ImportJob.objects.get(pk=job.pk).status)
"""


def test_make_serve_runs_a_worker_for_long_imports(served):
    """An upload is checked by the worker make serve starts, off the request path."""
    env = {**served.env, "MEXHIST_ENV": "production", "DJANGO_SETTINGS_MODULE": "mexhist.settings"}
    env["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1"
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-c", WAIT_FOR_THE_WORKER],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip().splitlines()[-1] == "refused", result.stderr  # an empty list
