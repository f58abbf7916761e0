"""Search across the site: one full-text index over what readers see of every published record.

``SearchEntry`` rows hold each published record's texts as readers read them (record links
rendered to their words, Markdown to plain text); the database's own full-text engine indexes
them: SQLite's FTS5 (Porter stemming, accents and case folded) or PostgreSQL's text search
(English stemming, with ``unaccent`` folding accents) with a GIN index. Both are made after
every ``migrate`` (``install``) and kept current by the records' signals (``index`` and
``remove``); drafts are never indexed. ``Index`` is the one interface the pages use; its two
implementations hold the SQL of each engine.

Ranking weighs a title above a summary above a body. Marks around matched words come from the
engine itself (FTS5's ``snippet``, PostgreSQL's ``ts_headline``), so they agree with what it
matched, stemming included."""

import re
from dataclasses import dataclass
from itertools import batched

from django import forms
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from . import markup
from .models import KIND_NUMBERS, PUBLIC_MODELS, Claim, SearchEntry, Source, State

# --- What is indexed --------------------------------------------------------------------------

#: The marks of matched words: characters no indexed text carries (``markup.CONTROL``).
START, STOP = "\x02", "\x03"


def entry_fields(record):
    """The fields of ``record``'s SearchEntry."""
    kind = record._meta.model_name
    if isinstance(record, Source):
        summary = " · ".join(part for part in (record.author, record.publisher) if part)
        body = markup.readable(record.description)
    elif isinstance(record, Claim):
        # Its title is the passage's first words: the passage in full and the finding are
        # its body, so a claim ranks below the record whose title and summary match.
        summary = ""
        body = "\n\n".join((markup.readable(record.passage), markup.readable(record.finding)))
    else:
        summary = markup.readable(record.summary)
        body = "\n\n".join(
            text
            for text in (markup.readable(record.body), markup.readable(record.editorial_note))
            if text
        )
    era_id = record.pk if kind == "era" else getattr(record, "era_id", None)
    return {
        "id": SearchEntry.id_of(kind, era_id, record.pk),
        "kind": kind,
        "record_id": record.pk,
        "slug": record.slug,
        "era_id": era_id,
        "title": markup.CONTROL.sub(" ", record.title),
        "summary": summary,
        "body": body,
    }


def index(record):
    """Bring ``record``'s entry up to date: made or rewritten if it is published, else gone."""
    if record.state != State.PUBLISHED:
        remove(record)
        return
    fields = entry_fields(record)
    entries = SearchEntry.objects.filter(kind=fields["kind"], record_id=record.pk)
    entries.exclude(id=fields["id"]).delete()  # its era changed, and with it its entry's id
    SearchEntry.objects.update_or_create(id=fields.pop("id"), defaults=fields)


def remove(record):
    SearchEntry.objects.filter(kind=record._meta.model_name, record_id=record.pk).delete()


def rebuild(batch_size=2000):
    """Index every published record afresh, all or nothing; returns how many."""
    total = 0
    with transaction.atomic():
        SearchEntry.objects.all().delete()
        for model in PUBLIC_MODELS:
            records = model.objects.published().order_by("pk").iterator(chunk_size=batch_size)
            for batch in batched(records, batch_size):
                SearchEntry.objects.bulk_create(
                    [SearchEntry(**entry_fields(record)) for record in batch]
                )
                total += len(batch)
    return total


# --- What readers ask for ---------------------------------------------------------------------

#: Words too common to narrow a search; PostgreSQL's English configuration drops them too.
# fmt: off
COMMON_WORDS = frozenset([
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "in",
    "is", "it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "were", "will",
    "with",
])
# fmt: on
MAX_TERMS = 12
WORD = re.compile(r"[^\W_]+")
PHRASE = re.compile(r'"([^"]*)"')


class QueryError(ValueError):
    pass


