"""民生实事票决: the counting rule on worked examples (top N **and** more than half of all deputies
entitled; shortfalls and ties reported, never settled silently), one ballot each, the secrecy
of the stored ballots, the two-person entry of paper ballots, sealing and the recount, and the
round's process from its declaration."""

from __future__ import annotations

import threading

import pytest

from django.db import connection
from django.test import RequestFactory

from base.models import AuditEvent
from base.roles import Role, role_group_name
from content.models import Membership
from livelihood import ballot
from livelihood.ballot import BallotError, decide, threshold
from livelihood.models import (
    Ballot,
    BallotCount,
    BallotToken,
    Candidate,
    Elector,
    LivelihoodAction,
    PaperEntry,
    ProjectRound,
    RoundState,
)
from livelihood.rounds import ROUNDS, RUNNER
from tests import process_contract as contract
from tests.conftest import make_deputy, role_user, street_user
from workflows.models import Department
from workflows.process import TransitionError

pytestmark = pytest.mark.django_db
S = RoundState


# --- The rule, on worked examples -----------------------------------------------------------------


def test_more_than_half_of_all_entitled_not_of_those_present():
    assert (threshold(600), threshold(601), threshold(1), threshold(2)) == (301, 301, 1, 2)


def test_the_top_n_over_the_threshold_are_chosen():
    votes = {n: 600 - 10 * n for n in range(1, 16)}  # 590, 580, … 450: all over 301
    decision = decide(votes, entitled=600, seats=10)
    assert decision.chosen == tuple(range(1, 11)) and decision.shortfall == 0 and not decision.tied


def test_top_n_but_not_over_half_is_not_chosen_and_the_place_stays_empty():
    votes = {1: 500, 2: 420, 3: 301, 4: 300, 5: 120}  # 4th: exactly half of 600, not more
    decision = decide(votes, entitled=600, seats=4)
    assert decision.chosen == (1, 2, 3) and decision.shortfall == 1


def test_a_tie_for_the_last_places_is_reported_not_settled():
    votes = {1: 500, 2: 480, 3: 400, 4: 400, 5: 400, 6: 200}
    decision = decide(votes, entitled=600, seats=4)
    assert decision.chosen == (1, 2) and decision.tied == (3, 4, 5) and decision.places_tied == 2
    assert decision.shortfall == 0


def test_a_level_pair_that_fits_the_places_is_chosen():
    decision = decide({1: 500, 2: 400, 3: 400, 4: 390}, entitled=600, seats=3)
    assert decision.chosen == (1, 2, 3) and not decision.tied


def test_a_tie_below_the_threshold_changes_nothing():
    decision = decide({1: 500, 2: 300, 3: 300}, entitled=600, seats=2)
    assert decision.chosen == (1,) and decision.shortfall == 1 and not decision.tied


def test_the_ranking_lists_every_candidate_most_votes_first():
    decision = decide({1: 10, 2: 30, 3: 20, 4: 30}, entitled=40, seats=2)
    assert decision.ranking == ((2, 30), (4, 30), (3, 20), (1, 10)) and decision.chosen == (2, 4)


# --- A round on the database ----------------------------------------------------------------------


@pytest.fixture
def district(two_streets, street):
    department = Department.objects.create(name="区民政局")
    deputies = [make_deputy(f"代表{n}") for n in range(5)]
    for deputy in deputies:
        Membership.objects.create(station=two_streets["station"], deputy=deputy)
    make_deputy("市代表", level="city")  # not on a district round's roll
    make_deputy("离任代表", is_active=False)
    return {
        **two_streets,
        "street": street,
        "department": department,
        "deputies": deputies,
        "office": role_user("office", role_group_name(Role.DISTRICT_ADMIN)),
        "clerk_a": role_user("clerk-a", role_group_name(Role.DISTRICT_ADMIN)),
        "clerk_b": role_user("clerk-b", role_group_name(Role.DISTRICT_ADMIN)),
    }


