"""Accounts. Roles, street scoping and the audit log build on this user model."""

from simple_history.models import HistoricalRecords

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from permissions.history import QuietSaveMixin


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
        from content.models import StationLevel
        from permissions.roles import Role, role_group_name

        if self.station_id and self.station.level in (StationLevel.GENERAL, StationLevel.CENTRE):
            raise ValidationError({"station": "总站和中心站由区管理员、街道工委管理，请选择联络站或联络点。"})
        if self.user_id and not self.user.groups.filter(name=role_group_name(Role.STATION_STAFF)).exists():
            raise ValidationError({"user": "此用户还没有“站点工作人员”角色，请先在“用户”中授予。"})


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("审计记录只能追加，不能修改。Audit events are append-only.")

    def delete(self):
        raise PermissionError("审计记录只能追加，不能删除。Audit events are append-only.")


class AuditEvent(models.Model):
    """One security-relevant event, append-only (logins, role and permission changes, and
    later every view or export of personal data and every workflow transition).

    The application offers no way to change or delete a row; on PostgreSQL a trigger
    refuses UPDATE and DELETE as well (migration 0003).

    Left out of Wagtail's reference index: an audit row refers to its object by label and id
    only, and indexing every append (one per sign-in, view, export and transition) would
    cost a task and several queries each time.
    """

    wagtail_reference_index_ignore = True

    class Action(models.TextChoices):
        LOGIN = "login", "登录"
        LOGIN_FAILED = "login_failed", "登录失败"
        LOGOUT = "logout", "退出"
        ROLE_GRANTED = "role_granted", "授予角色"
        ROLE_REVOKED = "role_revoked", "撤销角色"
        PERMISSIONS_CHANGED = "permissions_changed", "权限变更"
        PERSONAL_DATA_VIEWED = "personal_data_viewed", "查看个人信息"
        PERSONAL_DATA_EXPORTED = "personal_data_exported", "导出个人信息"
        TWO_FACTOR_VERIFIED = "two_factor_verified", "两步验证通过"
        TWO_FACTOR_FAILED = "two_factor_failed", "两步验证失败"
        TWO_FACTOR_DEVICE_ADDED = "two_factor_device_added", "绑定两步验证设备"
        TWO_FACTOR_DEVICE_REMOVED = "two_factor_device_removed", "重置两步验证设备"
        OPINION_SUBMITTED = "opinion_submitted", "意见提交"
        OPINION_TRANSITION = "opinion_transition", "意见办理"
        OBJECT_DELETED = "object_deleted", "删除（保留修订）"

    timestamp = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    # No database constraint: deleting a user must not have to touch (update) its audit rows.
    actor = models.ForeignKey(
        User,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField("操作人用户名", max_length=150, blank=True)
    action = models.CharField("动作", max_length=32, choices=Action.choices, db_index=True)
    object_type = models.CharField("对象类型", max_length=100, blank=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    ip_address = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-timestamp", "-pk"]
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"

    def __str__(self):
        return (
            f"{self.timestamp:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.get_action_display()} {self.object_repr}"
        )

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("审计记录只能追加，不能修改。Audit events are append-only.")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("审计记录只能追加，不能删除。Audit events are append-only.")
