from django.conf import settings
from django.urls import include, path

from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from content import views as content_views
from permissions import two_factor

urlpatterns = [
    path("healthz/", content_views.healthz, name="healthz"),
    path("admin/2fa/setup/", two_factor.setup, name="two_factor_setup"),
    path("admin/2fa/verify/", two_factor.verify, name="two_factor_verify"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("e/suggestions/", include("suggestions.urls")),
    path("e/livelihood/", include("livelihood.portal_urls")),
    path("e/", include("duties.urls")),
    path("", include("content.urls")),
    path("", include("workflows.urls")),
    path("", include("suggestions.public_urls")),
    path("", include("livelihood.public_urls")),
    path("", include("legislation.public_urls")),
    path("", include("deliberation.public_urls")),
    path("", include("oversight.urls")),
    path("", include("api.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
