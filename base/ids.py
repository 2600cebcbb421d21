"""Ids from URLs and query strings, read one way everywhere.

An id is ASCII digits within the 64-bit range both databases store. Anything else is no
id at all: a superscript "²" (which str.isdigit() accepts and int() refuses), a number too
large for SQLite (which raises OverflowError) or for Python's int parsing (4300 digits).
"""

from __future__ import annotations

import re

LARGEST_ID = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(value) -> int | None:
    """The id in `value`, or None when it is not one."""
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if number <= LARGEST_ID else None
