"""The demo's legislative consultation: `ensure_demo_admin` designates the demo station a
contact point with two experts, and leaves one draft fed back (its adoption rate public, each
receipt showing its result) and one open for comment with two comments waiting for
moderation; all made through the real process code, once, and cleared by the demo reset."""

from io import StringIO

import pytest

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from content.demo.reset import reset_district
from content.models import Membership
from legislation.comments import COMMENTS
from legislation.compilation import adoption_figures
from legislation.models import Comment, CommentState, Consultation, ConsultationState, ContactPoint, Expert
from legislation.public_views import receipt_token
from tests.conftest import make_deputy
from workflows.models import Department

pytestmark = pytest.mark.django_db


def test_the_demo_holds_a_finished_and_an_open_consultation_once(settings, two_streets, client):
    settings.DEBUG = True
    station = two_streets["other_station"]  # the demo station: the first street's first station
    Membership.objects.create(station=station, deputy=make_deputy("王芳"))
    Department.objects.create(name="区城市管理局", sort_order=0)
    call_command("ensure_demo_admin", stdout=StringIO())

    assert ContactPoint.objects.get().station_id == station.pk and Expert.objects.count() == 2
    finished = Consultation.objects.get(state=ConsultationState.FED_BACK)
    figures = adoption_figures(finished)
    assert (figures.compiled, figures.adopted, figures.partly, figures.not_adopted) == (4, 2, 1, 1)
    assert finished.submitted_on < finished.passed_on <= timezone.localdate()
    page = client.get(finished.page.url).content.decode()
    assert "采纳率" in page and "75%" in page
    merged = Comment.objects.get(consultation=finished, state=CommentState.MERGED)
    receipt = client.get(reverse("legislation_receipt", args=[receipt_token(merged)])).content.decode()
    assert "采纳情况" in receipt and "每届任期三年" in receipt

    current = Consultation.objects.get(state=ConsultationState.OPEN)
    assert current.page.closes_on > timezone.localdate()
    waiting = Comment.objects.filter(consultation=current, state=CommentState.SUBMITTED).count()
    assert waiting == 2
    demo_station = get_user_model().objects.get(username="demo-station")
    assert COMMENTS.todo_counts(demo_station)["to_moderate"] == 2

    call_command("ensure_demo_admin", stdout=StringIO())  # a second run adds nothing
    assert Consultation.objects.count() == 2

    reset_district(lambda *args: None)
    assert not Consultation.objects.exists() and not ContactPoint.objects.exists() and not Comment.objects.exists()
