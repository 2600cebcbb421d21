"""民生实事票决 in 代表e站: a deputy on the roll signs in and gets the ballot in the response,
casts it with the token alone, never gets a second one; one not on the roll gets 404; an
over-voted ballot is refused without storing anything and the corrected one counts; the cast
leaves no trace of who cast it; the published count is shown on the round's page."""

from __future__ import annotations

import re

import pytest

from django.urls import reverse

from base.models import AuditEvent
from base.roles import Role, role_group_name
from duties.models import DeputyAccount
from livelihood import ballot
from livelihood.models import Ballot, BallotToken, LivelihoodAction
from livelihood.rounds import ROUNDS
from tests.conftest import make_deputy, role_user
from tests.test_livelihood_ballot import balloting
from tests.test_livelihood_ballot import district as district  # noqa: F401
from tests.test_livelihood_projects import projects as projects  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.django_db


def account_of(deputy, username):
    user = role_user(username, role_group_name(Role.DEPUTY))
    DeputyAccount.objects.create(deputy=deputy, user=user)
    return user


def ticket_of(client, round) -> str:
    """The signed ballot code the round's page shows before 签到领票."""
    html = client.get(reverse("livelihood_portal:round", args=[round.pk])).content.decode()
    found = re.search(r'name="ticket" value="([^"]+)"', html)
    assert found, "no sign-in form"
    return found.group(1)


def sign_in(client, round, ticket: str | None = None, **options):
    ticket = ticket_of(client, round) if ticket is None else ticket
    return client.post(reverse("livelihood_portal:sign_in", args=[round.pk]), {"ticket": ticket}, **options)


