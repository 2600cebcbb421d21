"""The closed loop: every allowed transition, the refused ones, and what each one leaves behind."""

import datetime as dt

import pytest

from django.core import mail
from django.utils import timezone

from base.models import AuditEvent, CalendarDay
from base.roles import Role, department_group_name, role_group_name
from tests.conftest import new_opinion, replied, role_user, station_user, street_user
from workflows import opinions
from workflows.models import (
    Department,
    Opinion,
    OpinionAction,
    OpinionReply,
    OpinionState,
    Publication,
    SupervisionCase,
)

pytestmark = pytest.mark.django_db
S = OpinionState


@pytest.fixture
def loop(two_streets, street):
    department = Department.objects.create(name="区城管局", email="cgj@example.com")
    other_department = Department.objects.create(name="区住建局")
    people = {
        "staff": station_user(two_streets["station"]),
        "secretary": street_user(street),
        "outsider": street_user(two_streets["other_street"], "qingbo-secretary"),
        "handler": role_user(
            "cgj-clerk",
            role_group_name(Role.DEPARTMENT_HANDLER),
            department_group_name(department),
            email="clerk@example.com",
        ),
        "other_handler": role_user(
            "zjj-clerk", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(other_department)
        ),
        "editor": role_user("editor", role_group_name(Role.EDITOR)),
        "auditor": role_user("auditor", role_group_name(Role.AUDITOR)),
    }
    return {**two_streets, "department": department, "other_department": other_department, **people}


def counts(opinion):
    return (
        AuditEvent.objects.filter(object_id=str(opinion.pk), action="opinion_transition").count(),
        opinion.history.count(),
    )


def step(opinion, name, user, **data):
    """Perform a transition and check it left exactly one audit record and one history row."""
    audits, history = counts(opinion)
    result = opinions.perform(opinion, name, user=user, **data)
    assert counts(result) == (audits + 1, history + 1)
    return result


def test_the_whole_loop_from_submission_to_closure(loop):
    opinion = new_opinion(loop["station"])
    assert opinion.state == S.SUBMITTED and opinion.receipt_no.startswith("YJ")
    assert opinion.street == loop["station"].street

    opinion = step(opinion, "accept", loop["staff"])
    assert opinion.state == S.ACCEPTED
    opinion = step(opinion, "assign", loop["staff"], department=loop["department"], workdays=5)
    assert (opinion.state, opinion.department) == (S.ASSIGNED, loop["department"])
    assert opinion.deadline is not None
    opinion = step(opinion, "sign", loop["handler"])
    assert opinion.state == S.SIGNED and opinion.signed_at
    opinion = step(opinion, "reply", loop["handler"], outcome="resolved", text="已协调增设 20 个夜间临时停车位。")
    assert opinion.state == S.REPLIED and opinion.reply_text.startswith("已协调")
    opinion = opinions.perform(opinion, "evaluate", capacity=opinions.CITIZEN, rating="satisfied")
    assert opinion.state == S.EVALUATED and not opinion.rating_by_visit
    opinion = step(opinion, "close", loop["secretary"])
    assert opinion.state == S.CLOSED and opinion.closed_at

    event = AuditEvent.objects.filter(object_id=str(opinion.pk), action="opinion_transition").order_by("pk")[1]
    assert event.actor == loop["staff"]
    assert (event.detail["from_state"], event.detail["to_state"]) == ("accepted", "assigned")
    assert event.detail["department"] == "区城管局"
    latest = opinion.history.first()
    assert latest.history_change_reason == "办结" and latest.state == "closed"


def test_the_department_is_told_by_email_when_an_opinion_is_assigned(
    loop, settings, django_capture_on_commit_callbacks
):
    settings.WAGTAILADMIN_BASE_URL = "https://lianluo.example"
    opinion = new_opinion(loop["station"])
    opinion = opinions.perform(opinion, "accept", user=loop["staff"])
    with django_capture_on_commit_callbacks(execute=True):
        opinions.perform(opinion, "assign", user=loop["staff"], department=loop["department"])
    (message,) = mail.outbox
    assert f"https://lianluo.example/admin/opinions/inspect/{opinion.pk}/" in message.body
    assert set(message.to) == {"cgj@example.com", "clerk@example.com"}
    assert opinion.receipt_no in message.body and "张三丰" not in message.body and "13812345678" not in message.body


