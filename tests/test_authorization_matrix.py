"""The authorization matrix: every admin URL that takes an object, for every persona.

The cases are generated from the URL resolver: each admin URL pattern with a parameter must
either be filled below with an object of street A (湖滨街道) or be listed in UNCOVERED with the
reason, so a URL added by a new feature or a Wagtail upgrade fails this test until someone
decides who may reach it.

- OBJECT urls load one object of street A: every outsider (street B's committee, station
  staff of a street B station, a department handler, a deputy) gets 403/404 (or Wagtail's
  "permission denied" redirect to the dashboard) on GET and POST, and nothing changes.
- LISTING urls list or choose among many objects: outsiders may open them and see what is
  public anyway (published pages), but never street A's drafts.
- OWN urls act only on the requester's own rows (editing sessions): nothing of street A changes.
- DISTRICT urls concern district-wide objects (deputies, the site, role groups): nobody
  below district level may change them.
- The auditor may read but every POST is refused and changes nothing; anonymous visitors
  are sent to the login page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json

import pytest
from PIL import Image as PILImage

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from wagtail.admin.models import EditingSession
from wagtail.contrib.redirects.models import Redirect
from wagtail.contrib.search_promotions.models import Query, SearchPromotion
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, GroupApprovalTask, Site, UploadedFile, Workflow

from api.models import ApiKey
from base.models import AuditEvent
from base.roles import (
    Role,
    department_group_name,
    role_group_name,
    street_collection_name,
    street_group_name,
)
from content.models import ContactPointPage, Membership, StationPage
from content.tree import add_station
from coordination.models import StreetTask, TaskAttachment, TaskReport
from coordination.models import Task as CoordinationTask
from deliberation.meetings import MEETINGS, Plan, schedule
from duties.models import DeputyAccount, DutyItem, DutyRecordPhoto
from duties.records import Entry, record_by_staff
from duties.topics import Opening, Reply, open_topic, submit_reply
from legislation.comments import CommentInput, submit_comment
from legislation.consultations import CONSULTATIONS
from legislation.drafts import designate, publish_draft
from legislation.models import Expert
from livelihood.models import Candidate, Inspection, InspectionState, Nomination, NominationSource, ProjectRound
from oversight.evaluation import EVALUATIONS, scheme_for
from oversight.models import StationEvaluation
from permissions.models import StaffRequest, StationAssignment
from suggestions.drafting import SUGGESTIONS, Draft, start_draft
from suggestions.models import Suggestion, SuggestionReply
from tests.conftest import make_deputy, role_user, station_user, street_user
from tests.shared_base import shared_fixture
from workflows.intake import Submission, submit
from workflows.models import Category, Department, OpinionPhoto

pytestmark = pytest.mark.django_db

MARKER = "东平巷代表联络站"  # the title of street A's liaison station, shown on its object views
DRAFT = "东平巷筹建联络点"  # an unpublished page of street A: outsiders' listings never show it
OBJECT, LISTING, DISTRICT, OWN = "object", "listing", "district", "own"

# Admin URLs with parameters that this matrix does not exercise, and why.
UNCOVERED = {
    "wagtailadmin_password_reset_confirm": "takes a one-time token, not an object",
    "wagtailadmin_tag_model_autocomplete": "tag names only; tags are shared by the whole district",
}


@dataclasses.dataclass
class Case:
    name: str
    kind: str
    kwargs: dict
    query: str = ""
    hidden: str = ""  # for a LISTING: text of street A that outsiders must not see in it

    @property
    def url(self):
        return reverse(self.name, kwargs=self.kwargs) + (f"?{self.query}" if self.query else "")


def _walk_admin():
    """(name, route) of every named URL pattern."""

    def walk(patterns, prefix="", namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield namespace + pattern.name, prefix + str(pattern.pattern)

    yield from walk(get_resolver().url_patterns)


def admin_patterns():
    """Names of every admin URL pattern that takes a parameter."""
    return {name for name, route in _walk_admin() if route.startswith("admin/") and ("<" in route or "(?P" in route)}


def png_bytes():
    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module", autouse=True)
def _matrix_media_root(tmp_path_factory):
    """One media root for the whole module: the world below is built once and shared by its
    tests (tests/shared_base.py), so the files it writes (images, photos, attachments) must
    still be there for the tests after the first."""
    root = tmp_path_factory.mktemp("authorization-matrix")
    with override_settings(MEDIA_ROOT=root / "media", LIANLUO_PRIVATE_MEDIA_ROOT=root / "private"):
        yield


@pytest.fixture
def _media_root():
    """Replaces conftest's per-test media root with the module's one above."""


@shared_fixture(base="two_streets")
def matrix_world(two_streets, street):
    """Street A's objects of every kind, and the personas (as `persona:<name>`)."""
    tree = two_streets
    station = tree["station"]
    secretary = street_user(street)
    # Two more revisions, one of them waiting in the street's moderation workflow.
    station.title = MARKER
    station.save_revision(user=secretary).publish()
    station.save_revision(user=secretary)
    workflow_state = station.get_workflow().start(station, secretary)
    task_state = workflow_state.current_task_state
    revision = station.latest_revision

    collection = Collection.objects.get(name=street_collection_name(street))
    image = get_image_model().objects.create(
        title=f"{MARKER}外景", file=ContentFile(png_bytes(), "front.png"), collection=collection
    )
    document = get_document_model().objects.create(
        title=f"{MARKER}制度", file=ContentFile(b"%PDF-1.4 rules", "rules.pdf"), collection=collection
    )
    uploaded_image = UploadedFile.objects.create(
        file=ContentFile(png_bytes(), "up.png"),
        for_content_type=ContentType.objects.get_for_model(get_image_model()),
        uploaded_by_user=secretary,
    )
    uploaded_document = UploadedFile.objects.create(
        file=ContentFile(b"%PDF-1.4", "up.pdf"),
        for_content_type=ContentType.objects.get_for_model(get_document_model()),
        uploaded_by_user=secretary,
    )
    editing_session = EditingSession.objects.create(
        user=secretary,
        content_type=ContentType.objects.get_for_model(StationPage),
        object_id=str(station.pk),
        last_seen_at=timezone.now(),
    )
    redirect = Redirect.objects.create(old_path="/dongping", redirect_page=station)
    query = Query.get("东平巷")
    SearchPromotion.objects.create(query=query, page=station, sort_order=0)

    street_workflow = Workflow.objects.get(name=f"街道审核·{street.name}")
    street_task = GroupApprovalTask.objects.get(name=f"街道审核·{street.name}")
    hubin_staff = station_user(tree["point"], "hubin-point-staff")
    assignment = StationAssignment.objects.get(user=hubin_staff)
    deputy = make_deputy()
    deputy.save_revision(user=None)
    calendar_day = apps.get_model("base", "CalendarDay").objects.create(
        date="2026-10-10", kind="workday", name="国庆节调休"
    )
    audit_event = AuditEvent.objects.create(action="login", actor_username="hubin-secretary")
    department = Department.objects.create(name="区城管局")
    other_department = Department.objects.create(name="区住建局")
    draft = add_station(station, ContactPointPage(title=DRAFT, slug="choujian"), publish=False)
    opinion, _ = submit(
        Submission(
            station=station,
            category=Category.objects.first(),
            title=f"{MARKER}门前路灯不亮",
            content="晚上路灯不亮，老人出行不便。",
            citizen_name="李四",
            citizen_phone="13900001111",
        )
    )
    photo = OpinionPhoto.objects.create(opinion=opinion, file=ContentFile(png_bytes(), "lamp.png"))
    staff_request = StaffRequest.objects.create(
        station=station, requested_by=hubin_staff, person_name="李晓梅", post="联络员", reason="接待日人手不足"
    )
    Membership.objects.create(station=station, deputy=deputy)
    duty_item = DutyItem.objects.get(scheme__year=2026, number=9)
    duty_record = record_by_staff(
        Entry(duty_item, dt.date(2026, 11, 2), station, f"{MARKER}集中调研：停车难", deputy), secretary
    )
    duty_photo = DutyRecordPhoto.objects.create(record=duty_record, file=ContentFile(png_bytes(), "sign-in.png"))
    deputy_account = DeputyAccount.objects.create(
        deputy=make_deputy("周敏"), user=role_user("zhou-min", role_group_name(Role.DEPUTY))
    )
    topic = open_topic(
        deputy,
        None,
        Opening(
            station,
            f"{MARKER}夜间停车",
            "小区晚上车位不够，占道停车影响消防通道。",
            timezone.localdate() + dt.timedelta(days=14),
        ),
    )
    suggestion = start_draft(
        deputy,
        None,
        Draft(
            "recess",
            f"关于{MARKER}周边停车的建议",
            Category.objects.first(),
            "小区晚上车位不够，占道停车影响消防通道，居民多次反映。",
            "建议错时共享周边单位车位。",
        ),
    )
    # A filed suggestion assigned to the department (区城管局), for the departments' screens.
    assigned_suggestion = Suggestion.objects.create(
        year=2026,
        kind="recess",
        serial=1,
        state="filed",
        title=f"关于{MARKER}门前路灯的建议",
        category=Category.objects.first(),
        problem="门前路灯长期不亮，老人晚上出行不便，居民多次反映。",
        measures="建议城管部门尽快修复并定期巡查。",
        lead=deputy,
    )
    assigned_suggestion = SUGGESTIONS.perform(
        assigned_suggestion,
        "assign",
        user=role_user("office", role_group_name(Role.DISTRICT_ADMIN)),
        lead=department,
        months=3,
    )
    topic_reply, _ = submit_reply(Reply(topic, f"{MARKER}：建议错时共享车位。", "张建国", "13812345678"))
    # 民生实事: street A's round, still open for candidates, with one candidate.
    livelihood_round = ProjectRound.objects.create(year=2027, street=street, title=f"{MARKER}民生实事")
    livelihood_candidate = Candidate.objects.create(
        round=livelihood_round,
        number=1,
        title="加装电梯",
        description="老旧小区加装电梯。",
        budget=300,
        department=department,
    )
    # A nomination entered at street A's station, and an inspection raising a problem that the
    # candidate's department (区城管局) is to answer.
    livelihood_nomination = Nomination.objects.create(
        round=livelihood_round,
        station=station,
        source=NominationSource.STATION,
        title=f"{MARKER}加装电梯",
        need="老小区没有电梯，老人上下楼困难。",
        place="东平巷小区",
        nominator_name="王芳",
    )
    livelihood_inspection = Inspection.objects.create(
        candidate=livelihood_candidate,
        date=dt.date(2026, 11, 2),
        kind="site",
        findings="施工围挡规范。",
        problems="夜间施工噪音扰民。",
        state=InspectionState.RAISED,
    )
    # 区街联动: a district task issued to street A, accepted there, with a progress report and its file.
    coordination_task = CoordinationTask.objects.create(
        title=f"{MARKER}调研课题", kind="research", year=2027, description="调研。", due_on=dt.date(2026, 12, 31)
    )
    coordination_street_task = StreetTask.objects.create(
        task=coordination_task, street=street, due_on=coordination_task.due_on, state="accepted"
    )
    coordination_attachment = TaskAttachment.objects.create(
        report=TaskReport.objects.create(street_task=coordination_street_task, kind="progress", text="座谈会纪要。"),
        file=ContentFile(b"%PDF-1.4 notes", "notes.pdf"),
        original_name="纪要.pdf",
    )

    # 居民议事: a meeting held at street A's station, with one resolution to follow up.
    deliberation_meeting = schedule(
        Plan(station, f"{MARKER}夜间停车议事", dt.date(2026, 11, 2), "东平巷社区议事厅"), user=secretary
    )
    deliberation_meeting = MEETINGS.perform(
        deliberation_meeting, "hold", user=secretary, residents_count=20, minutes="居民发言。"
    )
    deliberation_meeting = MEETINGS.perform(
        deliberation_meeting,
        "resolve",
        user=secretary,
        content="错时共享车位",
        follow_up_by="居委会",
        due_on=dt.date(2026, 12, 31),
    )

    # 立法征询: street A's station designated a contact point, with an expert, a draft open for
    # comment and a resident's comment on its first article.
    legislation_point = designate(station)
    legislation_expert = Expert.objects.create(contact_point=legislation_point, name="周立", title="法学院教授")
    legislation_page = publish_draft(
        station,
        title=f"{MARKER}征求意见稿",
        text="第一条 为了规范物业管理活动，制定本条例。",
        source="省人大常委会法制工作委员会",
        opens_on=dt.date(2026, 11, 1),
        closes_on=dt.date(2099, 12, 31),
        return_by=dt.date(2099, 12, 31),
    )
    legislation_consultation = CONSULTATIONS.perform(legislation_page.consultation, "open", user=secretary)
    legislation_comment, _created = submit_comment(
        CommentInput(legislation_consultation, 1, "建议明确物业服务人的范围。", name="张建国", phone="13812345678")
    )

    # 站点评星: street A's station's evaluation of a month (OBJECT); the scheme is the district's (DISTRICT).
    evaluation_scheme = scheme_for(2026)
    station_evaluation = StationEvaluation.objects.create(
        station=station, street=street, month=dt.date(2026, 11, 1), scheme=evaluation_scheme
    )

    personas = {
        "street_a": secretary,
        "street_b": street_user(tree["other_street"], "qingbo-secretary"),
        "station_staff_b": station_user(tree["other_station"], "qingbo-staff"),
        # A real handler, of a department that street A's opinion is not assigned to.
        "department": role_user(
            "dept-clerk", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(other_department)
        ),
        "deputy": role_user("deputy-user", role_group_name(Role.DEPUTY)),
        "auditor": role_user("auditor", role_group_name(Role.AUDITOR)),
    }
    return {
        **tree,
        "street": street,
        "revision": revision,
        "workflow_state": workflow_state,
        "task_state": task_state,
        "image": image,
        "document": document,
        "uploaded_image": uploaded_image,
        "uploaded_document": uploaded_document,
        "editing_session": editing_session,
        "redirect": redirect,
        "query": query,
        "collection": collection,
        "street_workflow": street_workflow,
        "street_task": street_task,
        "street_group": Group.objects.get(name=street_group_name(street)),
        "hubin_staff": hubin_staff,
        "assignment": assignment,
        "deputy": deputy,
        "calendar_day": calendar_day,
        "audit_event": audit_event,
        "department": department,
        "opinion": opinion,
        "photo": photo,
        "staff_request": staff_request,
        "duty_item": duty_item,
        "duty_record": duty_record,
        "duty_photo": duty_photo,
        "deputy_account": deputy_account,
        "topic": topic,
        "topic_reply": topic_reply,
        "suggestion": suggestion,
        "suggestion_assignment": assigned_suggestion.assignments.get(),
        "suggestion_reply": SuggestionReply.objects.create(
            suggestion=assigned_suggestion,
            number=1,
            department=department,
            category="A",
            text="已修复。",
            contact_method="phone",
            contacted_on=dt.date(2026, 11, 2),
            attachment=ContentFile(b"%PDF-1.4 reply", "reply.pdf"),
        ),
        "draft": draft,
        "livelihood_round": livelihood_round,
        "livelihood_candidate": livelihood_candidate,
        "livelihood_nomination": livelihood_nomination,
        "livelihood_inspection": livelihood_inspection,
        "coordination_task": coordination_task,
        "coordination_street_task": coordination_street_task,
        "coordination_attachment": coordination_attachment,
        "deliberation_meeting": deliberation_meeting,
        "deliberation_resolution": deliberation_meeting.resolutions.get(),
        "legislation_point": legislation_point,
        "legislation_expert": legislation_expert,
        "legislation_consultation": legislation_consultation,
        "legislation_comment": legislation_comment,
        "evaluation_scheme": evaluation_scheme,
        "station_evaluation": station_evaluation,
        "api_key": ApiKey.objects.create(client_name="区12345热线平台", prefix="ll311_matrix00", key_hash="0" * 64),
        **{f"persona:{name}": user for name, user in personas.items()},
    }


