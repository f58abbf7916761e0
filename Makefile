# The project's commands. `make run` and `make test` set everything up on a fresh clone.

VENV := .venv
PYTHON := $(VENV)/bin/python
MANAGE := $(PYTHON) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

# Django 6 needs Python 3.12 or newer: use the first one found on PATH, then under pyenv.
FIND_PYTHON = for candidate in python3.14 python3.13 python3.12 \
		$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[234]*/bin/python3.1[234] 2>/dev/null | sort -rV); do \
	if command -v $$candidate >/dev/null 2>&1 && $$candidate -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
		echo $$candidate; break; fi; done

.PHONY: help install setup run serve superuser test test-postgres lint format lock clean bench-import bench backup restore audit

help:
	@echo "make run        set up (first time) and serve the site on http://$(HOST):$(PORT)/"
	@echo "make test       set up and run the test suite"
	@echo "make serve      the production stack (gunicorn, WhiteNoise, DEBUG off) on $(HOST):$(PORT)"
	@echo "make test-postgres  the test suite against a throwaway PostgreSQL cluster"
	@echo "make lint       ruff (lint and format check) and the migrations check"
	@echo "make superuser  create an admin account of your own"
	@echo "make format     apply ruff's formatting and safe fixes"
	@echo "make lock       re-resolve requirements.lock from pyproject.toml"
	@echo "make bench-import  time and peak memory of importing 10,000 records"
	@echo "make bench      page latency and SQL queries at 1k, 10k and 100k agreements, beside Datasette"
	@echo "make backup     copy the database to var/backups/ (FILE=… to choose); make restore FILE=…"
	@echo "make audit      scan the installed dependencies for known vulnerabilities"

# The virtual environment is rebuilt whenever the lock file changes.
$(VENV)/installed: requirements.lock
	@python=$$($(FIND_PYTHON)); \
	if [ -z "$$python" ]; then \
		echo "No Python 3.12 or newer found (tried python3.14, python3.13, python3.12 and pyenv's versions)." >&2; \
		echo "Install Python 3.12+ and run make again." >&2; exit 1; fi; \
	if [ ! -x $(PYTHON) ] || ! $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
		echo "Creating $(VENV) with $$python"; rm -rf $(VENV); $$python -m venv $(VENV); fi
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	@touch $@

install: $(VENV)/installed

# Migrates, and loads the article only into a database that has no records yet, so editors'
# changes are never overwritten.
setup: install
	$(MANAGE) migrate --no-input
	$(MANAGE) load_article

run: setup
	$(MANAGE) ensure_dev_superuser
	$(MANAGE) runserver $(HOST):$(PORT)

# The production stack on this machine: gunicorn, DEBUG off, static files collected and served
# by WhiteNoise, and a worker for long imports. A secret key is made once in var/secret-key
# unless DJANGO_SECRET_KEY is set. HTTPS is assumed: DJANGO_HTTPS=0 for plain HTTP here.
WORKERS ?= $(or $(WEB_CONCURRENCY),3)
serve: setup
	@test -s var/secret-key || $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret-key
	@export MEXHIST_ENV=production \
		DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat var/secret-key)}" \
		DJANGO_ALLOWED_HOSTS="$${DJANGO_ALLOWED_HOSTS:-$(HOST),localhost}" \
		DJANGO_HTTPS="$${DJANGO_HTTPS:-1}" \
		DJANGO_CONN_MAX_AGE="$${DJANGO_CONN_MAX_AGE:-600}"; \
	if [ "$$DJANGO_HTTPS" = "0" ]; then \
		echo "HTTPS is off (DJANGO_HTTPS=0): cookies travel over plain HTTP, nothing is redirected" \
			"to HTTPS and there is no HSTS. Only for a run on this machine." >&2; fi; \
	$(MANAGE) collectstatic --no-input -v0 || exit 1; \
	$(MANAGE) db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/gunicorn mexhist.wsgi --bind $(HOST):$(PORT) --workers $(WORKERS) \
		--access-logfile -

superuser: install
	$(MANAGE) createsuperuser

# A copy of the whole database while the site runs (var/backups/ unless FILE=…), and back.
backup: install
	$(MANAGE) backup $(if $(FILE),--output $(FILE))

restore: install
	@test -n "$(FILE)" || { echo "Say which backup: make restore FILE=var/backups/…" >&2; exit 1; }
	$(MANAGE) restore $(FILE)

# Known vulnerabilities in the locked dependencies (the advisories PyPI publishes).
audit: install
	$(PYTHON) scripts/audit.py

# On every core, a module's tests on one worker (its shared data is made once). The SQLite
# run builds its tables without migrations; test-postgres and make serve's test migrate.
test: setup
	$(MANAGE) check
	$(PYTHON) -m pytest -n auto --dist loadscope --no-migrations $(PYTEST_ARGS)

# The whole suite against a throwaway PostgreSQL cluster (scripts/postgres), stopped afterwards.
test-postgres: install
	@url=$$(scripts/postgres start) || exit 1; \
	echo "Testing against $$url"; \
	DATABASE_URL=$$url $(PYTHON) -m pytest -n auto --dist loadscope $(PYTEST_ARGS); status=$$?; \
	scripts/postgres stop; exit $$status

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

lock: install
	$(PYTHON) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --group dev --group bench --generate-hashes --universal \
		--python-version 3.12 --no-header -o requirements.lock

# Time and peak memory of importing 10,000 records into a fresh SQLite database.
bench-import: install
	rm -f var/bench-import.sqlite3
	DATABASE_URL=sqlite:///$(CURDIR)/var/bench-import.sqlite3 $(MANAGE) migrate -v0
	DATABASE_URL=sqlite:///$(CURDIR)/var/bench-import.sqlite3 $(MANAGE) bench_import --records 10000
	rm -f var/bench-import.sqlite3

# Latency and query counts of the public pages at 1,000, 10,000 and 100,000 agreements, cold and
# cached, on SQLite and PostgreSQL, beside Datasette: a table, and var/bench/results.json.
# e.g. make bench BENCH_ARGS="--sizes 1000,10000 --requests 10 --backends sqlite"
bench: install
	$(PYTHON) scripts/bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
