"""重点督办 (key supervision): the liaison office names a year's key suggestions, each with
the standing committee member who leads its supervision and a group of deputies, and records
the inspections and meetings with what they found (for any suggestion under way, key or
not). Key suggestions come first in the admin's suggestion list."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from content.models import Deputy
from suggestions.drafting import OFFICE, SUGGESTIONS, SuggestionError
from suggestions.models import SuggestionState, SupervisionKind, SupervisionRecord
from workflows.process import SIDE, Transition, TransitionForm, required

S = SuggestionState
UNDER_WAY = (S.FILED, S.ASSIGNED, S.REPLIED, S.REOPENED)


class KeyForm(TransitionForm):
    leader = forms.CharField(label="牵头督办的常委会领导", max_length=40)
    group = forms.ModelMultipleChoiceField(
        label="督办组代表",
        queryset=Deputy.objects.filter(is_active=True).order_by("name"),
        required=False,
        help_text="按住 Ctrl（Mac 为 Command）多选。",
    )


def _mark_key(suggestion, *, leader="", group=(), **_):
    if suggestion.is_key:
        raise SuggestionError("这件建议已是重点督办建议。")
    suggestion.key_leader = required(leader, "请填写牵头督办的常委会领导。")
    suggestion.is_key = True
    suggestion.key_group.set(list(group))
    return {"leader": suggestion.key_leader, "group": [d.name for d in group]}


class RecordForm(TransitionForm):
    kind = forms.ChoiceField(label="形式", choices=SupervisionKind.choices)
    date = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    findings = forms.CharField(label="情况和问题", max_length=3000, widget=forms.Textarea(attrs={"rows": 4}))


def _record(suggestion, *, user, kind="", date=None, findings="", **_):
    if kind not in SupervisionKind.values:
        raise SuggestionError("请选择视察、督办会、座谈会或调研。")
    if date is None or date > timezone.localdate():
        raise SuggestionError("请填写已经发生的督办活动日期。")
    record = SupervisionRecord.objects.create(
        suggestion=suggestion, kind=kind, date=date, findings=required(findings, "请写明情况和问题。"), recorded_by=user
    )
    return {"record": record.pk, "kind": kind, "date": date.isoformat()}


SUGGESTIONS.extend(
    Transition("mark_key", "列为重点督办", UNDER_WAY, None, (OFFICE,), _mark_key, KeyForm, kind=SIDE),
    Transition("record_supervision", "记录督办活动", UNDER_WAY, None, (OFFICE,), _record, RecordForm, kind=SIDE),
)