@pytest.fixture
def world(matrix_world):
    """The shared world, with its personas gathered under "personas"."""
    personas = {key.removeprefix("persona:"): user for key, user in matrix_world.items() if key.startswith("persona:")}
    return {
        **{key: value for key, value in matrix_world.items() if not key.startswith("persona:")},
        "personas": personas,
    }


def cases(w) -> list[Case]:
    station, centre = w["station"].pk, w["centre"].pk
    page = {"page_id": station}
    pages = "wagtailadmin_pages"
    rev = {"page_id": station, "revision_id": w["revision"].pk}
    wf = {"page_id": station, "task_state_id": w["task_state"].pk}
    image, doc = w["image"].pk, w["document"].pk
    bulk = {"app_label": "wagtailcore", "model_name": "page"}
    snippet = "wagtailsnippets_content_"
    out = [
        Case("wagtailadmin_api:pages:detail", OBJECT, {"pk": station}),
        Case("wagtailadmin_api:pages:action", OBJECT, {"pk": station, "action_name": "copy"}),
        Case("wagtailadmin_api:images:detail", OBJECT, {"pk": image}),
        Case("wagtailadmin_api:documents:detail", OBJECT, {"pk": doc}),
        Case("wagtailadmin_explore", OBJECT, {"parent_page_id": centre}),
        Case("wagtailadmin_explore_results", OBJECT, {"parent_page_id": centre}),
        Case("wagtailadmin_choose_page_child", LISTING, {"parent_page_id": centre}),
        *[
            Case("wagtail_bulk_action", OBJECT, {**bulk, "action": action}, f"id={station}")
            for action in ("delete", "publish", "unpublish", "move")
        ],
        Case(
            "wagtail_bulk_action",
            OBJECT,
            {"app_label": "content", "model_name": "street", "action": "delete"},
            f"id={w['street'].pk}",
        ),
        Case(
            "wagtail_bulk_action",
            OBJECT,
            {"app_label": "wagtailimages", "model_name": "image", "action": "delete"},
            f"id={image}",
        ),
        Case(
            "wagtail_bulk_action",
            OBJECT,
            {"app_label": "wagtaildocs", "model_name": "document", "action": "delete"},
            f"id={doc}",
        ),
        Case(
            "wagtail_bulk_action",
            DISTRICT,
            {"app_label": "permissions", "model_name": "user", "action": "delete"},
            f"id={w['hubin_staff'].pk}",
        ),
        Case(
            f"{pages}:add",
            OBJECT,
            {
                "content_type_app_name": "content",
                "content_type_model_name": "contactpointpage",
                "parent_page_id": station,
            },
        ),
        Case(
            f"{pages}:preview_on_add",
            OBJECT,
            {
                "content_type_app_name": "content",
                "content_type_model_name": "contactpointpage",
                "parent_page_id": station,
            },
        ),
        Case(
            f"{pages}:type_use",
            LISTING,
            {"content_type_app_name": "content", "content_type_model_name": "liaisonstationpage"},
        ),
        Case(
            f"{pages}:type_use_results",
            LISTING,
            {"content_type_app_name": "content", "content_type_model_name": "liaisonstationpage"},
        ),
        Case(f"{pages}:choose_parent", LISTING, {"app_label": "content", "model_name": "contactpointpage"}),
        *[
            Case(f"{pages}:{name}", OBJECT, page)
            for name in (
                "usage",
                "edit",
                "preview_on_edit",
                "view_draft",
                "delete",
                "unpublish",
                "convert_alias",
                "copy",
                "confirm_workflow_cancellation",
                "set_privacy",
                "lock",
                "unlock",
                "revisions_index",
                "workflow_history",
                "history",
                "history_results",
            )
        ],
        Case(f"{pages}:add_subpage", OBJECT, {"parent_page_id": station}),
        Case(f"{pages}:move", OBJECT, {"page_to_move_id": station}),
        Case(f"{pages}:move_confirm", OBJECT, {"page_to_move_id": station, "destination_id": w["other_centre"].pk}),
        Case(f"{pages}:set_page_position", OBJECT, {"page_to_move_id": station}, "position=0"),
        Case(f"{pages}:workflow_action", OBJECT, {**wf, "action_name": "approve"}),
        Case(f"{pages}:collect_workflow_action_data", OBJECT, {**wf, "action_name": "approve"}),
        Case(f"{pages}:workflow_preview", OBJECT, {"page_id": station, "task_id": w["street_task"].pk}),
        Case(f"{pages}:revisions_view", OBJECT, rev),
        Case(f"{pages}:revisions_revert", OBJECT, rev),
        Case(f"{pages}:revisions_unschedule", OBJECT, rev),
        Case(
            f"{pages}:revisions_compare",
            OBJECT,
            {"pk": station, "revision_id_a": "earliest", "revision_id_b": "latest"},
        ),
        Case(
            f"{pages}:workflow_history_detail",
            OBJECT,
            {"page_id": station, "workflow_state_id": w["workflow_state"].pk},
        ),
        Case("wagtailadmin_collections:edit", OBJECT, {"pk": w["collection"].pk}),
        Case("wagtailadmin_collections:delete", OBJECT, {"pk": w["collection"].pk}),
        Case("wagtailadmin_collections:set_privacy", OBJECT, {"collection_id": w["collection"].pk}),
        *[
            Case(f"wagtailadmin_workflows:{name}", OBJECT, {"pk": w["street_workflow"].pk})
            for name in ("enable", "disable", "edit", "usage", "usage_results")
        ],
        Case("wagtailadmin_workflows:remove", OBJECT, {"page_pk": centre}),
        Case("wagtailadmin_workflows:remove", OBJECT, {"page_pk": centre, "workflow_pk": w["street_workflow"].pk}),
        Case(
            "wagtailadmin_workflows:add_task", DISTRICT, {"app_label": "wagtailcore", "model_name": "groupapprovaltask"}
        ),
        *[
            Case(f"wagtailadmin_workflows:{name}", OBJECT, {"pk": w["street_task"].pk})
            for name in ("edit_task", "disable_task", "enable_task")
        ],
        Case("wagtailadmin_workflows:task_chosen", OBJECT, {"task_id": w["street_task"].pk}),
        Case(
            "wagtailadmin_editing_sessions:ping",
            OBJECT,
            {
                "app_label": "wagtailcore",
                "model_name": "page",
                "object_id": str(station),
                "session_id": w["editing_session"].pk,
            },
        ),
        Case("wagtailadmin_editing_sessions:release", OWN, {"session_id": w["editing_session"].pk}),
        Case("wagtailforms:list_submissions", OBJECT, page),
        Case("wagtailforms:list_submissions_results", OBJECT, page),
        Case("wagtailforms:delete_submissions", OBJECT, page),
        Case("wagtailredirects:edit", OBJECT, {"redirect_id": w["redirect"].pk}),
        Case("wagtailredirects:delete", OBJECT, {"redirect_id": w["redirect"].pk}),
        Case("wagtailsearchpromotions:edit", OBJECT, {"query_id": w["query"].pk}),
        Case("wagtailsearchpromotions:delete", OBJECT, {"query_id": w["query"].pk}),
        *[Case(f"wagtaildocs:{name}", OBJECT, {"document_id": doc}) for name in ("edit", "delete", "document_usage")],
        Case("wagtaildocs:edit_multiple", OBJECT, {"doc_id": doc}),
        Case("wagtaildocs:delete_multiple", OBJECT, {"doc_id": doc}),
        *[
            Case(f"wagtaildocs:{name}", OBJECT, {"uploaded_file_id": w["uploaded_document"].pk})
            for name in ("create_multiple_from_uploaded_document", "delete_upload_multiple")
        ],
        Case("wagtaildocs_chooser:chosen", OBJECT, {"pk": str(doc)}),
        *[
            Case(f"wagtailimages:{name}", OBJECT, {"image_id": image})
            for name in (
                "edit",
                "delete",
                "url_generator",
                "url_generator_output",
                "image_usage",
                "edit_multiple",
                "delete_multiple",
            )
        ],
        Case("wagtailimages:preview", OBJECT, {"image_id": image, "filter_spec": "original"}),
        *[
            Case(f"wagtailimages:{name}", OBJECT, {"uploaded_file_id": w["uploaded_image"].pk})
            for name in ("create_multiple_from_uploaded_image", "delete_upload_multiple")
        ],
        Case("wagtailimages_chooser:chosen", OBJECT, {"pk": str(image)}),
        Case("wagtailimages_chooser:select_format", OBJECT, {"image_id": image}),
        *[
            Case(f"{snippet}street:{name}", OBJECT, {"pk": w["street"].pk})
            for name in ("edit", "delete", "usage", "history", "history_results")
        ],
        Case("wagtailsnippetchoosers_content_street:chosen", OBJECT, {"pk": str(w["street"].pk)}),
        *[
            Case(f"station_staff:{name}", OBJECT, {"pk": w["assignment"].pk})
            for name in ("edit", "delete", "history", "history_results", "usage")
        ],
        *[
            Case(f"{snippet}deputy:{name}", DISTRICT, {"pk": w["deputy"].pk})
            for name in ("edit", "delete", "usage", "history", "history_results")
        ],
        Case(
            f"{snippet}deputy:revisions_revert",
            DISTRICT,
            {"pk": w["deputy"].pk, "revision_id": w["deputy"].latest_revision_id},
        ),
        Case(
            f"{snippet}deputy:revisions_compare",
            DISTRICT,
            {"pk": str(w["deputy"].pk), "revision_id_a": "earliest", "revision_id_b": "latest"},
        ),
        Case("wagtailsnippetchoosers_content_deputy:chosen", DISTRICT, {"pk": str(w["deputy"].pk)}),
        *[
            Case(f"wagtailsnippets_content_facility:{name}", DISTRICT, {"pk": 1})
            for name in ("edit", "delete", "usage", "history", "history_results", "copy")
        ],
        Case("wagtailsnippetchoosers_content_facility:chosen", DISTRICT, {"pk": "1"}),
    ]
    calendar_day = w["calendar_day"]
    out += [
        *[
            Case(f"wagtailsnippets_base_calendarday:{name}", DISTRICT, {"pk": calendar_day.pk})
            for name in ("edit", "delete", "usage", "history", "history_results", "copy")
        ],
        Case("wagtailsnippetchoosers_base_calendarday:chosen", DISTRICT, {"pk": str(calendar_day.pk)}),
    ]
    event = w["audit_event"]
    out += [
        Case(f"audit_events:{name}", DISTRICT, {"pk": event.pk})
        for name in ("edit", "delete", "history", "history_results", "usage", "inspect")
    ]
    opinion = w["opinion"]
    out += [
        Case("history_browser:detail", OBJECT, {"kind": "audit", "pk": w["audit_event"].pk}),
        Case("history_browser:detail", OBJECT, {"kind": "revision", "pk": w["revision"].pk}),
    ]
    out += [
        *[
            Case(f"opinions:{name}", OBJECT, {"pk": opinion.pk})
            for name in ("inspect", "edit", "delete", "history", "history_results", "usage")
        ],
        *[Case("opinions:act", OBJECT, {"pk": opinion.pk, "name": name}) for name in ("accept", "reject", "escalate")],
        Case("opinions:photo", OBJECT, {"pk": w["photo"].pk}),
        Case("wagtailsnippetchoosers_workflows_opinion:chosen", OBJECT, {"pk": str(opinion.pk)}),
        Case(
            "wagtail_bulk_action",
            OBJECT,
            {"app_label": "workflows", "model_name": "opinion", "action": "assign"},
            f"id={opinion.pk}",
        ),
    ]
    staff_request = w["staff_request"].pk
    out += [
        *[
            Case(f"station_staff_requests:{name}", OBJECT, {"pk": staff_request})
            for name in ("inspect", "edit", "delete", "history", "history_results", "usage")
        ],
        *[
            Case("station_staff_requests:act", OBJECT, {"pk": staff_request, "name": name})
            for name in ("approve", "decline", "withdraw")
        ],
    ]
    duty_record = w["duty_record"].pk
    out += [
        *[
            Case(f"duty_records:{name}", OBJECT, {"pk": duty_record})
            for name in ("inspect", "edit", "delete", "history", "history_results", "usage")
        ],
        *[Case("duty_records:act", OBJECT, {"pk": duty_record, "name": name}) for name in ("void", "verify")],
        Case("duty_records:photo", OBJECT, {"pk": w["duty_photo"].pk}),
    ]
    out.append(Case("suggestions:attachment", OBJECT, {"pk": w["suggestion_reply"].pk}))
    for viewset, pk, steps in (
        ("discussion_topics", w["topic"].pk, ("close", "to_direct", "withdraw")),
        ("topic_replies", w["topic_reply"].pk, ("publish", "reject")),
        ("suggestions", w["suggestion"].pk, ("submit", "accept", "return", "convert", "withdraw", "assign")),
        (
            "suggestions",
            w["suggestion_assignment"].suggestion_id,
            ("add_department", "reply", "rate", "follow_up", "publish", "unpublish", "mark_key", "record_supervision"),
        ),
        (
            "suggestion_assignments",
            w["suggestion_assignment"].pk,
            ("sign", "request_adjust", "grant_adjust", "refuse_adjust", "send_opinion"),
        ),
    ):
        out += [
            *[
                Case(f"{viewset}:{name}", OBJECT, {"pk": pk})
                for name in ("inspect", "edit", "delete", "history", "history_results", "usage")
            ],
            *[Case(f"{viewset}:act", OBJECT, {"pk": pk, "name": name}) for name in steps],
        ]
    livelihood_round, livelihood_candidate = w["livelihood_round"].pk, w["livelihood_candidate"].pk
    out += [
        *[
            Case(f"livelihood_rounds:{name}", OBJECT, {"pk": livelihood_round})
            for name in ("inspect", "edit", "delete", "history", "history_results", "usage", "sign_in", "paper")
        ],
        *[
            Case("livelihood_rounds:act", OBJECT, {"pk": livelihood_round, "name": name})
            for name in ("open_nominations", "open_ballot", "close_ballot", "publish_results")
        ],
        *[
            Case(f"livelihood_candidates:{name}", OBJECT, {"pk": livelihood_candidate})
            for name in ("inspect", "edit", "delete", "history", "history_results", "usage", "project", "assess")
        ],
    ]
    for viewset, pk, steps in (
        ("livelihood_nominations", w["livelihood_nomination"].pk, ("list", "reject", "adopt", "merge", "decline")),
        ("livelihood_inspections", w["livelihood_inspection"].pk, ("answer",)),
        # 居民议事
        (
            "deliberation_meetings",
            w["deliberation_meeting"].pk,
            ("hold", "resolve", "close", "reschedule", "cancel"),
        ),
        ("deliberation_resolutions", w["deliberation_resolution"].pk, ("complete", "progress", "to_opinion")),
    ):
        out += [
            *[
                Case(f"{viewset}:{name}", OBJECT, {"pk": pk})
                for name in ("inspect", "edit", "delete", "history", "history_results", "usage")
            ],
            *[Case(f"{viewset}:act", OBJECT, {"pk": pk, "name": name}) for name in steps],
        ]
    # 区街联动: street A's part in a district task (OBJECT); the task itself is the district's (DISTRICT).
    street_task = w["coordination_street_task"].pk
    out += [
        *[
            Case(f"coordination_street_tasks:{name}", OBJECT, {"pk": street_task})
            for name in ("inspect", "edit", "delete", "history", "history_results", "usage")
        ],
        *[
            Case("coordination_street_tasks:act", OBJECT, {"pk": street_task, "name": name})
            for name in ("accept", "report_progress", "submit_result", "return_result", "complete", "remind")
        ],
        Case("coordination_street_tasks:act", OBJECT, {"pk": street_task, "name": "change_deadline"}),
        Case("coordination_street_tasks:attachment", OBJECT, {"pk": w["coordination_attachment"].pk}),
        *[
            Case(f"coordination_tasks:{name}", DISTRICT, {"pk": w["coordination_task"].pk})
            for name in ("edit", "delete", "inspect", "history", "history_results", "usage")
        ],
    ]
    # 立法征询: street A's contact point's consultation, comment and expert (OBJECT); the list of
    # contact points is the district's (DISTRICT).
    consultation, comment = w["legislation_consultation"].pk, w["legislation_comment"].pk
    out += [
        *[
            Case(f"legislation_consultations:{name}", OBJECT, {"pk": consultation})
            for name in ("inspect", "edit", "delete", "history", "history_results", "usage", "compile")
        ],
        *[
            Case("legislation_consultations:export", OBJECT, {"pk": consultation, "fmt": fmt})
            for fmt in ("docx", "xlsx")
        ],
        *[
            Case("legislation_consultations:act", OBJECT, {"pk": consultation, "name": name})
            for name in ("open", "close", "submit", "feed_back")
        ],
        *[
            Case(f"legislation_comments:{name}", OBJECT, {"pk": comment})
            for name in ("inspect", "edit", "delete", "history", "history_results", "usage")
        ],
        *[
            Case("legislation_comments:act", OBJECT, {"pk": comment, "name": name})
            for name in ("publish", "withhold", "merge", "reject")
        ],
        *[
            Case(f"legislation_experts:{name}", OBJECT, {"pk": w["legislation_expert"].pk})
            for name in ("edit", "delete", "history", "history_results", "usage")
        ],
        *[
            Case(f"legislation_contact_points:{name}", DISTRICT, {"pk": w["legislation_point"].pk})
            for name in ("edit", "delete", "history", "history_results", "usage")
        ],
    ]
    # 站点评星: street A's station's evaluation (OBJECT), the district's scheme (DISTRICT).
    station_evaluation = w["station_evaluation"].pk
    out += [
        *[
            Case(f"oversight_evaluations:{name}", OBJECT, {"pk": station_evaluation})
            for name in ("inspect", "edit", "delete", "history", "history_results", "usage")
        ],
        *[
            Case("oversight_evaluations:act", OBJECT, {"pk": station_evaluation, "name": transition.name})
            for transition in EVALUATIONS.transitions
        ],
        *[
            Case(f"oversight_evaluation_schemes:{name}", DISTRICT, {"pk": w["evaluation_scheme"].pk})
            for name in ("edit", "delete", "inspect", "history", "history_results", "usage")
        ],
    ]
    # Open311 API keys: the district admin's alone (the auditor reads them).
    out += [
        Case(f"open311_keys:{name}", DISTRICT, {"pk": w["api_key"].pk})
        for name in ("edit", "delete", "inspect", "history", "history_results", "usage", "revoke")
    ]
    for viewset, pk in (
        ("duty_items", w["duty_item"].pk),
        ("duty_schemes", w["duty_item"].scheme_id),
        ("deputy_accounts", w["deputy_account"].pk),
    ):
        out += [
            Case(f"{viewset}:{name}", DISTRICT, {"pk": pk})
            for name in ("edit", "delete", "inspect", "history", "history_results", "usage")
            if not (viewset == "deputy_accounts" and name == "inspect")
        ]
    for model, pk in (("department", w["department"].pk), ("category", Category.objects.first().pk)):
        out += [
            Case(f"wagtailsnippets_workflows_{model}:{name}", DISTRICT, {"pk": pk})
            for name in ("edit", "delete", "usage", "history", "history_results")
        ]
        out.append(Case(f"wagtailsnippetchoosers_workflows_{model}:chosen", DISTRICT, {"pk": str(pk)}))
    site = Site.objects.get(is_default_site=True)
    out += [
        Case(f"wagtailsites:{name}", DISTRICT, {"pk": site.pk})
        for name in ("edit", "delete", "history", "history_results", "usage", "copy")
    ]
    # The site identity (站点标识): the district admin's alone.
    setting = {"app_name": "content", "model_name": "siteidentity"}
    out += [
        Case("wagtailsettings:edit", DISTRICT, setting),
        Case("wagtailsettings:edit", DISTRICT, {**setting, "pk": site.pk}),
        Case("wagtailsettings:preview_on_edit", DISTRICT, {**setting, "pk": site.pk}),
    ]
    out += [
        Case(f"wagtailusers_users:{name}", DISTRICT, {"pk": w["hubin_staff"].pk})
        for name in ("edit", "delete", "history", "history_results", "usage", "copy")
    ]
    out += [
        Case(f"wagtailusers_groups:{name}", DISTRICT, {"pk": w["street_group"].pk})
        for name in ("edit", "delete", "history", "history_results", "usage")
    ]
    # Views that take their objects in the query string rather than the path.
    opinion_title = f"{MARKER}门前路灯不亮"
    out += [
        Case("wagtailadmin_choose_page_chosen_multiple", OBJECT, {}, f"id={w['draft'].pk}"),
        Case(
            "wagtailsnippetchoosers_workflows_opinion:chosen_multiple",
            LISTING,
            {},
            f"id={opinion.pk}",
            hidden=opinion_title,
        ),
        Case(
            "wagtailsnippetchoosers_content_street:chosen_multiple",
            LISTING,
            {},
            f"id={w['street'].pk}",
            hidden="湖滨街道",
        ),
        Case(
            "wagtail_bulk_action",
            LISTING,
            {"app_label": "workflows", "model_name": "opinion", "action": "assign"},
            "id=all",
            hidden=opinion_title,
        ),
        Case(
            "wagtail_bulk_action",
            LISTING,
            {"app_label": "content", "model_name": "street", "action": "delete"},
            "id=all",
            hidden="湖滨街道",
        ),
        Case("wagtail_bulk_action", OBJECT, {**bulk, "action": "publish"}, f"id=all&childOf={station}"),
        Case("wagtail_bulk_action", OBJECT, {**bulk, "action": "delete"}, "id=all"),
        *[Case(f"wagtailadmin_reports:{name}", OBJECT, {}) for name in ("site_history", "site_history_results")],
        Case("wagtailadmin_reports:site_history", OBJECT, {}, "export=csv"),
    ]
    return out


