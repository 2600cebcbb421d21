"""POST requests: an opinion from another system, taken in exactly as the public form takes
one in (`workflows.limits.take_in` with the public `OpinionForm` and `intake.submit`).

The two limits are the form's, with one difference: the attempts are counted per API key
(a hotline forwards every caller's opinion from one address, so the address says nothing
about who floods), against `LIANLUO_OPEN311_KEY_RATE`; the stored opinions per phone number
share the public form's counter and rate (`LIANLUO_OPINION_RATE_PHONE`), so a phone number
has one quota whichever way its opinions arrive.

Open311's fields map onto the form: `service_code` → category, `attribute[station]` →
station, `attribute[title]` → title (default: the start of the description), `description`
→ content, `last_name` + `first_name` → name (surname first), `phone` → phone,
`attribute[publish_consent]` → consent. `idempotency_key` (an extension) makes a retry give
back the first receipt; without it, the same text for the same phone, station and category
sent with the same key on the same day is taken as a retry. Location fields, e-mail,
device and account ids and `media_url` are accepted and not stored: the station is the
place, and no remote file is fetched.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from django_ratelimit.core import is_ratelimited

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from workflows.intake import IntakeError, Submission, submit
from workflows.limits import TOO_MANY_SUBMISSIONS, SubmissionLimits, take_in
from workflows.models import Channel, Opinion
from workflows.public_views import OpinionForm

ATTRIBUTE = re.compile(r"^attribute\[(\w+)\]$")
TRUE_WORDS = {"true", "1", "yes", "on", "是", "同意"}
TITLE_FROM_DESCRIPTION = 30
# Which Open311 parameter each form field comes from, to name it in an error.
PARAMETERS = {
    "station": "attribute[station]",
    "category": "service_code",
    "title": "attribute[title]",
    "content": "description",
    "citizen_name": "last_name / first_name",
    "citizen_phone": "phone",
    "publish_consent": "attribute[publish_consent]",
    "idempotency_key": "idempotency_key",
}


@dataclass(frozen=True)
class ApiKeyLimits(SubmissionLimits):
    """The form's limits, with the attempts counted per API key instead of per address."""

    def ip_limited(self, request) -> bool:
        return is_ratelimited(
            request,
            group=f"{self.group}-key",
            key=lambda group, req: f"key{req.open311_key_id}",
            rate=getattr(settings, self.ip_setting, self.ip_default),
            increment=True,
        )


# Group "opinion-submit": the phone counter ("opinion-submit-phone") is the public form's.
OPEN311_LIMITS = ApiKeyLimits(
    "opinion-submit", "LIANLUO_OPEN311_KEY_RATE", "600/h", "LIANLUO_OPINION_RATE_PHONE", "5/d"
)


class _FormRequest:
    """The request as `take_in` reads it: the Open311 fields as the form's POST data."""

    def __init__(self, request, post: QueryDict, key_id: int):
        self._request = request
        self.POST = post
        self.FILES = QueryDict()
        self.open311_key_id = key_id
        # take_in draws its 429 page (not sent: the view answers Open311's error) for a visitor.
        self.user = AnonymousUser()

    def __getattr__(self, name):
        return getattr(self._request, name)


@dataclass
class Outcome:
    opinion: Opinion | None = None
    created: bool = False
    limited: bool = False
    errors: list[str] | None = None


def text(data, name: str) -> str:
    value = data.get(name)
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def attributes(data) -> dict[str, str]:
    """attribute[code]=value pairs (form, or flat JSON) and a nested {"attribute": {...}}
    (JSON, XML)."""
    found = {}
    nested = data.get("attribute")
    if isinstance(nested, dict):
        found.update({str(code): "" if value is None else str(value).strip() for code, value in nested.items()})
    for name in data.keys():
        match = ATTRIBUTE.match(str(name))
        if match:
            found[match.group(1)] = text(data, name)
    return found


def idempotency_key(key_id: int, data, fields: dict) -> str:
    given = text(data, "idempotency_key")[:64]
    if not given:
        given = "|".join(
            [
                timezone.localdate().isoformat(),
                fields["category"],
                fields["station"],
                fields["citizen_phone"],
                fields["content"],
            ]
        )
    # Namespaced by key: one client can neither collide with nor look up another's keys.
    return "o311-" + hashlib.sha256(f"{key_id}:{given}".encode()).hexdigest()[:48]


def form_data(key_id: int, data, service_code: str) -> QueryDict:
    attrs = attributes(data)
    description = text(data, "description")
    title = attrs.get("title", "")
    if not title and description:
        flat = " ".join(description.split())
        title = flat if len(flat) <= TITLE_FROM_DESCRIPTION else flat[:TITLE_FROM_DESCRIPTION] + "…"
    fields = {
        "station": attrs.get("station", ""),
        "category": service_code,
        "title": title,
        "content": description,
        "citizen_name": (text(data, "last_name") + text(data, "first_name")).strip(),
        "citizen_phone": text(data, "phone"),
    }
    if attrs.get("publish_consent", "").lower() in TRUE_WORDS:
        fields["publish_consent"] = "on"
    fields["idempotency_key"] = idempotency_key(key_id, data, fields)
    post = QueryDict(mutable=True)
    post.update(fields)
    return post


def form_errors(form: OpinionForm) -> list[str]:
    messages = []
    for field, errors in form.errors.items():
        parameter = PARAMETERS.get(field)
        for error in errors:
            messages.append(f"{error}（{parameter}）" if parameter else str(error))
    return messages or ["请求内容有误。"]


def take_in_request(request, data, key, service_code: str) -> Outcome:
    """Store the opinion, or say why not; the steps and their order are take_in's."""
    post = form_data(key.pk, data, service_code)
    form = OpinionForm(post, QueryDict())
    outcome = Outcome()

    def stored(idempotency):
        opinion = Opinion.objects.filter(idempotency_key=idempotency).first()
        if opinion is not None:
            outcome.opinion, outcome.created = opinion, False
        return opinion

    def store(cleaned):
        opinion, created = submit(Submission.from_cleaned_data(cleaned, channel=Channel.OPEN_API))
        outcome.opinion, outcome.created = opinion, created
        return opinion, created

    response = take_in(
        _FormRequest(request, post, key.pk),
        form,
        limits=OPEN311_LIMITS,
        phone_field="citizen_phone",
        stored=stored,
        store=store,
        refused=IntakeError,
        receipt_url=lambda opinion: reverse("api:open311_request", args=[opinion.receipt_no, "json"]),
    )
    if response is None:
        outcome.opinion = None
        outcome.errors = form_errors(form)
    elif response.status_code == 429:
        outcome.limited = True
    return outcome


def service_notice(opinion: Opinion) -> str:
    return (
        f"意见已收到，回执编号 {opinion.receipt_no}。"
        "群众可凭回执编号和手机号后四位在网站上查询办理进度；办理状态也可通过本接口按回执编号查询。"
    )


__all__ = ["OPEN311_LIMITS", "TOO_MANY_SUBMISSIONS", "Outcome", "service_notice", "take_in_request"]
