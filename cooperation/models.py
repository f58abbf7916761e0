"""The records of US–Mexico defense cooperation and the article that discusses them."""

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .history import RecordHistory

# --- Partial dates ---------------------------------------------------------------------------
# History knows many dates only to the year or the month. Each partial date is stored as a
# DateField holding its first possible day (so it sorts and filters as a date) plus a precision.


class DatePrecision(models.TextChoices):
    YEAR = "year", _("year")
    MONTH = "month", _("month")
    DAY = "day", _("day")


class PartialDate:
    """A date known to a given precision, shown at that precision."""

    def __init__(self, date, precision):
        self.date = date
        self.precision = precision

    def __str__(self):
        if self.precision == DatePrecision.YEAR:
            return str(self.date.year)
        if self.precision == DatePrecision.MONTH:
            return self.date.strftime("%B %Y")
        return f"{self.date.day} {self.date.strftime('%B %Y')}"

    def __repr__(self):
        return f"PartialDate({self.date.isoformat()!r}, {self.precision!r})"

    def __eq__(self, other):
        return isinstance(other, PartialDate) and (self.date, self.precision) == (
            other.date,
            other.precision,
        )

    def __hash__(self):
        return hash((self.date, self.precision))

    @property
    def iso(self):
        """The date in ISO 8601 at its precision: 1942, 1942-08 or 1942-08-04."""
        return self.date.isoformat()[: {"year": 4, "month": 7, "day": 10}[self.precision]]


def partial_date(instance, name):
    """The PartialDate stored in the fields ``<name>_date`` and ``<name>_precision``, or None."""
    date = getattr(instance, f"{name}_date")
    if date is None:
        return None
    return PartialDate(date, getattr(instance, f"{name}_precision"))


def validate_partial_dates(instance, *names):
    """Check that each partial date has a precision exactly when it has a date, and that a
    year or month date is stored as the first day of its year or month."""
    errors = {}
    for name in names:
        date = getattr(instance, f"{name}_date")
        precision = getattr(instance, f"{name}_precision")
        precision_field = f"{name}_precision"
        if date is None and precision:
            errors[precision_field] = _("A precision is given but the date is empty.")
        elif date is not None and not precision:
            errors[precision_field] = _("Say whether the date is known to the year, month or day.")
        elif precision == DatePrecision.YEAR and (date.month, date.day) != (1, 1):
            errors[f"{name}_date"] = _(
                "A date known only to the year is stored as 1 January of that year."
            )
        elif precision == DatePrecision.MONTH and date.day != 1:
            errors[f"{name}_date"] = _(
                "A date known only to the month is stored as the first day of that month."
            )
    return errors


def partial_date_constraint(model_name, name):
    """A date and its precision are both set or both empty."""
    return models.CheckConstraint(
        condition=Q(**{f"{name}_date__isnull": True, f"{name}_precision": ""})
        | (Q(**{f"{name}_date__isnull": False}) & ~Q(**{f"{name}_precision": ""})),
        name=f"{model_name}_{name}_date_has_precision",
    )


def precision_field(verbose_name):
    return models.CharField(verbose_name, max_length=5, choices=DatePrecision.choices, blank=True)


def validate_date_order(instance, first, last):
    """The date ``last`` cannot fall before the date ``first`` (at their first possible days)."""
    start = getattr(instance, f"{first}_date")
    end = getattr(instance, f"{last}_date")
    if start and end and end < start:
        return {f"{last}_date": _("This date falls before the %(first)s date.") % {"first": first}}
    return {}


# --- Shared parts ----------------------------------------------------------------------------


def undated(field):
    """True for a record without a value of the date ``field``: sorted first, it puts undated
    records last on every database. SQLite cannot index NULLS LAST, but it can index this
    expression, so that a list's page comes from an index instead of sorting the table."""
    return models.ExpressionWrapper(
        Q(**{f"{field}__isnull": True}), output_field=models.BooleanField()
    )


def by_date(field):
    """The default order of dated records: by ``field``, undated last, then by title."""
    return [undated(field).asc(), F(field).asc(), F("title").asc()]


def list_order_index(name, field):
    """The index that serves ``by_date(field)`` for published records."""
    return models.Index(F("state"), undated(field), F(field), F("title"), name=name)


class State(models.TextChoices):
    """Where a record is in the editorial workflow. Only published records are public."""

    DRAFT = "draft", _("draft")
    IN_REVIEW = "review", _("in review")
    PUBLISHED = "published", _("published")
    WITHDRAWN = "withdrawn", _("withdrawn")


class SlugQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)

    def published(self):
        return self.filter(state=State.PUBLISHED)


#: A page lists at most this many records of one relation, and links to the rest.
SHOWN_LINKS = 50


def published(relation, queryset):
    """Prefetch ``relation`` keeping only its published records, so that no page lists a
    draft through a relation."""
    return models.Prefetch(relation, queryset.published())


class SlugManager(models.Manager.from_queryset(SlugQuerySet)):
    """Records are found by their slug: it is their URL and their natural key in fixtures."""

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


def subquery_count(queryset, field):
    """The number of rows of ``queryset`` whose ``field`` is the outer row: a correlated
    subquery, so that several counts on one query do not multiply each other's joins."""
    rows = (
        queryset.all()
        .filter(**{field: models.OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(total=models.Count("*"))
        .values("total")
    )
    return models.functions.Coalesce(models.Subquery(rows), 0)


def published_links(model, relation, targets=None):
    """{target id: number of published ``model`` records linked to it through the many-to-many
    ``relation``}, for the ``targets`` ids given or for all.

    It counts all links less the links of unpublished records. Both counts read only the
    relation's table and its indexes: checking each link's record for its state instead would
    read the row of every record, which at scale costs ten times as much."""
    field = model._meta.get_field(relation)
    links = field.remote_field.through.objects.all()
    source, target = f"{field.m2m_field_name()}_id", f"{field.m2m_reverse_field_name()}_id"
    if targets is not None:
        links = links.filter(**{f"{target}__in": targets})

    def per_target(rows):
        return (
            rows.values_list(target).annotate(total=models.Count("*")).values_list(target, "total")
        )

    counts = dict(per_target(links))
    unpublished = model.objects.exclude(state=State.PUBLISHED).values("pk")
    for key, total in per_target(links.filter(**{f"{source}__in": unpublished})):
        counts[key] -= total
    return {key: total for key, total in counts.items() if total}


#: The link counts stored for the party and threat lists: (agreement relation, initiative
#: relation) by name.
LINK_COUNTS = {"party-links": ("parties", "participants"), "threat-links": ("threats", "threats")}


def add_link_counts(records, name):
    """Set ``agreement_count`` and ``initiative_count`` on each of ``records`` (a page of
    parties or threats): the published agreements and initiatives linked to it, stored under
    ``name`` (a key of LINK_COUNTS) or else counted for these records."""
    stored = stored_counts(name)
    if stored is not None:
        agreements, initiatives = stored["agreements"], stored["initiatives"]
    else:
        agreement_relation, initiative_relation = LINK_COUNTS[name]
        ids = [record.pk for record in records]
        agreements = published_links(Agreement, agreement_relation, ids)
        initiatives = published_links(Initiative, initiative_relation, ids)
    for record in records:
        record.agreement_count = agreements.get(record.pk, 0)
        record.initiative_count = initiatives.get(record.pk, 0)
    return records


def threat_links():
    """The links from published agreements and from published initiatives to the threats they
    address, each with the name of its record's side: how a threat belongs to an era."""
    return [
        (Agreement.threats.through.objects.filter(agreement__state=State.PUBLISHED), "agreement"),
        (
            Initiative.threats.through.objects.filter(initiative__state=State.PUBLISHED),
            "initiative",
        ),
    ]


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class Publishable(TimeStamped):
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True
    )

    class Meta:
        abstract = True
        # Adds a "publish_<model>" permission: publish, withdraw and restore.
        default_permissions = ("add", "change", "delete", "view", "publish")

    @property
    def is_published(self):
        return self.state == State.PUBLISHED


class Record(Publishable):
    """What every public record shares: a title, a slug, text, sources and an editorial note."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    summary = models.TextField(_("summary"), blank=True, help_text=_("One paragraph."))
    body = models.TextField(
        _("body"),
        blank=True,
        help_text=_("Markdown. Link a record with [[agreement:slug]] or [[agreement:slug|text]]."),
    )
    editorial_note = models.TextField(
        _("editorial note"),
        blank=True,
        help_text=_(
            "Where the source article and the public record differ: what the record shows."
        ),
    )
    sources = models.ManyToManyField("Source", verbose_name=_("sources"), blank=True)

    objects = SlugManager()

    class Meta(Publishable.Meta):
        abstract = True

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse(f"cooperation:{self._meta.model_name}-detail", args=[self.slug])

    def natural_key(self):
        return (self.slug,)


# --- Sources and parties ---------------------------------------------------------------------


class SourceKind(models.TextChoices):
    SOURCE_ARTICLE = "source_article", _("source article")
    TREATY_TEXT = "treaty_text", _("treaty or agreement text")
    GOVERNMENT_DOCUMENT = "government_document", _("government document")
    GOVERNMENT_REPORT = "government_report", _("government report")
    NEWS = "news", _("news")
    SCHOLARSHIP = "scholarship", _("scholarship")
    REFERENCE = "reference", _("reference work")


CITING_ACCESSORS = (
    "section_set",
    "era_set",
    "agreement_set",
    "initiative_set",
    "event_set",
    "threat_set",
    "party_set",
)


def citing_model(accessor):
    return Source._meta.get_field(accessor.removesuffix("_set")).related_model


def add_citation_counts(sources):
    """Set ``citation_count`` on each of ``sources`` (a page of the bibliography): the number of
    published records citing it, one grouped query per type of record."""
    counts = {}
    for accessor in CITING_ACCESSORS:
        model = citing_model(accessor)
        links = model.sources.through.objects.filter(
            source__in=[source.pk for source in sources],
            **{f"{model._meta.model_name}__state": State.PUBLISHED},
        )
        for source, total in links.values_list("source").annotate(total=models.Count("*")):
            counts[source] = counts.get(source, 0) + total
    for source in sources:
        source.citation_count = counts.get(source.pk, 0)
    return sources


class Source(Publishable):
    """A citable reference. The source article itself is one."""

    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=SourceKind.choices)
    author = models.CharField(_("author"), max_length=200, blank=True)
    publisher = models.CharField(_("publisher"), max_length=200, blank=True)
    published_date = models.DateField(_("published"), null=True, blank=True)
    published_precision = precision_field(_("published to the"))
    url = models.URLField(_("URL"), max_length=500, blank=True)
    description = models.TextField(_("description"), blank=True)

    history = RecordHistory(m2m_fields=())
    objects = SlugManager()

    class Meta(Publishable.Meta):
        ordering = ["title"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        constraints = [partial_date_constraint("source", "published")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("cooperation:source-detail", args=[self.slug])

    def natural_key(self):
        return (self.slug,)

    @property
    def published(self):
        return partial_date(self, "published")

    def clean(self):
        errors = validate_partial_dates(self, "published")
        if errors:
            raise ValidationError(errors)


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


class PartyQuerySet(SlugQuerySet):
    def for_list(self):
        return self.order_by("country", "title")

    def for_detail(self):
        return self.prefetch_related(
            published("sources", Source.objects),
        )


class Party(Record):
    """A state, armed force, military command, agency or international organization."""

    kind = models.CharField(_("kind"), max_length=30, choices=PartyKind.choices)
    country = models.CharField(_("country"), max_length=15, choices=Country.choices)
    abbreviation = models.CharField(_("abbreviation"), max_length=30, blank=True)

    history = RecordHistory(m2m_fields=("sources",))
    objects = SlugManager.from_queryset(PartyQuerySet)()

    class Meta(Record.Meta):
        ordering = ["title"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")


# --- Eras and threats ------------------------------------------------------------------------


class EraQuerySet(SlugQuerySet):
    def for_list(self):
        # Meta.ordering does not apply to aggregating queries: order explicitly.
        return self.annotate(
            agreement_count=subquery_count(Agreement.objects.published(), "era"),
            initiative_count=subquery_count(Initiative.objects.published(), "era"),
        ).order_by("start_year", "title")

    def for_detail(self):
        return self.prefetch_related(
            published("sources", Source.objects),
            published("sections", Section.objects.select_related("parent")),
        )


class Era(Record):
    """A period of the relationship. An empty end year means it goes on."""

    start_year = models.PositiveSmallIntegerField(_("start year"))
    end_year = models.PositiveSmallIntegerField(_("end year"), null=True, blank=True)

    history = RecordHistory(m2m_fields=("sources",))
    objects = SlugManager.from_queryset(EraQuerySet)()

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

    @property
    def years(self):
        return f"{self.start_year}–{self.end_year or ''}"


class ThreatCategory(models.TextChoices):
    CRIME = "crime", _("crime and trafficking")
    TERRORISM = "terrorism", _("terrorism")
    CYBER = "cyber", _("cyber")
    GEOPOLITICAL = "geopolitical", _("geopolitical")
    NATURAL = "natural", _("natural hazards")


class ThreatQuerySet(SlugQuerySet):
    def for_list(self):
        return self.order_by("title")

    def addressed_in_eras(self, eras):
        """Threats addressed by a published agreement or initiative of one of ``eras``."""
        condition = Q()
        for links, record in threat_links():
            in_eras = links.filter(**{f"{record}__era__in": eras})
            condition |= Q(pk__in=in_eras.values("threat"))
        return self.filter(condition)

    def for_detail(self):
        return self.prefetch_related(
            published("sources", Source.objects),
        )


class Threat(Record):
    """What cooperation is against."""

    category = models.CharField(_("category"), max_length=15, choices=ThreatCategory.choices)

    history = RecordHistory(m2m_fields=("sources",))
    objects = SlugManager.from_queryset(ThreatQuerySet)()

    class Meta(Record.Meta):
        ordering = ["title"]
        verbose_name = _("threat")
        verbose_name_plural = _("threats")


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


class AgreementQuerySet(SlugQuerySet):
    def for_list(self):
        return self.select_related("era").prefetch_related(
            published("parties", Party.objects), published("threats", Threat.objects)
        )

    def for_detail(self):
        return self.select_related("era", "supersedes").prefetch_related(
            published("sources", Source.objects),
        )


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
    in_force_date = models.DateField(_("in force from"), null=True, blank=True)
    in_force_precision = precision_field(_("in-force date known to the"))
    ended_date = models.DateField(_("ended"), null=True, blank=True)
    ended_precision = precision_field(_("end date known to the"))

    history = RecordHistory(m2m_fields=("parties", "threats", "sources"))
    objects = SlugManager.from_queryset(AgreementQuerySet)()

    DATES = ("signed", "in_force", "ended")

    class Meta(Record.Meta):
        ordering = by_date("signed_date")
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        # The list's facets count published agreements per value: each index answers one.
        indexes = [
            list_order_index("agreement_list_order_idx", "signed_date"),
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

    signed = property(lambda self: partial_date(self, "signed"))
    in_force = property(lambda self: partial_date(self, "in_force"))
    ended = property(lambda self: partial_date(self, "ended"))

    def clean(self):
        errors = validate_partial_dates(self, *self.DATES)
        errors |= validate_date_order(self, "signed", "ended")
        errors |= validate_date_order(self, "in_force", "ended")
        if self.supersedes_id and self.supersedes_id == self.pk:
            errors["supersedes"] = _("An agreement cannot supersede itself.")
        elif self.supersedes_id and self.pk:
            # Follow the chain of what this supersedes: meeting this agreement again is a cycle.
            seen = {self.pk}
            current = self.supersedes_id
            while current is not None:
                if current in seen:
                    errors["supersedes"] = _(
                        "This would make a cycle: the agreement would end up superseding itself."
                    )
                    break
                seen.add(current)
                current = (
                    Agreement.objects.filter(pk=current)
                    .values_list("supersedes_id", flat=True)
                    .first()
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


class InitiativeQuerySet(SlugQuerySet):
    def for_list(self):
        return self.select_related("era", "agreement").prefetch_related(
            published("participants", Party.objects), published("threats", Threat.objects)
        )

    def for_detail(self):
        return self.select_related("era", "agreement").prefetch_related(
            published("sources", Source.objects),
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
    ended_date = models.DateField(_("ended"), null=True, blank=True)
    ended_precision = precision_field(_("end date known to the"))

    history = RecordHistory(m2m_fields=("participants", "threats", "sources"))
    objects = SlugManager.from_queryset(InitiativeQuerySet)()

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

    started = property(lambda self: partial_date(self, "started"))
    ended = property(lambda self: partial_date(self, "ended"))

    def clean(self):
        errors = validate_partial_dates(self, *self.DATES)
        errors |= validate_date_order(self, "started", "ended")
        if errors:
            raise ValidationError(errors)


class EventQuerySet(SlugQuerySet):
    def for_detail(self):
        return self.select_related("era").prefetch_related(
            published("sources", Source.objects),
        )


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
    ended_date = models.DateField(_("ended"), null=True, blank=True)
    ended_precision = precision_field(_("end date known to the"))

    history = RecordHistory(m2m_fields=("parties", "threats", "sources"))
    objects = SlugManager.from_queryset(EventQuerySet)()

    DATES = ("started", "ended")

    class Meta(Record.Meta):
        ordering = by_date("started_date")
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            partial_date_constraint("event", "started"),
            partial_date_constraint("event", "ended"),
        ]

    started = property(lambda self: partial_date(self, "started"))
    ended = property(lambda self: partial_date(self, "ended"))

    def clean(self):
        errors = validate_partial_dates(self, *self.DATES)
        errors |= validate_date_order(self, "started", "ended")
        if errors:
            raise ValidationError(errors)


# --- The article -----------------------------------------------------------------------------


class SectionKind(models.TextChoices):
    INTRODUCTION = "introduction", _("introduction")
    PART = "part", _("part")
    SECTION = "section", _("section")
    CLOSING = "closing", _("closing paragraph")


class SectionQuerySet(SlugQuerySet):
    def for_contents(self):
        """What a table of contents needs, without the sections' texts."""
        return self.only("title", "slug", "kind", "parent", "position", "heading_in_article")

    def for_detail(self):
        return self.select_related("parent").prefetch_related(published("sources", Source.objects))


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
    objects = SlugManager.from_queryset(SectionQuerySet)()

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

    def get_absolute_url(self):
        return reverse("cooperation:section-detail", args=[self.slug])

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


#: The public record types, in the order pages and imports treat them.
RECORD_MODELS = (Era, Party, Threat, Agreement, Initiative, Event, Section)


class ContentVersion(models.Model):
    """One row that changes, in the same transaction, whenever any public content changes: the
    version that public pages are cached and validated by (see ``cooperation.caching``).

    It lives in the database, not in the cache, so that every worker and every host sees a
    publish at once, whatever the cache backend."""

    number = models.PositiveBigIntegerField(default=1)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("content version")
        default_permissions = ()

    def __str__(self):
        return f"{self.number} ({self.changed_at:%Y-%m-%d %H:%M:%S})"


#: After writing this many records at once, the planner's statistics are refreshed.
BULK_WRITE = 1000


def refresh_planner_statistics():
    """ANALYZE the database. After a bulk load the query planner must learn the tables' new
    sizes: SQLite without statistics picks plans that suit a hundred rows and take minutes
    at a hundred thousand (a facet count went from 0.1 s to 30 s).

    On PostgreSQL, outside a transaction, VACUUM as well: until the new rows are marked
    visible to all, every count reads the table instead of its index. Autovacuum would do
    both, but minutes later."""
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")


class StoredFacetCounts(models.Model):
    """The facet counts of a public list with no filter chosen, as of one content version.

    Recomputed once after each committed change (``cooperation.filters.store_facet_counts``)
    rather than on every visit: the unfiltered list is the most visited page and, at a hundred
    thousand agreements, counting its facets is most of its cost. Used only while ``version``
    is the current content version, so a visit never sees counts older than the content."""

    list_name = models.CharField(max_length=30, unique=True)
    version = models.PositiveBigIntegerField()
    #: {facet name: [[choice value or record id, number of records], ...]}
    counts = models.JSONField()

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"{self.list_name} at version {self.version}"


def stored_counts(name):
    """{key: {value: count}} stored under ``name`` for the current content version, or None
    (not stored yet, or stored for older content): then the page counts for itself."""
    current = ContentVersion.objects.filter(pk=1).values("number")[:1]
    row = (
        StoredFacetCounts.objects.filter(list_name=name, version=models.Subquery(current))
        .values_list("counts", flat=True)
        .first()
    )
    if row is None:
        return None
    return {key: dict(pairs) for key, pairs in row.items()}


def page_counts():
    """The counts of the pages other than the faceted lists, as stored: the era list's records
    per era, the home page's key figures, and the records linked to each party and threat."""
    per_era = {}
    for key, model in (("agreements", Agreement), ("initiatives", Initiative)):
        rows = model.objects.published().filter(era__isnull=False).order_by().values_list("era")
        per_era[key] = list(rows.annotate(total=models.Count("*")).values_list("era", "total"))
    figures = [
        ["agreements", Agreement.objects.published().count()],
        ["initiatives", Initiative.objects.published().count()],
    ]
    links = {
        name: {
            "agreements": list(published_links(Agreement, agreement_relation).items()),
            "initiatives": list(published_links(Initiative, initiative_relation).items()),
        }
        for name, (agreement_relation, initiative_relation) in LINK_COUNTS.items()
    }
    return {"eras": per_era, "figures": {"published": figures}, **links}
