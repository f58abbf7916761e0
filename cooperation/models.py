"""The records of US–Mexico defense cooperation and the article that discusses them.

Only published records are public. The QuerySets carry that rule: ``published()`` for a list,
``prefetch_published()`` for a record's to-many relations, and each record's ``public_…``
accessors for its single relations (an agreement's era, an initiative's agreement)."""

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import F, Prefetch, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .citations import CitationList, by_source, validate_citations
from .dates import (
    by_date,
    end_unknown_by,
    held_in,
    latest_field,
    list_order_index,
    partial_date,
    partial_date_constraint,
    precision_field,
    qualifier_field,
    validate_date_order,
    validate_partial_dates,
)
from .history import RecordHistory
from .markup import passage_text

#: A page lists at most this many records of one relation, and links to the rest.
SHOWN_LINKS = 50


class State(models.TextChoices):
    """Where a record is in the editorial workflow. Only published records are public."""

    DRAFT = "draft", _("draft")
    IN_REVIEW = "review", _("in review")
    PUBLISHED = "published", _("published")
    WITHDRAWN = "withdrawn", _("withdrawn")


class PublicQuerySet(models.QuerySet):
    """What every public record type's QuerySet offers."""

    def published(self):
        return self.filter(state=State.PUBLISHED)

    def prefetch_published(self, *relations):
        """Prefetch the to-many ``relations`` keeping only their published records, so that
        no page lists a draft through a relation."""
        return self.prefetch_related(
            *(
                Prefetch(name, self.model._meta.get_field(name).related_model.objects.published())
                for name in relations
            )
        )

    def search(self, query):
        """Records that match ``query`` (a ``search.Query``) in the site-wide index."""
        from .search import engine

        return self.filter(pk__in=engine().record_ids(self.model._meta.model_name, query))


class PublicManager(models.Manager.from_queryset(PublicQuerySet)):
    """Records are found by their slug: it is their URL and their natural key in fixtures."""

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class public_relation:
    """The record in foreign key ``name`` if readers may see it, else None: a page shows an
    agreement's era only while the era is published. Fetch it with ``select_related``."""

    def __init__(self, name):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        related = getattr(instance, self.name)
        return related if related is not None and related.is_published else None


#: The longest texts a record holds, in characters: a long essay, not a book. The admin's form
#: and every import refuse more, so that no page grows past what a reader can load.
SUMMARY_LENGTH, BODY_LENGTH, NOTE_LENGTH = 2_000, 100_000, 20_000


def bounded_text(verbose_name, length, **options):
    """A text of at most ``length`` characters, checked by forms and by ``full_clean()``."""
    options.setdefault("blank", True)
    return models.TextField(
        verbose_name,
        max_length=length,
        validators=[MaxLengthValidator(length)],
        **options,
    )


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class Publishable(TimeStamped):
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True
    )
    #: Moved on by every save. An editor's form carries the number it was opened on, and its
    #: save is refused if the number has moved since (``cooperation.admin.history``).
    lock_version = models.PositiveIntegerField(_("edit number"), default=1, editable=False)

    class Meta:
        abstract = True
        # Adds a "publish_<model>" permission: publish, withdraw and restore.
        default_permissions = ("add", "change", "delete", "view", "publish")

    def save(self, *args, update_fields=None, **kwargs):
        # Every writer moves the number on (the admin, an import, a revert), so that a form
        # opened before any of them is refused rather than saved over their change.
        if not self._state.adding:
            self.lock_version += 1
            if update_fields is not None:
                update_fields = {*update_fields, "lock_version"}
        super().save(*args, update_fields=update_fields, **kwargs)

    def get_absolute_url(self):
        return reverse(f"cooperation:{self._meta.model_name}-detail", args=[self.slug])

    @property
    def is_published(self):
        return self.state == State.PUBLISHED

    def natural_key(self):
        return (self.slug,)

    def claim(self, opened_on):
        """Move the edit number on from ``opened_on`` in one statement, inside the caller's
        transaction: False if another save moved it first. Of two saves at the same moment,
        one claims and the other is refused; on PostgreSQL the second waits for the first
        to commit, on SQLite writers take turns. The save that follows writes the same
        number."""
        claimed = type(self).objects.filter(pk=self.pk, lock_version=opened_on)
        return bool(claimed.update(lock_version=opened_on + 1))


