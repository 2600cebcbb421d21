"""民生实事 筛选论证: the responsible department costs and assesses each candidate in the admin
(the round's runner may record it for them); the candidate list cannot be published while one
has no assessment, and the assessment is published with it; afterwards it is frozen."""

from __future__ import annotations

import pytest

from django.urls import reverse

from base.models import AuditEvent
from base.roles import Role, department_group_name, role_group_name
from livelihood.implementation import ProjectError
from livelihood.models import Candidate, LivelihoodAction
from livelihood.rounds import ROUNDS
from livelihood.screening import assess
from tests.conftest import role_user
from tests.test_livelihood_ballot import district as district  # noqa: F401 - the shared fixture
from tests.test_livelihood_ballot import new_round
from workflows.models import Department
from workflows.process import TransitionError

pytestmark = pytest.mark.django_db


@pytest.fixture
def screening(district):
    round = new_round(district)
    Candidate.objects.filter(round=round).update(assessment="")
    for name in ("open_nominations", "close_nominations"):
        round = ROUNDS.perform(round, name, user=district["office"])
    handler = role_user(
        "mz-clerk", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(district["department"])
    )
    other = Department.objects.create(name="区体育局")
    outsider = role_user("ty-clerk", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(other))
    return {**district, "round": round, "handler": handler, "outsider": outsider}


def test_the_department_assesses_its_candidate_in_the_admin(client, screening):
    candidate = screening["round"].candidates.get(number=1)
    client.force_login(screening["handler"])
    url = reverse("livelihood_candidates:assess", args=[candidate.pk])
    page = client.get(url).content.decode()
    assert "筛选论证" in page and "尚未论证" in page
    bad = client.post(url, {"budget": "0", "assessment": "可行"}).content.decode()
    assert "预算" in bad and Candidate.objects.get(pk=candidate.pk).assessment == ""
    response = client.post(url, {"budget": "260.5", "assessment": "可行：场地已落实，工期 8 个月。"})
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert (str(candidate.budget), candidate.assessment) == ("260.50", "可行：场地已落实，工期 8 个月。")
    assert AuditEvent.objects.filter(action=LivelihoodAction.ASSESSED, actor=screening["handler"]).count() == 1


def test_another_department_cannot_open_or_assess_it(client, screening):
    candidate = screening["round"].candidates.get(number=1)
    client.force_login(screening["outsider"])
    url = reverse("livelihood_candidates:assess", args=[candidate.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"budget": "1", "assessment": "可行"}).status_code == 404
    with pytest.raises(ProjectError, match="区民政局的经办人或本轮的组织者"):
        assess(candidate, user=screening["outsider"], budget=1, assessment="可行")


def test_the_list_waits_for_every_assessment_then_publishes_them_and_they_freeze(client, screening):
    round, office = screening["round"], screening["office"]
    for candidate in round.candidates.exclude(number=3):
        assess(candidate, user=screening["handler"], budget=100, assessment=f"{candidate.title}可行。")
    with pytest.raises(TransitionError, match=r"还有 1 个候选项目没有责任单位的论证意见（3号）"):
        ROUNDS.perform(round, "publish_candidates", user=office)
    third = round.candidates.get(number=3)
    assess(
        third, user=office, budget=80, assessment="由代表工委记录：区民政局论证可行。"
    )  # the runner for the department
    round = ROUNDS.perform(round, "publish_candidates", user=office)
    page = client.get(reverse("livelihood_round", args=[round.pk])).content.decode()
    assert "责任单位论证：" in page and "候选项目1可行。" in page and "由代表工委记录" in page
    with pytest.raises(ProjectError, match="不能再修改论证意见"):
        assess(third, user=office, budget=90, assessment="改")
