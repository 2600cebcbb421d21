"""The public pages of livelihood projects (民生实事项目), under /livelihood/."""

from django.urls import path

from livelihood import public_views

urlpatterns = [
    path("livelihood/", public_views.index, name="livelihood_rounds"),
    path("livelihood/<int:pk>/", public_views.round_page, name="livelihood_round"),
    path("livelihood/<int:pk>/nominate/", public_views.nominate_page, name="livelihood_nominate"),
    path("livelihood/<int:pk>/projects/<int:number>/", public_views.project_page, name="livelihood_project"),
]
