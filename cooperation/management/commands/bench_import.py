import json
import resource
import time

from django.core.management.base import BaseCommand

from cooperation.imports import import_files


def synthetic_records(count):
    """``count`` records in fixture format: a few eras, parties and threats, and agreements
    that refer to them, in the proportions of the article."""
    eras = [
        {"model": "cooperation.era", "fields": {"title": f"Era {n}", "slug": f"era-{n}",
         "start_year": 1900 + 10 * n, "end_year": 1909 + 10 * n, "state": "published"}}
        for n in range(10)
    ]  # fmt: skip
    parties = [
        {"model": "cooperation.party", "fields": {"title": f"Party {n}", "slug": f"party-{n}",
         "kind": "agency", "country": "us" if n % 2 else "mx", "state": "published"}}
        for n in range(100)
    ]  # fmt: skip
    threats = [
        {"model": "cooperation.threat", "fields": {"title": f"Threat {n}", "slug": f"threat-{n}",
         "category": "crime", "state": "published"}}
        for n in range(40)
    ]  # fmt: skip
    agreements = [
        {
            "model": "cooperation.agreement",
            "fields": {
                "title": f"Agreement {n} on cooperation in Mérida",
                "slug": f"agreement-{n}",
                "summary": "A synthetic agreement. " * 5,
                "body": "Text of the agreement, with <b>markup</b> kept as text. " * 20,
                "kind": "treaty",
                "scope": "bilateral",
                "status": "in_force",
                "state": "published",
                "era": [f"era-{n % 10}"],
                "signed_date": f"{1900 + n % 100}-01-01",
                "signed_precision": "year",
                "parties": [[f"party-{n % 100}"], [f"party-{(n + 1) % 100}"]],
                "threats": [[f"threat-{n % 40}"]],
            },
        }
        for n in range(count - len(eras) - len(parties) - len(threats))
    ]
    return [*eras, *parties, *threats, *agreements]


class Command(BaseCommand):
    help = "Import a synthetic file of N records into this database and report time and memory."

    def add_arguments(self, parser):
        parser.add_argument("--records", type=int, default=10_000)

    def handle(self, *args, records, **options):
        data = json.dumps(synthetic_records(records), ensure_ascii=False).encode()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        report = import_files({"synthetic.json": data}, reason="Benchmark import")
        elapsed = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.stdout.write(
            f"{records} records ({len(data) / 1e6:.1f} MB): ok={report.ok}, "
            f"{report.count('created')} created in {elapsed:.1f} s "
            f"({records / elapsed:.0f} records/s); peak memory {peak / 1024:.0f} MB "
            f"(was {before / 1024:.0f} MB before the import)"
        )
