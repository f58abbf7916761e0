from django.core.management.base import BaseCommand

from cooperation.article import load_article, record_count


class Command(BaseCommand):
    help = (
        "Load the source article's records from fixtures/ into a database that has none yet. "
        "A database with records is left alone, so editors' changes are never overwritten."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even if records exist: records with the fixtures' slugs are overwritten.",
        )

    def handle(self, *args, force=False, verbosity=1, **options):
        existing = record_count()
        if existing and not force:
            self.stdout.write(
                f"The database already holds {existing} records: the article was not reloaded "
                "(use --force to overwrite the fixtures' records)."
            )
            return
        load_article(verbosity=verbosity)
        self.stdout.write(self.style.SUCCESS(f"Loaded the article: {record_count()} records."))
