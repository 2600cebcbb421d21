"""民生实事 项目征集（点菜）: anyone nominates a project from a station's page or the round's page,
with the opinions' checks (phone, limits, a double submit stored once, moderation); staff
publish, merge duplicates keeping the link, adopt into candidates or decline, and every
nomination gets an answer before the candidates are published. Names and phones never show."""

from __future__ import annotations

import pytest

from django.urls import reverse

from livelihood.models import Nomination, NominationState, ProjectRound, RoundState
from livelihood.nominations import MODERATOR, NOMINATIONS, NominationError, Proposal, nominate
from livelihood.rounds import ROUNDS
from tests import process_contract as contract
from tests.conftest import street_user
from tests.test_livelihood_ballot import district as district  # noqa: F401 - the shared fixture
from tests.test_livelihood_ballot import new_round
from workflows.process import TransitionError

pytestmark = pytest.mark.django_db
N = NominationState
FORM = {
    "title": "东平巷老旧小区加装电梯",
    "need": "东平巷小区六层住宅没有电梯，高层住户多是老人，下楼就医买菜都很困难，希望成片加装电梯。",
    "place": "湖滨街道东平巷小区",
    "scale": "12 个单元",
    "nominator_name": "张建国",
    "nominator_phone": "138 1234 5678",
    "idempotency_key": "k1",
}


def nominating(world, **options) -> ProjectRound:
    round = new_round(world, **options)
    return ROUNDS.perform(round, "open_nominations", user=world["office"])


def post(client, round, **changes):
    return client.post(reverse("livelihood_nominate", args=[round.pk]), FORM | changes)


def proposal(round, **changes) -> Proposal:
    fields = {
        "round": round,
        "title": "背街小巷路面修缮",
        "need": "背街小巷路面坑洼、雨天积水，老人容易摔倒，希望统一翻修。",
        "place": "湖滨街道",
        "scale": "",
        "nominator_name": "李梅",
        "nominator_phone": "13912345678",
    }
    return Proposal(**(fields | changes))


def test_a_resident_nominates_gets_a_receipt_and_the_nomination_waits_for_moderation(client, district):
    round = nominating(district)
    page = client.get(reverse("livelihood_round", args=[round.pk])).content.decode()
    assert "我要点菜" in page
    response = post(client, round)
    assert response.status_code == 302
    receipt = client.get(response["Location"]).content.decode()
    nomination = Nomination.objects.get()
    assert "您的提名已收到" in receipt and f"提名编号 {nomination.pk}" in receipt
    assert (nomination.state, nomination.nominator_phone, nomination.source) == (N.SUBMITTED, "13812345678", "public")
    assert "东平巷老旧小区加装电梯" not in receipt.split("群众点菜与答复")[1]  # not public before moderation
    history = nomination.history.first()
    assert not hasattr(history, "nominator_phone") and not hasattr(history, "nominator_name")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"nominator_phone": "12345"}, "11 位中国大陆手机号码"),
        ({"need": "太短了"}, "10 到 2000 字"),
        ({"place": ""}, "请写明地点或范围"),
        ({"title": "路"}, "4 到 60 个字"),
        ({"nominator_name": ""}, "请填写姓名"),
        ({"title": "长" * 61}, "不能超过 60 字"),
    ],
)
def test_bad_nominations_are_refused_with_the_reason_and_store_nothing(client, district, changes, message):
    round = nominating(district)
    response = post(client, round, **changes)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Nomination.objects.exists()


def test_the_same_nomination_sent_twice_is_stored_once(client, district):
    round = nominating(district)
    first, second = post(client, round), post(client, round)
    assert first["Location"] == second["Location"] and Nomination.objects.count() == 1


def test_too_many_nominations_from_one_phone_get_a_429(client, district, settings):
    settings.LIANLUO_NOMINATION_RATE_PHONE = "2/d"
    round = nominating(district)
    for key in ("a", "b"):
        assert post(client, round, idempotency_key=key).status_code == 302
    third = post(client, round, idempotency_key="c")
    assert third.status_code == 429 and "提交过于频繁" in third.content.decode()
    assert Nomination.objects.count() == 2


def test_a_station_page_offers_the_form_and_the_station_is_kept(client, district):
    round = nominating(district)
    station = district["station"]
    page = client.get(station.url).content.decode()
    link = f"{reverse('livelihood_nominate', args=[round.pk])}?station={station.pk}"
    assert "民生实事项目征集" in page and link in page
    client.post(link, FORM)
    assert Nomination.objects.get().station_id == station.pk


def test_a_street_round_takes_nominations_only_at_its_own_stations(district):
    round = nominating(district, street=district["street"])
    with pytest.raises(NominationError, match="不属于湖滨街道"):
        nominate(proposal(round, station=district["other_station"]))
    nomination, created = nominate(proposal(round, station=district["station"]))
    assert created and nomination.station_id == district["station"].pk


def test_no_nominations_outside_the_collection_time(client, district):
    round = new_round(district)
    with pytest.raises(NominationError, match="现在不征集项目"):
        nominate(proposal(round))
    round = ROUNDS.perform(
        ROUNDS.perform(round, "open_nominations", user=district["office"]), "close_nominations", user=district["office"]
    )
    assert post(client, round).status_code == 302 and not Nomination.objects.exists()


