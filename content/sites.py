"""The Wagtail site of a public page request, and its home page, in one prepared query.

Wagtail finds a request's site with a query built and compiled on every request
(`wagtail.models.sites.get_site_for_hostname`), then reads the site's root page as its
specific class with a second query. For the pages Wagtail serves, `ServeSiteMiddleware` finds
both with one query compiled once per process (base.prepared), and leaves them where Wagtail
looks first (`request._wagtail_site`, the root page's cached `specific`). The choice of site
is Wagtail's, rule for rule: the hostname with the port, then the hostname of the default
site, then the default site unless exactly one other site has the hostname.
"""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, When
from django.http.request import split_domain_port

from wagtail import views as wagtail_views
from wagtail.models import Site
from wagtail.models.sites import MATCH_DEFAULT, MATCH_HOSTNAME, MATCH_HOSTNAME_DEFAULT, MATCH_HOSTNAME_PORT

from base.prepared import prepared
from content.models import HomePage


@prepared
def _sites_for(hostname, port):
    return (
        Site.objects.annotate(
            match=Case(
                When(hostname=hostname, port=port, then=MATCH_HOSTNAME_PORT),
                When(hostname=hostname, is_default_site=True, then=MATCH_HOSTNAME_DEFAULT),
                When(is_default_site=True, then=MATCH_DEFAULT),
                default=MATCH_HOSTNAME,
                output_field=IntegerField(),
            )
        )
        .filter(Q(hostname=hostname) | Q(is_default_site=True))
        .order_by("match", "pk")
        .select_related("root_page__homepage")
    )


def site_for_request(request) -> Site | None:
    """The request's site as Wagtail chooses it (`Site.find_for_request`), its root page's
    specific page already read when it is the district home page."""
    hostname = split_domain_port(request._get_raw_host())[0]
    port = request.get_port()
    if not str(port).isdigit():
        return Site.find_for_request(request)  # Wagtail's own answer, whatever it is
    sites = _sites_for(hostname, int(port))
    if not sites:
        return None
    if len(sites) == 1 or sites[0].match in (MATCH_HOSTNAME_PORT, MATCH_HOSTNAME_DEFAULT):
        site = sites[0]
    elif sites[0].match == MATCH_DEFAULT:
        site = sites[len(sites) == 2]
    else:
        return None
    root = site.root_page
    if root.specific_class is HomePage:
        try:
            root.__dict__["specific"] = root.homepage
        except HomePage.DoesNotExist:
            pass
    return site


class ServeSiteMiddleware:
    """For Wagtail's page-serving view, finds the site and home page with `site_for_request`
    before Wagtail would (one query instead of two)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if view_func is wagtail_views.serve and not hasattr(request, "_wagtail_site"):
            request._wagtail_site = site_for_request(request)
        return None
