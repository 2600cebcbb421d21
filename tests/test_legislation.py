"""立法征询 at a grassroots legislative contact point: a draft's articles with stable anchors,
comments from phones and entered offline, moderation, the compilation and its Word and Excel
report, the adoption fed back to each commenter through their receipt, and who may do what.
The two processes (the consultation, the comments) go through the generated contract."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from docx import Document
from openpyxl import load_workbook

from django.core.exceptions import ValidationError
from django.urls import reverse

from base.models import AuditEvent
from base.roles import Role, role_group_name
from legislation.articles import ArticleError, chinese_number, parse_articles
from legislation.comments import COMMENTS, CommentError, CommentInput, submit_comment
from legislation.compilation import CompilationError, adoption_figures, mark_adoption, save_compiled
from legislation.consultations import CONSULTATIONS
from legislation.drafts import designate, publish_draft
from legislation.exports import COLUMNS, as_docx, as_xlsx
from legislation.models import (
    Adoption,
    Article,
    Comment,
    CommentChannel,
    CommentState,
    CompiledOpinion,
    Consultation,
    ConsultationState,
    DraftPage,
    Expert,
    LegislationAction,
)
from legislation.public_views import receipt_token
from tests.conftest import role_user, station_user, street_user
from workflows.process import TransitionError

pytestmark = pytest.mark.django_db
C, CS = ConsultationState, CommentState
TODAY = dt.date(2026, 12, 4)

TEXT = """杭州市物业管理条例（修订草案征求意见稿）
目录
第一章 总则
第二章 业主大会
第一章 总则
第一条 为了规范物业管理活动，维护业主、物业服务人的合法权益，制定本条例。
第二条 本条例适用于本市行政区域内的物业管理活动。
第二章 业主大会
第一节 业主大会的成立
第三条 一个物业管理区域成立一个业主大会。
业主大会由物业管理区域内的全体业主组成。
第二节 业主委员会
第四条 业主委员会由业主大会选举产生，每届任期五年。
第五条 业主委员会委员应当是本物业管理区域内的业主。
"""


@pytest.fixture
def world(two_streets, street, fixed_today):
    fixed_today(TODAY)
    station = two_streets["station"]
    designate(station)
    return {
        **two_streets,
        "staff": station_user(station),
        "street": street,
        "secretary": street_user(street),
        "office": role_user("office", role_group_name(Role.DISTRICT_ADMIN)),
        "auditor": role_user("auditor", role_group_name(Role.AUDITOR)),
        "outsider": street_user(two_streets["other_street"], "qingbo-secretary"),
        "other_staff": station_user(two_streets["other_station"], "qingbo-staff"),
    }


def new_draft(world, **fields) -> DraftPage:
    values = {
        "title": "《杭州市物业管理条例（修订草案）》征求意见稿",
        "text": TEXT,
        "source": "省人大常委会法制工作委员会",
        "document_no": "浙人大法工委〔2026〕12号",
        "opens_on": TODAY - dt.timedelta(days=2),
        "closes_on": TODAY + dt.timedelta(days=10),
        "return_by": TODAY + dt.timedelta(days=20),
    }
    return publish_draft(world["station"], **(values | fields))


def opened(world, **fields) -> Consultation:
    page = new_draft(world, **fields)
    return CONSULTATIONS.perform(page.consultation, "open", user=world["staff"])


def comment(consultation, number=2, content="建议明确物业服务人的范围，包括自行管理的业主。", **fields):
    values = {"name": "张建国", "phone": "13812345678"}
    entry = CommentInput(consultation=consultation, article_number=number, content=content, **(values | fields))
    return submit_comment(entry)[0]


def offline(world, consultation, number=3, content="座谈会上居民提出：业主大会应当允许线上表决。", **fields):
    values = {
        "channel": CommentChannel.FORUM,
        "name": "",
        "phone": "",
        "received_on": TODAY - dt.timedelta(days=1),
        "entered_by": world["staff"],
    }
    entry = CommentInput(consultation=consultation, article_number=number, content=content, **(values | fields))
    return submit_comment(entry)[0]


def form(consultation, **changes):
    values = {
        "article": "2",
        "content": "建议明确物业服务人的范围，包括自行管理的业主。",
        "commenter_name": "张建国",
        "commenter_phone": "138 1234 5678",
        "idempotency_key": "k1",
    }
    return values | changes


def comment_url(consultation) -> str:
    return f"{consultation.page.url}comment/"


# --- The text ----------------------------------------------------------------------------------


def test_the_text_is_read_as_chapters_sections_and_articles_with_clauses():
    articles = parse_articles(TEXT)
    assert [a.label for a in articles] == ["第一条", "第二条", "第三条", "第四条", "第五条"]
    third = articles[2]
    assert (third.chapter, third.section, third.number) == ("第二章 业主大会", "第一节 业主大会的成立", 3)
    assert third.text.split("\n") == ["一个物业管理区域成立一个业主大会。", "业主大会由物业管理区域内的全体业主组成。"]
    assert articles[0].chapter == "第一章 总则"  # the table of contents is not an article


@pytest.mark.parametrize(
    ("numeral", "number"),
    [("一", 1), ("十", 10), ("十二", 12), ("二十", 20), ("一百零五", 105), ("一百二十", 120), ("12", 12)],
)
def test_chinese_article_numbers(numeral, number):
    assert chinese_number(numeral) == number


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("这是一段说明，没有条文。", "没有识别出条文"),
        ("第一条 甲。\n第三条 乙。", "第一条之后是第三条"),
        ("第一条\n第二条 乙。", "第一条没有内容"),
    ],
)
def test_a_text_that_cannot_be_read_as_articles_is_refused_with_where(text, message):
    with pytest.raises(ArticleError, match=message):
        parse_articles(text)


def test_only_a_designated_contact_point_may_hold_drafts(world):
    assert DraftPage.can_create_at(world["station"])
    assert not DraftPage.can_create_at(world["other_station"])


def test_publishing_the_draft_gives_its_articles_stable_anchors_and_the_text_stands_once_commented(world):
    consultation = opened(world)
    page = consultation.page
    assert [a.anchor for a in consultation.articles.order_by("position")] == [f"art-{n}" for n in range(1, 6)]
    comment(consultation)
    page.text = TEXT.replace("每届任期五年", "每届任期三年")
    with pytest.raises(ValidationError, match="已经收到意见，条文不能再修改"):
        page.full_clean()
    assert Article.objects.get(consultation=consultation, number=4).text.endswith("每届任期五年。")


# --- Commenting ------------------------------------------------------------------------------------


def test_a_resident_comments_on_an_article_from_the_page_and_gets_a_receipt(client, world):
    consultation = opened(world)
    page = client.get(consultation.page.url).content.decode()
    assert 'id="art-3"' in page and "第二节 业主委员会" in page and "comment/?article=3" in page
    response = client.post(comment_url(consultation), form(consultation))
    assert response.status_code == 302
    stored = Comment.objects.get()
    assert (stored.article.number, stored.state, stored.commenter_phone) == (2, CS.SUBMITTED, "13812345678")
    receipt = client.get(response["Location"]).content.decode()
    assert stored.receipt_no in receipt and "第二条" in receipt and "法规通过后" in receipt
    assert "张建国" not in receipt and "13812345678" not in receipt
    event = AuditEvent.objects.get(action=LegislationAction.COMMENTED)
    assert event.detail["article"] == "第二条"
    history = stored.history.first()
    assert not hasattr(history, "commenter_phone") and not hasattr(history, "commenter_name")


def test_the_same_comment_sent_twice_is_stored_once(client, world):
    consultation = opened(world)
    first = client.post(comment_url(consultation), form(consultation))
    second = client.post(comment_url(consultation), form(consultation))
    assert first["Location"] == second["Location"] and Comment.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"article": "99"}, "请选择列表中的条文"),
        ({"content": "   "}, "请填写意见内容"),
        ({"content": "长" * 2001}, "不能超过 2000 字"),
        ({"commenter_phone": "12345"}, "11 位中国大陆手机号码"),
        ({"commenter_name": ""}, "请填写姓名"),
    ],
)
def test_bad_comments_are_refused_with_the_reason_and_store_nothing(client, world, changes, message):
    consultation = opened(world)
    response = client.post(comment_url(consultation), form(consultation, **changes))
    assert response.status_code == 400 and message in response.content.decode()
    assert not Comment.objects.exists()


def test_an_article_the_draft_does_not_have_is_refused_by_the_intake_too(world):
    consultation = opened(world)
    with pytest.raises(CommentError, match="没有第 9 条"):
        comment(consultation, number=9)
    assert not Comment.objects.exists()


def test_no_comment_after_the_window(client, world, fixed_today):
    consultation = opened(world)
    fixed_today(TODAY + dt.timedelta(days=11))
    response = client.post(comment_url(consultation), form(consultation))
    assert response.status_code == 403 and "现在不在征集时间内" in response.content.decode()
    with pytest.raises(CommentError, match="现在不能提交意见"):
        comment(consultation)
    assert not Comment.objects.exists()
    assert "对第二条提意见" not in client.get(consultation.page.url).content.decode()


def test_too_many_comments_from_one_phone_get_a_429(client, world, settings):
    settings.LIANLUO_COMMENT_RATE_PHONE = "2/d"
    consultation = opened(world)
    for key in ("a", "b"):
        assert client.post(comment_url(consultation), form(consultation, idempotency_key=key)).status_code == 302
    third = client.post(comment_url(consultation), form(consultation, idempotency_key="c"))
    assert third.status_code == 429 and Comment.objects.count() == 2


def test_staff_enter_offline_comments_once_with_their_channel_and_experts_are_named(client, world):
    consultation = opened(world)
    entered = offline(world, consultation)
    assert (entered.state, entered.channel, entered.entered_by) == (CS.PUBLISHED, "forum", world["staff"])
    with pytest.raises(CommentError, match=f"已经录入（回执编号 {entered.receipt_no}）"):
        offline(world, consultation, content="座谈会上居民提出：业主大会应当允许 线上表决。")
    with pytest.raises(CommentError, match="不在意见征集时间"):
        offline(world, consultation, content="来信：建议增加物业费公示。", received_on=TODAY - dt.timedelta(days=5))
    expert = Expert.objects.create(
        contact_point=world["station"].legislative_contact_point, name="周立", title="浙江大学光华法学院教授"
    )
    opinion = offline(
        world, consultation, number=4, channel=CommentChannel.EXPERT, expert=expert, content="任期五年过长，建议三年。"
    )
    article = client.get(f"{consultation.page.url}articles/4/").content.decode()
    assert "专家顾问 周立（浙江大学光华法学院教授）" in article and opinion.content in article
    assert Comment.objects.count() == 2


def test_staff_enter_an_offline_comment_in_the_admin(client, world):
    consultation = opened(world)
    client.force_login(world["staff"])
    url = reverse("legislation_comments:add")
    data = {
        "consultation": consultation.pk,
        "article_number": 3,
        "channel": "letter",
        "commenter_name": "李梅",
        "commenter_phone": "",
        "received_on": TODAY.isoformat(),
        "content": "来信建议：业主大会筹备组中应有社区代表。",
    }
    assert client.post(url, data).status_code == 302
    stored = Comment.objects.get()
    assert (stored.channel, stored.article.number, stored.entered_by) == ("letter", 3, world["staff"])
    again = client.post(url, data)
    assert again.status_code == 200 and "不要重复录入" in again.content.decode()
    assert Comment.objects.count() == 1
    client.force_login(world["other_staff"])
    outside = client.post(url, data | {"content": "另一封来信的内容。"})
    assert outside.status_code == 200 and Comment.objects.count() == 1


# --- Moderation, compilation, report, adoption ---------------------------------------------------


def compiled_and_submitted(world):
    consultation = opened(world)
    first = comment(consultation, content="建议明确物业服务人的范围。", idempotency_key="a")
    twin = comment(consultation, content="物业服务人范围应当写清楚。", idempotency_key="b", phone="13912345678")
    whole = comment(consultation, number=None, content="建议整部条例增加对老旧小区的专门规定。", idempotency_key="c")
    spam = comment(consultation, number=3, content="出售二手车，价格优惠。", idempotency_key="d")
    staff = world["staff"]
    first = COMMENTS.perform(first, "publish", user=staff)
    COMMENTS.perform(twin, "merge", user=staff, into=first)
    COMMENTS.perform(whole, "withhold", user=staff, reason="涉及个人住址。")
    COMMENTS.perform(spam, "reject", user=staff, reason="与草案无关。")
    offline(world, consultation, number=2, content="座谈会：物业服务人应包括其他管理人。")
    consultation = CONSULTATIONS.perform(consultation, "close", user=staff)
    return consultation, first, spam


def test_the_compilation_is_written_per_article_and_submitted_only_when_complete(world):
    consultation, first, _spam = compiled_and_submitted(world)
    staff = world["staff"]
    with pytest.raises(TransitionError, match="第二条"):
        CONSULTATIONS.perform(consultation, "submit", user=staff, submitted_on=TODAY, submitted_to="省人大常委会法工委")
    article = Article.objects.get(consultation=consultation, number=2)
    save_compiled(consultation, article, "建议第二条明确物业服务人包括物业服务企业和其他管理人。", user=staff)
    save_compiled(consultation, None, "建议增加老旧小区专门规定。", user=staff)
    consultation = CONSULTATIONS.perform(
        consultation, "submit", user=staff, submitted_on=TODAY, submitted_to="省人大常委会法工委"
    )
    assert consultation.state == C.SUBMITTED
    with pytest.raises(CompilationError, match="只有汇总整理中才能修改"):
        save_compiled(consultation, article, "改。", user=staff)
    assert AuditEvent.objects.filter(action=LegislationAction.COMPILED).count() == 2


def test_the_word_report_has_the_standing_committees_layout(world):
    consultation, _first, _spam = compiled_and_submitted(world)
    article = Article.objects.get(consultation=consultation, number=2)
    save_compiled(consultation, article, "建议第二条明确物业服务人的范围。", user=world["staff"])
    document = Document(io.BytesIO(as_docx(consultation)))
    assert document.paragraphs[0].text == "关于《《杭州市物业管理条例（修订草案）》征求意见稿》的意见建议汇总表"
    assert any("共收到意见 4 条" in p.text for p in document.paragraphs)  # the rejected one does not count
    (table,) = document.tables
    assert [cell.text for cell in table.rows[0].cells] == COLUMNS
    whole, second = table.rows[1].cells, table.rows[2].cells
    assert (whole[1].text, whole[5].text) == ("整体意见", "1")
    assert second[1].text == "第二条" and second[2].text.startswith("本条例适用于本市行政区域内")
    comments = second[3].text.split("\n")
    assert comments[0] == "1. （网上提交）建议明确物业服务人的范围。（另有 1 人提出相同意见）"
    assert comments[1] == "2. （座谈会）座谈会：物业服务人应包括其他管理人。"
    assert (second[4].text, second[5].text) == ("建议第二条明确物业服务人的范围。", "3")
    assert len(table.rows) == 3  # the rejected comment on 第三条 makes no line
    text = "\n".join(cell.text for row in table.rows for cell in row.cells)
    assert "张建国" not in text and "13812345678" not in text


def test_the_excel_report_has_the_same_lines(world):
    consultation, _first, _spam = compiled_and_submitted(world)
    sheet = load_workbook(io.BytesIO(as_xlsx(consultation))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = rows.index(COLUMNS)
    assert [row[1] for row in rows[header + 1 :]] == ["整体意见", "第二条"]
    assert rows[header + 2][5] == 3


def submit(consultation, staff):
    return CONSULTATIONS.perform(
        consultation, "submit", user=staff, submitted_on=TODAY, submitted_to="省人大常委会法工委"
    )


def passed_law(consultation, staff):
    return CONSULTATIONS.perform(
        consultation, "feed_back", user=staff, passed_title="杭州市物业管理条例", passed_on=TODAY
    )


def feed_back(world):
    consultation, first, spam = compiled_and_submitted(world)
    staff = world["staff"]
    second = Article.objects.get(consultation=consultation, number=2)
    save_compiled(consultation, second, "建议第二条明确物业服务人的范围。", user=staff)
    save_compiled(consultation, None, "建议增加老旧小区专门规定。", user=staff)
    consultation = CONSULTATIONS.perform(
        consultation, "submit", user=staff, submitted_on=TODAY, submitted_to="省人大常委会法工委"
    )
    compiled = CompiledOpinion.objects.get(consultation=consultation, article=second)
    with pytest.raises(CompilationError, match="请填写通过文本"):
        mark_adoption(compiled, Adoption.ADOPTED, "", "", user=staff)
    mark_adoption(
        compiled,
        Adoption.PARTLY,
        "本条例所称物业服务人，包括物业服务企业和其他管理人。",
        "采纳了范围的意见。",
        user=staff,
    )
    with pytest.raises(TransitionError, match="1 条汇总意见没有标注"):
        passed_law(consultation, staff)
    whole = CompiledOpinion.objects.get(consultation=consultation, article=None)
    mark_adoption(whole, Adoption.NOT_ADOPTED, "", "另行制定老旧小区改造办法。", user=staff)
    consultation = CONSULTATIONS.perform(
        consultation, "feed_back", user=staff, passed_title="杭州市物业管理条例", passed_on=TODAY
    )
    return consultation, first, spam


def test_after_the_law_passes_each_commenter_sees_the_adoption_and_the_page_the_rate(client, world):
    consultation, first, spam = feed_back(world)
    figures = adoption_figures(consultation)
    assert (figures.compiled, figures.partly, figures.not_adopted, figures.percent) == (2, 1, 1, "50%")
    receipt = client.get(reverse("legislation_receipt", args=[receipt_token(first)]))
    page = receipt.content.decode()
    assert '采纳情况：<span class="badge">部分采纳</span>' in page
    assert "本条例所称物业服务人，包括物业服务企业和其他管理人。" in page and "采纳率为 50%" in page
    draft = client.get(consultation.page.url).content.decode()
    assert '采纳率 <span class="adoption-rate">50%</span>' in draft and "部分采纳" in draft
    merged = Comment.objects.get(state=CS.MERGED)
    assert "部分采纳" in client.get(reverse("legislation_receipt", args=[receipt_token(merged)])).content.decode()
    rejected = client.get(reverse("legislation_receipt", args=[receipt_token(spam)])).content.decode()
    assert "没有列入汇总" in rejected and "与草案无关" in rejected


def test_the_contact_points_page_lists_its_drafts_open_for_comment(client, world):
    consultation = opened(world)
    page = client.get(world["station"].url).content.decode()
    assert "立法意见征集" in page and consultation.page.url in page
    assert "立法意见征集" not in client.get(world["other_station"].url).content.decode()


def test_staff_create_a_draft_in_the_page_editor_and_a_broken_text_is_refused(client, world):
    client.force_login(world["staff"])
    url = reverse("wagtailadmin_pages:add", args=["legislation", "draftpage", world["station"].pk])
    assert client.get(url).status_code == 200
    data = {
        "title": "养老服务条例征求意见稿",
        "slug": "yanglao",
        "source": "省人大常委会法制工作委员会",
        "document_no": "",
        "return_by": "2026-12-30",
        "opens_on": "2026-12-05",
        "closes_on": "2026-12-20",
        "intro": "",
        "text": "第一条 甲。\n第三条 乙。",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200 and "第一条之后是第三条" in refused.content.decode()
    assert not DraftPage.objects.exists()
    assert client.post(url, data | {"text": "第一条 甲。\n第二条 乙。"}).status_code == 302
    assert DraftPage.objects.get().title == "养老服务条例征求意见稿"
    other = reverse("wagtailadmin_pages:add", args=["legislation", "draftpage", world["other_station"].pk])
    assert client.get(other).status_code in (302, 403, 404)
