"""A station asks its street committee for a person (站点工作人员申请): the second process
declared on the one mechanism. Its transitions, buttons and to-dos are tested from the
declaration (tests/process_contract.py); what it is for is tested below them."""

from __future__ import annotations

import itertools
from io import StringIO

import pytest

from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from base.models import AuditEvent
from base.roles import Role, role_group_name
from permissions import staff_requests
from permissions.models import StaffRequest, StaffRequestState, StationAssignment
from permissions.staff_requests import COMMITTEE, REQUESTER, STAFF_REQUESTS
from tests import process_contract as contract
from tests.conftest import role_user, station_user, street_user
from workflows.process import Conflict, TransitionError

pytestmark = pytest.mark.django_db
S = StaffRequestState
_accounts = itertools.count(1)


def staff_account(username=None):
    """An account holding the station staff role, not yet assigned anywhere."""
    return role_user(username or f"new-clerk-{next(_accounts)}", role_group_name(Role.STATION_STAFF))


def file_request(station, requester):
    """A request filed as the admin's add form files it (one audit record of its creation)."""
    request = StaffRequest(
        station=station, person_name="李晓梅", post="联络员", reason="原联络员调离，接待日人手不足。"
    )
    return staff_requests.file_request(request, requester)


class RequestDriver(contract.Driver):
    def __init__(self, world):
        super().__init__(STAFF_REQUESTS, "station_staff_requests:inspect")
        self.world = world

    def bring(self, state):
        request = file_request(self.world["station"], self.world["requester"])
        path = {
            S.PENDING: [],
            S.APPROVED: [("approve", self.world["secretary"], {"account": staff_account()})],
            S.DECLINED: [("decline", self.world["secretary"], {"note": "该同志已在其他站点任职。"})],
            S.WITHDRAWN: [("withdraw", self.world["requester"], {})],
        }[state]
        for name, user, data in path:
            request = STAFF_REQUESTS.perform(request, name, user=user, **data)
        assert request.state == state
        return request

    def actor(self, capacity):
        return {REQUESTER: self.world["requester"], COMMITTEE: self.world["secretary"]}[capacity]

    def outsider(self):
        return self.world["outsider"]

    def data(self, transition, row):
        return {"approve": {"account": staff_account()}, "decline": {"note": "人员已满。"}}.get(transition.name, {})


@pytest.fixture
def world(two_streets, street):
    return {
        **two_streets,
        "requester": station_user(two_streets["station"]),
        "secretary": street_user(street),
        "outsider": street_user(two_streets["other_street"], "qingbo-secretary"),
    }


@pytest.fixture
def driver(world):
    return RequestDriver(world)


# --- Generated from the declaration -----------------------------------------------------------

ALLOWED = contract.allowed_cases(STAFF_REQUESTS)
REFUSED = contract.refused_cases(STAFF_REQUESTS)
STATES = contract.states(STAFF_REQUESTS)
CAPACITIES = sorted({capacity for t in STAFF_REQUESTS.transitions for capacity in t.capacities})


@pytest.mark.parametrize(("name", "source", "capacity"), ALLOWED, ids=contract.ids(ALLOWED))
def test_every_allowed_transition_moves_the_request_and_leaves_one_audit_record_and_one_history_row(
    driver, name, source, capacity
):
    contract.check_allowed(driver, name, source, capacity)


@pytest.mark.parametrize(("state", "name"), REFUSED, ids=contract.ids(REFUSED))
def test_every_transition_not_allowed_from_a_state_is_refused_and_leaves_no_trace(driver, state, name):
    contract.check_refused(driver, state, name)


@pytest.mark.parametrize("state", STATES)
def test_someone_with_no_part_in_a_request_is_refused_everything_and_told_nothing(driver, state):
    contract.check_outsider(driver, state)


@pytest.mark.parametrize("state", STATES)
def test_the_detail_page_offers_each_viewer_exactly_the_transitions_they_may_perform(driver, client, state):
    contract.check_buttons(driver, client, state, CAPACITIES)


@pytest.mark.parametrize("key", contract.todo_cases(STAFF_REQUESTS))
def test_each_todo_counts_waiting_requests_for_those_who_decide_them(driver, key):
    contract.check_todo(driver, key)