class Record(Publishable):
    """What every public record shares: a title, a slug, text, sources and an editorial note."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    summary = bounded_text(_("summary"), SUMMARY_LENGTH, help_text=_("One paragraph."))
    body = bounded_text(
        _("body"),
        BODY_LENGTH,
        help_text=_("Markdown. Link a record with [[agreement:slug]] or [[agreement:slug|text]]."),
    )
    editorial_note = bounded_text(
        _("editorial note"),
        NOTE_LENGTH,
        help_text=_(
            "Where the source article and the public record differ: what the record shows."
        ),
    )
    sources = models.ManyToManyField("Source", verbose_name=_("sources"), blank=True)
    citations = CitationList(
        _("citations"),
        default=list,
        blank=True,
        validators=[validate_citations],
        help_text=_("Where in each of its sources to look, and what that part supports."),
    )

    objects = PublicManager()

    #: The partial dates of the record, by name (``signed`` is ``signed_date`` and
    #: ``signed_precision``).
    DATES = ()

    class Meta(Publishable.Meta):
        abstract = True

    def __str__(self):
        return self.title

    def date_errors(self):
        """{field: message} for each partial date stored wrongly, and for a date that falls
        after the record's end."""
        errors = validate_partial_dates(self, *self.DATES)
        if "ended" in self.DATES:
            for first in self.DATES:
                if first != "ended":
                    errors |= validate_date_order(self, first, "ended")
        return errors

    def clean(self):
        if errors := self.date_errors():
            raise ValidationError(errors)

    def cited_sources(self):
        """(source, [what the record cites it for]) for each of its published sources."""
        return by_source(self.citations, self.sources.all())

    def citations_of(self, source):
        """What the record cites ``source`` for."""
        [(_source, citations)] = by_source(self.citations, [source])
        return citations


# --- Sources and parties ---------------------------------------------------------------------


class SourceKind(models.TextChoices):
    SOURCE_ARTICLE = "source_article", _("source article")
    TREATY_TEXT = "treaty_text", _("treaty or agreement text")
    GOVERNMENT_DOCUMENT = "government_document", _("government document")
    GOVERNMENT_REPORT = "government_report", _("government report")
    NEWS = "news", _("news")
    SCHOLARSHIP = "scholarship", _("scholarship")
    REFERENCE = "reference", _("reference work")


class Source(Publishable):
    """A citable reference. The source article itself is one."""

    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=SourceKind.choices)
    author = models.CharField(_("author"), max_length=200, blank=True)
    publisher = models.CharField(_("publisher"), max_length=200, blank=True)
    issued_date = models.DateField(_("published"), null=True, blank=True)
    issued_precision = precision_field(_("published to the"))
    url = models.URLField(
        _("URL"),
        max_length=500,
        blank=True,
        help_text=_("The page that holds the source itself, not a site's home page."),
    )
    identifier = models.CharField(
        _("identifier"),
        max_length=200,
        blank=True,
        help_text=_(
            "A stable identifier where there is one: a CRS report number, a FRUS volume and "
            "document, a treaty series number, a DOI."
        ),
    )
    accessed_date = models.DateField(_("consulted"), null=True, blank=True)
    description = bounded_text(_("description"), NOTE_LENGTH)

    history = RecordHistory(m2m_fields=())
    objects = PublicManager()

    #: The date of publication, named as in CSL: ``issued``.
    DATES = ("issued",)

    class Meta(Publishable.Meta):
        ordering = ["title"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        constraints = [partial_date_constraint("source", "issued")]

    issued = partial_date("issued")

    def __str__(self):
        return self.title

    def clean(self):
        errors = validate_partial_dates(self, *self.DATES)
        if self.kind != SourceKind.SOURCE_ARTICLE and not (self.url or self.identifier):
            errors["url"] = _(
                "Give the address of the page that holds the source, or a stable identifier: "
                "a reader must be able to find it."
            )
        elif self.url and urlsplit(self.url).path in ("", "/") and not urlsplit(self.url).query:
            errors["url"] = _(
                "This is a site's home page: give the address of the page that holds the source."
            )
        if errors:
            raise ValidationError(errors)

    @classmethod
    def citing_relations(cls):
        """The many-to-many relations by which records cite sources, one per record type."""
        return [
            relation
            for relation in cls._meta.related_objects
            if relation.many_to_many and relation.field.name == "sources"
        ]


class PartyKind(models.TextChoices):
    STATE = "state", _("state")
    ARMED_FORCE = "armed_force", _("armed force")
    MILITARY_COMMAND = "military_command", _("military command")
    AGENCY = "agency", _("government agency")
    INTERNATIONAL_ORGANIZATION = "international_organization", _("international organization")


class Country(models.TextChoices):
    UNITED_STATES = "us", _("United States")
    MEXICO = "mx", _("Mexico")
    OTHER = "other", _("other country")
    INTERNATIONAL = "international", _("international")


class PartyQuerySet(PublicQuerySet):
    def for_list(self):
        return self.order_by("country", "title")

    def for_detail(self):
        return self.prefetch_published("sources")


class Party(Record):
    """A state, armed force, military command, agency or international organization."""

    kind = models.CharField(_("kind"), max_length=30, choices=PartyKind.choices)
    country = models.CharField(_("country"), max_length=15, choices=Country.choices)
    abbreviation = models.CharField(_("abbreviation"), max_length=30, blank=True)

    history = RecordHistory(m2m_fields=("sources",))
    objects = PublicManager.from_queryset(PartyQuerySet)()

    class Meta(Record.Meta):
        ordering = ["title"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")


# --- Eras and threats ------------------------------------------------------------------------


class EraQuerySet(PublicQuerySet):
    def for_list(self):
        return self.order_by("start_year", "title")

    def for_detail(self):
        return self.prefetch_published("sources", "sections")


class Era(Record):
    """A period of the relationship. An empty end year means it goes on."""

    start_year = models.PositiveSmallIntegerField(_("start year"))
    end_year = models.PositiveSmallIntegerField(_("end year"), null=True, blank=True)

    history = RecordHistory(m2m_fields=("sources",))
    objects = PublicManager.from_queryset(EraQuerySet)()

    class Meta(Record.Meta):
        ordering = ["start_year", "title"]
        verbose_name = _("era")
        verbose_name_plural = _("eras")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_year__isnull=True) | Q(end_year__gte=F("start_year")),
                name="era_starts_before_it_ends",
                violation_error_message=_("An era cannot end before it starts."),
            ),
        ]


