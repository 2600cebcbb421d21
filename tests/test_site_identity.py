"""The site says whose it is: platform name, organiser, logo, filing numbers, contact line and
accessibility statement (站点标识), set by the district admin and shown on every public page."""

import io
import json
import re

import pytest
from PIL import Image as PILImage

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wagtail.images import get_image_model
from wagtail.models import Site
from wagtail.test.utils.form_data import rich_text

from base.roles import Role, role_group_name
from content.site_settings import SiteIdentity
from tests.conftest import role_user, station_user, street_user

pytestmark = pytest.mark.django_db

EDIT_URL = reverse("wagtailsettings:edit", args=["content", "siteidentity"])


def site_edit_url():
    return reverse("wagtailsettings:edit", args=["content", "siteidentity", Site.objects.get(is_default_site=True).pk])


def png(width=300, height=300) -> ContentFile:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), "#b71c1c").save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), "emblem.png")


@pytest.fixture
def identity(home):
    row = SiteIdentity.objects.get(site=Site.objects.get(is_default_site=True))
    row.platform_name = "上城区人大代表联络站"
    row.organiser = "上城区人大常委会"
    row.operator = "上城区人大常委会代表工作委员会"
    row.icp_number = "浙ICP备12345678号-1"
    row.police_number = "浙公网安备33010202000001号"
    row.phone = "0571-87000000"
    row.address = "杭州市上城区解放东路18号"
    row.email = "lianluo@shangcheng.example"
    row.save()
    return row


