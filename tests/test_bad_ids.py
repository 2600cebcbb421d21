"""Ids that are not ids: every public and admin URL answers a malformed or out-of-range id in
its path or query string with a 400 or 404, never a 500.

The values are what a crawler, a mistyped link or a probe sends: a superscript digit (which
Python's str.isdigit() accepts and int() refuses), a number past the 64-bit range the
databases store (SQLite raises OverflowError for it), and one past Python's int-parsing
digit limit. URL parameters are filled from the URL resolver, so a URL added later is
fuzzed too.

A value that a route's converter refuses (the superscript digit in an `<int:…>` segment) never
reaches that route: the URL is answered by whichever pattern catches it instead. When that is a
catch-all taking nothing from the path (the admin's "no such admin page" view), every such URL
runs the same code with the same arguments, so it is requested once per method rather than once
per route.
"""

from __future__ import annotations

import re

import pytest

from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve

from base.ids import parse_id
from tests.conftest import role_user, street_user

pytestmark = pytest.mark.django_db

BAD = ["²", "9223372036854775808", "99999999999999999999", "9" * 5000]
# Wagtail's own page that raises on purpose, to check error reporting (superusers only).
SKIPPED = {"admin/failwhale/"}
QUERY_KEYS = ["id", "childOf", "street", "category", "p", "page", "object_id", "parent"]
PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def routes():
    """Every URL route of the site, as a template with its parameters."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    return sorted({route for route in walk(get_resolver().url_patterns) if "(?P" not in route and "^" not in route})


def filled(route: str, value: str) -> str:
    return "/" + PARAM.sub(value, route)


def caught_without_arguments(route: str, url: str) -> str | None:
    """The route that answers `url` instead of `route`, if it takes no argument from the path."""
    try:
        match = resolve(url)
    except Resolver404:
        return None
    if match.route == route or match.args or match.kwargs:
        return None
    return match.route


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12),
        ("0", 0),
        ("9223372036854775807", 9223372036854775807),
        ("9223372036854775808", None),
        ("²", None),
        ("١٢", None),  # Arabic-Indic digits: isdigit(), not ASCII
        ("-3", None),
        (" 3", None),
        ("", None),
        ("9" * 5000, None),
        (None, None),
    ],
)
def test_only_ascii_digits_in_the_database_range_are_ids(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize("persona", ["superuser", "street_b"])
def test_no_url_answers_a_bad_id_with_a_server_error(client, two_streets, persona):
    client.raise_request_exception = False
    if persona == "superuser":  # reaches every view, public and admin
        client.force_login(role_user("root", is_superuser=True))
    else:  # goes through the scope guard's refusals
        client.force_login(street_user(two_streets["other_street"], "qingbo-secretary"))
    failures = []
    caught = set()  # (method, catch-all route) already requested
    for route in routes():
        if route in SKIPPED:
            continue
        if "<" in route:  # each bad value in the path, read and posted to
            requests = [("get", filled(route, value)) for value in BAD[:2]] + [("post", filled(route, BAD[0]))]
        else:  # each bad value in every id-like parameter of the query string at once
            requests = [
                ("get", f"{filled(route, '')}?" + "&".join(f"{key}={value}" for key in QUERY_KEYS)) for value in BAD
            ]
        for method, url in requests:
            catch_all = caught_without_arguments(route, url) if "<" in route else None
            if catch_all is not None:
                if (method, catch_all) in caught:
                    continue  # the same view, with the same (no) arguments, as a URL already sent
                caught.add((method, catch_all))
            response = getattr(client, method)(url)
            if response.status_code >= 500:
                failures.append(f"{method.upper()} {url[:120]} → {response.status_code}")
    assert failures == []
