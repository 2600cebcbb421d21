"""站点评星: monthly self and peer scoring against the 九有 standard, on the one process
mechanism (the generated contract covers every transition, refusal, button and to-do), with
the score's arithmetic against a fixed data set, the star thresholds, the refusals of bad
input, the scoping of every role and the stars on the public station page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from base.models import AuditEvent
from base.roles import Role, department_group_name, role_group_name
from content.models import LiaisonStationPage, Membership, ReceptionSchedule
from content.tree import add_station
from duties.models import DutyAttendance
from oversight.evaluation import (
    DISTRICT,
    EVALUATIONS,
    PEER,
    PEER_READER,
    STATION,
    STREET,
    EvaluationError,
    choose_peers,
    compute_score,
    open_month,
    scheme_for,
    scheme_items,
    stars_for,
    start,
)
from oversight.models import (
    EvaluationScheme,
    EvaluationScore,
    EvaluationState,
    PeerAssignment,
    ScoreKind,
    StationEvaluation,
)
from tests import process_contract as contract
from tests.conftest import make_deputy, new_opinion, role_user, station_user, street_user
from workflows.models import Department, Opinion
from workflows.process import NotAllowed, TransitionError

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 10)
NOVEMBER = dt.date(2026, 11, 1)
S = EvaluationState


@pytest.fixture
def world(two_streets, street, fixed_today):
    fixed_today(TODAY)
    return {
        **two_streets,
        "street": street,
        "office": role_user("district-office", role_group_name(Role.DISTRICT_ADMIN)),
        "secretary": street_user(street),
        "staff": station_user(two_streets["station"], "dongping-staff"),  # 东平巷代表联络站
        "centre_staff": station_user(two_streets["centre"], "hubin-centre-staff"),  # its peer
        "point_staff": station_user(two_streets["point"], "dongping-point-staff"),  # not evaluated
        "other_secretary": street_user(two_streets["other_street"], "qingbo-secretary"),
        "other_staff": station_user(two_streets["other_station"], "qingbo-staff"),
        "auditor": role_user("auditor", role_group_name(Role.AUDITOR)),
    }


def all_items(scheme, value) -> dict[int, Decimal]:
    return {item.facility_id: Decimal(str(value)) for item in scheme_items(scheme)}


def bring(world, state, month=NOVEMBER, self_points=4, peer_points=5):
    """东平巷's evaluation of `month` in `state`, through the real transitions (its one peer in
    湖滨街道 is the centre station)."""
    row = start(world["station"], month, user=world["staff"])
    scheme = row.scheme
    steps = {
        S.DRAFT: [],
        S.SUBMITTED: [("submit_self", world["staff"], {"points": all_items(scheme, self_points)})],
    }
    peer = ("peer_score", world["centre_staff"], {"points": all_items(scheme, peer_points)})
    steps[S.STREET_REVIEW] = [*steps[S.SUBMITTED], peer]
    steps[S.DISTRICT_REVIEW] = [*steps[S.STREET_REVIEW], ("street_approve", world["secretary"], {})]
    steps[S.APPROVED] = [*steps[S.DISTRICT_REVIEW], ("approve", world["office"], {})]
    for name, user, data in steps[state]:
        row = EVALUATIONS.perform(row, name, user=user, **data)
    assert row.state == state
    return row


def traces(row):
    return (
        AuditEvent.objects.filter(object_type="oversight.StationEvaluation", object_id=str(row.pk)).count(),
        row.history.count(),
        EvaluationScore.objects.filter(evaluation=row).count(),
    )


# --- The generated contract -------------------------------------------------------------------------


class EvaluationDriver(contract.Driver):
    def __init__(self, world):
        super().__init__(EVALUATIONS, "oversight_evaluations:inspect")
        self.world = world
        self.count = 0

    def bring(self, state):
        self.count += 1
        month = dt.date(2024 + (self.count - 1) // 12, (self.count - 1) % 12 + 1, 1)  # one month each
        return bring(self.world, state, month=month)

    def actor(self, capacity):
        return {
            DISTRICT: self.world["office"],
            STREET: self.world["secretary"],
            STATION: self.world["staff"],
            PEER: self.world["centre_staff"],
            PEER_READER: self.world["centre_staff"],
        }[capacity]

    def outsider(self):
        return self.world["other_secretary"]

    def holds_on(self, capacity, row):
        if capacity in (PEER, PEER_READER):
            # The peer station reads the evaluation once assigned, and scores it while it waits.
            if row.state == S.DRAFT:
                return set()
            return {PEER, PEER_READER} if row.state == S.SUBMITTED else {PEER_READER}
        return {capacity}

    def data(self, transition, row):
        scheme = row.scheme
        first = scheme_items(scheme)[0].facility_id
        return {
            "save_self": {"points": all_items(scheme, 3)},
            "submit_self": {"points": all_items(scheme, 4)},
            "peer_score": {"points": all_items(scheme, 5)},
            "street_adjust": {"facility": first, "points": Decimal("2"), "reason": "台账不全。"},
            "street_return": {"reason": "自评说明不完整。"},
            "district_return": {"reason": "请复核互评。"},
        }.get(transition.name, {})


CASES = contract.cases(EVALUATIONS)


@pytest.mark.parametrize(("check", "kind", "case"), CASES, ids=contract.case_ids(CASES))
def test_the_process_contract_holds_for_station_evaluations(world, client, check, kind, case):
    contract.run(EvaluationDriver(world), client, check, case, [DISTRICT, STREET, STATION, PEER])


# --- Stars and the score ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "stars"),
    [
        ("0", 0),
        ("59.9", 0),
        ("60", 1),
        ("60.1", 1),
        ("69.9", 1),
        ("70", 2),
        ("79.9", 2),
        ("80", 3),
        ("87.9", 3),
        ("88", 4),
        ("94.9", 4),
        ("95", 5),
        ("100", 5),
    ],
)
def test_the_stars_follow_the_default_thresholds_at_and_around_each_boundary(score, stars):
    thresholds = EvaluationScheme().thresholds  # 60 / 70 / 80 / 88 / 95
    assert stars_for(Decimal(score), thresholds) == stars


def test_the_district_sets_other_thresholds_and_they_are_checked():
    scheme = EvaluationScheme(year=2027, star1=50, star2=65, star3=75, star4=85, star5=90)
    scheme.full_clean()
    assert stars_for(Decimal("64.9"), scheme.thresholds) == 1 and stars_for(Decimal("90"), scheme.thresholds) == 5
    for wrong, message in (
        ({"star3": 60}, "依次升高"),
        ({"star5": 101}, "0 到 100"),
        ({"self_weight": Decimal("0.4")}, "之和须为 1"),
    ):
        bad = EvaluationScheme(year=2028, **wrong)
        with pytest.raises(ValidationError, match=message):
            bad.full_clean()


def test_the_score_of_a_fixed_data_set(world):
    """9 items of 5 points (45) and 3 indicators of 10 (30): 75 points in all.
    Self 5 on every item, two peers 4 and 3 (mean 3.5): each item 0.3×5 + 0.7×3.5 = 3.95;
    the street sets one item to 2: 8 × 3.95 + 2 = 33.6. Reception days 1 of 2 → 5; no opinion
    due → 10 in full; 1 of 2 deputies attended → 5: 20. (33.6 + 20) ÷ 75 × 100 = 71.47 → 71.5,
    2 stars (70 ≤ 71.5 < 80)."""
    row = start(world["station"], NOVEMBER, user=world["staff"])
    items = scheme_items(row.scheme)
    assert len(items) == 9 and all(item.max_points == 5 for item in items)
    StationEvaluation.objects.filter(pk=row.pk).update(
        reception_planned=2,
        reception_held=1,
        opinions_due=0,
        opinions_on_time=0,
        deputies_on_wall=2,
        deputies_attended=1,
    )
    row.refresh_from_db()
    for item in items:
        EvaluationScore.objects.create(
            evaluation=row, kind=ScoreKind.SELF, scorer_station=world["station"], facility=item.facility, points=5
        )
        for peer, points in ((world["centre"], 4), (world["other_centre"], 3)):
            EvaluationScore.objects.create(
                evaluation=row, kind=ScoreKind.PEER, scorer_station=peer, facility=item.facility, points=points
            )
    EvaluationScore.objects.create(evaluation=row, kind=ScoreKind.STREET, facility=items[-1].facility, points=2)

    score = compute_score(row)
    assert score.item_points == Decimal("33.6") and score.item_max == 45
    assert score.indicator_points == 20 and score.indicator_max == 30
    assert (score.final, score.stars) == (Decimal("71.5"), 2)
    # Without peers an item is its self score: 45 + 20 = 65 of 75 → 86.7, 3 stars.
    EvaluationScore.objects.filter(evaluation=row).exclude(kind=ScoreKind.SELF).delete()
    assert (compute_score(row).final, compute_score(row).stars) == (Decimal("86.7"), 3)


def test_the_whole_month_from_real_records_to_the_stars_on_the_station_page(world, django_capture_on_commit_callbacks):
    """The indicators come from the station's reception rules, attendance confirmations,
    opinions and wall; the approved stars show on its public page with the month."""
    station = world["station"]
    first = ReceptionSchedule.objects.create(station=station, week_of_month=1, weekday=1)  # 11月3日
    ReceptionSchedule.objects.create(station=station, week_of_month=3, weekday=1)  # 11月17日: not held
    present, absent = make_deputy("张明"), make_deputy("李红")
    for deputy in (present, absent):
        Membership.objects.create(station=station, deputy=deputy)
    DutyAttendance.objects.create(schedule=first, date=dt.date(2026, 11, 3), deputy=present)
    on_time, late, december = (new_opinion(station, title=f"意见{i}") for i in range(3))
    replied_on = lambda day: timezone.make_aware(dt.datetime(2026, 11, day, 10))  # noqa: E731
    Opinion.objects.filter(pk=on_time.pk).update(deadline=dt.date(2026, 11, 20), replied_at=replied_on(20))
    Opinion.objects.filter(pk=late.pk).update(deadline=dt.date(2026, 11, 20), replied_at=replied_on(24))
    Opinion.objects.filter(pk=december.pk).update(deadline=dt.date(2026, 12, 4))

    page = Client()
    assert "站点评星" not in page.get(station.url).content.decode()  # cached now

    row = bring(world, S.SUBMITTED, self_points=4)
    assert (row.reception_planned, row.reception_held) == (2, 1)
    assert (row.opinions_due, row.opinions_on_time) == (2, 1)
    assert (row.deputies_on_wall, row.deputies_attended) == (2, 1)
    assert list(row.peer_assignments.values_list("scorer_station_id", flat=True)) == [world["centre"].pk]
    scheme = row.scheme
    row = EVALUATIONS.perform(row, "peer_score", user=world["centre_staff"], points=all_items(scheme, 5))
    assert row.state == S.STREET_REVIEW
    funds = scheme_items(scheme)[-1].facility  # 有经费保障
    row = EVALUATIONS.perform(
        row, "street_adjust", user=world["secretary"], facility=funds.pk, points=Decimal("3"), reason="经费未落实。"
    )
    row = EVALUATIONS.perform(row, "street_approve", user=world["secretary"])
    with django_capture_on_commit_callbacks(execute=True):
        row = EVALUATIONS.perform(row, "approve", user=world["office"])
    # Items: 0.3×4 + 0.7×5 = 4.7, eight of them and 3 for the adjusted one: 40.6; indicators
    # 5 + 5 + 5 = 15; 55.6 ÷ 75 = 74.13 → 74.1, 2 stars.
    assert (row.final_score, row.stars) == (Decimal("74.1"), 2)
    assert (row.item_points, row.indicator_points) == (Decimal("40.60"), Decimal("15.00"))
    assert row.approved_by == world["office"]

    shown = page.get(station.url).content.decode()  # purged on approval
    assert "★★☆☆☆" in shown and "2 星" in shown and "2026年11月评定，74.1 分" in shown
    assert "（满分 5 星）" in shown  # the text alternative beside the glyphs
    # An evaluation waiting for approval does not show; the latest approved one does.
    later = bring(world, S.DISTRICT_REVIEW, month=dt.date(2026, 12, 1))
    assert later.final_score is None
    assert "2026年11月评定" in page.get(station.url).content.decode()


# --- Bad input ---------------------------------------------------------------------------------------


def test_a_score_out_of_range_is_refused_in_chinese_and_nothing_is_stored(client, world):
    row = start(world["station"], NOVEMBER, user=world["staff"])
    before = traces(row)
    points = all_items(row.scheme, 4)
    first = scheme_items(row.scheme)[0]
    for wrong in (Decimal("6"), Decimal("-1")):
        points[first.facility_id] = wrong
        with pytest.raises(EvaluationError, match=f"“{first.facility.name}”的评分须在 0 到 5 分之间"):
            EVALUATIONS.perform(row, "submit_self", user=world["staff"], points=points)
    row.refresh_from_db()
    assert row.state == S.DRAFT and traces(row) == before
    assert not PeerAssignment.objects.filter(evaluation=row).exists()

    # The same through the admin's form.
    client.force_login(world["staff"])
    form = {"submit_self-version": row.version, **{f"submit_self-item_{k}": "4" for k in points}}
    form[f"submit_self-item_{first.facility_id}"] = "7"
    response = client.post(reverse("oversight_evaluations:act", args=[row.pk, "submit_self"]), form, follow=True)
    assert "的评分须在 0 到 5 分之间" in response.content.decode()
    row.refresh_from_db()
    assert row.state == S.DRAFT and traces(row) == before

    # A peer's score out of range is refused alike.
    row = bring(world, S.SUBMITTED, month=dt.date(2026, 10, 1))
    before = traces(row)
    with pytest.raises(EvaluationError, match="评分须在 0 到 5 分之间"):
        EVALUATIONS.perform(row, "peer_score", user=world["centre_staff"], points=all_items(row.scheme, "5.5"))
    row.refresh_from_db()
    assert row.state == S.SUBMITTED and traces(row) == before
    assert row.peer_assignments.get().scored_at is None


def test_the_self_assessment_submitted_in_the_admin_is_stored_and_audited(client, world):
    row = start(world["station"], NOVEMBER, user=world["staff"])
    client.force_login(world["staff"])
    detail = client.get(reverse("oversight_evaluations:inspect", args=[row.pk])).content.decode()
    assert 'data-transition="submit_self"' in detail and "有固定场所（满分 5 分）" in detail
    items = scheme_items(row.scheme)
    form = {"submit_self-version": row.version, "submit_self-note": "场所已改造。"}
    form.update({f"submit_self-item_{item.facility_id}": "4.5" for item in items})
    client.post(reverse("oversight_evaluations:act", args=[row.pk, "submit_self"]), form)
    row.refresh_from_db()
    assert row.state == S.SUBMITTED and row.submitted_at is not None
    assert set(row.scores.filter(kind=ScoreKind.SELF).values_list("points", flat=True)) == {Decimal("4.5")}
    event = AuditEvent.objects.filter(action="evaluation_transition", object_id=str(row.pk)).get()
    assert event.detail["transition"] == "submit_self" and event.detail["note"] == "场所已改造。"
    # The peer station's staff see the evaluation in their to-dos and score it in the admin.
    assert EVALUATIONS.todo_counts(world["centre_staff"])["to_peer"] == 1
    client.force_login(world["centre_staff"])
    form = {"peer_score-version": row.version, "peer_score-scorer_station": world["centre"].pk}
    form.update({f"peer_score-item_{item.facility_id}": "5" for item in items})
    client.post(reverse("oversight_evaluations:act", args=[row.pk, "peer_score"]), form)
    row.refresh_from_db()
    assert row.state == S.STREET_REVIEW
    assert EVALUATIONS.todo_counts(world["centre_staff"])["to_peer"] == 0
    assert EVALUATIONS.todo_counts(world["secretary"])["to_street_review"] == 1


def test_a_second_evaluation_for_the_same_month_is_refused(client, world):
    start(world["station"], NOVEMBER, user=world["staff"])
    with pytest.raises(EvaluationError, match="2026年11月的自评已经存在，不能重复填报"):
        start(world["station"], dt.date(2026, 11, 15), user=world["staff"])
    client.force_login(world["staff"])
    response = client.post(
        reverse("oversight_evaluations:add"), {"station": world["station"].pk, "month": "2026-11"}, follow=True
    )
    assert "2026年11月的自评已经存在，不能重复填报" in response.content.decode()
    assert StationEvaluation.objects.filter(station=world["station"]).count() == 1
    # A new month starts from the admin; opening a month for every station is idempotent.
    response = client.post(reverse("oversight_evaluations:add"), {"station": world["station"].pk, "month": "2026-12"})
    assert response.status_code == 302
    assert StationEvaluation.objects.filter(station=world["station"], month=dt.date(2026, 12, 1)).exists()
    created = open_month(dt.date(2026, 12, 1))
    evaluated = {world["centre"].pk, world["other_centre"].pk, world["other_station"].pk}
    assert {row.station_id for row in created} == evaluated  # not the contact point, not 东平巷 again
    assert open_month(dt.date(2026, 12, 1)) == []
    call_command("open_evaluation_month", "--month", "2026-12", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert StationEvaluation.objects.filter(month=dt.date(2026, 12, 1)).count() == 4


def test_staff_start_only_their_own_evaluated_station(world):
    with pytest.raises(EvaluationError, match="只能为本站填报自评"):
        start(world["centre"], NOVEMBER, user=world["staff"])
    with pytest.raises(EvaluationError, match="只有中心站和联络站参加月度评星"):
        start(world["point"], NOVEMBER, user=world["point_staff"])
    with pytest.raises(EvaluationError, match="尚未开始的月份"):
        start(world["station"], dt.date(2027, 1, 1), user=world["staff"])
    assert not StationEvaluation.objects.exists()


# --- A station never scores itself ----------------------------------------------------------------------


def test_a_station_cannot_peer_score_itself(world):
    row = bring(world, S.SUBMITTED)
    before = traces(row)
    # Its own staff hold no peer capacity on it: the step is refused outright…
    with pytest.raises(NotAllowed):
        EVALUATIONS.perform(row, "peer_score", user=world["staff"], points=all_items(row.scheme, 5))
    # …and even a forged assignment of the station to itself is refused with the reason.
    PeerAssignment.objects.create(evaluation=row, scorer_station=world["station"])
    with pytest.raises(EvaluationError, match="不能为本站互评"):
        EVALUATIONS.perform(
            row, "peer_score", user=world["staff"], points=all_items(row.scheme, 5), scorer_station=world["station"].pk
        )
    row.refresh_from_db()
    assert row.state == S.SUBMITTED and traces(row) == before


@pytest.mark.parametrize("count", [1, 2, 3])
def test_peers_are_other_stations_of_the_street_in_a_balanced_round_robin(count):
    street = [11, 12, 13, 14, 15]
    for month in (dt.date(2026, m, 1) for m in range(1, 13)):
        chosen = {station: choose_peers(station, street, month, count) for station in street}
        for station, peers in chosen.items():
            assert station not in peers and len(set(peers)) == count
        scored = [peer for peers in chosen.values() for peer in peers]
        assert all(scored.count(station) == count for station in street)  # each scored by as many
    assert choose_peers(11, [11, 12], NOVEMBER, 2) == [12]  # as many as the street has
    assert choose_peers(11, [11], NOVEMBER, 2) == []  # none: the item score is the self score


def test_without_peers_the_evaluation_goes_straight_to_the_street(world):
    row = start(world["other_station"], NOVEMBER, user=world["other_staff"])
    scheme = row.scheme
    scheme.peer_count = 0
    scheme.save()
    row = EVALUATIONS.perform(row, "submit_self", user=world["other_staff"], points=all_items(scheme, 4))
    assert row.state == S.STREET_REVIEW and not row.peer_assignments.exists()
    assert compute_score(row).items[0]["points"] == 4


# --- Scoping ---------------------------------------------------------------------------------------------


def test_each_role_sees_and_acts_on_only_its_own_evaluations(client, world):
    row = bring(world, S.SUBMITTED)  # 东平巷, 湖滨街道, waiting for the centre's peer score
    other = bring_other(world)  # 清波联络站, 清波街道
    listing = reverse("oversight_evaluations:index")
    for user, sees in (
        (world["office"], {row.pk, other.pk}),
        (world["auditor"], {row.pk, other.pk}),
        (world["secretary"], {row.pk}),
        (world["other_secretary"], {other.pk}),
        (world["staff"], {row.pk}),
        (world["centre_staff"], {row.pk}),  # assigned to score it
        (world["point_staff"], set()),  # a contact point below the station is not the station
        (world["other_staff"], {other.pk}),
    ):
        assert set(EVALUATIONS.scope(StationEvaluation.objects.all(), user).values_list("pk", flat=True)) == sees
        client.force_login(user)
        response = client.get(listing)
        assert response.status_code == 200, user
        shown = {r.pk for r in response.context["object_list"]}
        assert shown == sees, user


def bring_other(world):
    return start(world["other_station"], NOVEMBER, user=world["other_staff"])


@pytest.mark.parametrize("outsider", ["other_secretary", "other_staff", "point_staff", "department", "deputy"])
def test_outsiders_neither_see_nor_act_on_the_evaluation(client, world, outsider):
    users = {
        "department": role_user(
            "dept-clerk",
            role_group_name(Role.DEPARTMENT_HANDLER),
            department_group_name(Department.objects.create(name="区城管局")),
        ),
        "deputy": role_user("deputy-user", role_group_name(Role.DEPUTY)),
    }
    user = users.get(outsider) or world[outsider]
    row = bring(world, S.STREET_REVIEW)
    before = traces(row)
    client.force_login(user)
    assert client.get(reverse("oversight_evaluations:inspect", args=[row.pk])).status_code in (403, 404)
    for transition in EVALUATIONS.transitions:
        response = client.post(
            reverse("oversight_evaluations:act", args=[row.pk, transition.name]), {f"{transition.name}-version": 0}
        )
        assert response.status_code in (403, 404), transition.name
        with pytest.raises(NotAllowed):
            EVALUATIONS.perform(row, transition.name, user=user)
    row.refresh_from_db()
    assert row.state == S.STREET_REVIEW and traces(row) == before


def test_the_auditor_reads_but_cannot_act(client, world):
    row = bring(world, S.DISTRICT_REVIEW)
    before = traces(row)
    client.force_login(world["auditor"])
    page = client.get(reverse("oversight_evaluations:inspect", args=[row.pk]))
    assert page.status_code == 200 and "九有评分" in page.content.decode()
    assert page.context["actions"] == []
    assert client.get(reverse("oversight_evaluations:history", args=[row.pk])).status_code == 200
    response = client.post(reverse("oversight_evaluations:act", args=[row.pk, "approve"]), {"approve-version": 3})
    assert response.status_code == 403
    with pytest.raises(NotAllowed):
        EVALUATIONS.perform(row, "approve", user=world["auditor"])
    row.refresh_from_db()
    assert row.state == S.DISTRICT_REVIEW and traces(row) == before


def test_the_street_adjusts_an_item_only_with_a_reason_and_within_its_full_marks(world):
    row = bring(world, S.STREET_REVIEW)
    facility = scheme_items(row.scheme)[0].facility_id
    before = traces(row)
    with pytest.raises(TransitionError, match="请写明调整的理由"):
        EVALUATIONS.perform(row, "street_adjust", user=world["secretary"], facility=facility, points=3, reason=" ")
    with pytest.raises(EvaluationError, match="评分须在 0 到 5 分之间"):
        EVALUATIONS.perform(row, "street_adjust", user=world["secretary"], facility=facility, points=9, reason="核减")
    assert traces(row) == before
    row = EVALUATIONS.perform(row, "street_return", user=world["secretary"], reason="自评说明不完整。")
    assert row.state == S.DRAFT and row.return_reason == "自评说明不完整。"
    # Submitted again, the peers' scores stand: it goes straight back to the street.
    row = EVALUATIONS.perform(row, "submit_self", user=world["staff"], points=all_items(row.scheme, 4))
    assert row.state == S.STREET_REVIEW


def test_the_scheme_is_made_from_the_year_before_and_only_the_district_edits_it(client, world):
    earlier = scheme_for(2025)
    earlier.star1 = Decimal("55")
    earlier.save()
    assert scheme_for(2026).star1 == Decimal("55") and scheme_for(2026).items.count() == 9
    client.force_login(world["secretary"])
    edit = reverse("oversight_evaluation_schemes:edit", args=[earlier.pk])
    assert client.get(edit).status_code in (302, 403)
    client.force_login(world["office"])
    assert client.get(edit).status_code == 200


def test_a_new_station_in_the_street_changes_no_assignment_already_made(world):
    row = bring(world, S.SUBMITTED)
    add_station(world["centre"], LiaisonStationPage(title="新建联络站", slug="xinjian"))
    row = EVALUATIONS.perform(row, "peer_score", user=world["centre_staff"], points=all_items(row.scheme, 5))
    assert row.state == S.STREET_REVIEW
    assert list(row.peer_assignments.values_list("scorer_station_id", flat=True)) == [world["centre"].pk]


def scheme_form(scheme, **changes) -> dict:
    """The scheme's edit form as the admin posts it (the items in their inline panel)."""
    items = list(scheme.items.order_by("sort_order"))
    data = {
        "year": scheme.year,
        "reception_points": "10",
        "on_time_points": "10",
        "attendance_points": "10",
        "self_weight": "0.30",
        "peer_weight": "0.70",
        "peer_count": "2",
        "star1": "60",
        "star2": "70",
        "star3": "80",
        "star4": "88",
        "star5": "95",
        "note": "",
        "items-TOTAL_FORMS": str(len(items)),
        "items-INITIAL_FORMS": str(len(items)),
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    for i, item in enumerate(items):
        data.update(
            {
                f"items-{i}-id": item.pk,
                f"items-{i}-facility": item.facility_id,
                f"items-{i}-max_points": str(item.max_points),
                f"items-{i}-ORDER": str(i + 1),
                f"items-{i}-DELETE": "",
            }
        )
    data.update(changes)
    return data


def test_the_district_admin_edits_the_scheme_with_chinese_checks_and_it_is_audited(client, world):
    scheme = scheme_for(2026)
    edit = reverse("oversight_evaluation_schemes:edit", args=[scheme.pk])
    client.force_login(world["office"])
    for changes, message in (
        ({"star2": "59"}, "星级分数线须从一星到五星依次升高"),
        ({"star5": "120"}, "星级分数线须在 0 到 100 分之间"),
        ({"self_weight": "0.50"}, "自评权重与互评权重之和须为 1"),
        ({"items-1-facility": scheme.items.order_by("sort_order").first().facility_id}, "重复"),
    ):
        response = client.post(edit, scheme_form(scheme, **changes))
        assert response.status_code == 200 and message in response.content.decode(), message
    scheme.refresh_from_db()
    assert scheme.star2 == 70 and scheme.self_weight == Decimal("0.30")
    response = client.post(edit, scheme_form(scheme, star1="65", **{"items-0-max_points": "10"}))
    assert response.status_code == 302
    scheme.refresh_from_db()
    assert scheme.star1 == 65 and scheme.items.order_by("sort_order").first().max_points == 10
    assert AuditEvent.objects.filter(action="evaluation_scheme_saved", actor=world["office"]).count() == 1


def test_with_two_peers_each_scores_once_and_reads_only_its_own_scores(client, world):
    third = add_station(world["centre"], LiaisonStationPage(title="西湖联络站", slug="xihu"))
    third_staff = station_user(third, "xihu-staff")
    row = bring(world, S.SUBMITTED)
    assert set(row.peer_assignments.values_list("scorer_station_id", flat=True)) == {world["centre"].pk, third.pk}
    row = EVALUATIONS.perform(row, "peer_score", user=world["centre_staff"], points=all_items(row.scheme, 3))
    assert row.state == S.SUBMITTED  # one peer still to score
    with pytest.raises(NotAllowed):  # the centre has scored: no second go
        EVALUATIONS.perform(row, "peer_score", user=world["centre_staff"], points=all_items(row.scheme, 5))
    client.force_login(third_staff)
    detail = client.get(reverse("oversight_evaluations:inspect", args=[row.pk]))
    assert [peer.pk for peer in detail.context["peers"]] == [third.pk]  # not the centre's scores
    client.force_login(world["secretary"])
    assert len(client.get(reverse("oversight_evaluations:inspect", args=[row.pk])).context["peers"]) == 2
    row = EVALUATIONS.perform(row, "peer_score", user=third_staff, points=all_items(row.scheme, 4))
    assert row.state == S.STREET_REVIEW
    # Self 4, peers 3 and 4 (mean 3.5): 0.3×4 + 0.7×3.5 = 3.65 an item.
    assert compute_score(row).items[0]["points"] == Decimal("3.65")
