"""API keys of the client systems that send opinions through Open311 (12345 hotline, a
city-wide platform…).

A key is shown once, when the district admin issues it; only its SHA-256 digest and its
first characters (to tell keys apart in lists and logs) are stored. A revoked key stays,
with who revoked it and when, so the audit log's records of its use keep their meaning.
"""

from __future__ import annotations

import hashlib
import secrets

from simple_history.models import HistoricalRecords

from django.conf import settings
from django.db import models
from django.utils import timezone

KEY_PREFIX = "ll311_"
PREFIX_LENGTH = len(KEY_PREFIX) + 8  # what lists and logs show of a key


class Open311Action(models.TextChoices):
    """The audit actions of the Open311 interface (registered in api.wagtail_hooks)."""

    KEY_ISSUED = "open311_key_issued", "签发接口密钥"
    KEY_REVOKED = "open311_key_revoked", "吊销接口密钥"
    KEY_USED = "open311_key_used", "接口密钥调用"
    KEY_REFUSED = "open311_key_refused", "接口密钥被拒绝"


def digest(raw_key: str) -> str:
    """The stored form of a key. Keys are 32 random bytes: a plain hash cannot be reversed."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def for_raw_key(self, raw_key: str) -> ApiKey | None:
        if not raw_key or len(raw_key) > 200:
            return None
        return self.filter(key_hash=digest(raw_key)).first()


class ApiKey(models.Model):
    client_name = models.CharField("接入系统名称", max_length=60, help_text="例如：区12345热线平台。")
    note = models.CharField("备注", max_length=200, blank=True, help_text="联系人、用途等（不要填写密钥本身）。")
    prefix = models.CharField("密钥前缀", max_length=PREFIX_LENGTH, editable=False, db_index=True)
    key_hash = models.CharField("密钥摘要", max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="签发人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField("签发时间", auto_now_add=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="吊销人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True, editable=False)

    # last_used_at is written with update(): a key's every use is in the audit log, not here.
    history = HistoricalRecords(excluded_fields=["last_used_at"])

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "开放接口密钥"
        verbose_name_plural = "开放接口密钥"

    def __str__(self):
        return f"{self.client_name}（{self.prefix}…）"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def status_label(self) -> str:
        return "有效" if self.is_active else "已吊销"

    def set_new_key(self) -> str:
        """Give the row a fresh key; returns the key itself, which is never stored."""
        raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
        self.prefix = raw_key[:PREFIX_LENGTH]
        self.key_hash = digest(raw_key)
        return raw_key

    def revoke(self, user) -> None:
        self.revoked_at = timezone.now()
        self.revoked_by = user
        self.save(update_fields=["revoked_at", "revoked_by"])

    def touch(self) -> None:
        """Note the key's use without a history row."""
        now = timezone.now()
        ApiKey.objects.filter(pk=self.pk).update(last_used_at=now)
        self.last_used_at = now
