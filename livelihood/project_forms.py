"""Forms of a chosen project's work (项目实施与监督), shared by the admin's project screen and
the supervision group's page in 代表e站."""

from __future__ import annotations

from django import forms

from content.models import Deputy
from livelihood.models import InspectionKind


class ProjectForm(forms.Form):
    """A form of the project screen, for one project."""

    def __init__(self, *args, candidate, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidate = candidate


class InspectionForm(ProjectForm):
    date = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label="形式", choices=InspectionKind.choices)
    deputies = forms.ModelMultipleChoiceField(
        label="参加的代表", queryset=Deputy.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    findings = forms.CharField(label="情况", max_length=3000, widget=forms.Textarea(attrs={"rows": 3}))
    problems = forms.CharField(
        label="发现的问题（可选，由责任单位答复）",
        max_length=3000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, candidate, **kwargs):
        super().__init__(*args, candidate=candidate, **kwargs)
        self.fields["deputies"].queryset = candidate.supervisors.order_by("name")
        self.fields["deputies"].error_messages["invalid_choice"] = "请选择这个项目监督组的代表。"