class ThreatCategory(models.TextChoices):
    CRIME = "crime", _("crime and trafficking")
    TERRORISM = "terrorism", _("terrorism")
    CYBER = "cyber", _("cyber")
    GEOPOLITICAL = "geopolitical", _("geopolitical")
    NATURAL = "natural", _("natural hazards")
    MIGRATION = "migration", _("migration and displacement")


class ThreatQuerySet(PublicQuerySet):
    def for_list(self):
        return self.order_by("title")

    def addressed_in_eras(self, eras):
        """Threats addressed by a published agreement or initiative of one of ``eras``."""
        condition = Q()
        for links, record in Threat.links():
            in_eras = links.filter(**{f"{record}__era__in": eras})
            condition |= Q(pk__in=in_eras.values("threat"))
        return self.filter(condition)

    def for_detail(self):
        return self.prefetch_published("sources")


class Threat(Record):
    """What cooperation is against."""

    category = models.CharField(_("category"), max_length=15, choices=ThreatCategory.choices)

    history = RecordHistory(m2m_fields=("sources",))
    objects = PublicManager.from_queryset(ThreatQuerySet)()

    class Meta(Record.Meta):
        ordering = ["title"]
        verbose_name = _("threat")
        verbose_name_plural = _("threats")

    @staticmethod
    def links():
        """The links from published agreements and from published initiatives to the threats
        they address, each with the name of its record's side: how a threat belongs to an
        era."""
        return [
            (
                Agreement.threats.through.objects.filter(agreement__state=State.PUBLISHED),
                "agreement",
            ),
            (
                Initiative.threats.through.objects.filter(initiative__state=State.PUBLISHED),
                "initiative",
            ),
        ]


# --- Agreements, initiatives and events ------------------------------------------------------


class AgreementKind(models.TextChoices):
    TREATY = "treaty", _("treaty")
    EXECUTIVE_AGREEMENT = "executive_agreement", _("executive agreement")
    EXCHANGE_OF_NOTES = "exchange_of_notes", _("exchange of notes")
    PROGRAMME = "programme", _("programme")
    FRAMEWORK = "framework", _("framework")
    POLICY = "policy", _("policy")
    PLAN = "plan", _("plan")
    JOINT_DECLARATION = "joint_declaration", _("joint declaration")
    TRADE_AGREEMENT = "trade_agreement", _("trade agreement")
    LEGISLATION = "legislation", _("legislation")


class Scope(models.TextChoices):
    BILATERAL = "bilateral", _("bilateral")
    MULTILATERAL = "multilateral", _("multilateral")
    UNILATERAL = "unilateral", _("unilateral")


class AgreementStatus(models.TextChoices):
    IN_FORCE = "in_force", _("in force")
    TERMINATED = "terminated", _("terminated")
    SUPERSEDED = "superseded", _("superseded")
    EXPIRED = "expired", _("expired")
    PROPOSED = "proposed", _("proposed")
    UNVERIFIED = "unverified", _("unverified")


#: The statuses that say an agreement still holds.
AGREEMENT_HOLDS = [AgreementStatus.IN_FORCE]


