from django.core.management.base import BaseCommand

from cooperation import search


class Command(BaseCommand):
    help = (
        "Index every published record for search afresh. Saves keep the index current; this "
        "is for records written around the ORM's signals (bulk writes, a database restored "
        "from elsewhere)."
    )

    def handle(self, *args, **options):
        search.install()
        total = search.rebuild()
        self.stdout.write(f"Indexed {total} published records for search.")
