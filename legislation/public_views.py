"""立法征询 on the public site: the drafts open for comment (/legislation/), each draft's page
(its articles with stable anchors, how many comments each has, and once fed back the adoption
of each compiled opinion and the rate), one article with its published comments, the comment
form, the receipt (where the commenter later sees what became of their comment) and the
lookup by receipt number.

The form takes the opinions' checks (workflows.limits.take_in). Nothing public shows a
commenter's name or phone; an expert of the advisory team is named with their title.
"""

from __future__ import annotations

from django import forms
from django.core import signing
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods

from wagtail import hooks

from base.prepared import prepared
from legislation.comments import CommentError, CommentInput, lookup, submit_comment
from legislation.compilation import AdoptionFigures, adoption_figures, result_for
from legislation.models import (
    Adoption,
    Article,
    Comment,
    CommentChannel,
    CommentState,
    CompiledOpinion,
    Consultation,
    ConsultationState,
    DraftPage,
)
from workflows.limits import TOO_MANY_LOOKUPS, SubmissionLimits, limited, lookup_limited, take_in
from workflows.public_views import IdempotentForm, LookupForm, MobilePhoneField, name_field

COMMENT_LIMITS = SubmissionLimits(
    "legislation-comment", "LIANLUO_COMMENT_RATE_IP", "20/h", "LIANLUO_COMMENT_RATE_PHONE", "30/d"
)
RECEIPT_SALT = "lianluo.legislation.comment"
PUBLIC_STATES = (
    ConsultationState.OPEN,
    ConsultationState.COMPILING,
    ConsultationState.SUBMITTED,
    ConsultationState.FED_BACK,
)
WHOLE = "whole"


def receipt_token(comment: Comment) -> str:
    """The same for a comment every time (no timestamp): a form sent twice lands on one receipt."""
    return signing.Signer(salt=RECEIPT_SALT).sign_object(comment.receipt_no)


