"""`make bench`: response times and SQL query counts of the public pages as the data grows.

For each backend (SQLite always; PostgreSQL when `scripts/postgres start` works) and each size,
it builds a database of that many synthetic agreements beside the article's records, serves it
with `make serve` (gunicorn, production settings, one worker) and measures every kind of page
over HTTP, twice:

- cold: ``MEXHIST_PAGE_CACHE=0``, every cache off;
- warm: ``MEXHIST_PAGE_CACHE=1``, production caching: revisits sending the validator of the
  first response (expected to be answered 304), then plain requests answered from the page
  cache.

Beside SQLite, Datasette serves the same database file with its defaults, and its table page
for agreements is measured with the same facets and filters as our agreement list.

How it measures: each request opens a new connection (gunicorn's sync workers close them
anyway) and is timed with ``time.perf_counter()`` from connecting until the whole body is read.
After 3 warm-up requests, ``--requests`` samples give the median (``statistics.median``) and
the 95th percentile (``statistics.quantiles(samples, n=20)[18]``, the default "exclusive"
method). Only one server runs at a time. The query count is the ``X-Query-Count`` header that
``MEXHIST_QUERY_COUNT=1`` adds. Every figure is also given as a ratio to the floor, ``/health/``
(no query: the cost of a request through the middleware), on the same backend, size and mode,
and to the same page at 1,000 agreements.

SQLite databases are kept in var/bench/agreements-<N>.sqlite3 and reused while their stamp
matches (same size, seed, generator and fixtures); ``--rebuild`` builds them again. PostgreSQL
databases (bench_<N>) live in a throwaway cluster that is made at the start of each run and
deleted at its end, so they are built every run.

The run goes size by size, each backend in turn. The filters of the agreement list are the
largest of the synthetic data (the era with most agreements, its most common kind, the threat
most addressed); the detail and section pages are the article's own records.

The exit status is 0 whether the targets are met or missed (this is a measurement), and 1 on
an error: a server that does not start, a build that fails, or a request that fails or answers
with an unexpected status, which is never counted as a timing. What was measured until then is
still printed and written, marked incomplete. ``--skip PAGE`` leaves a page out.
"""

# The report writes ratios with the multiplication sign.
# ruff: noqa: RUF001, RUF002

import argparse
import contextlib
import datetime
import hashlib
import http.client
import json
import os
import platform
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
# What a bench database depends on: a change to the generator or the schema makes the bench
# rebuild it.
GENERATOR = (
    ROOT / "cooperation" / "management" / "commands" / "generate_synthetic.py",
    ROOT / "cooperation" / "synthetic.py",
    ROOT / "cooperation" / "search.py",  # the full-text index is built with the records
    *sorted((ROOT / "cooperation" / "migrations").glob("0*.py")),
)
FIXTURES = ROOT / "fixtures"

WARMUP = 3
PAGE_SIZE = 25  # the agreement list's paginate_by
DEEP_PAGE = 200
BASELINE_SIZE = 1_000
HOST = "127.0.0.1"
# The bench's own PostgreSQL port, so that it never stops a cluster `make test-postgres` uses.
POSTGRES_PORT = "54339"
# `make serve` migrates, loads the article if needed and collects static files before listening.
SERVER_START_SECONDS = 300
REQUEST_TIMEOUT_SECONDS = 300

# Records of the article's fixtures, which every bench database holds.
SECTION = "post-9-11-security-cooperation"
ERA = "post-9-11"
AGREEMENT = "merida-initiative"
INITIATIVE = "counter-narcotics-intelligence-operations"
THREAT = "drug-trafficking"
EVENT = "september-11-attacks"
PARTY = "mexico"

# The agreement list's facets on single-valued columns. Its party and threat facets go through
# many-to-many tables, which a Datasette table page cannot facet on.
DATASETTE_FACETS = ("era_id", "kind", "scope", "status")
DATASETTE_TABLE = "cooperation_agreement"
DATASETTE_THREAT_LINKS = "cooperation_agreement_threats"

COLD, WARM_304, WARM_HIT = "cold", "warm 304", "warm hit"
MODES = (COLD, WARM_304, WARM_HIT)
FLOOR = "floor /health/"

# Page groups, for the targets.
FLOOR_GROUP = "floor"
HOME = "home"
SECTION_PAGE = "section"
ERA_LIST = "era list"
LIST = "list"
AGREEMENTS = "agreements"
DETAIL = "detail"
SEARCH = "search"
TIMELINE = "timeline"
# The pages whose work should not grow with the number of agreements (target 2).
FLAT_GROUPS = (HOME, SECTION_PAGE, ERA_LIST, DETAIL, TIMELINE)

# Searched for, beside Datasette's full-text search of the agreements: a word in most records,
# a word in the article's records alone, and a phrase.
COMMON_WORD, RARE_WORD, PHRASE = "mexico", "merida", '"joint training"'
SEARCHES = (
    ("search, common word", COMMON_WORD),
    ("search, rare word", RARE_WORD),
    ("search, phrase", PHRASE),
)
LIST_SEARCHES = (("agreements, search common", COMMON_WORD), ("agreements, search rare", RARE_WORD))
# Datasette's full-text table for agreements, as `sqlite-utils enable-fts` makes it (FTS5, the
# table as external content, no triggers): Datasette finds it by its name.
DATASETTE_FTS = f"{DATASETTE_TABLE}_fts"
DATASETTE_FTS_COLUMNS = ("title", "summary", "body")


