import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.management.color import no_style
from django.db import connection, transaction

from cooperation.article import load_article
from cooperation.caching import move_version
from cooperation.models import ContentVersion
from tests import factories


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _page_cache_off(settings):
    """Pages are measured and tested doing all their work; tests/test_caching.py turns the
    page cache on where it is the subject. Remembered counts start afresh in every test."""
    settings.PAGE_CACHE = False
    cache.clear()


def article_tables():
    """Every table the article's import writes: records, their relations, their versions."""
    return [
        model
        for model in apps.get_app_config("cooperation").get_models(include_auto_created=True)
        if model is not ContentVersion
    ]


@pytest.fixture(scope="session")
def article_rows(django_db_setup, django_db_blocker):
    """The rows of the article's records as the import writes them, read once a session: the
    import itself costs thousands of queries, and tests/test_fixtures.py tests it."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_article()
        rows = {model: list(model.objects.values()) for model in article_tables()}
        transaction.set_rollback(True)
    return rows


@pytest.fixture
def article(article_rows):
    """The database as loading the article leaves it: its rows written in bulk, in the test's
    own transaction, so that every test starts from the same data and changes it freely."""
    with transaction.atomic():  # the foreign keys are checked at its end
        for model, rows in article_rows.items():
            model.objects.bulk_create(model(**row) for row in rows)
        with connection.cursor() as cursor:
            # PostgreSQL's sequences do not move for rows written with their ids.
            for statement in connection.ops.sequence_reset_sql(no_style(), article_tables()):
                cursor.execute(statement)
        move_version()  # bulk_create sends no signals


@pytest.fixture
def populate():
    """Create ``n`` records of every type, each linked to its neighbours, so that pages can be
    measured at two sizes."""

    def make(n):
        sources = factories.SourceFactory.create_batch(2)
        parties = factories.PartyFactory.create_batch(n, sources=sources)
        threats = factories.ThreatFactory.create_batch(n, sources=sources)
        eras = factories.EraFactory.create_batch(n, sources=sources)
        agreements = [
            factories.AgreementFactory(
                era=eras[i], parties=parties[:3], threats=threats[:2], sources=sources
            )
            for i in range(n)
        ]
        initiatives = [
            factories.InitiativeFactory(
                era=eras[i],
                agreement=agreements[i],
                participants=parties[:2],
                threats=threats[:3],
                sources=sources,
            )
            for i in range(n)
        ]
        events = factories.EventFactory.create_batch(n, era=eras[0], sources=sources)
        parts = factories.SectionFactory.create_batch(n)
        for part in parts:
            child = factories.SectionFactory(kind="section", parent=part, position=1)
            child.agreements.set(agreements[:3])
            child.initiatives.set(initiatives[:3])
            child.threats.set(threats[:2])
            child.eras.set(eras[:2])
        return {
            "source": sources[0],
            "party": parties[0],
            "threat": threats[0],
            "era": eras[0],
            "agreement": agreements[0],
            "initiative": initiatives[0],
            "event": events[0],
            "section": parts[0],
        }

    return make
