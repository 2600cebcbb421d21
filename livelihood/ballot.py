"""The deputies' ballot (票决): the roll, issuing ballots at sign-in (签到), casting an online
ballot with its single-use token, the two-person entry of paper ballots, sealing the box, and
the count with its rule.

The rule (`decide`): a candidate is chosen when it is among the top N by votes **and** has
the votes of more than half of all deputies entitled to vote (过半数, not of those present).
Fewer than N over the threshold leaves places empty (a shortfall); candidates tied for the
last places over the threshold are reported as tied, with the places they contend for, and
none of them is chosen silently: the congress decides (e.g. by another vote).

One vote each and secrecy, together: issuing is one conditional UPDATE of the deputy's roll
entry (so a second request finds it issued); the token's digest is stored apart from the
roll; casting deletes the digest (so a token counts once, whatever races) and stores only the
choices. The casting is audited without the person or their address.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from base import audit
from content.models import CongressLevel, Deputy, Membership
from duties.automatic import livelihood_fact
from duties.models import AutoSource
from livelihood.models import (
    Ballot,
    BallotCount,
    BallotMethod,
    BallotToken,
    Candidate,
    Elector,
    LivelihoodAction,
    PaperEntry,
    ProjectRound,
    RoundState,
)
from workflows.process import TransitionError


class BallotError(TransitionError):
    """Refused, with the reason in Chinese; nothing was stored."""


# --- The rule -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    ranking: tuple[tuple[int, int], ...]  # (candidate number, votes), most votes first
    threshold: int  # the votes a candidate needs: more than half of those entitled
    chosen: tuple[int, ...]
    tied: tuple[int, ...] = ()  # over the threshold and level for the last places
    places_tied: int = 0  # how many places they contend for
    shortfall: int = 0  # places left empty: too few candidates over the threshold


def threshold(entitled: int) -> int:
    """More than half of `entitled`: 301 of 600, 301 of 601."""
    return entitled // 2 + 1


def decide(votes: dict[int, int], *, entitled: int, seats: int) -> Decision:
    ranking = tuple(sorted(votes.items(), key=lambda item: (-item[1], item[0])))
    need = threshold(entitled)
    passing = [(number, count) for number, count in ranking if count >= need]
    if len(passing) <= seats:
        return Decision(ranking, need, tuple(n for n, _ in passing), shortfall=seats - len(passing))
    last = passing[seats - 1][1]  # the votes of the Nth place
    above = tuple(n for n, count in passing if count > last)
    level = tuple(n for n, count in passing if count == last)
    places = seats - len(above)
    if len(level) == places:
        return Decision(ranking, need, above + level)
    return Decision(ranking, need, above, tied=level, places_tied=places)


# --- The roll -------------------------------------------------------------------------------------


def roll_deputies(round: ProjectRound):
    """Who votes: for the district's round every serving district deputy; for a street's round
    the serving deputies (district deputies and the street's 议政代表) seated in its stations."""
    deputies = Deputy.objects.filter(is_active=True)
    if round.street_id is None:
        return deputies.filter(congress_level=CongressLevel.DISTRICT)
    seated = Membership.objects.current().filter(station__street_id=round.street_id).values("deputy_id")
    return deputies.filter(pk__in=seated)


def build_roll(round: ProjectRound) -> int:
    """Make the round's roll once (kept if staff made it already); returns its size."""
    if not round.electors.exists():
        Elector.objects.bulk_create(Elector(round=round, deputy=deputy) for deputy in roll_deputies(round))
    return round.electors.count()


# --- Issuing and casting ------------------------------------------------------------------------


# The ballot code (选票码): 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L),
# about 60 bits, shown as ABCD-EFGH-JKMN so a deputy can note it and go on voting if the page
# is lost before casting. Dashes, spaces and case do not matter when it is typed back.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(typed: str) -> str:
    return "".join(ch for ch in (typed or "").upper() if ch.isalnum())[:32]


def show_code(token: str) -> str:
    return "-".join(token[i : i + 4] for i in range(0, len(token), 4))


def digest(token: str) -> str:
    return hashlib.sha256(normalise_code(token).encode()).hexdigest()


def token_is_live(round: ProjectRound, token: str) -> bool:
    """Whether the code stands for an online ballot of this round not yet cast."""
    return bool(normalise_code(token)) and BallotToken.objects.filter(round=round, digest=digest(token)).exists()


def _balloting(round: ProjectRound) -> None:
    if round.state != RoundState.BALLOTING:
        raise BallotError(f"{round.title}当前不在投票时间（{round.get_state_display()}）。")


def valid_code(code: str) -> bool:
    code = normalise_code(code)
    return len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code)


