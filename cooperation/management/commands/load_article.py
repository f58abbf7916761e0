from django.core.management.base import BaseCommand, CommandError

from cooperation.article import ArticleNotLoaded, load_article, record_count


class Command(BaseCommand):
    help = (
        "Import the source article's records from fixtures/ (through import_records' checks) "
        "into a database that has none yet. A database with records is left alone, so "
        "editors' changes are never overwritten."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Import even if records exist: records with the fixtures' slugs are updated.",
        )

    def handle(self, *args, force=False, **options):
        existing = record_count()
        if existing and not force:
            self.stdout.write(
                f"The database already holds {existing} records: the article was not reloaded "
                "(use --force to overwrite the fixtures' records)."
            )
            return
        try:
            report = load_article()
        except ArticleNotLoaded as error:
            raise CommandError(
                f"The article's fixtures did not load, nothing was written:\n{error}"
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded the article: {report.count('created')} records created, "
                f"{report.count('updated')} updated, {report.count('unchanged')} unchanged."
            )
        )
