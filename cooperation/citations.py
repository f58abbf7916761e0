"""What a record cites each of its sources for.

A citation names one of the record's sources by its slug, where in the source to look (a
locator: a page, a paragraph, a document number) and what it supports. A record keeps its
citations as a list in one field, ``Record.citations``, so that they travel with its
revisions, its history, imports and exports as its other fields do; its ``sources`` stay the
relation that lists who cites a source. In a form, and in the history's comparisons, they are
written a line each:

    frus-1943-v06-d354 | footnote 13 | the commission's creation, announced 12 January 1942
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

#: At most so many citations on one record, and so long a locator and a "supports".
MAX_CITATIONS, LOCATOR_LENGTH, SUPPORTS_LENGTH = 100, 200, 1_000

KEYS = ("source", "locator", "supports")


def validate_citations(value):
    """Refuse anything but a list of {"source", "locator", "supports"}, each a bounded text
    and the source a slug: what an import or a form may put in ``Record.citations``."""
    if not isinstance(value, list):
        raise ValidationError(_("Citations are a list of objects."))
    if len(value) > MAX_CITATIONS:
        raise ValidationError(
            _("At most %(limit)d citations on one record.") % {"limit": MAX_CITATIONS}
        )
    for number, citation in enumerate(value, start=1):
        if not isinstance(citation, dict) or set(citation) != set(KEYS):
            raise ValidationError(
                _('Citation %(number)d: give "source", "locator" and "supports", and nothing else.')
                % {"number": number}
            )
        if not all(isinstance(citation[key], str) for key in KEYS):
            raise ValidationError(
                _("Citation %(number)d: each of its parts is a text.") % {"number": number}
            )
        if not citation["source"]:
            raise ValidationError(
                _("Citation %(number)d: name its source by its slug.") % {"number": number}
            )
        if not citation["supports"].strip():
            raise ValidationError(
                _("Citation %(number)d: say what the source supports.") % {"number": number}
            )
        if len(citation["locator"]) > LOCATOR_LENGTH or len(citation["supports"]) > SUPPORTS_LENGTH:
            raise ValidationError(
                _(
                    "Citation %(number)d: a locator holds at most %(locator)d characters, "
                    "what it supports at most %(supports)d."
                )
                % {"number": number, "locator": LOCATOR_LENGTH, "supports": SUPPORTS_LENGTH}
            )


def outside_sources(citations, source_slugs):
    """The message refusing citations of sources that are not among ``source_slugs`` (the
    record's sources), or None when every citation's source is one of them."""
    stray = sorted({citation["source"] for citation in citations} - set(source_slugs))
    if not stray:
        return None
    return ngettext(
        "A citation names %(slugs)s, which is not among the record's sources: add it to the "
        "sources or cite another.",
        "Citations name %(slugs)s, which are not among the record's sources: add them to the "
        "sources or cite others.",
        len(stray),
    ) % {"slugs": ", ".join(stray)}


def as_lines(citations):
    """The citations as they are written in a form, a line each."""
    return "\n".join(
        " | ".join(str(citation.get(key, "")) for key in KEYS)
        for citation in citations
        if isinstance(citation, dict)
    )


def by_source(citations, sources):
    """(source, [its citations]) for each of ``sources``, in their order."""
    cited = {}
    for citation in citations:
        cited.setdefault(citation["source"], []).append(citation)
    return [(source, cited.get(source.slug, [])) for source in sources]


class CitationsField(forms.CharField):
    """Citations written a line each: ``source-slug | locator | what it supports``. The
    locator may be left empty (``slug | | what it supports``); what it supports may hold "|"."""

    widget = forms.Textarea(attrs={"rows": 6, "cols": 100})

    def __init__(self, **kwargs):
        kwargs["help_text"] = _(
            "One citation a line: the source's slug | where in it (page, paragraph, "
            "document) | what it supports. Each source must be among the sources above."
        )
        kwargs["required"] = False
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        super().__init__(strip=False, **kwargs)

    def prepare_value(self, value):
        return as_lines(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value) or ""
        citations = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split("|", 2)]
            if len(parts) < 3:
                raise ValidationError(
                    _(
                        "Line %(number)d: write the source's slug, where in it, and what it "
                        "supports, separated by “|”."
                    )
                    % {"number": number}
                )
            citations.append(dict(zip(KEYS, parts, strict=True)))
        return citations


class CitationList(models.JSONField):
    """The field that holds a record's citations: a list checked by ``validate_citations``
    (as its model gives it), edited a line each, and compared as those lines in its history."""

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": CitationsField, **kwargs})

    def as_text(self, value):
        return as_lines(value or [])
