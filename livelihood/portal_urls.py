"""民生实事票决 in 代表e站, under /e/livelihood/."""

from django.urls import path

from livelihood import portal

app_name = "livelihood_portal"

urlpatterns = [
    path("", portal.index, name="index"),
    path("<int:pk>/", portal.round_detail, name="round"),
    path("<int:pk>/sign-in/", portal.sign_in, name="sign_in"),
    path("<int:pk>/cast/", portal.cast, name="cast"),
    path("<int:pk>/resume/", portal.resume, name="resume"),
    path("<int:pk>/rate/<int:number>/", portal.rate, name="rate"),
    path("nominate/", portal.nominate, name="nominate"),
    path("projects/<int:pk>/inspect/", portal.inspect, name="inspect"),
]