class AgreementQuerySet(PublicQuerySet):
    def for_list(self):
        return self.select_related("era").prefetch_published("parties", "threats")

    def for_detail(self):
        return self.select_related("era", "supersedes").prefetch_published("sources")

    def signed_from(self, year):
        return self.filter(signed_date__gte=datetime.date(year, 1, 1))

    def signed_until(self, year):
        return self.filter(signed_date__lte=datetime.date(year, 12, 31))

    def in_force_in(self, year):
        """In force at some point of ``year``: in force (else signed) by its end, and ended in
        or after it, or not ended and "in force". One never in force nor signed, or only
        proposed, is not counted; one that ended on a date it does not give is not counted
        either (``end_unknown_in``)."""
        return self.alias(began=Coalesce("in_force_date", "signed_date")).filter(
            held_in(year, "began", "ended_date", holding=AGREEMENT_HOLDS)
        )

    def end_unknown_in(self, year):
        """Begun by the end of ``year``, and ended (or unverified) on a date not given."""
        return self.alias(began=Coalesce("in_force_date", "signed_date")).filter(
            end_unknown_by(
                year,
                "began",
                "ended_date",
                holding=AGREEMENT_HOLDS,
                never=[AgreementStatus.PROPOSED],
            )
        )


def supersession_cycle(start, first_step, next_of):
    """The chain of agreement ids from ``start`` back to ``start`` if following what each
    supersedes comes back to it, else None. ``first_step`` is what ``start`` supersedes and
    ``next_of(id)`` what the agreement ``id`` supersedes: the model checks a form against the
    database, an import checks the whole table at once."""
    chain, current = [start], first_step
    while current is not None:
        if current == start:
            return [*chain, start]
        if current in chain:
            return None  # a cycle that does not pass through ``start``
        chain.append(current)
        current = next_of(current)
    return None