def fingerprint():
    """A digest per model of every row the matrix could change (excluded: logs and the
    requesting user's own admin profile, which visits touch)."""
    skipped = {"axes", "sessions", "admin"}
    skipped_models = {"userprofile", "auditevent", "modellogentry", "pagelogentry", "query", "querydailyhits"}
    digests = {}
    for model in apps.get_models():
        if model._meta.app_label in skipped or model._meta.model_name in skipped_models:
            continue
        if model._meta.proxy or not model._meta.managed:
            continue
        rows = model._base_manager.order_by("pk").values_list(*[f.attname for f in model._meta.concrete_fields])
        digests[model._meta.label] = hashlib.sha256(repr(list(rows)).encode()).hexdigest()
    return digests


def text(response) -> str:
    """The response body as a person would read it (JSON unescaped)."""
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content).decode(errors="replace")
    else:
        body = response.content.decode(errors="replace")
    if response.get("Content-Type", "").startswith("application/json"):
        body = json.dumps(json.loads(body), ensure_ascii=False)
    return body


def denied(client, response, hops=3) -> bool:
    """Refused outright, or sent somewhere that shows nothing of street A."""
    if response.status_code in (403, 404, 405):
        return True
    if response.status_code in (301, 302) and hops:
        target = response["Location"]
        if target.split("?")[0] in (reverse("wagtailadmin_home"), reverse("wagtailadmin_login")):
            return True
        followed = client.get(target)
        if followed.status_code == 200:
            return MARKER not in text(followed) and DRAFT not in text(followed)
        return denied(client, followed, hops - 1)
    return False


