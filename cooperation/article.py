"""The source article's content, shipped as fixtures in ``fixtures/``."""

from django.core.management import call_command
from django.db import transaction
from django.test.utils import override_settings

from .history import compare, record_version
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

LOAD_REASON = "Loaded from the article's fixtures"


def record_count():
    return sum(model.objects.count() for model in (Source, *RECORD_MODELS))


def load_article(verbosity=1):
    """Load every fixture of the article in one transaction: all of it or nothing. Each
    record the load creates or changes gets one version in its history, marked as a load."""
    with transaction.atomic():
        # loaddata saves raw rows and relations one by one; record one version per record
        # afterwards instead of one per step.
        with override_settings(SIMPLE_HISTORY_ENABLED=False):
            call_command("loaddata", *ARTICLE_FIXTURES, verbosity=verbosity)
        for model in (Source, *RECORD_MODELS):
            for record in model.objects.all():
                record_loaded_version(record)


def record_loaded_version(record):
    previous = record.history.first()
    record_version(record, "~" if previous else "+", LOAD_REASON)
    if previous and not compare(previous, record.history.first()):
        record.history.first().delete()