class Agreement(Record):
    """A treaty, agreement, programme, framework, policy or plan."""

    kind = models.CharField(_("kind"), max_length=20, choices=AgreementKind.choices)
    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices)
    status = models.CharField(_("status"), max_length=10, choices=AgreementStatus.choices)
    era = models.ForeignKey(
        Era,
        verbose_name=_("era"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreements",
    )
    parties = models.ManyToManyField(
        Party, verbose_name=_("parties"), blank=True, related_name="agreements"
    )
    threats = models.ManyToManyField(
        Threat, verbose_name=_("threats addressed"), blank=True, related_name="agreements"
    )
    supersedes = models.ForeignKey(
        "self",
        verbose_name=_("supersedes"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
    )
    signed_date = models.DateField(_("signed"), null=True, blank=True)
    signed_precision = precision_field(_("signed date known to the"))
    signed_qualifier = qualifier_field(_("signing date is"))
    signed_latest = latest_field(_("signing date at the latest"))
    in_force_date = models.DateField(_("in force from"), null=True, blank=True)
    in_force_precision = precision_field(_("in-force date known to the"))
    in_force_qualifier = qualifier_field(_("in-force date is"))
    in_force_latest = latest_field(_("in-force date at the latest"))
    ended_date = models.DateField(_("ended"), null=True, blank=True)
    ended_precision = precision_field(_("end date known to the"))
    ended_qualifier = qualifier_field(_("end date is"))
    ended_latest = latest_field(_("end date at the latest"))

    history = RecordHistory(m2m_fields=("parties", "threats", "sources"))
    objects = PublicManager.from_queryset(AgreementQuerySet)()

    DATES = ("signed", "in_force", "ended")

    class Meta(Record.Meta):
        ordering = by_date("signed_date")
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        # The list's facets count published agreements per value: each index answers one.
        indexes = [
            list_order_index("agreement_list_order_idx", "signed_date"),
            # An era's page of the list, in order, without sorting the era's records.
            list_order_index("agreement_era_order_idx", "signed_date", within="era"),
            *(
                models.Index(fields=["state", field], name=f"agreement_state_{field}_idx")
                for field in ("era", "kind", "scope", "status")
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(supersedes=F("pk")),
                name="agreement_does_not_supersede_itself",
                violation_error_message=_("An agreement cannot supersede itself."),
            ),
            partial_date_constraint("agreement", "signed"),
            partial_date_constraint("agreement", "in_force"),
            partial_date_constraint("agreement", "ended"),
        ]

    signed = partial_date("signed")
    in_force = partial_date("in_force")
    ended = partial_date("ended")
    public_era = public_relation("era")
    public_supersedes = public_relation("supersedes")

    def clean(self):
        errors = self.date_errors()
        if self.supersedes_id and self.supersedes_id == self.pk:
            errors["supersedes"] = _("An agreement cannot supersede itself.")
        elif self.supersedes_id and self.pk:
            rows = Agreement.objects.values_list("supersedes_id", flat=True)
            if supersession_cycle(self.pk, self.supersedes_id, lambda pk: rows.get(pk=pk)):
                errors["supersedes"] = _(
                    "This would make a cycle: the agreement would end up superseding itself."
                )
        if errors:
            raise ValidationError(errors)


class InitiativeCategory(models.TextChoices):
    JOINT_TRAINING = "joint_training", _("joint training and exercises")
    INTELLIGENCE_SHARING = "intelligence_sharing", _("intelligence sharing")
    BORDER_SECURITY = "border_security", _("border security")
    COUNTER_NARCOTICS = "counter_narcotics", _("counter-narcotics")
    CYBERSECURITY = "cybersecurity", _("cybersecurity")
    HUMANITARIAN = "humanitarian", _("humanitarian assistance and disaster relief")
    MILITARY_AID = "military_aid", _("military aid and equipment")
    COMBINED_OPERATIONS = "combined_operations", _("combined military operations")
    RESEARCH = "research", _("research and development")
    INSTITUTION = "institution", _("standing institution")


class InitiativeStatus(models.TextChoices):
    ONGOING = "ongoing", _("ongoing")
    COMPLETED = "completed", _("completed")
    PROPOSED = "proposed", _("proposed")
    UNVERIFIED = "unverified", _("unverified")


#: The statuses that say an initiative still goes on.
INITIATIVE_HOLDS = [InitiativeStatus.ONGOING]


class InitiativeQuerySet(PublicQuerySet):
    def for_list(self):
        return self.select_related("era", "agreement").prefetch_published("participants", "threats")

    def for_detail(self):
        return self.select_related("era", "agreement").prefetch_published("sources")

    def active_in(self, year):
        """Active at some point of ``year``: started by its end, and ended in or after it, or
        not ended and "ongoing" (see ``Agreement.in_force_in``)."""
        return self.filter(held_in(year, "started_date", "ended_date", holding=INITIATIVE_HOLDS))

    def end_unknown_in(self, year):
        """Started by the end of ``year``, and ended (or unverified) on a date not given."""
        return self.filter(
            end_unknown_by(
                year,
                "started_date",
                "ended_date",
                holding=INITIATIVE_HOLDS,
                never=[InitiativeStatus.PROPOSED],
            )
        )


class Initiative(Record):
    """A concrete programme of cooperation: an exercise, a centre, a deployment, a programme."""

    category = models.CharField(_("category"), max_length=25, choices=InitiativeCategory.choices)
    status = models.CharField(_("status"), max_length=10, choices=InitiativeStatus.choices)
    era = models.ForeignKey(
        Era,
        verbose_name=_("era"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="initiatives",
    )
    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("under agreement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="initiatives",
    )
    participants = models.ManyToManyField(
        Party, verbose_name=_("participants"), blank=True, related_name="initiatives"
    )
    threats = models.ManyToManyField(
        Threat, verbose_name=_("threats addressed"), blank=True, related_name="initiatives"
    )
    started_date = models.DateField(_("started"), null=True, blank=True)
    started_precision = precision_field(_("start date known to the"))
    started_qualifier = qualifier_field(_("start date is"))
    started_latest = latest_field(_("start date at the latest"))
    ended_date = models.DateField(_("ended"), null=True, blank=True)
    ended_precision = precision_field(_("end date known to the"))
    ended_qualifier = qualifier_field(_("end date is"))
    ended_latest = latest_field(_("end date at the latest"))

    history = RecordHistory(m2m_fields=("participants", "threats", "sources"))
    objects = PublicManager.from_queryset(InitiativeQuerySet)()

    DATES = ("started", "ended")

    class Meta(Record.Meta):
        ordering = by_date("started_date")
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        indexes = [
            list_order_index("initiative_list_order_idx", "started_date"),
            *(
                models.Index(fields=["state", field], name=f"initiative_state_{field}_idx")
                for field in ("era", "category", "agreement")
            ),
        ]
        constraints = [
            partial_date_constraint("initiative", "started"),
            partial_date_constraint("initiative", "ended"),
        ]

    started = partial_date("started")
    ended = partial_date("ended")
    public_era = public_relation("era")
    public_agreement = public_relation("agreement")


class EventQuerySet(PublicQuerySet):
    def for_detail(self):
        return self.select_related("era").prefetch_published("sources")


class Event(Record):
    """Something that happened and shaped the relationship without being cooperation itself:
    a war, a revolution, an intervention, an attack."""

    era = models.ForeignKey(
        Era,
        verbose_name=_("era"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
    )
    parties = models.ManyToManyField(
        Party, verbose_name=_("parties involved"), blank=True, related_name="events"
    )
    threats = models.ManyToManyField(
        Threat, verbose_name=_("related threats"), blank=True, related_name="events"
    )
    started_date = models.DateField(_("date"), null=True, blank=True)
    started_precision = precision_field(_("date known to the"))
    started_qualifier = qualifier_field(_("start date is"))
    started_latest = latest_field(_("start date at the latest"))
    ended_date = models.DateField(_("ended"), null=True, blank=True)
    ended_precision = precision_field(_("end date known to the"))
    ended_qualifier = qualifier_field(_("end date is"))
    ended_latest = latest_field(_("end date at the latest"))

    history = RecordHistory(m2m_fields=("parties", "threats", "sources"))
    objects = PublicManager.from_queryset(EventQuerySet)()

    DATES = ("started", "ended")

    class Meta(Record.Meta):
        ordering = by_date("started_date")
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            partial_date_constraint("event", "started"),
            partial_date_constraint("event", "ended"),
        ]

    started = partial_date("started")
    ended = partial_date("ended")
    public_era = public_relation("era")


# --- The article -----------------------------------------------------------------------------


class SectionKind(models.TextChoices):
    INTRODUCTION = "introduction", _("introduction")
    PART = "part", _("part")
    SECTION = "section", _("section")
    CLOSING = "closing", _("closing paragraph")


class SectionQuerySet(PublicQuerySet):
    def for_contents(self):
        """What a table of contents needs, without the sections' texts."""
        return self.only("title", "slug", "kind", "parent", "position", "heading_in_article")

    def for_detail(self):
        return self.select_related("parent").prefetch_published("sources")


class Section(Record):
    """A part or section of the source article, with its text and the records it discusses."""

    kind = models.CharField(_("kind"), max_length=12, choices=SectionKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text=_("Empty for the introduction and the three parts."),
    )
    position = models.PositiveSmallIntegerField(_("position"))
    heading_in_article = models.BooleanField(
        _("heading in the article"),
        default=True,
        help_text=_("Off for closing paragraphs that the article prints without a heading."),
    )
    eras = models.ManyToManyField(Era, verbose_name=_("eras"), blank=True, related_name="sections")
    agreements = models.ManyToManyField(
        Agreement, verbose_name=_("agreements"), blank=True, related_name="sections"
    )
    initiatives = models.ManyToManyField(
        Initiative, verbose_name=_("initiatives"), blank=True, related_name="sections"
    )
    threats = models.ManyToManyField(
        Threat, verbose_name=_("threats"), blank=True, related_name="sections"
    )
    events = models.ManyToManyField(
        Event, verbose_name=_("events"), blank=True, related_name="sections"
    )
    parties = models.ManyToManyField(
        Party, verbose_name=_("parties"), blank=True, related_name="sections"
    )

    history = RecordHistory(
        m2m_fields=("eras", "agreements", "initiatives", "threats", "events", "parties", "sources")
    )
    objects = PublicManager.from_queryset(SectionQuerySet)()

    #: The records a section discusses, by relation, in the order its page lists them.
    DISCUSSES = ("eras", "agreements", "initiatives", "events", "threats", "parties")

    class Meta(Record.Meta):
        # Reading order: each top-level section, then the sections of that part.
        ordering = [
            models.functions.Coalesce("parent__position", "position"),
            F("parent").asc(nulls_first=True),
            "position",
        ]
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "position"],
                name="section_position_unique_in_part",
                violation_error_message=_("Another section of this part has this position."),
            ),
            models.UniqueConstraint(
                fields=["position"],
                condition=Q(parent__isnull=True),
                name="top_level_section_position_unique",
                violation_error_message=_("Another top-level section has this position."),
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("pk")),
                name="section_is_not_its_own_part",
                violation_error_message=_("A section cannot be its own part."),
            ),
        ]

    public_parent = public_relation("parent")

    def clean(self):
        if self.parent_id and self.parent.parent_id:
            raise ValidationError(
                {
                    "parent": _(
                        "Sections sit directly under a part: the part chosen is itself a section."
                    )
                }
            )
        top_level = self.kind in (SectionKind.INTRODUCTION, SectionKind.PART)
        if top_level and self.parent_id:
            raise ValidationError(
                {"parent": _("The introduction and the parts have no part above them.")}
            )
        if not top_level and not self.parent_id:
            raise ValidationError({"parent": _("Choose the part this section belongs to.")})
        if self.pk:
            text = passage_text(self.body)
            lost = [
                claim.slug
                for claim in self.claims.only("slug", "passage")
                if passage_text(claim.passage) not in text
            ]
            if lost:
                raise ValidationError(
                    {
                        "body": _(
                            "This text no longer holds the passage of the claims %(claims)s: "
                            "change or delete those claims first, so that no check is lost."
                        )
                        % {"claims": ", ".join(f"“{slug}”" for slug in lost[:10])}
                    }
                )


