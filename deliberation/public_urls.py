"""The public pages of deliberation (居民议事), under /deliberation/."""

from django.urls import path

from deliberation import public_views

urlpatterns = [
    path("deliberation/", public_views.index, name="deliberation_meetings"),
    path("deliberation/<int:pk>/", public_views.meeting_page, name="deliberation_meeting"),
]