@pytest.mark.parametrize(
    ("name", "data", "reason_field", "expected"),
    [
        ("reject", {"reason": "不属于人大代表联络站受理范围"}, "reject_reason", S.REJECTED),
        ("accept", {}, None, S.ACCEPTED),
    ],
)
def test_staff_of_the_street_may_accept_or_reject(loop, name, data, reason_field, expected):
    opinion = step(new_opinion(loop["station"]), name, loop["secretary"], **data)
    assert opinion.state == expected
    if reason_field:
        assert getattr(opinion, reason_field) == data["reason"]


def test_rejecting_needs_a_reason(loop):
    opinion = new_opinion(loop["station"])
    with pytest.raises(opinions.TransitionError, match="理由"):
        opinions.perform(opinion, "reject", user=loop["staff"], reason="  ")
    opinion.refresh_from_db()
    assert opinion.state == S.SUBMITTED and counts(opinion) == (0, 1)


def test_a_duplicate_is_linked_to_its_original(loop):
    original = new_opinion(loop["station"])
    copy = new_opinion(loop["station"], title="停车难（重复反映）")
    copy = step(copy, "mark_duplicate", loop["staff"], original=original)
    assert copy.state == S.DUPLICATE and copy.duplicate_of == original
    with pytest.raises(opinions.TransitionError):
        opinions.perform(original, "mark_duplicate", user=loop["staff"], original=original)


def test_someone_with_no_part_in_an_opinion_is_not_told_its_state(loop):
    opinion = opinion_in(loop, S.ASSIGNED)
    for outsider in (loop["outsider"], loop["other_handler"], loop["auditor"]):
        with pytest.raises(opinions.NotAllowed) as refused:
            opinions.perform(opinion, "accept", user=outsider)
        assert "已交办" not in str(refused.value)


def test_an_accepted_opinion_can_still_be_marked_a_duplicate(loop):
    original = new_opinion(loop["station"])
    copy = opinion_in(loop, S.ACCEPTED)
    copy = step(copy, "mark_duplicate", loop["secretary"], original=original)
    assert copy.state == S.DUPLICATE and copy.duplicate_of == original


def test_escalation_moves_the_opinion_to_the_parent_stations_queue(loop):
    opinion = new_opinion(loop["point"])
    opinion = step(opinion, "escalate", loop["staff"], note="涉及多个小区，需街道协调")
    assert opinion.station.pk == loop["station"].pk and opinion.state == S.SUBMITTED
    opinion = step(opinion, "escalate", loop["staff"], note="需区级部门协调")
    assert opinion.station.pk == loop["centre"].pk
    # The contact point's staff reach it no longer; the street committee still does.
    with pytest.raises(opinions.NotAllowed):
        opinions.perform(opinion, "accept", user=loop["staff"])
    assert step(opinion, "accept", loop["secretary"]).state == S.ACCEPTED


def test_an_unsatisfied_rating_opens_a_new_round_and_a_supervision_case(loop):
    opinion = new_opinion(loop["station"])
    opinion = replied(
        opinion, loop["staff"], loop["handler"], loop["department"], "explained", "场地有限，暂无法增设。"
    )
    opinion = step(opinion, "evaluate", loop["staff"], rating="unsatisfied")  # a return visit (回访)
    assert opinion.state == S.REOPENED and opinion.round == 2 and opinion.is_key
    assert opinion.reply_text == "" and opinion.deadline is None
    first = OpinionReply.objects.get(opinion=opinion, round=1)
    assert first.text == "场地有限，暂无法增设。" and first.rating == "unsatisfied"
    case = SupervisionCase.objects.get(opinion=opinion)
    assert case.reason == "unsatisfied" and case.round == 1
    # Round two goes to another department and ends satisfied.
    opinion = step(opinion, "assign", loop["secretary"], department=loop["other_department"])
    opinion = step(opinion, "sign", loop["other_handler"])
    opinion = step(opinion, "reply", loop["other_handler"], outcome="partly", text="已协调共享车位 8 个。")
    assert OpinionReply.objects.filter(opinion=opinion).count() == 2