class BenchError(Exception):
    """Stops the run: the message says what failed and where."""


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    group: str
    note: str = ""


@dataclass
class Database:
    backend: str
    size: int
    url: str
    facts: dict
    path: Path | None = None
    build: dict = field(default_factory=dict)


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    seconds: float


# --- Running commands and servers -----------------------------------------------------------


def run(command, *, env=None, capture=False):
    """Runs a command of this project (make, manage.py, scripts/postgres) from its root."""
    return subprocess.run(  # noqa: S603 — fixed commands of this project, no shell
        command,
        cwd=ROOT,
        env=env,
        check=False,
        text=True,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.PIPE if capture else None,
    )


def manage(*arguments, database_url):
    command = [sys.executable, "manage.py", *arguments]
    result = run(command, env={**os.environ, "DATABASE_URL": database_url})
    if result.returncode != 0:
        raise BenchError(f"`manage.py {' '.join(arguments)}` failed (exit {result.returncode})")


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def answering(port):
    try:
        socket.create_connection((HOST, port), timeout=1).close()
    except OSError:
        return False
    return True


def log_tail(path, lines=30):
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])


@contextlib.contextmanager
def server(command, *, env, port, log_path, label):
    """Runs a server in its own process group until the block ends, then stops the whole group
    and waits until the port is closed, so that no two servers are ever under load at once."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 — fixed commands of this project, no shell
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + SERVER_START_SECONDS
            while not answering(port):
                if process.poll() is not None:
                    raise BenchError(
                        f"{label} exited ({process.returncode}) before answering; the end of "
                        f"its log ({log_path.relative_to(ROOT)}):\n{log_tail(log_path)}"
                    )
                if time.monotonic() > deadline:
                    raise BenchError(f"{label} did not answer within {SERVER_START_SECONDS} s")
                time.sleep(0.25)
            try:
                yield
            except BenchError as error:
                raise BenchError(
                    f"{error}\nThe end of the log of {label} ({log_path.relative_to(ROOT)}):\n"
                    f"{log_tail(log_path, 8)}"
                ) from None
        finally:
            stop_process_group(process)
            deadline = time.monotonic() + 30
            while answering(port) and time.monotonic() < deadline:
                time.sleep(0.25)


def stop_process_group(process):
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def server_environment(**variables):
    env = {**os.environ, **variables}
    # `make bench` runs this script: the inner `make serve` must not inherit its flags and
    # command-line variables (PORT=… given to `make bench` would override ours).
    for name in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    return env


def serve_ours(database, *, cache, log_path):
    """`make serve` itself, so that the bench runs exactly the production stack."""
    port = free_port()
    env = server_environment(
        DATABASE_URL=database.url,
        DJANGO_HTTPS="0",  # plain HTTP on this machine
        MEXHIST_QUERY_COUNT="1",
        MEXHIST_PAGE_CACHE="1" if cache else "0",
    )
    command = ["make", "--no-print-directory", "serve", f"HOST={HOST}", f"PORT={port}", "WORKERS=1"]
    label = f"make serve ({database.backend}, {database.size:,} agreements)"
    return port, server(command, env=env, port=port, log_path=log_path, label=label)


def serve_datasette(database, *, log_path):
    """Datasette with its defaults but the port, on the same file, opened immutable."""
    port = free_port()
    # Datasette listens on 127.0.0.1 by default, as ours does.
    command = [sys.executable, "-m", "datasette", "serve", "--immutable", str(database.path)]
    command += ["--port", str(port)]
    label = f"Datasette ({database.size:,} agreements)"
    return port, server(
        command, env=server_environment(), port=port, log_path=log_path, label=label
    )


# --- HTTP -----------------------------------------------------------------------------------


def fetch(port, path, headers=None):
    """One GET on a new connection, timed from connecting to having read the whole body."""
    start = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_SECONDS)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException) as error:
        raise BenchError(
            f"GET http://{HOST}:{port}{path} failed: {error!r}. A server that closes the "
            "connection without answering has usually lost its worker: gunicorn kills one that "
            "spends more than 30 s on a request (see the log below). `--skip PAGE` leaves a "
            "page out to measure the others."
        ) from error
    finally:
        connection.close()
    return Response(response.status, response.headers, body, time.perf_counter() - start)


def checked(response, port, path, allowed):
    if response.status not in allowed:
        text = response.body.decode(errors="replace")
        # An HTML error page says what it is in its title; anything else is shown as it starts.
        title = re.search(r"<title>(.*?)</title>", text, re.DOTALL)
        excerpt = f"The page's title: {title.group(1).strip()}" if title else text[:300].strip()
        raise BenchError(
            f"GET http://{HOST}:{port}{path} answered {response.status}, expected "
            f"{' or '.join(map(str, allowed))}; the run stops rather than time an error."
            f"\n{excerpt}"
        )
    return response


def requests(port, path, count, *, headers=None, allowed=(200,)):
    return [checked(fetch(port, path, headers), port, path, allowed) for _ in range(count)]


def summary(responses):
    """Median and 95th percentile in milliseconds, the statuses and the query counts."""
    milliseconds = [response.seconds * 1000 for response in responses]
    queries = [response.headers.get("X-Query-Count") for response in responses]
    counted = Counter(int(q) for q in queries if q is not None)
    return {
        "median_ms": statistics.median(milliseconds),
        "p95_ms": statistics.quantiles(milliseconds, n=20)[18]
        if len(milliseconds) > 1
        else milliseconds[0],
        "statuses": dict(Counter(str(response.status) for response in responses)),
        # The most frequent count; every count seen is kept too, should they differ.
        "queries": counted.most_common(1)[0][0] if counted else None,
        "queries_seen": sorted(counted),
        "samples_ms": [round(ms, 3) for ms in milliseconds],
    }


# --- Databases ------------------------------------------------------------------------------


def file_digest(*paths):
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"missing")
    return digest.hexdigest()


def stamp_for(size, seed):
    """What a built database depends on: reused only while all of it is unchanged."""
    return {
        "agreements": size,
        "seed": seed,
        "generator": file_digest(*GENERATOR),
        "fixtures": file_digest(*sorted(FIXTURES.glob("*.json"))),
    }


def build_steps(database_url, size, seed):
    """Fills an empty database: migrate, the article's records, then the synthetic records.
    Returns the seconds each step took."""
    steps = {}
    for name, arguments in (
        ("migrate", ("migrate", "--no-input", "-v0")),
        ("load_article", ("load_article",)),
        (
            "generate_synthetic",
            ("generate_synthetic", "--agreements", str(size), "--seed", str(seed)),
        ),
    ):
        print(f"    {name} …", flush=True)
        start = time.perf_counter()
        manage(*arguments, database_url=database_url)
        steps[name] = round(time.perf_counter() - start, 2)
        print(f"    {name}: {steps[name]:.1f} s", flush=True)
    return steps


def sqlite_database(size, seed, *, rebuild):
    """The SQLite file for ``size``: reused if its stamp matches, else built under another name
    and renamed when complete, so that a half-built file is never taken for a finished one."""
    path = BENCH_DIR / f"agreements-{size}.sqlite3"
    stamp_path = path.with_name(path.name + ".stamp")
    expected = stamp_for(size, seed)
    if not rebuild and path.exists() and stamp_path.exists():
        stamp = json.loads(stamp_path.read_text())
        if {key: stamp.get(key) for key in expected} == expected:
            print(f"    reusing {path.relative_to(ROOT)} (built {stamp['built_at']})")
            url = f"sqlite:///{path}"
            return Database("sqlite", size, url, {}, path, {"reused": True, **stamp["steps"]})
    stamp_path.unlink(missing_ok=True)
    path.unlink(missing_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    steps = build_steps(f"sqlite:///{partial}", size, seed)
    partial.rename(path)
    built_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    stamp_path.write_text(json.dumps({**expected, "built_at": built_at, "steps": steps}))
    return Database("sqlite", size, f"sqlite:///{path}", {}, path, {"reused": False, **steps})


@contextlib.contextmanager
def postgres_cluster():
    """The throwaway cluster of scripts/postgres on the bench's own port: yields its URL, or
    None with the reason it could not start. It is stopped and deleted afterwards."""
    env = {**os.environ, "MEXHIST_PG_PORT": POSTGRES_PORT}
    # A cluster left by an interrupted run on the bench's port is the bench's own: start afresh.
    run(["scripts/postgres", "stop"], env=env, capture=True)
    started = run(["scripts/postgres", "start"], env=env, capture=True)
    try:
        if started.returncode != 0:
            reason = (started.stderr or started.stdout).strip().splitlines()
            yield None, reason[-1] if reason else f"exit status {started.returncode}"
        else:
            yield started.stdout.strip().splitlines()[-1], None
    finally:
        run(["scripts/postgres", "stop"], env=env, capture=True)


def with_database_name(url, name):
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def postgres_database(cluster_url, size, seed):
    import psycopg  # a dependency of the project, used here only to create the database
    from psycopg import sql

    name = f"bench_{size}"
    with psycopg.connect(with_database_name(cluster_url, "postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_database_name(cluster_url, name)
    steps = build_steps(url, size, seed)
    return Database("postgres", size, url, {}, None, {"reused": False, **steps})


# What the pages and Datasette's equivalents need to know of a database, asked through Django
# so that it is the same on both backends. The filters are the largest of each kind: the
# synthetic agreements have eras and threats of their own, not the article's, so a filter on an
# article's era would only select the article's few agreements.
FACTS_SCRIPT = """
import json, math, sys
import django
django.setup()
from django.db.models import Count, Q
from cooperation.models import Agreement, Era, State, Threat
page_size, deep_page = int(sys.argv[1]), int(sys.argv[2])
published = Agreement.objects.published()
count = published.count()
pages = max(1, math.ceil(count / page_size))
page = min(deep_page, pages)
skipped = (page - 1) * page_size
in_datasette_order = Agreement.objects.order_by("pk").values_list("pk", flat=True)
counted = Count("agreements", filter=Q(agreements__state=State.PUBLISHED))
era = Era.objects.published().annotate(n=counted).order_by("-n", "slug").first()
threat = Threat.objects.published().annotate(n=counted).order_by("-n", "slug").first()
kind = (
    published.filter(era=era).values("kind").annotate(n=Count("pk")).order_by("-n", "kind")
)[0]["kind"]
print(json.dumps({
    "agreements": Agreement.objects.count(),
    "published_agreements": count,
    "pages": pages,
    "deep_page": page,
    "filters": {"era": era.slug, "kind": kind, "threat": threat.slug},
    "era_id": era.pk,
    "threat_id": threat.pk,
    "datasette_next": str(in_datasette_order[skipped - 1]) if skipped else None,
}))
"""


def database_facts(database):
    env = {**os.environ, "DATABASE_URL": database.url, "DJANGO_SETTINGS_MODULE": "mexhist.settings"}
    arguments = [str(PAGE_SIZE), str(DEEP_PAGE)]
    result = run([sys.executable, "-c", FACTS_SCRIPT, *arguments], env=env, capture=True)
    if result.returncode != 0:
        raise BenchError(f"Could not read the bench database {database.url}:\n{result.stderr}")
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    print(
        f"    {facts['published_agreements']:,} published agreements of {facts['agreements']:,};"
        f" filters: {urlencode(facts['filters'])}",
        flush=True,
    )
    return facts


# --- Pages ----------------------------------------------------------------------------------


def our_pages(facts):
    deep = facts["deep_page"]
    one_filter = {"era": facts["filters"]["era"]}
    deep_note = (
        ""
        if deep == DEEP_PAGE
        else f"only {facts['pages']} pages at {facts['published_agreements']:,} published "
        f"agreements: the last page, {deep}, is measured instead of page {DEEP_PAGE}"
    )
    return [
        Page(FLOOR, "/health/", FLOOR_GROUP),
        Page("home /", "/", HOME),
        Page("section", f"/article/{SECTION}/", SECTION_PAGE),
        Page("/eras/", "/eras/", ERA_LIST),
        Page("/agreements/", "/agreements/", AGREEMENTS),
        Page("/initiatives/", "/initiatives/", LIST),
        Page("/threats/", "/threats/", LIST),
        Page("/parties/", "/parties/", LIST),
        Page("/sources/", "/sources/", LIST),
        Page("agreements, 1 filter", f"/agreements/?{urlencode(one_filter)}", AGREEMENTS),
        Page("agreements, 3 filters", f"/agreements/?{urlencode(facts['filters'])}", AGREEMENTS),
        Page(f"agreements, page {DEEP_PAGE}", f"/agreements/?page={deep}", AGREEMENTS, deep_note),
        Page("era detail", f"/eras/{ERA}/", DETAIL),
        Page("agreement detail", f"/agreements/{AGREEMENT}/", DETAIL),
        Page("initiative detail", f"/initiatives/{INITIATIVE}/", DETAIL),
        Page("threat detail", f"/threats/{THREAT}/", DETAIL),
        Page("event detail", f"/events/{EVENT}/", DETAIL),
        Page("party detail", f"/parties/{PARTY}/", DETAIL),
        *(Page(name, f"/search/?{urlencode({'q': words})}", SEARCH) for name, words in SEARCHES),
        *(
            Page(name, f"/agreements/?{urlencode({'q': words})}", AGREEMENTS)
            for name, words in LIST_SEARCHES
        ),
        Page("timeline", "/timeline/", TIMELINE),
        Page("timeline, 1 filter", f"/timeline/?{urlencode(one_filter)}", TIMELINE),
    ]


def datasette_pages(database):
    """Datasette's table page equivalent to each of our agreement list pages: 25 rows, facets
    on the same single-valued columns, the same filters, and the same rows' offset."""
    facts = database.facts
    base = f"/{database.path.stem}/{DATASETTE_TABLE}?"
    common = [("_size", str(PAGE_SIZE)), *(("_facet", column) for column in DATASETTE_FACETS)]
    era = [("era_id", str(facts["era_id"]))]
    threat = {
        "table": DATASETTE_THREAT_LINKS,
        "column": "threat_id",
        "value": str(facts["threat_id"]),
    }
    three = [
        *era,
        ("kind", facts["filters"]["kind"]),
        ("_through", json.dumps(threat, separators=(",", ":"))),
    ]
    # Datasette pages by keyset: _next is the primary key of the last row before the page.
    deep = [("_next", facts["datasette_next"])] if facts["datasette_next"] else []
    return [
        Page("/agreements/", base + urlencode(common), AGREEMENTS),
        Page("agreements, 1 filter", base + urlencode(common + era), AGREEMENTS),
        Page("agreements, 3 filters", base + urlencode(common + three), AGREEMENTS),
        Page(f"agreements, page {DEEP_PAGE}", base + urlencode(common + deep), AGREEMENTS),
        # Datasette has no search across tables: its search of the agreements, with the list's
        # facets, stands beside both our site-wide search and the list's q.
        *(
            Page(name, base + urlencode([*common, ("_search", words)]), SEARCH)
            for name, words in (*SEARCHES, *LIST_SEARCHES)
        ),
    ]


