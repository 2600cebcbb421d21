"""The Wagtail site of a public page request, and its home page, in one prepared query.

Wagtail finds a request's site with a query built and compiled on every request
(`wagtail.models.sites.get_site_for_hostname`), then reads the site's root page as its
specific class with a second query. For the pages Wagtail serves, `ServeSiteMiddleware` finds
both with one query compiled once per process (base.prepared), and leaves them where Wagtail
looks first (`request._wagtail_site`, the root page's cached `specific`). The choice of site
is Wagtail's, rule for rule (`content.site_settings.choose_site`, shared with the pages that
read the site with its identity).
"""

from __future__ import annotations

from wagtail import views as wagtail_views
from wagtail.models import Site

from base.prepared import prepared
from content.models import HomePage
from content.site_settings import choose_site, request_host_port, site_candidates


@prepared
def _sites_for(hostname, port):
    return site_candidates(hostname, port).select_related("root_page__homepage")


def site_for_request(request) -> Site | None:
    """The request's site as Wagtail chooses it (`Site.find_for_request`), its root page's
    specific page already read when it is the district home page."""
    host_port = request_host_port(request)
    if host_port is None:
        return Site.find_for_request(request)  # Wagtail's own answer, whatever it is
    site = choose_site(_sites_for(*host_port))
    if site is None:
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
