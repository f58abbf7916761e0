"""Links between records inside Markdown bodies.

A body links a record as ``[[agreement:merida-initiative]]`` (shown as the record's title) or
``[[agreement:merida-initiative|the Mérida Initiative]]`` (shown as the given words), so that
the article's own wording is kept while each record it mentions is linked.
"""

import html
import re
from dataclasses import dataclass

import markdown
import nh3
from django.utils.safestring import mark_safe

RECORD_LINK = re.compile(r"\[\[(?P<type>[a-z]+):(?P<slug>[-a-z0-9]+)(?:\|(?P<text>[^\]]+))?\]\]")


@dataclass(frozen=True)
class RecordLink:
    type: str
    slug: str
    text: str | None


def record_links(text):
    """Every record link in ``text``, in order."""
    return [
        RecordLink(match["type"], match["slug"], match["text"])
        for match in RECORD_LINK.finditer(text)
    ]


def plain_text(text):
    """``text`` with each record link replaced by the words it shows (its text, or its slug)."""
    return RECORD_LINK.sub(lambda match: match["text"] or match["slug"], text)


#: Characters no text a reader reads carries (the search index's marks are made of two).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
SPACES = re.compile(r"[ \t]+")
MARKDOWN_SYNTAX = re.compile(r"[*_#`>\[\]<&]|^\s*(?:[-+]|\d+\.)\s", re.M)


def readable(text):
    """Markdown ``text`` as readers read it: record links as their words, no markup, and
    nothing that the pages' sanitizer drops (a script's text). What search indexes, and what
    a claim's passage is looked for in."""
    text = plain_text(text or "")
    if MARKDOWN_SYNTAX.search(text):
        text = html.unescape(nh3.clean(markdown.markdown(text), tags=set()))
    return SPACES.sub(" ", CONTROL.sub(" ", text)).strip()


def passage_text(text):
    """Text as a reader reads it, to find a passage in: record links as their words, no
    Markdown, runs of white space made one space."""
    return " ".join(readable(text).split())


# --- Rendering -------------------------------------------------------------------------------

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "cite", "code", "em", "h2", "h3", "h4", "hr", "li", "ol",
    "p", "pre", "strong", "sub", "sup", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}


def linkable_models():
    """The types a text can link: every record, and sources (a citation inside a text)."""
    from . import models

    return {model._meta.model_name: model for model in (*models.RECORD_MODELS, models.Source)}


def resolve_links(*texts):
    """{(type, slug): record} for every published record linked from ``texts``: one query
    per type. A link to an unpublished record is left out, so it renders as its words."""
    wanted = {}
    for text in texts:
        for link in record_links(text or ""):
            wanted.setdefault(link.type, set()).add(link.slug)
    models = linkable_models()
    found = {}
    for type_, slugs in wanted.items():
        if type_ in models:
            for record in (
                models[type_].objects.published().filter(slug__in=slugs).only("slug", "title")
            ):
                found[type_, record.slug] = record
    return found


def render(text, records):
    """Markdown ``text`` as sanitized HTML, its record links pointing at ``records`` (from
    ``resolve_links``); a link to a record that is not there shows its words only."""

    def link(match):
        words = match["text"] or match["slug"]
        record = records.get((match["type"], match["slug"]))
        if record is None:
            return words
        return f"[{words}]({record.get_absolute_url()})"

    html = markdown.markdown(RECORD_LINK.sub(link, text or ""), output_format="html")
    return mark_safe(nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES))  # noqa: S308 - sanitized by nh3