def test_an_opinion_nobody_rated_can_be_closed_after_the_wait_with_the_reason(loop, settings):
    settings.LIANLUO_RATING_WAIT_DAYS = 7
    opinion = new_opinion(loop["station"])
    opinion = replied(opinion, loop["staff"], loop["handler"], loop["department"], "resolved", "已处理。")
    with pytest.raises(opinions.TransitionError, match="7 天"):
        opinions.perform(opinion, "close", user=loop["staff"])
    later = timezone.localtime(opinion.replied_at).date() + dt.timedelta(days=8)
    opinion = opinions.perform(opinion, "close", capacity=opinions.SYSTEM, today=later)
    assert opinion.state == S.CLOSED and opinion.close_reason == "答复后 7 天未评价"
    assert opinion.rating == ""  # closed, not rated: the satisfaction rate does not count it


@pytest.mark.parametrize(
    ("actor", "name"),
    [
        ("outsider", "accept"),  # another street's committee
        ("handler", "accept"),  # a department does not run the station's queue
        ("auditor", "accept"),
        ("editor", "accept"),
        ("other_handler", "sign"),  # not assigned to their department
        ("staff", "sign"),  # station staff do not sign for the department
        ("staff", "supervise"),  # supervision is the street's or the district's
    ],
)
def test_people_without_the_role_for_this_opinion_are_refused(loop, actor, name):
    opinion = new_opinion(loop["station"])
    if name == "sign":
        opinion = opinions.perform(opinion, "accept", user=loop["staff"])
        opinion = opinions.perform(opinion, "assign", user=loop["staff"], department=loop["department"])
    before = counts(opinion)
    with pytest.raises(opinions.NotAllowed, match="权限"):
        opinions.perform(opinion, name, user=loop[actor])
    assert counts(opinion) == before


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("sign", {}),
        ("reply", {"outcome": "resolved", "text": "已处理"}),
        ("evaluate", {"rating": "satisfied"}),
        ("close", {}),
        ("assign", {}),
    ],
)
def test_transitions_from_the_wrong_state_are_refused(loop, name, data):
    opinion = new_opinion(loop["station"])  # still 待受理
    with pytest.raises(opinions.Conflict, match="待受理"):
        opinions.perform(opinion, name, user=loop["secretary"], capacity=opinions.CITIZEN, **data)
    assert Opinion.objects.get(pk=opinion.pk).state == S.SUBMITTED


def opinion_in(loop, state):
    """A fresh opinion of street A brought to `state` through the real transitions."""
    staff, handler = loop["staff"], loop["handler"]
    opinion = new_opinion(loop["station"])
    path = {
        S.SUBMITTED: [],
        S.REJECTED: [("reject", staff, {"reason": "不属于受理范围"})],
        S.DUPLICATE: [("mark_duplicate", staff, {"original": new_opinion(loop["station"])})],
        S.ACCEPTED: [("accept", staff, {})],
        S.ASSIGNED: [("accept", staff, {}), ("assign", staff, {"department": loop["department"]})],
    }
    path[S.SIGNED] = [*path[S.ASSIGNED], ("sign", handler, {})]
    path[S.REPLIED] = [*path[S.SIGNED], ("reply", handler, {"outcome": "resolved", "text": "已处理"})]
    path[S.EVALUATED] = [*path[S.REPLIED], ("evaluate", staff, {"rating": "satisfied"})]
    path[S.CLOSED] = [*path[S.EVALUATED], ("close", staff, {})]
    path[S.REOPENED] = [*path[S.REPLIED], ("evaluate", staff, {"rating": "unsatisfied"})]
    for name, user, data in path[state]:
        opinion = opinions.perform(opinion, name, user=user, **data)
    assert opinion.state == state
    return opinion


@pytest.mark.parametrize("state", [state for state, _label in S.choices])
def test_every_transition_not_allowed_from_a_state_is_refused_and_leaves_no_trace(loop, state):
    """Generated from the state machine: each transition whose sources lack `state` is a
    conflict there, for the person who could otherwise perform it, and writes nothing."""
    opinion = opinion_in(loop, state)
    actor = {
        opinions.STAFF: loop["secretary"],
        opinions.HANDLER: loop["handler"],
        opinions.SUPERVISOR: loop["secretary"],
        opinions.PUBLISHER: loop["editor"],
    }
    refused = [t for t in opinions.TRANSITIONS.values() if state not in t.sources]
    assert refused or state == S.REPLIED
    before = counts(opinion)
    for transition in refused:
        capacity = transition.capacities[0]
        user = actor.get(capacity)
        # Who has a part in the opinion hears why (its state); anyone else only "not allowed".
        involved = user is None or opinions.capacities(user, opinion)
        expected = (opinions.Conflict, opinion.get_state_display()) if involved else (opinions.NotAllowed, "没有权限")
        with pytest.raises(expected[0], match=expected[1]):
            opinions.perform(
                opinion,
                transition.name,
                user=user,
                capacity=capacity if user is None else None,
                reason="理由",
                original=new_opinion(loop["other_station"]),
                department=loop["department"],
                outcome="resolved",
                text="答复",
                rating="satisfied",
                summary="摘要",
                public_reply="公开答复",
            )
        current = Opinion.objects.get(pk=opinion.pk)
        assert (current.state, current.version) == (opinion.state, opinion.version), transition.name
        assert counts(current) == before, transition.name


