"""Synthetic records in the proportions of a large collection, to measure pages, filters, search
and imports at a size the article alone never reaches.

Everything is drawn from ``random.Random`` seeded by the caller, so the same size and seed give
the same rows. Records are written with ``bulk_create`` a batch at a time, each batch's
many-to-many rows right after it, which skips ``save()`` and signals: synthetic records get no
history versions. Every synthetic slug starts with ``syn-``; existing records are never changed.
"""

import bisect
import datetime
import random
from array import array
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from itertools import accumulate

from django.db import reset_queries
from django.db.models import Max
from django.utils.text import slugify

from . import models, search
from .caching import content_changed, content_changes
from .database import refresh_planner_statistics
from .dates import DatePrecision

PREFIX = "syn-"
FIRST_YEAR = 1910
LAST_YEAR = 2025
LAST_DAY = datetime.date(LAST_YEAR, 12, 31)
#: created_at and updated_at are derived from the seed, so that two runs give identical rows.
EPOCH = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)


class SyntheticRecordsExist(Exception):
    pass


@dataclass(frozen=True)
class Sizes:
    """How many records of each type go with ``agreements`` agreements."""

    agreements: int
    initiatives: int
    eras: int
    parties: int
    threats: int
    events: int
    sources: int
    sections: int

    @classmethod
    def for_agreements(cls, n):
        return cls(
            agreements=n,
            initiatives=2 * n,
            eras=max(6, n // 2000),
            parties=max(20, n // 100),
            threats=max(10, n // 1000),
            events=n // 10,
            sources=max(20, n // 20),
            sections=max(3, n // 200),
        )


@dataclass
class ModelCount:
    label: str
    records: int = 0
    #: Rows written to each many-to-many relation.
    links: Counter = field(default_factory=Counter)

    def __str__(self):
        links = ", ".join(f"{count} {name}" for name, count in self.links.items())
        return f"{self.label}: {self.records} records" + (f" (links: {links})" if links else "")


def synthetic_records_exist():
    return any(
        model.objects.filter(slug__startswith=PREFIX).exists() for model in models.PUBLIC_MODELS
    )


def generate(agreements, *, seed=1, batch_size=5000, progress=None):
    """Add synthetic records around ``agreements`` agreements, all or nothing, and return a
    ModelCount per model. ``progress(label, total)`` gives a context manager with
    ``update(n)``, called as each batch is written (a tqdm bar fits)."""
    with content_changes():
        if synthetic_records_exist():
            raise SyntheticRecordsExist(
                "The database already holds synthetic records (slugs starting with "
                f"“{PREFIX}”): generate them into a fresh database."
            )
        generator = Generator(Sizes.for_agreements(agreements), seed, batch_size, progress)
        generator.run()
        # bulk_create sends no signals: index the new records for search, and say that the
        # content changed, or cached pages go stale.
        search.rebuild()
        refresh_planner_statistics()
        content_changed()
    refresh_planner_statistics()  # on PostgreSQL, now outside the transaction: VACUUM
    return list(generator.counts.values())


# --- Drawing values ---------------------------------------------------------------------------


class Weighted:
    """Draws values with given weights; cumulative weights make each draw a bisection."""

    def __init__(self, weights):
        self.values = list(weights)
        self.cumulative = list(accumulate(weights.values()))

    @classmethod
    def ranked(cls, values, exponent=1.0):
        """The first values far more often than the last (Zipf's law, as links in real
        collections go)."""
        return cls({value: 1 / (rank + 1) ** exponent for rank, value in enumerate(values)})

    def one(self, rng):
        return rng.choices(self.values, cum_weights=self.cumulative)[0]

    def distinct(self, rng, k):
        k = min(k, len(self.values))
        chosen = []
        while len(chosen) < k:
            value = self.one(rng)
            if value not in chosen:
                chosen.append(value)
        return chosen


STATES = Weighted(
    {
        models.State.PUBLISHED: 90,
        models.State.DRAFT: 4,
        models.State.IN_REVIEW: 3,
        models.State.WITHDRAWN: 3,
    }
)
PRECISIONS = Weighted({DatePrecision.DAY: 55, DatePrecision.MONTH: 25, DatePrecision.YEAR: 20})
AGREEMENT_KINDS = Weighted(
    {
        models.AgreementKind.EXECUTIVE_AGREEMENT: 24,
        models.AgreementKind.PROGRAMME: 15,
        models.AgreementKind.EXCHANGE_OF_NOTES: 12,
        models.AgreementKind.PLAN: 10,
        models.AgreementKind.FRAMEWORK: 10,
        models.AgreementKind.POLICY: 8,
        models.AgreementKind.JOINT_DECLARATION: 8,
        models.AgreementKind.TREATY: 6,
        models.AgreementKind.LEGISLATION: 4,
        models.AgreementKind.TRADE_AGREEMENT: 3,
    }
)
SCOPES = Weighted(
    {models.Scope.BILATERAL: 70, models.Scope.MULTILATERAL: 20, models.Scope.UNILATERAL: 10}
)
AGREEMENT_STATUSES = Weighted(
    {
        models.AgreementStatus.IN_FORCE: 38,
        models.AgreementStatus.EXPIRED: 16,
        models.AgreementStatus.UNVERIFIED: 14,
        models.AgreementStatus.TERMINATED: 12,
        models.AgreementStatus.SUPERSEDED: 12,
        models.AgreementStatus.PROPOSED: 8,
    }
)
ENDED_STATUSES = {
    models.AgreementStatus.EXPIRED,
    models.AgreementStatus.TERMINATED,
    models.AgreementStatus.SUPERSEDED,
}
INITIATIVE_CATEGORIES = Weighted(
    {
        models.InitiativeCategory.COUNTER_NARCOTICS: 20,
        models.InitiativeCategory.JOINT_TRAINING: 18,
        models.InitiativeCategory.BORDER_SECURITY: 15,
        models.InitiativeCategory.INTELLIGENCE_SHARING: 12,
        models.InitiativeCategory.MILITARY_AID: 10,
        models.InitiativeCategory.HUMANITARIAN: 8,
        models.InitiativeCategory.INSTITUTION: 6,
        models.InitiativeCategory.COMBINED_OPERATIONS: 5,
        models.InitiativeCategory.CYBERSECURITY: 4,
        models.InitiativeCategory.RESEARCH: 2,
    }
)
INITIATIVE_STATUSES = Weighted(
    {
        models.InitiativeStatus.COMPLETED: 42,
        models.InitiativeStatus.ONGOING: 33,
        models.InitiativeStatus.UNVERIFIED: 18,
        models.InitiativeStatus.PROPOSED: 7,
    }
)
# The source article is one of a kind: the home page shows the first source of that kind.
SOURCE_KINDS = Weighted(
    {
        models.SourceKind.GOVERNMENT_DOCUMENT: 25,
        models.SourceKind.NEWS: 25,
        models.SourceKind.GOVERNMENT_REPORT: 20,
        models.SourceKind.SCHOLARSHIP: 20,
        models.SourceKind.TREATY_TEXT: 8,
        models.SourceKind.REFERENCE: 2,
    }
)
PARTY_KINDS = Weighted(
    {
        models.PartyKind.AGENCY: 40,
        models.PartyKind.ARMED_FORCE: 20,
        models.PartyKind.MILITARY_COMMAND: 20,
        models.PartyKind.INTERNATIONAL_ORGANIZATION: 12,
        models.PartyKind.STATE: 8,
    }
)
THREAT_CATEGORIES = Weighted(
    {
        models.ThreatCategory.CRIME: 45,
        models.ThreatCategory.GEOPOLITICAL: 20,
        models.ThreatCategory.TERRORISM: 15,
        models.ThreatCategory.NATURAL: 12,
        models.ThreatCategory.CYBER: 8,
    }
)
# How many links a record has: (number, weight).
PARTY_COUNTS = Weighted({2: 50, 3: 35, 4: 15})
THREAT_COUNTS = Weighted({1: 45, 2: 35, 3: 20})
PARTICIPANT_COUNTS = Weighted({1: 20, 2: 40, 3: 25, 4: 15})

# --- Words ------------------------------------------------------------------------------------

TOPICS = (
    "Border Security", "Maritime Interdiction", "Counter-Narcotics", "Aviation Security",
    "Military Education", "Disaster Response", "Cyber Defense", "Firearms Trafficking",
    "Intelligence Exchange", "Search and Rescue", "Port Security", "Defense Procurement",
    "Coastal Surveillance", "Migrant Protection", "Military Medicine", "Peacekeeping Training",
    "Nuclear Security", "Explosives Detection", "Air Defense", "Logistics Support",
    "Mutual Legal Assistance", "Anti-Money Laundering", "Critical Infrastructure",
    "Pandemic Preparedness", "Hydrographic Survey", "Precursor Chemical Control",
    "Wildfire Suppression", "Naval Cooperation", "Radar Coverage", "Officer Exchange",
)  # fmt: skip
PLACES = (
    "Gulf of Mexico", "Pacific Coast", "Rio Grande", "Sonora–Arizona", "Baja California",
    "Chihuahua–Texas", "Caribbean", "Yucatán Peninsula", "Tamaulipas", "Central America",
    "Tijuana–San Diego", "Ciudad Juárez–El Paso", "Nogales", "Sinaloa", "Veracruz", "Chiapas",
)  # fmt: skip
SCOPE_WORDS = {
    models.Scope.BILATERAL: ("Bilateral", "US–Mexico", "Binational", "Mexico–United States"),
    models.Scope.MULTILATERAL: ("Multilateral", "Hemispheric", "Regional", "Trilateral"),
    models.Scope.UNILATERAL: ("US", "Mexican", "Federal", "National"),
}
KIND_WORDS = {
    models.AgreementKind.TREATY: ("Treaty", "Convention", "Protocol"),
    models.AgreementKind.EXECUTIVE_AGREEMENT: (
        "Agreement",
        "Memorandum of Understanding",
        "Memorandum",
    ),
    models.AgreementKind.EXCHANGE_OF_NOTES: ("Exchange of Notes",),
    models.AgreementKind.PROGRAMME: ("Programme", "Assistance Programme"),
    models.AgreementKind.FRAMEWORK: ("Framework", "Partnership Framework"),
    models.AgreementKind.POLICY: ("Policy", "Directive"),
    models.AgreementKind.PLAN: ("Action Plan", "Plan"),
    models.AgreementKind.JOINT_DECLARATION: ("Joint Declaration", "Joint Statement"),
    models.AgreementKind.TRADE_AGREEMENT: ("Trade Agreement", "Customs Accord"),
    models.AgreementKind.LEGISLATION: ("Act", "Authorization Act"),
}
INITIATIVE_WORDS = {
    models.InitiativeCategory.JOINT_TRAINING: (
        "Exercise",
        "Joint Training Course",
        "Staff Exchange",
    ),
    models.InitiativeCategory.INTELLIGENCE_SHARING: (
        "Fusion Centre",
        "Information Exchange",
        "Liaison Cell",
    ),
    models.InitiativeCategory.BORDER_SECURITY: (
        "Border Task Force",
        "Port of Entry Programme",
        "Border Patrol Exchange",
    ),
    models.InitiativeCategory.COUNTER_NARCOTICS: (
        "Interdiction Operation",
        "Eradication Programme",
        "Precursor Control Unit",
    ),
    models.InitiativeCategory.CYBERSECURITY: ("Cyber Response Team", "Cyber Exercise"),
    models.InitiativeCategory.HUMANITARIAN: ("Relief Mission", "Disaster Response Exercise"),
    models.InitiativeCategory.MILITARY_AID: (
        "Equipment Transfer",
        "Helicopter Programme",
        "Maintenance Support",
    ),
    models.InitiativeCategory.COMBINED_OPERATIONS: ("Combined Patrol", "Operation"),
    models.InitiativeCategory.RESEARCH: ("Research Programme", "Technology Pilot"),
    models.InitiativeCategory.INSTITUTION: ("Joint Commission", "Working Group", "Liaison Office"),
}
CODE_ADJECTIVES = (
    "Silver", "Desert", "Northern", "Blue", "Iron", "Eagle", "Coastal", "Swift", "Sierra",
    "Amber", "Granite", "Pacific", "Jade", "Copper", "Thunder", "Quiet",
)  # fmt: skip
CODE_NOUNS = (
    "Falcon", "Lance", "Shield", "Horizon", "Sentinel", "Bridge", "Harbor", "Compass", "Anvil",
    "Arrow", "Lantern", "Trident", "Mesa", "Condor", "Jaguar", "Beacon",
)  # fmt: skip
COUNTRIES = (
    ("US", models.Country.UNITED_STATES),
    ("Mexican", models.Country.MEXICO),
    ("Canadian", models.Country.OTHER),
    ("Guatemalan", models.Country.OTHER),
    ("Colombian", models.Country.OTHER),
    ("Salvadoran", models.Country.OTHER),
)
COUNTRY_WEIGHTS = Weighted(dict(zip(COUNTRIES, (40, 40, 6, 5, 5, 4), strict=True)))
AGENCIES = (
    "Customs Service", "Coast Guard", "Drug Enforcement Office", "Border Police",
    "Defense Ministry", "Foreign Ministry", "Financial Intelligence Unit",
    "Attorney General's Office", "Civil Protection Agency", "Immigration Service",
    "Aviation Authority", "Intelligence Centre",
)  # fmt: skip
FORCES = ("Army", "Navy", "Air Force", "Marine Corps", "National Guard", "Naval Infantry")
UNITS = (
    "Brigade",
    "Naval Region",
    "Air Wing",
    "Battalion",
    "Military Zone",
    "Squadron",
    "Flotilla",
)
COMMANDS = (
    "Northern Command",
    "Southern Command",
    "Joint Task Force",
    "Regional Command",
    "Naval Command",
)
ORGANIZATIONS = (
    "Inter-American Defense Board", "Organization of American States", "Regional Security Council",
    "Hemispheric Naval Conference", "Border Health Commission", "International Boundary Commission",
)  # fmt: skip
MEXICAN_BORDER_STATES = (
    "Sonora", "Chihuahua", "Coahuila", "Nuevo León", "Tamaulipas", "Baja California",
)  # fmt: skip
US_BORDER_STATES = ("Texas", "New Mexico", "Arizona", "California")
BORDER_STATES = MEXICAN_BORDER_STATES + US_BORDER_STATES
THREATS = {
    models.ThreatCategory.CRIME: (
        "Cocaine Trafficking",
        "Fentanyl Trafficking",
        "Arms Smuggling",
        "Money Laundering",
        "Human Smuggling",
        "Cartel Violence",
        "Fuel Theft",
        "Kidnapping for Ransom",
    ),
    models.ThreatCategory.TERRORISM: (
        "Transnational Terrorism",
        "Attacks on Ports",
        "Aviation Hijacking",
        "Bombings of Pipelines",
    ),
    models.ThreatCategory.CYBER: (
        "Ransomware Attacks",
        "Espionage by Intrusion",
        "Attacks on Power Grids",
    ),
    models.ThreatCategory.GEOPOLITICAL: (
        "Foreign Naval Presence",
        "Arms Races",
        "Regional Insurgency",
        "Border Disputes",
    ),
    models.ThreatCategory.NATURAL: (
        "Hurricanes",
        "Earthquakes",
        "Wildfires",
        "Pandemics",
        "Floods",
    ),
}
THREAT_MODIFIERS = (
    "Maritime",
    "Cross-Border",
    "Regional",
    "Coastal",
    "Urban",
    "Rural",
    "Airborne",
    "Organized",
)
ERA_THEMES = (
    "Revolutionary Aftermath", "Wartime Partnership", "Hemispheric Defense", "Cold War Caution",
    "Drug War", "Free Trade", "Homeland Security", "Shared Responsibility", "Strategic Dialogue",
    "Border Modernization", "Regional Realignment", "Quiet Cooperation",
)  # fmt: skip
EVENT_KINDS = (
    "Border Standoff", "Hurricane Landfall", "Cartel Attack", "Naval Incident", "Earthquake",
    "Mass Migration", "Kidnapping of Officials", "Pipeline Explosion", "Diplomatic Crisis",
)  # fmt: skip
SURNAMES = (
    "Ramírez", "Smith", "González", "Johnson", "Hernández", "Williams", "López", "Brown",
    "Martínez", "Davis", "Pérez", "Miller", "Sánchez", "Wilson", "Torres", "Moore",
)  # fmt: skip
PUBLISHERS = (
    "Department of State", "Secretaría de la Defensa Nacional", "Congressional Research Service",
    "Government Accountability Office", "El Universal", "The Washington Post", "La Jornada",
    "University of Texas Press", "Oxford University Press", "Colegio de México", "Reuters",
)  # fmt: skip
SENTENCES = (
    "It commits {party} and {other} to closer cooperation on {topic}.",
    "Its first concern is {threat} in the {place} region.",
    "A joint committee was to meet {rhythm} to review its implementation.",
    "Training, equipment and the exchange of information were its main instruments.",
    "Officials of {party} described it as a turning point for {topic}.",
    "Critics noted that reporting on {threat} remained incomplete.",
    "Funding came from the annual budgets of both governments, with no dedicated fund.",
    "Much of the work fell to {other}, which had led earlier efforts on {topic}.",
    "Records of its meetings after {year} are sparse.",
    "Press coverage in {year} centred on {threat} rather than on {topic}.",
)  # fmt: skip
LINK_SENTENCES = (
    "It builds on [[agreement:{slug}|the {linked_year} agreement]].",
    "Negotiators drew on the text of [[agreement:{slug}|an earlier arrangement]].",
    "Its provisions on {topic} follow [[agreement:{slug}|the agreement of {linked_year}]].",
)  # fmt: skip
RHYTHMS = ("every year", "twice a year", "every quarter", "every month", "as needed")
NOTES = (
    "The signing date differs between the two governments' records; the earlier one is given.",
    "The source article places this a year later; the treaty text gives the date shown.",
    "Participation by the smaller agencies is inferred from press reports.",
)  # fmt: skip


def title_slug(title, number):
    """A slug for ``title`` that ends in ``number`` (unique per model) and fits the field."""
    return f"{PREFIX}{slugify(title.replace('–', ' '))[:80].rstrip('-')}-{number}"


def a(phrase):
    """``phrase`` with its indefinite article."""
    return f"{'an' if str(phrase)[:1].lower() in 'aeiou' else 'a'} {phrase}"


def normalized(day, precision):
    """``day`` as stored at ``precision``: the first day of its year or month."""
    if precision == DatePrecision.YEAR:
        return day.replace(month=1, day=1)
    if precision == DatePrecision.MONTH:
        return day.replace(day=1)
    return day


def random_day(rng, year):
    return datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randrange(365))


def later_day(rng, day, min_days, max_days):
    return min(LAST_DAY, day + datetime.timedelta(days=rng.randint(min_days, max_days)))


def ending(rng, day, starts):
    """A partial end date ``day`` that does not fall before any of the stored dates ``starts``
    (a year or month precision could otherwise move it back before them)."""
    precision = PRECISIONS.one(rng)
    stored = normalized(day, precision)
    if any(start and stored < start for start in starts):
        precision, stored = DatePrecision.DAY, day
    return stored, precision


def skewed_year(rng):
    """A year of the period, recent years more often: cooperation grew over the century."""
    return FIRST_YEAR + int((LAST_YEAR - FIRST_YEAR + 1) * max(rng.random(), rng.random()))


# --- The generator ----------------------------------------------------------------------------


class Generator:
    """Creates each model's records in turn, keeping only what later models refer to: ids by
    position (compact arrays), agreements' years, parties and slugs, and a few titles."""

    def __init__(self, sizes, seed, batch_size, progress=None):
        self.sizes = sizes
        self.seed = seed
        self.batch_size = batch_size
        self.progress = progress or (lambda label, total: nullcontext(NoProgress()))
        self.stamp = EPOCH + datetime.timedelta(seconds=seed % (365 * 24 * 60 * 60))
        self.counts = {
            model: ModelCount(str(model._meta.verbose_name_plural))
            for model in models.PUBLIC_MODELS
        }

    def rng(self, stage):
        # One generator per stage: a change to one model's drawing leaves the others' data as is.
        return random.Random(f"{self.seed}:{stage}")  # noqa: S311 - reproducible, not secret

    def run(self):
        self.create_sources()
        self.create_parties()
        self.create_eras()
        self.create_threats()
        self.create_agreements()
        self.create_initiatives()
        self.create_events()
        self.create_sections()

    # --- Writing ---

    def write(self, model, total, build, after_insert=None, label=None):
        """Build and insert ``total`` records of ``model`` a batch at a time. ``build(i)`` returns
        a record and {relation: [target ids]}; ``after_insert(records, start)`` runs once a
        batch has its ids. Returns the ids in order."""
        ids = array("q")
        count = self.counts[model]
        with self.progress(label or str(count.label).capitalize(), total) as bar:
            for start in range(0, total, self.batch_size):
                records, relations = [], []
                for i in range(start, min(total, start + self.batch_size)):
                    record, links = build(i)
                    record.created_at = self.stamp
                    records.append(record)
                    relations.append(links)
                model.objects.bulk_create(records, batch_size=self.batch_size)
                ids.extend(record.pk for record in records)
                if after_insert:
                    after_insert(records, start)
                for name in relations[0]:
                    self.link(model, name, records, relations)
                count.records += len(records)
                bar.update(len(records))
                # With DEBUG on, Django keeps the SQL of its last 9,000 queries: megabytes each.
                reset_queries()
        # updated_at is auto_now, so bulk_create stamps it with the clock: set it afterwards.
        model.objects.filter(slug__startswith=PREFIX).update(updated_at=self.stamp)
        return ids

    def link(self, model, name, records, relations):
        relation = model._meta.get_field(name)
        through = relation.remote_field.through
        source = f"{relation.m2m_field_name()}_id"
        target = f"{relation.m2m_reverse_field_name()}_id"
        rows = [
            through(**{source: record.pk, target: target_id})
            for record, links in zip(records, relations, strict=True)
            for target_id in links[name]
        ]
        through.objects.bulk_create(rows, batch_size=self.batch_size)
        self.counts[model].links[name] += len(rows)

    def common(self, rng, title, slug, summary="", body=""):
        """The fields every record shares."""
        return {
            "title": title,
            "slug": slug,
            "summary": summary,
            "body": body,
            "editorial_note": rng.choice(NOTES) if rng.random() < 0.03 else "",
            "state": STATES.one(rng),
        }

    def text(self, rng, context, paragraphs, links=()):
        """1–``paragraphs`` Markdown paragraphs of 2–4 sentences; each slug in ``links``
        becomes an inline link in one of them."""
        chosen = [
            rng.sample(SENTENCES, rng.randint(2, 4)) for _ in range(rng.randint(1, paragraphs))
        ]
        for slug, linked_year in links:
            sentence = rng.choice(LINK_SENTENCES)
            rng.choice(chosen).append(
                sentence.replace("{slug}", slug).replace("{linked_year}", str(linked_year))
            )
        return "\n\n".join(" ".join(paragraph).format(**context) for paragraph in chosen)

    def earlier_agreement(self, rng, before=None):
        """(slug, year) of a random agreement already built, for an inline link."""
        index = rng.randrange(before if before is not None else len(self.agreement_slugs))
        return self.agreement_slugs[index], self.agreement_years[index]

    # --- Sources, parties, eras, threats ---

    def create_sources(self):
        rng = self.rng("sources")

        def build(i):
            kind = SOURCE_KINDS.one(rng)
            topic = rng.choice(TOPICS)
            year = skewed_year(rng)
            title = {
                models.SourceKind.TREATY_TEXT: f"Text of the {topic} Agreement of {year}",
                models.SourceKind.GOVERNMENT_DOCUMENT: f"Memorandum on {topic.lower()}, {year}",
                models.SourceKind.GOVERNMENT_REPORT: f"Report on {topic.lower()} with Mexico",
                models.SourceKind.NEWS: f"{topic} talks advance, officials say",
                models.SourceKind.SCHOLARSHIP: f"{topic} in US–Mexico Relations since {year}",
                models.SourceKind.REFERENCE: topic,
            }[kind]
            slug = title_slug(title, i + 1)
            day = random_day(rng, year)
            precision = PRECISIONS.one(rng) if rng.random() < 0.9 else ""
            return models.Source(
                title=title,
                slug=slug,
                kind=kind,
                author=""
                if kind == models.SourceKind.GOVERNMENT_DOCUMENT
                else f"{rng.choice('ABCDEGJLMR')}. {rng.choice(SURNAMES)}",
                publisher=rng.choice(PUBLISHERS),
                issued_date=normalized(day, precision) if precision else None,
                issued_precision=precision,
                # Every source can be found: by its page, or else by an identifier.
                **(
                    {"url": f"https://example.org/sources/{slug}"}
                    if rng.random() < 0.5
                    else {"identifier": f"Synthetic report {i + 1}"}
                ),
                description=f"{a(models.SourceKind(kind).label)} on {topic.lower()}.",
                state=STATES.one(rng),
            ), {}

        self.source_ids = self.write(models.Source, self.sizes.sources, build)
        self.cited = Weighted.ranked(self.source_ids, exponent=0.7)

    def sources_for(self, rng, low, high):
        return self.cited.distinct(rng, rng.randint(low, high))

    def create_parties(self):
        rng = self.rng("parties")
        self.party_titles = {}

        def build(i):
            kind = PARTY_KINDS.one(rng)
            adjective, country = COUNTRY_WEIGHTS.one(rng)
            home = {
                models.Country.UNITED_STATES: US_BORDER_STATES,
                models.Country.MEXICO: MEXICAN_BORDER_STATES,
            }.get(country, BORDER_STATES)
            if kind == models.PartyKind.AGENCY:
                title = f"{adjective} {rng.choice(AGENCIES)} ({rng.choice(home)})"
            elif kind == models.PartyKind.ARMED_FORCE:
                title = f"{adjective} {rng.choice(FORCES)} {rng.choice(UNITS)} {rng.randint(1, 40)}"
            elif kind == models.PartyKind.MILITARY_COMMAND:
                title = f"{adjective} {rng.choice(COMMANDS)} {rng.choice(home)}"
            elif kind == models.PartyKind.STATE:
                state = rng.choice(BORDER_STATES)
                title = f"Government of {state}"
                country = (
                    models.Country.MEXICO
                    if state in MEXICAN_BORDER_STATES
                    else models.Country.UNITED_STATES
                )
            else:
                title = f"{rng.choice(ORGANIZATIONS)} Working Group on {rng.choice(TOPICS)}"
                country = models.Country.INTERNATIONAL
            abbreviation = "".join(word[0] for word in title.split() if word[0].isupper())
            record = models.Party(
                kind=kind,
                country=country,
                abbreviation=abbreviation[:30] if rng.random() < 0.5 else "",
                **self.common(
                    rng,
                    title,
                    title_slug(title, i + 1),
                    summary=f"{a(models.PartyKind(kind).label)} in US–Mexico defense cooperation.",
                ),
            )
            self.party_titles[i] = title
            return record, {"sources": self.sources_for(rng, 0, 1)}

        self.party_ids = self.write(models.Party, self.sizes.parties, build)
        # The first parties take part in most things, as the two governments' ministries do.
        self.involved = Weighted.ranked(range(len(self.party_ids)), exponent=1.0)

    def parties_for(self, rng, k):
        return [self.party_ids[i] for i in self.involved.distinct(rng, k)]

    def create_eras(self):
        rng = self.rng("eras")
        count = self.sizes.eras
        span = LAST_YEAR - FIRST_YEAR
        if count - 1 <= span - 1:
            cuts = sorted(rng.sample(range(FIRST_YEAR + 1, LAST_YEAR), count - 1))
        else:
            cuts = [FIRST_YEAR + span * e // count for e in range(1, count)]
        # Neighbouring eras share their boundary year, as in the article; the last one goes on.
        self.era_starts = [FIRST_YEAR, *cuts]
        ends = [*cuts, None]
        # Each theme once before any comes back; the years tell eras of one theme apart.
        self.era_themes = [
            theme
            for _ in range(0, count, len(ERA_THEMES))
            for theme in rng.sample(ERA_THEMES, len(ERA_THEMES))
        ][:count]

        def build(e):
            start, end = self.era_starts[e], ends[e]
            title = f"{self.era_themes[e]} ({start}–{end or 'present'})"
            record = models.Era(
                start_year=start,
                end_year=end,
                **self.common(
                    rng,
                    title,
                    title_slug(title, e + 1),
                    summary=f"The years from {start} {f'to {end}' if end else 'onwards'}.",
                ),
            )
            return record, {"sources": self.sources_for(rng, 1, 1)}

        self.era_ids = self.write(models.Era, count, build)

    def era_index(self, year):
        return bisect.bisect_right(self.era_starts, year) - 1

    def create_threats(self):
        rng = self.rng("threats")
        self.threat_titles = {}
        used = set()

        def build(i):
            category = THREAT_CATEGORIES.one(rng)
            # A new title while the category's combinations last.
            for _ in range(20):
                title = f"{rng.choice(THREAT_MODIFIERS)} {rng.choice(THREATS[category])}"
                if title not in used:
                    break
            used.add(title)
            self.threat_titles[i] = title
            record = models.Threat(
                category=category,
                **self.common(
                    rng,
                    title,
                    title_slug(title, i + 1),
                    summary=f"{title}, a {models.ThreatCategory(category).label} threat.",
                ),
            )
            return record, {"sources": self.sources_for(rng, 0, 1)}

        self.threat_ids = self.write(models.Threat, self.sizes.threats, build)
        self.addressed = Weighted.ranked(range(len(self.threat_ids)), exponent=0.8)

    def threats_for(self, rng, k):
        return [self.threat_ids[i] for i in self.addressed.distinct(rng, k)]

    def context(self, rng, party_indices, threat_indices, year, topic=None):
        """Words for the sentences of a record's body."""
        parties = [self.party_titles[i] for i in party_indices] or [self.party_titles[0]]
        return {
            "party": parties[0],
            "other": parties[-1] if len(parties) > 1 else self.party_titles[1],
            "threat": self.threat_titles[threat_indices[0]].lower()
            if threat_indices
            else "organized crime",
            "topic": (topic or rng.choice(TOPICS)).lower(),
            "place": rng.choice(PLACES),
            "rhythm": rng.choice(RHYTHMS),
            "year": year,
        }

    # --- Agreements ---

    def create_agreements(self):
        rng = self.rng("agreements")
        total = self.sizes.agreements
        # In order of signing, so that an agreement only supersedes or cites earlier ones.
        self.agreement_years = array("h", sorted(skewed_year(rng) for _ in range(total)))
        self.agreement_slugs = []
        # Up to four party ids per agreement (0 for none): initiatives under it share them.
        self.agreement_parties = array("q")
        supersede_in_batch = []

        def build(i):
            year = self.agreement_years[i]
            kind, scope, status = (
                AGREEMENT_KINDS.one(rng),
                SCOPES.one(rng),
                AGREEMENT_STATUSES.one(rng),
            )
            topic = rng.choice(TOPICS)
            place = f"{rng.choice(PLACES)} " if rng.random() < 0.3 else ""
            name = f"{rng.choice(SCOPE_WORDS[scope])} {place}{topic} {rng.choice(KIND_WORDS[kind])}"
            title = f"{name} {year}-{i + 1:04d}"
            slug = title_slug(name, f"{year}-{i + 1:04d}")
            self.agreement_slugs.append(slug)

            signed_day = random_day(rng, year)
            signed = PRECISIONS.one(rng) if rng.random() < 0.9 else ""
            signed_date = normalized(signed_day, signed) if signed else None
            in_force, in_force_date, in_force_day = "", None, signed_day
            if status != models.AgreementStatus.PROPOSED and rng.random() < 0.6:
                in_force_day = later_day(rng, signed_day, 0, 400)
                in_force = PRECISIONS.one(rng)
                in_force_date = normalized(in_force_day, in_force)
            ended, ended_date = "", None
            if status in ENDED_STATUSES and rng.random() < 0.85:
                ended_day = later_day(rng, max(signed_day, in_force_day), 365, 15 * 365)
                ended_date, ended = ending(rng, ended_day, (signed_date, in_force_date))

            party_indices = self.involved.distinct(rng, PARTY_COUNTS.one(rng))
            threat_indices = self.addressed.distinct(rng, THREAT_COUNTS.one(rng))
            party_ids = [self.party_ids[p] for p in party_indices]
            self.agreement_parties.extend([*party_ids, 0, 0, 0, 0][:4])

            links = [self.earlier_agreement(rng, i)] if i and rng.random() < 0.3 else []
            context = self.context(rng, party_indices, threat_indices, year, topic)
            record = models.Agreement(
                kind=kind,
                scope=scope,
                status=status,
                era_id=self.era_ids[self.era_index(year)],
                signed_date=signed_date,
                signed_precision=signed,
                in_force_date=in_force_date,
                in_force_precision=in_force,
                ended_date=ended_date,
                ended_precision=ended,
                **self.common(
                    rng,
                    title,
                    slug,
                    summary=f"{a(scope)} {models.AgreementKind(kind).label} on {topic.lower()} "
                    f"between {context['party']} and {context['other']}, of {year}.",
                    body=self.text(rng, context, 3, links),
                ),
            )
            if i and rng.random() < 0.05:
                # Supersedes a recent agreement, possibly of the same batch (no id yet).
                earlier = rng.randrange(max(0, i - 500), i)
                if earlier < len(self.agreement_ids_so_far):
                    record.supersedes_id = self.agreement_ids_so_far[earlier]
                else:
                    supersede_in_batch.append((i, earlier))
            return record, {
                "parties": party_ids,
                "threats": [self.threat_ids[t] for t in threat_indices],
                "sources": self.sources_for(rng, 1, 2),
            }

        def after_insert(records, start):
            self.agreement_ids_so_far.extend(record.pk for record in records)
            changed = []
            for i, earlier in supersede_in_batch:
                record = records[i - start]
                record.supersedes_id = records[earlier - start].pk
                changed.append(record)
            models.Agreement.objects.bulk_update(changed, ["supersedes"], batch_size=500)
            supersede_in_batch.clear()

        self.agreement_ids_so_far = array("q")
        self.agreement_ids = self.write(models.Agreement, total, build, after_insert)
        del self.agreement_ids_so_far

    def agreements_of_era(self, era):
        """The range of agreement positions signed in ``era`` (agreements are in year order)."""
        start = self.era_starts[era]
        end = self.era_starts[era + 1] if era + 1 < len(self.era_starts) else LAST_YEAR + 1
        return range(
            bisect.bisect_left(self.agreement_years, start),
            bisect.bisect_left(self.agreement_years, end),
        )

    # --- Initiatives and events ---

    def create_initiatives(self):
        rng = self.rng("initiatives")
        agreements = self.sizes.agreements

        def build(i):
            category, status = INITIATIVE_CATEGORIES.one(rng), INITIATIVE_STATUSES.one(rng)
            agreement = rng.randrange(agreements) if agreements and rng.random() < 0.85 else None
            if agreement is None:
                year = skewed_year(rng)
                participants = self.parties_for(rng, PARTICIPANT_COUNTS.one(rng))
            else:
                year = min(LAST_YEAR, self.agreement_years[agreement] + rng.randint(0, 5))
                # Mostly the agreement's own parties, now and then with one more.
                own = [p for p in self.agreement_parties[4 * agreement : 4 * agreement + 4] if p]
                participants = rng.sample(own, rng.randint(1, len(own)))
                if len(participants) < 4 and rng.random() < 0.25:
                    participants = list(dict.fromkeys([*participants, *self.parties_for(rng, 1)]))
            noun = rng.choice(INITIATIVE_WORDS[category])
            if noun in ("Exercise", "Operation", "Cyber Exercise"):
                name = f"{noun} {rng.choice(CODE_ADJECTIVES)} {rng.choice(CODE_NOUNS)}"
            else:
                name = f"{rng.choice(PLACES)} {noun}"
            title = f"{name} {year}"
            started_day = random_day(rng, year)
            started = PRECISIONS.one(rng) if rng.random() < 0.9 else ""
            started_date = normalized(started_day, started) if started else None
            ended, ended_date = "", None
            if started and status == models.InitiativeStatus.COMPLETED and rng.random() < 0.85:
                ended_date, ended = ending(
                    rng, later_day(rng, started_day, 30, 8 * 365), (started_date,)
                )
            threat_indices = self.addressed.distinct(rng, THREAT_COUNTS.one(rng))
            context = self.context(rng, [], threat_indices, year)
            links = [self.earlier_agreement(rng)] if agreements and rng.random() < 0.2 else []
            record = models.Initiative(
                category=category,
                status=status,
                era_id=self.era_ids[self.era_index(year)],
                agreement_id=self.agreement_ids[agreement] if agreement is not None else None,
                started_date=started_date,
                started_precision=started,
                ended_date=ended_date,
                ended_precision=ended,
                **self.common(
                    rng,
                    title,
                    title_slug(title, i + 1),
                    summary=f"{models.InitiativeCategory(category).label.capitalize()} "
                    f"against {context['threat']}, from {year}.",
                    body=self.text(rng, context, 2, links),
                ),
            )
            return record, {
                "participants": participants,
                "threats": [self.threat_ids[t] for t in threat_indices],
                "sources": self.sources_for(rng, 0, 1),
            }

        self.initiative_ids = self.write(models.Initiative, self.sizes.initiatives, build)

    def create_events(self):
        rng = self.rng("events")
        agreements = self.sizes.agreements

        def build(i):
            year = skewed_year(rng)
            title = f"{rng.choice(EVENT_KINDS)} in {rng.choice(PLACES)}, {year}"
            started_day = random_day(rng, year)
            started = PRECISIONS.one(rng) if rng.random() < 0.95 else ""
            started_date = normalized(started_day, started) if started else None
            ended, ended_date = "", None
            if started and rng.random() < 0.3:
                ended_date, ended = ending(
                    rng, later_day(rng, started_day, 1, 3 * 365), (started_date,)
                )
            party_indices = self.involved.distinct(rng, rng.randint(1, 3))
            threat_indices = self.addressed.distinct(rng, rng.randint(0, 2))
            context = self.context(rng, party_indices, threat_indices, year)
            links = [self.earlier_agreement(rng)] if agreements and rng.random() < 0.2 else []
            record = models.Event(
                era_id=self.era_ids[self.era_index(year)],
                started_date=started_date,
                started_precision=started,
                ended_date=ended_date,
                ended_precision=ended,
                **self.common(
                    rng,
                    title,
                    title_slug(title, i + 1),
                    summary=f"An event of {year} that shaped cooperation on {context['topic']}.",
                    body=self.text(rng, context, 2, links),
                ),
            )
            return record, {
                "parties": [self.party_ids[p] for p in party_indices],
                "threats": [self.threat_ids[t] for t in threat_indices],
                "sources": self.sources_for(rng, 1, 1),
            }

        self.event_ids = self.write(models.Event, self.sizes.events, build)

    # --- Sections ---

    def create_sections(self):
        """Parts after the article's own, each with sections that discuss records of one era,
        the last one a closing paragraph printed without a heading."""
        rng = self.rng("sections")
        total = self.sizes.sections
        parts = max(1, total // 6)
        children = total - parts
        after = models.Section.objects.filter(parent__isnull=True).aggregate(last=Max("position"))
        first_position = (after["last"] if after["last"] is not None else -1) + 1
        part_ids = self.write(
            models.Section,
            parts,
            lambda p: self.part(rng, p + 1, first_position + p),
            label="Sections (parts)",
        )
        # Sections are dealt to the parts in turn; the last of a part closes it.
        per_part = Counter(c % parts for c in range(children))
        placements = [
            (part_ids[p], n + 1, per_part[p] > 1 and n == per_part[p] - 1)
            for p in range(parts)
            for n in range(per_part[p])
        ]

        def build(c):
            parent_id, position, closing = placements[c]
            return self.child(rng, parts + c + 1, parent_id, position, closing)

        self.write(models.Section, children, build)

    def part(self, rng, number, position):
        era = rng.randrange(len(self.era_ids))
        theme = self.era_themes[era]
        title = f"{theme} and {rng.choice(TOPICS).lower()}"
        record = models.Section(
            kind=models.SectionKind.PART,
            position=position,
            **self.common(
                rng, title, title_slug(title, number), summary=f"{theme}: a synthetic part."
            ),
        )
        return record, {
            "eras": [self.era_ids[era]],
            "agreements": [],
            "initiatives": [],
            "threats": [],
            "events": [],
            "parties": [],
            "sources": self.sources_for(rng, 1, 1),
        }

    def child(self, rng, number, parent_id, position, closing):
        era = rng.randrange(len(self.era_ids))
        in_era = self.agreements_of_era(era)
        pool = in_era if len(in_era) >= 5 else range(self.sizes.agreements)
        agreements = rng.sample(pool, min(len(pool), rng.randint(5, 20)))
        initiatives = rng.sample(
            range(self.sizes.initiatives), min(self.sizes.initiatives, rng.randint(5, 20))
        )
        events = rng.sample(range(self.sizes.events), min(self.sizes.events, rng.randint(0, 3)))
        party_indices = self.involved.distinct(rng, rng.randint(1, 4))
        threat_indices = self.addressed.distinct(rng, rng.randint(1, 3))
        topic = rng.choice(TOPICS)
        theme = self.era_themes[era].lower()
        title = "Closing" if closing else f"{topic} in the {theme} years"
        context = self.context(rng, party_indices, threat_indices, self.era_starts[era], topic)
        links = [(self.agreement_slugs[i], self.agreement_years[i]) for i in agreements[:3]]
        record = models.Section(
            kind=models.SectionKind.CLOSING if closing else models.SectionKind.SECTION,
            parent_id=parent_id,
            position=position,
            heading_in_article=not closing,
            **self.common(
                rng,
                title,
                title_slug(title, number),
                summary=f"How the article treats {topic.lower()}.",
                body=self.text(rng, context, 3, links),
            ),
        )
        return record, {
            "eras": [self.era_ids[era]],
            "agreements": [self.agreement_ids[i] for i in agreements],
            "initiatives": [self.initiative_ids[k] for k in initiatives],
            "threats": [self.threat_ids[t] for t in threat_indices],
            "events": [self.event_ids[e] for e in events],
            "parties": [self.party_ids[p] for p in party_indices],
            "sources": self.sources_for(rng, 1, 1),
        }


class NoProgress:
    def update(self, n):
        pass