def new_round(world, *, street=None, seats=2, candidates=4, year=2027) -> ProjectRound:
    round = ProjectRound.objects.create(
        year=year, street=street, title=f"{year}年民生实事", seats=seats, candidate_count=candidates
    )
    for number in range(1, candidates + 1):
        Candidate.objects.create(
            round=round,
            number=number,
            title=f"候选项目{number}",
            description="项目内容",
            budget=100,
            department=world["department"],
            assessment="可行：条件具备，年内可完成。",
        )
    return round


def balloting(world, **options) -> ProjectRound:
    round = new_round(world, **options)
    for name in ("open_nominations", "close_nominations", "publish_candidates", "open_ballot"):
        round = ROUNDS.perform(round, name, user=world["office"])
    return round


def test_the_roll_is_every_serving_district_deputy_and_frozen_when_the_ballot_opens(district):
    round = balloting(district)
    assert round.entitled == 5
    assert set(Elector.objects.filter(round=round).values_list("deputy__name", flat=True)) == {
        f"代表{n}" for n in range(5)
    }


def test_a_street_round_has_the_deputies_seated_in_its_stations(district):
    other = make_deputy("青波代表")
    Membership.objects.create(station=district["other_station"], deputy=other)
    round = balloting(district, street=district["other_street"])
    assert list(Elector.objects.filter(round=round).values_list("deputy__name", flat=True)) == ["青波代表"]


def test_a_whole_ballot_online_and_on_paper_counted_and_recounted(district):
    round = balloting(district)
    d = district["deputies"]
    tokens = [ballot.issue(round, deputy, "online", user=district["office"]) for deputy in d[:3]]
    for deputy in d[3:]:
        assert ballot.issue(round, deputy, "paper", user=district["office"]) == ""
    ballot.cast(round, tokens[0], [1, 2])
    ballot.cast(round, tokens[1], ["1", "3"])
    ballot.cast(round, tokens[2], [])  # a blank ballot is valid and counts as cast
    # Two paper ballots, each entered by two people; the second is over-voted (3 of 2): invalid.
    assert not ballot.enter_paper(round, 101, [1, 3], user=district["clerk_a"])
    assert ballot.enter_paper(round, 101, [3, 1], user=district["clerk_b"])
    assert not ballot.enter_paper(round, 102, [1, 2, 3], user=district["clerk_a"])
    assert ballot.enter_paper(round, 102, [1, 2, 3], user=district["clerk_b"])
    round = ROUNDS.perform(round, "close_ballot", user=district["office"])
    count = BallotCount.objects.get(round=round)
    assert (count.entitled, count.cast, count.invalid) == (5, 5, 1)
    assert count.votes == {"1": 3, "2": 1, "3": 2, "4": 0}
    assert count.chosen == [1] and count.shortfall == 1  # 3 needed (more than half of 5); only 1 has them
    assert ballot.recount_matches(round)
    round = ROUNDS.perform(round, "publish_results", user=district["office"])
    assert round.state == S.IMPLEMENTING


def test_a_count_that_a_recount_does_not_reproduce_is_not_published(district):
    round = balloting(district)
    token = ballot.issue(round, district["deputies"][0], "online")
    ballot.cast(round, token, [1])
    round = ROUNDS.perform(round, "close_ballot", user=district["office"])
    Ballot.objects.create(round=round, choices=[2])  # a ballot slipped in after the count
    with pytest.raises(TransitionError, match="重新计票"):
        ROUNDS.perform(round, "publish_results", user=district["office"])
    assert ProjectRound.objects.get(pk=round.pk).state == S.COUNTED


# --- One ballot each ------------------------------------------------------------------------------


def test_a_deputy_gets_one_ballot_and_a_token_counts_once(district):
    round = balloting(district)
    deputy = district["deputies"][0]
    token = ballot.issue(round, deputy, "online")
    with pytest.raises(BallotError, match="已经领取过选票"):
        ballot.issue(round, deputy, "paper")
    ballot.cast(round, token, [1])
    with pytest.raises(BallotError, match="已经投过"):
        ballot.cast(round, token, [2])
    with pytest.raises(BallotError, match="不在本轮有表决权的代表名单中"):
        ballot.issue(round, make_deputy("名单外"), "online")
    assert Ballot.objects.filter(round=round).count() == 1