@dataclass(frozen=True)
class Query:
    """What a reader typed, as terms: each a word, or a phrase of words in that order."""

    text: str
    terms: tuple

    def __str__(self):
        return self.text

    def __bool__(self):
        return bool(self.terms)

    @classmethod
    def parse(cls, text):
        """The query of ``text``: words, and phrases in double quotes. Anything else (signs,
        punctuation, an unclosed quote) only separates words. Raises QueryError with a
        message for readers when nothing is left to search for."""
        text = (text or "").strip()
        if not text:
            raise QueryError(_("Type one or more words to search for."))
        terms, rest, end = [], [], 0
        for match in PHRASE.finditer(text):
            rest.append(text[end : match.start()])
            end = match.end()
            words = tuple(WORD.findall(match[1].lower()))
            if len(words) > 1:
                terms.append(words)
            elif words:
                rest.append(words[0])
        rest.append(text[end:])
        words = WORD.findall(" ".join(rest).lower())
        if not terms and not words:
            raise QueryError(
                _("“%(text)s” has no words to search for: use letters or digits.")
                % {"text": text[:60]}
            )
        kept = [word for word in words if word not in COMMON_WORDS]
        if not terms and not kept:
            raise QueryError(
                _("“%(text)s” has only very common words: add a word that narrows it.")
                % {"text": text[:60]}
            )
        terms += [(word,) for word in dict.fromkeys(kept)]
        if len(terms) > MAX_TERMS:
            raise QueryError(
                _("Use at most %(count)s words or phrases in one search.") % {"count": MAX_TERMS}
            )
        return cls(text, tuple(terms))


class QueryField(forms.CharField):
    """A search box whose cleaned value is a Query, or None when it is empty."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.SearchInput)
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        if not text and not self.required:
            return None
        try:
            return Query.parse(text)
        except QueryError as error:
            raise forms.ValidationError(str(error), code="query") from error


# --- The engines ------------------------------------------------------------------------------

ENTRY = SearchEntry._meta.db_table
KIND_SPAN, ERA_SPAN = SearchEntry.KIND_SPAN, SearchEntry.ERA_SPAN


@dataclass
class Hit:
    """One result: the record's entry, with its title and a snippet marked."""

    kind: str
    slug: str
    era_id: int | None
    title: str
    snippet: str

    def get_absolute_url(self):
        return SearchEntry(kind=self.kind, slug=self.slug).get_absolute_url()


def marked(text):
    """Engine output with marks as HTML: the text escaped, the marks made <mark>."""
    return mark_safe(  # noqa: S308 - escaped first; only our own tags are added
        escape(text or "").replace(START, "<mark>").replace(STOP, "</mark>")
    )


def narrowing(column, kinds, eras):
    """SQL conditions on entry ids (``column``) for the types and era ids chosen (None: any),
    read from the ids themselves (see SearchEntry)."""
    conditions, params = [], []
    for values, part in (
        (kinds and [KIND_NUMBERS[kind] for kind in kinds], f"{column} / {KIND_SPAN}"),
        (eras, f"({column} / {ERA_SPAN}) %% {KIND_SPAN // ERA_SPAN}"),
    ):
        if values is not None:
            conditions.append(f"{part} IN ({', '.join(['%s'] * len(values))})" if values else "0")
            params += list(values)
    return "".join(f" AND {condition}" for condition in conditions), params


#: The order of the types within a tier of results: the records of the history, then the
#: article's sections, then claims and sources.
KIND_TIERS = {"section": 1, "claim": 2, "source": 2}


#: How results are ordered: entries matching in the title, then in the summary, then the
#: others; within each, the history's records before sections, claims and sources
#: (``kind_tier``); among title matches the shorter title first (the closer match: "Mérida
#: Initiative" before "Mérida Initiative four-pillar strategy"); then by relevance, best first.
RANKING = ("in_title DESC", "in_summary DESC", "kind_tier", "title_length", "rank", "id")


def ranking(table=""):
    return ", ".join(f"{table}{term}" for term in RANKING)


def kind_tier(id_column):
    """SQL: the tier of an entry's type, from its id alone (``id / KIND_SPAN``)."""
    cases = " ".join(f"WHEN {KIND_NUMBERS[kind]} THEN {tier}" for kind, tier in KIND_TIERS.items())
    return f"(CASE {id_column} / {SearchEntry.KIND_SPAN} {cases} ELSE 0 END)"


def best_snippet(snippets):
    """The first snippet with a matched word in it (the summary's before the body's), else
    the first with any text: the title is shown marked already, so it is never the snippet."""
    return next((text for text in snippets if START in text), None) or next(
        (text for text in snippets if text), ""
    )


