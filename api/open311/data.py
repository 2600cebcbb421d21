"""What Open311 shows of the platform: categories as services, opinions as service requests.

Nothing personal and nothing unpublished leaves here: a request carries its receipt number,
category, state (open/closed, with the Chinese state in `status_notes`), department,
deadline and station, never the citizen's name, phone, title or text. Its `description` is
the public summary, given only once the result is published (晾晒, `Publication.APPROVED`).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from content.models import StationLevel, StationPage
from workflows.models import Category, Opinion, OpinionState, Outcome, Publication

DEFAULT_JURISDICTION = "lianluo"
DEFAULT_MAX_REQUESTS = 1000
MAX_SPAN = dt.timedelta(days=90)  # Open311: a date range "may not span more than 90 days"
CLOSED_STATES = (OpinionState.CLOSED, OpinionState.REJECTED, OpinionState.DUPLICATE)
SERVICE_GROUP = "群众意见"


def jurisdiction() -> str:
    return getattr(settings, "LIANLUO_OPEN311_JURISDICTION", DEFAULT_JURISDICTION)


def max_requests() -> int:
    return int(getattr(settings, "LIANLUO_OPEN311_MAX_REQUESTS", DEFAULT_MAX_REQUESTS))


def w3c(value, tz=None) -> str | None:
    """A date-time as Open311 writes it (W3C / ISO 8601 with the offset), local time."""
    if value is None:
        return None
    return value.astimezone(tz or timezone.get_current_timezone()).isoformat(timespec="seconds")


def end_of(day: dt.date | None, tz=None) -> str | None:
    """The end of a deadline's day, local time."""
    if day is None:
        return None
    tz = tz or timezone.get_current_timezone()
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=tz).isoformat(timespec="seconds")


# --- Services --------------------------------------------------------------------------------


def service(category: Category) -> dict:
    return {
        "service_code": str(category.pk),
        "service_name": category.name,
        "description": f"关于“{category.name}”的群众意见，交办后 {category.deadline_workdays} 个工作日内答复。",
        "metadata": True,  # which station it is for: see the definition
        "type": "realtime",
        "keywords": category.name,
        "group": SERVICE_GROUP,
    }


def services() -> list[dict]:
    return [service(category) for category in Category.objects.order_by("sort_order", "name")]


def stations():
    """The stations an opinion may be sent to: the public form's list."""
    return (
        StationPage.objects.live()
        .exclude(level=StationLevel.GENERAL)
        .select_related("street")
        .only("pk", "title", "path", "street__name", "street__sort_order")
        .order_by("street__sort_order", "street__name", "path")
    )


def definition(category: Category) -> dict:
    """The service definition: the attributes a POST fills in besides Open311's own fields."""
    station_values = [
        {"key": str(page.pk), "name": f"{page.street.name} · {page.title}" if page.street else page.title}
        for page in stations()
    ]
    return {
        "service_code": str(category.pk),
        "attributes": [
            {
                "variable": True,
                "code": "station",
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": "站点编号（见下列可选值）。",
                "order": 1,
                "description": "提交到哪个站点",
                "values": station_values,
            },
            {
                "variable": True,
                "code": "title",
                "datatype": "string",
                "required": False,
                "datatype_description": "不超过 60 字；不填时取意见内容的开头。",
                "order": 2,
                "description": "标题",
            },
            {
                "variable": True,
                "code": "publish_consent",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "true 或 false，默认 false。",
                "order": 3,
                "description": "同意公开答复（不公开姓名和电话）",
                "values": [{"key": "true", "name": "同意"}, {"key": "false", "name": "不同意"}],
            },
        ],
    }


# --- Service requests --------------------------------------------------------------------------


REQUEST_FIELDS = (
    "receipt_no",
    "state",
    "outcome",
    "publication",
    "public_summary",
    "created_at",
    "updated_at",
    "deadline",
    "category_id",
    "category__name",
    "department__name",
    "origin_station_id",
    "origin_station__title",
    "origin_station__latitude",
    "origin_station__longitude",
)
STATE_LABELS = dict(OpinionState.choices)
OUTCOME_LABELS = dict(Outcome.choices)


def requests_queryset():
    """Opinions as the rows a request shows, in one query: plain values, no model instances
    (a station page is a heavy object, a thousand of them the bulk of the time), and no
    personal column is ever read."""
    return Opinion.objects.values(*REQUEST_FIELDS)


def status_notes(row: dict) -> str:
    label = STATE_LABELS.get(row["state"], row["state"])
    if row["outcome"]:
        return f"{label}（{OUTCOME_LABELS.get(row['outcome'], row['outcome'])}）"
    return label


def coordinate(value) -> float | None:
    return float(value) if value is not None else None


def service_request(row: dict, tz=None) -> dict:
    """One opinion as Open311's service request."""
    tz = tz or timezone.get_current_timezone()
    request = {
        "service_request_id": row["receipt_no"],
        "status": "closed" if row["state"] in CLOSED_STATES else "open",
        "status_notes": status_notes(row),
        "service_name": row["category__name"],
        "service_code": str(row["category_id"]),
    }
    if row["publication"] == Publication.APPROVED and row["public_summary"]:
        request["description"] = row["public_summary"]
    request.update(
        {
            "agency_responsible": row["department__name"],
            "service_notice": None,
            "requested_datetime": w3c(row["created_at"], tz),
            "updated_datetime": w3c(row["updated_at"], tz),
            "expected_datetime": end_of(row["deadline"], tz),
            "address": row["origin_station__title"],
            "address_id": str(row["origin_station_id"]),
            "zipcode": None,
            "lat": coordinate(row["origin_station__latitude"]),
            "long": coordinate(row["origin_station__longitude"]),
            "media_url": None,
        }
    )
    return request
