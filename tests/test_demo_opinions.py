"""Demo opinions: through the real loop when few, bulk-inserted when many."""

import pytest

from base.models import AuditEvent
from workflows import demo
from workflows.models import Department, Opinion, OpinionReply

pytestmark = pytest.mark.django_db


def test_a_few_demo_opinions_go_through_the_real_loop(tree):
    made = demo.build_opinions(40, seed=7, progress=lambda message: None)
    assert made == 40 == Opinion.objects.count()
    states = set(Opinion.objects.values_list("state", flat=True))
    assert {"signed", "closed"} <= states
    closed = Opinion.objects.filter(state="closed").first()
    assert closed.history.count() >= 6  # submitted, accepted, assigned, signed, replied, evaluated, closed
    assert AuditEvent.objects.filter(object_id=str(closed.pk), action="opinion_transition").count() >= 6
    assert Department.objects.count() == len(demo.DEPARTMENTS)
    assert not Opinion.objects.filter(citizen_phone__regex=r"^(?!1[3-9]\d{9}$)").exists()


def test_many_demo_opinions_are_bulk_inserted_with_spread_dates(tree, monkeypatch):
    monkeypatch.setattr(demo, "REAL_PATH_MAX", 5)
    made = demo.build_opinions(120, seed=7, progress=lambda message: None)
    assert made == 120 == Opinion.objects.count()
    dates = set(Opinion.objects.values_list("created_at__date", flat=True))
    assert len(dates) > 30
    # One reply per round answered: the earlier rounds (rated 不满意) and the current one if replied.
    rounds = sum(o.round - 1 + (o.replied_at is not None) for o in Opinion.objects.all())
    assert OpinionReply.objects.count() == rounds > 0
