"""民生实事 in the admin: rounds scoped to their street, the ballot's numbers frozen once it
opens, the candidates' editing window, the count on the round's page, and the sign-in and
two-person paper-entry screens driven through the client."""

from __future__ import annotations

import pytest

from django.urls import reverse

from base.roles import Role, role_group_name
from livelihood import ballot
from livelihood.models import Ballot, Candidate, Elector, ProjectRound, RoundState
from livelihood.rounds import ROUNDS
from tests.conftest import role_user, street_user
from tests.test_admin_chinese import ALLOWED, english_words, entered_words, read_page
from tests.test_livelihood_ballot import balloting, new_round
from tests.test_livelihood_ballot import district as district  # noqa: F401

pytestmark = pytest.mark.django_db
S = RoundState


def round_data(**overrides) -> dict:
    data = {"year": "2028", "street": "", "title": "2028年民生实事", "seats": "2", "candidate_count": "4"}
    return {**data, **overrides}


def page(response) -> str:
    return response.content.decode()


# --- Rounds, scoped ---------------------------------------------------------------------------


def test_a_street_committee_creates_rounds_for_its_own_street_only(client, district):
    client.force_login(street_user(district["street"]))
    add = reverse("livelihood_rounds:add")
    assert client.get(add).status_code == 200
    other = client.post(add, round_data(street=str(district["other_street"].pk)))
    assert other.status_code == 200 and "只能管理本街道" in page(other)
    whole = client.post(add, round_data(street=""))
    assert whole.status_code == 200 and "全区的轮次由区人大常委会代表工委管理" in page(whole)
    assert not ProjectRound.objects.exists()
    own = client.post(add, round_data(street=str(district["street"].pk)))
    assert own.status_code == 302
    assert ProjectRound.objects.get().street == district["street"]


def test_the_district_admin_creates_the_district_round_once_a_year(client, district):
    client.force_login(district["office"])
    add = reverse("livelihood_rounds:add")
    assert client.post(add, round_data()).status_code == 302
    again = client.post(add, round_data(title="重复"))
    assert again.status_code == 200 and "已有全区的民生实事轮次" in page(again)
    assert ProjectRound.objects.get().street is None


def test_a_street_committee_sees_and_edits_its_own_streets_rounds_only(client, district):
    own = ProjectRound.objects.create(year=2028, street=district["street"], title="湖滨民生实事")
    other = ProjectRound.objects.create(year=2028, street=district["other_street"], title="清波民生实事")
    whole = new_round(district)
    client.force_login(street_user(district["street"]))
    listing = page(client.get(reverse("livelihood_rounds:index")))
    assert "湖滨民生实事" in listing and "清波民生实事" not in listing and whole.title not in listing
    for row in (other, whole):
        for name in ("inspect", "edit"):
            assert client.get(reverse(f"livelihood_rounds:{name}", args=[row.pk])).status_code == 404, name
        assert client.get(reverse("livelihood_rounds:sign_in", args=[row.pk])).status_code == 404
    assert client.get(reverse("livelihood_rounds:inspect", args=[own.pk])).status_code == 200
    edit = reverse("livelihood_rounds:edit", args=[own.pk])
    moved = client.post(edit, round_data(year="2028", street=str(district["other_street"].pk), title="改"))
    assert moved.status_code == 200 and "只能管理本街道" in page(moved)
    response = client.post(edit, round_data(year="2028", street=str(district["street"].pk), title="湖滨2028民生实事"))
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.title == "湖滨2028民生实事" and own.street == district["street"]


def test_the_numbers_on_the_ballot_stand_once_it_has_opened(client, district):
    round = balloting(district, year=2028)
    client.force_login(district["office"])
    edit = reverse("livelihood_rounds:edit", args=[round.pk])
    refused = client.post(edit, round_data(seats="3", title=round.title))
    assert refused.status_code == 200 and "票决已经开始" in page(refused)
    round.refresh_from_db()
    assert (round.seats, round.candidate_count) == (2, 4)
    renamed = client.post(edit, round_data(title="2028年区民生实事项目"))
    assert renamed.status_code == 302
    round.refresh_from_db()
    assert round.title == "2028年区民生实事项目" and round.seats == 2


