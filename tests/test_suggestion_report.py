"""The year-end report of deputy suggestions: its arithmetic on a fixed data set (every figure
with its numerator and denominator, per lead department and for the district), who may read
it, any earlier year, the Excel export, and a query count that does not grow with the year."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from base.audit_actions import PersonalDataAction
from base.models import AuditEvent
from base.roles import Role, role_group_name
from suggestions.models import Suggestion, SuggestionAssignment, SuggestionReply, SuggestionState
from suggestions.statistics import OVERALL, yearly_report
from tests.conftest import role_user
from tests.test_suggestion_drafting import TODAY
from tests.test_suggestion_drafting import world as world  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.django_db
S = SuggestionState
URL = reverse("suggestion_year_report")


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10)))


def suggestion(people, serial, state, *, year=2026, deadline=None, lead=None, co=(), released_lead=None, replies=()):
    """A filed suggestion as the loop would leave it; `replies` are (replied on, due on,
    category, rating) in order."""
    row = Suggestion.objects.create(
        year=year,
        kind="recess",
        serial=serial,
        title=f"第{serial}号建议",
        category=people["category"],
        problem="问题",
        measures="措施",
        lead=people["d_王芳"],
        state=state,
        deadline=deadline,
        assigned_at=at(dt.date(year, 3, 1)) if lead else None,
    )
    if released_lead:
        SuggestionAssignment.objects.create(suggestion=row, department=released_lead, role="lead", state="released")
    if lead:
        SuggestionAssignment.objects.create(suggestion=row, department=lead, role="lead", state="signed")
    for department in co:
        SuggestionAssignment.objects.create(suggestion=row, department=department, role="co", state="opined")
    for number, (replied_on, due_on, category, rating) in enumerate(replies, start=1):
        reply = SuggestionReply.objects.create(
            suggestion=row,
            number=number,
            department=lead,
            category=category,
            text="答复",
            contact_method="phone",
            contacted_on=replied_on,
            due_on=due_on,
            rating=rating,
        )
        SuggestionReply.objects.filter(pk=reply.pk).update(replied_at=at(replied_on))
    return row


@pytest.fixture
def year_of_suggestions(world):
    """Six suggestions filed in 2026, one in 2025 and a draft; the report is read on 2026-11-30."""
    L, M, N = world["lead_department"], world["co_department"], world["third_department"]
    d = dt.date
    # 1. answered on time, A, 满意
    suggestion(world, 1, S.CLOSED, deadline=d(2026, 6, 30), lead=L, co=[M],
               replies=[(d(2026, 6, 20), d(2026, 6, 30), "A", "satisfied")])  # fmt: skip
    # 2. answered late (C), rated 不满意, answered again (B) and rated 基本满意
    suggestion(world, 2, S.CLOSED, deadline=d(2026, 7, 10), lead=L,
               replies=[(d(2026, 6, 10), d(2026, 5, 31), "C", "unsatisfied"),
                        (d(2026, 7, 5), d(2026, 7, 10), "B", "basically")])  # fmt: skip
    # 3. past its deadline with no reply
    suggestion(world, 3, S.ASSIGNED, deadline=d(2026, 10, 30), lead=L)
    # 4. not yet due; the department first named lead was released (调整出)
    suggestion(world, 4, S.ASSIGNED, deadline=d(2027, 1, 15), lead=N, co=[L], released_lead=M)
    # 5. answered on time (B), rated 不满意, and its shorter deadline has passed unanswered
    suggestion(world, 5, S.REOPENED, deadline=d(2026, 11, 16), lead=N,
               replies=[(d(2026, 9, 1), d(2026, 9, 30), "B", "unsatisfied")])  # fmt: skip
    # 6. filed, not yet assigned
    suggestion(world, 6, S.FILED)
    # An earlier year's, and a draft of this year's (no number): neither counts in 2026.
    suggestion(world, 1, S.CLOSED, year=2025, deadline=d(2025, 9, 1), lead=L,
               replies=[(d(2025, 8, 1), d(2025, 9, 1), "A", "satisfied")])  # fmt: skip
    suggestion(world, None, S.DRAFT)
    return world


def figures(row) -> dict:
    shares = ("on_time", "overdue", "category_a", "category_b", "category_c", "satisfied", "reopened")
    return {
        "filed": row.filed,
        "co": row.co_handled,
        **{name: (getattr(row, name).count, getattr(row, name).of) for name in shares},
    }


def test_the_report_counts_each_figure_over_its_own_base(year_of_suggestions):
    rows = yearly_report(2026, today=TODAY)
    assert [row.name for row in rows] == [OVERALL, "区公安分局交警大队", "区住建局", "区城管局"]
    overall, police, housing, city = (figures(row) for row in rows)
    assert overall == {
        "filed": 6,  # every numbered suggestion, assigned or not
        "co": 2,
        "on_time": (2, 4),  # due or answered: 1, 2, 3, 5; the first reply on time: 1 and 5
        "overdue": (2, 5),  # of the five assigned, 3 and 5 wait past their deadline
        "category_a": (1, 3),  # the latest reply of 1, 2 and 5
        "category_b": (2, 3),
        "category_c": (0, 3),
        "satisfied": (2, 3),  # the latest rating: 满意, 基本满意, 不满意
        "reopened": (2, 3),
    }
    assert police == {
        "filed": 3,
        "co": 1,
        "on_time": (1, 3),
        "overdue": (1, 3),
        "category_a": (1, 2),
        "category_b": (1, 2),
        "category_c": (0, 2),
        "satisfied": (2, 2),
        "reopened": (1, 2),
    }
    assert housing == {
        "filed": 2,
        "co": 0,
        "on_time": (1, 1),  # number 4 is not due yet
        "overdue": (1, 2),
        "category_a": (0, 1),
        "category_b": (1, 1),
        "category_c": (0, 1),
        "satisfied": (0, 1),
        "reopened": (1, 1),
    }
    # Released from number 4, co-handling number 1: no suggestion of its own to count.
    assert city["filed"] == 0 and city["co"] == 1 and city["on_time"] == (0, 0)
    assert str(rows[0].on_time) == "2/4（50.0%）" and str(rows[3].on_time) == "0/0（—）"


def test_an_earlier_year_has_its_own_figures(year_of_suggestions):
    overall, police = yearly_report(2025, today=TODAY)
    assert (overall.filed, police.name, police.filed, str(police.satisfied)) == (
        1,
        "区公安分局交警大队",
        1,
        "1/1（100.0%）",
    )


def test_the_office_reads_every_department_and_chooses_the_year(client, year_of_suggestions, fixed_today):
    fixed_today(TODAY)
    client.force_login(year_of_suggestions["office"])
    page = client.get(URL).content.decode()
    assert "2026年" in page and "2/4（50.0%）" in page and "区住建局" in page and "区城管局" in page
    assert "按期答复" in page and "逾期未答复" in page  # the definitions are on the page
    earlier = client.get(URL, {"year": "2025"}).content.decode()
    assert "1/1（100.0%）" in earlier and "区住建局" not in earlier
    # A year that is not offered falls back to this year rather than failing.
    assert "2/4（50.0%）" in client.get(URL, {"year": "abc"}).content.decode()
    assert URL in client.get(reverse("wagtailadmin_home")).content.decode()  # in the reports menu


def test_a_department_reads_the_district_line_and_its_own(client, year_of_suggestions, fixed_today):
    fixed_today(TODAY)
    client.force_login(year_of_suggestions["lead_handler"])
    page = client.get(URL).content.decode()
    assert OVERALL in page and "区公安分局交警大队" in page
    assert "区住建局" not in page and "区城管局" not in page


@pytest.mark.parametrize("who", ["secretary", "deputy"])
def test_others_find_no_report(client, year_of_suggestions, who):
    user = year_of_suggestions["secretary"] if who == "secretary" else year_of_suggestions["王芳"]
    client.force_login(user)
    assert client.get(URL).status_code in (302, 403)
    assert client.get(URL + "?export=xlsx").status_code in (302, 403)
    if who == "secretary":
        assert URL not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_the_auditor_exports_it_to_excel_and_the_export_is_logged(client, year_of_suggestions, fixed_today):
    fixed_today(TODAY)
    auditor = role_user("auditor", role_group_name(Role.AUDITOR))
    client.force_login(auditor)
    response = client.get(URL, {"year": "2026", "export": "xlsx"})
    assert response.status_code == 200 and "suggestions-year-report-2026" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == (
        "承办单位（主办）",
        "立案（主办件数）",
        "协办件数",
        "按期答复（件）",
        "按期答复（基数）",
        "按期答复（%）",
    )
    assert rows[1][:6] == (OVERALL, 6, 2, 2, 4, 50)
    assert [row[0] for row in rows[1:]] == [OVERALL, "区公安分局交警大队", "区住建局", "区城管局"]
    assert AuditEvent.objects.filter(actor=auditor, action=PersonalDataAction.EXPORTED).count() == 1


def test_the_report_costs_the_same_queries_for_a_small_year_or_a_large_one(client, year_of_suggestions, fixed_today):
    fixed_today(TODAY)
    client.force_login(year_of_suggestions["office"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    small = queries()
    departments = [year_of_suggestions["lead_department"], year_of_suggestions["third_department"]]
    for serial in range(7, 47):
        suggestion(
            year_of_suggestions,
            serial,
            S.CLOSED,
            deadline=dt.date(2026, 9, 1),
            lead=departments[serial % 2],
            co=[year_of_suggestions["co_department"]],
            replies=[(dt.date(2026, 8, 1), dt.date(2026, 9, 1), "A", "satisfied")],
        )
    assert queries() == small
