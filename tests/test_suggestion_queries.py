"""代表建议 listings cost a fixed number of SQL queries, however many rows they show.

Each page is measured with one suggestion (brought through the process), then again after
twenty-four more rows, made directly with the ORM to look like real ones: several leads and
kinds, co-signers in every state, lead and co-handling departments in several states (one
released), replies with ratings, key suggestions (重点督办) with their group and records, and
rounds of pre-review. Any lookup made once per row would show up as a difference.
Each page is rendered once before measuring (warm-up), then measured in its steady state."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from base.roles import Role, department_group_name, role_group_name
from suggestions.assignment import ASSIGNMENTS
from suggestions.drafting import SUGGESTIONS
from suggestions.models import (
    CoSigner,
    ReviewRound,
    Suggestion,
    SuggestionAssignment,
    SuggestionReply,
    SuggestionState,
    SupervisionRecord,
)
from tests.conftest import make_deputy, role_user
from tests.test_suggestion_drafting import TODAY, SuggestionDriver
from tests.test_suggestion_drafting import world as world  # noqa: F401 - the shared fixture
from workflows.models import Department

pytestmark = pytest.mark.django_db
S = SuggestionState
MANY = 24  # added to the one brought through the process: 25 rows in all

# The states the crowd cycles through, with what each has: (state, filed, assigned, replied).
STATES = [
    (S.ASSIGNED, True, True, False),
    (S.REPLIED, True, True, True),
    (S.REOPENED, True, True, True),
    (S.CLOSED, True, True, True),
    (S.FILED, True, False, False),
    (S.REVIEW, False, False, False),
    (S.RETURNED, False, False, False),
    (S.DRAFT, False, False, False),
]
LEAD_STATES = ["assigned", "signed", "adjust"]
COSIGN_STATES = ["invited", "confirmed", "declined"]
RATINGS = ["satisfied", "unsatisfied", "basically", ""]


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10)))


def measure(client, user, url) -> tuple[int, str]:
    """(queries, page) of a steady-state GET of `url` as `user`, after one warm-up render."""
    client.force_login(user)
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def shown(page: str, prefix: str) -> int:
    """How many distinct rows of `prefix` (an inspect URL) the page links to."""
    return len(set(re.findall(rf"{re.escape(prefix)}(\d+)/", page)))


def crowd(world, n=MANY, *, serial_from=100):
    """`n` suggestions as the loop would leave them, in every state, with all that hangs off them."""
    leads = [world["d_王芳"], world["d_王芳"], world["d_赵敏"]]
    L, M, N = world["lead_department"], world["co_department"], world["third_department"]
    rows = []
    for i in range(n):
        state, filed, assigned, replied = STATES[i % len(STATES)]
        lead = leads[i % len(leads)]
        row = Suggestion.objects.create(
            year=2026,
            kind="session" if i % 2 else "recess",
            type="criticism" if i % 5 == 4 else "suggestion",
            serial=serial_from + i if filed else None,
            title=f"关于第{i}个路口改造的建议",
            category=world["category"],
            problem="问题和理由",
            measures="建议措施",
            lead=lead,
            state=state,
            submitted_at=at(dt.date(2026, 3, 1)) if state != S.DRAFT else None,
            filed_at=at(dt.date(2026, 3, 5)) if filed else None,
            assigned_at=at(dt.date(2026, 3, 10)) if assigned else None,
            deadline=dt.date(2026, 6, 10) if assigned else None,
            is_key=assigned and i % 3 == 0,
            key_leader="区人大常委会副主任张明" if assigned and i % 3 == 0 else "",
        )
        # Co-signers: 李强 on every one, in each state; the lead's colleague too.
        CoSigner.objects.create(suggestion=row, deputy=world["d_李强"], state=COSIGN_STATES[i % 3])
        other = world["d_赵敏"] if lead == world["d_王芳"] else world["d_王芳"]
        CoSigner.objects.create(suggestion=row, deputy=other, state="confirmed", confirmed_at=at(dt.date(2026, 2, 1)))
        if state != S.DRAFT:
            ReviewRound.objects.create(
                suggestion=row,
                number=1,
                title=row.title,
                problem=row.problem,
                measures=row.measures,
                decision="accepted" if filed else ("returned" if state == S.RETURNED else ""),
                decided_by=world["office"] if filed or state == S.RETURNED else None,
                decided_at=at(dt.date(2026, 3, 5)) if filed or state == S.RETURNED else None,
            )
        if assigned:
            if i % 4 == 0:  # a department first named lead, released (调整出)
                SuggestionAssignment.objects.create(
                    suggestion=row, department=N, role="lead", state="released", reason="不属于本单位职责"
                )
            SuggestionAssignment.objects.create(
                suggestion=row, department=L, role="lead", state=LEAD_STATES[i % 3] if not replied else "signed"
            )
            SuggestionAssignment.objects.create(
                suggestion=row,
                department=M,
                role="co",
                state="opined" if replied else "assigned",
                opinion="同意主办单位意见。" if replied else "",
            )
        if replied:
            for number in range(1, 3 if state in (S.REOPENED, S.CLOSED) else 2):
                SuggestionReply.objects.create(
                    suggestion=row,
                    number=number,
                    department=L,
                    category="ABC"[(i + number) % 3],
                    text="已将行人绿灯延长至30秒。",
                    contact_method="phone",
                    contacted_on=dt.date(2026, 5, 1),
                    due_on=dt.date(2026, 6, 10),
                    replied_by=world["lead_handler"],
                    rating=RATINGS[(i + number) % 4] if state != S.REPLIED else "",
                )
        if row.is_key:
            row.key_group.set([world["d_赵敏"], world["d_李强"]])
            SupervisionRecord.objects.create(
                suggestion=row, kind="inspection", date=dt.date(2026, 5, 2), findings="现场察看。"
            )
        rows.append(row)
    return rows


def one_then_many(client, user, url, world, *, state=S.ASSIGNED):
    """The queries of `url` with one suggestion, and with 25."""
    SuggestionDriver(world).bring(state)
    few, _page = measure(client, user, url)
    crowd(world)
    many, page = measure(client, user, url)
    return few, many, page


# --- 建议预审与交办 (the liaison office's listing) ---------------------------------------------


def test_the_office_listing_costs_the_same_for_one_suggestion_or_25(client, world):
    url = reverse("suggestions:index")
    few, many, page = one_then_many(client, world["office"], url, world)
    # Twenty to a page: the first page of 25 shows 20 rows (and the pager), one page of 1 shows one;
    # the pager's count query is made either way.
    assert shown(page, "/admin/suggestions/inspect/") == 20
    assert many == few, f"{few} queries for one suggestion, {many} for 25"


def test_the_office_listing_filtered_by_state_costs_the_same(client, world):
    url = reverse("suggestions:index") + "?state=assigned"
    few, many, page = one_then_many(client, world["office"], url, world)
    assert shown(page, "/admin/suggestions/inspect/") == 1 + sum(
        1 for i in range(MANY) if STATES[i % len(STATES)][0] == S.ASSIGNED
    )
    assert many == few, f"{few} queries for one suggestion, {many} for 25"


def test_the_second_page_of_the_office_listing_costs_the_same_as_the_first(client, world):
    SuggestionDriver(world).bring(S.ASSIGNED)
    crowd(world)
    first, _ = measure(client, world["office"], reverse("suggestions:index"))
    second, page = measure(client, world["office"], reverse("suggestions:index") + "?p=2")
    assert shown(page, "/admin/suggestions/inspect/") == 5
    assert first == second


# --- 承办与签收 (the departments' listing) ---------------------------------------------------


@pytest.mark.parametrize("who", ["lead_handler", "office"])
def test_the_assignment_listing_costs_the_same_for_one_row_or_many(client, world, who):
    url = reverse("suggestion_assignments:index")
    few, many, page = one_then_many(client, world[who], url, world)
    # The handler sees their department's 13 (the lead of 12 in the crowd and of the first); the
    # office sees the first page of all 29 (13 leads, 13 co-handlers, 3 released).
    assert shown(page, "/admin/suggestion_assignments/inspect/") == {"lead_handler": 13, "office": 20}[who]
    assert many == few, f"{few} queries for one suggestion, {many} for 25"


# --- The admin home's to-do panels ---------------------------------------------------------------


@pytest.mark.parametrize("who", ["lead_handler", "office"])
def test_the_admin_home_costs_the_same_for_one_suggestion_or_many(client, world, who):
    # A few suggestions with work waiting for each person, so that both to-do panels
    # (代表建议 and 建议承办) are shown with a few rows as with many.
    driver, office = SuggestionDriver(world), world["office"]
    driver.bring(S.REVIEW)  # 待预审 for the office
    driver.bring(S.FILED)  # 待交办 for the office
    driver.bring(S.ASSIGNED)  # 待答复 for the lead department
    assigned = SUGGESTIONS.perform(driver.bring(S.FILED), "assign", user=office, **driver.assign_data())
    # 待签收 for the lead department; the co-handler asks to be taken off: 待决定的调整申请 for the office
    co_handler = role_user(
        "cg-handler", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(world["co_department"])
    )
    co = assigned.assignments.get(role="co")
    ASSIGNMENTS.perform(co, "request_adjust", user=co_handler, note="不属于本单位职责。")
    few, page = measure(client, world[who], reverse("wagtailadmin_home"))
    assert "我的待办 · 代表建议" in page and "我的待办 · 建议承办" in page
    crowd(world)
    many, page = measure(client, world[who], reverse("wagtailadmin_home"))
    assert "我的待办 · 代表建议" in page and "我的待办 · 建议承办" in page
    assert many == few, f"{few} queries with a few suggestions, {many} with many"


# --- 代表e站: the deputy's own list ---------------------------------------------------------------


@pytest.mark.parametrize("who", ["王芳", "李强"])
def test_the_portal_list_costs_the_same_for_one_suggestion_or_many(client, world, who):
    url = reverse("suggestion_portal:index")
    few, many, page = one_then_many(client, world[who], url, world)
    if who == "王芳":
        assert shown(page, "/e/suggestions/") >= 17  # her own, and those she co-signs
    else:
        assert "请我附议" in page and "我附议的建议" in page
    assert many == few, f"{few} queries for one suggestion, {many} for 25"


# --- One suggestion's detail, with one of each or many of each -----------------------------------


def load_up(world, suggestion, n=8):
    """Give `suggestion` many co-signers, departments, replies, records, group members and rounds."""
    deputies = [make_deputy(f"附议代表{i}") for i in range(n)]
    for i, deputy in enumerate(deputies):
        CoSigner.objects.create(suggestion=suggestion, deputy=deputy, state=COSIGN_STATES[i % 3])
    suggestion.key_group.add(*deputies)
    for i in range(n):
        department = Department.objects.create(name=f"区协办单位{i}")
        SuggestionAssignment.objects.create(
            suggestion=suggestion, department=department, role="co", state=["assigned", "signed", "opined"][i % 3]
        )
        SupervisionRecord.objects.create(
            suggestion=suggestion, kind="meeting", date=TODAY - dt.timedelta(days=i + 1), findings=f"第{i}次督办会。"
        )
    numbers = suggestion.replies.count()
    for number in range(numbers + 1, numbers + n + 1):
        SuggestionReply.objects.create(
            suggestion=suggestion,
            number=number,
            department=world["lead_department"],
            category="B",
            text="正在办理。",
            contact_method="meeting",
            contacted_on=TODAY,
            promised_on=TODAY + dt.timedelta(days=30),
            replied_by=world["lead_handler"],
            rating="unsatisfied",
        )
    rounds = suggestion.rounds.count()
    for number in range(rounds + 1, rounds + n + 1):
        ReviewRound.objects.create(
            suggestion=suggestion,
            number=number,
            title=suggestion.title,
            problem=f"{suggestion.problem}（第{number}稿）",
            measures=suggestion.measures,
            decision="returned",
            comment="请补充。",
            decided_by=world["office"],
            decided_at=at(TODAY),
        )


def key_suggestion(world):
    """A replied key suggestion: one co-signer, one lead and one co-handler, one reply, a group of
    one and one supervision record."""
    suggestion = SuggestionDriver(world).bring(S.REPLIED)
    office = world["office"]
    suggestion = SUGGESTIONS.perform(
        suggestion, "mark_key", user=office, leader="区人大常委会副主任张明", group=[world["d_赵敏"]]
    )
    return SUGGESTIONS.perform(
        suggestion, "record_supervision", user=office, kind="inspection", date=TODAY, findings="现场察看路口。"
    )


def test_the_detail_page_costs_the_same_with_one_of_each_or_many(client, world):
    suggestion = key_suggestion(world)
    url = reverse("suggestions:inspect", args=[suggestion.pk])
    few, _ = measure(client, world["office"], url)
    load_up(world, suggestion)
    many, page = measure(client, world["office"], url)
    assert "附议代表7" in page and "区协办单位7" in page and "第7次督办会" in page
    assert many == few, f"{few} queries with one of each, {many} with many"


def test_the_portal_detail_costs_the_same_with_one_of_each_or_many(client, world):
    suggestion = key_suggestion(world)
    url = reverse("suggestion_portal:detail", args=[suggestion.pk])
    few, _ = measure(client, world["王芳"], url)
    load_up(world, suggestion)
    many, page = measure(client, world["王芳"], url)
    assert "附议代表7" in page and "区协办单位7" in page
    assert many == few, f"{few} queries with one of each, {many} with many"
