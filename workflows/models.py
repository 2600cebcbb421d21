"""Audited processes: departments, and the opinion loop (its state machine is declared in
`workflows.opinions`)."""

from simple_history.models import HistoricalRecords

from django.conf import settings
from django.db import models

from base.masking import mask_name, mask_phone
from base.roles import HANDLE_DEPARTMENT, roles_of
from workflows.process import Deadline
from workflows.storage import private_storage

# --------------------------------------------------------------------------------------------
# Opinion intake (群众意见): departments, categories, opinions and their rounds
# --------------------------------------------------------------------------------------------


class DepartmentQuerySet(models.QuerySet):
    def handled_by(self, user):
        """Departments the user (or their `Roles`) handles for: their groups hold
        `workflows.handle_department` on them."""
        return self.filter(pk__in=roles_of(user).granted(HANDLE_DEPARTMENT, Department).values("pk"))


class Department(models.Model):
    """A handling department (承办单位), e.g. 区城管局 or a street office.

    Its handlers are the members of its group "承办单位·<名称>", created with it; the group
    holds the django-guardian grant `workflows.handle_department` on this row, from which
    every opinion assigned to the department is scoped.
    """

    name = models.CharField("单位名称", max_length=60, unique=True)
    email = models.EmailField("通知邮箱", blank=True, help_text="交办、催办通知发往此邮箱及本单位经办人。")
    is_active = models.BooleanField("启用", default=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    history = HistoricalRecords()

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = "承办单位"
        verbose_name_plural = "承办单位"
        permissions = [("handle_department", "办理交办给本单位的意见")]

    def __str__(self):
        return self.name


class Category(models.Model):
    """The subject of an opinion (意见分类), with its default handling time."""

    name = models.CharField("分类名称", max_length=30, unique=True)
    deadline_workdays = models.PositiveSmallIntegerField(
        "办理时限（工作日）", default=15, help_text="交办后多少个工作日内答复。"
    )
    sort_order = models.PositiveIntegerField("排序", default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = "意见分类"
        verbose_name_plural = "意见分类"

    def __str__(self):
        return self.name


class OpinionState(models.TextChoices):
    """Stable state codes of the closed loop; the labels are what people read."""

    SUBMITTED = "submitted", "待受理"
    ACCEPTED = "accepted", "已受理"
    REJECTED = "rejected", "不予受理"
    DUPLICATE = "duplicate", "重复"
    ASSIGNED = "assigned", "已交办"
    SIGNED = "signed", "已签收"
    REPLIED = "replied", "已答复"
    EVALUATED = "evaluated", "已评价"
    REOPENED = "reopened", "重办"
    CLOSED = "closed", "已办结"


# Open and with a deadline running: the department holds it (assigned, or signed for).
OPINION_DEADLINE = Deadline("deadline", (OpinionState.ASSIGNED, OpinionState.SIGNED))


class OpinionAction(models.TextChoices):
    """The opinion loop's audit actions (registered in workflows.wagtail_hooks)."""

    SUBMITTED = "opinion_submitted", "意见提交"
    TRANSITION = "opinion_transition", "意见办理"


class Channel(models.TextChoices):
    ONLINE = "online", "网上提交"
    QR = "qr", "扫码提交"
    WALK_IN = "walk_in", "来访（接待日）"
    PHONE = "phone", "来电"
    LETTER = "letter", "来信"
    DEPUTY = "deputy", "代表转交"
    DELIBERATION = "deliberation", "居民议事"  # a meeting's resolution; the station's staff are the contact
    OPEN_API = "open_api", "开放接口"  # sent by another system (12345 hotline…) through Open311 with its API key


class Outcome(models.TextChoices):
    RESOLVED = "resolved", "已解决"
    PARTLY = "partly", "部分解决"
    EXPLAINED = "explained", "解释说明"


class Rating(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASICALLY = "basically", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


class Publication(models.TextChoices):
    NONE = "none", "不公开"
    PENDING = "pending", "待审核公开"
    APPROVED = "approved", "已公开"
    REFUSED = "refused", "不予公开"


class Opinion(models.Model):
    """A citizen's opinion (群众意见) and where it stands in the closed loop.

    Nothing links to an opinion from pages, so Wagtail's reference index skips it
    (`wagtail_reference_index_ignore`): every save would otherwise rewrite its index rows.

    Only the process declared in `workflows.opinions` changes `state` and the loop's fields,
    one transition at a time; each transition is one save (one history row) and one audit record.
    """

    wagtail_reference_index_ignore = True

    receipt_no = models.CharField("回执编号", max_length=20, unique=True, editable=False)
    idempotency_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    version = models.PositiveIntegerField("版本", default=0, editable=False)

    # Where it was raised and whose queue it is in now (escalation moves it up the tree).
    origin_station = models.ForeignKey(
        "content.StationPage", verbose_name="提交站点", on_delete=models.PROTECT, related_name="+"
    )
    station = models.ForeignKey(
        "content.StationPage", verbose_name="所在站点", on_delete=models.PROTECT, related_name="opinions"
    )
    street = models.ForeignKey(
        "content.Street", verbose_name="街道", on_delete=models.PROTECT, related_name="opinions", null=True
    )

    category = models.ForeignKey(Category, verbose_name="分类", on_delete=models.PROTECT, related_name="opinions")
    title = models.CharField("标题", max_length=60)
    content = models.TextField("内容", max_length=2000)
    citizen_name = models.CharField("姓名", max_length=30)
    citizen_phone = models.CharField("手机号码", max_length=11)
    phone_last4 = models.CharField("手机尾号", max_length=4, editable=False)
    publish_consent = models.BooleanField("同意公开答复", default=False)
    channel = models.CharField("渠道", max_length=16, choices=Channel.choices, default=Channel.ONLINE)
    received_by_deputy = models.ForeignKey(
        "content.Deputy",
        verbose_name="接待代表",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="received_opinions",
    )
    received_on = models.DateField(
        "接待日期", null=True, blank=True, help_text="当面收到意见的接待日（来访、代表转交时填写）。"
    )
    originator = models.ForeignKey(
        "content.Deputy",
        verbose_name="直通车代表",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="raised_opinions",
        help_text="代表通过直通车直接提出的事项：由该代表跟踪并评价答复。",
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="代录人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    state = models.CharField(
        "状态", max_length=16, choices=OpinionState.choices, default=OpinionState.SUBMITTED, db_index=True
    )
    round = models.PositiveSmallIntegerField("办理轮次", default=1)
    is_key = models.BooleanField("重点督办", default=False)
    reject_reason = models.CharField("不予受理理由", max_length=200, blank=True)
    duplicate_of = models.ForeignKey(
        "self", verbose_name="重复于", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    department = models.ForeignKey(
        Department, verbose_name="承办单位", null=True, blank=True, on_delete=models.PROTECT, related_name="opinions"
    )
    assigned_at = models.DateTimeField("交办时间", null=True, blank=True)
    deadline = models.DateField("答复期限", null=True, blank=True, db_index=True)
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    replied_at = models.DateTimeField("答复时间", null=True, blank=True)
    outcome = models.CharField("办理结果", max_length=16, choices=Outcome.choices, blank=True)
    reply_text = models.TextField("答复内容", max_length=4000, blank=True)
    rating = models.CharField("评价", max_length=16, choices=Rating.choices, blank=True)
    rated_at = models.DateTimeField("评价时间", null=True, blank=True)
    rating_by_visit = models.BooleanField("回访评价", default=False)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    close_reason = models.CharField("办结说明", max_length=200, blank=True)
    reminded_at = models.DateTimeField("最近催办", null=True, blank=True)
    overdue_notified_at = models.DateTimeField("超期通知", null=True, blank=True)

    publication = models.CharField(
        "公开（晾晒）", max_length=16, choices=Publication.choices, default=Publication.NONE, db_index=True
    )
    public_summary = models.CharField(
        "公开摘要", max_length=200, blank=True, help_text="不得含姓名、电话、门牌等个人信息。"
    )
    public_reply = models.TextField(
        "公开答复",
        max_length=4000,
        blank=True,
        help_text="公开页面显示的答复，由答复内容删去姓名、电话、门牌等个人信息而来。",
    )
    published_at = models.DateTimeField("公开时间", null=True, blank=True)

    created_at = models.DateTimeField("提交时间", auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    # Personal data stays out of the history table (it never changes after submission).
    history = HistoricalRecords(excluded_fields=["citizen_name", "citizen_phone"])

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "群众意见"
        verbose_name_plural = "群众意见"
        indexes = [
            models.Index(fields=["street", "state"]),
            models.Index(fields=["station", "state"]),
            models.Index(fields=["department", "state"]),
            # The staff listing's first page, in its order (-created_at, -pk), for each way a
            # person's scope names opinions (workflows.opinions.opinion_capacities): a street
            # committee's `street_id = 9`, a station's, a department's. Read in index order,
            # the page stops after 50 rows instead of sorting the whole street.
            models.Index(fields=["street", "-created_at", "-id"], name="opinion_street_recent"),
            models.Index(fields=["station", "-created_at", "-id"], name="opinion_station_recent"),
            models.Index(fields=["department", "-created_at", "-id"], name="opinion_department_recent"),
            # A station page's published results (晾晒), newest first.
            models.Index(fields=["origin_station", "publication", "-published_at"], name="opinion_station_results"),
        ]

    def __str__(self):
        return f"{self.receipt_no} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state not in (
            OpinionState.CLOSED,
            OpinionState.REJECTED,
            OpinionState.DUPLICATE,
        )

    # Read-only views for listings and exports: labels, and personal data masked.
    @property
    def masked_citizen_name(self) -> str:
        return mask_name(self.citizen_name)

    @property
    def masked_citizen_phone(self) -> str:
        return mask_phone(self.citizen_phone)

    @property
    def masked_citizen(self) -> str:
        return f"{self.masked_citizen_name} {self.masked_citizen_phone}"

    @property
    def state_label(self) -> str:
        return self.get_state_display()

    @property
    def channel_label(self) -> str:
        return self.get_channel_display()

    @property
    def outcome_label(self) -> str:
        return self.get_outcome_display()

    @property
    def rating_label(self) -> str:
        return self.get_rating_display()

    @property
    def overdue_label(self) -> str:
        return "超期" if self.is_overdue() else ""

    def is_overdue(self, today=None) -> bool:
        return OPINION_DEADLINE.is_overdue(self, today)


class OpinionPhoto(models.Model):
    """A photo attached by the citizen, re-encoded without EXIF (location) on upload.

    Stored outside the public media tree (workflows.storage) and shown to staff only
    through a scoped, audited view.
    """

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField("照片", upload_to="opinions/%Y/%m/", storage=private_storage)
    width = models.PositiveIntegerField("宽度", default=0)
    height = models.PositiveIntegerField("高度", default=0)

    # The history keeps the stored file's name only; the file stays in the private storage.
    history = HistoricalRecords()

    class Meta:
        verbose_name = "意见照片"
        verbose_name_plural = "意见照片"

    def __str__(self):
        return f"{self.opinion.receipt_no} 照片"


class OpinionReply(models.Model):
    """One round's reply by the department; earlier rounds stay when an opinion is redone."""

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="replies")
    round = models.PositiveSmallIntegerField("轮次")
    department = models.ForeignKey(Department, verbose_name="承办单位", on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField("办理结果", max_length=16, choices=Outcome.choices)
    text = models.TextField("答复内容", max_length=4000)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="答复人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    replied_at = models.DateTimeField("答复时间")
    rating = models.CharField("评价", max_length=16, choices=Rating.choices, blank=True)

    # A reply holds the department's text, never the citizen's name or phone.
    history = HistoricalRecords()

    class Meta:
        ordering = ["round"]
        verbose_name = "答复"
        verbose_name_plural = "答复"
        constraints = [models.UniqueConstraint(fields=["opinion", "round"], name="one_reply_per_round")]

    def __str__(self):
        return f"{self.opinion.receipt_no} 第{self.round}轮答复"


class SupervisionCase(models.Model):
    """督办: a key item watched by the street or district, opened by hand or by a 不满意 rating."""

    class Reason(models.TextChoices):
        UNSATISFIED = "unsatisfied", "群众不满意重办"
        KEY_ITEM = "key_item", "重点督办"
        OVERDUE = "overdue", "超期督办"

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="supervision_cases")
    round = models.PositiveSmallIntegerField("轮次")
    reason = models.CharField("原因", max_length=16, choices=Reason.choices)
    note = models.CharField("督办意见", max_length=200, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="督办人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField("督办时间", auto_now_add=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = "督办"
        verbose_name_plural = "督办"

    def __str__(self):
        return f"{self.opinion.receipt_no} {self.get_reason_display()}"
