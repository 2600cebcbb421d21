"""Compiling the comments (汇总整理) and feeding back their adoption (采纳反馈).

The compilation reads the comments that count (published, withheld from the public page but
still compiled, and merged duplicates, which count with the comment they joined) grouped by
article, the whole draft first. Staff write one compiled opinion (汇总意见) per article that
received comments while the consultation is being compiled; once the law is passed they mark
each one adopted, partly adopted or not adopted, with the text as passed. Every change is
audited and kept in the row's history.

Reading the compilation costs three queries whatever the size of the draft: its articles, its
counted comments (with their experts), and its compiled opinions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction

from base import audit
from legislation.models import (
    COUNTED,
    Adoption,
    Article,
    Comment,
    CommentState,
    CompiledOpinion,
    Consultation,
    ConsultationState,
    LegislationAction,
)
from workflows.process import TransitionError

MAX_COMPILED = 5000


class CompilationError(TransitionError):
    """Refused, with the reason in Chinese; nothing stored."""


@dataclass
class Row:
    """One line of the compilation: an article (None: the draft as a whole), the comments on
    it (each with the duplicates merged into it), how many comments that is in all, and its
    compiled opinion."""

    article: Article | None
    comments: list[Comment] = field(default_factory=list)
    duplicates: dict[int, int] = field(default_factory=dict)  # comment pk → comments merged into it
    count: int = 0
    compiled: CompiledOpinion | None = None

    @property
    def label(self) -> str:
        return self.article.label if self.article else "整体意见"

    @property
    def original(self) -> str:
        return self.article.text if self.article else ""

    def duplicates_of(self, comment: Comment) -> int:
        return self.duplicates.get(comment.pk, 0)


def compilation(consultation: Consultation, *, all_articles: bool = False) -> list[Row]:
    """The compilation's lines: the whole draft, then the articles in order — those with
    comments or a compiled opinion (every article when `all_articles`)."""
    articles = list(Article.objects.filter(consultation=consultation).order_by("position"))
    comments = Comment.objects.filter(consultation=consultation, state__in=COUNTED).select_related("expert")
    compiled = {c.article_id: c for c in CompiledOpinion.objects.filter(consultation=consultation)}
    by_article: dict[int | None, list[Comment]] = defaultdict(list)
    for comment in comments.order_by("created_at", "pk"):
        by_article[comment.article_id].append(comment)
    rows = []
    for article in [None, *articles]:
        key = article.pk if article else None
        found = by_article.get(key, [])
        if not (found or key in compiled or (all_articles and article is not None)):
            continue
        row = Row(article, count=len(found), compiled=compiled.get(key))
        for comment in found:
            if comment.state == CommentState.MERGED and comment.merged_into_id:
                row.duplicates[comment.merged_into_id] = row.duplicates.get(comment.merged_into_id, 0) + 1
            else:
                row.comments.append(comment)
        rows.append(row)
    return rows


def missing_compilations(consultation: Consultation) -> list[str]:
    """The lines with comments but no compiled opinion (their labels)."""
    return [row.label for row in compilation(consultation) if row.count and row.compiled is None]


def _checked_article(consultation: Consultation, article: Article | None) -> Article | None:
    if article is not None and article.consultation_id != consultation.pk:
        raise CompilationError("这一条不属于这份征求意见稿。")
    return article


def save_compiled(consultation: Consultation, article: Article | None, text: str, *, user) -> CompiledOpinion:
    """Write (or rewrite) the compiled opinion on an article while the consultation is being compiled."""
    if consultation.state != ConsultationState.COMPILING:
        raise CompilationError(f"立法征询当前为“{consultation.get_state_display()}”，只有汇总整理中才能修改汇总意见。")
    article = _checked_article(consultation, article)
    text = (text or "").strip()
    if not text:
        raise CompilationError("请填写汇总意见。")
    if len(text) > MAX_COMPILED:
        raise CompilationError(f"汇总意见不能超过 {MAX_COMPILED} 字。")
    with transaction.atomic():
        row = CompiledOpinion.objects.select_for_update().filter(consultation=consultation, article=article).first()
        if row is None:
            row = CompiledOpinion(consultation=consultation, article=article)
        elif row.text == text:
            return row
        row.text, row.updated_by = text, user
        row._change_reason = "汇总意见"
        row.save()
        label = article.label if article else "整体意见"
        audit.record(LegislationAction.COMPILED, actor=user, obj=consultation, article=label)
    return row


def mark_adoption(compiled: CompiledOpinion, adoption: str, final_text: str, note: str, *, user) -> CompiledOpinion:
    """Mark a compiled opinion adopted / partly adopted / not adopted, with the text as passed."""
    consultation = Consultation.objects.get(pk=compiled.consultation_id)
    if consultation.state != ConsultationState.SUBMITTED:
        raise CompilationError(
            f"立法征询当前为“{consultation.get_state_display()}”，汇总意见报送之后、反馈之前才能标注采纳情况。"
        )
    if adoption not in (Adoption.ADOPTED, Adoption.PARTLY, Adoption.NOT_ADOPTED):
        raise CompilationError("请选择采纳、部分采纳或未采纳。")
    final_text, note = (final_text or "").strip(), (note or "").strip()
    if adoption in (Adoption.ADOPTED, Adoption.PARTLY) and compiled.article_id and not final_text:
        raise CompilationError("采纳或部分采纳的，请填写通过文本中对应的条文。")
    if len(final_text) > MAX_COMPILED or len(note) > 500:
        raise CompilationError("通过文本不能超过 5000 字，采纳说明不能超过 500 字。")
    with transaction.atomic():
        compiled.adoption, compiled.final_text, compiled.adoption_note = adoption, final_text, note
        compiled.updated_by = user
        compiled._change_reason = "采纳情况"
        compiled.save()
        audit.record(
            LegislationAction.ADOPTION,
            actor=user,
            obj=consultation,
            article=str(compiled),
            adoption=adoption,
        )
    return compiled


@dataclass(frozen=True)
class AdoptionFigures:
    compiled: int
    adopted: int
    partly: int
    not_adopted: int
    unmarked: int

    @classmethod
    def of(cls, compiled) -> AdoptionFigures:
        marks = [row.adoption for row in compiled]
        return cls(
            compiled=len(marks),
            adopted=marks.count(Adoption.ADOPTED),
            partly=marks.count(Adoption.PARTLY),
            not_adopted=marks.count(Adoption.NOT_ADOPTED),
            unmarked=marks.count(Adoption.PENDING),
        )

    @property
    def rate(self) -> float | None:
        """Adopted or partly adopted, of the compiled opinions (None before any)."""
        return (self.adopted + self.partly) / self.compiled if self.compiled else None

    @property
    def percent(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.0f}%"


def adoption_figures(consultation: Consultation) -> AdoptionFigures:
    return AdoptionFigures.of(CompiledOpinion.objects.filter(consultation=consultation).only("adoption"))


def result_for(comment: Comment) -> CompiledOpinion | None:
    """The compiled opinion a comment went into, once adoption has been fed back."""
    consultation = comment.consultation
    if consultation.state != ConsultationState.FED_BACK or comment.state not in COUNTED:
        return None
    return CompiledOpinion.objects.filter(consultation=consultation, article_id=comment.article_id).first()