def test_every_admin_url_with_a_parameter_is_in_the_matrix(world):
    covered = {case.name for case in cases(world)}
    missing = admin_patterns() - covered - set(UNCOVERED)
    assert not missing, f"admin URLs not in the authorization matrix: {sorted(missing)}"


def test_the_fixture_objects_are_reachable_by_their_own_street(client, world):
    """Guards the matrix itself: street A's secretary does reach the objects outsiders cannot."""
    client.force_login(world["personas"]["street_a"])
    by_name = {case.name: case for case in cases(world)}
    for name in (
        "wagtailadmin_pages:edit",
        "wagtailadmin_pages:history",
        "wagtailadmin_pages:revisions_compare",
        "wagtailadmin_pages:revisions_view",
        "wagtailadmin_pages:workflow_history_detail",
        "wagtailadmin_pages:preview_on_edit",
        "wagtailadmin_explore",
        "wagtailimages:edit",
        "wagtaildocs:edit",
        "wagtailsnippetchoosers_content_street:chosen",
        "station_staff:edit",
        "opinions:inspect",
        "opinions:photo",
        "station_staff_requests:inspect",
        "discussion_topics:inspect",
        "topic_replies:inspect",
        "duty_records:photo",
        "livelihood_rounds:inspect",
        "livelihood_rounds:edit",
        "livelihood_rounds:sign_in",
        "livelihood_rounds:paper",
        "livelihood_candidates:edit",
        "livelihood_nominations:inspect",
        "livelihood_inspections:inspect",
        "deliberation_meetings:inspect",
        "deliberation_resolutions:inspect",
        "coordination_street_tasks:inspect",
        "coordination_street_tasks:attachment",
        "oversight_evaluations:inspect",
        "legislation_consultations:inspect",
        "legislation_consultations:compile",
        "legislation_comments:inspect",
        "legislation_experts:edit",
    ):
        response = client.get(by_name[name].url)
        assert response.status_code == 200, (name, response.status_code, response.get("Location"))
    listing = client.get(reverse("wagtailadmin_choose_page_child", args=[world["station"].pk]))
    assert DRAFT in text(listing)
    assert f"{MARKER}外景" in text(client.get("/admin/api/main/images/"))
    assert f"{MARKER}门前路灯不亮" in text(client.get(reverse("opinions:list"), {"q": "路灯"}))
    assert "湖滨街道" in text(client.get(reverse("wagtailsnippetchoosers_content_street:choose")))
    assert f"{MARKER}门前路灯不亮" in text(client.get(reverse("wagtailsnippetchoosers_workflows_opinion:choose")))
    # What outsiders are refused by query string, street A itself still gets.
    for case in cases(world):
        if case.query and (case.kind == LISTING or "chosen_multiple" in case.name):
            response = client.get(case.url)
            assert response.status_code == 200, (case.name, case.url, response.status_code)
            assert not case.hidden or case.hidden in text(response), (case.name, "misses its own row")
    assert DRAFT in text(client.get(reverse("wagtailadmin_choose_page_chosen_multiple") + f"?id={world['draft'].pk}"))


