"""Links between records inside Markdown bodies.

A body links a record as ``[[agreement:merida-initiative]]`` (shown as the record's title) or
``[[agreement:merida-initiative|the Mérida Initiative]]`` (shown as the given words), so that
the article's own wording is kept while each record it mentions is linked.
"""

import re
from dataclasses import dataclass

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
