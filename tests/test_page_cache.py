"""The public page cache: anonymous visitors get stored pages, never somebody else's variant,
and never a page older than a change it shows (base.pagecache, content.page_purge)."""

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from django.test import Client
from django.urls import reverse

from wagtail import hooks
from wagtail.models import Site

from base import pagecache
from content.models import ContactPointPage, Membership, MembershipRole, ReceptionSchedule
from content.site_settings import SiteIdentity
from content.tree import add_station
from permissions.roles import Role, department_group_name, role_group_name
from tests.conftest import make_deputy, new_opinion, replied, role_user, station_user
from workflows import opinions
from workflows.models import Department

pytestmark = pytest.mark.django_db


def cache_state(response) -> str | None:
    return response.headers.get("X-Page-Cache")


def get(client, url, **extra):
    response = client.get(url, **extra)
    assert response.status_code == 200, url
    return response


def warm(url, client=None):
    """Visit twice: the first visit stores the page, the second is served from the cache."""
    client = client or Client()
    assert cache_state(get(client, url)) == "miss"
    assert cache_state(get(client, url)) == "hit"
    return client


def test_a_second_anonymous_visit_is_served_from_the_cache_without_the_database(tree, django_assert_num_queries):
    url = tree["station"].url
    client = Client()
    first = get(client, url)
    assert cache_state(first) == "miss"
    with django_assert_num_queries(0):
        second = get(client, url)
    assert cache_state(second) == "hit"
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert "public" in second["Cache-Control"] and "max-age=0" in second["Cache-Control"]
    assert "Cookie" in second["Vary"]
    assert second["Content-Type"].startswith("text/html")
    # Security headers are added to stored pages as to fresh ones.
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert second["X-Frame-Options"] == first["X-Frame-Options"]