def test_staff_of_another_station_in_the_same_street_are_refused_this_station(client, world):
    """Station scoping within one street: the staff of a contact point elsewhere in 湖滨街道
    reach neither the liaison station above it nor the opinions raised there."""
    staff = world["hubin_staff"]  # staff of 东平巷网格联络点, below the station, not of it
    client.force_login(staff)
    by_name = {case.name: case for case in cases(world)}
    refused = []
    for name in (
        "wagtailadmin_pages:edit",
        "wagtailadmin_pages:history",
        "wagtailadmin_pages:revisions_compare",
        "wagtailadmin_pages:preview_on_edit",
        "wagtailadmin_pages:delete",
        "opinions:inspect",
        "opinions:edit",
        "opinions:history",
        "opinions:photo",
        "wagtailsnippetchoosers_workflows_opinion:chosen",
    ):
        for method in ("get", "post"):
            response = getattr(client, method)(by_name[name].url)
            if not denied(client, response):
                refused.append((method, name, response.status_code))
    assert not refused, refused
    for url in (reverse("opinions:list"), reverse("opinions:list") + "?export=csv"):
        assert f"{MARKER}门前路灯不亮" not in text(client.get(url)), url
    # …while their own contact point opens.
    assert client.get(reverse("wagtailadmin_pages:edit", args=[world["point"].pk])).status_code == 200