def title_of(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


def footer_of(html: str) -> str:
    return html.split('<footer class="site-footer"', 1)[1]


def header_of(html: str) -> str:
    return html.split('<header class="site-header"', 1)[1].split("</header>", 1)[0]


def test_header_footer_and_title_carry_the_district_identity(client, tree, deputy, identity):
    for url in ("/", tree["station"].url, reverse("deputy_detail", args=[deputy.pk]), reverse("deputy_list")):
        html = client.get(url).content.decode()
        assert title_of(html).endswith("· 上城区人大代表联络站"), url
        assert "Lianluo" not in title_of(html), url
        header = header_of(html)
        assert "上城区人大代表联络站" in header and "上城区人大常委会" in header, url
        footer = footer_of(html)
        assert "主办单位：上城区人大常委会" in footer and "承办单位：上城区人大常委会代表工作委员会" in footer
        assert '<a href="tel:0571-87000000">0571-87000000</a>' in footer
        assert "杭州市上城区解放东路18号" in footer and "mailto:lianluo@shangcheng.example" in footer
        # The filing numbers link to the ministries' lookup sites (links only: nothing is fetched).
        assert re.search(r'<a href="https://beian\.miit\.gov\.cn/"[^>]*>浙ICP备12345678号-1', footer)
        assert re.search(
            r'<a href="https://beian\.mps\.gov\.cn/#/query/webSearch\?code=33010202000001"[^>]*>浙公网安备', footer
        )
        assert f'href="{reverse("accessibility")}"' in footer
    assert title_of(client.get("/").content.decode()) == "首页 · 上城区人大代表联络站"
    station_title = title_of(client.get(tree["station"].url).content.decode())
    assert station_title.startswith("东平巷代表联络站 ·")
    # The printable cards name the platform too.
    card = client.get(reverse("deputy_card", args=[deputy.pk])).content.decode()
    assert title_of(card).endswith("· 上城区人大代表联络站") and "上城区人大常委会" in card


def test_an_uploaded_logo_replaces_the_built_in_mark_at_header_size(client, tree, identity):
    html = client.get("/").content.decode()
    assert "/static/img/logo.svg" in header_of(html)
    identity.logo = get_image_model().objects.create(title="区徽", file=png(600, 600))
    identity.save()
    header = header_of(client.get("/").content.decode())
    logo = re.search(r'<img[^>]*class="brand-logo"[^>]*>', header).group(0)
    assert re.search(r'src="/media/images/emblem[^"]*\.max-480x96\.png"', logo)
    assert 'width="96"' in logo and 'height="96"' in logo and 'alt=""' in logo
    assert "/static/img/logo.svg" not in header


def test_without_a_name_the_deployment_default_shows_and_reading_writes_nothing(client, tree, deputy):
    SiteIdentity.objects.all().delete()  # as on a site added after the migration
    for url in ("/", reverse("deputy_detail", args=[deputy.pk]), reverse("accessibility")):
        html = client.get(url).content.decode()
        assert title_of(html).endswith(f"· {settings.WAGTAIL_SITE_NAME}"), url
        assert settings.WAGTAIL_SITE_NAME in header_of(html)
        assert "/static/img/logo.svg" in header_of(html)
        footer = footer_of(html)
        assert "主办单位" not in footer and "ICP" not in footer and "公网安备" not in footer
        assert f'href="{reverse("accessibility")}"' in footer
    assert not SiteIdentity.objects.exists()


def test_pages_without_a_request_show_the_built_in_name(db):
    html = render_to_string("500.html")
    assert title_of(html) == "系统暂时出错 · 人大代表联络站"
    assert "/static/img/logo.svg" in html and 'rel="icon"' in html


def test_the_accessibility_statement_page(client, tree, identity):
    default = client.get(reverse("accessibility"))
    assert default.status_code == 200
    html = default.content.decode()
    assert title_of(html) == "无障碍声明 · 上城区人大代表联络站"
    assert "大字模式" in html and "WCAG" in html and 'href="tel:0571-87000000"' in html
    identity.accessibility_statement = "<p>本站已通过适老化及无障碍改造评测。</p>"
    identity.save()
    html = client.get(reverse("accessibility")).content.decode()
    assert "本站已通过适老化及无障碍改造评测。" in html and "WCAG" not in html


def test_every_page_names_the_favicon_and_favicon_ico_leads_to_it(client, tree, deputy):
    for url in ("/", reverse("deputy_detail", args=[deputy.pk]), reverse("deputy_card", args=[deputy.pk]), "/nothing/"):
        html = client.get(url).content.decode()
        assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in html, url
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/img/favicon.svg"
    icon = client.get(response["Location"])
    assert icon.status_code == 200 and icon["Content-Type"].startswith("image/svg+xml")


def test_the_home_page_offers_submitting_an_opinion_and_looking_up_its_progress(client, tree):
    html = client.get("/").content.decode()
    actions = html.split('<ul class="home-actions"', 1)[1].split("</ul>", 1)[0]
    links = dict(
        (re.sub(r"<[^>]+>", "", title), href)
        for href, title in re.findall(
            r'<a class="action-card[^"]*" href="([^"]+)"><span class="action-title">(.*?)</span>', actions
        )
    )
    assert links["提交意见"] == reverse("opinion_new")
    assert links["查询办理进度"] == reverse("opinion_status")
    assert links["找联络站"] == "#streets-heading" and 'id="streets-heading"' in html
    form = client.get(links["提交意见"]).content.decode()
    assert "<form" in form and 'name="content"' in form
    lookup = client.get(links["查询办理进度"]).content.decode()
    assert "<form" in lookup and "回执" in lookup


# --- who may change it ------------------------------------------------------------------------


def sidebar(client) -> str:
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    props = re.search(r'<script id="wagtail-sidebar-props" type="application/json">(.*?)</script>', page, re.S)
    return json.dumps(json.loads(props.group(1)), ensure_ascii=False)


def test_the_district_admin_edits_the_identity_and_the_public_site_follows(client, tree, two_streets):
    client.force_login(role_user("district-admin", role_group_name(Role.DISTRICT_ADMIN)))
    menu = sidebar(client)
    assert "站点标识" in menu and EDIT_URL in menu
    form = client.get(EDIT_URL, follow=True)
    assert form.status_code == 200 and "主办单位" in form.content.decode() and "公安备案号" in form.content.decode()
    response = client.post(
        site_edit_url(),
        {
            "platform_name": "临平区人大代表联络站",
            "organiser": "临平区人大常委会",
            "operator": "",
            "icp_number": "浙ICP备87654321号",
            "police_number": "",
            "phone": "0571-86000000",
            "address": "",
            "email": "",
            "accessibility_statement": rich_text(""),
        },
    )
    assert response.status_code == 302
    client.logout()
    html = client.get("/").content.decode()
    assert title_of(html).endswith("· 临平区人大代表联络站")
    assert "主办单位：临平区人大常委会" in footer_of(html) and "浙ICP备87654321号" in footer_of(html)


@pytest.mark.parametrize("who", ["editor", "street", "station", "department", "deputy", "auditor"])
def test_no_other_role_sees_or_changes_it(client, two_streets, street, identity, who):
    users = {
        "editor": lambda: role_user("editor", role_group_name(Role.EDITOR)),
        "street": lambda: street_user(street),
        "station": lambda: station_user(two_streets["station"]),
        "department": lambda: role_user("clerk", role_group_name(Role.DEPARTMENT_HANDLER)),
        "deputy": lambda: role_user("deputy-user", role_group_name(Role.DEPUTY)),
        "auditor": lambda: role_user("auditor", role_group_name(Role.AUDITOR)),
    }
    client.force_login(users[who]())
    menu = sidebar(client)
    assert "站点标识" not in menu and "/admin/settings/content/" not in menu
    for method in ("get", "post"):
        for url in (EDIT_URL, site_edit_url()):
            response = getattr(client, method)(url, {"platform_name": "被改掉的名称", "organiser": "别人"})
            refused = response.status_code == 403 or (
                response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
            )
            assert refused, (who, method, url, response.status_code)
    identity.refresh_from_db()
    assert identity.platform_name == "上城区人大代表联络站" and identity.organiser == "上城区人大常委会"


def test_the_identity_costs_one_query_per_request(client, tree, deputy, identity, settings):
    """Header, footer and title read the identity once; off the page tree the same query
    also finds the site, which Wagtail then reuses. (Rendered pages: the page cache is off.)"""
    settings.LIANLUO_PAGE_CACHE_SECONDS = 0
    identity.logo = get_image_model().objects.create(title="区徽", file=png(200, 200))
    identity.save()
    for url, site_queries in (
        ("/", 2),  # Wagtail finds the site to serve the page; the identity is the second
        (tree["station"].url, 2),
        (reverse("deputy_detail", args=[deputy.pk]), 1),
        (reverse("deputy_list"), 1),
        (reverse("accessibility"), 1),
    ):
        client.get(url)  # the logo's rendition is made once
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(url).content.decode()
        assert "上城区人大常委会" in html and "/media/images/emblem" in html
        about_site = [
            q["sql"] for q in ctx.captured_queries if re.search(r"content_siteidentity|wagtailcore_site\b", q["sql"])
        ]
        assert len(about_site) == site_queries, (url, about_site)
        assert sum("content_siteidentity" in sql for sql in about_site) == 1, url
