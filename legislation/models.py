"""Grassroots legislative contact points (基层立法联系点).

A station marked as a contact point (`ContactPoint`) receives drafts of laws and regulations
sent down for comment by a congress standing committee. Each draft is a Wagtail page under
the station (`DraftPage`): its text, split into chapters and articles (章/条/款) with stable
anchors, is what the public reads and comments on. The consultation itself — the comment
window, moderation, the compilation, the report to the standing committee and the adoption
fed back — is the audited process `Consultation` (one per draft page; process state never
lives on the page, whose revisions could bring an old state back when republished).

- `Comment`: on the whole draft or on one article; from anyone on a phone (with the
  opinions' checks), or entered by staff from a forum (座谈会), a letter, the hotline or the
  suggestion box, or by an expert of the advisory team (专家顾问), whose name is shown.
- `CompiledOpinion`: per article (or for the draft as a whole), the opinion compiled from its
  comments (汇总意见), and, once the law is passed, whether it was adopted and the final text.
"""

from __future__ import annotations

import datetime as dt

from simple_history.models import HistoricalRecords

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin
from wagtail.models import Page

from content.models import STATION_PAGE_MODELS
from legislation.articles import ArticleError, parse_articles


class LegislationAction(models.TextChoices):
    """Audit actions (registered in legislation.wagtail_hooks)."""

    CONSULTATION = "legislation_consultation", "立法征询办理"
    COMMENTED = "legislation_commented", "提交立法意见"
    COMMENT = "legislation_comment", "立法意见审核"
    COMPILED = "legislation_compiled", "立法意见汇总"
    ADOPTION = "legislation_adoption", "立法意见采纳情况"


class ContactPoint(models.Model):
    """A station designated as a grassroots legislative contact point (基层立法联系点)."""

    station = models.OneToOneField(
        "content.StationPage",
        on_delete=models.PROTECT,
        related_name="legislative_contact_point",
        verbose_name="站点",
    )
    designated_by = models.CharField("确定机关", max_length=80, help_text="例如：省人大常委会法制工作委员会")
    designated_on = models.DateField("确定日期", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "基层立法联系点"
        verbose_name_plural = "基层立法联系点"

    def __str__(self):
        return self.station.title


class Expert(models.Model):
    """A member of a contact point's expert advisory team (专家顾问团): their comments carry
    their name and title."""

    contact_point = models.ForeignKey(
        ContactPoint, on_delete=models.CASCADE, related_name="experts", verbose_name="立法联系点"
    )
    name = models.CharField("姓名", max_length=30)
    title = models.CharField("职务/专业", max_length=80, help_text="例如：浙江大学光华法学院教授")
    is_active = models.BooleanField("在聘", default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["contact_point", "name"]
        verbose_name = "专家顾问"
        verbose_name_plural = "专家顾问"

    def __str__(self):
        return f"{self.name}（{self.title}）"


class DraftPage(RoutablePageMixin, Page):
    """A draft law or regulation sent down for comment (征求意见稿), under a contact point.

    Its text is pasted as received; each line beginning 第…章 / 第…节 / 第…条 starts a
    chapter, section or article, and the lines below an article are its clauses (款). Once
    anyone has commented, the text stands: a changed draft is sent as a new page.
    """

    source = models.CharField("来文单位", max_length=80, help_text="例如：省人大常委会法制工作委员会")
    document_no = models.CharField("来文文号", max_length=60, blank=True)
    opens_on = models.DateField("征求意见开始日期")
    closes_on = models.DateField("征求意见截止日期")
    return_by = models.DateField("汇总意见报送截止日期", help_text="向来文单位报送汇总意见的截止日期。")
    intro = models.TextField("起草说明", max_length=3000, blank=True)
    text = models.TextField(
        "征求意见稿全文",
        help_text="粘贴收到的全文。以“第一章”“第一节”“第一条”开头的行分别为章、节、条，条下各行为款。",
    )

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("source"), FieldPanel("document_no")]), FieldPanel("return_by")],
            heading="来文",
        ),
        FieldRowPanel([FieldPanel("opens_on"), FieldPanel("closes_on")], heading="意见征集时间"),
        FieldPanel("intro"),
        FieldPanel("text"),
    ]

    parent_page_types = [model._meta.label for model in STATION_PAGE_MODELS]
    subpage_types: list[str] = []
    template = "legislation/public/draft_page.html"

    class Meta:
        verbose_name = "立法征求意见稿"
        verbose_name_plural = "立法征求意见稿"

    @classmethod
    def can_create_at(cls, parent) -> bool:
        """Only under a station designated as a contact point."""
        return super().can_create_at(parent) and ContactPoint.objects.filter(station_id=parent.pk).exists()

    def clean(self):
        super().clean()
        if self.opens_on and self.closes_on and self.closes_on < self.opens_on:
            raise ValidationError({"closes_on": "征求意见截止日期不能早于开始日期。"})
        if self.closes_on and self.return_by and self.return_by < self.closes_on:
            raise ValidationError({"return_by": "报送截止日期不能早于征求意见截止日期。"})
        try:
            parsed = parse_articles(self.text or "")
        except ArticleError as error:
            raise ValidationError({"text": str(error)}) from None
        if self.pk:
            consultation = Consultation.objects.filter(page_id=self.pk).first()
            if consultation is not None and consultation.comments.exists():
                if [a.as_tuple() for a in parsed] != [a.as_tuple() for a in consultation.articles.all()]:
                    raise ValidationError(
                        {
                            "text": "这份征求意见稿已经收到意见，条文不能再修改；"
                            "如来文单位发来修改稿，请另建一份征求意见稿。"
                        }
                    )

    def save(self, *args, **kwargs):
        result = super().save(*args, **kwargs)
        if self.live:  # what the public reads is the published text
            Consultation.for_page(self).sync_articles(self.text)
        return result

    def get_cached_paths(self):
        """What the page cache holds for a draft: its page and each article's page."""
        numbers = Article.objects.filter(consultation__page_id=self.pk).values_list("number", flat=True)
        return ["/", *(f"/articles/{number}/" for number in numbers)]

    @classmethod
    def get_subpage_urls(cls):
        """The public routes (the draft, one article with its comments, the comment form) come
        from legislation.public_views through the `register_draft_page_urls`
        hook; each view is called like a method of the page: view(page, request, ...)."""
        return tuple(route for register in hooks.get_hooks("register_draft_page_urls") for route in register())