class Index:
    """What both engines answer, from ``matches``: SQL giving the ``id`` of each matching
    entry. ``kinds`` and ``eras`` narrow to those types and era ids; None leaves them open."""

    def install(self, cursor):
        raise NotImplementedError

    #: The column of ``matches`` that holds an entry's id, as the index's own query names it.
    id_column = "id"

    def matches(self, query):
        raise NotImplementedError

    def matches_between(self, query, first, last):
        """``matches`` with ids from ``first`` to ``last``: the range is part of the index's
        query, which seeks it within its lists."""
        sql, params = self.matches(query)
        return f"{sql} AND {self.id_column} BETWEEN %s AND %s", [*params, first, last]

    def record_ids(self, kind, query):
        """An expression for ``pk__in``: the ids of the ``kind`` records that match."""
        sql, params = self.matches_between(query, *SearchEntry.ids_of_kind(kind))
        return RawSQL(f"SELECT id %% {ERA_SPAN} FROM ({sql}) matched", params)

    def counts(self, query):
        """{(kind, era id): matches}: every facet of the search page, from one query."""
        sql, params = self.matches(query)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id / {ERA_SPAN}, COUNT(*) FROM ({sql}) matched GROUP BY 1", params
            )
            return {SearchEntry.kind_and_era(slot): total for slot, total in cursor.fetchall()}

    def hits(self, query, kinds, eras, limit, offset):
        with connection.cursor() as cursor:
            cursor.execute(*self.hits_sql(query, kinds, eras, limit, offset))
            return [
                Hit(kind, slug, era, marked(title), marked(best_snippet(snippets)))
                for kind, slug, era, title, *snippets in cursor.fetchall()
            ]


class SQLiteIndex(Index):
    """FTS5 over the entries (an external-content table, kept in step by triggers)."""

    FTS = f"{ENTRY}_fts"
    id_column = "rowid"
    #: bm25 weights of title, summary and body.
    WEIGHTS = "10.0, 4.0, 1.0"

    def install(self, cursor):
        fts, columns = self.FTS, "title, summary, body"
        new = "new.title, new.summary, new.body"
        old = "old.title, old.summary, old.body"
        cursor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({columns}, content='{ENTRY}', "
            "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
        )
        cursor.execute(
            f"CREATE TRIGGER IF NOT EXISTS {fts}_insert AFTER INSERT ON {ENTRY} BEGIN "
            f"INSERT INTO {fts}(rowid, {columns}) VALUES (new.id, {new}); END"
        )
        cursor.execute(
            f"CREATE TRIGGER IF NOT EXISTS {fts}_delete AFTER DELETE ON {ENTRY} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {columns}) VALUES ('delete', old.id, {old}); END"
        )
        cursor.execute(
            f"CREATE TRIGGER IF NOT EXISTS {fts}_update AFTER UPDATE ON {ENTRY} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {columns}) VALUES ('delete', old.id, {old}); "
            f"INSERT INTO {fts}(rowid, {columns}) VALUES (new.id, {new}); END"
        )

    @staticmethod
    def expression(query):
        """FTS5's query syntax: every term a quoted string, so nothing typed is an operator."""
        return " ".join('"' + " ".join(term) + '"' for term in query.terms)

    def matches(self, query):
        fts = self.FTS
        return f"SELECT rowid AS id FROM {fts} WHERE {fts} MATCH %s", [self.expression(query)]

    def hits_sql(self, query, kinds, eras, limit, offset):
        """The page's entries ranked (``RANKING``), then the marks made for those rows alone:
        FTS5 would otherwise make a snippet for every match before sorting.

        bm25 weighs the columns inside one saturating sum and counts a row's length over all
        its texts, so it alone would put a record's long body below a source whose title only
        names it: the tiers come first, and bm25 ranks within them."""
        fts, expression = self.FTS, self.expression(query)
        narrowed, params = narrowing("rowid", kinds, eras)
        in_title = f"rowid IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s)"
        title = f"{{title}} : ({expression})"
        return (
            f"WITH page AS ("
            f" SELECT rowid AS id, {in_title} AS in_title,"
            f" rowid IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s) AS in_summary,"
            f" {kind_tier('rowid')} AS kind_tier,"
            f" CASE WHEN {in_title} THEN length(title) ELSE 0 END AS title_length,"
            f" bm25({fts}, {self.WEIGHTS}) AS rank"
            f" FROM {fts} WHERE {fts} MATCH %s{narrowed}"
            f" ORDER BY {ranking()} LIMIT %s OFFSET %s)"
            f" SELECT e.kind, e.slug, e.era_id,"
            f" highlight({fts}, 0, '{START}', '{STOP}'),"
            f" snippet({fts}, 1, '{START}', '{STOP}', '…', 24),"
            f" snippet({fts}, 2, '{START}', '{STOP}', '…', 24)"
            f" FROM page JOIN {fts} ON {fts}.rowid = page.id JOIN {ENTRY} e ON e.id = page.id"
            f" WHERE {fts} MATCH %s ORDER BY {ranking('page.')}",
            [
                title,
                f"{{title summary}} : ({expression})",
                title,
                expression,
                *params,
                limit,
                offset,
                expression,
            ],
        )


