"""代表建议 in 代表e站, under /e/suggestions/."""

from django.urls import path

from suggestions import portal

app_name = "suggestion_portal"

urlpatterns = [
    path("", portal.index, name="index"),
    path("new/", portal.new, name="new"),
    path("<int:pk>/", portal.detail, name="detail"),
    path("<int:pk>/edit/", portal.edit, name="edit"),
]
