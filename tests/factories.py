"""factory_boy factories for every record, with sensible relations. Like an editor's save in
the admin, a record and its relations are saved first and one version of the whole is kept."""

import datetime

import factory

from cooperation import models
from cooperation.dates import DatePrecision
from cooperation.history import record_version

FACTORY_REASON = "Created by a test factory"


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Source
        django_get_or_create = ["slug"]

    title = factory.Sequence(lambda n: f"Source {n}")
    slug = factory.Sequence(lambda n: f"source-{n}")
    kind = models.SourceKind.SCHOLARSHIP
    state = models.State.PUBLISHED


class VersionedFactory(factory.django.DjangoModelFactory):
    """A published record with sources, saved with its relations and then given one version."""

    class Meta:
        abstract = True
        skip_postgeneration_save = True

    state = models.State.PUBLISHED

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        record = model_class(*args, **kwargs)
        record.skip_history_when_saving = True
        record.save()
        return record

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            del instance.skip_history_when_saving
            record_version(instance, "+", FACTORY_REASON)

    @factory.post_generation
    def sources(self, create, extracted, **kwargs):
        if create and extracted:
            self.sources.set(extracted)


class RecordFactory(VersionedFactory):
    class Meta:
        abstract = True

    title = factory.Sequence(lambda n: f"Record {n}")
    slug = factory.Sequence(lambda n: f"record-{n}")
    summary = "A summary."


class PartyFactory(RecordFactory):
    class Meta:
        model = models.Party

    title = factory.Sequence(lambda n: f"Party {n}")
    slug = factory.Sequence(lambda n: f"party-{n}")
    kind = models.PartyKind.STATE
    country = models.Country.OTHER


class EraFactory(RecordFactory):
    class Meta:
        model = models.Era

    title = factory.Sequence(lambda n: f"Era {n}")
    slug = factory.Sequence(lambda n: f"era-{n}")
    start_year = factory.Sequence(lambda n: 1900 + n % 100)
    end_year = factory.LazyAttribute(lambda era: era.start_year + 5)


class ThreatFactory(RecordFactory):
    class Meta:
        model = models.Threat

    title = factory.Sequence(lambda n: f"Threat {n}")
    slug = factory.Sequence(lambda n: f"threat-{n}")
    category = models.ThreatCategory.CRIME


class AgreementFactory(RecordFactory):
    class Meta:
        model = models.Agreement

    title = factory.Sequence(lambda n: f"Agreement {n}")
    slug = factory.Sequence(lambda n: f"agreement-{n}")
    kind = models.AgreementKind.TREATY
    scope = models.Scope.BILATERAL
    status = models.AgreementStatus.IN_FORCE
    era = factory.SubFactory(EraFactory)
    signed_date = datetime.date(1947, 9, 2)
    signed_precision = DatePrecision.DAY

    @factory.post_generation
    def parties(self, create, extracted, **kwargs):
        if create and extracted:
            self.parties.set(extracted)

    @factory.post_generation
    def threats(self, create, extracted, **kwargs):
        if create and extracted:
            self.threats.set(extracted)


class InitiativeFactory(RecordFactory):
    class Meta:
        model = models.Initiative

    title = factory.Sequence(lambda n: f"Initiative {n}")
    slug = factory.Sequence(lambda n: f"initiative-{n}")
    category = models.InitiativeCategory.JOINT_TRAINING
    status = models.InitiativeStatus.ONGOING
    era = factory.SubFactory(EraFactory)
    started_date = datetime.date(2004, 1, 1)
    started_precision = DatePrecision.YEAR

    @factory.post_generation
    def participants(self, create, extracted, **kwargs):
        if create and extracted:
            self.participants.set(extracted)

    @factory.post_generation
    def threats(self, create, extracted, **kwargs):
        if create and extracted:
            self.threats.set(extracted)


class EventFactory(RecordFactory):
    class Meta:
        model = models.Event

    title = factory.Sequence(lambda n: f"Event {n}")
    slug = factory.Sequence(lambda n: f"event-{n}")
    started_date = datetime.date(1914, 4, 1)
    started_precision = DatePrecision.MONTH


class SectionFactory(RecordFactory):
    class Meta:
        model = models.Section

    title = factory.Sequence(lambda n: f"Part {n}")
    slug = factory.Sequence(lambda n: f"section-{n}")
    kind = models.SectionKind.PART
    position = factory.Sequence(lambda n: 100 + n)


class ClaimFactory(VersionedFactory):
    class Meta:
        model = models.Claim

    slug = factory.Sequence(lambda n: f"claim-{n}")
    section = factory.SubFactory(
        SectionFactory, body="The agreement was signed at Washington in 1942, the article says."
    )
    passage = "signed at Washington in 1942"
    verdict = models.ClaimVerdict.PARTLY_ACCURATE
    finding = "It was signed on 27 March 1942."
