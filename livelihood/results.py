"""A round's ballot as the screens show it: the sign-in figures while the ballot is open, and
the stored count (BallotCount) with each candidate in its place on the ballot paper."""

from __future__ import annotations

from dataclasses import dataclass

from livelihood import ballot
from livelihood.models import BallotCount, Candidate, ProjectRound, RoundState

S = RoundState
# From the ballot's opening on, the numbers on the ballot (N, M) and the round's street stand.
BALLOT_OPENED = (S.BALLOTING, S.COUNTED, S.IMPLEMENTING, S.EVALUATING, S.CLOSED)
# Candidates are added and changed until they are published.
CANDIDATES_OPEN = (S.DRAFT, S.NOMINATING, S.SCREENING)
# The count is public once published (a recount reproduced it).
PUBLISHED = (S.IMPLEMENTING, S.EVALUATING, S.CLOSED)


@dataclass(frozen=True)
class SignIn:
    """签到 so far: ballots issued online and on paper, paper ballots stored (two people
    agreeing), and the sheets entered once or inconsistently."""

    entitled: int
    online: int
    paper: int
    paper_stored: int
    unmatched: list[int]

    @property
    def issued(self) -> int:
        return self.online + self.paper

    @property
    def waiting(self) -> int:
        return max(self.entitled - self.issued, 0)


def sign_in_figures(round: ProjectRound) -> SignIn:
    counts = ballot.issued_counts(round)
    entitled = round.entitled if round.entitled is not None else round.electors.count()
    return SignIn(
        entitled=entitled,
        online=counts.get("online", 0),
        paper=counts.get("paper", 0),
        paper_stored=ballot.paper_ballots(round),
        unmatched=ballot.unmatched_sheets(round),
    )


@dataclass(frozen=True)
class Row:
    candidate: Candidate
    votes: int
    chosen: bool
    tied: bool


@dataclass(frozen=True)
class Result:
    count: BallotCount
    rows: list[Row]  # in ballot order
    threshold: int

    @property
    def valid(self) -> int:
        return self.count.cast - self.count.invalid

    @property
    def turnout_percent(self) -> str:
        if not self.count.entitled:
            return "—"
        return f"{100 * self.count.cast / self.count.entitled:.1f}%"


def result_of(round: ProjectRound) -> Result | None:
    """The stored count with the candidates in ballot order (None before counting)."""
    count = BallotCount.objects.filter(round=round).first()
    if count is None:
        return None
    chosen, tied = set(count.chosen), set(count.tied)
    rows = [
        Row(
            candidate,
            int(count.votes.get(str(candidate.number), 0)),
            candidate.number in chosen,
            candidate.number in tied,
        )
        for candidate in round.candidates.select_related("department").order_by("number")
    ]
    return Result(count, rows, ballot.threshold(count.entitled))
