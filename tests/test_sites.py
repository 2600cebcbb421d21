"""content.sites: the site of a served page, found with one prepared query, is the one Wagtail's
own rules choose, for every host and port; each site serves its own pages."""

import pytest

from django.test import RequestFactory

from wagtail.models import Site

from content.site_settings import _site_with_identity
from content.sites import site_for_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def sites(tree):
    default = Site.objects.get(is_default_site=True)
    default.hostname, default.port = "lianluo.example", 80
    default.save()
    hubin = Site.objects.create(hostname="hubin.example", port=80, root_page=tree["centre"], site_name="湖滨")
    hubin_8080 = Site.objects.create(hostname="hubin.example", port=8080, root_page=tree["station"])
    point = Site.objects.create(hostname="point.example", port=443, root_page=tree["point"])
    return {"default": default, "hubin": hubin, "hubin_8080": hubin_8080, "point": point}


HOSTS = ["lianluo.example", "hubin.example", "point.example", "unknown.example", "LIANLUO.example", ""]
PORTS = ["80", "443", "8080", "9000"]


def test_every_host_and_port_gets_the_site_wagtail_would_choose(sites):
    factory = RequestFactory()
    for host in HOSTS:
        for port in PORTS:
            request = factory.get("/", SERVER_NAME=host or "localhost", SERVER_PORT=port)
            if host:
                request.META["HTTP_HOST"] = f"{host}:{port}"
            else:
                request.META.pop("HTTP_HOST", None)
            expected = Site._find_for_request(request)
            assert site_for_request(request) == expected, (host, port, expected)
            # The pages Wagtail does not serve read the site with its identity, by the same rule.
            assert _site_with_identity(request) == expected, (host, port, expected)


def test_a_site_with_two_hostnames_and_no_default_falls_back_as_wagtail_does(sites):
    Site.objects.filter(is_default_site=True).update(is_default_site=False)
    factory = RequestFactory()
    for host, port in [("hubin.example", "9000"), ("unknown.example", "80"), ("point.example", "80")]:
        request = factory.get("/", SERVER_NAME=host, SERVER_PORT=port, HTTP_HOST=f"{host}:{port}")
        assert site_for_request(request) == Site._find_for_request(request), (host, port)
        assert _site_with_identity(request) == Site._find_for_request(request), (host, port)


def test_each_site_serves_its_own_pages(client, sites, tree, settings):
    settings.ALLOWED_HOSTS = ["lianluo.example", "hubin.example"]
    # The district site: its home page, then the station below it.
    home = client.get("/", HTTP_HOST="lianluo.example")
    assert home.status_code == 200
    station = client.get("/zongzhan/hubin/dongpingxiang/", HTTP_HOST="lianluo.example")
    assert station.status_code == 200 and "东平巷代表联络站" in station.content.decode()
    # The street's own site: rooted at the centre station, so the station is one level down.
    street = client.get("/dongpingxiang/", HTTP_HOST="hubin.example")
    assert street.status_code == 200 and "东平巷代表联络站" in street.content.decode()
    # The same host on port 8080 is another site, rooted at the station itself.
    grid = client.get("/dongping-grid/", HTTP_HOST="hubin.example:8080", SERVER_PORT="8080")
    assert "东平巷网格联络点" in grid.content.decode()
    assert client.get("/no-such-page/", HTTP_HOST="hubin.example").status_code == 404
