"""民生实事票决 in headless Chromium: two deputies vote on their phones, a third on paper, the
office counts and publishes, and an anonymous visitor reads the result on a phone.

A round of 4 candidates, 2 to be chosen, is open for the vote with a roll of 3 deputies
(so a project needs 2 votes: more than half of 3). 王芳 signs in for her ballot in 代表e站,
ticks 3 projects and is refused (最多选 2 项) with nothing stored, unticks one and votes; the
thanks page repeats none of her choices. 李强 votes on his own phone. 赵敏 takes a paper
ballot at the office's sign-in screen, and two staff enter the sheet, which is stored when the
second entry agrees. The office closes the ballot (the count) and publishes the result; the
round's public page shows the votes, which projects were chosen and the turnout.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from django.urls import reverse

from base.roles import Role, role_group_name
from content.models import Membership
from duties.models import DeputyAccount
from livelihood.models import (
    Ballot,
    BallotCount,
    BallotToken,
    Candidate,
    Elector,
    PaperEntry,
    ProjectRound,
    RoundState,
)
from livelihood.rounds import ROUNDS
from tests.browser.conftest import DESKTOP_VIEWPORT, PHONE_VIEWPORT
from tests.browser.test_opinion_flow import act as admin_act
from tests.browser.test_opinion_flow import sign_in
from tests.browser.test_public_walkthrough import assert_no_serious_axe_violations, assert_stayed_on_live_server
from tests.conftest import make_deputy, role_user
from workflows.models import Department

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TITLES = {1: "东平巷老旧小区加装电梯", 2: "社区老年食堂", 3: "背街小巷路灯改造", 4: "口袋公园建设"}
SHEET = 17  # the number printed on 赵敏's paper ballot


@pytest.fixture
def world(two_streets):
    """The round at 票决中 with a roll of 3 deputies (each with a 代表e站 account) and two
    district admins (代表工委) to run the ballot."""
    department = Department.objects.create(name="区民政局")
    deputies = {}
    for username, name in (("wang-fang", "王芳"), ("li-qiang", "李强"), ("zhao-min", "赵敏")):
        deputies[name] = make_deputy(name)
        Membership.objects.create(station=two_streets["station"], deputy=deputies[name])
        DeputyAccount.objects.create(deputy=deputies[name], user=role_user(username, role_group_name(Role.DEPUTY)))
    office = role_user("office", role_group_name(Role.DISTRICT_ADMIN))
    role_user("clerk", role_group_name(Role.DISTRICT_ADMIN))
    round = ProjectRound.objects.create(year=2027, title="2027年区民生实事", seats=2, candidate_count=4)
    for number, title in TITLES.items():
        Candidate.objects.create(
            round=round,
            number=number,
            title=title,
            description="项目内容",
            budget=120,
            department=department,
            assessment="可行",
        )
    for name in ("open_nominations", "close_nominations", "publish_candidates", "open_ballot"):
        round = ROUNDS.perform(round, name, user=office)
    assert round.state == RoundState.BALLOTING and round.entitled == 3
    return {"round": round, "deputies": deputies}


def label(number: int) -> str:
    return f"{number}. {TITLES[number]}"


def assert_fits_the_phone(page: Page, where: str):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_VIEWPORT["width"], f"{where} scrolls sideways on a phone ({width}px)"


def open_ballot(page: Page, live_server, username: str, round: ProjectRound):
    """Sign in, go 代表e站 → 民生实事票决 → the round, and press 签到领票."""
    sign_in(page, live_server, username)
    page.goto(live_server.url + "/e/")
    page.get_by_role("link", name="民生实事票决").click()
    expect(page.get_by_role("heading", name="民生实事票决")).to_be_visible()
    page.get_by_role("link", name=round.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(round.title)
    expect(page.locator("main")).to_contain_text("每张选票最多选 2 项")
    page.get_by_role("button", name="签到领票").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{round.title}选票")
    expect(page.locator("main")).to_contain_text("最多选 2 项")


def cast(page: Page, *numbers: int):
    for number in numbers:
        page.get_by_role("checkbox", name=label(number)).check()
    page.get_by_role("button", name="投票").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("已投票")


def assert_thanks_keep_the_secret(page: Page):
    body = page.locator("body")
    expect(body).to_contain_text("选票不记名")
    for title in TITLES.values():
        expect(body).not_to_contain_text(title)


def test_deputies_vote_on_phones_and_paper_and_the_result_is_published(live_server, world, open_page):
    round, deputies = world["round"], world["deputies"]
    electors = Elector.objects.filter(round=round)

    # 1. 王芳 on her phone: over-votes, is refused with nothing stored, corrects and votes.
    wang = open_page(PHONE_VIEWPORT)
    phone = wang.page
    open_ballot(phone, live_server, "wang-fang", round)
    assert electors.get(deputy=deputies["王芳"]).issued == "online"
    assert BallotToken.objects.filter(round=round).count() == 1 and not Ballot.objects.exists()
    for number in TITLES:
        expect(phone.get_by_role("checkbox", name=label(number))).not_to_be_checked()
    assert_no_serious_axe_violations(phone, "ballot form")
    assert_fits_the_phone(phone, "ballot form")
    for number in (1, 2, 3):
        phone.get_by_role("checkbox", name=label(number)).check()
    phone.get_by_role("button", name="投票").click()
    expect(phone.locator(".portal-messages")).to_contain_text("最多选 2 项，您选了 3 项。")
    assert Ballot.objects.count() == 0 and BallotToken.objects.filter(round=round).count() == 1
    # The same ballot comes back with her ticks kept, to correct.
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"{round.title}选票")
    for number, ticked in ((1, True), (2, True), (3, True), (4, False)):
        expect(phone.get_by_role("checkbox", name=label(number))).to_be_checked(checked=ticked)
    assert_fits_the_phone(phone, "refused ballot")
    phone.get_by_role("checkbox", name=label(3)).uncheck()
    cast(phone)
    assert_thanks_keep_the_secret(phone)
    assert_no_serious_axe_violations(phone, "thanks page")
    assert list(Ballot.objects.filter(round=round).values_list("choices", "valid")) == [([1, 2], True)]
    assert not BallotToken.objects.exists()
    phone.get_by_role("link", name="返回民生实事票决").click()
    expect(phone.locator("main")).to_contain_text("您已领取选票")
    phone.get_by_role("link", name=round.title).click()
    expect(phone.get_by_role("status")).to_contain_text("您已领取选票")
    expect(phone.get_by_role("button", name="签到领票")).to_have_count(0)

    # 2. 李强 on his own phone.
    li = open_page(PHONE_VIEWPORT).page
    open_ballot(li, live_server, "li-qiang", round)
    cast(li, 2, 3)
    assert_thanks_keep_the_secret(li)
    assert sorted(Ballot.objects.filter(round=round).values_list("choices", flat=True)) == [[1, 2], [2, 3]]
    assert not BallotToken.objects.exists()

    # 3. 赵敏 takes a paper ballot at the office's sign-in screen.
    office = open_page(DESKTOP_VIEWPORT).page
    sign_in(office, live_server, "office")
    detail_url = live_server.url + reverse("livelihood_rounds:inspect", args=[round.pk])
    office.goto(detail_url)
    expect(office.locator("main")).to_contain_text("已领票 2 人（手机投票 2，纸质选票 0），未领票 1 人")
    office.get_by_role("link", name="签到·发纸质选票").click()
    office.get_by_label("代表姓名").fill("赵敏")
    office.get_by_role("button", name="查找").click()
    office.get_by_role("row", name=re.compile("赵敏")).get_by_role("button", name="签到·发纸质选票").click()
    expect(office.locator(".messages")).to_contain_text("赵敏已签到，请发给一张纸质选票。")
    assert electors.get(deputy=deputies["赵敏"]).issued == "paper"
    assert not BallotToken.objects.exists()  # a paper ballot carries no token

    # Two staff enter the sheet; the second, agreeing entry stores it.
    def enter_sheet(page: Page, *numbers: int):
        page.get_by_label("选票编号").fill(str(SHEET))
        for number in numbers:
            page.get_by_label(label(number), exact=True).check()
        page.get_by_role("button", name="录入这张选票").click()

    office.get_by_role("link", name="纸质选票录入").click()
    enter_sheet(office, 1, 2)
    expect(office.locator(".messages")).to_contain_text(f"第{SHEET}号纸质选票已录入，等待另一人录入核对")
    assert Ballot.objects.filter(round=round).count() == 2
    assert list(PaperEntry.objects.filter(round=round).values_list("sheet", "stored")) == [(SHEET, False)]

    clerk = open_page(DESKTOP_VIEWPORT).page
    sign_in(clerk, live_server, "clerk")
    clerk.goto(live_server.url + reverse("livelihood_rounds:paper", args=[round.pk]))
    enter_sheet(clerk, 2, 1)
    expect(clerk.locator(".messages")).to_contain_text(f"第{SHEET}号纸质选票：两人一致，已入箱。")
    expect(clerk.locator("main")).to_contain_text("纸质选票已两人一致入箱 1 张")
    assert sorted(Ballot.objects.filter(round=round).values_list("choices", flat=True)) == [[1, 2], [1, 2], [2, 3]]
    assert Ballot.objects.filter(round=round, valid=False).count() == 0
    assert list(PaperEntry.objects.filter(round=round).values_list("stored", flat=True)) == [True, True]

    # 4. The office closes the ballot (the count) and publishes the result.
    office.goto(detail_url)
    expect(office.locator("main")).to_contain_text("已领票 3 人（手机投票 2，纸质选票 1），未领票 0 人")
    admin_act(office, "close_ballot", process=ROUNDS)
    count = BallotCount.objects.get(round=round)
    assert (count.entitled, count.cast, count.invalid) == (3, 3, 0)
    assert count.votes == {"1": 2, "2": 3, "3": 1, "4": 0}
    assert count.chosen == [2, 1] and count.tied == [] and count.shortfall == 0
    round.refresh_from_db()
    assert round.state == RoundState.COUNTED and round.ballot_closed_at is not None
    expect(office.get_by_role("heading", name="计票结果")).to_be_visible()
    expect(office.locator("main")).to_contain_text("有表决权的代表 3 人，收回选票 3 张（参加投票 100.0%）")
    # Not public yet: the round's page shows no result before it is published.
    visitor = open_page(PHONE_VIEWPORT)
    public = visitor.page
    public_url = live_server.url + reverse("livelihood_round", args=[round.pk])
    public.goto(public_url)
    expect(public.get_by_role("heading", level=1)).to_have_text(round.title)
    expect(public.get_by_role("heading", name="票决结果")).to_have_count(0)

    admin_act(office, "publish_results", process=ROUNDS)
    round.refresh_from_db()
    assert round.state == RoundState.IMPLEMENTING
    assert BallotCount.objects.get(round=round).pk == count.pk  # published as counted, not recounted anew

    # 5. An anonymous visitor reads the result on a phone.
    public.goto(public_url)
    result = public.locator("section[aria-labelledby='result-heading']")
    expect(public.get_by_role("heading", name="票决结果")).to_be_visible()
    expect(result).to_contain_text("有表决权的代表 3 人，收回选票 3 张")
    expect(result).to_contain_text("其中无效票 0 张")
    expect(result).to_contain_text("当选须获得 3 人的过半数选票")
    rows = result.locator("tbody tr")
    expect(rows).to_have_count(4)
    # Most votes first: each candidate's votes and whether chosen (2 votes needed, top 2).
    for index, (number, votes, outcome) in enumerate(
        ((2, 3, "当选"), (1, 2, "当选"), (3, 1, "未当选"), (4, 0, "未当选"))
    ):
        cells = rows.nth(index).locator("td")
        expect(cells.nth(0)).to_have_text(label(number))
        expect(cells.nth(1)).to_have_text(str(votes))
        expect(cells.nth(2)).to_have_text(outcome)
    expect(result.get_by_role("link", name=TITLES[2])).to_be_visible()  # a chosen project's page
    expect(result.get_by_role("link", name=TITLES[3])).to_have_count(0)
    assert_no_serious_axe_violations(public, "public result page")
    assert_fits_the_phone(public, "public result page")
    assert_stayed_on_live_server(visitor, live_server)
    assert_stayed_on_live_server(wang, live_server)
