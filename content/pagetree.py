"""Tree conditions on Wagtail's materialised path that a database index can answer.

Treebeard's `child_of` / `descendant_of` filter with `path LIKE 'xxxx%'`: SQLite never uses an
index for that (Django adds an ESCAPE clause), and PostgreSQL only under the C collation, so
every such query reads the whole page table, which grows with the number of stations. A path
is made of fixed-width steps over the alphabet 0-9A-Z, so the same sets are ranges of the
(unique, indexed) path column: every descendant of P lies between P and P followed by Zs.
"""

from __future__ import annotations

from django.db.models import Q

from wagtail.models import Page

STEP = Page.steplen
_TOP = "Z"  # the last character of treebeard's alphabet (0-9A-Z)
_PATH_MAX = Page._meta.get_field("path").max_length


def children_q(page, prefix: str = "") -> Q:
    """The children of `page` (`prefix`: the lookup to the page, e.g. "page__")."""
    return Q(
        **{
            f"{prefix}depth": page.depth + 1,
            f"{prefix}path__range": children_range(page),
        }
    )


def children_range(page) -> tuple[str, str]:
    """The lowest and highest path a child of `page` can have (with `depth = page.depth + 1`)."""
    return page.path + "0" * STEP, page.path + _TOP * STEP


def descendants_q(page, prefix: str = "", inclusive: bool = False) -> Q:
    """The descendants of `page` (and the page itself when `inclusive`)."""
    condition = Q(**{f"{prefix}path__range": (page.path, page.path + _TOP * (_PATH_MAX - len(page.path)))})
    if not inclusive:
        condition &= Q(**{f"{prefix}depth__gt": page.depth})
    return condition


def ancestor_paths(path: str) -> list[str]:
    """The paths of the ancestors of the page at `path`, root first."""
    return [path[:end] for end in range(STEP, len(path), STEP)]
