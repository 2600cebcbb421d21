"""Every open interface, under versioned paths, with its OpenAPI description at /api/schema/."""

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from django.urls import path

app_name = "api"

urlpatterns = [
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/schema/docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="schema_docs"),
]
