import sqlite3
import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from cooperation.caching import current_version
from cooperation.models import ContentVersion

from .backup import database_path, postgres_environment, postgres_tool


class Command(BaseCommand):
    help = (
        "Replace the whole database with a backup made by `manage.py backup`. Everything "
        "written since the backup is lost: make a backup of the present one first."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args, file, yes=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such backup.")
        if not yes and input(
            f"Replace the database {connection.settings_dict['NAME']} with {file}? [y/N] "
        ).lower() not in ("y", "yes"):
            raise CommandError("Nothing was restored.")
        before = current_version()
        connection.close()
        if connection.vendor == "sqlite":
            with sqlite3.connect(path) as source, sqlite3.connect(database_path()) as target:
                source.backup(target)
        else:
            result = subprocess.run(  # noqa: S603 - our own tool and arguments
                [
                    postgres_tool("pg_restore"),
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    f"--dbname={connection.settings_dict['NAME']}",
                    str(path),
                ],
                env=postgres_environment(),
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode:
                raise CommandError(f"pg_restore failed: {result.stderr.strip()}")
        # The backup's content version may be one that pages were cached under since: give
        # the restored content a version no cache has seen.
        number = max(before[0] if before else 0, (current_version() or (0,))[0]) + 1
        ContentVersion.objects.update_or_create(pk=1, defaults={"number": number})
        self.stdout.write(self.style.SUCCESS(f"Restored {file}"))
