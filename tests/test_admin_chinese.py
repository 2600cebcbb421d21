"""The admin speaks Chinese and carries the platform's own name.

A Chinese clerk meets no English in the admin. For each role the test signs in and walks the
admin pages that role can open — the dashboard, every destination of the role's menu, every
admin URL without parameters, and the same-origin admin links found on the way (GET only, one
object of each kind) — and reads what a person sees on each page: the text, the <title>,
tooltips, placeholders, aria labels, alt texts, input buttons and the sidebar menu (which the
browser draws from JSON). It fails on any English word outside a short allow-list of names a
Chinese interface keeps as they are (PDF, URL, Ctrl, the authenticator apps …).
"""

from __future__ import annotations

import json
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from wagtail.models import Page, Site

from base.roles import Role, department_group_name, role_group_name
from tests.conftest import PASSWORD, new_opinion, role_user, station_user, street_user
from workflows.models import Department

pytestmark = pytest.mark.django_db

# Words a Chinese interface keeps as they are: file formats, keys on the keyboard, standard
# abbreviations. No product names: the admin is the district's platform, not "Wagtail".
ALLOWED = {
    *("CSV", "XLSX", "PDF", "DOCX", "ODT", "PPTX", "TXT", "ZIP", "PNG", "JPG", "JPEG", "GIF", "SVG", "WEBP", "AVIF"),
    *("WebP", "URL", "HTML", "ICP", "TOTP", "API", "RSS", "SEO", "Email", "email", "iCal", "iCalendar"),
    *("Ctrl", "Alt", "Shift", "Cmd", "Esc", "Enter", "Tab", "Option"),
    # Names of things, written as their makers write them: the authenticator apps the two-step
    # sign-in page suggests, a spreadsheet format, and a language's own name in the language list.
    *("Google", "Microsoft", "Authenticator", "Excel", "TSV", "English"),
}
WORD = re.compile(r"[A-Za-z]{3,}")
# Not words a person reads as language: addresses, e-mail addresses, file names, dotted
# identifiers (content.stationpage), and codes in capitals (a TOTP secret key).
NOT_PROSE = re.compile(r"(?:https?://|/)\S*|\S+@\S+|\b[\w-]+\.[\w.]+\b|\b[A-Z0-9]{6,}\b")
# The platform's own labels may carry an English gloss after the Chinese for staff
# ("历史记录 History", "导出 Excel"): the house style, not untranslated text.
GLOSS = re.compile(r"(?<=[\u3400-\u9fff）」”])[ \t]+[A-Za-z][A-Za-z -]*")

# Attributes whose text a person reads (tooltips, hints, labels read aloud).
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "data-w-tooltip-content-value")
# Not read: code, icons, and what a page keeps hidden until a script fills it in.
UNREAD_ELEMENTS = {"script", "style", "noscript", "svg"}
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Pages that are not the admin's own screens (previews of public pages, files, the API), or
# that are Wagtail's deliberate error page.
SKIP = re.compile(
    r"/admin/(?:logout|failwhale|jsi18n|api|sprite|pages/\d+/(?:view_draft|preview|edit/preview)|.*/preview)"
    r"|/admin/.*/(?:usage/|export)",
)
# Pages with a 200 answer each role reads (the superuser every kind of page there is); the
# rest of a walk only meets pages already read in another kind. Keeps the suite fast.
BUDGET = {"superuser": 120}
DEFAULT_BUDGET = 35


class PageReader(HTMLParser):
    """One pass over a page: the strings a person reads, the sidebar's labels and the links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.links: list[str] = []
        self._unread: list[str] = []  # open elements whose content is not read
        self._json = None  # the <script type="application/json"> being read
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self._unread:
            if tag == self._unread[-1] and tag not in VOID_ELEMENTS:
                self._unread.append(tag)
            return
        if tag == "script" and attrs.get("type") == "application/json":
            self._json = []
        if tag in UNREAD_ELEMENTS or "hidden" in attrs:
            if tag not in VOID_ELEMENTS:
                self._unread.append(tag)
            return
        if tag == "title":
            self._in_title = True
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        self.texts.extend(attrs[name] for name in READ_ATTRIBUTES if attrs.get(name))
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset") and attrs.get("value"):
            self.texts.append(attrs["value"])  # an input button's label (a <button>'s value is not shown)

    def handle_startendtag(self, tag, attrs):
        if tag not in VOID_ELEMENTS:  # <use … />, <path … />: nothing to close
            if self._unread:
                return
            attrs = dict(attrs)
            self.texts.extend(attrs[name] for name in READ_ATTRIBUTES if attrs.get(name))
            return
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if self._unread and tag == self._unread[-1]:
            self._unread.pop()
            if not self._unread and self._json is not None:
                self.texts.extend(json_labels(json.loads("".join(self._json) or "null")))
                self._json = None
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._json is not None:
            self._json.append(data)
        elif not self._unread and data.strip():
            self.texts.append(data.strip())


def json_labels(data):
    """Labels in the sidebar's JSON (menu items, the account menu, the search box)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("label", "title", "placeholder", "text") and isinstance(value, str):
                yield value
            else:
                yield from json_labels(value)
    elif isinstance(data, list):
        for item in data:
            yield from json_labels(item)