# --- Claims: the article's words checked against the public record ----------------------------


class ClaimVerdict(models.TextChoices):
    ACCURATE = "accurate", _("accurate")
    PARTLY_ACCURATE = "partly_accurate", _("partly accurate")
    MISLEADING = "misleading", _("misleading")
    INACCURATE = "inaccurate", _("inaccurate")
    #: Nothing read confirms or refutes it: a name no record holds, an effect no source tests.
    UNVERIFIABLE = "unverifiable", _("unverifiable")


class ClaimQuerySet(PublicQuerySet):
    def for_list(self):
        return self.select_related("section")

    def for_detail(self):
        return self.for_list().prefetch_published("sources")


class Claim(Publishable):
    """A passage of the article, in its exact words, checked: the verdict on it, what the public
    record shows, and the sources for that. The passage must occur in its section's text: a
    section page marks it there, with the finding beside it."""

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    section = models.ForeignKey(
        Section, verbose_name=_("section"), on_delete=models.PROTECT, related_name="claims"
    )
    passage = bounded_text(
        _("passage"),
        1_000,
        blank=False,
        help_text=_("The article's exact words, as the section's text gives them."),
    )
    verdict = models.CharField(_("verdict"), max_length=20, choices=ClaimVerdict.choices)
    finding = bounded_text(
        _("what the public record shows"),
        NOTE_LENGTH,
        blank=False,
        help_text=_(
            "Cite sources inline as [[source:slug|words]], and link records as in any text."
        ),
    )
    sources = models.ManyToManyField(
        Source, verbose_name=_("sources"), blank=True, related_name="claims"
    )

    history = RecordHistory(m2m_fields=("sources",))
    objects = PublicManager.from_queryset(ClaimQuerySet)()

    class Meta(Publishable.Meta):
        ordering = ["section", "pk"]
        verbose_name = _("claim")
        verbose_name_plural = _("claims")

    def __str__(self):
        words = self.passage.split()
        return " ".join(words[:12]) + (" …" if len(words) > 12 else "")

    @property
    def title(self):
        return str(self)

    def clean(self):
        if not (self.section_id and self.passage):
            return
        text, passage = passage_text(self.section.body), passage_text(self.passage)
        if passage not in text:
            raise ValidationError(
                {
                    "passage": _(
                        "These words do not occur in the text of the section “%(section)s”: "
                        "a claim quotes the article exactly."
                    )
                    % {"section": self.section}
                }
            )
        start = text.index(passage)
        others = Claim.objects.filter(section=self.section_id).exclude(pk=self.pk)
        for other in others.only("slug", "passage"):
            words = passage_text(other.passage)
            at = text.find(words)
            if at >= 0 and at < start + len(passage) and start < at + len(words):
                raise ValidationError(
                    {
                        "passage": _(
                            "These words overlap the passage of the claim “%(slug)s” of this "
                            "section: a passage is checked once."
                        )
                        % {"slug": other.slug}
                    }
                )