def enable_datasette_fts(path):
    """Give the file the full-text table Datasette searches, as `sqlite-utils enable-fts
    TABLE title summary body` makes it (FTS5, external content, populated, no triggers), if it
    has none yet. Our own pages never read it."""
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        exists = db.execute(
            "SELECT 1 FROM sqlite_master WHERE name = ?", [DATASETTE_FTS]
        ).fetchone()
        if exists:
            return
        columns = ", ".join(f"[{column}]" for column in DATASETTE_FTS_COLUMNS)
        db.execute(
            f"CREATE VIRTUAL TABLE [{DATASETTE_FTS}] USING FTS5 ({columns}, "
            f"content=[{DATASETTE_TABLE}])"
        )
        copy = f"INSERT INTO [{DATASETTE_FTS}] (rowid, {columns}) SELECT rowid, {columns} "
        db.execute(copy + f"FROM [{DATASETTE_TABLE}]")


# --- Measuring ------------------------------------------------------------------------------


def row(page, database, mode, responses, **extra):
    return {
        "page": page.name,
        "path": page.path,
        "backend": database.backend,
        "size": database.size,
        "mode": mode,
        **summary(responses),
        **({"note": page.note} if page.note else {}),
        **extra,
    }


def progress(result):
    queries = "" if result["queries"] is None else f", queries {format_queries(result)}"
    statuses = ", ".join(f"{count}× {status}" for status, count in result["statuses"].items())
    print(
        f"    {result['mode']:<9} {result['page']:<22} median {result['median_ms']:8.1f} ms"
        f"  p95 {result['p95_ms']:8.1f} ms{queries} ({statuses})",
        flush=True,
    )