class PostgresIndex(Index):
    """A weighted tsvector column, generated from the entry's texts, with a GIN index."""

    CONFIG = "mexhist_search"
    HEADLINE = f"StartSel={START}, StopSel={STOP}, HighlightAll=true"
    SNIPPET = (
        f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=15, MaxFragments=2, "
        'FragmentDelimiter=" … "'
    )

    def install(self, cursor):
        config = self.CONFIG
        cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        cursor.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = %s", [config])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE TEXT SEARCH CONFIGURATION {config} (COPY = english)")
            cursor.execute(
                f"ALTER TEXT SEARCH CONFIGURATION {config} ALTER MAPPING FOR "
                "hword, hword_part, word WITH unaccent, english_stem"
            )
        vector = " || ".join(
            f"setweight(to_tsvector('{config}', {column}), '{weight}')"
            for column, weight in (("title", "A"), ("summary", "B"), ("body", "C"))
        )
        cursor.execute(
            f"ALTER TABLE {ENTRY} ADD COLUMN IF NOT EXISTS document tsvector "
            f"GENERATED ALWAYS AS ({vector}) STORED"
        )
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {ENTRY}_document ON {ENTRY} USING GIN (document)"
        )

    @staticmethod
    def expression(query):
        """websearch_to_tsquery's syntax, from words and quoted phrases only."""
        return " ".join(
            ('"' + " ".join(term) + '"') if len(term) > 1 else term[0] for term in query.terms
        )

    def matches(self, query):
        return (
            f"SELECT id FROM {ENTRY} WHERE document @@ websearch_to_tsquery('{self.CONFIG}', %s)",
            [self.expression(query)],
        )

    def hits_sql(self, query, kinds, eras, limit, offset):
        """The page's entries ranked as on SQLite (``RANKING``, ts_rank for bm25); then the
        marks made for those rows alone."""
        config = self.CONFIG
        narrowed, params = narrowing("e.id", kinds, eras)
        in_title = "ts_filter(e.document, '{a}') @@ q.query"
        return (
            f"WITH q AS (SELECT websearch_to_tsquery('{config}', %s) AS query),"
            f" page AS (SELECT e.id, {in_title} AS in_title,"
            f" ts_filter(e.document, '{{a,b}}') @@ q.query AS in_summary,"
            f" {kind_tier('e.id')} AS kind_tier,"
            f" CASE WHEN {in_title} THEN length(e.title) ELSE 0 END AS title_length,"
            f" -ts_rank(e.document, q.query) AS rank FROM {ENTRY} e, q"
            f" WHERE e.document @@ q.query{narrowed} ORDER BY {ranking()} LIMIT %s OFFSET %s)"
            f" SELECT e.kind, e.slug, e.era_id,"
            f" ts_headline('{config}', e.title, q.query, %s),"
            f" ts_headline('{config}', e.summary || E'\\n' || e.body, q.query, %s)"
            f" FROM page JOIN {ENTRY} e ON e.id = page.id, q ORDER BY {ranking('page.')}",
            [self.expression(query), *params, limit, offset, self.HEADLINE, self.SNIPPET],
        )


def engine(database=connection):
    """The full-text index of ``database``'s engine."""
    return PostgresIndex() if database.vendor == "postgresql" else SQLiteIndex()


def install(using="default", **kwargs):
    """Make the full-text index of the entries if it is not there (after every migrate)."""
    from django.db import connections

    database = connections[using]
    with database.cursor() as cursor:
        engine(database).install(cursor)


# --- A results page ---------------------------------------------------------------------------


class Results:
    """The hits of a query, for a Paginator: counted from the facet counts, and fetched a
    page at a time."""

    def __init__(self, query, kinds, eras, total):
        self.query, self.kinds, self.eras, self.total = query, kinds, eras, total

    def count(self):
        return self.total

    def __len__(self):
        return self.total

    def __getitem__(self, page):
        start, stop = page.start or 0, page.stop
        if stop <= start:
            return []
        return engine().hits(self.query, self.kinds, self.eras, stop - start, start)