def test_rounds_are_never_deleted(client, district):
    round = new_round(district)
    client.force_login(district["office"])
    response = client.post(reverse("livelihood_rounds:delete", args=[round.pk]))
    assert response.status_code in (302, 403, 404)
    assert ProjectRound.objects.filter(pk=round.pk).exists()


# --- Candidates ---------------------------------------------------------------------------------


def candidate_data(candidate, **overrides) -> dict:
    data = {
        "round": str(candidate.round_id),
        "number": str(candidate.number),
        "title": candidate.title,
        "description": candidate.description,
        "budget": "120.50",
        "department": str(candidate.department_id),
        "location": "",
    }
    return {**data, **overrides}


def test_candidates_change_until_they_are_published(client, district):
    round = new_round(district)
    candidate = round.candidates.get(number=1)
    client.force_login(district["office"])
    edit = reverse("livelihood_candidates:edit", args=[candidate.pk])
    assert client.post(edit, candidate_data(candidate, title="老旧小区加装电梯")).status_code == 302
    added = client.post(reverse("livelihood_candidates:add"), candidate_data(candidate, number="5", title="社区食堂"))
    assert added.status_code == 302 and round.candidates.count() == 5
    Candidate.objects.filter(round=round, number=5).delete()
    for name in ("open_nominations", "close_nominations", "publish_candidates"):
        round = ROUNDS.perform(round, name, user=district["office"])
    refused = client.post(edit, candidate_data(candidate, title="改不了"))
    assert refused.status_code == 200 and "候选项目已经公布" in page(refused)
    late = client.post(reverse("livelihood_candidates:add"), candidate_data(candidate, number="6", title="晚了"))
    assert late.status_code == 200 and "候选项目已经公布" in page(late)
    deleted = client.post(reverse("livelihood_candidates:delete", args=[candidate.pk]), follow=True)
    assert "候选项目已经公布" in page(deleted)
    candidate.refresh_from_db()
    assert candidate.title == "老旧小区加装电梯" and round.candidates.count() == 4


def test_a_street_committee_reaches_its_own_rounds_candidates_only(client, district):
    other = new_round(district, street=district["other_street"])
    client.force_login(street_user(district["street"]))
    candidate = other.candidates.first()
    assert client.get(reverse("livelihood_candidates:edit", args=[candidate.pk])).status_code == 404
    assert "候选项目1" not in page(client.get(reverse("livelihood_candidates:index")))


# --- The round's page: figures and count --------------------------------------------------------


def test_the_rounds_page_shows_the_sign_in_figures_then_the_count(client, district):
    round = balloting(district)
    deputies = district["deputies"]
    for deputy, choices in zip(deputies[:3], ([1, 2], [1], [1, 3]), strict=True):
        ballot.cast(round, ballot.issue(round, deputy, "online"), choices)
    ballot.issue(round, deputies[3], "paper")
    client.force_login(district["office"])
    detail = reverse("livelihood_rounds:inspect", args=[round.pk])
    open_page = page(client.get(detail))
    assert "已领票 4 人（手机投票 3，纸质选票 1）" in open_page and "签到·发纸质选票" in open_page
    assert "结束票决并计票" in open_page
    response = client.post(
        reverse("livelihood_rounds:act", args=[round.pk, "close_ballot"]),
        {"close_ballot-version": str(round.version)},
        follow=True,
    )
    counted = page(response)
    assert "计票结果" in counted and "收回选票 3 张（参加投票 60.0%）" in counted
    assert "<strong>确定</strong>" in counted and "空缺 1 个名额" in counted
    assert "候选项目1" in counted


# --- Sign-in and paper entry ----------------------------------------------------------------------