def issue(round: ProjectRound, deputy, method: str, *, user=None, code: str = "") -> str:
    """Sign the deputy in and issue one ballot: for `online`, return its code (a new one, or
    `code` when the deputy's page showed it before signing in, so that a lost response loses
    nothing); for `paper`, the staff hand over a paper ballot. A deputy not on the roll, or
    issued a ballot already, is refused."""
    _balloting(round)
    if method not in BallotMethod.values:
        raise BallotError("请选择手机投票或纸质选票。")
    if code and not valid_code(code):
        raise BallotError("选票码不对，请刷新页面后再签到。")
    elector = Elector.objects.filter(round=round, deputy=deputy).first()
    if elector is None:
        raise BallotError(f"{deputy.name}不在本轮有表决权的代表名单中。")
    with transaction.atomic():
        claimed = Elector.objects.filter(pk=elector.pk, issued="").update(issued=method, issued_at=timezone.now())
        if not claimed:
            raise BallotError(f"{deputy.name}已经领取过选票，每位代表只有一张。")
        token = ""
        if method == BallotMethod.ONLINE:
            token = normalise_code(code) or new_code()
            if BallotToken.objects.filter(digest=digest(token)).exists():
                raise BallotError("这个选票码已经用过，请刷新页面后再签到。")
            BallotToken.objects.create(round=round, digest=digest(token))
        audit.record(LivelihoodAction.BALLOT_ISSUED, actor=user, obj=elector, method=method, round=round.pk)
        # Taking part in the vote counts in the deputy's duty points (that they voted is no secret).
        livelihood_fact(
            AutoSource.LIVELIHOOD_VOTE,
            timezone.localdate(),
            deputy,
            f"参加“{round.title}”票决",
            f"livelihood_vote:{round.pk}:{deputy.pk}",
        )
    return token


def clean_choices(round: ProjectRound, choices) -> list[int]:
    """The candidates' numbers, checked: each on this ballot, none twice, at most N."""
    numbers = set(Candidate.objects.filter(round=round).values_list("number", flat=True))
    try:
        chosen = [int(choice) for choice in choices]
    except (TypeError, ValueError):
        raise BallotError("选票上有无法识别的项目。") from None
    if len(set(chosen)) != len(chosen):
        raise BallotError("同一个项目只能选一次。")
    if any(number not in numbers for number in chosen):
        raise BallotError("所选项目不在本轮候选项目中。")
    if len(chosen) > round.seats:
        raise BallotError(f"最多选 {round.seats} 项，您选了 {len(chosen)} 项。")
    return sorted(chosen)


def cast(round: ProjectRound, token: str, choices) -> None:
    """Store an online ballot: the token counts once; only the choices are kept."""
    _balloting(round)
    chosen = clean_choices(round, choices)
    with transaction.atomic():
        used, _ = BallotToken.objects.filter(round=round, digest=digest(token or "")).delete()
        if not used:
            raise BallotError("这张选票已经投过，或不是本轮的选票。")
        Ballot.objects.create(round=round, choices=chosen)
        audit.record(LivelihoodAction.BALLOT_CAST, anonymous=True, obj=round, method=BallotMethod.ONLINE)


# --- Paper ballots: two people enter each one -----------------------------------------------------


