"""The authorization matrix of 代表e站 (`/e/`: the `duty_portal`, `suggestion_portal` and
`livelihood_portal` namespaces), for every persona.

The cases come from the URL resolver: every portal URL must be listed below (OBJECT: it
takes one of deputy A's rows; OWN: it acts only for the signed-in deputy), so a URL added
later fails this test until someone decides who may reach it.

- anonymous visitors are sent to the sign-in page, GET and POST, and nothing changes;
- signed-in staff without a deputy (a street secretary, the auditor) get 403;
- another deputy gets 404 on every one of deputy A's rows, GET and POST, nothing changes,
  and the pages of their own never show deputy A's rows.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver, reverse

from base.roles import Role, department_group_name, role_group_name
from content.models import Membership
from duties.direct import raise_directly
from duties.models import DeputyAccount, DutyItem
from duties.records import Entry, report_by_deputy
from duties.topics import Opening, Reply, open_topic, submit_reply
from livelihood.models import Candidate, Elector, ProjectRound, RoundState
from suggestions.drafting import Draft, start_draft
from tests.conftest import make_deputy, role_user, street_user
from tests.test_authorization_matrix import fingerprint
from workflows import opinions
from workflows.models import Category, Department

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 30)
MARKER = "王芳的东平巷停车调研"
OBJECT, OWN = "object", "own"
POST_ONLY = {
    "duty_portal:rate",
    "duty_portal:confirm",
    "livelihood_portal:sign_in",
    "livelihood_portal:resume",
    "livelihood_portal:rate",
}


def photo_upload():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, "PNG")
    return SimpleUploadedFile("sign-in.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def world(two_streets, street, fixed_today):
    fixed_today(TODAY)
    station = two_streets["station"]
    wang, li = make_deputy("王芳"), make_deputy("李强")
    accounts = {}
    for deputy, username in ((wang, "wang-fang"), (li, "li-qiang")):
        Membership.objects.create(station=station, deputy=deputy)
        accounts[deputy.name] = role_user(username, role_group_name(Role.DEPUTY))
        DeputyAccount.objects.create(deputy=deputy, user=accounts[deputy.name])
    item = DutyItem.objects.get(scheme__year=2026, number=9)
    record = report_by_deputy(
        Entry(item, dt.date(2026, 11, 20), station, MARKER, wang, photos=[photo_upload()]), accounts["王芳"]
    )
    topic = open_topic(
        wang,
        accounts["王芳"],
        Opening(station, MARKER, "小区晚上车位不够，占道停车影响消防通道。", dt.date(2026, 12, 10)),
    )
    submit_reply(Reply(topic, "建议错时共享周边单位车位。", "张建国", "13812345678"))
    department = Department.objects.create(name="区城管局")
    direct = raise_directly(
        wang,
        accounts["王芳"],
        station=station,
        category=Category.objects.first(),
        department=department,
        title=MARKER,
        content="晚上车位不够，建议共享单位车位。",
    )
    # Replied, so that rating it is possible for its own deputy.
    handler = role_user("cgj", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(department))
    direct = opinions.perform(direct, "sign", user=handler)
    direct = opinions.perform(direct, "reply", user=handler, outcome="resolved", text="已协调。")
    suggestion = start_draft(
        wang,
        accounts["王芳"],
        Draft(
            "recess",
            MARKER,
            Category.objects.first(),
            "小区晚上车位不够，占道停车影响消防通道，居民多次反映。",
            "建议错时共享周边单位车位。",
        ),
    )
    # 民生实事: a round being voted on whose roll has 王芳 and not 李强.
    livelihood_round = ProjectRound.objects.create(
        year=2026, title="民生实事票决", seats=1, candidate_count=2, state=RoundState.BALLOTING, entitled=1
    )
    for number in (1, 2):
        Candidate.objects.create(
            round=livelihood_round,
            number=number,
            title=f"项目{number}",
            description="内容",
            budget=10,
            department=department,
        )
    Elector.objects.create(round=livelihood_round, deputy=wang)
    project = livelihood_round.candidates.get(number=1)
    project.supervisors.add(wang)  # 王芳 supervises it, 李强 does not
    return {
        **two_streets,
        "livelihood_round": livelihood_round,
        "livelihood_project": project,
        "suggestion": suggestion,
        "record": record,
        "photo": record.photos.get(),
        "topic": topic,
        "direct": direct,
        "wang": accounts["王芳"],
        "li": accounts["李强"],
        "secretary": street_user(street),
        "auditor": role_user("auditor", role_group_name(Role.AUDITOR)),
    }


PORTAL_NAMESPACES = ("duty_portal", "suggestion_portal", "livelihood_portal")  # everything under /e/


def portal_patterns() -> set[str]:
    found = set()
    for resolver in get_resolver().url_patterns:
        if isinstance(resolver, URLResolver) and resolver.namespace in PORTAL_NAMESPACES:
            found |= {f"{resolver.namespace}:{pattern.name}" for pattern in resolver.url_patterns}
    return found


def cases(w) -> dict[str, tuple[str, list]]:
    """{url name: (kind, args)} for every portal URL."""
    return {
        "duty_portal:home": (OWN, []),
        "duty_portal:report": (OWN, []),
        "duty_portal:confirm": (OWN, []),
        "duty_portal:direct": (OWN, []),
        "duty_portal:new_topic": (OWN, []),
        "duty_portal:record": (OBJECT, [w["record"].pk]),
        "duty_portal:photo": (OBJECT, [w["photo"].pk]),
        "duty_portal:topic": (OBJECT, [w["topic"].pk]),
        "duty_portal:rate": (OBJECT, [w["direct"].pk]),
        "suggestion_portal:index": (OWN, []),
        "suggestion_portal:new": (OWN, []),
        "suggestion_portal:detail": (OBJECT, [w["suggestion"].pk]),
        "suggestion_portal:edit": (OBJECT, [w["suggestion"].pk]),
        "livelihood_portal:index": (OWN, []),
        # The round's page and its sign-in are for the deputies on its roll only.
        "livelihood_portal:round": (OBJECT, [w["livelihood_round"].pk]),
        "livelihood_portal:sign_in": (OBJECT, [w["livelihood_round"].pk]),
        "livelihood_portal:resume": (OBJECT, [w["livelihood_round"].pk]),
        "livelihood_portal:rate": (OBJECT, [w["livelihood_round"].pk, 1]),
        "livelihood_portal:nominate": (OWN, []),
        # Only the project's supervision group records its inspections.
        "livelihood_portal:inspect": (OBJECT, [w["livelihood_project"].pk]),
        # Casting acts by the single-use token it carries, never by who is signed in.
        "livelihood_portal:cast": (OWN, [w["livelihood_round"].pk]),
    }


def test_every_portal_url_is_in_the_matrix(world):
    assert portal_patterns() == set(cases(world))


def posted(client, name, args):
    """A POST that would act if it were allowed (the action each view takes)."""
    data = {"action": "withdraw", "version": "1", "rating": "satisfied", "close-summary": "总结", "close-version": "0"}
    if name == "duty_portal:topic":
        data["action"] = "close"
    if name == "suggestion_portal:detail":
        data |= {"action": "submit", "submit-version": "0"}
    if name == "livelihood_portal:cast":
        data |= {"token": "not-a-ballot", "choice": ["1"]}
    if name == "livelihood_portal:resume":
        data |= {"code": "ABCD-EFGH-JKMN"}
    if name == "livelihood_portal:inspect":
        data |= {"date": "2026-11-30", "kind": "site", "findings": "情况", "deputies": [1]}
    if name == "suggestion_portal:edit":
        data |= {"kind": "session", "title": "改过的标题", "category": "1", "problem": "改" * 30, "measures": "改" * 20}
    return client.post(reverse(name, args=args), data)


def test_anonymous_visitors_are_sent_to_sign_in_and_change_nothing(client, world):
    before = fingerprint()
    for name, (_kind, args) in cases(world).items():
        for response in (client.get(reverse(name, args=args)), posted(client, name, args)):
            assert response.status_code == 302, name
            assert response["Location"].startswith(reverse("wagtailadmin_login")), name
    assert fingerprint() == before


@pytest.mark.parametrize("persona", ["secretary", "auditor"])
def test_staff_without_a_deputy_get_403_everywhere(client, world, persona):
    client.force_login(world[persona])
    before = fingerprint()
    for name, (_kind, args) in cases(world).items():
        assert client.get(reverse(name, args=args)).status_code == 403, name
        assert posted(client, name, args).status_code == 403, name
    assert fingerprint() == before


def test_another_deputy_gets_404_on_every_row_of_deputy_a_and_never_sees_them(client, world):
    client.force_login(world["li"])
    before = fingerprint()
    for name, (kind, args) in cases(world).items():
        if kind == OBJECT:
            # A POST-only URL answers a GET with 405 without looking at the row.
            assert client.get(reverse(name, args=args)).status_code == (405 if name in POST_ONLY else 404), name
            assert posted(client, name, args).status_code == 404, name
        else:
            response = client.get(reverse(name, args=args), follow=True)
            assert MARKER not in response.content.decode(), name
    assert fingerprint() == before


def test_deputy_a_reaches_each_of_their_own_rows(client, world):
    """Guards the matrix itself: the rows outsiders are refused do open for their deputy."""
    client.force_login(world["wang"])
    for name, (kind, args) in cases(world).items():
        if kind == OBJECT and name not in POST_ONLY:
            assert client.get(reverse(name, args=args)).status_code == 200, name
    assert MARKER in client.get(reverse("duty_portal:home")).content.decode()