def test_the_sign_in_screen_issues_one_paper_ballot_and_refuses_a_second(client, district):
    round = balloting(district)
    deputy = district["deputies"][0]
    elector = Elector.objects.get(round=round, deputy=deputy)
    client.force_login(district["office"])
    url = reverse("livelihood_rounds:sign_in", args=[round.pk])
    found = page(client.get(url, {"q": deputy.name}))
    assert deputy.name in found and f'value="{elector.pk}"' in found
    first = page(client.post(url, {"elector": elector.pk}, follow=True))
    assert f"{deputy.name}已签到" in first
    second = page(client.post(url, {"elector": elector.pk}, follow=True))
    assert "已经领取过选票" in second
    assert ballot.issued_counts(round) == {"online": 0, "paper": 1}


def test_two_people_enter_a_paper_ballot_and_it_is_stored_when_they_agree(client, district):
    round = balloting(district)
    ballot.issue(round, district["deputies"][0], "paper")
    url = reverse("livelihood_rounds:paper", args=[round.pk])
    client.force_login(district["clerk_a"])
    assert client.get(url).status_code == 200
    first = page(client.post(url, {"sheet": "17", "choices": ["1", "3"]}, follow=True))
    assert "第17号纸质选票已录入，等待另一人录入核对" in first and not Ballot.objects.exists()
    assert "尚未一致录入的选票编号：17" in first
    client.force_login(district["clerk_b"])
    second = page(client.post(url, {"sheet": "17", "choices": ["3", "1"]}, follow=True))
    assert "第17号纸质选票：两人一致，已入箱" in second
    assert Ballot.objects.get().choices == [1, 3]
    again = page(client.post(url, {"sheet": "17", "choices": ["1"]}, follow=True))
    assert "已经两人一致录入并入箱" in again and Ballot.objects.count() == 1


def test_the_auditor_reads_the_round_but_posts_nothing(client, district):
    round = balloting(district)
    elector = Elector.objects.filter(round=round).first()
    auditor = role_user("auditor", role_group_name(Role.AUDITOR))
    client.force_login(auditor)
    for name in ("inspect", "sign_in", "paper"):
        assert client.get(reverse(f"livelihood_rounds:{name}", args=[round.pk])).status_code == 200, name
    assert "签到·发纸质选票</button>" not in page(client.get(reverse("livelihood_rounds:sign_in", args=[round.pk])))
    signed = client.post(reverse("livelihood_rounds:sign_in", args=[round.pk]), {"elector": elector.pk})
    assert signed.status_code == 403
    posted = client.post(reverse("livelihood_rounds:paper", args=[round.pk]), {"sheet": "1", "choices": ["1"]})
    assert posted.status_code == 403
    assert ballot.issued_counts(round) == {"online": 0, "paper": 0} and not round.paper_entries.exists()


# --- The home page's to-dos, and the screens in Chinese ---------------------------------------


def test_rounds_waiting_for_their_runner_are_on_the_admin_home(client, district):
    round = new_round(district, street=district["street"])
    for name in ("open_nominations", "close_nominations"):
        round = ROUNDS.perform(round, name, user=district["office"])
    client.force_login(street_user(district["street"]))
    home = page(client.get(reverse("wagtailadmin_home")))
    assert "我的待办 · 民生实事轮次" in home and "待筛选论证的民生实事" in home
    client.force_login(street_user(district["other_street"], username="qingbo-secretary"))
    assert "待筛选论证的民生实事" not in page(client.get(reverse("wagtailadmin_home")))


def test_the_ballot_screens_are_in_chinese(client, district):
    round = balloting(district)
    ballot.issue(round, district["deputies"][0], "paper")
    client.force_login(district["office"])
    urls = [
        reverse("livelihood_rounds:index"),
        reverse("livelihood_rounds:add"),
        reverse("livelihood_rounds:edit", args=[round.pk]),
        reverse("livelihood_rounds:sign_in", args=[round.pk]),
        reverse("livelihood_rounds:paper", args=[round.pk]),
        reverse("livelihood_candidates:index"),
        reverse("livelihood_candidates:add"),
        reverse("livelihood_candidates:edit", args=[round.candidates.first().pk]),
    ]
    ROUNDS.perform(round, "close_ballot", user=district["office"])
    urls.append(reverse("livelihood_rounds:inspect", args=[round.pk]))
    found = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        words = english_words(read_page(page(response)).texts, ALLOWED | entered_words())
        if words:
            found[url] = words
    assert found == {}
