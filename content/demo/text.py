"""Small text helpers for the demo: ASCII slugs from Chinese and sibling-unique slugs."""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import lazy_pinyin

# In place names these characters take the reading pypinyin does not pick by default.
PLACE_READINGS = {"巷": "xiang", "弄": "nong", "堡": "bao", "畈": "fan", "埠": "bu", "长": "chang"}
_CJK = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")
_NON_SLUG = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=65536)
def pinyin_slug(text: str) -> str:
    """'东平巷' -> 'dongpingxiang'; digits and Latin letters are kept, the rest dropped."""
    syllables = lazy_pinyin(text)
    if _CJK.match(text) and len(syllables) == len(text):
        syllables = [PLACE_READINGS.get(ch, syl) for ch, syl in zip(text, syllables, strict=True)]
    slug = _NON_SLUG.sub("-", "".join(syllables).lower()).strip("-")
    return slug or "zhandian"


class SlugRegistry:
    """Hands out slugs unique among the children of each parent, as Wagtail requires."""

    def __init__(self):
        self._taken: dict[object, set[str]] = {}

    def claim(self, parent_key: object, wanted: str) -> str:
        taken = self._taken.setdefault(parent_key, set())
        slug, n = wanted, 2
        while slug in taken:
            slug = f"{wanted}-{n}"
            n += 1
        taken.add(slug)
        return slug
