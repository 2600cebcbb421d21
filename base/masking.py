"""Masking of citizens' personal data (PIPL): what most roles see, e.g. 张** / 138****1234.

Unmasked values are shown only through `reveal()`, which records who saw what in the
audit log.
"""

from __future__ import annotations

import re

from base import audit
from base.audit_actions import PersonalDataAction

_MOBILE = re.compile(r"^(\+?86)?1\d{10}$")


def mask_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str) -> str:
    digits = re.sub(r"[\s-]", "", phone or "")
    if _MOBILE.match(digits):
        digits = digits[-11:]
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def reveal(request, obj, field: str) -> str:
    """The real value of a personal-data field, with the viewing logged."""
    value = getattr(obj, field)
    audit.record(PersonalDataAction.VIEWED, request=request, obj=obj, field=field)
    return value