# --- Every allowed transition, generated from the state machine ------------------------------

# Where each transition leads; the ones not listed keep the state (evaluate depends on the rating).
TARGETS = {
    "accept": S.ACCEPTED,
    "reject": S.REJECTED,
    "mark_duplicate": S.DUPLICATE,
    "assign": S.ASSIGNED,
    "sign": S.SIGNED,
    "reply": S.REPLIED,
    "close": S.CLOSED,
}


def allowed_cases():
    """Every (transition, source state, capacity) of opinions.TRANSITIONS, a rating each way."""
    cases = []
    for transition in opinions.TRANSITIONS.values():
        for source in transition.sources:
            for capacity in transition.capacities:
                ratings = ["satisfied", "unsatisfied"] if transition.name == "evaluate" else [None]
                cases += [(transition.name, source, capacity, rating) for rating in ratings]
    return cases


ALLOWED = allowed_cases()


def test_supervision_is_open_to_every_state_still_in_the_loop_and_the_cases_include_it():
    still_open = {state for state in S.values if Opinion(state=state).is_open}
    assert set(opinions.TRANSITIONS["supervise"].sources) == still_open
    generated = {(name, source) for name, source, _capacity, _rating in ALLOWED}
    assert {("supervise", state) for state in still_open} <= generated
    assert {("escalate", S.ACCEPTED), ("request_publication", S.CLOSED), ("approve_publication", S.CLOSED)} <= generated
    assert ("close", S.REPLIED, opinions.SYSTEM, None) in ALLOWED
    assert ("evaluate", S.REPLIED, opinions.CITIZEN, "unsatisfied") in ALLOWED


def transition_data(loop, name, opinion, rating):
    if name == "close" and opinion.state == S.REPLIED:  # nobody rated it: only after the wait
        waited = opinions.rating_wait_days() + 1
        return {"today": timezone.localtime(opinion.replied_at).date() + dt.timedelta(days=waited)}
    return {
        "reject": {"reason": "不属于受理范围"},
        "mark_duplicate": {"original": new_opinion(loop["station"], title="同一问题的原意见")},
        "escalate": {"note": "需街道协调"},
        "assign": {"department": loop["department"]},
        "reply": {"outcome": "resolved", "text": "已处理"},
        "evaluate": {"rating": rating},
        "supervise": {"note": "请抓紧办理"},
        "request_publication": {"summary": "东平巷停车难已解决", "public_reply": "已增设车位。"},
        "refuse_publication": {"note": "涉及隐私"},
    }.get(name, {})