def test_every_nomination_gets_an_answer_that_the_public_reads_without_names(client, district):
    round = nominating(district)
    office = district["office"]
    rows = [
        nominate(proposal(round, title=title, idempotency_key=title))[0]
        for title in ("加装电梯一", "加装电梯二", "修缮路面", "建设停车楼", "商业广告推广")
    ]
    first, duplicate, road, parking, spam = rows
    for row in (first, duplicate, road, parking):
        NOMINATIONS.perform(row, "list", user=office)
    NOMINATIONS.perform(spam, "reject", user=office, answer="与民生实事无关。")
    NOMINATIONS.perform(duplicate, "merge", user=office, into=first)
    candidate = round.candidates.get(number=1)
    NOMINATIONS.perform(first, "adopt", user=office, candidate=candidate)
    NOMINATIONS.perform(road, "decline", user=office, answer="已列入区城管局年度计划，不再票决。")
    round = ROUNDS.perform(round, "close_nominations", user=office)
    with pytest.raises(TransitionError, match="还有 1 条项目提名没有答复"):
        ROUNDS.perform(round, "publish_candidates", user=office)
    NOMINATIONS.perform(parking, "decline", user=office, answer="投资规模超出民生实事范围。")
    ROUNDS.perform(round, "publish_candidates", user=office)
    duplicate.refresh_from_db()
    assert duplicate.merged_into == first and "与“加装电梯一”内容相同或相近，已合并办理" in duplicate.answer
    page = client.get(reverse("livelihood_round", args=[round.pk])).content.decode()
    for text in ("已列为候选项目“候选项目1”", "已合并办理", "已列入区城管局年度计划", "投资规模超出"):
        assert text in page
    assert "商业广告推广" not in page  # rejected ones are answered but not shown
    for personal in ("李梅", "13912345678", "5678"):
        assert personal not in page


def test_merging_is_only_into_the_same_rounds_public_nominations(district):
    round = nominating(district)
    other_round = nominating(district, year=2028)
    office = district["office"]
    one, _ = nominate(proposal(round, idempotency_key="1"))
    elsewhere, _ = nominate(proposal(other_round, idempotency_key="2"))
    NOMINATIONS.perform(one, "list", user=office)
    NOMINATIONS.perform(elsewhere, "list", user=office)
    with pytest.raises(NominationError, match="同一轮"):
        NOMINATIONS.perform(one, "merge", user=office, into=elsewhere)
    assert Nomination.objects.get(pk=one.pk).state == N.LISTED


def test_a_street_committee_moderates_its_own_streets_rounds_only(district):
    secretary = street_user(district["street"])
    own = nominating(district, street=district["street"])
    district_round = nominating(district, year=2028)
    mine, _ = nominate(proposal(own, idempotency_key="1"))
    theirs, _ = nominate(proposal(district_round, idempotency_key="2"))
    assert NOMINATIONS.perform(mine, "list", user=secretary).state == N.LISTED
    with pytest.raises(TransitionError, match="没有权限"):
        NOMINATIONS.perform(theirs, "list", user=secretary)


# --- The nominations' process, from its declaration ---------------------------------------------


class NominationDriver(contract.Driver):
    def __init__(self, world):
        super().__init__(NOMINATIONS, "")
        self.world = world
        self.round = ProjectRound.objects.filter(state=RoundState.NOMINATING).first() or nominating(world, year=2040)
        self.keys = iter(range(10_000))
        into, _ = nominate(proposal(self.round, idempotency_key="into"))
        self.into = NOMINATIONS.perform(into, "list", user=world["office"])  # where merges go

    def bring(self, state):
        row, _ = nominate(proposal(self.round, idempotency_key=f"key-{next(self.keys)}"))
        office = self.world["office"]
        if state != N.SUBMITTED:
            row = NOMINATIONS.perform(
                row,
                "reject" if state == N.REJECTED else "list",
                user=office,
                **self.data(NOMINATIONS.by_name["reject"], row),
            )
        if state in (N.MERGED, N.ADOPTED, N.DECLINED):
            name = {N.MERGED: "merge", N.ADOPTED: "adopt", N.DECLINED: "decline"}[state]
            row = NOMINATIONS.perform(row, name, user=office, **self.data(NOMINATIONS.by_name[name], row))
        assert row.state == state
        return row

    def data(self, transition, row):
        if transition.name == "merge":
            return {"into": self.into}
        if transition.name == "adopt":
            return {"candidate": self.round.candidates.first()}
        return {"answer": "答复。"}

    def actor(self, capacity):
        assert capacity == MODERATOR
        return self.world["office"]

    def outsider(self):
        return street_user(self.world["street"], username=f"outsider-{next(self.keys)}")


CASES = [
    *[("allowed", case) for case in contract.allowed_cases(NOMINATIONS)],
    *[("refused", case) for case in contract.refused_cases(NOMINATIONS)],
    *[("outsider", state) for state in contract.states(NOMINATIONS)],
    *[("todo", key) for key in contract.todo_cases(NOMINATIONS)],
]


@pytest.mark.parametrize(("check", "case"), CASES, ids=[f"{c}-{contract.ids([x])[0]}" for c, x in CASES])
def test_the_nomination_process(district, check, case):
    driver = NominationDriver(district)
    if check == "allowed":
        contract.check_allowed(driver, *case)
    elif check == "refused":
        contract.check_refused(driver, *case)
    elif check == "outsider":
        contract.check_outsider(driver, case)
    else:
        contract.check_todo(driver, case)
