"""民生实事 pages cost a fixed number of SQL queries however many nominations, candidates,
reports and inspections they show: the public round page, a project's page and the deputy's
portal list (one row vs many)."""

from __future__ import annotations

import datetime as dt

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from duties.models import DeputyAccount
from livelihood.implementation import set_group
from livelihood.models import Inspection, Milestone, Nomination, ProgressReport
from livelihood.nominations import NOMINATIONS, Proposal, nominate
from tests.test_livelihood_ballot import district as district  # noqa: F401 - the shared fixture
from tests.test_livelihood_nominations import nominating
from tests.test_livelihood_portal import account_of
from tests.test_livelihood_projects import TODAY
from tests.test_livelihood_projects import projects as projects  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.django_db


def queries(client, url) -> tuple[int, str]:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def listed(round, world, n, **extra):
    row, _ = nominate(
        Proposal(
            round=round,
            title=f"提名项目{n:02d}",
            need="居民反映的需求，写得足够清楚。",
            place="湖滨街道",
            scale="",
            nominator_name="李梅",
            nominator_phone="13912345678",
            idempotency_key=f"n{n}",
            **extra,
        )
    )
    return NOMINATIONS.perform(row, "list", user=world["office"])


def test_the_round_page_costs_the_same_for_one_nomination_or_many(client, district):
    round = nominating(district)
    first = listed(round, district, 0, station=district["station"])
    url = reverse("livelihood_round", args=[round.pk])
    few, _ = queries(client, url)
    deputy = district["deputies"][0]
    for n in range(1, 21):
        row = listed(round, district, n, station=district["station"], deputy=deputy, source="deputy")
        if n % 3 == 0:
            NOMINATIONS.perform(row, "merge", user=district["office"], into=first)
    many, page = queries(client, url)
    assert "提名项目20" in page and Nomination.objects.count() == 21
    assert many == few, f"{few} queries with one nomination, {many} with 21"


def test_a_projects_page_costs_the_same_with_one_report_or_many(client, projects):
    project, office = projects["one"], projects["office"]
    members = projects["deputies"][:3]
    set_group(project, members, members[0], user=office)

    def add(n):
        ProgressReport.objects.create(
            candidate=project, reported_on=TODAY - dt.timedelta(days=n), progress=n, spent=n, text=f"进展{n}"
        )
        Milestone.objects.create(candidate=project, title=f"节点{n}", due_on=TODAY)
        inspection = Inspection.objects.create(
            candidate=project, date=TODAY, kind="site", findings=f"情况{n}", problems="问题", state="raised"
        )
        inspection.deputies.set(members)

    add(1)
    url = reverse("livelihood_project", args=[projects["round"].pk, 1])
    few, _ = queries(client, url)
    for n in range(2, 15):
        add(n)
    many, page = queries(client, url)
    assert "情况14" in page and "节点14" in page
    assert many == few, f"{few} queries with one of each, {many} with 14"


def test_the_portal_list_costs_the_same_for_one_row_or_many(client, projects):
    deputy = projects["deputies"][0]
    client.force_login(account_of(deputy, "portal-user"))
    set_group(projects["one"], [deputy], deputy, user=projects["office"])
    url = reverse("livelihood_portal:index")
    few, _ = queries(client, url)
    set_group(projects["round"].candidates.get(number=2), [deputy], None, user=projects["office"])
    round = nominating(projects, year=2030)
    for n in range(10):
        nominate(
            Proposal(
                round=round,
                title=f"代表提名{n}",
                need="代表走访时居民反映的需求，写得足够清楚。",
                place="湖滨街道",
                scale="",
                nominator_name=deputy.name,
                nominator_phone="",
                idempotency_key=f"d{n}",
                source="deputy",
                deputy=deputy,
                station=projects["station"],
            )
        )
    many, page = queries(client, url)
    assert "代表提名9" in page and "候选项目2" in page
    assert many == few, f"{few} queries with one row, {many} with many"
    assert DeputyAccount.objects.filter(deputy=deputy).exists()
