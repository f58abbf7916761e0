"""The source article's content, shipped as fixtures in ``fixtures/``."""

from django.core.management import call_command
from django.db import transaction

from .models import RECORD_MODELS, Source

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
)


def record_count():
    return sum(model.objects.count() for model in (Source, *RECORD_MODELS))


def load_article(verbosity=1):
    """Load every fixture of the article in one transaction: all of it or nothing."""
    with transaction.atomic():
        call_command("loaddata", *ARTICLE_FIXTURES, verbosity=verbosity)
