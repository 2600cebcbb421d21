"""The browsable API description (/api/schema/docs/) in a real browser under the site's CSP:
the interfaces are listed, an operation opens, nothing is refused and nothing leaves the site."""

import pytest
from playwright.sync_api import expect

from django.urls import reverse

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_api_docs_page_renders_the_interfaces_without_console_errors(live_server, open_page):
    recording = open_page()
    page = recording.page
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    response = page.goto(live_server.url + reverse("api:schema_docs"))
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("联络 Lianluo 开放接口")
    expect(page.get_by_text("Popolo 全量文档")).to_be_visible()
    expect(page.get_by_text("全区（或一个街道）的接待日日历")).to_be_visible()

    page.get_by_text("一位代表（Popolo Person）").click()
    expect(page.get_by_text("没有找到（JSON 错误，中文说明）")).to_be_visible()
    # The stock page's layout rules come from our static file, not an inline <style>.
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"

    assert problems == []
    assert recording.foreign_requests(live_server.url) == []