@pytest.mark.parametrize(
    ("choices", "message"),
    [([1, 2, 3], "最多选 2 项"), ([1, 1], "只能选一次"), ([9], "不在本轮候选项目中"), (["x"], "无法识别")],
)
def test_a_bad_ballot_is_refused_and_the_token_still_counts(district, choices, message):
    round = balloting(district)
    token = ballot.issue(round, district["deputies"][0], "online")
    with pytest.raises(BallotError, match=message):
        ballot.cast(round, token, choices)
    assert not Ballot.objects.exists()
    ballot.cast(round, token, [2])  # corrected, it counts
    assert Ballot.objects.get().choices == [2]


def test_no_ballot_outside_the_voting_time(district):
    round = new_round(district)
    with pytest.raises(BallotError, match="不在投票时间"):
        ballot.issue(round, district["deputies"][0], "online")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent voting needs a server database")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ten_requests_at_once_one_ballot_issued_and_one_cast(district):
    round = balloting(district)
    deputy = district["deputies"][0]
    outcomes = run_at_once(10, lambda: ballot.issue(round, deputy, "online"))
    tokens = [outcome for outcome in outcomes if isinstance(outcome, str)]
    assert len(tokens) == 1 and sum(isinstance(o, BallotError) for o in outcomes) == 9
    outcomes = run_at_once(10, lambda: ballot.cast(round, tokens[0], [1]))
    assert outcomes.count(None) == 1 and Ballot.objects.filter(round=round).count() == 1


def run_at_once(count, action) -> list:
    barrier, outcomes = threading.Barrier(count), []

    def run():
        try:
            barrier.wait()
            outcomes.append(action())
        except BallotError as error:
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


# --- Secrecy --------------------------------------------------------------------------------------


def test_no_column_links_a_ballot_or_a_token_to_anyone_or_any_time():
    assert {f.name for f in Ballot._meta.get_fields()} == {"id", "round", "choices", "valid"}
    assert {f.name for f in BallotToken._meta.get_fields()} == {"id", "round", "digest"}
    assert not hasattr(Ballot, "history") and not hasattr(BallotToken, "history")
    roll_fields = {f.name for f in Elector._meta.get_fields()}
    assert roll_fields == {"id", "round", "deputy", "issued", "issued_at"}  # nothing about which ballot


def test_casting_is_logged_without_the_voter_even_from_a_signed_in_request(district, monkeypatch):
    round = balloting(district)
    voter = role_user("voter", role_group_name(Role.DEPUTY))
    token = ballot.issue(round, district["deputies"][0], "online", user=voter)
    request = RequestFactory().post("/vote/", REMOTE_ADDR="10.1.2.3")
    request.user = voter
    monkeypatch.setattr("base.audit.current_request", lambda: request)
    ballot.cast(round, token, [1])
    event = AuditEvent.objects.get(action=LivelihoodAction.BALLOT_CAST)
    assert (event.actor_id, event.actor_username, event.ip_address) == (None, "", None)
    assert "1" not in str(event.detail.values())  # not the choices either
    issued = AuditEvent.objects.get(action=LivelihoodAction.BALLOT_ISSUED)
    assert issued.actor == voter and token not in str(issued.detail)  # issuing is logged, not the token


def test_sealing_rewrites_the_ballots_with_new_ids_in_another_order(district):
    round = balloting(district, seats=4, candidates=4)
    for n in range(40):
        Ballot.objects.create(round=round, choices=[n % 4 + 1])
    before = list(Ballot.objects.filter(round=round).values_list("id", "choices"))
    ballot.seal(round)
    after = list(Ballot.objects.filter(round=round).values_list("id", "choices"))
    assert not {i for i, _ in before} & {i for i, _ in after}
    assert sorted(c for _, c in after) == sorted(c for _, c in before)
    assert [c for _, c in after] != [c for _, c in before]  # 40! orders: the same one is not a risk


# --- Paper ballots, two people -----------------------------------------------------------------


