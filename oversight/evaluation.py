"""Monthly station evaluation against the 九有 standard (站点评星), on the one process mechanism:

    自评中 ─提交自评（本站）─▶ 已提交自评 ─互评打分（各互评站点，最后一站评完时）─▶ 待街道审核
      ▲  保存自评（本站，状态不变）                                           │  调整评分（街道，写明理由，状态不变）
      └──────────────────── 退回站点（街道，写明理由） ◀──────────────────────┤
                                                                              ▼ 审核通过（街道）
                 待街道审核 ◀── 退回街道（区，写明理由）── 待区审定 ─审定（区）─▶ 已评定

(No peer in the street: 提交自评 goes straight to 待街道审核.)

Each month every 中心站 and 联络站 fills its self-assessment: points for each 九有 item of the
year's scheme (`EvaluationScheme`). On submission the platform freezes the station's activity
indicators for the month (reception days held ÷ planned, opinions replied by their deadline ÷
those due, deputies on the wall who attended a reception day ÷ deputies on the wall) and assigns
its peers: other evaluated stations of the same street, in a round robin that turns each month,
never the station itself. Each peer station's staff score every item once (互评打分, one audited
step per peer); when the last peer has scored, the evaluation waits for the street committee,
which may adjust an item with a written reason, return it to the station, or pass it to the
district; the district admin approves it (the score and the stars are then computed and frozen)
or returns it to the street.

The score (`compute_score`): each item counts self × 自评权重 + mean(peers) × 互评权重 (no peer in
the street: the self score), replaced by the street's adjustment where there is one; each
indicator counts its rate × its full marks; the sum over the total full marks, ×100, one
decimal. The stars (`stars_for`): how many of the scheme's five ascending thresholds the score
reaches (below the first: no star).

Capacities: DISTRICT (the district admin, every row), STREET (the street committee, its
street's rows), STATION (staff of the evaluated station itself), PEER (staff of a peer station
that has still to score) and PEER_READER (staff of any peer station assigned: they read the
evaluation). The auditor reads everything and holds none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from base.roles import MANAGE_STATION, Roles, roles_of
from content.models import Facility, Membership, StationLevel, StationPage
from content.reception import occurrences_between
from content.scoping import committee_streets_q
from duties.models import DutyAttendance
from oversight.models import (
    EvaluationAction,
    EvaluationItem,
    EvaluationScheme,
    EvaluationScore,
    EvaluationState,
    PeerAssignment,
    ScoreKind,
    StationEvaluation,
)
from workflows.models import Opinion
from workflows.process import (
    NOTHING,
    REFUSAL,
    SIDE,
    Branch,
    Process,
    Todo,
    Transition,
    TransitionError,
    TransitionForm,
    required,
)

S = EvaluationState
DISTRICT, STREET, STATION, PEER, PEER_READER = "district", "street", "station", "peer", "peer_reader"
EVALUATED_LEVELS = (StationLevel.CENTRE, StationLevel.STATION)
HUNDRED = Decimal("100")
ONE_DECIMAL = Decimal("0.1")


class EvaluationError(TransitionError):
    """Refused, with the reason in Chinese; nothing stored."""


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def last_of_month(month: dt.date) -> dt.date:
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def month_label(month: dt.date) -> str:
    return f"{month.year}年{month.month}月"


# --- The scheme in force --------------------------------------------------------------------------


def scheme_for(year: int) -> EvaluationScheme:
    """The year's scheme; made on first use from the latest earlier one (or the defaults, with
    every 九有 item at 5 points), to be edited by the district admin."""
    found = EvaluationScheme.objects.filter(year=year).first()
    if found is not None:
        return found
    earlier = EvaluationScheme.objects.filter(year__lt=year).order_by("-year").first()
    with transaction.atomic():
        if earlier is None:
            scheme = EvaluationScheme.objects.create(year=year)
            items = [(facility, Decimal("5")) for facility in Facility.objects.order_by("sort_order", "name")]
        else:
            copied = {
                f.name: getattr(earlier, f.name)
                for f in EvaluationScheme._meta.concrete_fields
                if f.name not in ("id", "year")
            }
            scheme = EvaluationScheme.objects.create(year=year, **copied)
            items = [(item.facility, item.max_points) for item in earlier.items.select_related("facility")]
        for order, (facility, points) in enumerate(items):
            EvaluationItem.objects.create(scheme=scheme, facility=facility, max_points=points, sort_order=order)
    return scheme


def scheme_items(scheme: EvaluationScheme) -> list[EvaluationItem]:
    return list(scheme.items.select_related("facility").order_by("sort_order", "facility__sort_order"))


def stars_for(score: Decimal, thresholds) -> int:
    """How many of the ascending thresholds the score reaches: 0 (no star) to 5."""
    return sum(1 for threshold in thresholds if score >= threshold)


# --- Capacities ---------------------------------------------------------------------------------------


def staffed_station_ids(roles: Roles) -> list[int]:
    """The stations the person is staff of (the grant itself: staff of a contact point below a
    station do not act for the station)."""
    if not roles.active or roles.superuser:
        return []
    return roles.granted_ids(MANAGE_STATION, StationPage)


def evaluation_capacities(roles: Roles) -> dict[str, Q]:
    ids = staffed_station_ids(roles)
    assigned = PeerAssignment.objects.filter(scorer_station_id__in=ids)
    return {
        DISTRICT: Q() if roles.is_district_admin else NOTHING,
        STREET: committee_streets_q(roles),
        STATION: Q(station_id__in=ids) if ids else NOTHING,
        PEER: Q(pk__in=assigned.filter(scored_at__isnull=True).values("evaluation_id")) if ids else NOTHING,
        PEER_READER: Q(pk__in=assigned.values("evaluation_id")) if ids else NOTHING,
    }


# --- The activity indicators ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicators:
    reception_planned: int
    reception_held: int
    opinions_due: int
    opinions_on_time: int
    deputies_on_wall: int
    deputies_attended: int


def measure(station: StationPage, month: dt.date) -> Indicators:
    """The station's activity in the month, from the platform's own records."""
    start, end = month, last_of_month(month)
    schedules = list(station.reception_schedules.all())
    planned = {(o.schedule.pk, o.date) for o in occurrences_between(schedules, start, end)}
    attendances = list(
        DutyAttendance.objects.filter(schedule__station_id=station.pk, date__gte=start, date__lte=end).values_list(
            "schedule_id", "date", "deputy_id"
        )
    )
    held = {(schedule, date) for schedule, date, _deputy in attendances} & planned
    due = list(
        Opinion.objects.filter(station_id=station.pk, deadline__gte=start, deadline__lte=end).values_list(
            "deadline", "replied_at"
        )
    )
    on_time = sum(1 for deadline, replied in due if replied is not None and timezone.localdate(replied) <= deadline)
    wall = set(
        Membership.objects.filter(station_id=station.pk)
        .filter(Q(start_date__isnull=True) | Q(start_date__lte=end))
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
        .values_list("deputy_id", flat=True)
    )
    attended = {deputy for _schedule, _date, deputy in attendances} & wall
    return Indicators(len(planned), len(held), len(due), on_time, len(wall), len(attended))


def _rate(numerator: int | None, denominator: int | None, *, empty: Decimal) -> Decimal:
    if not denominator:
        return empty
    return Decimal(numerator or 0) / Decimal(denominator)


def indicator_rows(evaluation: StationEvaluation, scheme: EvaluationScheme) -> list[dict]:
    """The three indicators with numerator, denominator, rate and points, as frozen on the row.
    No reception day planned or no deputy on the wall counts 0; no opinion due counts in full."""
    e = evaluation
    rows = [
        ("接待日开展率", "开展接待日", "计划接待日", e.reception_held, e.reception_planned, 0, scheme.reception_points),
        ("按期办理率", "按期答复", "当月到期意见", e.opinions_on_time, e.opinions_due, 1, scheme.on_time_points),
        ("代表到站率", "到站代表", "墙上代表", e.deputies_attended, e.deputies_on_wall, 0, scheme.attendance_points),
    ]
    out = []
    for label, numerator_label, denominator_label, numerator, denominator, empty, maximum in rows:
        rate = _rate(numerator, denominator, empty=Decimal(empty))
        out.append(
            {
                "label": label,
                "numerator_label": numerator_label,
                "denominator_label": denominator_label,
                "numerator": numerator,
                "denominator": denominator,
                "rate": rate,
                "percent": (rate * HUNDRED).quantize(ONE_DECIMAL, ROUND_HALF_UP),
                "max_points": maximum,
                "points": rate * maximum,
            }
        )
    return out


# --- The score ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    item_points: Decimal
    item_max: Decimal
    indicator_points: Decimal
    indicator_max: Decimal
    final: Decimal  # 0–100, one decimal
    stars: int
    items: list[dict]


def compute_score(evaluation: StationEvaluation, scheme: EvaluationScheme | None = None) -> Score:
    """The evaluation's score and stars under its scheme (see the module's docstring)."""
    scheme = scheme or evaluation.scheme
    scores = list(evaluation.scores.all())
    items = []
    for item in scheme_items(scheme):
        mine = [s for s in scores if s.facility_id == item.facility_id]
        own = next((s.points for s in mine if s.kind == ScoreKind.SELF), Decimal(0))
        peers = [s.points for s in mine if s.kind == ScoreKind.PEER]
        peer_mean = sum(peers, Decimal(0)) / len(peers) if peers else None
        weighted = own if peer_mean is None else scheme.self_weight * own + scheme.peer_weight * peer_mean
        adjusted = next((s for s in mine if s.kind == ScoreKind.STREET), None)
        points = adjusted.points if adjusted is not None else weighted
        points = min(max(points, Decimal(0)), item.max_points)
        items.append(
            {
                "facility": item.facility,
                "max_points": item.max_points,
                "self": own,
                "peers": peers,
                "peer_mean": peer_mean,
                "weighted": weighted,
                "adjusted": adjusted,
                "points": points,
            }
        )
    indicators = indicator_rows(evaluation, scheme)
    item_points = sum((i["points"] for i in items), Decimal(0))
    item_max = sum((i["max_points"] for i in items), Decimal(0))
    indicator_points = sum((i["points"] for i in indicators), Decimal(0))
    indicator_max = sum((i["max_points"] for i in indicators), Decimal(0))
    total_max = item_max + indicator_max
    final = ((item_points + indicator_points) / total_max * HUNDRED) if total_max else Decimal(0)
    final = final.quantize(ONE_DECIMAL, ROUND_HALF_UP)
    return Score(
        item_points, item_max, indicator_points, indicator_max, final, stars_for(final, scheme.thresholds), items
    )


# --- Peers ------------------------------------------------------------------------------------------------


def evaluated_stations(street_id=None):
    stations = StationPage.objects.filter(level__in=EVALUATED_LEVELS, street__isnull=False, live=True)
    return stations.filter(street_id=street_id) if street_id is not None else stations


def choose_peers(station_id: int, street_stations: list[int], month: dt.date, count: int) -> list[int]:
    """The stations (ids, in the street's tree order) that score `station_id` this month: a
    round robin turned each month, so every station scores and is scored by the same number
    of others; as many as the street has when it has fewer; never the station itself."""
    n = len(street_stations)
    if station_id not in street_stations or n < 2:
        return []
    k = min(count, n - 1)
    if k <= 0:
        return []
    i = street_stations.index(station_id)
    offset = 1 + (month.year * 12 + month.month) % (n - k)
    return [street_stations[(i + offset + j) % n] for j in range(k)]


def _assign_peers(row: StationEvaluation) -> list[int]:
    """Assign the peers once (kept when a returned self-assessment is submitted again)."""
    existing = list(row.peer_assignments.values_list("scorer_station_id", flat=True))
    if existing:
        return existing
    street = list(evaluated_stations(row.street_id).order_by("path").values_list("pk", flat=True))
    peers = choose_peers(row.station_id, street, row.month, row.scheme.peer_count)
    for peer in peers:
        if peer == row.station_id:  # choose_peers never does; the rule is stated once more
            raise EvaluationError("不能为本站互评。")
        PeerAssignment.objects.create(evaluation=row, scorer_station_id=peer)
    return peers


# --- Forms and effects ---------------------------------------------------------------------------------


def _points(value, item: EvaluationItem) -> Decimal:
    if value in (None, ""):
        raise EvaluationError(f"请填写“{item.facility.name}”的评分。")
    try:
        points = Decimal(str(value))
    except ArithmeticError:
        raise EvaluationError(f"“{item.facility.name}”的评分须为数字。") from None
    if not points.is_finite() or points < 0 or points > item.max_points:
        raise EvaluationError(f"“{item.facility.name}”的评分须在 0 到 {item.max_points.normalize()} 分之间。")
    if points != points.quantize(ONE_DECIMAL):
        raise EvaluationError(f"“{item.facility.name}”的评分最多保留一位小数。")
    return points


def _clean_points(row: StationEvaluation, points: dict) -> list[tuple[EvaluationItem, Decimal]]:
    """Every item of the scheme scored, each within 0 and its full marks; otherwise refused."""
    points = {int(key): value for key, value in (points or {}).items()}
    return [(item, _points(points.get(item.facility_id), item)) for item in scheme_items(row.scheme)]


def _store(row, kind, scorer_station_id, cleaned, user, note=""):
    for item, value in cleaned:
        EvaluationScore.objects.update_or_create(
            evaluation=row,
            kind=kind,
            scorer_station_id=scorer_station_id,
            facility=item.facility,
            defaults={"points": value, "scored_by": user, "note": note[:500]},
        )


class ScoresForm(TransitionForm):
    """One number per 九有 item of the scheme, named item_<facility id>."""

    kind = ScoreKind.SELF

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = scheme_items(self.row.scheme)
        for item in self.items:
            self.fields[f"item_{item.facility_id}"] = forms.DecimalField(
                label=f"{item.facility.name}（满分 {item.max_points.normalize()} 分）",
                max_digits=5,
                decimal_places=1,
                help_text=item.facility.description,
                widget=forms.NumberInput(attrs={"min": "0", "max": str(item.max_points), "step": "0.5"}),
            )
        self.fields["note"] = forms.CharField(
            label="说明（可选）", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
        )

    def initial_for(self, row):
        if row.pk is None:
            return {}
        scores = row.scores.filter(kind=ScoreKind.SELF).values_list("facility_id", "points")
        return {f"item_{facility}": points for facility, points in scores}

    def perform_kwargs(self):
        data = dict(self.cleaned_data)
        data.pop("version", None)
        points = {int(name[5:]): data.pop(name) for name in list(data) if name.startswith("item_")}
        return {"points": points, "note": data.get("note", "")}


class PeerScoresForm(ScoresForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        mine = staffed_station_ids(roles_of(self.user))
        pending = self.row.peer_assignments.filter(scored_at__isnull=True, scorer_station_id__in=mine)
        choices = [(a.scorer_station_id, a.scorer_station.title) for a in pending.select_related("scorer_station")]
        self.fields["scorer_station"] = forms.TypedChoiceField(
            label="以哪个站点的名义互评", choices=choices, coerce=int, initial=choices[0][0] if choices else None
        )
        self.order_fields(["scorer_station"])

    def initial_for(self, row):
        return {}

    def perform_kwargs(self):
        kwargs = super().perform_kwargs()
        kwargs["scorer_station"] = self.cleaned_data.get("scorer_station")
        return kwargs


def _save_self(row, *, user, points=None, note="", **_):
    cleaned = _clean_points(row, points)
    _store(row, ScoreKind.SELF, row.station_id, cleaned, user)
    row.self_note = note or row.self_note
    return {"points": {item.facility.name: str(value) for item, value in cleaned}}


def _submit_self(row, *, user, points=None, note="", today=None, **_):
    detail = _save_self(row, user=user, points=points, note=note)
    found = measure(row.station, row.month)
    for name, value in found.__dict__.items():
        setattr(row, name, value)
    row.submitted_at = timezone.now()
    row.return_reason = ""
    peers = _assign_peers(row)
    return {**detail, "indicators": dict(found.__dict__), "peers": peers}


def _all_peers_in(row) -> str:
    pending = row.peer_assignments.filter(scored_at__isnull=True).exists()
    return S.SUBMITTED if pending else S.STREET_REVIEW


def _peer_score(row, *, user, points=None, scorer_station=None, note="", **_):
    mine = set(staffed_station_ids(roles_of(user)))
    pending = row.peer_assignments.filter(scored_at__isnull=True, scorer_station_id__in=mine)
    if scorer_station is not None:
        if int(scorer_station) == row.station_id:
            raise EvaluationError("不能为本站互评。")
        pending = pending.filter(scorer_station_id=scorer_station)
    assignment = pending.order_by("pk").first()
    if assignment is None:
        raise EvaluationError("本站没有待完成的互评。")
    if assignment.scorer_station_id == row.station_id:
        raise EvaluationError("不能为本站互评。")
    cleaned = _clean_points(row, points)
    _store(row, ScoreKind.PEER, assignment.scorer_station_id, cleaned, user, note)
    assignment.scored_at, assignment.scored_by = timezone.now(), user
    assignment.save()
    return {
        "scorer_station": assignment.scorer_station_id,
        "points": {item.facility.name: str(value) for item, value in cleaned},
    }


class AdjustForm(TransitionForm):
    facility = forms.TypedChoiceField(label="调整的评分项", coerce=int)
    points = forms.DecimalField(label="核定分数", max_digits=5, decimal_places=1)
    reason = forms.CharField(label="调整理由", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].choices = [
            (item.facility_id, f"{item.facility.name}（满分 {item.max_points.normalize()} 分）")
            for item in scheme_items(self.row.scheme)
        ]


def _adjust(row, *, user, facility=None, points=None, reason="", **_):
    reason = required(reason, "请写明调整的理由。")
    item = next((i for i in scheme_items(row.scheme) if i.facility_id == facility), None)
    if item is None:
        raise EvaluationError("请选择调整的评分项。")
    value = _points(points, item)
    EvaluationScore.objects.update_or_create(
        evaluation=row,
        kind=ScoreKind.STREET,
        scorer_station=None,
        facility=item.facility,
        defaults={"points": value, "scored_by": user, "note": reason},
    )
    return {"facility": item.facility.name, "points": str(value), "reason": reason}


class ReviewForm(TransitionForm):
    review_note = forms.CharField(
        label="审核意见（可选）", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


def _street_approve(row, *, user, review_note="", **_):
    row.reviewed_by, row.reviewed_at = user, timezone.now()
    row.review_note = review_note or ""
    row.return_reason = ""


class ReturnForm(TransitionForm):
    reason = forms.CharField(label="退回理由", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


def _return(row, *, reason="", **_):
    row.return_reason = required(reason, "请写明退回的理由。")
    return {"reason": row.return_reason}


def _approve(row, *, user, **_):
    score = compute_score(row)
    row.item_points = score.item_points.quantize(Decimal("0.01"), ROUND_HALF_UP)
    row.indicator_points = score.indicator_points.quantize(Decimal("0.01"), ROUND_HALF_UP)
    row.final_score, row.stars = score.final, score.stars
    row.approved_by, row.approved_at = user, timezone.now()
    return {"score": str(score.final), "stars": score.stars}


EVALUATIONS = Process(
    model=StationEvaluation,
    noun="站点评星",
    capacities_of=evaluation_capacities,
    transition_action=EvaluationAction.TRANSITION,
    created_action=EvaluationAction.CREATED,
    created_summary="开始自评",
    lock_related=("station", "scheme"),
    transitions=[
        Transition("save_self", "保存自评", (S.DRAFT,), None, (STATION,), _save_self, ScoresForm, kind=SIDE),
        Transition(
            "submit_self",
            "提交自评",
            (S.DRAFT,),
            Branch(_all_peers_in, (S.SUBMITTED, S.STREET_REVIEW)),
            (STATION,),
            _submit_self,
            ScoresForm,
            todos=(Todo("to_self", "待填报自评"),),
        ),
        Transition(
            "peer_score",
            "互评打分",
            (S.SUBMITTED,),
            Branch(_all_peers_in, (S.SUBMITTED, S.STREET_REVIEW)),
            (PEER,),
            _peer_score,
            PeerScoresForm,
            todos=(Todo("to_peer", "待互评打分"),),
        ),
        Transition(
            "street_approve",
            "街道审核通过",
            (S.STREET_REVIEW,),
            S.DISTRICT_REVIEW,
            (STREET,),
            _street_approve,
            ReviewForm,
            todos=(Todo("to_street_review", "待街道审核"),),
        ),
        Transition("street_adjust", "调整评分", (S.STREET_REVIEW,), None, (STREET,), _adjust, AdjustForm, kind=SIDE),
        Transition(
            "street_return", "退回站点", (S.STREET_REVIEW,), S.DRAFT, (STREET,), _return, ReturnForm, kind=REFUSAL
        ),
        Transition(
            "approve",
            "审定",
            (S.DISTRICT_REVIEW,),
            S.APPROVED,
            (DISTRICT,),
            _approve,
            todos=(Todo("to_approve", "待区审定"),),
        ),
        Transition(
            "district_return",
            "退回街道",
            (S.DISTRICT_REVIEW,),
            S.STREET_REVIEW,
            (DISTRICT,),
            _return,
            ReturnForm,
            kind=REFUSAL,
        ),
    ],
)


# --- Opening a month ----------------------------------------------------------------------------------------


def _create(station: StationPage, month: dt.date, *, user=None, username: str = "") -> StationEvaluation:
    scheme = scheme_for(month.year)
    try:
        with transaction.atomic():
            row = StationEvaluation.objects.create(
                station=station, street_id=station.street_id, month=month, scheme=scheme
            )
            EVALUATIONS.created(row, user=user, username=username, station=station.title, month=month_label(month))
    except IntegrityError:
        raise EvaluationError(f"{station.title}{month_label(month)}的自评已经存在，不能重复填报。") from None
    return row


def start(station: StationPage, month: dt.date, *, user) -> StationEvaluation:
    """Start a station's evaluation for a month (its staff, or the district admin): refused for
    a station that is not evaluated, for someone else's station, or a second time."""
    month = first_of_month(month)
    roles = roles_of(user)
    if station.level not in EVALUATED_LEVELS or station.street_id is None:
        raise EvaluationError("只有中心站和联络站参加月度评星。")
    if not (roles.is_district_admin or station.pk in staffed_station_ids(roles)):
        raise EvaluationError("只能为本站填报自评。")
    if month > first_of_month(timezone.localdate()):
        raise EvaluationError("不能为尚未开始的月份填报自评。")
    if StationEvaluation.objects.filter(station=station, month=month).exists():
        raise EvaluationError(f"{station.title}{month_label(month)}的自评已经存在，不能重复填报。")
    return _create(station, month, user=user)


def open_month(month: dt.date, *, user=None) -> list[StationEvaluation]:
    """Create the month's evaluation for every evaluated station not yet holding one
    (idempotent): the monthly task and the management command `open_evaluation_month`."""
    month = first_of_month(month)
    held = set(StationEvaluation.objects.filter(month=month).values_list("station_id", flat=True))
    created = []
    for station in evaluated_stations().exclude(pk__in=held).order_by("path"):
        created.append(_create(station, month, user=user, username="" if user else "系统"))
    return created
