import datetime
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection


def database_path():
    return Path(connection.settings_dict["NAME"])


def postgres_environment():
    """libpq's variables for the database Django uses: pg_dump and pg_restore read them."""
    options = connection.settings_dict
    variables = {
        "PGDATABASE": options["NAME"],
        "PGHOST": options.get("HOST") or "",
        "PGPORT": str(options.get("PORT") or ""),
        "PGUSER": options.get("USER") or "",
        "PGPASSWORD": options.get("PASSWORD") or "",
    }
    return {**os.environ, **{name: value for name, value in variables.items() if value}}


def postgres_tool(name):
    tool = shutil.which(name)
    if tool is None:
        raise CommandError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return tool


class Command(BaseCommand):
    help = (
        "Copy the whole database to a file while the site runs: SQLite's online backup, or "
        "pg_dump's custom format on PostgreSQL. Restore it with `manage.py restore FILE`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", metavar="FILE", help="Where to write it (default: var/backups/…)."
        )

    def handle(self, *args, output=None, **options):
        vendor = connection.vendor
        if vendor not in ("sqlite", "postgresql"):
            raise CommandError(f"Backups of {vendor} databases are not supported.")
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%S")
        suffix = "sqlite3" if vendor == "sqlite" else "dump"
        path = Path(output or settings.VAR_DIR / "backups" / f"mexhist-{stamp}.{suffix}")
        path.parent.mkdir(parents=True, exist_ok=True)
        if vendor == "sqlite":
            # The online backup API copies a consistent snapshot, even while others write.
            with sqlite3.connect(database_path()) as source, sqlite3.connect(path) as target:
                source.backup(target)
        else:
            result = subprocess.run(  # noqa: S603 - our own tool and arguments
                [postgres_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={path}"],
                env=postgres_environment(),
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode:
                raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
        self.stdout.write(self.style.SUCCESS(f"Backed up to {path}"))
