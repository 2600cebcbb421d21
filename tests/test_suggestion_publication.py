"""The public suggestions page: only suggestions the liaison office approved for publication,
with the deputies' names and the departments' replies, filterable by year, category, lead
department and state; never a citizen's name or phone; a fixed number of queries."""

from __future__ import annotations

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from suggestions.drafting import SUGGESTIONS
from suggestions.models import Suggestion, SuggestionState
from tests.conftest import new_opinion
from tests.test_suggestion_drafting import SuggestionDriver
from tests.test_suggestion_drafting import world as world  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.django_db
S = SuggestionState


def published(world, state=S.CLOSED, **overrides):
    suggestion = SuggestionDriver(world).bring(state)
    if overrides:
        Suggestion.objects.filter(pk=suggestion.pk).update(**overrides)
    return SUGGESTIONS.perform(suggestion, "publish", user=world["office"])


def test_only_approved_suggestions_are_public_with_the_deputies_names_and_the_reply(client, world):
    opinion = new_opinion(world["station"], citizen_name="张建国", citizen_phone="13812345678")
    shown = published(world, source_opinion=opinion)
    hidden = SuggestionDriver(world).bring(S.CLOSED)
    SuggestionDriver(world).bring(S.REVIEW)
    listing = client.get(reverse("suggestion_results")).content.decode()
    assert shown.title in listing and "王芳领衔，李强附议" in listing and "主办：区公安分局交警大队" in listing
    assert listing.count(shown.title) == 1  # the other closed suggestion, not approved, is not there
    page = client.get(reverse("suggestion_result", args=[shown.pk])).content.decode()
    assert "已将行人绿灯延长至30秒。" in page and "B类：正在解决或列入计划解决" in page
    assert page.index("区公安分局交警大队（主办）") < page.index("区城管局（协办）")  # the lead department first
    for personal in ("张建国", "13812345678", "5678"):
        assert personal not in listing and personal not in page
    assert client.get(reverse("suggestion_result", args=[hidden.pk])).status_code == 404
    SUGGESTIONS.perform(shown, "unpublish", user=world["office"])
    assert client.get(reverse("suggestion_result", args=[shown.pk])).status_code == 404


def test_the_filters_narrow_the_list(client, world):
    closed = published(world)
    handling = published(world, state=S.REPLIED)
    url = reverse("suggestion_results")
    assert closed.title in client.get(url, {"state": "closed"}).content.decode()
    only_handling = client.get(url, {"state": "handling"}).content.decode()
    assert f"/suggestions/{handling.pk}/" in only_handling and f"/suggestions/{closed.pk}/" not in only_handling
    other_department = client.get(url, {"department": world["third_department"].pk}).content.decode()
    assert "暂无公开的代表建议" in other_department
    assert "暂无公开的代表建议" in client.get(url, {"year": "2025"}).content.decode()
    assert "暂无公开的代表建议" not in client.get(url, {"year": "2026", "page": "x"}).content.decode()


def test_the_list_costs_the_same_queries_for_one_suggestion_or_many(client, world):
    published(world)
    client.get(reverse("suggestion_results"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("suggestion_results"))
    for _ in range(4):
        published(world)
    with CaptureQueriesContext(connection) as five:
        page = client.get(reverse("suggestion_results")).content.decode()
    assert page.count("王芳领衔") == 5
    assert len(one) == len(five), "\n".join(q["sql"][:120] for q in five.captured_queries)
