import pytest
from django.core.cache import cache

from tests import factories


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _page_cache_off(settings):
    """Pages are measured and tested doing all their work; tests/test_caching.py turns the
    page cache on where it is the subject."""
    settings.PAGE_CACHE = False
    cache.clear()


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
