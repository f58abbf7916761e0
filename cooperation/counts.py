"""Every number a public page counts, and the one rule for which of them are remembered.

Counts over the whole of the published content (the key figures, each era's records, each
party's and threat's links, an unfiltered list's facets) change only when the content does.
They are remembered in the cache under the content version (``remembered``): the first page
after a change counts, every later one reads, on every worker. Nothing is counted when an
editor saves. Counts under a reader's filters are counted for each page."""

from django.core.cache import cache
from django.db import models
from django.db.models import Count, Max, Min
from django.utils import timezone

from .caching import current_version
from .models import Agreement, Era, Initiative, Source, State, Threat

#: Remembered counts are kept at most this long (a day), and dropped with their version.
REMEMBERED_SECONDS = 24 * 60 * 60


def remembered(name, count):
    """The value of ``count()`` for the current content: counted once per content version
    and kept in the cache under that version."""
    version = current_version()
    if version is None:
        return count()
    return cache.get_or_set(f"counts:{name}", count, REMEMBERED_SECONDS, version=version[0])


def recalled(name):
    """What is remembered under ``name`` for the current content, or None: for a page that
    can use the counts if they are there but would count less than all of them."""
    version = current_version()
    return None if version is None else cache.get(f"counts:{name}", version=version[0])


# --- Counting helpers ------------------------------------------------------------------------


def subquery_count(queryset, field):
    """The number of rows of ``queryset`` whose ``field`` is the outer row: a correlated
    subquery, so that several counts on one query do not multiply each other's joins."""
    rows = (
        queryset.all()
        .filter(**{field: models.OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(total=Count("*"))
        .values("total")
    )
    return models.functions.Coalesce(models.Subquery(rows), 0)


def per_value(rows, column):
    """{value of ``column``: number of ``rows``}: one grouped query."""
    grouped = rows.order_by().values_list(column).annotate(total=Count("*"))
    return dict(grouped.values_list(column, "total"))


def single_choice(applied, names):
    """ "name=value" when the filters ``applied`` ({name: chosen values}) are one value of one
    of ``names``, else None: a page every record's links open, whose counts are remembered
    under that name."""
    if len(applied) != 1:
        return None
    ((name, value),) = applied.items()
    if name not in names or len(value) != 1:
        return None
    (chosen,) = value
    return f"{name}={getattr(chosen, 'slug', chosen)}"


def relation_table(model, relation):
    """(the table model of a many-to-many relation, its field to ``model``, its field to the
    other side)."""
    field = model._meta.get_field(relation)
    return field.remote_field.through, field.m2m_field_name(), field.m2m_reverse_field_name()


def published_links(model, relation, targets=None):
    """{published target id: number of published ``model`` records linked to it through the
    many-to-many ``relation``}, for the ``targets`` ids given or for all.

    It counts the links to published targets less the links of unpublished records. The
    records' side is read through the relation's table and its indexes only: checking each
    link's record for its state instead would read the row of every record, which at scale
    costs ten times as much; the targets, far fewer, are joined for their state."""
    through, source, target = relation_table(model, relation)
    links = through.objects.filter(**{f"{target}__state": State.PUBLISHED})
    if targets is not None:
        links = links.filter(**{f"{target}__in": targets})
    counts = per_value(links, f"{target}_id")
    unpublished = model.objects.exclude(state=State.PUBLISHED).values("pk")
    for key, total in per_value(
        links.filter(**{f"{source}__in": unpublished}), f"{target}_id"
    ).items():
        counts[key] -= total
    return {key: total for key, total in counts.items() if total}


# --- What the pages show ---------------------------------------------------------------------


def key_figures():
    """The home page's figures: published agreements, initiatives, threats and eras, and the
    years the eras cover."""

    def count():
        eras = Era.objects.published()
        span = eras.aggregate(first=Min("start_year"), last=Max("end_year"))
        ongoing = eras.filter(end_year__isnull=True).exists()
        return {
            "agreements": Agreement.objects.published().count(),
            "initiatives": Initiative.objects.published().count(),
            "threats": Threat.objects.published().count(),
            "eras": eras.count(),
            "first_year": span["first"],
            "last_year": None if ongoing else span["last"],
        }

    figures = remembered("key-figures", count)
    if figures["first_year"] and figures["last_year"] is None:
        figures = {**figures, "last_year": timezone.now().year}
    return figures


def era_list():
    """The published eras in order, each with ``agreement_count`` and ``initiative_count``:
    its published agreements and initiatives, counted in the query that lists them."""

    def listed():
        return list(
            Era.objects.published()
            .for_list()
            .annotate(
                agreement_count=subquery_count(Agreement.objects.published(), "era"),
                initiative_count=subquery_count(Initiative.objects.published(), "era"),
            )
        )

    return remembered("era-list", listed)


#: The relations by which agreements and initiatives link parties and threats.
LINKS = {"party": ("parties", "participants"), "threat": ("threats", "threats")}


def add_link_counts(records):
    """Set ``agreement_count`` and ``initiative_count`` on each of ``records`` (a page of
    parties or of threats): the published agreements and initiatives linked to it."""
    kind = type(records[0])._meta.model_name if records else "party"
    agreement_relation, initiative_relation = LINKS[kind]

    def count():
        return {
            "agreements": published_links(Agreement, agreement_relation),
            "initiatives": published_links(Initiative, initiative_relation),
        }

    counted = remembered(f"{kind}-links", count)
    for record in records:
        record.agreement_count = counted["agreements"].get(record.pk, 0)
        record.initiative_count = counted["initiatives"].get(record.pk, 0)
    return records


def add_citation_counts(sources):
    """Set ``citation_count`` on each of ``sources`` (a page of the bibliography): the number of
    published records citing it, one grouped query per type of record."""
    counts = {}
    for relation in Source.citing_relations():
        model = relation.related_model
        links = model.sources.through.objects.filter(
            source__in=[source.pk for source in sources],
            **{f"{model._meta.model_name}__state": State.PUBLISHED},
        )
        for source, total in per_value(links, "source").items():
            counts[source] = counts.get(source, 0) + total
    for source in sources:
        source.citation_count = counts.get(source.pk, 0)
    return sources
