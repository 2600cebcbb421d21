"""立法征询 in the admin: the two processes through the generated contract (every transition,
button and to-do), who sees and does what (the contact point's staff, its street's committee,
the district admin, the auditor, outsiders), the compilation screen, the audited exports, the
masked commenter, and query counts that do not grow with the rows."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from base.audit_actions import PersonalDataAction
from base.models import AuditEvent
from legislation.comments import COMMENTS, MODERATOR
from legislation.consultations import CONSULTATIONS, RUNNER
from legislation.models import Article, Comment, CommentState, CompiledOpinion, ConsultationState
from tests import process_contract as contract
from tests.test_legislation import TODAY, comment, new_draft, offline, opened, submit
from tests.test_legislation import world as world  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.django_db
C, CS = ConsultationState, CommentState
NUMBERS = itertools.count(1)


# --- The contract of both processes -------------------------------------------------------------


class ConsultationDriver(contract.Driver):
    def __init__(self, world):
        super().__init__(CONSULTATIONS, "legislation_consultations:inspect")
        self.world = world

    def bring(self, state):
        page = new_draft(self.world, title=f"征求意见稿{next(NUMBERS)}")
        consultation, staff = page.consultation, self.world["staff"]
        path = [C.OPEN, C.COMPILING, C.SUBMITTED, C.FED_BACK]
        steps = {C.OPEN: "open", C.COMPILING: "close", C.SUBMITTED: "submit", C.FED_BACK: "feed_back"}
        for target in path[: path.index(state) + 1] if state in path else []:
            consultation = CONSULTATIONS.perform(
                consultation, steps[target], user=staff, **self.data(CONSULTATIONS.by_name[steps[target]], consultation)
            )
        assert consultation.state == state
        return consultation

    def actor(self, capacity):
        return self.world["staff"]

    def outsider(self):
        return self.world["outsider"]

    def data(self, transition, row):
        return {
            "submit": {"submitted_on": TODAY, "submitted_to": "省人大常委会法工委"},
            "feed_back": {"passed_title": "杭州市物业管理条例", "passed_on": TODAY},
        }.get(transition.name, {})

    def waiting(self, todo, transition):
        if todo.key == "window_over":
            consultation = self.bring(C.OPEN)
            type(consultation.page).objects.filter(pk=consultation.page_id).update(
                closes_on=TODAY - dt.timedelta(days=1)
            )
            return consultation
        if todo.key == "overdue":
            consultation = self.bring(C.COMPILING)
            type(consultation).objects.filter(pk=consultation.pk).update(return_by=TODAY - dt.timedelta(days=1))
            return consultation
        return super().waiting(todo, transition)


class CommentDriver(contract.Driver):
    def __init__(self, world):
        super().__init__(COMMENTS, "legislation_comments:inspect")
        self.world = world
        self.consultation = opened(world)
        self.first = COMMENTS.perform(
            comment(self.consultation, idempotency_key="first"), "publish", user=world["staff"]
        )

    def bring(self, state):
        row = comment(self.consultation, idempotency_key=f"k{Comment.objects.count()}")
        staff = self.world["staff"]
        if state != CS.SUBMITTED:
            name = {CS.PUBLISHED: "publish", CS.WITHHELD: "withhold", CS.MERGED: "merge", CS.REJECTED: "reject"}[state]
            row = COMMENTS.perform(row, name, user=staff, **self.data(COMMENTS.by_name[name], row))
        assert row.state == state
        return row

    def actor(self, capacity):
        return self.world["staff"]

    def outsider(self):
        return self.world["other_staff"]

    def data(self, transition, row):
        return {
            "reject": {"reason": "与草案无关。"},
            "withhold": {"reason": "含个人住址。"},
            "merge": {"into": self.first},
        }.get(transition.name, {})


CASES = contract.cases(CONSULTATIONS, "consultations") + contract.cases(COMMENTS, "comments")


@pytest.mark.parametrize(("check", "kind", "case"), CASES, ids=contract.case_ids(CASES))
def test_the_process_contract_holds_for_consultations_and_comments(world, client, check, kind, case):
    if kind == "consultations":
        contract.run(ConsultationDriver(world), client, check, case, [RUNNER])
    else:
        contract.run(CommentDriver(world), client, check, case, [MODERATOR])


# --- Who sees what ---------------------------------------------------------------------------------


def test_the_street_committee_and_the_district_run_the_contact_points_consultations(world):
    consultation = opened(world)
    for who in ("staff", "secretary", "office"):
        assert CONSULTATIONS.capacities(world[who], consultation) == {RUNNER}, who
    for who in ("outsider", "other_staff", "auditor"):
        assert CONSULTATIONS.capacities(world[who], consultation) == set(), who


def test_outsiders_get_404_on_every_screen_of_a_consultation_and_the_auditor_reads(client, world):
    consultation = opened(world)
    comment(consultation)
    urls = [
        reverse("legislation_consultations:inspect", args=[consultation.pk]),
        reverse("legislation_consultations:compile", args=[consultation.pk]),
        reverse("legislation_consultations:export", args=[consultation.pk, "docx"]),
        reverse("legislation_comments:inspect", args=[Comment.objects.get().pk]),
    ]
    for who in ("outsider", "other_staff"):
        client.force_login(world[who])
        for url in urls:
            assert client.get(url).status_code in (302, 403, 404), (who, url)
    client.force_login(world["auditor"])
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert client.post(urls[1], {"row": "whole", "whole-text": "汇总"}).status_code in (302, 403, 404)
    assert not CompiledOpinion.objects.exists()
    assert AuditEvent.objects.filter(action=PersonalDataAction.EXPORTED, actor=world["auditor"]).count() == 1


def test_the_compilation_screen_saves_a_compiled_opinion_per_article(client, world):
    consultation = opened(world)
    comment(consultation)
    consultation = CONSULTATIONS.perform(consultation, "close", user=world["staff"])
    COMMENTS.perform(Comment.objects.get(), "publish", user=world["staff"])
    client.force_login(world["secretary"])
    url = reverse("legislation_consultations:compile", args=[consultation.pk])
    page = client.get(url).content.decode()
    assert "第二条（意见 1 条）" in page and "建议明确物业服务人的范围" in page
    article = Article.objects.get(consultation=consultation, number=2)
    response = client.post(url, {"row": str(article.pk), f"{article.pk}-text": "建议明确物业服务人的范围。"})
    assert response.status_code == 302
    assert CompiledOpinion.objects.get().text == "建议明确物业服务人的范围。"
    empty = client.post(url, {"row": str(article.pk), f"{article.pk}-text": ""}, follow=True)
    assert "请填写汇总意见" in empty.content.decode()
    submit(consultation, world["staff"])
    assert "采纳情况" in client.get(url).content.decode()


def test_the_commenter_is_masked_and_revealing_is_logged(client, world):
    consultation = opened(world)
    row = comment(consultation)
    client.force_login(world["staff"])
    url = reverse("legislation_comments:inspect", args=[row.pk])
    page = client.get(url).content.decode()
    assert "13812345678" not in page and "张建国" not in page
    revealed = client.get(f"{url}?reveal=1").content.decode()
    assert "13812345678" in revealed
    assert AuditEvent.objects.filter(action=PersonalDataAction.VIEWED, actor=world["staff"]).exists()
    listing = client.get(reverse("legislation_comments:index")).content.decode()
    assert row.receipt_no in listing and "13812345678" not in listing


def test_the_offline_entry_offers_only_the_persons_own_consultations(client, world):
    consultation = opened(world)
    client.force_login(world["other_staff"])
    form = client.get(reverse("legislation_comments:add")).context["form"]
    assert consultation not in form.fields["consultation"].queryset
    client.force_login(world["staff"])
    form = client.get(reverse("legislation_comments:add")).context["form"]
    assert consultation in form.fields["consultation"].queryset


# --- Query counts -----------------------------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_public_draft_page_costs_the_same_queries_for_1_or_many_comments(client, world, settings):
    settings.LIANLUO_PAGE_CACHE_SECONDS = 0  # the page rendered each time, not the cached copy
    consultation = opened(world)
    comment(consultation, idempotency_key="one")
    url = consultation.page.url
    few = _count(client, url)
    for i in range(20):
        row = comment(consultation, number=i % 5 + 1, idempotency_key=f"k{i}", phone=f"139{i:08d}")
        COMMENTS.perform(row, "publish", user=world["staff"])
        offline(world, consultation, number=i % 5 + 1, content=f"座谈会意见第 {i} 条：建议细化。")
    many = _count(client, url)
    assert few == many and many <= 15


def test_admin_listings_and_the_compilation_cost_the_same_for_1_or_many(client, world):
    consultation = opened(world)
    offline(world, consultation, content="座谈会意见：建议细化。")
    client.force_login(world["secretary"])
    comments_url = reverse("legislation_comments:index")
    compile_url = reverse("legislation_consultations:compile", args=[consultation.pk])
    before = (_count(client, comments_url), _count(client, compile_url))
    for i in range(15):
        offline(world, consultation, number=i % 5 + 1, content=f"座谈会意见第 {i} 条：建议细化。")
    new_draft(world, title="另一份征求意见稿")
    assert (_count(client, comments_url), _count(client, compile_url)) == before
