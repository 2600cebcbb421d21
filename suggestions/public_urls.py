"""The public suggestions page (代表建议办理公开), under /suggestions/."""

from django.urls import path

from suggestions import publication

urlpatterns = [
    path("suggestions/", publication.index, name="suggestion_results"),
    path("suggestions/<int:pk>/", publication.detail, name="suggestion_result"),
]
