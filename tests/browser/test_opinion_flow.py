"""The whole loop in headless Chromium, each person in their own browser.

A resident submits an opinion on a phone at a station and keeps the receipt; the station's
staff accept and assign it in the admin; the department signs and replies; the resident looks
it up with the receipt and the last four digits of the phone and rates the reply; staff ask
to publish it, an editor approves, and the result appears on the station's page.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from base.roles import Role, department_group_name, role_group_name
from tests.browser.conftest import DESKTOP_VIEWPORT, PHONE_VIEWPORT
from tests.browser.test_public_walkthrough import assert_no_serious_axe_violations, assert_stayed_on_live_server
from tests.conftest import PASSWORD, role_user, station_user
from workflows.models import Department, Opinion
from workflows.opinions import OPINIONS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def people(two_streets):
    department = Department.objects.create(name="区城市管理局")
    return {
        "station": two_streets["station"],
        "staff": station_user(two_streets["station"], "dongping-staff"),
        "handler": role_user("cgj-clerk", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(department)),
        "editor": role_user("editor", role_group_name(Role.EDITOR)),
    }


def sign_in(page: Page, live_server, username: str):
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("body")).not_to_contain_text("请输入正确的")


def act(page: Page, transition: str, fields: dict | None = None, checks: tuple = (), process=OPINIONS):
    """Fill and submit one action form on an admin detail page (the opinion's by default);
    wait for the success message.

    `fields` are filled (or chosen, for a select) by their name; `checks` are radio buttons
    or checkboxes of the form ticked by their label."""
    form = page.locator(f"form:has(button[data-transition='{transition}'])")
    for name, value in (fields or {}).items():
        field = form.locator(f"[name='{transition}-{name}']")
        if field.evaluate("node => node.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)
    for label in checks:
        form.get_by_label(label, exact=True).check()
    form.locator(f"button[data-transition='{transition}']").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text(f"已{process.by_name[transition].label}。")


def test_an_opinion_goes_round_the_whole_loop(live_server, people, open_page):
    station = people["station"]

    # 1. A resident on a phone, at the station's page.
    resident = open_page(PHONE_VIEWPORT)
    page = resident.page
    page.goto(live_server.url + station.url)
    page.get_by_role("link", name="提交意见建议").click()
    expect(page.get_by_role("heading", name="提交意见建议")).to_be_visible()
    assert_no_serious_axe_violations(page, "opinion form")
    page.get_by_label("意见类别").select_option(label="交通出行")
    page.get_by_label(re.compile(r"^标题")).fill("东平巷夜间停车难")
    page.get_by_label("意见内容").fill("小区周边夜间停车位不足，希望增设临时停车位。")
    page.get_by_label(re.compile(r"^姓名")).fill("张三丰")
    page.get_by_label("手机号码").fill("138 1234 5678")
    page.get_by_label("同意公开答复（不公开姓名和电话）").check()
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("heading", name="意见已收到")).to_be_visible()
    assert_no_serious_axe_violations(page, "receipt")
    receipt_no = re.search(r"YJ\d{12}", page.locator(".receipt-number").inner_text()).group(0)
    rate_link = page.locator("a[href*='/opinions/rate/']").get_attribute("href")
    opinion = Opinion.objects.get(receipt_no=receipt_no)
    assert opinion.channel == "online" and opinion.citizen_phone == "13812345678"

    # 2. The station's staff accept and assign it.
    staff = open_page(DESKTOP_VIEWPORT).page
    sign_in(staff, live_server, "dongping-staff")
    staff.goto(live_server.url + "/admin/")
    expect(staff.locator("body")).to_contain_text("我的待办")
    staff.goto(live_server.url + f"/admin/opinions/inspect/{opinion.pk}/")
    expect(staff.locator("body")).to_contain_text("张**")
    act(staff, "accept")
    act(staff, "assign", {"department": "区城市管理局", "workdays": "5"})
    expect(staff.locator("body")).to_contain_text("已交办")

    # 3. The department signs and replies.
    handler = open_page(DESKTOP_VIEWPORT).page
    sign_in(handler, live_server, "cgj-clerk")
    handler.goto(live_server.url + "/admin/opinions/")
    handler.get_by_role("link", name=receipt_no).first.click()
    act(handler, "sign")
    act(handler, "reply", {"outcome": "已解决", "text": "已协调增设夜间临时泊位 20 个。"})

    # 4. The resident looks it up and rates the reply.
    page.goto(live_server.url + "/opinions/status/")
    page.get_by_label("回执编号").fill(receipt_no)
    page.get_by_label("手机号后四位").fill("5678")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("body")).to_contain_text("已协调增设夜间临时泊位 20 个。")
    assert receipt_no not in page.url and "5678" not in page.url  # sent as a POST, not in the address
    assert_no_serious_axe_violations(page, "status page")
    page.goto(rate_link if rate_link.startswith("http") else live_server.url + rate_link)
    page.get_by_label("满意", exact=True).check()
    page.get_by_role("button", name="提交评价").click()
    expect(page.locator("body")).to_contain_text("感谢您的评价")

    # 5. Staff ask to publish it; an editor approves; it shows on the station's page.
    staff.goto(live_server.url + f"/admin/opinions/inspect/{opinion.pk}/")
    act(staff, "request_publication", {"summary": "东平巷夜间停车难，已增设临时泊位"})
    editor = open_page(DESKTOP_VIEWPORT).page
    sign_in(editor, live_server, "editor")
    editor.goto(live_server.url + f"/admin/opinions/inspect/{opinion.pk}/")
    act(editor, "approve_publication")

    page.goto(live_server.url + station.url)
    results = page.locator("section[aria-labelledby='results-heading']")
    expect(results).to_contain_text("东平巷夜间停车难，已增设临时泊位")
    expect(results).to_contain_text("已协调增设夜间临时泊位 20 个。")
    expect(page.locator("body")).not_to_contain_text("张三丰")
    assert_stayed_on_live_server(resident, live_server)
    opinion.refresh_from_db()
    assert (opinion.state, opinion.publication, opinion.rating) == ("evaluated", "approved", "satisfied")