#: Every public type, in the order imports and pages treat them: each may refer to those
#: before it.
PUBLIC_MODELS = (Source, Party, Era, Threat, Agreement, Initiative, Event, Section, Claim)
#: The public types that are records of the history (every public type but Source).
RECORD_MODELS = tuple(model for model in PUBLIC_MODELS if issubclass(model, Record))


#: Each public type's number in search entries' ids. Stored in every entry's id, so a type
#: keeps its number for good: a new type takes the next one, whatever its place above.
KIND_NUMBERS = {
    "source": 1,
    "party": 2,
    "era": 3,
    "threat": 4,
    "agreement": 5,
    "initiative": 6,
    "event": 7,
    "section": 8,
    "claim": 9,
}
KIND_NAMES = {number: kind for kind, number in KIND_NUMBERS.items()}
#: Each public type's name for readers: "agreement".
KIND_LABELS = {model._meta.model_name: model._meta.verbose_name for model in PUBLIC_MODELS}


class SearchEntry(models.Model):
    """What readers see of one published record, as the site-wide search indexes it: its
    texts with record links rendered to their words and Markdown to plain text. The database's
    own full-text index over these rows (``cooperation.search``) is what queries read.

    An entry's id is made of its record's type, era and id: ``kind number * KIND_SPAN + era
    id * ERA_SPAN + record id``. The full-text index returns ids, so it alone then answers
    "which records of this type match" (a range of ids) and counts matches per type and era,
    with no lookup of a hundred thousand entries."""

    KIND_SPAN = 10**15
    ERA_SPAN = 10**11

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=20)
    record_id = models.PositiveBigIntegerField()
    slug = models.SlugField(max_length=100)
    era = models.ForeignKey(Era, null=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "record_id"], name="searchentry_record_unique")
        ]

    def __str__(self):
        return f"{self.kind}:{self.slug}"

    def get_absolute_url(self):
        return reverse(f"cooperation:{self.kind}-detail", kwargs={"slug": self.slug})

    @classmethod
    def id_of(cls, kind, era_id, record_id):
        if record_id >= cls.ERA_SPAN or (era_id or 0) >= cls.KIND_SPAN // cls.ERA_SPAN:
            raise ValueError(f"{kind} {record_id} (era {era_id}): an id too large to index")
        return KIND_NUMBERS[kind] * cls.KIND_SPAN + (era_id or 0) * cls.ERA_SPAN + record_id

    @classmethod
    def ids_of_kind(cls, kind):
        """The first and last id an entry of ``kind`` can have."""
        first = KIND_NUMBERS[kind] * cls.KIND_SPAN
        return first, first + cls.KIND_SPAN - 1

    @classmethod
    def kind_and_era(cls, slot):
        """(kind, era id or None) of ``id // ERA_SPAN``."""
        kind_number, era_id = divmod(slot, cls.KIND_SPAN // cls.ERA_SPAN)
        return KIND_NAMES[kind_number], era_id or None


class ContentVersion(models.Model):
    """One row that changes, in the same transaction, whenever public content changes: the
    version that public pages are validated and cached by, and counts remembered by (see
    ``cooperation.caching``).

    It lives in the database, not in the cache, so that every worker and every host sees a
    publish at once, whatever the cache backend."""

    number = models.PositiveBigIntegerField(default=1)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("content version")
        default_permissions = ()

    def __str__(self):
        return f"{self.number} ({self.changed_at:%Y-%m-%d %H:%M:%S})"


class RevisionStatus(models.TextChoices):
    PENDING = "pending", _("pending: not yet submitted")
    SUBMITTED = "submitted", _("awaiting review")
    SENT_BACK = "sent_back", _("sent back")
    PUBLISHED = "published", _("published")
    DISCARDED = "discarded", _("discarded")


class RevisionQuerySet(models.QuerySet):
    def open(self):
        """Revisions not yet published or discarded: at most one a record."""
        return self.filter(status__in=Revision.OPEN)

    def of(self, record):
        return self.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk
        )

    def for_list(self):
        return self.select_related("content_type", "author", "reviewer").order_by("-updated_at")


