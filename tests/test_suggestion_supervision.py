"""重点督办: the liaison office names key suggestions with the leading standing committee
member and a supervision group, records inspections and meetings, and sees key suggestions
first in its list."""

from __future__ import annotations

import datetime as dt

import pytest

from django.urls import reverse

from suggestions.drafting import SUGGESTIONS, SuggestionError
from suggestions.models import SuggestionState, SupervisionRecord
from tests.test_suggestion_drafting import TODAY, SuggestionDriver
from tests.test_suggestion_drafting import world as world  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.django_db
S = SuggestionState


def test_a_key_suggestion_has_its_leader_group_and_records_and_comes_first(client, world):
    ordinary = SuggestionDriver(world).bring(S.ASSIGNED)
    key = SuggestionDriver(world).bring(S.ASSIGNED)
    key = SUGGESTIONS.perform(
        key, "mark_key", user=world["office"], leader="区人大常委会副主任张明", group=[world["d_赵敏"]]
    )
    assert (key.is_key, key.key_leader, [d.name for d in key.key_group.all()]) == (
        True,
        "区人大常委会副主任张明",
        ["赵敏"],
    )
    with pytest.raises(SuggestionError, match="已是重点督办建议"):
        SUGGESTIONS.perform(key, "mark_key", user=world["office"], leader="另一位")
    SUGGESTIONS.perform(
        key,
        "record_supervision",
        user=world["office"],
        kind="meeting",
        date=TODAY,
        findings="召开督办会，明确完成时限。",
    )
    with pytest.raises(SuggestionError, match="已经发生"):
        SUGGESTIONS.perform(
            key,
            "record_supervision",
            user=world["office"],
            kind="inspection",
            date=TODAY + dt.timedelta(days=1),
            findings="明天视察。",
        )
    assert list(SupervisionRecord.objects.values_list("kind", "findings")) == [
        ("meeting", "召开督办会，明确完成时限。")
    ]

    client.force_login(world["office"])
    detail = client.get(reverse("suggestions:inspect", args=[key.pk])).content.decode()
    assert "重点督办：区人大常委会副主任张明牵头" in detail and "督办组：赵敏" in detail and "召开督办会" in detail
    listing = client.get(reverse("suggestions:index")).content.decode()
    assert listing.index(f"/admin/suggestions/inspect/{key.pk}/") < listing.index(
        f"/admin/suggestions/inspect/{ordinary.pk}/"
    )