def enter_paper(round: ProjectRound, sheet: int, choices, *, user, spoiled: bool = False) -> bool:
    """One person's entry of paper ballot `sheet` (its printed number). Over-voted ballots are
    entered as they are (they count as invalid). Returns True when this entry agreed with
    another person's and the ballot was stored."""
    _balloting(round)
    if not sheet or sheet < 1:
        raise BallotError("请填写选票上印的编号。")
    numbers = set(Candidate.objects.filter(round=round).values_list("number", flat=True))
    try:
        chosen = sorted({int(choice) for choice in choices})
    except (TypeError, ValueError):
        raise BallotError("选票上有无法识别的项目。") from None
    if any(number not in numbers for number in chosen):
        raise BallotError("所选项目不在本轮候选项目中。")
    with transaction.atomic():
        # The round row is the lock: two entries of the same sheet are matched one at a time.
        ProjectRound.objects.select_for_update().get(pk=round.pk)
        entries = PaperEntry.objects.filter(round=round, sheet=sheet)
        if entries.filter(stored=True).exists():
            raise BallotError(f"第{sheet}号纸质选票已经两人一致录入并入箱。")
        mine, _ = PaperEntry.objects.update_or_create(
            round=round, sheet=sheet, entered_by=user, defaults={"choices": chosen, "spoiled": spoiled}
        )
        others = entries.exclude(pk=mine.pk)
        agreeing = next((e for e in others if e.spoiled == spoiled and sorted(e.choices) == chosen), None)
        audit.record(LivelihoodAction.PAPER_ENTRY, actor=user, obj=round, sheet=sheet, agreed=agreeing is not None)
        if agreeing is None:
            return False
        issued = Elector.objects.filter(round=round, issued=BallotMethod.PAPER).count()
        if paper_ballots(round) >= issued:
            raise BallotError(f"入箱的纸质选票不能多于发出的 {issued} 张。")
        valid = not spoiled and len(chosen) <= round.seats
        Ballot.objects.create(round=round, choices=chosen, valid=valid)
        entries.filter(pk__in=[mine.pk, agreeing.pk]).update(stored=True)
    return True


def paper_ballots(round: ProjectRound) -> int:
    """Paper ballots stored: the sheets two people entered alike."""
    return PaperEntry.objects.filter(round=round, stored=True).values("sheet").distinct().count()


def unmatched_sheets(round: ProjectRound) -> list[int]:
    """Sheets entered but not (yet) by two people alike."""
    entered = PaperEntry.objects.filter(round=round)
    stored = entered.filter(stored=True).values("sheet")
    return sorted(set(entered.exclude(sheet__in=stored).values_list("sheet", flat=True)))


# --- Closing and counting -----------------------------------------------------------------------


def seal(round: ProjectRound) -> int:
    """Close the box: unused online ballots lapse, and the stored ballots are rewritten with new
    random ids in random order, so their order in the table says nothing of who voted when."""
    BallotToken.objects.filter(round=round).delete()
    ballots = list(Ballot.objects.filter(round=round).values_list("choices", "valid"))
    random.SystemRandom().shuffle(ballots)
    Ballot.objects.filter(round=round).delete()
    Ballot.objects.bulk_create(Ballot(round=round, choices=choices, valid=valid) for choices, valid in ballots)
    return len(ballots)


@dataclass(frozen=True)
class Tally:
    entitled: int
    cast: int
    invalid: int
    votes: dict[int, int]
    decision: Decision

    def as_count(self) -> dict:
        """The fields of a BallotCount, as stored and compared on a recount."""
        return {
            "entitled": self.entitled,
            "cast": self.cast,
            "invalid": self.invalid,
            "votes": {str(number): count for number, count in sorted(self.votes.items())},
            "chosen": list(self.decision.chosen),
            "tied": list(self.decision.tied),
            "places_tied": self.decision.places_tied,
            "shortfall": self.decision.shortfall,
        }


def tally(round: ProjectRound) -> Tally:
    """Count the stored ballots (one query for the ballots, one for the candidates)."""
    votes = Counter({number: 0 for number in Candidate.objects.filter(round=round).values_list("number", flat=True)})
    cast = invalid = 0
    for choices, valid in Ballot.objects.filter(round=round).values_list("choices", "valid").iterator(chunk_size=2000):
        cast += 1
        if not valid:
            invalid += 1
            continue
        votes.update(choices)
    entitled = round.entitled if round.entitled is not None else round.electors.count()
    return Tally(entitled, cast, invalid, dict(votes), decide(votes, entitled=entitled, seats=round.seats))


def store_count(round: ProjectRound) -> BallotCount:
    BallotCount.objects.filter(round=round).delete()
    return BallotCount.objects.create(round=round, **tally(round).as_count())


def recount_matches(round: ProjectRound) -> bool:
    """Whether counting the stored ballots again gives exactly the stored count."""
    stored = BallotCount.objects.filter(round=round).first()
    if stored is None:
        return False
    fields = tally(round).as_count()
    return all(getattr(stored, name) == value for name, value in fields.items())


def issued_counts(round: ProjectRound) -> dict[str, int]:
    rows = Elector.objects.filter(round=round).exclude(issued="").values_list("issued", flat=True)
    counted = Counter(rows)
    return {method: counted.get(method, 0) for method in BallotMethod.values}


def unused_online(round: ProjectRound) -> int:
    return BallotToken.objects.filter(round=round).count()
