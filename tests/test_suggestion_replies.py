"""Replies to deputy suggestions: only the lead department replies, after signing for it and
contacting the deputy; A/B/C with a promised date for B; the lead deputy rates it, 不满意
reopening it with a shorter deadline and keeping the first reply; a B promise past its date
waits in the office's to-dos. Bad input and races are refused with a reason, nothing stored."""

from __future__ import annotations

import datetime as dt

import pytest

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from base.roles import Role, department_group_name, role_group_name
from suggestions.assignment import ASSIGNMENTS
from suggestions.drafting import SUGGESTIONS, SuggestionError
from suggestions.models import SuggestionReply, SuggestionState
from tests.conftest import role_user
from tests.test_suggestion_drafting import TODAY, SuggestionDriver
from tests.test_suggestion_drafting import world as world  # noqa: F401 - the shared fixture
from workflows.process import Conflict, NotAllowed, TransitionError

pytestmark = pytest.mark.django_db
S = SuggestionState


@pytest.fixture
def driver(world):
    return SuggestionDriver(world)


def reply(driver, suggestion, **overrides):
    data = SuggestionDriver.reply_data() | overrides
    return SUGGESTIONS.perform(suggestion, "reply", user=driver.world["lead_handler"], **data)


BAD_REPLIES = {
    "no contact with the deputy": ({"contact_method": "", "contacted_on": None}, "答复前须与领衔代表沟通"),
    "a contact date in the future": ({"contacted_on": TODAY + dt.timedelta(days=1)}, "沟通日期不能晚于今天"),
    "a B reply without the promised date": ({"category": "B"}, "B类答复须写明承诺解决的日期"),
    "no category": ({"category": "D"}, "请选择答复类别"),
    "an attachment that is neither PDF nor image": (
        {"attachment": SimpleUploadedFile("reply.exe", b"MZ\x90\x00 not a document")},
        "须为 PDF 文件或 JPG、PNG、WebP 图片",
    ),
}


@pytest.mark.parametrize("case", BAD_REPLIES, ids=list(BAD_REPLIES))
def test_bad_replies_are_refused_and_store_nothing(driver, case):
    change, message = BAD_REPLIES[case]
    suggestion = driver.bring(S.ASSIGNED)
    with pytest.raises(TransitionError, match=message):
        reply(driver, suggestion, **change)
    assert not SuggestionReply.objects.exists() and SUGGESTIONS.model.objects.get().state == S.ASSIGNED


def test_the_lead_department_signs_before_replying_and_co_handlers_never_reply(driver, world):
    suggestion = driver.bring(S.FILED)
    suggestion = SUGGESTIONS.perform(suggestion, "assign", user=world["office"], **driver.assign_data())
    with pytest.raises(SuggestionError, match="还没有签收这件建议，请先签收"):
        reply(driver, suggestion)
    co_handler = role_user(
        "cg-handler", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(world["co_department"])
    )
    co = suggestion.assignments.get(role="co")
    co = ASSIGNMENTS.perform(co, "sign", user=co_handler)
    ASSIGNMENTS.perform(co, "send_opinion", user=co_handler, opinion="同意，配合增设提示牌。")
    with pytest.raises(NotAllowed):
        SUGGESTIONS.perform(suggestion, "reply", user=co_handler, **SuggestionDriver.reply_data())
    assert not SuggestionReply.objects.exists()


def test_two_replies_at_once_one_wins(driver):
    suggestion = driver.bring(S.ASSIGNED)
    seen = suggestion.version
    reply(driver, suggestion, expected_version=seen)
    with pytest.raises(Conflict):
        reply(driver, suggestion, expected_version=seen, text="另一份答复")
    assert SuggestionReply.objects.count() == 1


def test_unsatisfied_reopens_with_a_shorter_deadline_and_keeps_the_first_reply(driver, world):
    suggestion = driver.bring(S.ASSIGNED)
    suggestion = reply(driver, suggestion, category="C", text="因资金所限，留作参考。")
    with pytest.raises(NotAllowed):  # a co-signer does not rate
        SUGGESTIONS.perform(suggestion, "rate", user=world["李强"], rating="satisfied")
    suggestion = SUGGESTIONS.perform(suggestion, "rate", user=world["王芳"], rating="unsatisfied")
    assert suggestion.state == S.REOPENED
    assert suggestion.deadline == dt.date(2026, 12, 30)  # one month from 30 November, a working day
    suggestion = reply(driver, suggestion, category="A", text="已协调资金，完成改造。")
    suggestion = SUGGESTIONS.perform(suggestion, "rate", user=world["王芳"], rating="satisfied")
    assert suggestion.state == S.CLOSED
    assert list(suggestion.replies.values_list("number", "category", "rating")) == [
        (1, "C", "unsatisfied"),
        (2, "A", "satisfied"),
    ]


def test_a_b_promise_past_its_date_waits_for_the_office_to_follow_it_up(driver, world):
    before = SUGGESTIONS.todo_counts(world["office"])["promise_passed"]
    suggestion = driver.bring(S.CLOSED)  # a B reply, rated 满意, its promised date since passed
    assert SUGGESTIONS.todo_counts(world["office"])["promise_passed"] == before + 1
    SUGGESTIONS.perform(suggestion, "follow_up", user=world["office"], note="已完成改造，居民反映良好。")
    assert SUGGESTIONS.todo_counts(world["office"])["promise_passed"] == before
    assert suggestion.replies.get().followed_up_at is not None


def test_a_pdf_attachment_is_kept_privately_and_shown_to_those_who_see_the_suggestion(client, driver, world):
    suggestion = driver.bring(S.ASSIGNED)
    pdf = SimpleUploadedFile("答复函.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n")
    reply(driver, suggestion, attachment=pdf)
    stored = SuggestionReply.objects.get()
    assert stored.attachment.name.endswith(".pdf") and "答复函" not in stored.attachment.name
    client.force_login(world["office"])
    url = reverse("suggestions:attachment", args=[stored.pk])
    assert url in client.get(reverse("suggestions:inspect", args=[suggestion.pk])).content.decode()
    assert client.get(url).status_code == 200
    client.force_login(world["secretary"])
    assert client.get(url).status_code == 404


def test_the_deputy_reads_the_reply_and_rates_it_in_the_portal(client, driver, world):
    suggestion = reply(driver, driver.bring(S.ASSIGNED), category="A")
    client.force_login(world["王芳"])
    url = reverse("suggestion_portal:detail", args=[suggestion.pk])
    page = client.get(url).content.decode()
    assert "已将行人绿灯延长至30秒。" in page and "A类：已解决或基本解决" in page and "评价答复" in page
    client.post(url, {"action": "rate", "rate-version": suggestion.version, "rate-rating": "basically"})
    suggestion.refresh_from_db()
    assert suggestion.state == S.CLOSED and suggestion.replies.get().rating == "basically"