def measure_cold(port, pages, database, count):
    results = []
    for page in pages:
        responses = requests(port, page.path, WARMUP + count)
        results.append(row(page, database, COLD, responses[WARMUP:]))
        progress(results[-1])
    return results


def validator_headers(response):
    """The validator a browser would send back: the ETag, else the Last-Modified date."""
    if etag := response.headers.get("ETag"):
        return {"If-None-Match": etag}, "ETag"
    if last_modified := response.headers.get("Last-Modified"):
        return {"If-Modified-Since": last_modified}, "Last-Modified"
    return {}, None


def measure_warm(port, pages, database, count):
    results = []
    for page in pages:
        first, *_rest = requests(port, page.path, WARMUP)
        headers, validator = validator_headers(first)
        # A page without a validator (the floor) is revisited without one: its row then times
        # plain requests, and its status says it was not a 304.
        revisits = requests(port, page.path, count, headers=headers, allowed=(200, 304))
        results.append(row(page, database, WARM_304, revisits, validator=validator))
        progress(results[-1])
        hits = requests(port, page.path, count)
        results.append(row(page, database, WARM_HIT, hits))
        progress(results[-1])
    return results


def measure_datasette(port, pages, database, count):
    results = []
    for page in pages:
        responses = requests(port, page.path, WARMUP + count)[WARMUP:]
        # Datasette gives up a facet after facet_time_limit_ms (200 ms by default) and says so
        # on the page: such a page did less work than ours, which always counts every facet.
        timed_out = sum(b"These facets timed out" in response.body for response in responses)
        result = row(page, database, "datasette", responses, facets_timed_out=timed_out)
        result["backend"] = "datasette"
        results.append(result)
        progress(result)
    return results