class ConsultationState(models.TextChoices):
    PREPARING = "preparing", "准备中"
    OPEN = "open", "征求意见中"
    COMPILING = "compiling", "汇总整理中"
    SUBMITTED = "submitted", "已报送"
    FED_BACK = "fed_back", "已反馈采纳情况"


class Consultation(models.Model):
    """The consultation on one draft: the process every step of which is audited."""

    page = models.OneToOneField(
        DraftPage, on_delete=models.PROTECT, related_name="consultation", verbose_name="征求意见稿"
    )
    title = models.CharField("征求意见稿", max_length=255, editable=False)  # the page's title, kept in step
    station = models.ForeignKey(
        "content.StationPage", on_delete=models.PROTECT, related_name="consultations", verbose_name="立法联系点"
    )
    street = models.ForeignKey(
        "content.Street", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="所属街道"
    )
    state = models.CharField(
        "状态", max_length=12, choices=ConsultationState.choices, default=ConsultationState.PREPARING
    )
    version = models.PositiveIntegerField("版本", default=0, editable=False)
    opened_at = models.DateTimeField("开始征求意见时间", null=True, blank=True)
    compiled_at = models.DateTimeField("开始汇总时间", null=True, blank=True)
    submitted_on = models.DateField("报送日期", null=True, blank=True)
    submitted_to = models.CharField("报送单位", max_length=80, blank=True)
    passed_title = models.CharField("通过的法规名称", max_length=120, blank=True)
    passed_on = models.DateField("通过日期", null=True, blank=True)
    fed_back_at = models.DateTimeField("反馈采纳情况时间", null=True, blank=True)
    return_by = models.DateField("报送截止日期", null=True, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-pk"]
        verbose_name = "立法征询"
        verbose_name_plural = "立法征询"

    def __str__(self):
        return self.title

    @classmethod
    def for_page(cls, page: DraftPage) -> Consultation:
        """The page's consultation, created with it; its station, street and deadline follow the page."""
        station = page.get_parent().specific_deferred
        follows = {"title": page.title, "return_by": page.return_by}
        consultation, _created = cls.objects.get_or_create(
            page=page, defaults={"station_id": station.pk, "street_id": station.street_id, **follows}
        )
        if any(getattr(consultation, name) != value for name, value in follows.items()):
            cls.objects.filter(pk=consultation.pk).update(**follows)
            for name, value in follows.items():
                setattr(consultation, name, value)
        return consultation

    def sync_articles(self, text: str) -> None:
        """Rebuild the articles from the text while nobody has commented (after that, the
        page's clean() keeps the text as it is)."""
        parsed = parse_articles(text)
        current = [a.as_tuple() for a in self.articles.all()]
        if current == [a.as_tuple() for a in parsed] or self.comments.exists():
            return
        self.articles.all().delete()
        Article.objects.bulk_create(
            Article(
                consultation=self,
                position=i,
                chapter=a.chapter,
                section=a.section,
                number=a.number,
                label=a.label,
                text=a.text,
            )
            for i, a in enumerate(parsed)
        )

    def accepts_comments(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.state == ConsultationState.OPEN and self.page.opens_on <= today <= self.page.closes_on


class Article(models.Model):
    """One article (条) of a draft, with its chapter and section; `anchor` is its stable place
    on the draft's page (#art-12)."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="articles", verbose_name="立法征询"
    )
    position = models.PositiveIntegerField("顺序")
    chapter = models.CharField("章", max_length=120, blank=True)
    section = models.CharField("节", max_length=120, blank=True)
    number = models.PositiveIntegerField("条序号")
    label = models.CharField("条", max_length=20)
    text = models.TextField("条文")

    class Meta:
        ordering = ["consultation", "position"]
        verbose_name = "条文"
        verbose_name_plural = "条文"
        constraints = [models.UniqueConstraint(fields=["consultation", "number"], name="legislation_article_number")]

    def __str__(self):
        return self.label

    @property
    def anchor(self) -> str:
        return f"art-{self.number}"

    @property
    def clauses(self) -> list[str]:
        return [line for line in self.text.split("\n") if line.strip()]

    def as_tuple(self) -> tuple:
        return (self.chapter, self.section, self.number, self.label, self.text)


class CommentChannel(models.TextChoices):
    ONLINE = "online", "网上提交"
    QR = "qr", "扫码提交"
    FORUM = "forum", "座谈会"
    LETTER = "letter", "来信"
    HOTLINE = "hotline", "热线电话"
    BOX = "box", "意见箱"
    EXPERT = "expert", "专家顾问"


PUBLIC_CHANNELS = (CommentChannel.ONLINE, CommentChannel.QR)
OFFLINE_CHANNELS = (CommentChannel.FORUM, CommentChannel.LETTER, CommentChannel.HOTLINE, CommentChannel.BOX)


class CommentState(models.TextChoices):
    SUBMITTED = "submitted", "待审核"
    PUBLISHED = "published", "已公开"
    WITHHELD = "withheld", "不公开（仍汇总）"
    MERGED = "merged", "已合并"
    REJECTED = "rejected", "无效意见"


# The comments that count in the compilation (a merged one counts with the one it joined).
COUNTED = (CommentState.PUBLISHED, CommentState.WITHHELD, CommentState.MERGED)


class Comment(models.Model):
    """A comment on a draft (立法意见), on one article or on the draft as a whole."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="comments", verbose_name="立法征询"
    )
    article = models.ForeignKey(
        Article, on_delete=models.PROTECT, null=True, blank=True, related_name="comments", verbose_name="条文"
    )
    receipt_no = models.CharField("回执编号", max_length=16, unique=True)
    content = models.TextField("意见内容", max_length=2000)
    channel = models.CharField("渠道", max_length=8, choices=CommentChannel.choices, default=CommentChannel.ONLINE)
    commenter_name = models.CharField("姓名", max_length=30, blank=True)
    commenter_phone = models.CharField("手机号码", max_length=11, blank=True)
    phone_last4 = models.CharField(max_length=4, blank=True, editable=False)
    expert = models.ForeignKey(
        Expert, on_delete=models.PROTECT, null=True, blank=True, related_name="comments", verbose_name="专家顾问"
    )
    received_on = models.DateField("收到日期", null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="录入人",
    )
    fingerprint = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    idempotency_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    state = models.CharField("状态", max_length=12, choices=CommentState.choices, default=CommentState.SUBMITTED)
    version = models.PositiveIntegerField("版本", default=0, editable=False)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged", verbose_name="合并到"
    )
    note = models.CharField("处理说明", max_length=200, blank=True)
    created_at = models.DateTimeField("提交时间", auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["commenter_name", "commenter_phone"])

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "立法意见"
        verbose_name_plural = "立法意见"
        indexes = [models.Index(fields=["consultation", "state"]), models.Index(fields=["article", "state"])]

    def __str__(self):
        return self.receipt_no

    @property
    def shown_name(self) -> str:
        """The name shown in public: an expert's name and title; nobody else's."""
        return str(self.expert) if self.expert_id else ""

    @property
    def target_label(self) -> str:
        return self.article.label if self.article_id else "整体意见"


