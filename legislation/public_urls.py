"""The public pages of legislative consultation (立法意见征集) outside the drafts' own pages."""

from django.urls import path

from legislation import public_views

urlpatterns = [
    path("legislation/", public_views.index, name="legislation_index"),
    path("legislation/status/", public_views.status, name="legislation_status"),
    path("legislation/receipt/<str:token>/", public_views.receipt, name="legislation_receipt"),
]
