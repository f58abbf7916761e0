import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.management.color import no_style
from django.db import connection, transaction

from cooperation.article import load_article
from cooperation.caching import move_version
from cooperation.models import ContentVersion
from cooperation.roles import EDITOR, PUBLISHER
from tests import factories
from tests.admin_forms import signed_in


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


def table_rows():
    """{model: rows} of every table of the app, as they are now."""
    return {model: list(model.objects.values()) for model in article_tables()}


def rows_added(before, after):
    """The rows of ``after`` that ``before`` does not hold."""
    added = {}
    for model, rows in after.items():
        key = model._meta.pk.attname
        known = {row[key] for row in before.get(model, [])}
        added[model] = [row for row in rows if row[key] not in known]
    return added


def load_rows(rows):
    """Write ``rows`` ({model: rows}) in bulk, in the caller's transaction: the data a slow
    set-up made, replayed in milliseconds."""
    with transaction.atomic():  # the foreign keys are checked at its end
        for model, model_rows in rows.items():
            model.objects.bulk_create(model(**row) for row in model_rows)
        with connection.cursor() as cursor:
            # PostgreSQL's sequences do not move for rows written with their ids.
            for statement in connection.ops.sequence_reset_sql(no_style(), article_tables()):
                cursor.execute(statement)
        move_version()  # bulk_create sends no signals


@pytest.fixture(scope="session")
def article_rows(django_db_setup, django_db_blocker):
    """The rows of the article's records as the import writes them, read once a session: the
    import itself costs thousands of queries, and tests/test_fixtures.py tests it."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_article()
        rows = table_rows()
        transaction.set_rollback(True)
    return rows


@pytest.fixture
def article(article_rows):
    """The database as loading the article leaves it: its rows written in bulk, in the test's
    own transaction, so that every test starts from the same data and changes it freely."""
    load_rows(article_rows)


@pytest.fixture(scope="session")
def populated_rows(django_db_setup, django_db_blocker):
    """populate(3), then populate(12) on top, made once a session: ({type: primary key of
    the first record of each type}, the rows of the first, the rows the second adds)."""
    with django_db_blocker.unblock(), transaction.atomic():
        first = {name: record.pk for name, record in populate_records(3).items()}
        small = table_rows()
        populate_records(12)
        added = rows_added(small, table_rows())
        transaction.set_rollback(True)
    return first, small, added


@pytest.fixture
def populate():
    """Create ``n`` records of every type, each linked to its neighbours, so that pages can be
    measured at two sizes."""
    return populate_records


def populate_records(n):
    """``n`` records of every type, linked to their neighbours: {type: the first}."""
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
    claims = []
    for part in parts:
        child = factories.SectionFactory(
            kind="section", parent=part, position=1, body="The accord was signed in 1942."
        )
        claims.append(
            factories.ClaimFactory(section=child, passage="signed in 1942", sources=sources)
        )
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
        "claim": claims[0],
    }


@pytest.fixture
def editor(django_user_model):
    """A client signed in as an editor (ana)."""
    return signed_in(django_user_model, "ana", EDITOR)


@pytest.fixture
def publisher(django_user_model):
    """A client signed in as a publisher (pablo)."""
    return signed_in(django_user_model, "pablo", PUBLISHER)
