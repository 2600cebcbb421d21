"""The public window (视窗晾晒): the district's and each street's figures."""

from django.urls import path

from oversight import public_views

urlpatterns = [
    path("window/", public_views.district, name="window_district"),
    path("window/<str:key>/", public_views.street, name="window_street"),
]