@pytest.mark.parametrize(
    ("name", "source", "capacity", "rating"),
    ALLOWED,
    ids=[
        f"{name}-from-{source}-as-{capacity}" + (f"-{rating}" if rating else "")
        for name, source, capacity, rating in ALLOWED
    ],
)
def test_every_allowed_transition_moves_the_opinion_and_leaves_one_audit_record_and_one_history_row(
    loop, name, source, capacity, rating
):
    opinion = opinion_in(loop, source)
    if name in ("approve_publication", "refuse_publication"):
        opinion = opinions.perform(
            opinion, "request_publication", user=loop["staff"], summary="停车难已解决", public_reply="已增设车位。"
        )
    actors = {
        opinions.STAFF: loop["staff"],
        opinions.SUPERVISOR: loop["secretary"],
        opinions.HANDLER: loop["handler"],
        opinions.PUBLISHER: loop["editor"],
    }
    user = actors.get(capacity)  # a citizen (rating link) and the sweep act without a user
    assert user is None or capacity in opinions.capacities(user, opinion)
    last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    history_before = opinion.history.count()

    result = opinions.perform(
        opinion,
        name,
        user=user,
        capacity=None if user else capacity,
        expected_version=opinion.version,
        **transition_data(loop, name, opinion, rating),
    )

    expected = TARGETS.get(name, source)
    if name == "evaluate":
        expected = S.REOPENED if rating == "unsatisfied" else S.EVALUATED
    stored = Opinion.objects.get(pk=opinion.pk)
    assert result.state == stored.state == expected
    assert stored.version == opinion.version + 1
    (event,) = AuditEvent.objects.filter(pk__gt=last_event or 0, object_id=str(opinion.pk))
    assert event.action == OpinionAction.TRANSITION
    assert (event.detail["transition"], event.detail["from_state"], event.detail["to_state"]) == (
        name,
        source,
        expected,
    )
    assert event.actor == user
    if user is None:
        assert event.actor_username == ("群众" if capacity == opinions.CITIZEN else "系统")
    assert stored.history.count() == history_before + 1
    newest = stored.history.order_by("-history_id").first()
    assert (newest.state, newest.history_change_reason) == (expected, opinions.TRANSITIONS[name].label)
    assert event.detail["history_id"] == newest.history_id  # what the admin timeline pairs them by
    # What the transition is for, beyond the state.
    if name == "escalate":
        assert stored.station_id == loop["centre"].pk
    elif name == "supervise":
        assert stored.is_key and SupervisionCase.objects.filter(opinion=stored, reason="key_item").exists()
    elif name == "request_publication":
        assert (stored.publication, stored.public_reply) == (Publication.PENDING, "已增设车位。")
    elif name == "approve_publication":
        assert stored.publication == Publication.APPROVED and stored.published_at
    elif name == "refuse_publication":
        assert stored.publication == Publication.REFUSED
    elif name == "close" and source == S.REPLIED:
        assert stored.close_reason == f"答复后 {opinions.rating_wait_days()} 天未评价"
    elif name == "evaluate":
        assert stored.rating_by_visit == (capacity == opinions.STAFF)


# --- Publication (晾晒) ----------------------------------------------------------------------


def test_public_pages_show_the_reply_written_for_publication_not_the_departments_reply(client, loop):
    reply = "张三丰先生您好：已在东平巷12号3单元门口增设夜间临时停车位 20 个。"
    opinion = replied(new_opinion(loop["station"]), loop["staff"], loop["handler"], loop["department"], text=reply)
    opinion = opinions.perform(
        opinion,
        "request_publication",
        user=loop["staff"],
        summary="东平巷夜间停车难",
        public_reply="已在东平巷增设夜间临时停车位 20 个。",
    )
    opinions.perform(opinion, "approve_publication", user=loop["editor"])
    for url in ("/results/", loop["station"].url):
        page = client.get(url).content.decode()
        assert "东平巷夜间停车难" in page and "已在东平巷增设夜间临时停车位 20 个。" in page, url
        assert "张三丰" not in page and "12号3单元" not in page, url
    # The citizen's own status page still shows the department's reply as written.
    status = client.post("/opinions/status/", {"receipt_no": opinion.receipt_no, "phone_last4": "5678"})
    assert "12号3单元" in status.content.decode()


def test_a_publication_request_from_before_public_replies_cannot_be_approved(loop):
    opinion = replied(new_opinion(loop["station"]), loop["staff"], loop["handler"], loop["department"])
    Opinion.objects.filter(pk=opinion.pk).update(publication=Publication.PENDING, public_summary="旧的申请")
    with pytest.raises(opinions.TransitionError, match="没有公开答复"):
        opinions.perform(opinion, "approve_publication", user=loop["editor"])
    assert Opinion.objects.get(pk=opinion.pk).publication == Publication.PENDING
    opinion = step(opinion, "refuse_publication", loop["editor"])
    opinion = step(opinion, "request_publication", loop["staff"], summary="摘要", public_reply="已处理。")
    assert step(opinion, "approve_publication", loop["editor"]).publication == Publication.APPROVED


