from django.urls import path

from workflows import public_views

urlpatterns = [
    path("opinions/new/", public_views.new_opinion, name="opinion_new"),
    path("opinions/receipt/<str:token>/", public_views.receipt, name="opinion_receipt"),
    path("opinions/status/", public_views.status, name="opinion_status"),
    path("opinions/rate/<str:token>/", public_views.rate, name="opinion_rate"),
    path("results/", public_views.results, name="opinion_results"),
]
