"""The audit log's actions and their Chinese labels, registered by the app that records them.

Like Wagtail's `register_log_actions`: each app registers its own actions in its
`wagtail_hooks.py`, so the audit table needs no migration for a new one, and every screen
that shows audit records (the audit log, the history browser, a process's timeline) shows
the registered label::

    class OpinionAction(models.TextChoices):
        SUBMITTED = "opinion_submitted", "意见提交"

    @hooks.register("register_audit_actions")
    def register_audit_actions(actions):
        actions.register_choices(OpinionAction)
"""

from __future__ import annotations

from django.db import models

from wagtail import hooks


class PersonalDataAction(models.TextChoices):
    """The base layer's own actions: reading and exporting personal data (PIPL)."""

    VIEWED = "personal_data_viewed", "查看个人信息"
    EXPORTED = "personal_data_exported", "导出个人信息"


class AuditActions:
    """Every registered action code with its label. Filled on first use from the hooks."""

    def __init__(self):
        self._labels: dict[str, str] = {}
        self._loaded = False

    def register(self, code: str, label: str) -> None:
        if len(code) > 32:
            raise ValueError(f"Audit action code {code!r} is longer than the column (32).")
        existing = self._labels.get(code)
        if existing is not None and existing != str(label):
            raise ValueError(f"Audit action {code!r} is registered twice with different labels.")
        self._labels[code] = str(label)

    def register_choices(self, choices: type[models.TextChoices]) -> None:
        for member in choices:
            self.register(member.value, member.label)

    def _load(self) -> dict[str, str]:
        if not self._loaded:
            self.register_choices(PersonalDataAction)
            for register in hooks.get_hooks("register_audit_actions"):
                register(self)
            self._loaded = True
        return self._labels

    def __contains__(self, code: str) -> bool:
        return code in self._load()

    def label(self, code: str) -> str:
        return self._load().get(code, code)

    def choices(self) -> list[tuple[str, str]]:
        return sorted(self._load().items(), key=lambda item: (item[1], item[0]))


actions = AuditActions()
