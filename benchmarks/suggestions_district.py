"""Bulk-made deputy suggestions for serve_bench.py's suggestions-report targets: a year of
filed suggestions, each assigned to one lead and three co-handling departments (5,000
suggestions make 20,000 assignments), most of them answered once or twice and rated, some
late, some overdue, some key. Bulk inserts: no history rows or audit records, so the year
is written in seconds. Call after django.setup().
"""

from __future__ import annotations

import datetime as dt
import random

PREFIX = "基准建议"
PARTS = 4  # departments per suggestion: one lead, three co-handlers
# (state, share): how a year of suggestions ends up by December.
STATES = [("closed", 0.55), ("replied", 0.12), ("reopened", 0.05), ("assigned", 0.28)]


def bench_suggestions(year: int) -> int:
    from suggestions.models import Suggestion

    return Suggestion.objects.filter(year=year, serial__isnull=False, title__startswith=PREFIX).count()


def departments(count: int) -> list:
    """At least `count` active departments (the demo's, topped up with 基准单位N)."""
    from workflows.models import Department

    have = list(Department.objects.filter(is_active=True).order_by("pk"))
    for n in range(len(have), count):
        have.append(Department.objects.create(name=f"基准单位{n:02d}"))
    return have


def add_suggestions(count: int, year: int, today: dt.date, seed: int = 1) -> None:
    """`count` filed suggestions of `year` (recess series, numbered after the year's last),
    with their assignments, replies and ratings."""
    from django.db.models import Max
    from django.utils import timezone

    from content.models import Deputy
    from suggestions.models import Suggestion, SuggestionAssignment, SuggestionReply
    from workflows.models import Category

    rng = random.Random(seed)
    deputies = list(Deputy.objects.filter(is_active=True).values_list("pk", flat=True)[:600])
    category_ids = list(Category.objects.values_list("pk", flat=True))
    pool = departments(30)
    first = (Suggestion.objects.filter(year=year, kind="recess").aggregate(last=Max("serial"))["last"] or 0) + 1
    states = [state for state, share in STATES for _ in range(round(share * 100))]
    assigned_at = timezone.make_aware(dt.datetime(year, 3, 1, 10))
    rows = []
    for n in range(count):
        state = states[n % len(states)]
        rows.append(
            Suggestion(
                year=year,
                kind="recess",
                serial=first + n,
                title=f"{PREFIX}{first + n:05d}",
                category_id=category_ids[n % len(category_ids)],
                problem="基准测试：问题和理由。",
                measures="基准测试：建议措施。",
                lead_id=deputies[n % len(deputies)],
                state=state,
                assigned_at=assigned_at,
                deadline=today + dt.timedelta(days=rng.randint(-60, 60)),
                is_key=n % 250 == 0,
            )
        )
    suggestions = Suggestion.objects.bulk_create(rows, batch_size=500)
    parts, replies = [], []
    for suggestion in suggestions:
        for role, department in zip(["lead", "co", "co", "co"], rng.sample(pool, PARTS), strict=True):
            parts.append(SuggestionAssignment(suggestion=suggestion, department=department, role=role, state="signed"))
        lead = parts[-PARTS].department
        answers = {"assigned": 0, "replied": 1, "reopened": 1, "closed": rng.choice([1, 1, 1, 2])}[suggestion.state]
        for number in range(1, answers + 1):
            last = number == answers
            rating = "" if suggestion.state == "replied" and last else rng.choice(["satisfied", "basically"])
            if suggestion.state == "reopened" or not last:
                rating = "unsatisfied"
            replies.append(
                SuggestionReply(
                    suggestion=suggestion,
                    number=number,
                    department=lead,
                    category=rng.choice("AABC"),
                    text="基准测试答复。",
                    contact_method="phone",
                    contacted_on=today,
                    due_on=today + dt.timedelta(days=rng.randint(-5, 30)),
                    rating=rating,
                )
            )
    SuggestionAssignment.objects.bulk_create(parts, batch_size=1000)
    SuggestionReply.objects.bulk_create(replies, batch_size=1000)