def test_a_browser_holding_the_page_gets_304(tree):
    client = warm(tree["station"].url)
    etag = get(client, tree["station"].url)["ETag"]
    again = client.get(tree["station"].url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    changed = client.get(tree["station"].url, HTTP_IF_NONE_MATCH='"something-else"')
    assert changed.status_code == 200 and changed.content


def test_the_elder_mode_of_one_visitor_is_never_served_to_another(tree):
    url = tree["station"].url
    elder, plain = Client(), Client()
    elder.cookies["lianluo_elder"] = "1"
    first_elder = get(elder, url)
    assert 'class="elder"' in first_elder.content.decode()
    first_plain = get(plain, url)
    assert cache_state(first_plain) == "miss"  # not the elder visitor's page
    assert 'class="elder"' not in first_plain.content.decode()
    assert first_plain["ETag"] != first_elder["ETag"]
    for _ in range(2):
        again_elder, again_plain = get(elder, url), get(plain, url)
        assert cache_state(again_elder) == cache_state(again_plain) == "hit"
        assert 'class="elder"' in again_elder.content.decode()
        assert 'class="elder"' not in again_plain.content.decode()
    # A browser switching modes revalidates and gets the other variant, not a 304.
    switched = Client()
    switched.cookies["lianluo_elder"] = "1"
    assert switched.get(url, HTTP_IF_NONE_MATCH=first_plain["ETag"]).status_code == 200


def test_signed_in_visitors_query_strings_and_forms_bypass_the_cache(two_streets):
    tree = two_streets
    url = tree["station"].url
    warm(url)
    staff = Client()
    staff.force_login(station_user(tree["station"]))
    assert cache_state(get(staff, url)) is None
    assert cache_state(get(Client(), url + "?src=qr")) is None
    form = tree["station"].url + "opinion/"  # carries a CSRF token: somebody's own page
    assert cache_state(get(Client(), form)) is None
    assert cache_state(get(Client(), form)) is None
    # Pages not named in LIANLUO_PAGE_CACHE_VIEWS are never stored.
    assert cache_state(get(Client(), reverse("opinion_status"))) is None


def test_publishing_a_page_purges_exactly_the_pages_that_show_it(tree):
    station, centre, point, other = tree["station"], tree["centre"], tree["point"], tree["general"]
    for page in (station, centre, point, other):
        warm(page.url)
    station.title = "东平巷代表联络站（新址）"
    station.save_revision().publish()
    fresh = get(Client(), station.url)
    assert cache_state(fresh) == "miss" and "东平巷代表联络站（新址）" in fresh.content.decode()
    parent = get(Client(), centre.url)  # lists its children by title
    assert cache_state(parent) == "miss" and "东平巷代表联络站（新址）" in parent.content.decode()
    # Pages that do not show it are still served from the cache.
    assert cache_state(get(Client(), point.url)) == "hit"
    assert cache_state(get(Client(), other.url)) == "hit"


def test_unpublishing_a_page_is_never_served_from_the_cache(tree):
    warm(tree["point"].url)
    tree["point"].unpublish()
    assert Client().get(tree["point"].url).status_code == 404


def test_a_deputy_their_membership_and_schedule_purge_the_pages_that_show_them(tree):
    station, centre = tree["station"], tree["centre"]
    deputy = make_deputy()
    membership = Membership.objects.create(station=station, deputy=deputy, role=MembershipRole.HEAD)
    deputy_url = reverse("deputy_detail", args=[deputy.pk])
    for url in (station.url, centre.url, deputy_url):
        warm(url)

    deputy.name = "王秀芳"
    deputy.save()
    assert "王秀芳" in get(Client(), station.url).content.decode()
    assert "王秀芳" in get(Client(), deputy_url).content.decode()
    assert cache_state(get(Client(), centre.url)) == "hit"

    assert cache_state(get(Client(), station.url)) == "hit"
    membership.delete()
    assert "王秀芳" not in get(Client(), station.url).content.decode()

    assert cache_state(get(Client(), station.url)) == "hit"
    get(Client(), deputy_url)
    schedule = ReceptionSchedule.objects.create(station=station, week_of_month=1, weekday=2, title="周三代表接待日")
    assert "周三代表接待日" in get(Client(), station.url).content.decode()
    assert cache_state(get(Client(), deputy_url)) == "hit"  # nobody on duty yet: not on their page
    schedule.duty_deputies.add(deputy)
    schedule.save()
    assert "周三代表接待日" in get(Client(), deputy_url).content.decode()


def test_a_published_result_purges_its_station_and_the_results_page_at_once(two_streets):
    station = two_streets["station"]
    department = Department.objects.create(name="区城管局")
    staff = station_user(station)
    handler = role_user("clerk", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(department))
    editor = role_user("editor", role_group_name(Role.EDITOR))
    opinion = replied(new_opinion(station), staff, handler, department, text="已增设车位。")
    opinion = opinions.perform(
        opinion, "request_publication", user=staff, summary="东平巷停车难已解决", public_reply="已增设车位。"
    )
    for url in (station.url, "/results/", two_streets["other_station"].url):
        warm(url)
    opinions.perform(opinion, "approve_publication", user=editor)
    assert "东平巷停车难已解决" in get(Client(), station.url).content.decode()
    assert "东平巷停车难已解决" in get(Client(), "/results/").content.decode()
    assert cache_state(get(Client(), two_streets["other_station"].url)) == "hit"


def test_a_page_rendered_before_a_change_is_not_stored_after_it(tree):
    """The race: a visitor's render reads the old data, a change lands and purges, then the
    render finishes. What it rendered must not become the cached page."""
    station = tree["station"]
    deputy = make_deputy()

    def change_while_rendering(page, request, context):
        if page.pk == station.pk and deputy.name != "李四":
            deputy.name = "李四"
            deputy.save()  # purges the deputy's pages (and any station showing them)
            pagecache.purge_paths([station.url])

    with hooks.register_temporarily("construct_station_page_context", change_while_rendering):
        first = get(Client(), station.url)
    assert cache_state(first) == "miss"
    assert cache_state(get(Client(), station.url)) == "miss"  # the first render was not kept
    assert cache_state(get(Client(), station.url)) == "hit"


def test_the_sites_identity_purges_every_page(tree):
    for page in (tree["station"], tree["point"]):
        warm(page.url)
    identity = SiteIdentity.for_site(Site.objects.get(is_default_site=True))
    identity.platform_name = "湖滨区人大代表联络站网络"
    identity.save()
    for page in (tree["station"], tree["point"]):
        response = get(Client(), page.url)
        assert cache_state(response) == "miss"


def test_turning_the_cache_off_serves_every_page_fresh(tree, settings):
    settings.LIANLUO_PAGE_CACHE_SECONDS = 0
    client = Client()
    assert cache_state(get(client, tree["station"].url)) is None
    assert cache_state(get(client, tree["station"].url)) is None


class PurgeRecorder(BaseHTTPRequestHandler):
    """A proxy's purge listener: records each PURGE it receives."""

    received: list = []

    def do_PURGE(self):  # noqa: N802 - the HTTP method's name
        PurgeRecorder.received.append((self.path, self.headers.get("Host"), self.headers.get("Cookie", "")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def purge_listener(settings):
    PurgeRecorder.received = []
    server = HTTPServer(("127.0.0.1", 0), PurgeRecorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.WAGTAILFRONTENDCACHE = {
        "proxy": {"BACKEND": "base.pagecache.VariantPurgeBackend", "LOCATION": f"http://127.0.0.1:{server.server_port}"}
    }
    yield PurgeRecorder.received
    server.shutdown()


def test_a_proxy_in_front_is_sent_a_purge_for_each_variant_of_each_affected_page(
    tree, purge_listener, django_capture_on_commit_callbacks
):
    station = tree["station"]
    with django_capture_on_commit_callbacks(execute=True):
        station.title = "东平巷代表联络站（新址）"
        station.save_revision().publish()
    purged = {(path, cookie) for path, _host, cookie in purge_listener}
    for path in (station.url, station.url + "card/", tree["centre"].url, "/"):
        assert (path, "") in purged and (path, "lianluo_elder=1") in purged
    assert not any(path == tree["point"].url for path, _ in purged)
    assert {host for _path, host, _cookie in purge_listener} == {"localhost"}


def test_an_address_in_chinese_is_purged_like_any_other(tree):
    """Wagtail writes page URLs percent-encoded, requests arrive decoded: one page either way."""
    point = add_station(tree["station"], ContactPointPage(title="草案联络点", slug="草案联络点"))
    assert "%E8%8D%89" in point.url
    warm(point.url)
    point.title = "草案联络点（新址）"
    point.save_revision().publish()
    fresh = get(Client(), point.url)
    assert cache_state(fresh) == "miss" and "草案联络点（新址）" in fresh.content.decode()