OUTSIDERS = ("street_b", "station_staff_b", "department", "deputy")
# District-wide screens that nobody below district level may even open (GET included).
DISTRICT_ONLY_SCREENS = (
    "wagtailusers_users:",
    "wagtailusers_groups:",
    "audit_events:",
    "wagtailsites:",
    "wagtailsettings:",
    "deputy_accounts:",
    "open311_keys:",
)


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_outsiders_are_refused_every_object_of_street_a(client, world, persona):
    client.force_login(world["personas"][persona])
    before = fingerprint()
    failures = []
    for case in cases(world):
        for method in ("get", "post"):
            response = getattr(client, method)(case.url)
            body = text(response) if response.status_code == 200 else ""
            if case.kind == OBJECT and not denied(client, response):
                failures.append((method, case.name, case.url, response.status_code))
            elif case.kind == LISTING and (DRAFT in body or (case.hidden and case.hidden in body)):
                failures.append((method, case.name, case.url, "shows street A"))
            elif case.kind == DISTRICT and (method == "post" or case.name.startswith(DISTRICT_ONLY_SCREENS)):
                if not denied(client, response):
                    failures.append((method, case.name, case.url, response.status_code))
    assert not failures, "\n".join(map(str, failures))
    after = fingerprint()
    assert [label for label in before if before[label] != after.get(label)] == []


