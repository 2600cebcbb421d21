"""立法征询 in headless Chromium at phone size: a resident reads a draft at a contact point,
comments on one article, keeps the receipt, and after the law is passed opens the receipt
again (and finds it by its number) to see what became of the comment.

The contact point's staff publish the comment, compile it, report it and mark its adoption
through the real processes between the two visits.
"""

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from django.utils import timezone

from legislation.comments import COMMENTS
from legislation.compilation import mark_adoption, save_compiled
from legislation.consultations import CONSULTATIONS
from legislation.drafts import designate, publish_draft
from legislation.models import Adoption, Comment, CommentState, CompiledOpinion
from tests.browser.conftest import PHONE_VIEWPORT
from tests.browser.test_livelihood_vote import assert_fits_the_phone
from tests.browser.test_public_walkthrough import assert_no_serious_axe_violations, assert_stayed_on_live_server
from tests.conftest import station_user
from tests.test_legislation import TEXT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
COMMENT = "建议把业主委员会的任期改为三年，和居委会换届同步，方便居民监督。"
PASSED = "业主委员会由业主大会选举产生，每届任期三年。"


@pytest.fixture
def world(two_streets):
    station = two_streets["station"]
    designate(station)
    staff = station_user(station)
    today = timezone.localdate()
    page = publish_draft(
        station,
        title="物业管理条例修订草案征求意见稿",
        text=TEXT,
        source="省人大常委会法制工作委员会",
        opens_on=today - dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=10),
        return_by=today + dt.timedelta(days=20),
    )
    consultation = CONSULTATIONS.perform(page.consultation, "open", user=staff)
    return {"station": station, "staff": staff, "consultation": consultation, "today": today}


def law_passed(world, comment: Comment) -> None:
    """What the staff do between the two visits, through the real processes."""
    staff, consultation = world["staff"], world["consultation"]
    COMMENTS.perform(comment, "publish", user=staff)
    consultation = CONSULTATIONS.perform(consultation, "close", user=staff)
    save_compiled(consultation, comment.article, "建议将业主委员会任期由五年改为三年。", user=staff)
    consultation = CONSULTATIONS.perform(
        consultation, "submit", user=staff, submitted_on=world["today"], submitted_to="省人大常委会法工委"
    )
    compiled = CompiledOpinion.objects.get(consultation=consultation, article=comment.article)
    mark_adoption(compiled, Adoption.ADOPTED, PASSED, "任期改为三年。", user=staff)
    CONSULTATIONS.perform(consultation, "feed_back", user=staff, passed_title="物业管理条例", passed_on=world["today"])


def test_a_resident_comments_on_an_article_by_phone_and_later_sees_it_adopted(live_server, world, open_page):
    resident = open_page(PHONE_VIEWPORT)
    phone: Page = resident.page
    phone.goto(live_server.url + world["station"].url)
    phone.get_by_role("link", name="物业管理条例修订草案征求意见稿").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("物业管理条例修订草案征求意见稿")
    article = phone.locator("#art-4")
    expect(article).to_contain_text("每届任期五年")
    assert_no_serious_axe_violations(phone, "draft page")
    assert_fits_the_phone(phone, "draft page")

    article.get_by_role("link", name="对第四条提意见").click()
    expect(phone.get_by_label("对哪一条提意见")).to_have_value("4")
    phone.get_by_role("button", name="提交意见").click()  # nothing filled in: refused, nothing stored
    expect(phone.get_by_role("alert")).to_contain_text("请填写意见内容")
    assert not Comment.objects.exists()
    phone.get_by_label("意见内容").fill(COMMENT)
    phone.get_by_label("姓名").fill("张建国")
    phone.get_by_label("手机号码").fill("138 1234 5678")
    phone.get_by_role("button", name="提交意见").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("您的意见已收到")
    comment = Comment.objects.get()
    assert (comment.article.number, comment.state) == (4, CommentState.SUBMITTED)
    expect(phone.locator(".receipt-number")).to_contain_text(comment.receipt_no)
    expect(phone.locator("main")).to_contain_text("法规通过后，这里会显示采纳情况")
    expect(phone.locator("body")).not_to_contain_text("13812345678")
    assert_no_serious_axe_violations(phone, "receipt")
    assert_fits_the_phone(phone, "receipt")
    receipt_url = phone.url

    law_passed(world, comment)

    phone.goto(receipt_url)
    result = phone.locator(".adoption-result")
    expect(result).to_contain_text("采纳情况：采纳")
    expect(result).to_contain_text(PASSED)
    expect(result).to_contain_text("采纳率为 100%")
    assert_fits_the_phone(phone, "receipt with the result")

    # Without the link: the receipt number and the phone's last four digits find it.
    phone.get_by_role("link", name="查询").click()
    phone.get_by_label("回执编号").fill(comment.receipt_no)
    phone.get_by_label("手机号后四位").fill("5678")
    phone.get_by_role("button", name="查询").click()
    expect(phone.locator(".adoption-result")).to_contain_text("采纳情况：采纳")

    phone.get_by_role("link", name="第四条").click()
    expect(phone.locator(".adoption-summary")).to_contain_text("采纳率 100%")
    expect(phone.locator("#art-4")).to_contain_text("采纳")
    assert_stayed_on_live_server(resident, live_server)