# --- Reporting ------------------------------------------------------------------------------


def format_queries(result):
    seen = result.get("queries_seen") or []
    if not seen:
        return "–"
    return str(seen[0]) if len(seen) == 1 else f"{seen[0]}–{seen[-1]}"


def ratio(value, base):
    return round(value / base, 3) if value is not None and base else None


def add_ratios(results, baseline_size):
    """×floor: to /health/ on the same backend, size and mode; ×1k: to the same page, backend
    and mode at the baseline size. Of the medians, and in the JSON of the p95s too."""
    by_key = {(r["page"], r["backend"], r["size"], r["mode"]): r for r in results}
    for result in results:
        floor = by_key.get((FLOOR, result["backend"], result["size"], result["mode"])) or {}
        baseline = by_key.get((result["page"], result["backend"], baseline_size, result["mode"]))
        baseline = baseline or {}
        for figure, suffix in (("median_ms", ""), ("p95_ms", "_p95")):
            result[f"x_floor{suffix}"] = ratio(result[figure], floor.get(figure))
            result[f"x_1k{suffix}"] = ratio(result[figure], baseline.get(figure))


def times(value):
    return "–" if value is None else f"{value:.2f}"


def print_table(headings, rows, *, align):
    """A plain-text table, each column aligned as ``align`` says ("l" or "r" per column), with
    a blank line whenever the first column changes."""
    widths = [
        max(len(str(cell)) for cell in column) for column in zip(headings, *rows, strict=True)
    ]

    def line(cells):
        return "  ".join(
            str(cell).ljust(width) if side == "l" else str(cell).rjust(width)
            for cell, width, side in zip(cells, widths, align, strict=True)
        ).rstrip()

    print(line(headings))
    print(line(["-" * width for width in widths]))
    previous = None
    for cells in rows:
        if previous is not None and cells[0] != previous:
            print()
        previous = cells[0]
        print(line(cells))