class Revision(models.Model):
    """Changes to a record that readers do not see yet, in the style of Wagtail's revisions.

    A published record's row is what readers see. An editor's changes to it are kept here, as
    the record's fields and relations (``fields``: {field or relation name: value or ids}),
    until a publisher publishes them (applies them to the row, in one transaction, with a
    version in the record's history) or sends them back with a comment. A new record is its
    own row, in draft; submitting it for review keeps a revision too, so that both kinds of
    change wait in one list."""

    OPEN = (RevisionStatus.PENDING, RevisionStatus.SUBMITTED, RevisionStatus.SENT_BACK)

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    fields = models.JSONField(_("changes"), encoder=DjangoJSONEncoder, default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=RevisionStatus.choices, default=RevisionStatus.PENDING
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="revisions",
    )
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    #: The record's edit number when these changes were written: publishing them over a
    #: record changed since is refused unless the publisher says otherwise.
    based_on = models.PositiveIntegerField()
    #: Moved on by every save of these changes, as a record's is.
    lock_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviews",
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    review_comment = models.TextField(_("reviewer's comment"), blank=True)

    objects = RevisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=Q(status__in=["pending", "submitted", "sent_back"]),
                name="one_open_revision_per_record",
            )
        ]
        indexes = [models.Index(fields=["status", "updated_at"], name="revision_status_idx")]

    def __str__(self):
        return _("Changes to %(record)s (%(status)s)") % {
            "record": self.record,
            "status": self.get_status_display(),
        }

    @property
    def is_open(self):
        return self.status in self.OPEN

    def claim(self, opened_on):
        """As ``Publishable.claim``: move the edit number on from ``opened_on``, or False."""
        claimed = Revision.objects.filter(pk=self.pk, lock_version=opened_on)
        return bool(claimed.update(lock_version=opened_on + 1))


class ImportStatus(models.TextChoices):
    CHECKING = "checking", _("being checked")
    CHECKED = "checked", _("checked: ready to import")
    REFUSED = "refused", _("refused: see its problems")
    IMPORTING = "importing", _("being imported")
    IMPORTED = "imported", _("imported")
    FAILED = "failed", _("failed")


class ImportJob(models.Model):
    """A file a publisher uploaded, checked and imported by a worker off the request path
    (``cooperation.tasks``). The file is kept here, not in the session nor on one host's
    disk, until it is imported or refused."""

    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.CASCADE
    )
    name = models.CharField(_("file"), max_length=200)
    data = models.BinaryField()
    publish = models.BooleanField(_("publish the records"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.CHECKING
    )
    #: What the check or the import found: Report.summary().
    report = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        default_permissions = ()
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.get_status_display()})"

    @property
    def is_running(self):
        return self.status in (ImportStatus.CHECKING, ImportStatus.IMPORTING)
