"""The source article's content, shipped as fixtures in ``fixtures/``."""

from django.conf import settings

from .imports import import_files
from .models import PUBLIC_MODELS

#: Fixture names in the order that lets each file refer to the ones before it.
ARTICLE_FIXTURES = (
    "sources",
    "parties",
    "eras",
    "threats",
    "agreements",
    "events",
    "initiatives",
    "sections",
    "claims",
)

LOAD_REASON = "Loaded from the article's fixtures"


class ArticleNotLoaded(Exception):
    pass


def fixture_paths():
    return [settings.BASE_DIR / "fixtures" / f"{name}.json" for name in ARTICLE_FIXTURES]


def record_count():
    return sum(model.objects.count() for model in PUBLIC_MODELS)


def load_article(progress=None):
    """Import every fixture of the article, all or nothing; each record created or changed
    gets a version in its history marked as a load. Returns the import's report."""
    report = import_files(
        {path.name: path.read_bytes() for path in fixture_paths()},
        reason=LOAD_REASON,
        progress=progress,
    )
    if not report.ok:
        raise ArticleNotLoaded("\n".join(str(problem) for problem in report.problems))
    return report
