"""Search that works for Chinese on SQLite FTS5 and PostgreSQL alike.

Both engines treat an unbroken run of Chinese characters as one token, so "停车" would never
match a page saying "小区停车难". We index overlapping character bigrams of every Chinese run
(the approach of Lucene's CJK analyser) and turn a query into the same bigrams, all required.
A query of two or more characters then finds exactly the texts that contain it, whatever
words surround it; Latin words and digits pass through unchanged.

Titles (and deputies' names) are indexed in the index's title column as their raw text, their
bigrams and their single characters, so a one-character query and "title matches first" are
answered by the full-text index too.

Besides words, each entry carries a few marker tokens (kind, hidden from the public, place in
the page tree, street) that content.search_query adds to every full-text query. Filtering and counting
then happen inside the full-text index, whatever the size of the district: see
content/search_query.py for why.

This module is pure text handling (no models), so content.models can import it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from wagtail.search import index

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_WORD = re.compile(f"[{_CJK}]+|[A-Za-z0-9]+")

# Marker tokens: one ASCII word each, which both SQLite's unicode61 tokenizer and
# PostgreSQL's "simple" configuration keep as they are. Users cannot search for them.
MARKER_PREFIX = "lianluo"
# Not for the public (a page not live, a deputy no longer active, when it was indexed). Queries
# say NOT HIDDEN: the doclist of the few hidden entries is short, where one of every visible
# entry would have to be read in full by every query.
HIDDEN = "lianluoh"
_MARKER = re.compile(r"lianluo[hkqsv][a-z0-9]*")


def kind_marker(kind: str) -> str:
    return f"lianluok{kind}"


def kind_index_predicate(kind: str) -> str:
    """SQL for "a visible entry of this kind": on PostgreSQL, the predicate of that kind's
    partial GIN index (migration content 0008). Queries write it out exactly so, which lets
    the planner use the index; it is made of fixed marker words only."""
    return f"body @@ '{kind_marker(kind)} & !{HIDDEN}'::tsquery"


def path_marker(path: str) -> str:
    """Carried by a page and every page below it (Wagtail paths are base-36 digits)."""
    return f"lianluoq{path.lower()}"


def street_marker(street_id: int) -> str:
    return f"lianluos{street_id}"


def cjk_tokens(text: str) -> list[str]:
    """Bigrams of each Chinese run (a lone character stays as itself), plus Latin words."""
    tokens: list[str] = []
    for match in _WORD.finditer(text or ""):
        run = match.group()
        if _CJK_RUN.fullmatch(run):
            if len(run) == 1:
                tokens.append(run)
            else:
                tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            tokens.append(run.lower())
    return tokens


def cjk_index_text(*parts: str | None) -> str:
    """The text to store in the search index for the given fields."""
    seen: dict[str, None] = {}
    for part in parts:
        for token in cjk_tokens(part or ""):
            if not _MARKER.fullmatch(token):
                seen.setdefault(token, None)
    return " ".join(seen)


def title_index_text(title: str | None) -> str:
    """A title for the index's title column: as written (what the admin's search matches),
    its bigrams and Latin words, and each Chinese character on its own (one-character queries)."""
    title = title or ""
    singles = [char for run in _CJK_RUN.findall(title) for char in run]
    return " ".join([title, cjk_index_text(title), " ".join(dict.fromkeys(singles))]).strip()


def page_markers(kind: str, live: bool, path: str) -> list[str]:
    markers = [kind_marker(kind), *(path_marker(path[:end]) for end in range(4, len(path) + 1, 4))]
    if not live:
        markers.append(HIDDEN)
    return markers


def with_markers(text: str, markers: Iterable[str]) -> str:
    return " ".join([text, *markers]).strip()


class TitleSearchField(index.SearchField):
    """The index's title column (every SearchField named "title" goes there), filled by
    title_index_text() from the object's `title`."""

    def __init__(self, **kwargs):
        super().__init__("title", **kwargs)

    def get_value(self, obj):
        return title_index_text(getattr(obj, "title", ""))


# --------------------------------------------------------------------------------------------
# Queries
# --------------------------------------------------------------------------------------------


def cjk_query(query: str) -> str:
    """A user's query turned into index tokens; search it with operator="and"."""
    return " ".join(query_tokens(query))


def query_tokens(query: str) -> list[str]:
    """The distinct index tokens of a user's query, without anything shaped like a marker."""
    return [token for token in dict.fromkeys(cjk_tokens(query)) if not _MARKER.fullmatch(token)]


def is_single_character(token: str) -> bool:
    """A lone Chinese character: only titles are indexed character by character."""
    return len(token) == 1 and bool(_CJK_RUN.fullmatch(token))


# --------------------------------------------------------------------------------------------
# Snippets with the query highlighted
# --------------------------------------------------------------------------------------------


def _highlight_pattern(query: str) -> re.Pattern | None:
    """What to highlight: each word of the query, then each of its bigrams (longest first)."""
    pieces = {word for word in query.split() if word}
    for word in list(pieces):
        pieces.update(token for token in cjk_tokens(word) if len(token) > 1 or _CJK_RUN.fullmatch(token))
    pieces = {piece for piece in pieces if _WORD.search(piece)}
    if not pieces:
        return None
    ordered = sorted(pieces, key=lambda piece: (-len(piece), piece))
    return re.compile("|".join(re.escape(piece) for piece in ordered), re.IGNORECASE)


def highlight(text: str, query: str) -> SafeString:
    """`text` escaped, with every occurrence of the query's words wrapped in <mark>.

    Each piece of user-written text goes through escape(); only the <mark> tags this
    function writes itself are left unescaped.
    """
    pattern = _highlight_pattern(query)
    if pattern is None:
        return escape(text)
    parts: list[str] = []
    position = 0
    for match in pattern.finditer(text):
        parts.append(escape(text[position : match.start()]))
        parts.append(f"<mark>{escape(match.group())}</mark>")
        position = match.end()
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped


def snippet(texts: Iterable[str | None], query: str, width: int = 80) -> SafeString:
    """A window of about `width` characters around the first match among `texts`, highlighted.

    Falls back to the start of the first non-empty text when none contains a query word.
    """
    pattern = _highlight_pattern(query)
    first = ""
    for raw in texts:
        text = " ".join((raw or "").split())
        if not text:
            continue
        first = first or text
        match = pattern.search(text) if pattern else None
        if match:
            start = max(0, match.start() - width // 3)
            end = min(len(text), start + width)
            start = max(0, min(start, end - width))
            window = text[start:end]
            return mark_safe(  # noqa: S308 - highlight() escapes; the ellipses are ours
                ("…" if start else "") + highlight(window, query) + ("…" if end < len(text) else "")
            )
    if not first:
        return mark_safe("")
    return mark_safe(escape(first[:width]) + ("…" if len(first) > width else ""))  # noqa: S308


def bigram_title_fields(search_fields: list) -> list:
    """`search_fields` (e.g. Page.search_fields) plus the title's bigrams and characters in the
    index's title column; Page's own title field stays, so Wagtail's checks still find it."""
    boost = next((f.boost for f in search_fields if type(f) is index.SearchField and f.field_name == "title"), None)
    return [*search_fields, TitleSearchField(boost=boost)]
