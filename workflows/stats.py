"""Honest rates of the loop, each with its numerator and denominator.

- 办结率 closure rate: closed ÷ opinions taken into the loop (everything except 待受理,
  不予受理 and 重复). Closed says nothing about whether the problem was solved.
- 解决率 resolution rate: replies with outcome 已解决 ÷ opinions with a current reply.
- 满意率 satisfaction rate: 满意 or 基本满意 ÷ ratings given, counted per round's reply
  (OpinionReply.rating): a 不满意 that sent an opinion back for a new round (重办) stays in
  the denominator even after the next round is rated 满意. Items closed without a rating
  (no answer after the waiting period) are not in the denominator.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from workflows.models import OpinionReply, OpinionState, Outcome, Rating

S = OpinionState

# The conditions behind the rates, written once: the rates below, the rollups the dashboards
# read (oversight.rollups) and the listing filters each figure links to use these.
IN_LOOP = ~Q(state__in=(S.SUBMITTED, S.REJECTED, S.DUPLICATE))  # 进入办理: taken into the loop
CLOSED = IN_LOOP & Q(state=S.CLOSED)  # 已办结
REPLIED = ~Q(outcome="")  # 已答复: the current round has a reply
RESOLVED = Q(outcome=Outcome.RESOLVED)  # 已解决
# Per reply round (OpinionReply): rated, and rated 满意 or 基本满意.
RATED_ROUND = ~Q(rating="")
SATISFIED_ROUND = Q(rating__in=(Rating.SATISFIED, Rating.BASICALLY))


@dataclass(frozen=True)
class Rate:
    label: str
    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.numerator / self.denominator, 1) if self.denominator else None

    def __str__(self):
        shown = "—" if self.percent is None else f"{self.percent}%"
        return f"{self.label} {shown}（{self.numerator}/{self.denominator}）"


def loop_rates(queryset) -> list[Rate]:
    """The three rates over `queryset` (already scoped), computed in two queries."""
    counts = queryset.aggregate(
        in_loop=Count("pk", filter=IN_LOOP),
        closed=Count("pk", filter=CLOSED),
        replied=Count("pk", filter=REPLIED),
        resolved=Count("pk", filter=RESOLVED),
    )
    counts |= OpinionReply.objects.filter(opinion__in=queryset.values("pk")).aggregate(
        rated=Count("pk", filter=RATED_ROUND),
        satisfied=Count("pk", filter=SATISFIED_ROUND),
    )
    return [
        Rate("办结率", counts["closed"], counts["in_loop"]),
        Rate("解决率", counts["resolved"], counts["replied"]),
        Rate("满意率", counts["satisfied"], counts["rated"]),
    ]
