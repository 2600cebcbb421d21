"""The year-end report of deputy suggestions (代表建议办理情况年度统计): per lead department and
for the whole district, every figure with its numerator and denominator.

Definitions (the README repeats them for the people who read the report):

- 立案 filed: suggestions numbered in the year (the year's two series, 大会期间 and 闭会期间,
  批评和意见 included). A department's row counts those it leads (主办) now; 协办 is counted
  beside it. A department released (已调整出) from a suggestion no longer counts it.
- 按期答复 replied on time: of the assigned suggestions that are due (their deadline has passed)
  or already answered, those whose first reply came by the deadline it answered.
- 逾期未答复 overdue: of the assigned suggestions, those awaiting a reply (已交办 or 重新办理)
  whose deadline has passed.
- A / B / C: of the answered suggestions, the category of the latest reply.
- 满意 satisfaction: of the suggestions whose deputy has rated a reply, those whose latest
  rating is 满意 or 基本满意.
- 重新办理 reopened: of the same rated suggestions, those the deputy rated 不满意 at least once.

The figures come from five queries however many suggestions the year holds (the co-handled
counts grouped by the database); the rest is counted here, in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, OuterRef, Q, Subquery
from django.utils import timezone

from base.roles import roles_of
from suggestions.models import (
    AssignmentRole,
    AssignmentState,
    Suggestion,
    SuggestionAssignment,
    SuggestionReply,
    SuggestionState,
)
from workflows.models import Department, Rating

AWAITING_REPLY = {SuggestionState.ASSIGNED, SuggestionState.REOPENED}
SATISFIED = {Rating.SATISFIED, Rating.BASICALLY}
OVERALL = "全区合计"


@dataclass
class Share:
    """`count` of `of`, shown as 3/4（75.0%）."""

    count: int = 0
    of: int = 0

    @property
    def percent(self) -> float | None:
        return round(100 * self.count / self.of, 1) if self.of else None

    def add(self, counted: bool) -> None:
        self.of += 1
        self.count += counted

    def __str__(self):
        return f"{self.count}/{self.of}（{self.percent}%）" if self.of else "0/0（—）"


@dataclass
class ReportRow:
    """One line of the report: a lead department's, or the district's (department None)."""

    name: str
    department_id: int | None = None
    filed: int = 0
    co_handled: int = 0
    on_time: Share = field(default_factory=Share)
    overdue: Share = field(default_factory=Share)
    category_a: Share = field(default_factory=Share)
    category_b: Share = field(default_factory=Share)
    category_c: Share = field(default_factory=Share)
    satisfied: Share = field(default_factory=Share)
    reopened: Share = field(default_factory=Share)

    @property
    def is_overall(self) -> bool:
        return self.department_id is None


@dataclass
class Facts:
    """What the report needs to know of one suggestion."""

    state: str
    deadline: object
    assigned: bool
    replies: list = field(default_factory=list)  # (number, category, rating, came by its deadline)

    def count_into(self, row: ReportRow, today) -> None:
        row.filed += 1
        if not self.assigned:
            return
        replies = sorted(self.replies)
        row.overdue.add(self.state in AWAITING_REPLY and self.deadline is not None and self.deadline < today)
        if replies or (self.deadline is not None and self.deadline < today):
            first = replies[0] if replies else None
            row.on_time.add(first is not None and first[3])
        if replies:
            category = replies[-1][1]
            row.category_a.add(category == "A")
            row.category_b.add(category == "B")
            row.category_c.add(category == "C")
        ratings = [reply[2] for reply in replies if reply[2]]
        if ratings:
            row.satisfied.add(ratings[-1] in SATISFIED)
            row.reopened.add(Rating.UNSATISFIED in ratings)


# --- The same definitions as conditions on suggestions (the listing's filters behind the
# dashboard's figures: each selects exactly the suggestions a figure of the report counts) ---


def filed_q() -> Q:
    """立案: numbered (the year is the suggestion's own `year`)."""
    return Q(serial__isnull=False)


def led_by_q(department_id) -> Q:
    """Led (主办) now by the department: its lead assignment is not released."""
    leads = SuggestionAssignment.objects.filter(suggestion=OuterRef("pk"), role=AssignmentRole.LEAD)
    return Q(Exists(leads.exclude(state=AssignmentState.RELEASED).filter(department_id=department_id)))


def replied_q() -> Q:
    """Answered: assigned, with a reply (the base of A / B / C)."""
    return Q(assigned_at__isnull=False) & Q(Exists(SuggestionReply.objects.filter(suggestion=OuterRef("pk"))))


def latest_category():
    """The category of the latest reply (a subquery)."""
    replies = SuggestionReply.objects.filter(suggestion=OuterRef("pk")).order_by("-number")
    return Subquery(replies.values("category")[:1])


def latest_rating():
    """The deputy's latest rating of a reply (a subquery; empty: never rated)."""
    rated = SuggestionReply.objects.filter(suggestion=OuterRef("pk")).exclude(rating="").order_by("-number")
    return Subquery(rated.values("rating")[:1])


def overdue_q(today=None) -> Q:
    """逾期未答复: assigned, awaiting a reply past its deadline."""
    today = today or timezone.localdate()
    return Q(assigned_at__isnull=False, state__in=AWAITING_REPLY, deadline__lt=today)


def report_years() -> list[int]:
    """Years with filed suggestions, newest first, and this year."""
    years = set(Suggestion.objects.filter(serial__isnull=False).values_list("year", flat=True).distinct())
    years.add(timezone.localdate().year)
    return sorted(years, reverse=True)


def may_see_report(user) -> bool:
    roles = roles_of(user)
    return roles.is_district_admin or roles.is_auditor or Department.objects.handled_by(roles).exists()


def visible_department_ids(user) -> set[int] | None:
    """None: every department's line (the liaison office, the auditor); else the person's own."""
    roles = roles_of(user)
    if roles.is_district_admin or roles.is_auditor:
        return None
    return set(Department.objects.handled_by(roles).values_list("pk", flat=True))


def yearly_report(year: int, *, today=None) -> list[ReportRow]:
    """The district's line first, then each department that leads a suggestion of the year."""
    today = today or timezone.localdate()
    filed = Suggestion.objects.filter(year=year, serial__isnull=False)
    # Truth values worked out by the database: no timestamps to parse and convert row by row.
    assigned = ExpressionWrapper(Q(assigned_at__isnull=False), output_field=BooleanField())
    facts = {
        pk: Facts(state, deadline, is_assigned)
        for pk, state, deadline, is_assigned in filed.values_list("pk", "state", "deadline", assigned)
    }
    # The reply's day in the district's time zone (the __date lookup converts), against its deadline.
    in_time = ExpressionWrapper(Q(due_on__isnull=True) | Q(replied_at__date__lte=F("due_on")), BooleanField())
    replies = SuggestionReply.objects.filter(suggestion__in=filed)
    for suggestion_id, *reply in replies.values_list("suggestion_id", "number", "category", "rating", in_time):
        facts[suggestion_id].replies.append(tuple(reply))

    active = SuggestionAssignment.objects.filter(suggestion__in=filed).exclude(state=AssignmentState.RELEASED)
    lead_of = dict(active.filter(role=AssignmentRole.LEAD).values_list("suggestion_id", "department_id"))
    co_handled = dict(
        active.filter(role=AssignmentRole.CO)
        .values("department_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("department_id", "n")
    )

    departments = dict(Department.objects.filter(pk__in={*lead_of.values(), *co_handled}).values_list("pk", "name"))
    overall = ReportRow(OVERALL)
    rows = {pk: ReportRow(name, pk, co_handled=co_handled.get(pk, 0)) for pk, name in departments.items()}
    for suggestion_id, suggestion in facts.items():
        suggestion.count_into(overall, today)
        if suggestion_id in lead_of:
            suggestion.count_into(rows[lead_of[suggestion_id]], today)
    overall.co_handled = sum(co_handled.values())
    return [overall, *sorted(rows.values(), key=lambda row: (-row.filed, row.name))]


def scope_report(rows: list[ReportRow], user) -> list[ReportRow]:
    visible = visible_department_ids(user)
    if visible is None:
        return rows
    return [row for row in rows if row.is_overall or row.department_id in visible]