def results_table(results, pages_order, backends):
    order = {name: index for index, name in enumerate(pages_order)}
    rows = sorted(
        results,
        key=lambda r: (
            order[r["page"]],
            backends.index(r["backend"]),
            r["size"],
            MODES.index(r["mode"]),
        ),
    )
    return [
        [
            r["page"],
            r["backend"],
            f"{r['size']:,}",
            r["mode"] + ("" if r["mode"] != WARM_304 else f" ({'/'.join(r['statuses'])})"),
            f"{r['median_ms']:.1f}",
            f"{r['p95_ms']:.1f}",
            format_queries(r),
            times(r["x_floor"]),
            times(r["x_1k"]),
        ]
        for r in rows
    ]


def side_by_side(results, datasette):
    """Per size and page: Datasette's median, ours cold on SQLite, and ours / Datasette."""
    ours = {
        (r["page"], r["size"]): r for r in results if r["backend"] == "sqlite" and r["mode"] == COLD
    }
    comparison = []
    for theirs in datasette:
        mine = ours.get((theirs["page"], theirs["size"]))
        comparison.append(
            {
                "page": theirs["page"],
                "size": theirs["size"],
                "datasette_path": theirs["path"],
                "datasette_median_ms": theirs["median_ms"],
                "ours_cold_median_ms": mine and mine["median_ms"],
                "ours_over_datasette": ratio(mine and mine["median_ms"], theirs["median_ms"]),
                "datasette_facets_timed_out": theirs["facets_timed_out"],
            }
        )
    return comparison


def check(passed, text):
    return {"pass": passed, "text": text}


def target_query_counts(results, sizes):
    """(1) Each page's query count (cold: the page's own work) is the same at every size."""
    if len(sizes) < 2:
        return None, "needs two sizes or more"
    checks = []
    grouped = {}
    for r in results:
        if r["mode"] == COLD:
            grouped.setdefault((r["page"], r["backend"]), {})[r["size"]] = r["queries_seen"]
    for (page, backend), by_size in grouped.items():
        if len(by_size) < 2 or not all(by_size.values()):
            continue
        counts = dict(sorted(by_size.items()))
        figures = ", ".join(
            f"{'/'.join(map(str, seen))} at {size:,}" for size, seen in counts.items()
        )
        same = len({tuple(seen) for seen in counts.values()}) == 1 and all(
            len(seen) == 1 for seen in counts.values()
        )
        checks.append(check(same, f"{page} ({backend}): {figures}"))
    return checks, None


def target_flat_pages(results, sizes, baseline_size, pages):
    """(2) Cold home, section, era list and detail pages at the largest size ≤ 1.5× baseline."""
    largest = max(sizes)
    if largest == baseline_size or baseline_size not in sizes:
        return None, f"needs {baseline_size:,} and a larger size"
    flat = {page.name for page in pages if page.group in FLAT_GROUPS}
    checks = []
    for r in results:
        if r["mode"] == COLD and r["size"] == largest and r["page"] in flat:
            checks.append(
                check(
                    r["x_1k"] is not None and r["x_1k"] <= 1.5,
                    f"{r['page']} ({r['backend']}): {r['median_ms']:.1f} ms at {largest:,} is "
                    f"{times(r['x_1k'])}× its {baseline_size:,} median (limit 1.5×)",
                )
            )
    return checks, None


def target_against_datasette(comparison, sizes):
    """(3) Cold agreement lists at the largest size ≤ 0.25 × Datasette's median."""
    largest = max(sizes)
    checks = [
        check(
            c["ours_over_datasette"] is not None and c["ours_over_datasette"] <= 0.25,
            f"{c['page']} at {largest:,}: ours {c['ours_cold_median_ms']:.1f} ms, Datasette "
            f"{c['datasette_median_ms']:.1f} ms: {times(c['ours_over_datasette'])}× "
            "(limit 0.25×)",
        )
        for c in comparison
        if c["size"] == largest and c["ours_cold_median_ms"] is not None
    ]
    return (checks, None) if checks else (None, "Datasette runs only beside SQLite")


def target_warm(results):
    """(4) Warm: revisits answered 304 and cache hits, each ≤ 2× the floor."""
    checks = []
    for r in results:
        if r["page"] == FLOOR or r["mode"] == COLD:
            continue
        within = r["x_floor"] is not None and r["x_floor"] <= 2
        where = f"{r['page']} ({r['backend']}, {r['size']:,})"
        if r["mode"] == WARM_304:
            answered = r["statuses"] == {"304": len(r["samples_ms"])}
            statuses = ", ".join(f"{n}× {status}" for status, n in r["statuses"].items())
            checks.append(
                check(
                    answered and within,
                    f"{where} revisit: {statuses}, {r['median_ms']:.1f} ms = "
                    f"{times(r['x_floor'])}× floor (limit 2×)",
                )
            )
        else:
            checks.append(
                check(
                    within,
                    f"{where} cache hit: {r['median_ms']:.1f} ms = {times(r['x_floor'])}× floor "
                    f"(limit 2×), queries {format_queries(r)}",
                )
            )
    return checks, None