def token_in(html: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', html)
    assert found, "no ballot form"
    return found.group(1)


def test_a_deputy_signs_in_casts_once_and_gets_no_second_ballot(client, district):
    round = balloting(district)
    client.force_login(account_of(district["deputies"][0], "voter"))
    index = client.get(reverse("livelihood_portal:index")).content.decode()
    assert round.title in index
    detail = client.get(reverse("livelihood_portal:round", args=[round.pk])).content.decode()
    assert "签到领票" in detail and "最多选 2 项" in detail
    ticket = ticket_of(client, round)
    signed = sign_in(client, round, ticket)
    assert signed.status_code == 200  # the ballot comes in the response, not behind a redirect
    assert "no-store" in signed["Cache-Control"]
    html = signed.content.decode()
    token = token_in(html)
    assert "最多选 2 项" in html and "候选项目4" in html and "区民政局" in html
    cast = client.post(reverse("livelihood_portal:cast", args=[round.pk]), {"token": token, "choice": ["2", "4"]})
    assert cast.status_code == 200
    thanks = cast.content.decode()
    assert "已投票" in thanks and "候选项目2" not in thanks and "候选项目4" not in thanks
    assert Ballot.objects.get(round=round).choices == [2, 4]
    again = sign_in(client, round, ticket, follow=True).content.decode()
    assert "已经领取过选票" in again and 'name="token"' not in again
    assert "您已领取选票" in client.get(reverse("livelihood_portal:round", args=[round.pk])).content.decode()
    replay = client.post(reverse("livelihood_portal:cast", args=[round.pk]), {"token": token, "choice": ["1"]})
    assert replay.status_code == 400 and "已经投过" in replay.content.decode()
    assert Ballot.objects.filter(round=round).count() == 1 and not BallotToken.objects.exists()


def test_the_cast_leaves_no_trace_of_the_voter(client, district):
    round = balloting(district)
    client.force_login(account_of(district["deputies"][1], "voter"))
    token = token_in(sign_in(client, round).content.decode())
    client.post(
        reverse("livelihood_portal:cast", args=[round.pk]), {"token": token, "choice": ["1"]}, REMOTE_ADDR="10.9.8.7"
    )
    event = AuditEvent.objects.get(action=LivelihoodAction.BALLOT_CAST)
    assert (event.actor_id, event.actor_username, event.ip_address) == (None, "", None)
    assert not AuditEvent.objects.filter(action=LivelihoodAction.BALLOT_CAST).exclude(actor=None).exists()
    assert not AuditEvent.objects.filter(action=LivelihoodAction.BALLOT_CAST).exclude(ip_address=None).exists()


def test_an_over_voted_ballot_is_refused_with_the_same_token_then_the_corrected_one_counts(client, district):
    round = balloting(district)
    client.force_login(account_of(district["deputies"][0], "voter"))
    token = token_in(sign_in(client, round).content.decode())
    url = reverse("livelihood_portal:cast", args=[round.pk])
    over = client.post(url, {"token": token, "choice": ["1", "2", "3"]})
    assert over.status_code == 400
    html = over.content.decode()
    assert "最多选 2 项，您选了 3 项" in html and token_in(html) == token
    assert not Ballot.objects.exists()
    assert client.post(url, {"token": token, "choice": ["1", "3"]}).status_code == 200
    assert Ballot.objects.get().choices == [1, 3]


def test_a_deputy_not_on_the_roll_gets_404(client, district):
    round = balloting(district)
    outsider = make_deputy("名单外代表", level="city")
    client.force_login(account_of(outsider, "outsider"))
    assert client.get(reverse("livelihood_portal:round", args=[round.pk])).status_code == 404
    assert sign_in(client, round, "x").status_code == 404
    assert round.title not in client.get(reverse("livelihood_portal:index")).content.decode()
    assert not round.electors.exclude(issued="").exists()


def test_the_published_count_is_shown_on_the_rounds_page(client, district):
    round = balloting(district)
    voter = account_of(district["deputies"][0], "voter")
    client.force_login(voter)
    for deputy in district["deputies"]:
        if deputy == district["deputies"][0]:
            token = token_in(sign_in(client, round).content.decode())
            client.post(reverse("livelihood_portal:cast", args=[round.pk]), {"token": token, "choice": ["1", "2"]})
        else:
            ballot.cast(round, ballot.issue(round, deputy, "online"), [1])
    round = ROUNDS.perform(round, "close_ballot", user=district["office"])
    counted = client.get(reverse("livelihood_portal:round", args=[round.pk])).content.decode()
    assert "结果经复核后公布" in counted and "5 票" not in counted
    ROUNDS.perform(round, "publish_results", user=district["office"])
    published = client.get(reverse("livelihood_portal:round", args=[round.pk])).content.decode()
    assert "票决结果" in published and "候选项目1：5 票" in published and "确定" in published
    assert "空缺 1 个名额" in published


def test_the_code_is_shown_before_signing_in_so_a_lost_response_loses_no_vote(client, district):
    round = balloting(district)
    client.force_login(account_of(district["deputies"][0], "voter"))
    page = client.get(reverse("livelihood_portal:round", args=[round.pk])).content.decode()
    code = re.search(r'class="ballot-code">([A-Z0-9-]+)<', page).group(1)
    assert re.fullmatch(r"[A-HJKMNP-Z2-9]{4}(-[A-HJKMNP-Z2-9]{4}){2}", code)  # no 0/O, 1/I/L look-alikes
    ticket = re.search(r'name="ticket" value="([^"]+)"', page).group(1)
    forged = sign_in(client, round, ticket[:-2] + "xx", follow=True).content.decode()
    assert "页面已过期" in forged and not BallotToken.objects.exists()
    sign_in(client, round, ticket)  # the response is lost on the way (the phone lost its signal)
    # The round's page offers to go on with the code noted before signing in (typed loosely).
    assert "凭选票码继续投票" in client.get(reverse("livelihood_portal:round", args=[round.pk])).content.decode()
    resume = reverse("livelihood_portal:resume", args=[round.pk])
    wrong = client.post(resume, {"code": "AAAA-BBBB-CCCC"}, follow=True).content.decode()
    assert "选票码不对" in wrong and 'name="token"' not in wrong
    again = client.post(resume, {"code": f" {code.lower()} "}).content.decode()
    token = token_in(again)
    client.post(reverse("livelihood_portal:cast", args=[round.pk]), {"token": token, "choice": ["1"]})
    assert Ballot.objects.get(round=round).choices == [1]
    spent = client.post(resume, {"code": code}, follow=True).content.decode()
    assert "已经投过" in spent and 'name="token"' not in spent


def test_a_sign_in_field_from_another_deputys_page_is_refused(client, district):
    round = balloting(district)
    client.force_login(account_of(district["deputies"][1], "other"))
    theirs = ticket_of(client, round)
    client.force_login(account_of(district["deputies"][0], "voter"))
    refused = sign_in(client, round, theirs, follow=True).content.decode()
    assert "页面已过期" in refused and not BallotToken.objects.exists()


# --- The deputy's nominations, supervision and evaluation ---------------------------------------


def test_a_deputy_nominates_in_the_portal_and_it_is_marked_as_a_deputys(client, district):
    from livelihood.models import Nomination
    from livelihood.nominations import NOMINATIONS
    from tests.test_livelihood_nominations import nominating

    round = nominating(district)
    deputy = district["deputies"][0]
    client.force_login(account_of(deputy, "nominator"))
    assert "提名民生实事项目" in client.get(reverse("livelihood_portal:index")).content.decode()
    url = reverse("livelihood_portal:nominate")
    data = {
        "round": round.pk,
        "station": district["station"].pk,
        "title": "东平巷口增设人行横道",
        "need": "东平巷口车流量大，没有人行横道，老人孩子过马路很危险。",
        "place": "东平巷与解放路口",
        "scale": "",
    }
    short = client.post(url, data | {"title": "路"})
    assert short.status_code == 400 and "4 到 60 个字" in short.content.decode()
    assert not Nomination.objects.exists()
    assert client.post(url, data).status_code == 302
    nomination = Nomination.objects.get()
    assert (nomination.source, nomination.deputy, nomination.station_id) == ("deputy", deputy, district["station"].pk)
    NOMINATIONS.perform(nomination, "list", user=district["office"])
    assert "代表提名" in client.get(reverse("livelihood_round", args=[round.pk])).content.decode()


def test_a_supervision_group_member_records_an_inspection_others_get_404(client, projects):
    from duties.models import DutyRecord
    from livelihood.implementation import set_group

    project, members = projects["one"], projects["deputies"][:2]
    set_group(project, members, members[0], user=projects["office"])
    client.force_login(account_of(members[0], "supervisor"))
    index = client.get(reverse("livelihood_portal:index")).content.decode()
    assert "我参加监督的项目" in index and project.title in index
    url = reverse("livelihood_portal:inspect", args=[project.pk])
    response = client.post(
        url,
        {"date": "2026-12-03", "kind": "site", "deputies": [m.pk for m in members], "findings": "现场施工有序。"},
    )
    assert response.status_code == 302
    inspection = project.inspections.get()
    assert set(inspection.deputies.all()) == set(members)
    assert DutyRecord.objects.filter(auto_key__startswith=f"livelihood_inspection:{inspection.pk}:").count() == 2
    client.force_login(account_of(projects["deputies"][4], "outsider"))
    assert client.get(url).status_code == 404


def test_deputies_rate_each_chosen_project_once_in_the_portal(client, projects):
    from livelihood.models import ProjectRating

    round = ROUNDS.perform(projects["round"], "open_evaluation", user=projects["office"])
    deputy = projects["deputies"][0]
    client.force_login(account_of(deputy, "rater"))
    page = client.get(reverse("livelihood_portal:round", args=[round.pk])).content.decode()
    evaluation = page.split("年终满意度测评")[1]
    assert "候选项目1" in evaluation and "候选项目3" not in evaluation  # only the chosen ones are rated
    url = reverse("livelihood_portal:rate", args=[round.pk, 1])
    client.post(url, {"rating": "basically"})
    again = client.post(url, {"rating": "unsatisfied"}, follow=True).content.decode()
    assert "每个项目只测评一次" in again and "您的评价：基本满意" in again
    assert list(ProjectRating.objects.values_list("rating", flat=True)) == ["basically"]
