"""The OpenAPI description at /api/schema/: valid, generated without warnings, covering every
API address with Chinese summaries and the documented error shape; unknown /api/ addresses
answer JSON; the browsable page needs nothing the site's CSP forbids."""

import re

import pytest
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator
from drf_spectacular.validation import validate_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from django.core.management import call_command
from django.urls import URLResolver, get_resolver, reverse
from django.views.generic import RedirectView

from api.errors import UnknownApiPath

pytestmark = pytest.mark.django_db

API_PREFIXES = ("api/", "open311/")
NOT_APIS = (SpectacularAPIView, SpectacularSwaggerSplitView, UnknownApiPath, RedirectView)
CJK = re.compile(r"[\u4e00-\u9fff]")
METHODS = {"get", "post", "put", "patch", "delete"}


def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def api_routes():
    """Every URL pattern under the API prefixes, as (route, view class)."""

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern), getattr(pattern.callback, "view_class", pattern.callback)

    for route, view in walk(get_resolver().url_patterns, ""):
        if route.lstrip("^").startswith(API_PREFIXES):
            yield route, view


def test_the_description_is_valid_openapi_and_generates_without_warnings(tmp_path):
    validate_schema(schema())
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_every_api_address_is_described():
    described = set(schema()["paths"])
    enumerator = EndpointEnumerator()
    routes = [
        (route, view) for route, view in api_routes() if not (isinstance(view, type) and issubclass(view, NOT_APIS))
    ]
    expected = {enumerator.get_path_from_regex("/" + route.lstrip("^")) for route, _view in routes}
    assert expected - described == set()
    assert {
        "/api/v1/popolo/",
        "/api/v1/popolo/persons/",
        "/api/v1/popolo/persons/{id}/",
        "/api/v1/popolo/organizations/",
        "/api/v1/popolo/organizations/station/{id}/",
        "/api/v1/popolo/organizations/street/{id}/",
        "/api/v1/popolo/memberships/",
        "/api/v1/popolo/memberships/{id}/",
        "/api/v1/popolo/posts/",
        "/api/v1/calendars/stations/{id}.ics",
        "/api/v1/calendars/deputies/{id}.ics",
        "/api/v1/calendars/district.ics",
    } <= described
    assert all(path.startswith(("/api/", "/open311/")) for path in described)  # not Wagtail's admin API


def test_every_operation_has_a_chinese_summary():
    for path, item in schema()["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                assert CJK.search(operation.get("summary", "")), f"{method.upper()} {path}"


def test_the_error_shape_is_documented_and_the_popolo_404s_use_it():
    description = schema()
    error = description["components"]["schemas"]["ApiError"]
    assert set(error["properties"]) == {"code", "message", "detail"}
    assert set(error["required"]) == {"code", "message", "detail"}
    person = description["paths"]["/api/v1/popolo/persons/{id}/"]["get"]["responses"]
    assert person["404"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ApiError"}
    document = description["paths"]["/api/v1/popolo/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert document["schema"] == {"$ref": "#/components/schemas/PopoloDocument"}


def test_the_schema_is_served_as_yaml_and_json(client):
    response = client.get(reverse("api:schema"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert "openapi: 3.0.3" in response.content.decode()
    data = client.get(reverse("api:schema") + "?format=json").json()
    assert data["info"]["title"].startswith("联络")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/"),
        ("get", "/api/v2/popolo/"),
        ("get", "/api/v1/popolo/persons/not-a-number/"),
        ("post", "/api/v1/nothing/"),
        ("delete", "/api/v1/popolo/whatever/"),
    ],
)
def test_unknown_api_addresses_answer_json_404_in_chinese(client, method, url):
    response = getattr(client, method)(url, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == 404 and CJK.search(body["message"]) and body["detail"] is None


def test_a_known_api_address_without_its_slash_is_redirected(client):
    response = client.get("/api/v1/popolo")
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/popolo/"


def test_the_browsable_page_needs_no_inline_script_or_style(client):
    response = client.get(reverse("api:schema_docs"))
    assert response.status_code == 200
    page = response.content.decode()
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "<style" not in page and " style=" not in page
    scripts = re.findall(r"<script([^>]*)>", page)
    assert len(scripts) == 3 and all("src=" in attributes for attributes in scripts)
    assert 'lang="zh-Hans"' in page
    for url in re.findall(r'(?:src|href)="(/[^"]+)"', page):
        url = url.replace("&amp;", "&")
        assert client.get(url).status_code == 200, url
