import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cooperation.imports import import_files
from cooperation.models import State


class Command(BaseCommand):
    help = (
        "Import records from fixture JSON files (natural keys, the format of fixtures/). Every "
        "object is checked first; then all are written in one transaction, or none. Prints a "
        "report of what is created, updated and unchanged, and every problem with its place."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report; write nothing."
        )
        parser.add_argument("--report", metavar="FILE", help="Also write the report as JSON.")
        parser.add_argument(
            "--state",
            choices=[State.DRAFT, State.PUBLISHED],
            help="Give every record the files create or change this state instead of the "
            "files' own; records left unchanged keep theirs. Changes to a published record "
            "are published only with 'published' (or, without --state, where the file says "
            "so); otherwise they wait for review as its pending changes.",
        )
        parser.add_argument(
            "--reason", help="The history comment of each record written (default: the files)."
        )

    def handle(self, *args, files, dry_run, report=None, state=None, reason=None, **options):
        contents = {}
        for name in files:
            try:
                contents[name] = Path(name).read_bytes()
            except OSError as error:
                raise CommandError(f"{name}: cannot be read ({error.strerror}).") from None
        total = sum(content.count(b'"model"') for content in contents.values())
        quiet = options["verbosity"] == 0
        with tqdm(
            total=total,
            unit=" records",
            desc="Checking" if dry_run else "Importing",
            disable=quiet or total < 500,
            file=sys.stderr,
        ) as bar:
            result = import_files(
                contents, dry_run=dry_run, state=state, reason=reason, progress=bar.update
            )
        if report:
            Path(report).write_text(
                json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n",
                encoding="utf-8",
            )
        if not quiet:
            self.print_report(result, detailed=options["verbosity"] >= 2 or dry_run)
        if not result.ok:
            raise CommandError(f"{len(result.problems)} problem(s) found: nothing was written.")

    def print_report(self, result, detailed):
        for outcome in result.outcomes:
            if outcome.action == "unchanged" and not detailed:
                continue
            if detailed or outcome.action != "unchanged":
                self.stdout.write(
                    f"{outcome.action:>9}  {outcome.model} {outcome.slug}"
                    f" (readers will see {outcome.readers})"
                )
            for name, (old, new) in outcome.changes.items():
                self.stdout.write(f"           {name}: {shorten(old)} → {shorten(new)}")
        for problem in result.problems:
            self.stderr.write(self.style.ERROR(f"problem: {problem}"))
        summary = ", ".join(
            f"{result.count(action)} {action}" for action in ("created", "updated", "unchanged")
        )
        if result.ok and result.dry_run:
            self.stdout.write(self.style.SUCCESS(f"Dry run, nothing written: {summary}."))
        elif result.ok:
            self.stdout.write(self.style.SUCCESS(f"Imported: {summary}."))


def shorten(value, limit=120):
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"
