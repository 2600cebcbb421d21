"""Rate limits of public submissions (opinions, replies to discussion topics, …), and the
one way a public form is taken in (`take_in`).

Two limits per kind of submission: attempts per sender address (every POST counts, valid or
not: this is what stops a flood from one address) and stored submissions per phone number
(only what is actually stored counts, so refused attempts neither cost a resident quota nor
let anyone lock another person's number with invalid posts). Rates come from settings, with
defaults; django-ratelimit keeps the counts in the cache.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django_ratelimit.core import get_usage, is_ratelimited

from django.conf import settings
from django.shortcuts import redirect, render

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


def lookup_limited(request, group: str) -> bool:
    """Count a lookup by receipt number and the phone's last four digits against the sender's
    address (the four digits are guessable in 10,000 tries); True once over the limit."""
    return is_ratelimited(
        request,
        group=group,
        key="ip",
        rate=getattr(settings, "LIANLUO_OPINION_LOOKUP_RATE", "30/h"),
        increment=True,
    )


TOO_MANY_LOOKUPS = "查询过于频繁，请一小时后再试。"


def limited(request, message: str = TOO_MANY_SUBMISSIONS):
    """The 429 page with its message."""
    return render(request, "workflows/public/limited.html", {"message": message}, status=429)


def take_in(
    request,
    form,
    *,
    limits: SubmissionLimits,
    phone_field: str,
    stored: Callable[[str], object | None],
    store: Callable[[dict], tuple[object, bool]],
    refused: type[Exception] | tuple[type[Exception], ...],
    receipt_url: Callable[[object], str],
):
    """Take in a public form (an opinion, a reply to a topic, a nomination, a comment on a
    draft law), always in the same order:

    1. a double submit (the form's idempotency key already stored, `stored(key)`) goes to the
       first receipt: nothing new is stored or counted;
    2. every attempt counts against the sender's address: over the limit, 429;
    3. an invalid form: None (the caller shows the form with its errors, status 400);
    4. a phone number that has used up its stored submissions: 429;
    5. `store(cleaned_data)` returns (row, created), or raises `refused` with the reason in
       Chinese, which is added to the form (None, as 3);
    6. a new row counts against the phone number; the answer is the receipt, `receipt_url(row)`.
    """
    key = request.POST.get("idempotency_key", "")[:64]
    existing = stored(key) if key else None
    if existing is not None:
        return redirect(receipt_url(existing))
    if limits.ip_limited(request):
        return limited(request)
    if not form.is_valid():
        return None
    phone = form.cleaned_data[phone_field]
    if limits.phone_limited(request, phone):
        return limited(request)
    try:
        row, created = store(form.cleaned_data)
    except refused as error:
        form.add_error(None, str(error))
        return None
    if created:  # a replay of a stored key (e.g. a concurrent double submit) is free
        limits.count_phone(request, phone)
    return redirect(receipt_url(row))
