"""直通车: a deputy raises an issue straight with the department responsible.

It becomes an opinion (channel 代表转交) with the deputy as its originator, accepted and
assigned to the chosen department at once by the platform (the SYSTEM capacity of the
opinion loop, recorded as "<name>（直通车）"), so it enters the department's queue with a
working-day deadline like any assigned opinion. The deputy follows it in 代表e站 and rates
the reply (满意 / 基本满意 / 不满意: 不满意 reopens it, as for a citizen). Being the deputy's own
issue, it also counts as an opinion they forwarded (duties.automatic).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from content.models import Deputy
from duties.records import RecordError
from workflows import opinions
from workflows.intake import IntakeError, Submission, submit
from workflows.models import Channel, Opinion, OpinionState
from workflows.process import CITIZEN, SYSTEM, TransitionError


def actor_name(deputy: Deputy) -> str:
    return f"{deputy.name}（直通车）"


@transaction.atomic
def raise_directly(deputy: Deputy, user, *, station, category, department, title: str, content: str) -> Opinion:
    """Store the deputy's issue, accepted and assigned to `department`; RecordError says why not."""
    try:
        opinion, _created = submit(
            Submission(
                station=station,
                category=category,
                title=title,
                content=content,
                citizen_name=deputy.name,
                citizen_phone="",
                channel=Channel.DEPUTY,
                received_by_deputy=deputy,
                received_on=timezone.localdate(),
                entered_by=user,
                originator=deputy,
            )
        )
        opinion = opinions.perform(opinion, "accept", capacity=SYSTEM, username=actor_name(deputy))
        return opinions.perform(opinion, "assign", capacity=SYSTEM, username=actor_name(deputy), department=department)
    except (IntakeError, TransitionError) as error:
        raise RecordError(str(error)) from None


def rate(opinion: Opinion, deputy: Deputy, rating: str) -> Opinion:
    """The originating deputy rates the department's reply."""
    if opinion.originator_id != deputy.pk:
        raise RecordError("只有提出该直通车事项的代表可以评价。")
    if opinion.state != OpinionState.REPLIED:
        raise RecordError(f"该事项当前状态为“{opinion.get_state_display()}”，不能评价。")
    try:
        return opinions.perform(
            opinion,
            "evaluate",
            capacity=CITIZEN,
            username=actor_name(deputy),
            expected_version=opinion.version,
            rating=rating,
        )
    except TransitionError as error:
        raise RecordError(str(error)) from None
