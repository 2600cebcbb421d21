"""Search that works for Chinese on SQLite FTS5 and PostgreSQL alike.

Both engines treat an unbroken run of Chinese characters as one token, so "停车" would never
match a page saying "小区停车难". We index overlapping character bigrams of every Chinese run
(the approach of Lucene's CJK analyser) and turn a query into the same bigrams, all required.
A query of two or more characters then finds exactly the texts that contain it, whatever
words surround it; Latin words and digits pass through unchanged.
"""

import re

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[A-Za-z0-9]+")


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
            seen.setdefault(token, None)
    return " ".join(seen)


def cjk_query(query: str) -> str:
    """A user's query turned into index tokens; search it with operator="and"."""
    return " ".join(dict.fromkeys(cjk_tokens(query)))