def test_refusing_publication_is_recorded_and_keeps_the_result_private(client, loop):
    opinion = replied(new_opinion(loop["station"]), loop["staff"], loop["handler"], loop["department"])
    opinion = step(
        opinion, "request_publication", loop["staff"], summary="东平巷停车难已解决", public_reply="已增设车位。"
    )
    with pytest.raises(opinions.NotAllowed):
        opinions.perform(opinion, "refuse_publication", user=loop["outsider"])
    opinion = step(opinion, "refuse_publication", loop["secretary"], note="涉及个人隐私")
    assert opinion.publication == Publication.REFUSED
    assert "东平巷停车难已解决" not in client.get("/results/").content.decode()


def test_an_unsatisfied_rating_withdraws_a_published_result(client, loop):
    opinion = replied(new_opinion(loop["station"]), loop["staff"], loop["handler"], loop["department"])
    opinion = opinions.perform(
        opinion, "request_publication", user=loop["staff"], summary="东平巷路灯已修好", public_reply="路灯已更换。"
    )
    opinion = opinions.perform(opinion, "approve_publication", user=loop["editor"])
    assert "东平巷路灯已修好" in client.get("/results/").content.decode()
    opinion = step(opinion, "evaluate", None, capacity=opinions.CITIZEN, rating="unsatisfied")
    assert opinion.state == S.REOPENED and opinion.publication == Publication.NONE and not opinion.published_at
    assert opinion.public_reply == ""  # made from the reply just rejected: the next round writes its own
    assert "东平巷路灯已修好" not in client.get("/results/").content.decode()
    assert "东平巷路灯已修好" not in client.get(loop["station"].url).content.decode()
    audit = AuditEvent.objects.filter(object_id=str(opinion.pk), action="opinion_transition").latest("pk")
    assert audit.detail["publication_withdrawn"] is True


def test_a_stale_version_is_a_conflict(loop):
    opinion = new_opinion(loop["station"])
    seen = opinion.version
    opinions.perform(opinion, "accept", user=loop["staff"], expected_version=seen)
    with pytest.raises(opinions.Conflict, match="刚被他人处理"):
        opinions.perform(opinion, "reject", user=loop["secretary"], expected_version=seen, reason="重复")


def test_supervision_marks_the_item_and_reminds_the_department(loop, django_capture_on_commit_callbacks):
    opinion = new_opinion(loop["station"])
    opinion = opinions.perform(opinion, "accept", user=loop["staff"])
    opinion = opinions.perform(opinion, "assign", user=loop["staff"], department=loop["department"])
    with django_capture_on_commit_callbacks(execute=True):
        opinion = step(opinion, "supervise", loop["secretary"], note="请本周内答复")
    assert opinion.is_key and opinion.state == S.ASSIGNED
    assert SupervisionCase.objects.get(opinion=opinion).note == "请本周内答复"
    assert [m.subject for m in mail.outbox] == [f"【联络】督办：{opinion.title}"]


@pytest.mark.parametrize("state", [S.SUBMITTED, S.ACCEPTED, S.REOPENED])
def test_supervising_an_item_no_department_holds_tells_the_station_and_the_street(
    loop, state, django_capture_on_commit_callbacks
):
    for person, email in (("staff", "staff@example.com"), ("secretary", "secretary@example.com")):
        loop[person].email = email
        loop[person].save()
    opinion = opinion_in(loop, state)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        opinions.perform(opinion, "supervise", user=loop["secretary"], note="请尽快处理")
    (message,) = mail.outbox
    assert message.subject == f"【联络】督办：{opinion.title}"
    assert set(message.to) == {"staff@example.com", "secretary@example.com"}
    assert "重点督办" in message.body and "张三丰" not in message.body


def test_publication_needs_consent_a_summary_and_an_approval(loop):
    opinion = new_opinion(loop["station"])
    opinion = replied(opinion, loop["staff"], loop["handler"], loop["department"], "resolved", "已增设车位。")
    with pytest.raises(opinions.TransitionError, match="摘要"):
        opinions.perform(opinion, "request_publication", user=loop["staff"], summary="", public_reply="已增设车位。")
    with pytest.raises(opinions.TransitionError, match="公开答复"):
        opinions.perform(opinion, "request_publication", user=loop["staff"], summary="摘要", public_reply="  ")
    with pytest.raises(opinions.TransitionError, match="4000"):
        opinions.perform(opinion, "request_publication", user=loop["staff"], summary="摘要", public_reply="字" * 4001)
    assert Opinion.objects.get(pk=opinion.pk).publication == Publication.NONE
    opinion = step(
        opinion,
        "request_publication",
        loop["staff"],
        summary="东平巷夜间停车难，已增设车位",
        public_reply="已增设车位。",
    )
    assert opinion.publication == Publication.PENDING
    with pytest.raises(opinions.NotAllowed):
        opinions.perform(opinion, "approve_publication", user=loop["staff"])
    opinion = step(opinion, "approve_publication", loop["editor"])
    assert opinion.publication == Publication.APPROVED and opinion.published_at

    private = new_opinion(loop["station"], publish_consent=False)
    private.state = S.CLOSED
    private.save()
    with pytest.raises(opinions.TransitionError, match="未同意公开"):
        opinions.perform(private, "request_publication", user=loop["staff"], summary="摘要", public_reply="答复")


