"""直通车 in headless Chromium: a deputy on a phone raises an issue in 代表e站, the department
signs and replies in the admin, and the deputy rates the reply on the phone."""

import pytest
from playwright.sync_api import expect

from base.roles import Role, department_group_name, role_group_name
from content.models import Membership
from duties.models import DeputyAccount
from tests.browser.conftest import DESKTOP_VIEWPORT, PHONE_VIEWPORT
from tests.browser.test_opinion_flow import act, sign_in
from tests.browser.test_public_walkthrough import assert_no_serious_axe_violations
from tests.conftest import make_deputy, role_user
from workflows.models import Department, Opinion

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def people(two_streets):
    department = Department.objects.create(name="区交通运输局")
    deputy = make_deputy("王芳")
    Membership.objects.create(station=two_streets["station"], deputy=deputy)
    account = role_user("wang-fang", role_group_name(Role.DEPUTY))
    DeputyAccount.objects.create(deputy=deputy, user=account)
    role_user("jtj-clerk", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(department))
    return {"deputy": deputy}


def test_a_deputy_raises_an_issue_the_department_replies_and_the_deputy_rates_it(live_server, people, open_page):
    phone = open_page(PHONE_VIEWPORT).page
    sign_in(phone, live_server, "wang-fang")
    phone.goto(live_server.url + "/e/")
    expect(phone.get_by_role("heading", name="代表e站")).to_be_visible()
    assert_no_serious_axe_violations(phone, "portal home")
    phone.get_by_role("link", name="直通车").click()
    phone.get_by_label("分类").select_option(label="交通出行")
    phone.get_by_label("承办单位").select_option(label="区交通运输局")
    phone.get_by_label("标题").fill("东平巷口信号灯配时过短")
    phone.get_by_label("事项内容").fill("老人过马路来不及，建议延长行人绿灯时间。")
    assert_no_serious_axe_violations(phone, "direct form")
    phone.get_by_role("button", name="提交并交办").click()
    expect(phone.locator(".portal-messages")).to_contain_text("已直接交办区交通运输局")
    opinion = Opinion.objects.get()
    assert opinion.state == "assigned" and opinion.originator == people["deputy"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    handler = open_page(DESKTOP_VIEWPORT).page
    sign_in(handler, live_server, "jtj-clerk")
    handler.goto(live_server.url + "/admin/opinions/")
    handler.get_by_role("link", name=opinion.receipt_no).first.click()
    act(handler, "sign")
    act(handler, "reply", {"outcome": "已解决", "text": "已将行人绿灯延长至 30 秒。"})

    phone.goto(live_server.url + "/e/")
    expect(phone.locator("body")).to_contain_text("已将行人绿灯延长至 30 秒。")
    phone.get_by_role("button", name="满意", exact=True).click()
    expect(phone.locator(".portal-messages")).to_contain_text("已评价")
    opinion.refresh_from_db()
    assert (opinion.state, opinion.rating) == ("evaluated", "satisfied")
