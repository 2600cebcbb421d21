"""The consultation on a draft as a process on the one mechanism (流程机制):

    准备中 ─开始征求意见─▶ 征求意见中 ─截止征集、开始汇总─▶ 汇总整理中 ─报送汇总意见─▶ 已报送
      ─反馈采纳情况（法规通过后）─▶ 已反馈采纳情况

Who runs it: the contact point's staff, its street's committee, and the district admin
(`content.scoping.station_work_q`); the auditor reads. Each step leaves one audit record and
one history row; reporting late (after the standing committee's deadline) shows on the
admin home as 已超期.
"""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils import timezone

from content.scoping import station_work_q
from legislation.compilation import adoption_figures, missing_compilations
from legislation.models import CommentState, Consultation, ConsultationState, LegislationAction
from workflows.process import Deadline, Process, Todo, Transition, TransitionError, TransitionForm, required

C = ConsultationState
RUNNER = "runner"
OVERDUE = Deadline("return_by", (C.OPEN, C.COMPILING))


def consultation_capacities(roles) -> dict[str, Q]:
    return {RUNNER: station_work_q(roles)}


def _open(consultation: Consultation, **_):
    page = consultation.page
    if not page.live:
        raise TransitionError("请先发布征求意见稿页面，再开始征求意见。")
    if not consultation.articles.exists():
        raise TransitionError("征求意见稿还没有条文。")
    if page.closes_on < timezone.localdate():
        raise TransitionError(f"征求意见截止日期（{page.closes_on:%Y-%m-%d}）已过，请先修改征求意见时间。")
    consultation.opened_at = timezone.now()


def _close(consultation: Consultation, **_):
    consultation.compiled_at = timezone.now()


class SubmitForm(TransitionForm):
    submitted_on = forms.DateField(label="报送日期", widget=forms.DateInput(attrs={"type": "date"}))
    submitted_to = forms.CharField(label="报送单位", max_length=80)

    def initial_for(self, row) -> dict:
        return {"submitted_on": timezone.localdate(), "submitted_to": row.page.source}


def _submit(consultation: Consultation, *, submitted_on=None, submitted_to="", **_):
    waiting = consultation.comments.filter(state=CommentState.SUBMITTED).count()
    if waiting:
        raise TransitionError(f"还有 {waiting} 条意见没有审核，请先审核。")
    missing = missing_compilations(consultation)
    if missing:
        raise TransitionError(f"以下条文收到了意见、还没有汇总意见：{'、'.join(missing[:10])}。")
    if submitted_on is None or submitted_on > timezone.localdate():
        raise TransitionError("报送日期不能晚于今天。")
    consultation.submitted_on = submitted_on
    consultation.submitted_to = required(submitted_to, "请填写报送单位。")
    return {"submitted_to": consultation.submitted_to}


class FeedBackForm(TransitionForm):
    passed_title = forms.CharField(label="通过的法规名称", max_length=120)
    passed_on = forms.DateField(label="通过日期", widget=forms.DateInput(attrs={"type": "date"}))

    def initial_for(self, row) -> dict:
        return {"passed_title": row.passed_title}


def _feed_back(consultation: Consultation, *, passed_title="", passed_on=None, **_):
    figures = adoption_figures(consultation)
    if figures.unmarked:
        raise TransitionError(f"还有 {figures.unmarked} 条汇总意见没有标注采纳情况。")
    if passed_on is None or passed_on > timezone.localdate():
        raise TransitionError("请填写法规的通过日期（不晚于今天）。")
    consultation.passed_title = required(passed_title, "请填写通过的法规名称。")
    consultation.passed_on = passed_on
    consultation.fed_back_at = timezone.now()
    return {"adopted": figures.adopted, "partly": figures.partly, "not_adopted": figures.not_adopted}


def _window_over() -> Q:
    return Q(state=C.OPEN, page__closes_on__lt=timezone.localdate())


CONSULTATIONS = Process(
    model=Consultation,
    noun="立法征询",
    capacities_of=consultation_capacities,
    transition_action=LegislationAction.CONSULTATION,
    lock_related=("page",),
    transitions=[
        Transition(
            "open",
            "开始征求意见",
            (C.PREPARING,),
            C.OPEN,
            (RUNNER,),
            _open,
            todos=(Todo("to_open", "待开始征求意见的立法征询"),),
        ),
        Transition(
            "close",
            "截止征集，开始汇总",
            (C.OPEN,),
            C.COMPILING,
            (RUNNER,),
            _close,
            todos=(Todo("window_over", "征求意见期已过、待汇总的立法征询", when=_window_over),),
        ),
        Transition(
            "submit",
            "报送汇总意见",
            (C.COMPILING,),
            C.SUBMITTED,
            (RUNNER,),
            _submit,
            SubmitForm,
            todos=(Todo("to_submit", "汇总整理中的立法征询"),),
        ),
        Transition(
            "feed_back",
            "反馈采纳情况",
            (C.SUBMITTED,),
            C.FED_BACK,
            (RUNNER,),
            _feed_back,
            FeedBackForm,
            todos=(Todo("to_feed_back", "待反馈采纳情况的立法征询"),),
        ),
    ],
    todos=(Todo("overdue", "报送已超期的立法征询", when=lambda: OVERDUE.overdue_q(), capacities=(RUNNER,)),),
)