def json_urls(data):
    """Where the sidebar's menu items lead."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "url" and isinstance(value, str):
                yield value
            else:
                yield from json_urls(value)
    elif isinstance(data, list):
        for item in data:
            yield from json_urls(item)


def read_page(html: str) -> PageReader:
    reader = PageReader()
    reader.feed(html)
    reader.close()
    return reader


def english_words(texts, allowed) -> set[str]:
    words = set()
    for text in texts:
        for word in WORD.findall(NOT_PROSE.sub(" ", GLOSS.sub(" ", text))):
            if word not in allowed and word.lower() not in allowed:
                words.add(word)
    return words


def parameterless_admin_urls() -> list[str]:
    def walk(patterns, prefix="", namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield namespace + pattern.name, prefix + str(pattern.pattern)

    return sorted(
        reverse(name)
        for name, route in walk(get_resolver().url_patterns)
        if route.startswith("admin/") and "<" not in route and "(?P" not in route
    )


def kind_of(path: str) -> str:
    """Pages that differ only in an object's id are one kind: one of each is read."""
    return re.sub(r"/\d+/", "/#/", path)


def admin_path(base: str, href: str) -> str | None:
    parts = urlsplit(urljoin(base, href))
    if parts.netloc in ("", "testserver") and parts.path.startswith("/admin/") and not parts.query:
        return parts.path
    return None


def walk_admin(client, allowed, budget) -> tuple[dict[str, set[str]], int]:
    """English words per admin page the signed-in person can open, and how many were read."""
    home = reverse("wagtailadmin_home")
    dashboard = client.get(home).content.decode()
    props = re.search(r'<script id="wagtail-sidebar-props" type="application/json">(.*?)</script>', dashboard, re.S)
    menu_urls = [url for url in json_urls(json.loads(props.group(1))) if admin_path(home, url)] if props else []
    # First the dashboard and the role's menu, then the links they lead to, then the rest.
    queue = deque([home, *menu_urls])
    seeds = parameterless_admin_urls()
    found, kinds, visited, read = {}, set(), set(), 0
    while read < budget and (queue or seeds):
        path = queue.popleft() if queue else seeds.pop(0)
        kind = kind_of(path)
        results_of_read_listing = path.endswith("/results/") and path[: -len("results/")] in visited
        if path in visited or kind in kinds or SKIP.search(path) or results_of_read_listing:
            continue
        visited.add(path)
        response = client.get(path)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        kinds.add(kind)
        read += 1
        page = read_page(response.content.decode())
        words = english_words(page.texts, allowed)
        if words:
            found[path] = words
        queue.extend(link for link in (admin_path(path, href) for href in page.links) if link)
    return found, read


@pytest.fixture
def personas(two_streets, street):
    """One person per role, over a small district with an opinion, a department and a request."""
    tree = two_streets
    department = Department.objects.create(name="区城管局")
    new_opinion(tree["station"])
    return {
        "superuser": get_user_model().objects.create_superuser("root-admin", password=PASSWORD),
        "district_admin": role_user("district-admin", role_group_name(Role.DISTRICT_ADMIN)),
        "editor": role_user("site-editor", role_group_name(Role.EDITOR)),
        "street_committee": street_user(street),
        "station_staff": station_user(tree["station"], "dongping-staff"),
        "department_handler": role_user(
            "dept-clerk", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(department)
        ),
        "deputy": role_user("deputy-user", role_group_name(Role.DEPUTY)),
        "auditor": role_user("auditor-user", role_group_name(Role.AUDITOR)),
    }


def entered_words() -> set[str]:
    """What people typed (usernames, slugs, host names): shown as typed, not UI text."""
    words = set()
    for value in [
        *get_user_model().objects.values_list("username", flat=True),
        *Page.objects.values_list("slug", flat=True),
        *Site.objects.values_list("hostname", flat=True),
    ]:
        words.update(WORD.findall(value))
    return words


ROLES = [
    "superuser",
    "district_admin",
    "editor",
    "street_committee",
    "station_staff",
    "department_handler",
    "deputy",
    "auditor",
]


@pytest.mark.parametrize("role", ROLES)
def test_every_admin_page_a_role_opens_is_in_chinese(client, personas, role):
    client.force_login(personas[role])
    found, read = walk_admin(client, ALLOWED | entered_words(), BUDGET.get(role, DEFAULT_BUDGET))
    assert read >= 5, read  # the walk did reach the role's pages
    assert found == {}, "\n".join(f"{path}: {', '.join(sorted(words))}" for path, words in sorted(found.items()))


@pytest.mark.parametrize("role", ROLES)
def test_no_menu_item_is_offered_twice(client, personas, role):
    """Wagtail's workflow settings and its workflow reports once shared the names 工作流 and
    工作流任务: each item of the menu has a name of its own."""
    client.force_login(personas[role])
    dashboard = client.get(reverse("wagtailadmin_home")).content.decode()
    props = re.search(r'<script id="wagtail-sidebar-props" type="application/json">(.*?)</script>', dashboard, re.S)
    labels = list(json_labels(json.loads(props.group(1))))
    assert labels and len(labels) == len(set(labels)), labels


def test_the_platforms_translations_are_compiled():
    """scripts/bootstrap.sh compiles them (deployments run `manage.py compilemessages`)."""
    for po in (settings.BASE_DIR / "locale").glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime, f"{mo} 未编译：运行 scripts/bootstrap.sh"


def test_the_sign_in_pages_are_in_chinese_and_name_the_platform(client, db):
    for name in ("wagtailadmin_login", "wagtailadmin_password_reset"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert english_words(read_page(response.content.decode()).texts, ALLOWED) == set(), name
    page = read_page(client.get(reverse("wagtailadmin_login")).content.decode())
    assert page.texts[0] == f"登录 - {settings.WAGTAIL_SITE_NAME}"  # the <title>
    assert f"登录{settings.WAGTAIL_SITE_NAME}" in page.texts
