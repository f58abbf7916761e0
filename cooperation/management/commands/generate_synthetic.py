import resource
import sys
import time
from argparse import ArgumentTypeError

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cooperation.synthetic import SyntheticRecordsExist, generate


def positive(value):
    number = int(value)
    if number < 1:
        raise ArgumentTypeError(f"must be at least 1, not {number}")
    return number


class Command(BaseCommand):
    help = (
        "Add synthetic records around N agreements to this database, in realistic proportions "
        "(2 initiatives per agreement, N/10 events, N/20 sources, …), for measuring pages and "
        "queries at size. Existing records are kept and never changed; every synthetic slug "
        "starts with “syn-”. The same N and seed give the same records. Written with "
        "bulk_create, all or nothing: synthetic records have no history versions."
    )

    def add_arguments(self, parser):
        parser.add_argument("--agreements", type=positive, required=True, metavar="N")
        parser.add_argument("--seed", type=int, default=1, help="Default: 1.")
        parser.add_argument(
            "--batch-size",
            type=positive,
            default=5000,
            help="Records (and relation rows) per INSERT batch. Default: 5000.",
        )

    def handle(self, *args, agreements, seed, batch_size, **options):
        quiet = options["verbosity"] == 0

        def progress(label, total):
            # disable=None hides the bar when stderr is not a terminal.
            return tqdm(
                total=total,
                desc=label,
                unit=" records",
                file=sys.stderr,
                disable=True if quiet else None,
            )

        start = time.perf_counter()
        try:
            counts = generate(agreements, seed=seed, batch_size=batch_size, progress=progress)
        except SyntheticRecordsExist as error:
            raise CommandError(str(error)) from None
        elapsed = time.perf_counter() - start
        # ru_maxrss is in kilobytes on Linux.
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if quiet:
            return
        for count in counts:
            self.stdout.write(str(count))
        self.stdout.write(
            self.style.SUCCESS(
                f"{sum(count.records for count in counts)} records and "
                f"{sum(sum(count.links.values()) for count in counts)} links "
                f"in {elapsed:.1f} s; peak memory {peak:.0f} MB."
            )
        )