def evaluate_targets(results, comparison, sizes, baseline_size, pages):
    targets = [
        (
            "(1) each page's query count (cold) is the same at every size",
            target_query_counts(results, sizes),
        ),
        (
            f"(2) cold home, section, era list and detail pages at {max(sizes):,} ≤ 1.5× their "
            f"{baseline_size:,} median",
            target_flat_pages(results, sizes, baseline_size, pages),
        ),
        (
            f"(3) cold agreement lists at {max(sizes):,} ≤ 0.25× Datasette's median",
            target_against_datasette(comparison, sizes),
        ),
        ("(4) warm: 304 revisits and cache hits each ≤ 2× the floor", target_warm(results)),
    ]
    evaluated = []
    for name, (checks, not_measured) in targets:
        if checks is None or not checks:
            evaluated.append(
                {
                    "target": name,
                    "result": "NOT MEASURED",
                    "reason": not_measured or "no figures",
                    "checks": [],
                }
            )
        else:
            result = "PASS" if all(c["pass"] for c in checks) else "MISS"
            evaluated.append({"target": name, "result": result, "checks": checks})
    return evaluated


def print_targets(targets, *, listed=40):
    """Each target's result and the figures of every check; when a target has more than
    ``listed`` checks, the misses are listed and the passes only counted (all are in the JSON)."""
    for target in targets:
        print(f"{target['result']:<5} {target['target']}")
        if target["result"] == "NOT MEASURED":
            print(f"      {target['reason']}")
        checks = target["checks"]
        shown = checks if len(checks) <= listed else [c for c in checks if not c["pass"]]
        for c in shown:
            print(f"      {'pass' if c['pass'] else 'MISS'}  {c['text']}")
        if len(shown) < len(checks):
            print(f"      pass  the other {len(checks) - len(shown)} checks (see the JSON)")


def print_report(report, pages_order):
    print(
        "\n== Results (milliseconds; ×floor: to /health/ on the same backend, size and mode; "
        f"×1k: to the same page at {report['settings']['baseline_size']:,} agreements)\n"
    )
    headings = [
        "page",
        "backend",
        "size",
        "mode",
        "median ms",
        "p95 ms",
        "queries",
        "×floor",
        "×1k",
    ]
    backends = report["settings"]["backends"]
    print_table(
        headings, results_table(report["results"], pages_order, backends), align="llrlrrrrr"
    )
    notes = {(r["page"], r["size"]): r["note"] for r in report["results"] if r.get("note")}
    for (page, size), note in sorted(notes.items()):
        print(f"\nNote: {page} at {size:,}: {note}.")
    if report["settings"]["skipped_pages"]:
        print(f"\nLeft out (--skip): {', '.join(report['settings']['skipped_pages'])}.")
    for backend, reason in report["skipped_backends"].items():
        print(f"\nNot measured: {backend}: {reason}.")

    if report["datasette"]:
        print("\n== Beside Datasette (SQLite, same file; ours cold)\n")
        rows = [
            [
                c["page"],
                f"{c['size']:,}",
                f"{c['datasette_median_ms']:.1f}",
                "–" if c["ours_cold_median_ms"] is None else f"{c['ours_cold_median_ms']:.1f}",
                times(c["ours_over_datasette"]),
                f"Datasette's facets timed out in {c['datasette_facets_timed_out']} of "
                f"{report['settings']['requests']}"
                if c["datasette_facets_timed_out"]
                else "",
            ]
            for c in sorted(
                report["side_by_side"], key=lambda c: (pages_order.index(c["page"]), c["size"])
            )
        ]
        headings = ["page", "size", "Datasette median ms", "ours median ms", "ours/Datasette", ""]
        print_table(headings, rows, align="lrrrrl")

    print("\n== Targets\n")
    print_targets(report["targets"])

    print("\n== Time of each phase\n")
    for phase in report["phases"]:
        print(f"{phase['seconds']:8.1f} s  {phase['phase']}")
    print(f"{report['total_seconds']:8.1f} s  the whole run")


# --- The run --------------------------------------------------------------------------------


class Phases:
    """Times each phase of the run, for the report."""

    def __init__(self):
        self.phases = []
        self.start = time.perf_counter()

    def record(self, name, seconds):
        self.phases.append({"phase": name, "seconds": round(seconds, 1)})

    @contextlib.contextmanager
    def phase(self, name):
        print(f"\n-- {name}", flush=True)
        start = time.perf_counter()
        yield
        self.record(name, time.perf_counter() - start)

    def total(self):
        return round(time.perf_counter() - self.start, 1)


class Run:
    """What the run has measured so far: a run stopped by an error still reports it."""

    def __init__(self, arguments):
        self.arguments = arguments
        self.phases = Phases()
        self.results, self.datasette, self.databases = [], [], []
        self.skipped_backends = {}
        self.pages = []

    def wanted(self, pages):
        skip = set(self.arguments.skip)
        return [page for page in pages if page.name not in skip and page.path not in skip]


