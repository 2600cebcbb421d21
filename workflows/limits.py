"""Rate limits of public submissions (opinions, replies to discussion topics, …).

Two limits per kind of submission: attempts per sender address (every POST counts, valid or
not: this is what stops a flood from one address) and stored submissions per phone number
(only what is actually stored counts, so refused attempts neither cost a resident quota nor
let anyone lock another person's number with invalid posts). Rates come from settings, with
defaults; django-ratelimit keeps the counts in the cache.
"""

from __future__ import annotations

from dataclasses import dataclass

from django_ratelimit.core import get_usage, is_ratelimited

from django.conf import settings
from django.shortcuts import render

TOO_MANY_SUBMISSIONS = "提交过于频繁，请稍后再试；急事请拨打站点电话或到接待日当面反映。"


@dataclass(frozen=True)
class SubmissionLimits:
    group: str  # the counters' name, e.g. "opinion-submit"
    ip_setting: str
    ip_default: str
    phone_setting: str
    phone_default: str

    def ip_limited(self, request) -> bool:
        """Count this attempt against the sender's address; True once over the limit."""
        return is_ratelimited(
            request,
            group=f"{self.group}-ip",
            key="ip",
            rate=getattr(settings, self.ip_setting, self.ip_default),
            increment=True,
        )

    def _phone_usage(self, request, phone: str, *, increment: bool) -> dict | None:
        # Rate and key must be the same for the check and the count: both are in the cache key.
        return get_usage(
            request,
            group=f"{self.group}-phone",
            key=lambda group, req: phone,
            rate=getattr(settings, self.phone_setting, self.phone_default),
            increment=increment,
        )

    def phone_limited(self, request, phone: str) -> bool:
        """True when this phone number has used up its stored submissions; counts nothing."""
        usage = self._phone_usage(request, phone, increment=False)
        if usage is None:  # rate limiting switched off
            return False
        # Without incrementing, count is what is already used: this one would be count + 1.
        # (A cache failure reports should_limit with limit 0: refused, as django-ratelimit does.)
        return usage["should_limit"] or usage["count"] >= usage["limit"]

    def count_phone(self, request, phone: str) -> None:
        """Count one stored submission against the phone number."""
        self._phone_usage(request, phone, increment=True)


OPINION_LIMITS = SubmissionLimits(
    "opinion-submit", "LIANLUO_OPINION_RATE_IP", "10/h", "LIANLUO_OPINION_RATE_PHONE", "5/d"
)


def limited(request, message: str = TOO_MANY_SUBMISSIONS):
    """The 429 page with its message."""
    return render(request, "workflows/public/limited.html", {"message": message}, status=429)
