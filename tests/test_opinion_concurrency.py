"""Concurrency on PostgreSQL: real threads, real connections, real row locks.

- 50 identical submissions with one idempotency key at the same moment store one opinion,
  and every caller gets its receipt back.
- Two staff acting on the same opinion at the same moment: one wins, the other gets the
  conflict message — every time (repeated rounds).
"""

import threading

import pytest

from django.db import connection

from tests.conftest import role_user, station_user, street_user
from workflows import opinions
from workflows.intake import Submission, submit
from workflows.models import Category, Opinion

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and parallel connections: PostgreSQL"),
]


def run_together(count, work):
    """Start `count` threads that call work(i) at the same moment; return results or errors."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(i):
        from django.db import connections

        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as error:  # noqa: BLE001  (collected and asserted on)
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def submission(station, key):
    return Submission(
        station=station,
        category=Category.objects.get(name="交通出行"),
        title="东平巷夜间停车难",
        content="小区周边夜间停车位不足，希望增设临时停车位。",
        citizen_name="张三丰",
        citizen_phone="13812345678",
        idempotency_key=key,
    )


def test_fifty_identical_submissions_at_once_store_one_opinion(tree):
    station = tree["station"]
    results = run_together(50, lambda i: submit(submission(station, "double-submit-key"))[0].receipt_no)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    assert Opinion.objects.count() == 1
    assert set(results) == {Opinion.objects.get().receipt_no}


def test_two_staff_acting_at_once_give_one_success_and_one_conflict_every_time(two_streets, street):
    staff = station_user(two_streets["station"])
    secretary = street_user(street)
    role_user("bystander")
    for round_no in range(10):
        opinion, _ = submit(submission(two_streets["station"], f"round-{round_no}"))
        seen = opinion.version

        def attempt(i, pk=opinion.pk, seen=seen):
            if i == 0:
                return opinions.perform(pk, "accept", user=staff, expected_version=seen)
            return opinions.perform(pk, "reject", user=secretary, expected_version=seen, reason="不属受理范围")

        results = run_together(2, attempt)
        successes = [r for r in results if isinstance(r, Opinion)]
        conflicts = [r for r in results if isinstance(r, opinions.Conflict)]
        assert (len(successes), len(conflicts)) == (1, 1), results
        assert "刚被他人处理" in str(conflicts[0]) or "不能" in str(conflicts[0])
        stored = Opinion.objects.get(pk=opinion.pk)
        assert stored.state == successes[0].state
        assert stored.history.count() == 2  # the submission and exactly one transition
