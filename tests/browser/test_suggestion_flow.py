"""代表建议 round the whole loop in headless Chromium, each person in their own browser.

Deputy 王芳 drafts a suggestion on her phone in 代表e站 and asks 李强 to co-sign; he confirms
on his phone; she submits it for pre-review. The liaison office (代表工委) returns it with a
comment, she revises and resubmits, and the office files it with its number and assigns a
lead and a co-handling department. Both departments sign for it; the co-handler sends its
opinion and the lead department replies. 王芳 rates the reply 不满意, the department replies
again, she rates it 满意 and the suggestion is closed. The office approves it for the public
page, where an anonymous visitor reads it with both replies and the deputies' names.
"""

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from django.utils import timezone

from base.roles import Role, department_group_name, role_group_name
from content.models import Membership
from duties.models import DeputyAccount
from suggestions.assignment import ASSIGNMENTS
from suggestions.drafting import SUGGESTIONS
from suggestions.models import Suggestion
from tests.browser.conftest import DESKTOP_VIEWPORT, PHONE_VIEWPORT
from tests.browser.test_opinion_flow import act as admin_act
from tests.browser.test_opinion_flow import sign_in
from tests.browser.test_public_walkthrough import assert_no_serious_axe_violations, assert_stayed_on_live_server
from tests.conftest import make_deputy, role_user
from workflows.models import Department

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TITLE = "关于延长东平巷路口行人绿灯时间的建议"
PROBLEM = "东平巷路口行人绿灯只有15秒，老人和带孩子的居民过马路来不及，已发生多次险情。"
MEASURES = "建议把行人绿灯延长到30秒。"
REVISED_MEASURES = "建议把行人绿灯延长到30秒，并增设倒计时提示和安全岛。"
RETURN_COMMENT = "请补充具体措施，例如倒计时提示。"
CO_OPINION = "同意延长绿灯，我局配合在路口设置提示牌。"
FIRST_REPLY = "已列入明年路口改造计划，届时将行人绿灯延长至30秒。"
SECOND_REPLY = "已于本月将行人绿灯延长至30秒，并增设倒计时提示。"


@pytest.fixture
def people(two_streets):
    station = two_streets["station"]
    deputies = {}
    for username, name in (("wang-fang", "王芳"), ("li-qiang", "李强")):
        deputies[name] = make_deputy(name)
        Membership.objects.create(station=station, deputy=deputies[name])
        DeputyAccount.objects.create(deputy=deputies[name], user=role_user(username, role_group_name(Role.DEPUTY)))
    lead_department = Department.objects.create(name="区公安分局交警大队")
    co_department = Department.objects.create(name="区城管局")
    handler = role_group_name(Role.DEPARTMENT_HANDLER)
    role_user("office", role_group_name(Role.DISTRICT_ADMIN))
    role_user("jj-clerk", handler, department_group_name(lead_department))
    role_user("cg-clerk", handler, department_group_name(co_department))
    return {"lead": deputies["王芳"], "cosigner": deputies["李强"]}


def act(page: Page, process, transition: str, fields: dict | None = None, checks: tuple = ()):
    """One action on an admin detail page of `process` (the opinion flow's helper)."""
    admin_act(page, transition, fields, checks, process=process)


def portal_step(page: Page, button: str, message: str):
    """Press a step's button on a portal page and wait for the portal's message."""
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator(".portal-messages")).to_contain_text(message)


def assert_fits_the_phone(page: Page, label: str):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_VIEWPORT["width"], f"{label} scrolls sideways on a phone ({width}px)"


def state_of(suggestion: Suggestion) -> str:
    suggestion.refresh_from_db()
    return suggestion.state


