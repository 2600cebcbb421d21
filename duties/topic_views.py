"""议题讨论 on the public site: a topic's page at its station (residents read and reply), and
the deputy's side in 代表e站 (open a topic, read the replies, close it with a summary, send
the summary on as a 直通车 item).

Residents' replies go through the same checks as opinions: the phone number's form, the
limits per address and per phone number (workflows.limits), a double submit giving back the
first receipt, and moderation before anything is shown. The public page never shows a
resident's name or phone.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core import signing
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from duties.models import DiscussionTopic, ReplyState, TopicReply, TopicState
from duties.portal import PortalSteps, deputy_required, follow_ups, seated_at
from duties.topics import (
    LONGEST_DISCUSSION,
    TOPICS,
    Opening,
    Reply,
    TopicError,
    open_topic,
    published_replies,
    submit_reply,
    topic_url,
)
from workflows.limits import SubmissionLimits, take_in
from workflows.public_views import IdempotentForm, MobilePhoneField, name_field

REPLY_LIMITS = SubmissionLimits(
    "topic-reply", "LIANLUO_TOPIC_REPLY_RATE_IP", "10/h", "LIANLUO_TOPIC_REPLY_RATE_PHONE", "5/d"
)
RECEIPT_SALT = "lianluo.topic.reply"

# --- The public topic page ------------------------------------------------------------------------


class ReplyForm(IdempotentForm):
    content = forms.CharField(
        label="您的看法",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="不超过 1000 字。经站点工作人员审核后公开，公开时不显示姓名和电话。",
        error_messages={"required": "请填写您的看法。", "max_length": "回复不能超过 1000 字。"},
    )
    resident_name = name_field()
    resident_phone = MobilePhoneField(help_text="仅供代表和工作人员联系您，不会公开。")

    def clean_content(self):
        content = self.cleaned_data["content"].strip()
        if len(content) < 5:
            raise forms.ValidationError("请把您的看法写清楚（至少 5 个字）。")
        return content


def _receipt(reply: TopicReply) -> str:
    """The receipt's signed token: the same every time (no timestamp), so a reply sent twice
    lands on the same receipt address."""
    return signing.Signer(salt=RECEIPT_SALT).sign_object(reply.pk)


def _reply_for_receipt(token: str, topic) -> TopicReply | None:
    try:
        pk = signing.Signer(salt=RECEIPT_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None
    return TopicReply.objects.filter(pk=pk, topic=topic).first() if isinstance(pk, int) else None


def station_topic_page(station, request, pk):
    """<station>/topics/<pk>/ (a route of every station page, called like a page method)."""
    return topic_page(request, station, pk)


@require_http_methods(["GET", "POST"])
def topic_page(request, station, pk):
    """The topic, its published replies, and the reply form."""
    topic = get_object_or_404(
        DiscussionTopic.objects.select_related("deputy", "direct_opinion__department").filter(
            station=station, state__in=(TopicState.OPEN, TopicState.CLOSED)
        ),
        pk=pk,
    )
    form, status = ReplyForm(), 200
    if request.method == "POST":
        if not topic.accepts_replies():
            return redirect(topic_url(topic))
        form = ReplyForm(request.POST)
        response = take_in(
            request,
            form,
            limits=REPLY_LIMITS,
            phone_field="resident_phone",
            stored=lambda key: TopicReply.objects.filter(idempotency_key=key, topic=topic).first(),
            store=lambda data: submit_reply(
                Reply(topic, data["content"], data["resident_name"], data["resident_phone"], data["idempotency_key"])
            ),
            refused=TopicError,
            receipt_url=lambda reply: f"{topic_url(topic)}?received={_receipt(reply)}",
        )
        if response is not None:
            return response
        status = 400
    received = _reply_for_receipt(request.GET["received"], topic) if request.GET.get("received") else None
    return render(
        request,
        "duties/public/topic.html",
        {
            "page": station,
            "station": station,
            "topic": topic,
            "replies": published_replies(topic),
            "form": form if topic.accepts_replies() else None,
            "received": received,
            "page_title": topic.title,
        },
        status=status,
    )


def station_topic_urls():
    return [path("topics/<int:pk>/", station_topic_page, name="topic")]


# --- 代表e站: the deputy's topics -------------------------------------------------------------------


class OpenTopicForm(forms.Form):
    station = forms.ChoiceField(label="站点", help_text="在哪个驻站站点的页面上征求居民意见。")
    title = forms.CharField(label="议题", max_length=60, help_text="一句话说清楚要讨论的事，不超过 60 字。")
    description = forms.CharField(
        label="议题说明",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="背景、现状和想听居民哪些方面的意见。",
    )
    closes_on = forms.DateField(
        label="截止日期",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=f"居民可回复到这一天；最长 {LONGEST_DISCUSSION} 天。",
    )

    def __init__(self, *args, memberships, **kwargs):
        super().__init__(*args, **kwargs)
        self.stations = {str(m.station.pk): m.station for m in memberships}
        self.fields["station"].choices = [(pk, station.title) for pk, station in self.stations.items()]

    def opening(self) -> Opening:
        data = self.cleaned_data
        return Opening(self.stations[data["station"]], data["title"], data["description"], data["closes_on"])


@deputy_required
@require_http_methods(["GET", "POST"])
def new_topic(request, deputy):
    memberships = list(seated_at(deputy))
    if not memberships:
        messages.error(request, "您目前没有驻站，不能发起议题。")
        return redirect("duty_portal:home")
    form = OpenTopicForm(request.POST or None, memberships=memberships)
    if request.method == "POST" and form.is_valid():
        try:
            topic = open_topic(deputy, request.user, form.opening())
        except TopicError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"议题“{topic.title}”已在{topic.station.title}页面发布，居民可回复至 {topic.closes_on:%Y-%m-%d}。",
            )
            return redirect("duty_portal:topic", pk=topic.pk)
    return render(request, "duties/portal/topic_new.html", {"deputy": deputy, "form": form})


@deputy_required
@require_http_methods(["GET", "POST"])
def topic_detail(request, deputy, pk):
    """One of the deputy's topics: every reply not refused (names masked), and the next step."""
    topic = get_object_or_404(
        DiscussionTopic.objects.filter(deputy=deputy).select_related("station", "direct_opinion__department"), pk=pk
    )
    if topic.state == TopicState.WITHDRAWN:
        raise Http404
    steps = PortalSteps.of(request, TOPICS, topic, exclude=("to_direct",) if topic.direct_opinion_id else ())
    if steps.action:
        moved = steps.run(request)
        if moved is not None:
            if steps.action == "close":
                messages.success(request, "讨论已结束，总结已在站点页面公开。")
            else:
                opinion = moved.direct_opinion
                messages.success(
                    request,
                    f"已作为直通车事项交办{opinion.department.name}（编号 {opinion.receipt_no}），"
                    f"办理期限 {opinion.deadline:%Y-%m-%d}。",
                )
        if moved is not None or steps.action not in steps.forms:
            return redirect("duty_portal:topic", pk=topic.pk)
    replies = list(
        topic.replies.exclude(state=ReplyState.REJECTED)
        .only("content", "resident_name", "state", "created_at", "topic_id")
        .order_by("created_at")
    )
    return render(
        request,
        "duties/portal/topic.html",
        {
            "deputy": deputy,
            "topic": topic,
            "replies": replies,
            "close_form": steps.forms.get("close"),
            "follow_ups": follow_ups(topic) if topic.state == TopicState.CLOSED else [],
            "direct_form": steps.forms.get("to_direct"),
            "overdue": topic.state == TopicState.OPEN and timezone.localdate() > topic.closes_on,
        },
        status=400 if steps.action else 200,
    )