def measure_database(run, database):
    count = run.arguments.requests
    run.databases.append({"backend": database.backend, "size": database.size, **database.build})
    database.facts = database_facts(database)
    run.databases[-1]["facts"] = database.facts
    pages = run.wanted(our_pages(database.facts))
    run.pages = pages
    label = f"{database.backend}, {database.size:,} agreements"
    logs = BENCH_DIR / "logs"
    for mode, cache in ((COLD, False), ("warm", True)):
        with run.phases.phase(f"{label}: ours, {mode}"):
            log = logs / f"serve-{database.backend}-{database.size}-{mode}.log"
            port, running = serve_ours(database, cache=cache, log_path=log)
            with running:
                measure = measure_cold if mode == COLD else measure_warm
                run.results += measure(port, pages, database, count)
    if database.backend == "sqlite":
        with run.phases.phase(f"{label}: Datasette"):
            enable_datasette_fts(database.path)
            log = logs / f"datasette-{database.size}.log"
            port, running = serve_datasette(database, log_path=log)
            with running:
                pages = run.wanted(datasette_pages(database))
                run.datasette += measure_datasette(port, pages, database, count)


def measure_all(run):
    """Size by size, each backend in turn: the smaller sizes are complete first."""
    arguments = run.arguments
    with contextlib.ExitStack() as stack:
        cluster = None
        if "postgres" in arguments.backends:
            print("\n-- postgres: starting a throwaway cluster (scripts/postgres)", flush=True)
            start = time.perf_counter()
            cluster, reason = stack.enter_context(postgres_cluster())
            run.phases.record("postgres: start the throwaway cluster", time.perf_counter() - start)
            if cluster is None:
                run.skipped_backends["postgres"] = f"scripts/postgres start failed: {reason}"
                print(f"    skipping PostgreSQL: {run.skipped_backends['postgres']}", flush=True)
        for size in arguments.sizes:
            if "sqlite" in arguments.backends:
                with run.phases.phase(f"sqlite, {size:,} agreements: database"):
                    database = sqlite_database(size, arguments.seed, rebuild=arguments.rebuild)
                measure_database(run, database)
            if cluster is not None:
                with run.phases.phase(f"postgres, {size:,} agreements: database bench_{size}"):
                    database = postgres_database(cluster, size, arguments.seed)
                measure_database(run, database)


def report(run, error=None):
    """Writes the JSON and prints the tables and targets of what was measured."""
    arguments = run.arguments
    sizes = arguments.sizes
    baseline_size = BASELINE_SIZE if BASELINE_SIZE in sizes else sizes[0]
    add_ratios(run.results, baseline_size)
    comparison = side_by_side(run.results, run.datasette)
    pages = run.pages
    result = {
        "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "complete": error is None,
        **({"error": error} if error else {}),
        "settings": {
            "sizes": sizes,
            "backends": arguments.backends,
            "requests": arguments.requests,
            "warmup": WARMUP,
            "seed": arguments.seed,
            "skipped_pages": arguments.skip,
            "baseline_size": baseline_size,
            "workers": 1,
            "median": "statistics.median",
            "p95": "statistics.quantiles(samples, n=20)[18] (method 'exclusive')",
            "timing": "time.perf_counter() around connect + request + reading the whole body, "
            "a new connection per request",
        },
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "skipped_backends": run.skipped_backends,
        "databases": run.databases,
        "pages": [{"page": p.name, "path": p.path, "group": p.group} for p in pages],
        "results": run.results,
        "datasette": run.datasette,
        "side_by_side": comparison,
        "targets": evaluate_targets(run.results, comparison, sizes, baseline_size, pages),
        "phases": run.phases.phases,
        "total_seconds": run.phases.total(),
    }
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    if run.results:
        print_report(result, [page.name for page in pages])
    print(f"\nWritten: {arguments.output}" + ("" if error is None else " (incomplete)"))


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="1000,10000,100000",
        type=lambda text: sorted({int(size) for size in text.split(",")}),
        help="numbers of synthetic agreements (default: 1000,10000,100000)",
    )
    parser.add_argument("--requests", type=int, default=30, help="samples per page (default: 30)")
    parser.add_argument(
        "--backends",
        default="sqlite,postgres",
        type=lambda text: [backend.strip() for backend in text.split(",")],
        help="sqlite, postgres or both (default); postgres is skipped when it cannot start",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=BENCH_DIR / "results.json",
        help="the JSON report (default: var/bench/results.json)",
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild the SQLite databases")
    parser.add_argument("--seed", type=int, default=1, help="generate_synthetic's seed")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="PAGE",
        help="leave out a page, by its name in the table or its path (repeatable)",
    )
    arguments = parser.parse_args(argv)
    unknown = set(arguments.backends) - {"sqlite", "postgres"}
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    if arguments.requests < 2:
        parser.error("--requests must be 2 or more for a 95th percentile")
    if FLOOR in arguments.skip or "/health/" in arguments.skip:
        parser.error("the floor is what every page is compared with: it cannot be skipped")
    return arguments


def main(argv=None):
    arguments = parse_arguments(argv)
    run = Run(arguments)
    try:
        measure_all(run)
    except BenchError as error:
        report(run, error=str(error))
        print(f"\nbench: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbench: interrupted", file=sys.stderr)
        return 130
    report(run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