def admin_patterns_without_parameters():
    """Names of the admin URLs that take no parameter (add forms, indexes, account pages…)."""
    found = set()
    for name in {n for n, _ in _walk_admin()}:
        try:
            url = reverse(name)
        except Exception:  # noqa: S112 — a pattern that needs arguments is covered by cases()
            continue
        if url.startswith("/admin/"):
            found.add(name)
    return found


def test_the_auditor_posts_to_no_admin_url_at_all(client, world):
    """Every POST of the auditor is refused, to URLs without parameters too (add forms,
    indexes, account settings, uploads): the only ones let through sign out or finish
    the two-factor step."""
    from permissions.admin_scope import AUDITOR_POST_ALLOWED

    client.force_login(world["personas"]["auditor"])
    before = fingerprint()
    names = admin_patterns_without_parameters() - AUDITOR_POST_ALLOWED
    assert {"opinions:add", "station_staff:add", "wagtailusers_users:add", "wagtailadmin_account"} <= names
    accepted = []
    for name in sorted(names):
        response = client.post(reverse(name), {"title": "审计员不能写", "name": "审计员不能写"})
        if response.status_code != 403:
            accepted.append((name, response.status_code))
    assert not accepted, accepted
    after = fingerprint()
    assert [label for label in before if before[label] != after.get(label)] == []