def comment_for_token(token: str) -> Comment | None:
    try:
        receipt_no = signing.Signer(salt=RECEIPT_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(receipt_no, str):
        return None
    return Comment.objects.filter(receipt_no=receipt_no).select_related("consultation__page", "article").first()


def receipt_url(comment: Comment) -> str:
    return reverse("legislation_receipt", args=[receipt_token(comment)])


def _consultation(page: DraftPage) -> Consultation:
    consultation = Consultation.objects.filter(page=page, state__in=PUBLIC_STATES).first()
    if consultation is None:
        raise Http404
    consultation.page = page
    return consultation


class CommentForm(IdempotentForm):
    article = forms.ChoiceField(label="对哪一条提意见", error_messages={"invalid_choice": "请选择列表中的条文。"})
    content = forms.CharField(
        label="意见内容",
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": 2000}),
        help_text="写明修改建议和理由，5 到 2000 字。审核后公开，公开时不显示姓名和电话。",
        error_messages={"required": "请填写意见内容。"},
    )
    commenter_name = name_field()
    commenter_phone = MobilePhoneField(help_text="用于查询采纳情况，不会公开。")

    def __init__(self, *args, articles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["article"].choices = [
            (WHOLE, "整体意见（对草案总体）"),
            *((str(a.number), a.label) for a in articles),
        ]

    def clean_content(self):
        content = self.cleaned_data["content"].strip()
        if len(content) > 2000:
            raise forms.ValidationError(f"意见内容不能超过 2000 字（现在 {len(content)} 字），请精简或分条提交。")
        if len(content) < 5:
            raise forms.ValidationError("请把意见写清楚（至少 5 个字）。")
        return content

    def article_number(self) -> int | None:
        value = self.cleaned_data["article"]
        return None if value == WHOLE else int(value)


def _chapters(articles: list[Article]) -> list[dict]:
    """The articles grouped under their chapter (and section) headings, in order."""
    groups: list[dict] = []
    for article in articles:
        heading = (article.chapter, article.section)
        if not groups or groups[-1]["heading"] != heading:
            new_chapter = bool(article.chapter) and (not groups or groups[-1]["chapter"] != article.chapter)
            groups.append(
                {
                    "heading": heading,
                    "chapter": article.chapter,
                    "section": article.section,
                    "new_chapter": new_chapter,
                    "articles": [],
                }
            )
        groups[-1]["articles"].append(article)
    return groups


def draft_page(page: DraftPage, request):
    """The draft: its articles, each with its published comments' count and, once adoption
    has been fed back, what became of its compiled opinion. Three queries of its own (the
    consultation with its whole-draft count, the articles with theirs, the compiled opinions
    once fed back), whatever the number of articles and comments."""
    published = Q(comments__state=CommentState.PUBLISHED)
    consultation = (
        Consultation.objects.filter(page=page, state__in=PUBLIC_STATES)
        .select_related("station")
        .annotate(whole_count=Count("comments", filter=published & Q(comments__article__isnull=True)))
        .first()
    )
    if consultation is None:
        raise Http404
    consultation.page = page
    articles = list(
        consultation.articles.annotate(published_count=Count("comments", filter=published)).order_by("position")
    )
    fed_back = consultation.state == ConsultationState.FED_BACK
    compiled = list(CompiledOpinion.objects.filter(consultation=consultation)) if fed_back else []
    by_article = {c.article_id: c for c in compiled}
    for article in articles:
        article.result = by_article.get(article.pk)
    return render(
        request,
        "legislation/public/draft_page.html",
        {
            "page": page,
            "self": page,
            "consultation": consultation,
            "chapters": _chapters(articles),
            "whole_count": consultation.whole_count,
            "whole_result": by_article.get(None),
            "total": consultation.whole_count + sum(a.published_count for a in articles),
            "open": consultation.accepts_comments(),
            "figures": AdoptionFigures.of(compiled) if fed_back else None,
            "page_title": page.title,
        },
    )


def article_page(page: DraftPage, request, number: int):
    consultation = _consultation(page)
    article = Article.objects.filter(consultation=consultation, number=number).first()
    if article is None:
        raise Http404
    comments = Comment.objects.filter(article=article, state=CommentState.PUBLISHED).select_related("expert")
    return render(
        request,
        "legislation/public/article.html",
        {
            "page": page,
            "consultation": consultation,
            "article": article,
            "page_obj": Paginator(comments.order_by("created_at", "pk"), 30).get_page(request.GET.get("page")),
            "open": consultation.accepts_comments(),
            "page_title": f"{article.label} · {page.title}",
        },
    )


@require_http_methods(["GET", "POST"])
def _comment_page(request, page: DraftPage):
    consultation = _consultation(page)
    if not consultation.accepts_comments():
        return render(request, "legislation/public/closed.html", {"page": page, "page_title": page.title}, status=403)
    articles = list(consultation.articles.order_by("position").only("number", "label"))
    channel = CommentChannel.QR if "qr" in (request.GET.get("src"), request.POST.get("src")) else CommentChannel.ONLINE
    status = 200
    if request.method == "POST":
        form = CommentForm(request.POST, articles=articles)
        response = take_in(
            request,
            form,
            limits=COMMENT_LIMITS,
            phone_field="commenter_phone",
            stored=lambda key: Comment.objects.filter(idempotency_key=key, consultation=consultation).first(),
            store=lambda data: submit_comment(
                CommentInput(
                    consultation=consultation,
                    article_number=form.article_number(),
                    content=data["content"],
                    name=data["commenter_name"],
                    phone=data["commenter_phone"],
                    channel=channel,
                    idempotency_key=data["idempotency_key"],
                )
            ),
            refused=CommentError,
            receipt_url=receipt_url,
        )
        if response is not None:
            return response
        status = 400
    else:
        chosen = request.GET.get("article", "")
        form = CommentForm(articles=articles, initial={"article": chosen if chosen.isdigit() else WHOLE})
    return render(
        request,
        "legislation/public/comment.html",
        {
            "page": page,
            "consultation": consultation,
            "form": form,
            "channel": channel,
            "page_title": f"提意见 · {page.title}",
        },
        status=status,
    )


def comment_page(page: DraftPage, request):
    return _comment_page(request, page)


@require_GET
def receipt(request, token: str):
    """The commenter's receipt: their comment, where the consultation stands, and once the
    law is passed what became of the compiled opinion their comment went into. (Outside the
    draft's page: Wagtail's page addresses take no signed token.)"""
    comment = comment_for_token(token)
    if comment is None:
        raise Http404
    return render(request, "legislation/public/receipt.html", _receipt_context(comment))


def _receipt_context(comment: Comment) -> dict:
    consultation = comment.consultation
    result = result_for(comment)
    return {
        "comment": comment,
        "consultation": consultation,
        "result": result,
        "adopted": result is not None and result.adoption in (Adoption.ADOPTED, Adoption.PARTLY),
        "figures": adoption_figures(consultation) if consultation.state == ConsultationState.FED_BACK else None,
        "page": consultation.page,
        "page_title": "立法意见回执",
    }


def draft_page_urls():
    return [
        path("", draft_page, name="draft"),
        path("articles/<int:number>/", article_page, name="article"),
        path("comment/", comment_page, name="comment"),
    ]


hooks.register("register_draft_page_urls", draft_page_urls)


@hooks.register("construct_station_page_context")
def add_station_drafts(station, request, context):
    """A contact point's page lists its drafts open for comment and those recently fed back."""
    context["legislation_drafts"] = _station_drafts(station.pk)


@prepared
def _station_drafts(station_id):
    return (
        Consultation.objects.filter(station_id=station_id, state__in=PUBLIC_STATES, page__live=True)
        .select_related("page")
        .order_by("-page__opens_on")[:5]
    )


@require_GET
def index(request):
    consultations = (
        Consultation.objects.filter(state__in=PUBLIC_STATES, page__live=True)
        .select_related("page", "station")
        .order_by("-page__opens_on", "-pk")
    )
    return render(
        request,
        "legislation/public/index.html",
        {"page_obj": Paginator(consultations, 20).get_page(request.GET.get("page")), "page_title": "立法意见征集"},
    )


@require_http_methods(["GET", "POST"])
def status(request):
    """Find a comment by its receipt number and the phone's last four digits (a POST, so
    neither lands in an address bar or a log); found, it goes to its receipt."""
    form = LookupForm(request.POST or None)
    context, code = {"form": form, "page_title": "查询立法意见采纳情况"}, 200
    if request.method == "POST":
        if lookup_limited(request, "legislation-lookup"):
            return limited(request, TOO_MANY_LOOKUPS)
        comment = lookup(form.data.get("receipt_no", ""), form.data.get("phone_last4", "")) if form.is_valid() else None
        if comment is not None:
            return redirect(receipt_url(comment))
        code = 404 if form.is_valid() else 400
        context["not_found"] = form.is_valid()
    return render(request, "legislation/public/status.html", context, status=code)
