"""The demo's livelihood projects: `ensure_demo_admin` leaves this year's district round
implementing (nominations answered every way, the ballot counted and recounted, the chosen
projects reported on and inspected) and the demo street's round of next year collecting
nominations; all made through the real process code, once, and cleared by the demo reset."""

import datetime as dt
from io import StringIO

import pytest

from django.core.management import call_command

from content.demo.reset import reset_district
from content.models import Deputy, Membership
from livelihood import ballot
from livelihood.implementation import INSPECTIONS, chosen
from livelihood.models import (
    Ballot,
    BallotCount,
    Elector,
    Inspection,
    InspectionState,
    Milestone,
    Nomination,
    NominationSource,
    NominationState,
    PaperEntry,
    ProgressReport,
    ProjectRound,
    RoundState,
)
from livelihood.nominations import NOMINATIONS
from tests.conftest import make_deputy
from workflows.models import Department

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 30)
N = NominationState


def counts() -> tuple[int, ...]:
    models = (ProjectRound, Nomination, Elector, Ballot, PaperEntry, ProgressReport, Inspection, Milestone)
    return tuple(model.objects.count() for model in models)


def test_the_demo_runs_the_years_livelihood_rounds_once(settings, two_streets, fixed_today, client, django_user_model):
    settings.DEBUG = True
    fixed_today(TODAY)
    station = two_streets["other_station"]  # the demo station: the first street's first station
    for name in ("王芳", "李强", "赵敏", "孙丽", "周杰", "吴刚"):
        Membership.objects.create(station=station, deputy=make_deputy(name))
    demo_department = Department.objects.create(name="区城市管理局", sort_order=0)
    Department.objects.create(name="区住房和城乡建设局", sort_order=1)
    call_command("ensure_demo_admin", stdout=StringIO())
    users = {name: django_user_model.objects.get(username=name) for name in ("admin", "demo-department", "demo-street")}

    # This year's district round: implementing, its count published and recounted alike.
    district = ProjectRound.objects.get(street__isnull=True)
    assert (district.year, district.state) == (2026, RoundState.IMPLEMENTING)
    assert district.title == "2026年区民生实事项目" and district.candidates.count() == 15
    count = BallotCount.objects.get(round=district)
    assert ballot.recount_matches(district) and count.chosen
    assert count.entitled == district.electors.count() == Deputy.objects.filter(congress_level="district").count()
    assert count.cast == Ballot.objects.filter(round=district).count() and count.invalid >= 0
    issued = ballot.issued_counts(district)
    assert issued["online"] and issued["paper"] == PaperEntry.objects.filter(round=district).count() // 2
    assert district.ballot_opened_at.date() == dt.date(2026, 1, 12)

    # Every nomination answered, in every way, each source present.
    nominations = Nomination.objects.filter(round=district)
    assert {n.state for n in nominations} == {N.ADOPTED, N.MERGED, N.DECLINED, N.REJECTED}
    assert all(n.answer for n in nominations)
    assert {n.source for n in nominations} == set(NominationSource.values)
    assert nominations.get(source=NominationSource.DEPUTY).state == N.ADOPTED

    # The chosen projects: plans, reports (one finished), groups, inspections.
    projects = list(chosen(district))
    assert len(projects) == len(count.chosen)
    assert all(p.reports.exists() and p.milestones.count() == 3 and p.supervisors.exists() for p in projects)
    assert ProgressReport.objects.filter(candidate__round=district, progress=100).count() == 1
    assert not ProgressReport.objects.filter(reported_on__gt=TODAY).exists()
    inspections = Inspection.objects.filter(candidate__round=district)
    assert inspections.filter(state=InspectionState.ANSWERED, candidate__department=demo_department).exists()
    assert inspections.filter(state=InspectionState.RAISED).exists()
    assert INSPECTIONS.todo_counts(users["demo-department"])["to_answer"] >= 1
    deputy = Deputy.objects.get(account_link__user__username="demo-deputy")
    assert inspections.filter(deputies=deputy).exists()

    # Next year's round of the demo street: collecting, three nominations waiting.
    street_round = ProjectRound.objects.get(street__isnull=False)
    assert (street_round.street, street_round.state) == (station.street, RoundState.NOMINATING)
    assert street_round.year == 2027
    assert set(street_round.nominations.values_list("state", flat=True)) == {N.SUBMITTED}
    assert NOMINATIONS.todo_counts(users["demo-street"])["to_moderate"] == 3
    assert "民生实事项目征集" in client.get(station.url).content.decode()

    # The public pages.
    index = client.get("/livelihood/")
    assert index.status_code == 200 and district.title in index.content.decode()
    page = client.get(f"/livelihood/{district.pk}/")
    assert page.status_code == 200 and "票决结果" in page.content.decode()
    assert client.get(f"/livelihood/{district.pk}/projects/{projects[0].number}/").status_code == 200
    assert client.get(f"/livelihood/{street_round.pk}/").status_code == 200

    before = counts()
    call_command("ensure_demo_admin", stdout=StringIO())  # idempotent
    assert counts() == before

    # `build_demo --reset` clears them with the district: nothing PROTECTs the deputies or streets.
    reset_district(lambda message: None)
    assert not ProjectRound.objects.exists() and not Deputy.objects.exists()
    assert Department.objects.count() == 2