def test_deadlines_count_working_days_across_national_day_and_a_make_up_saturday(loop):
    # 2025: 10月1日–8日 National Day and Mid-autumn holiday; Saturday 11 October is a 调休 workday.
    opinion = opinions.perform(new_opinion(loop["station"]), "accept", user=loop["staff"])
    opinion = opinions.perform(
        opinion, "assign", user=loop["staff"], department=loop["department"], workdays=3, today=dt.date(2025, 9, 30)
    )
    # 9月30日 (Tue) + 3 working days: 10月9日 (Thu), 10日 (Fri), 11日 (Sat, 调休) → 11 October.
    assert opinion.deadline == dt.date(2025, 10, 11)


def test_an_administrators_calendar_override_moves_the_deadline(loop):
    CalendarDay.objects.create(date=dt.date(2025, 10, 9), kind="holiday", name="临时调整")
    opinion = opinions.perform(new_opinion(loop["station"]), "accept", user=loop["staff"])
    opinion = opinions.perform(
        opinion, "assign", user=loop["staff"], department=loop["department"], workdays=3, today=dt.date(2025, 9, 30)
    )
    assert opinion.deadline == dt.date(2025, 10, 13)


def test_overdue_is_computed_from_the_deadline(loop):
    opinion = opinions.perform(new_opinion(loop["station"]), "accept", user=loop["staff"])
    opinion = opinions.perform(
        opinion, "assign", user=loop["staff"], department=loop["department"], workdays=1, today=dt.date(2025, 9, 30)
    )
    assert not opinion.is_overdue(today=dt.date(2025, 10, 9))
    assert opinion.is_overdue(today=dt.date(2025, 10, 10))


def test_closed_is_kept_apart_from_resolved_and_satisfied(loop, settings):
    from workflows.stats import loop_rates

    settings.LIANLUO_RATING_WAIT_DAYS = 0

    def through(outcome, rating=None):
        opinion = new_opinion(loop["station"])
        opinion = replied(opinion, loop["staff"], loop["handler"], loop["department"], outcome, "答复")
        if rating:
            opinion = opinions.perform(opinion, "evaluate", capacity=opinions.CITIZEN, rating=rating)
        return opinions.perform(opinion, "close", user=loop["staff"])

    through("resolved", "satisfied")
    through("explained", "basically")
    through("partly")  # closed without a rating
    # 不满意 sends it back (重办); the second round is rated 满意. Both ratings count.
    redone = replied(new_opinion(loop["station"]), loop["staff"], loop["handler"], loop["department"], "explained")
    redone = opinions.perform(redone, "evaluate", capacity=opinions.CITIZEN, rating="unsatisfied")
    redone = opinions.perform(redone, "assign", user=loop["staff"], department=loop["department"])
    redone = opinions.perform(redone, "sign", user=loop["handler"])
    redone = opinions.perform(redone, "reply", user=loop["handler"], outcome="resolved", text="重新处理。")
    redone = opinions.perform(redone, "evaluate", capacity=opinions.CITIZEN, rating="satisfied")
    opinions.perform(redone, "close", user=loop["staff"])
    opinions.perform(new_opinion(loop["station"]), "accept", user=loop["staff"])  # still in the loop
    new_opinion(loop["station"])  # not yet accepted: outside every denominator
    closure, resolution, satisfaction = loop_rates(Opinion.objects.all())
    assert (closure.numerator, closure.denominator) == (4, 5)
    assert (resolution.numerator, resolution.denominator) == (2, 4)
    assert (satisfaction.numerator, satisfaction.denominator) == (3, 4)
    assert str(closure) == "办结率 80.0%（4/5）"
    assert str(satisfaction) == "满意率 75.0%（3/4）"