def test_the_auditor_reads_but_every_post_is_refused(client, world):
    client.force_login(world["personas"]["auditor"])
    before = fingerprint()
    refused = []
    for case in cases(world):
        response = client.post(case.url)
        if not denied(client, response):
            refused.append((case.name, case.url, response.status_code))
    assert not refused, "\n".join(map(str, refused))
    after = fingerprint()
    assert [label for label in before if before[label] != after.get(label)] == []
    readable = client.get(reverse("audit_events:index"))
    assert readable.status_code == 200
    detail = client.get(reverse("opinions:inspect", args=[world["opinion"].pk]))
    assert detail.status_code == 200
    page = text(detail)
    assert "李*" in page and "139****1111" in page and "13900001111" not in page
    assert "显示完整联系方式" not in page and 'method="post"' not in page.split("opinion-detail", 1)[1]
    # The auditor reads the full history of street A's rows in the history browser.
    for object_type, object_id in (
        ("workflows.opinion", world["opinion"].pk),
        ("wagtailcore.page", world["station"].pk),
    ):
        listing = client.get(reverse("history_browser:index"), {"object_type": object_type, "object_id": object_id})
        assert listing.status_code == 200 and listing.context["entries"], object_type
    revision = client.get(reverse("history_browser:detail", args=["revision", world["revision"].pk]))
    assert revision.status_code == 200


# Views that only read: the auditor opens every one of them on street A's objects.
AUDITOR_READ_VIEWS = (
    "history",
    "history_results",
    "revisions_index",
    "revisions_compare",
    "revisions_view",
    "view_draft",
    "workflow_history",
    "workflow_history_detail",
    "usage",
    "inspect",
    "chosen",
    "detail",
    "wagtailadmin_explore",
    "wagtailadmin_explore_results",
    "wagtailadmin_choose_page_child",
)


# Read views the auditor does not open in Wagtail's screens, and why.
AUDITOR_READS_ELSEWHERE = {
    "wagtailadmin_workflows:usage": "workflow configuration is the district admin's; its log is in 历史记录",
    "audit_events:history": "audit records never change; each one is its own history",
    "audit_events:history_results": "audit records never change; each one is its own history",
    "audit_events:usage": "audit records are referenced by nothing",
    "wagtailsites:history": "the site record's log is in 历史记录",
    "wagtailsites:history_results": "the site record's log is in 历史记录",
    "wagtailsites:usage": "the site record is not street data",
}


def test_the_auditor_opens_every_history_compare_preview_and_chooser_view(client, world):
    client.force_login(world["personas"]["auditor"])
    read_cases = [
        case
        for case in cases(world)
        if case.name.rsplit(":", 1)[-1] in AUDITOR_READ_VIEWS and case.name not in AUDITOR_READS_ELSEWHERE
    ]
    assert len(read_cases) > 30  # the matrix does reach these views
    refused = []
    for case in read_cases:
        response = client.get(case.url)
        if case.name == "wagtailadmin_pages:revisions_index":  # Wagtail shows revisions in the history
            response = client.get(response["Location"]) if response.status_code == 302 else response
        if response.status_code != 200:
            refused.append((case.name, case.url, response.status_code, response.get("Location")))
    assert not refused, "\n".join(map(str, refused))
    # What the auditor reads is street A's own content, drafts included.
    by_name = {case.name: case for case in cases(world)}
    assert MARKER in text(client.get(by_name["wagtailadmin_pages:history"].url))
    assert DRAFT in text(client.get(reverse("wagtailadmin_choose_page_child", args=[world["station"].pk])))
    # The page editor opens as a reading view: no save, submit or publish button.
    editor = text(client.get(by_name["wagtailadmin_pages:edit"].url))
    assert MARKER in editor
    assert 'name="action-publish"' not in editor and 'name="action-submit"' not in editor
    assert "保存草稿" not in editor


def test_the_auditor_exports_listings_masked_and_logged(client, world):
    auditor = world["personas"]["auditor"]
    client.force_login(auditor)
    for url in (reverse("opinions:list") + "?export=csv", reverse("station_staff:index") + "?export=xlsx"):
        assert client.get(url).status_code == 200, url
    exported = text(client.get(reverse("opinions:list") + "?export=csv"))
    assert f"{MARKER}门前路灯不亮" in exported and "139****1111" in exported and "13900001111" not in exported
    assert AuditEvent.objects.filter(action="personal_data_exported", actor=auditor).count() == 3


def test_anonymous_visitors_are_sent_to_the_login_page(client, world):
    for case in cases(world):
        for method in ("get", "post"):
            response = getattr(client, method)(case.url)
            assert response.status_code in (302, 403, 404, 405), (case.name, response.status_code)
            if response.status_code == 302:
                assert response["Location"].startswith(reverse("wagtailadmin_login")), case.name


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_outsiders_cannot_browse_into_another_streets_draft_in_the_page_chooser(client, world, persona):
    draft = reverse("wagtailadmin_choose_page_child", args=[world["draft"].pk])
    published = reverse("wagtailadmin_choose_page_child", args=[world["station"].pk])
    client.force_login(world["personas"][persona])
    response = client.get(draft)
    assert response.status_code == 404 and DRAFT not in text(response)
    assert client.get(published).status_code == 200  # published pages stay choosable, and hide the draft
    assert DRAFT not in text(client.get(published))
    client.force_login(world["personas"]["street_a"])
    assert client.get(draft).status_code == 200


def test_street_b_listings_contain_only_their_own_rows(client, world):
    client.force_login(world["personas"]["street_b"])
    for name in ("wagtailsnippets_content_street:list", "station_staff:index"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        page = response.content.decode()
        assert "湖滨街道" not in page and "hubin-point-staff" not in page
    for name in (
        "wagtailsnippetchoosers_content_street:choose",
        "wagtailsnippetchoosers_content_street:choose_results",
        "wagtailsnippetchoosers_workflows_opinion:choose",
        "wagtailsnippetchoosers_workflows_opinion:choose_results",
    ):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert "湖滨街道" not in text(response) and f"{MARKER}门前路灯不亮" not in text(response), name
    export = client.get(reverse("station_staff:index") + "?export=csv")
    assert export.status_code == 200
    exported = text(export)
    assert "qingbo-staff" in exported and "hubin-point-staff" not in exported
    logged = AuditEvent.objects.filter(action="personal_data_exported", actor=world["personas"]["street_b"])
    assert logged.get().detail["model"] == "permissions.StationAssignment"
    assert get_user_model().objects.filter(username="hubin-point-staff").exists()


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_admin_search_and_api_show_outsiders_nothing_unpublished_of_street_a(client, world, persona):
    client.force_login(world["personas"][persona])
    for url, params in (
        (reverse("wagtailadmin_pages:search"), {"q": "东平巷"}),
        (reverse("wagtailadmin_pages:search_results"), {"q": "东平巷"}),
        ("/admin/api/main/pages/", {"search": "东平巷"}),
        ("/admin/api/main/images/", {}),
        ("/admin/api/main/documents/", {}),
        (reverse("opinions:list"), {"q": "路灯"}),
        (reverse("history_browser:index"), {}),
    ):
        response = client.get(url, params)
        body = text(response) if response.status_code == 200 else ""
        assert DRAFT not in body and f"{MARKER}门前路灯不亮" not in body and f"{MARKER}外景" not in body, url