def test_a_suggestion_goes_round_the_whole_loop(live_server, people, open_page):
    today = timezone.localdate()

    # 1. Deputy 王芳 drafts the suggestion on her phone, asking 李强 to co-sign it.
    lead_phone = open_page(PHONE_VIEWPORT)
    lead = lead_phone.page
    sign_in(lead, live_server, "wang-fang")
    lead.goto(live_server.url + "/e/suggestions/")
    expect(lead.get_by_role("heading", name="代表建议", level=1)).to_be_visible()
    assert_fits_the_phone(lead, "portal suggestions")
    lead.get_by_role("link", name="起草建议").click()
    expect(lead.get_by_role("heading", name="起草建议")).to_be_visible()
    lead.get_by_label("闭会期间").check()
    lead.get_by_label("标题").fill(TITLE)
    lead.get_by_label("分类").select_option(label="交通出行")
    lead.get_by_label("问题和理由").fill(PROBLEM)
    lead.get_by_label("建议措施").fill(MEASURES)
    lead.get_by_label("李强").check()
    assert_no_serious_axe_violations(lead, "portal draft form")
    assert_fits_the_phone(lead, "portal draft form")
    lead.get_by_role("button", name="保存").click()
    expect(lead.locator(".portal-messages")).to_contain_text("草稿已保存。已请 1 位代表附议，全部确认后可提交预审。")
    expect(lead.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    cosigners = lead.locator("section[aria-labelledby='cosigners-heading']")
    expect(cosigners).to_contain_text("李强 待确认")
    suggestion = Suggestion.objects.get()
    assert (suggestion.state, suggestion.lead, suggestion.kind) == ("draft", people["lead"], "recess")
    assert suggestion.cosigners.get().deputy == people["cosigner"]

    # Submitting before 李强 has answered is refused, with his name.
    portal_step(lead, "提交预审", "还有附议代表未确认：李强")
    assert state_of(suggestion) == "draft"

    # 2. Deputy 李强 finds the request in his own portal and confirms it.
    cosigner = open_page(PHONE_VIEWPORT).page
    sign_in(cosigner, live_server, "li-qiang")
    cosigner.goto(live_server.url + "/e/suggestions/")
    waiting = cosigner.locator("section[aria-labelledby='waiting-heading']")
    expect(waiting).to_contain_text("请我附议（1件）")
    waiting.get_by_role("link", name=TITLE).click()
    expect(cosigner.get_by_role("heading", name="是否附议？")).to_be_visible()
    expect(cosigner.locator("body")).to_contain_text("王芳代表请您附议这件建议")
    assert_fits_the_phone(cosigner, "co-signer's suggestion page")
    portal_step(cosigner, "确认附议", "已确认附议。")
    expect(cosigner.get_by_role("heading", name="是否附议？")).to_have_count(0)
    assert suggestion.cosigners.get().state == "confirmed"

    # 3. 王芳 submits it for pre-review.
    lead.reload()
    expect(cosigners).to_contain_text("李强 已确认附议")
    assert_no_serious_axe_violations(lead, "portal detail (draft)")
    assert_fits_the_phone(lead, "portal detail")
    portal_step(lead, "提交预审", "已提交预审，代表工委审查后会受理立案或退回修改。")
    expect(lead.locator(".lead .badge")).to_have_text("待预审")
    expect(lead.locator("section[aria-labelledby='steps-heading']")).not_to_contain_text("提交预审")
    assert state_of(suggestion) == "review"

    # 4. The liaison office returns it with a comment...
    office = open_page(DESKTOP_VIEWPORT).page
    sign_in(office, live_server, "office")
    office.goto(live_server.url + "/admin/suggestions/")
    office.get_by_role("link", name=TITLE).first.click()
    expect(office.locator("body")).to_contain_text("李强：已确认附议")
    act(office, SUGGESTIONS, "return", {"note": RETURN_COMMENT})
    assert state_of(suggestion) == "returned" and suggestion.review_comment == RETURN_COMMENT

    # ... 王芳 reads the comment, revises the measures and submits it again ...
    lead.reload()
    expect(lead.locator(".lead .badge")).to_have_text("退回修改")
    expect(lead.get_by_role("note")).to_contain_text(RETURN_COMMENT)
    lead.get_by_role("link", name="修改", exact=True).click()
    expect(lead.get_by_role("heading", name="修改建议")).to_be_visible()
    expect(lead.get_by_role("note")).to_contain_text(RETURN_COMMENT)
    expect(lead.get_by_label("李强")).to_be_disabled()  # the co-signers stand after pre-review began
    assert_fits_the_phone(lead, "portal revise form")
    lead.get_by_label("建议措施").fill(REVISED_MEASURES)
    lead.get_by_role("button", name="保存").click()
    expect(lead.locator(".portal-messages")).to_contain_text("修改已保存。")
    expect(lead.locator("body")).to_contain_text("增设倒计时提示和安全岛")
    portal_step(lead, "提交预审", "已提交预审")
    assert state_of(suggestion) == "review" and suggestion.rounds.count() == 2

    # ... and the office, seeing what changed since the first round, files it.
    office.reload()
    rounds = office.locator("section[aria-labelledby='rounds-heading']")
    expect(rounds).to_contain_text("第2轮")
    expect(rounds).to_contain_text("建议措施（与第1轮相比）")
    expect(rounds.locator("ins")).to_contain_text("倒计时提示和安全岛")
    act(office, SUGGESTIONS, "accept")
    suggestion.refresh_from_db()
    number = f"{suggestion.year}年闭会期间第1号"
    assert (suggestion.state, suggestion.serial, suggestion.number) == ("filed", 1, number)
    assert suggestion.year == today.year
    expect(office.locator("body")).to_contain_text(number)

    # 5. The office assigns a lead and a co-handling department.
    act(office, SUGGESTIONS, "assign", {"lead": "区公安分局交警大队"}, checks=("区城管局",))
    assigned = office.locator("section[aria-labelledby='assignments-heading']")
    expect(assigned).to_contain_text("区公安分局交警大队（主办）：待签收")
    expect(assigned).to_contain_text("区城管局（协办）：待签收")
    suggestion.refresh_from_db()
    assert suggestion.state == "assigned" and suggestion.deadline > today
    assert sorted(suggestion.assignments.values_list("department__name", "role", "state")) == [
        ("区公安分局交警大队", "lead", "assigned"),
        ("区城管局", "co", "assigned"),
    ]

    # 6. Both departments sign for it in 承办与签收; the co-handler sends its opinion...
    clerks = {}
    for username, department in (("cg-clerk", "区城管局"), ("jj-clerk", "区公安分局交警大队")):
        clerk = clerks[username] = open_page(DESKTOP_VIEWPORT).page
        sign_in(clerk, live_server, username)
        clerk.goto(live_server.url + "/admin/suggestion_assignments/")
        rows = clerk.locator("main table tbody tr")
        expect(rows).to_have_count(1)  # only its own department's part
        expect(rows).to_contain_text(department)
        rows.get_by_role("link").first.click()
        act(clerk, ASSIGNMENTS, "sign")
    co_clerk, lead_clerk = clerks["cg-clerk"], clerks["jj-clerk"]
    act(co_clerk, ASSIGNMENTS, "send_opinion", {"opinion": CO_OPINION})
    assert sorted(suggestion.assignments.values_list("role", "state")) == [("co", "opined"), ("lead", "signed")]

    # ... and the lead department, having phoned the deputy, replies (B: in its plan).
    lead_clerk.goto(live_server.url + f"/admin/suggestions/inspect/{suggestion.pk}/")
    expect(lead_clerk.locator("section[aria-labelledby='assignments-heading']")).to_contain_text(CO_OPINION)
    reply_fields = {"text": FIRST_REPLY, "contact_method": "电话沟通", "contacted_on": today.isoformat()}
    promised = today + dt.timedelta(days=90)
    act(
        lead_clerk,
        SUGGESTIONS,
        "reply",
        reply_fields | {"promised_on": promised.isoformat()},
        checks=("B类：正在解决或列入计划解决",),
    )
    expect(lead_clerk.locator("section[aria-labelledby='replies-heading']")).to_contain_text(FIRST_REPLY)
    assert state_of(suggestion) == "replied"
    first = suggestion.replies.get()
    assert (first.category, first.contact_method, first.contacted_on, first.promised_on) == (
        "B",
        "phone",
        today,
        promised,
    )

    # 7. 王芳 reads the reply on her phone and is not satisfied: it goes back to the department.
    lead.reload()
    expect(lead.locator(".lead")).to_contain_text(number)
    replies = lead.locator("section[aria-labelledby='replies-heading']")
    expect(replies).to_contain_text("第1次答复 · 区公安分局交警大队")
    expect(replies).to_contain_text(FIRST_REPLY)
    expect(lead.locator("section[aria-labelledby='assignments-heading']")).to_contain_text(
        "区公安分局交警大队（主办，已签收）"
    )
    assert_no_serious_axe_violations(lead, "portal detail (replied)")
    assert_fits_the_phone(lead, "portal detail with a reply")
    lead.get_by_label("不满意", exact=True).check()
    portal_step(lead, "评价答复", "谢谢您的评价。")
    expect(lead.locator(".lead .badge")).to_have_text("重新办理")
    expect(replies).to_contain_text("您的评价：不满意")
    assert state_of(suggestion) == "reopened"

    lead_clerk.reload()
    act(lead_clerk, SUGGESTIONS, "reply", reply_fields | {"text": SECOND_REPLY}, checks=("A类：已解决或基本解决",))
    assert state_of(suggestion) == "replied"
    assert list(suggestion.replies.values_list("number", "category", "rating")) == [
        (1, "B", "unsatisfied"),
        (2, "A", ""),
    ]

    lead.reload()
    expect(replies).to_contain_text("第2次答复 · 区公安分局交警大队")
    expect(replies).to_contain_text(SECOND_REPLY)
    lead.get_by_label("满意", exact=True).check()
    portal_step(lead, "评价答复", "谢谢您的评价。")
    expect(lead.locator(".lead .badge")).to_have_text("办结")
    expect(lead.locator("section[aria-labelledby='steps-heading']")).to_contain_text("等待代表工委预审或办理")
    assert_fits_the_phone(lead, "portal detail, closed")
    assert state_of(suggestion) == "closed"
    assert suggestion.replies.get(number=2).rating == "satisfied"

    # 8. The office approves it for the public page; an anonymous visitor reads it there.
    office.reload()
    act(office, SUGGESTIONS, "publish")
    suggestion.refresh_from_db()
    assert suggestion.published_at is not None

    visitor_phone = open_page(PHONE_VIEWPORT)
    visitor = visitor_phone.page
    visitor.goto(live_server.url + "/suggestions/")
    expect(visitor.get_by_role("heading", name="代表建议办理公开", level=1)).to_be_visible()
    listed = visitor.locator(".result-item")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text(number)
    expect(listed).to_contain_text("王芳领衔，李强附议")
    expect(listed).to_contain_text("主办：区公安分局交警大队")
    expect(listed).to_contain_text("已办结")
    assert_no_serious_axe_violations(visitor, "public suggestions list")
    listed.get_by_role("link", name=TITLE).click()
    expect(visitor.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    facts = visitor.locator("dl.facts")
    expect(facts).to_contain_text("王芳")
    expect(facts).to_contain_text("李强")
    expect(facts).to_contain_text("区公安分局交警大队（主办）")
    expect(facts).to_contain_text("区城管局（协办）")
    main = visitor.locator("main")
    for text in ("第1次答复 · 区公安分局交警大队", FIRST_REPLY, "代表评价：不满意"):
        expect(main).to_contain_text(text)
    for text in ("第2次答复 · 区公安分局交警大队", SECOND_REPLY, "代表评价：满意"):
        expect(main).to_contain_text(text)
    expect(main).to_contain_text(REVISED_MEASURES)
    expect(main).not_to_contain_text(CO_OPINION)  # the co-handler's opinion is internal
    expect(main).not_to_contain_text(RETURN_COMMENT)  # and so is pre-review
    assert_no_serious_axe_violations(visitor, "public suggestion page")
    assert_fits_the_phone(visitor, "public suggestion page")
    assert_stayed_on_live_server(visitor_phone, live_server)
    assert_stayed_on_live_server(lead_phone, live_server)
    assert re.search(rf"/suggestions/{suggestion.pk}/$", visitor.url)