class Adoption(models.TextChoices):
    PENDING = "", "未标注"
    ADOPTED = "adopted", "采纳"
    PARTLY = "partly", "部分采纳"
    NOT_ADOPTED = "not_adopted", "未采纳"


class CompiledOpinion(models.Model):
    """The compiled opinion on one article, or on the draft as a whole (article empty), and
    what became of it in the law as passed."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="compiled", verbose_name="立法征询"
    )
    article = models.ForeignKey(
        Article, on_delete=models.PROTECT, null=True, blank=True, related_name="compiled", verbose_name="条文"
    )
    text = models.TextField("汇总意见", max_length=5000)
    adoption = models.CharField("采纳情况", max_length=12, choices=Adoption.choices, blank=True, default="")
    final_text = models.TextField("通过文本", max_length=5000, blank=True, help_text="通过的法规中对应的条文。")
    adoption_note = models.CharField("采纳说明", max_length=500, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="更新人",
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "汇总意见"
        verbose_name_plural = "汇总意见"
        constraints = [
            models.UniqueConstraint(fields=["consultation", "article"], name="legislation_compiled_article"),
            models.UniqueConstraint(
                fields=["consultation"], condition=Q(article__isnull=True), name="legislation_compiled_whole"
            ),
        ]

    def __str__(self):
        return self.article.label if self.article_id else "整体意见"
