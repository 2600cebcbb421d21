"""Writing audit events: the one function every feature calls."""

from __future__ import annotations

from simple_history.models import HistoricalRecords

from base.audit_actions import actions
from base.models import AuditEvent


def current_request():
    """The request being served, as django-simple-history's middleware keeps it."""
    return getattr(HistoricalRecords.context, "request", None)


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str, *, actor=None, request=None, obj=None, username: str = "", anonymous: bool = False, **detail
) -> AuditEvent:
    """Append one audit event. `action` must be registered (see `base.audit_actions`).

    `anonymous` records the event without the person or their address, even when a signed-in
    request is being served: a secret ballot's casting is logged, but not by whom."""
    if action not in actions:
        raise ValueError(f"Audit action {action!r} is not registered (register_audit_actions hook).")
    if anonymous:
        actor, request = None, None
    else:
        request = request if request is not None else current_request()
    if actor is None and request is not None and getattr(request, "user", None) and request.user.is_authenticated:
        actor = request.user
    return AuditEvent.objects.create(
        action=action,
        actor=actor if actor is not None and actor.pk else None,
        actor_username=(actor.get_username() if actor is not None else username)[:150],
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        ip_address=client_ip(request),
        detail=detail,
    )
