"""The demo's deputy suggestions: `ensure_demo_admin` leaves the demo deputy one suggestion in
each stage, made through the real process code, so every demo account has something to see
and to do; running it again adds nothing, and the demo reset clears them."""

import datetime as dt
from io import StringIO

import pytest

from django.core.management import call_command

from content.demo.reset import reset_district
from content.models import Deputy, Membership
from duties.models import DeputyAccount
from suggestions.assignment import ASSIGNMENTS
from suggestions.drafting import SUGGESTIONS
from suggestions.models import ReviewRound, Suggestion, SuggestionReply, SupervisionRecord
from suggestions.replies import ReplyCategory
from tests.conftest import make_deputy
from workflows.models import Department

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 30)
STAGES = ["draft", "review", "returned", "filed", "assigned", "replied", "closed"]


def counts() -> tuple[int, ...]:
    models = (Suggestion, ReviewRound, SuggestionReply, SupervisionRecord, Department, DeputyAccount)
    return tuple(model.objects.count() for model in models)


def test_the_demo_has_a_suggestion_in_every_stage_once(settings, two_streets, fixed_today, client, django_user_model):
    settings.DEBUG = True
    fixed_today(TODAY)
    station = two_streets["other_station"]  # the demo station: the first street's first station
    for name in ("王芳", "李强", "赵敏"):
        Membership.objects.create(station=station, deputy=make_deputy(name))
    lead_department = Department.objects.create(name="区城市管理局", sort_order=0)
    co_department = Department.objects.create(name="区交通运输局", sort_order=1)
    call_command("ensure_demo_admin", stdout=StringIO())

    deputy_user = django_user_model.objects.get(username="demo-deputy")
    deputy = DeputyAccount.objects.get(user=deputy_user).deputy
    led = {s.state: s for s in Suggestion.objects.filter(lead=deputy)}
    assert sorted(led) == sorted(STAGES) and Suggestion.objects.count() == len(STAGES)

    cosigner = led["draft"].cosigners.get()
    assert cosigner.state == "invited" and cosigner.deputy != deputy
    assert Membership.objects.filter(station=station, deputy=cosigner.deputy).exists()
    assert led["returned"].review_comment and led["returned"].rounds.get().decision == "returned"
    assert led["filed"].serial and not led["filed"].assignments.exists()
    assert {(a.department, a.role, a.state) for a in led["assigned"].assignments.all()} == {
        (lead_department, "lead", "assigned"),
        (co_department, "co", "assigned"),
    }
    promise = led["replied"].replies.get()
    assert promise.category == ReplyCategory.B and promise.promised_on > TODAY and not promise.rating
    closed = led["closed"]
    assert closed.published_at and closed.is_key and closed.key_leader and closed.key_group.exists()
    assert closed.supervision_records.count() == 1 and closed.replies.get().rating == "satisfied"
    assert not Suggestion.objects.exclude(pk=closed.pk).filter(published_at__isnull=False).exists()

    # The public page lists the published one only.
    page = client.get("/suggestions/").content.decode()
    assert closed.title in page and led["replied"].title not in page
    # Each account has its to-do: the department a suggestion to sign for, the deputy a reply
    # to rate and a returned suggestion, the liaison office one to pre-review and one to assign.
    department_user = django_user_model.objects.get(username="demo-department")
    assert ASSIGNMENTS.todo_counts(department_user)["to_sign"] == 1
    client.force_login(department_user)
    assert "待签收的代表建议" in client.get("/admin/").content.decode()
    mine = SUGGESTIONS.todo_counts(deputy_user)
    assert (mine["to_rate"], mine["returned"]) == (1, 1)
    office = SUGGESTIONS.todo_counts(django_user_model.objects.get(username="admin"))
    assert (office["to_review"], office["to_assign"]) == (1, 1)
    # The deputy's portal lists them all.
    client.force_login(deputy_user)
    portal = client.get("/e/suggestions/").content.decode()
    assert all(s.title in portal for s in led.values())

    before = counts()
    call_command("ensure_demo_admin", stdout=StringIO())  # idempotent
    assert counts() == before

    # `build_demo --reset` clears them with the district: nothing PROTECTs the deputies.
    reset_district(lambda message: None)
    assert not Suggestion.objects.exists() and not Deputy.objects.exists()
    assert Department.objects.count() == 2
