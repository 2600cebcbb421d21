"""Accounts and station staff. Roles (`base.roles`) and the audit log (`base.models`) refer to
this user model through AUTH_USER_MODEL."""

from simple_history.models import HistoricalRecords

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from base.history import QuietSaveMixin
from base.roles import Role, roles_of, users_with_role
from content.models import StationLevel
from content.scoping import stations_for


class AccountAction(models.TextChoices):
    """What the audit log records about accounts and rights (registered in wagtail_hooks)."""

    LOGIN = "login", "登录"
    LOGIN_FAILED = "login_failed", "登录失败"
    LOGOUT = "logout", "退出"
    ROLE_GRANTED = "role_granted", "授予角色"
    ROLE_REVOKED = "role_revoked", "撤销角色"
    PERMISSIONS_CHANGED = "permissions_changed", "权限变更"
    TWO_FACTOR_VERIFIED = "two_factor_verified", "两步验证通过"
    TWO_FACTOR_FAILED = "two_factor_failed", "两步验证失败"
    TWO_FACTOR_DEVICE_ADDED = "two_factor_device_added", "绑定两步验证设备"
    TWO_FACTOR_DEVICE_REMOVED = "two_factor_device_removed", "重置两步验证设备"
    OBJECT_DELETED = "object_deleted", "删除（保留修订）"


class User(QuietSaveMixin, AbstractUser):
    """A staff member or deputy who signs in. Citizens never need an account.

    Field-level history records who changed an account (active, superuser, names…); the
    password hash never enters it, and neither do sign-ins: Django saves only `last_login`
    on each one, and a rehashed password only `password`; such saves leave no history row.
    """

    display_name = models.CharField("显示名称", max_length=60, blank=True)

    history = HistoricalRecords(excluded_fields=["password", "last_login"])
    history_ignored_update_fields = frozenset({"password", "last_login"})

    class Meta(AbstractUser.Meta):
        verbose_name = "用户"
        verbose_name_plural = "用户"
        swappable = "AUTH_USER_MODEL"

    def __str__(self):
        return self.display_name or self.get_full_name() or self.username


def assignable_accounts(user):
    """The station staff accounts `user` may assign: those not yet at any station, and those
    already at a station of their own (district roles: all). A street committee does not
    browse the accounts of other streets' staff."""
    accounts = users_with_role(Role.STATION_STAFF)
    if roles_of(user).district_wide:
        return accounts
    own = stations_for(user).values("pk")
    return accounts.filter(Q(station_assignments__isnull=True) | Q(station_assignments__station__in=own)).distinct()


class StationAssignment(models.Model):
    """A station staff member (站点工作人员) assigned to one station.

    Saving or deleting an assignment brings the station's staff group up to date: the group
    holds the Wagtail page permissions on the station page (its subtree: the contact points
    below it) and the django-guardian grant `content.manage_station` that scopes the
    station's rows. Street committees assign staff to their own street's stations.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="工作人员",
        on_delete=models.CASCADE,
        related_name="station_assignments",
        help_text="须先在“用户”中授予“站点工作人员”角色。",
    )
    station = models.ForeignKey(
        "content.StationPage",
        verbose_name="站点",
        on_delete=models.CASCADE,
        related_name="staff_assignments",
    )
    note = models.CharField("备注", max_length=100, blank=True)
    created_at = models.DateTimeField("分配时间", auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["station__path", "user__username"]
        verbose_name = "站点工作人员分配"
        verbose_name_plural = "站点工作人员分配"
        constraints = [
            models.UniqueConstraint(fields=["user", "station"], name="unique_station_assignment"),
        ]

    def __str__(self):
        return f"{self.user} · {self.station.title}"

    def clean(self):
        if self.station_id and self.station.level in (StationLevel.GENERAL, StationLevel.CENTRE):
            raise ValidationError({"station": "总站和中心站由区管理员、街道工委管理，请选择联络站或联络点。"})
        if self.user_id and not roles_of(self.user).has(Role.STATION_STAFF):
            raise ValidationError({"user": "此用户还没有“站点工作人员”角色，请先在“用户”中授予。"})


class StaffRequestState(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已同意"
    DECLINED = "declined", "未同意"
    WITHDRAWN = "withdrawn", "已撤回"


class StaffRequestAction(models.TextChoices):
    """The staff requests' audit actions (registered in wagtail_hooks)."""

    SUBMITTED = "staff_request_submitted", "站点人员申请提交"
    TRANSITION = "staff_request_transition", "站点人员申请审批"


class StaffRequest(models.Model):
    """A station asks its street committee to assign a person (站点工作人员申请).

    Station staff file it for their station; the street committee (or the district admin)
    approves it, choosing the person's account, which assigns them to the station, or
    declines it with a reason; the station may withdraw it while it waits. The steps are
    declared in `permissions.staff_requests`.
    """

    station = models.ForeignKey(
        "content.StationPage", verbose_name="站点", on_delete=models.CASCADE, related_name="staff_requests"
    )
    street = models.ForeignKey(
        "content.Street", verbose_name="街道", on_delete=models.PROTECT, related_name="+", null=True, editable=False
    )
    person_name = models.CharField("拟分配人员", max_length=30, help_text="请写明姓名，街道工委审批时选择其账号。")
    post = models.CharField("岗位", max_length=30, help_text="例如：联络员、副站长")
    reason = models.CharField("申请理由", max_length=200)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    state = models.CharField(
        "状态", max_length=16, choices=StaffRequestState.choices, default=StaffRequestState.PENDING, editable=False
    )
    version = models.PositiveIntegerField("版本", default=0, editable=False)
    decision_note = models.CharField("审批意见", max_length=200, blank=True, editable=False)
    assignment = models.OneToOneField(
        StationAssignment,
        verbose_name="分配结果",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="request",
        editable=False,
    )
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    decided_at = models.DateTimeField("审批时间", null=True, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "站点工作人员申请"
        verbose_name_plural = "站点工作人员申请"

    def __str__(self):
        return f"{self.station.title} · {self.person_name}（{self.post}）"

    def save(self, *args, **kwargs):
        if self.station_id and not self.street_id:
            self.street_id = self.station.street_id
        return super().save(*args, **kwargs)
