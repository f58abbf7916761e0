"""Claims marked in a section's text: each passage the claim quotes is wrapped in ``<mark>``
where it occurs, and its note is set with the paragraph that holds it.

The text is marked after it is rendered, on its words: a passage may run across a record link
or emphasis, so each run of text inside it is marked on its own and the HTML stays well
formed. Nothing but text nodes and the places between blocks is written to; every word comes
from the sanitized HTML or is escaped here."""

import itertools
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from . import markup

#: Elements with no end tag: they do not open a level.
VOID = {"br", "hr", "img", "wbr"}


class Pieces(HTMLParser):
    """The HTML as a list of ("tag", raw tag text, depth after it, tag name) and ("text",
    text, depth, None)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pieces, self.depth = [], 0

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.depth += 1
        self.pieces.append(("tag", self.get_starttag_text(), self.depth, tag))

    def handle_startendtag(self, tag, attrs):
        self.pieces.append(("tag", self.get_starttag_text(), self.depth, tag))

    def handle_endtag(self, tag):
        if tag not in VOID:
            self.depth -= 1
        self.pieces.append(("tag", f"</{tag}>", self.depth, f"/{tag}"))

    def handle_data(self, data):
        self.pieces.append(("text", data, self.depth, None))


def normalized(text):
    """``text`` with runs of white space made one space, and for each of its characters the
    index of the character it came from."""
    characters, origins, space = [], [], False
    for index, character in enumerate(text):
        if character.isspace():
            if not space and characters:
                characters.append(" ")
                origins.append(index)
            space = True
        else:
            characters.append(character)
            origins.append(index)
            space = False
    return "".join(characters), origins


@dataclass
class Placed:
    claim: object
    number: int
    start: int  # in the text of the whole body
    end: int


def place(text, claims):
    """The claims whose passage occurs in ``text``, each at its first occurrence, in the order
    they occur; a passage that overlaps one placed before it is left out of the text."""
    flat, origins = normalized(text)
    found = []
    for claim in claims:
        passage = markup.passage_text(claim.passage)
        at = flat.find(passage) if passage else -1
        if at < 0:
            continue
        start, end = origins[at], origins[at + len(passage) - 1] + 1
        if any(start < other.end and other.start < end for other in found):
            continue
        found.append(Placed(claim, 0, start, end))
    found.sort(key=lambda placed: placed.start)
    for number, placed in enumerate(found, 1):
        placed.number = number
    return found


def mark(html, claims, note):
    """(``html`` with each claim's passage marked, the claims placed in order). A top-level
    block (a paragraph, a list) that holds the end of passages is wrapped with their notes,
    ``<div class="claimed">block<div class="claim-notes">notes</div></div>``, so that a wide
    screen sets the notes beside their paragraph and a narrow one right after it.
    ``note(placed)`` renders one note."""
    parser = Pieces()
    parser.feed(str(html))
    parser.close()
    pieces = parser.pieces
    text = "".join(piece[1] for piece in pieces if piece[0] == "text")
    placed = place(text, claims)
    out, block, offset, noted = [], [], 0, []
    # A reference to a note is a link: one due inside a record link waits for it to close.
    links_open, due = 0, []

    def close_block():
        if noted:
            notes = "".join(note(p) for p in noted)
            out.append(
                f'<div class="claimed">{"".join(block)}<div class="claim-notes">{notes}</div></div>'
            )
        else:
            out.extend(block)
        block.clear()
        noted.clear()

    for kind, value, depth, tag in pieces:
        if kind == "tag":
            block.append(value)
            links_open += {"a": 1, "/a": -1}.get(tag, 0)
            if not links_open:
                block.extend(due)
                due.clear()
            if depth == 0:  # a top-level block has closed
                close_block()
            continue
        start, stop = offset, offset + len(value)
        offset = stop
        cuts = sorted(
            {start, stop}
            | {p.start for p in placed if start < p.start < stop}
            | {p.end for p in placed if start < p.end < stop}
        )
        for left, right in itertools.pairwise(cuts):
            words = escape(text[left:right], quote=False)
            inside = next((p for p in placed if p.start <= left and right <= p.end), None)
            if inside is None:
                block.append(words)
                continue
            first = f' id="claim-{inside.claim.slug}"' if left == inside.start else ""
            block.append(
                f'<mark class="claim verdict-{inside.claim.verdict}"{first}>{words}</mark>'
            )
            if right == inside.end:
                (due if links_open else block).append(
                    f'<sup class="claim-ref"><a href="#note-{inside.claim.slug}">'
                    f"{inside.number}</a></sup>"
                )
                noted.append(inside)
        if depth == 0:  # text between blocks
            close_block()
    close_block()
    return mark_safe("".join(out)), placed  # noqa: S308 - sanitized input, escaped text


def marked_section(html, claims, links):
    """The section's text with its claims marked and their notes, and the claims placed."""

    def note(placed):
        finding = markup.render(placed.claim.finding, links)
        return render_to_string(
            "includes/claim_note.html",
            {"placed": placed, "claim": placed.claim, "finding_html": finding},
        )

    return mark(html, claims, note)