def test_the_generated_cases_cover_every_transition_and_state():
    assert (
        {name for name, _source, _capacity in ALLOWED}
        == set(STAFF_REQUESTS.by_name)
        == {
            "approve",
            "decline",
            "withdraw",
        }
    )
    assert {state for state, _name in REFUSED} == {S.APPROVED, S.DECLINED, S.WITHDRAWN}


# --- What the process is for --------------------------------------------------------------------


def test_station_staff_file_a_request_for_their_own_station_in_the_admin(client, world):
    client.force_login(world["requester"])
    url = reverse("station_staff_requests:add")
    form = client.get(url)
    assert form.status_code == 200
    offered = set(form.context["form"].fields["station"].queryset.values_list("pk", flat=True))
    assert world["station"].pk in offered and world["point"].pk in offered  # and the contact points below
    assert world["other_station"].pk not in offered and world["centre"].pk not in offered

    response = client.post(
        url, {"station": world["station"].pk, "person_name": "李晓梅", "post": "联络员", "reason": "接待日人手不足"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    (request,) = StaffRequest.objects.all()
    assert (request.state, request.requested_by) == (S.PENDING, world["requester"])
    assert request.street == world["station"].street
    (event,) = AuditEvent.objects.filter(action="staff_request_submitted")
    assert event.actor == world["requester"] and event.object_id == str(request.pk)
    assert request.history.count() == 1


def test_a_request_for_another_streets_station_is_refused_with_a_message(client, world):
    client.force_login(world["requester"])
    response = client.post(
        reverse("station_staff_requests:add"),
        {"station": world["other_station"].pk, "person_name": "李晓梅", "post": "联络员", "reason": "人手不足"},
    )
    assert response.status_code == 200 and "station" in response.context["form"].errors
    assert not StaffRequest.objects.exists()


def test_the_street_committee_is_told_and_sees_it_waiting_on_the_admin_home(
    client, world, django_capture_on_commit_callbacks
):
    world["secretary"].email = "hubin@example.com"
    world["secretary"].save()
    with django_capture_on_commit_callbacks(execute=True):
        request = file_request(world["station"], world["requester"])
    (message,) = mail.outbox
    assert message.to == ["hubin@example.com"] and "李晓梅" in message.body
    assert f"/admin/station_staff_requests/inspect/{request.pk}/" in message.body

    client.force_login(world["secretary"])
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "我的待办 · 站点工作人员申请" in home and "待审批" in home
    assert STAFF_REQUESTS.todo_counts(world["secretary"])["to_decide"] == 1
    assert STAFF_REQUESTS.todo_counts(world["requester"])["to_decide"] == 0  # the station asks, it does not decide


def test_approving_assigns_the_chosen_account_to_the_station(client, world, django_capture_on_commit_callbacks):
    world["requester"].email = "dongping@example.com"
    world["requester"].save()
    request = file_request(world["station"], world["requester"])
    account = staff_account("lixiaomei")
    assert not world["station"].permissions_for_user(account).can_edit()
    client.force_login(world["secretary"])
    url = reverse("station_staff_requests:act", args=[request.pk, "approve"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"approve-version": request.version, "approve-account": account.pk})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == S.APPROVED and request.assignment.user == account
    account = type(account).objects.get(pk=account.pk)  # Wagtail caches page permissions on the user object
    assert world["station"].permissions_for_user(account).can_edit()  # the staff group follows the assignment
    (message,) = mail.outbox
    assert message.to == ["dongping@example.com"] and "已同意" in message.subject

    detail = client.get(reverse("station_staff_requests:inspect", args=[request.pk]))
    summaries = [row["summary"] for row in detail.context["timeline"]]
    assert summaries == ["提交", "待审批 → 已同意（同意）"]


def test_an_account_already_at_the_station_cannot_be_assigned_again(world):
    request = file_request(world["station"], world["requester"])
    with pytest.raises(TransitionError, match="已是该站点的工作人员"):
        STAFF_REQUESTS.perform(request, "approve", user=world["secretary"], account=world["requester"])
    request.refresh_from_db()
    assert request.state == S.PENDING and StationAssignment.objects.filter(user=world["requester"]).count() == 1


def test_an_account_without_the_station_staff_role_is_refused_with_the_reason(world):
    request = file_request(world["station"], world["requester"])
    with pytest.raises(TransitionError, match="站点工作人员"):
        STAFF_REQUESTS.perform(request, "approve", user=world["secretary"], account=role_user("stranger"))
    assert StaffRequest.objects.get(pk=request.pk).state == S.PENDING


def test_declining_needs_a_reason(client, world):
    request = file_request(world["station"], world["requester"])
    client.force_login(world["secretary"])
    url = reverse("station_staff_requests:act", args=[request.pk, "decline"])
    response = client.post(url, {"decline-version": request.version, "decline-note": ""}, follow=True)
    assert "未能不同意" in response.content.decode()
    assert StaffRequest.objects.get(pk=request.pk).state == S.PENDING


def test_two_committee_members_deciding_at_once_make_one_decision(world):
    request = file_request(world["station"], world["requester"])
    seen = request.version
    STAFF_REQUESTS.perform(request, "decline", user=world["secretary"], expected_version=seen, note="人员已满")
    with pytest.raises(Conflict):
        STAFF_REQUESTS.perform(
            request, "approve", user=world["secretary"], expected_version=seen, account=staff_account()
        )
    assert (
        StaffRequest.objects.get(pk=request.pk).state == S.DECLINED
        and not StationAssignment.objects.filter(note__contains="申请").exists()
    )


def test_outsiders_neither_list_nor_open_another_streets_requests(client, world):
    request = file_request(world["station"], world["requester"])
    client.force_login(world["outsider"])
    listing = client.get(reverse("station_staff_requests:index"))
    assert listing.status_code == 200 and "李晓梅" not in listing.content.decode()
    assert client.get(reverse("station_staff_requests:inspect", args=[request.pk])).status_code == 404
    act = reverse("station_staff_requests:act", args=[request.pk, "approve"])
    assert client.post(act, {"approve-version": request.version}).status_code == 404


def test_the_auditor_reads_the_request_and_its_timeline_but_cannot_act(client, world):
    request = file_request(world["station"], world["requester"])
    auditor = role_user("auditor", role_group_name(Role.AUDITOR))
    client.force_login(auditor)
    detail = client.get(reverse("station_staff_requests:inspect", args=[request.pk]))
    assert detail.status_code == 200 and detail.context["actions"] == []
    act = reverse("station_staff_requests:act", args=[request.pk, "decline"])
    assert client.post(act, {"decline-version": request.version, "decline-note": "x"}).status_code == 403
    audit_log = client.get(reverse("audit_events:index"), {"action": "staff_request_submitted"}).content.decode()
    assert "站点人员申请提交" in audit_log  # the app's own registered label


def test_the_demo_gives_the_street_account_one_request_to_decide(settings, two_streets, django_user_model):
    settings.DEBUG = True
    call_command("ensure_demo_admin", stdout=StringIO())
    call_command("ensure_demo_admin", stdout=StringIO())  # idempotent: still one request
    street_account = django_user_model.objects.get(username="demo-street")
    assert STAFF_REQUESTS.todo_counts(street_account)["to_decide"] == StaffRequest.objects.count() == 1


def test_a_committee_chooses_among_new_accounts_and_its_own_streets_staff_only(client, world):
    other_streets_clerk = station_user(world["other_station"], "qingbo-clerk")
    newcomer = staff_account("newcomer")
    request = file_request(world["station"], world["requester"])
    client.force_login(world["secretary"])
    detail = client.get(reverse("station_staff_requests:inspect", args=[request.pk]))
    (approve,) = [action["form"] for action in detail.context["actions"] if action["transition"].name == "approve"]
    offered = set(approve.fields["account"].queryset)
    assert newcomer in offered and world["requester"] in offered  # new, and already at one of its stations
    assert other_streets_clerk not in offered
    assert other_streets_clerk not in set(
        client.get(reverse("station_staff:add")).context["form"].fields["user"].queryset
    )
    with pytest.raises(TransitionError, match="不是可分配"):
        STAFF_REQUESTS.perform(request, "approve", user=world["secretary"], account=other_streets_clerk)
    assert StaffRequest.objects.get(pk=request.pk).state == S.PENDING
