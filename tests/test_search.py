"""Public search finds Chinese words inside longer runs of text, on SQLite and PostgreSQL."""

import pytest

from django.urls import reverse
from django.utils.html import strip_tags

from content.models import ActivityPage, Membership
from content.search import cjk_query, cjk_tokens
from tests.conftest import make_deputy

pytestmark = pytest.mark.django_db


def search(client, q, **params):
    """The page as a visitor reads it: the text, without tags (a match is split by <mark>)."""
    response = client.get(reverse("search"), {"q": q, **params})
    assert response.status_code == 200
    return strip_tags(response.content.decode())


def search_html(client, q, **params):
    return client.get(reverse("search"), {"q": q, **params}).content.decode()


def test_bigrams_cover_every_two_character_window():
    assert cjk_tokens("加装电梯") == ["加装", "装电", "电梯"]
    assert cjk_tokens("停车 Wi-Fi 24小时") == ["停车", "wi", "fi", "24", "小时"]
    assert cjk_query("电梯电梯") == "电梯 梯电"


@pytest.fixture
def searchable(tree):
    station = tree["station"]
    station.intro = "解决老旧小区停车难，推动加装电梯二十余部"
    station.save_revision().publish()
    activity = ActivityPage(title="东平巷片区民情恳谈会", slug="minqing", summary="听取居民对垃圾分类的意见")
    station.add_child(instance=activity)
    activity.save_revision().publish()
    deputy = make_deputy("欧阳明珠", occupation="市第一人民医院医生")
    Membership.objects.create(station=station, deputy=deputy, role="head")
    return {"station": station, "activity": activity, "deputy": deputy}


@pytest.mark.parametrize("query", ["停车", "加装电梯", "电梯"])
def test_words_inside_a_sentence_find_the_station(client, searchable, query):
    html = search(client, query)
    assert "东平巷代表联络站" in html


def test_a_deputys_name_finds_the_deputy(client, searchable):
    html = search_html(client, "欧阳明珠")
    assert reverse("deputy_detail", args=[searchable["deputy"].pk]) in html


def test_a_two_character_part_of_a_name_finds_the_deputy(client, searchable):
    assert "欧阳明珠" in search(client, "明珠")


def test_activity_text_is_searchable(client, searchable):
    assert "东平巷片区民情恳谈会" in search(client, "垃圾分类")


def test_unrelated_query_finds_nothing(client, searchable):
    html = search(client, "游泳馆")
    assert "共找到 0 条结果" in html


def test_drafts_are_not_found(client, tree):
    station = tree["station"]
    station.intro = "草稿里的秘密内容"
    station.save_revision()  # saved, not published
    assert "东平巷代表联络站" not in search(client, "秘密内容")


def test_query_text_is_escaped_in_the_results_page(client, db):
    html = search_html(client, "<script>x</script>")
    assert "<script>x</script>" not in html


def test_signature_story_text_is_searchable(client, tree):
    station = tree["station"]
    station.signature_title = "睦邻议事厅"
    station.signature_story = [
        ("paragraph", "<p>每月组织居民<b>协商议事</b></p>"),
        ("outcome", {"figure": "126件", "label": "化解邻里纠纷"}),
    ]
    station.save_revision().publish()
    assert "东平巷代表联络站" in search(client, "邻里纠纷")
    assert "东平巷代表联络站" in search(client, "协商议事")