def test_a_paper_ballot_is_stored_only_when_two_people_agree(district):
    round = balloting(district)
    for deputy in district["deputies"][:3]:
        ballot.issue(round, deputy, "paper")
    a, b, office = district["clerk_a"], district["clerk_b"], district["office"]
    assert not ballot.enter_paper(round, 7, [1], user=a)
    assert not ballot.enter_paper(round, 7, [1], user=a)  # the same person twice is one entry
    assert not ballot.enter_paper(round, 7, [2], user=b)  # they disagree: nothing stored
    assert not Ballot.objects.exists() and PaperEntry.objects.filter(sheet=7).count() == 2
    with pytest.raises(TransitionError, match="第 7 号"):
        ROUNDS.perform(round, "close_ballot", user=office)
    assert ballot.enter_paper(round, 7, [1], user=office)  # a third entry agrees with the first
    assert Ballot.objects.get().choices == [1]
    with pytest.raises(BallotError, match="已经两人一致录入"):
        ballot.enter_paper(round, 7, [1], user=b)


def test_no_more_paper_ballots_stored_than_issued(district):
    round = balloting(district)
    ballot.issue(round, district["deputies"][0], "paper")
    ballot.enter_paper(round, 1, [1], user=district["clerk_a"])
    assert ballot.enter_paper(round, 1, [1], user=district["clerk_b"])
    ballot.enter_paper(round, 2, [2], user=district["clerk_a"])
    with pytest.raises(BallotError, match="不能多于发出的 1 张"):
        ballot.enter_paper(round, 2, [2], user=district["clerk_b"])
    assert Ballot.objects.count() == 1


# --- The round's process, from its declaration --------------------------------------------------


class RoundDriver(contract.Driver):
    def __init__(self, world):
        super().__init__(ROUNDS, "")
        self.world = world
        self.years = iter(range(2030, 2100))

    def bring(self, state):
        round = new_round(self.world, year=next(self.years))
        path = [t for t in ROUNDS.transitions]
        for transition in path:
            if round.state == state:
                break
            round = ROUNDS.perform(round, transition.name, user=self.world["office"])
        assert round.state == state
        return round

    def actor(self, capacity):
        assert capacity == RUNNER
        return self.world["office"]

    def outsider(self):
        return street_user(self.world["street"], username=f"outsider-{next(self.years)}")


CASES = [
    *[("allowed", case) for case in contract.allowed_cases(ROUNDS)],
    *[("refused", case) for case in contract.refused_cases(ROUNDS)],
    *[("outsider", state) for state in contract.states(ROUNDS)],
    *[("todo", key) for key in contract.todo_cases(ROUNDS)],
]


@pytest.mark.parametrize(("check", "case"), CASES, ids=[f"{c}-{contract.ids([x])[0]}" for c, x in CASES])
def test_the_round_process(district, check, case):
    driver = RoundDriver(district)
    if check == "allowed":
        contract.check_allowed(driver, *case)
    elif check == "refused":
        contract.check_refused(driver, *case)
    elif check == "outsider":
        contract.check_outsider(driver, case)
    else:
        contract.check_todo(driver, case)


def test_a_street_committee_runs_its_own_streets_round_only(district):
    secretary = street_user(district["street"])
    own = ProjectRound.objects.create(year=2027, street=district["street"], title="本街道民生实事")
    other = ProjectRound.objects.create(year=2027, street=district["other_street"], title="别的街道民生实事")
    district_round = new_round(district)
    assert ROUNDS.perform(own, "open_nominations", user=secretary).state == S.NOMINATING
    for round in (other, district_round):
        with pytest.raises(TransitionError, match="没有权限"):
            ROUNDS.perform(round, "open_nominations", user=secretary)


def test_the_recount_command_reproduces_the_count_and_flags_a_difference(district, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    round = balloting(district)
    for deputy in district["deputies"][:3]:
        ballot.cast(round, ballot.issue(round, deputy, "online"), [1])
    round = ROUNDS.perform(round, "close_ballot", user=district["office"])
    call_command("recount_ballot", str(round.pk))
    out = capsys.readouterr().out
    assert "收回 3 张" in out and "1号 3 票（计票结果 3 票）" in out and "完全一致" in out
    Ballot.objects.filter(round=round).first().delete()
    with pytest.raises(CommandError, match="不一致：cast、votes"):
        call_command("recount_ballot", str(round.pk))
