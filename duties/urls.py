"""代表e站 (the deputy's portal), under /e/."""

from django.urls import path

from duties import portal, topic_views

app_name = "duty_portal"

urlpatterns = [
    path("", portal.home, name="home"),
    path("report/", portal.report, name="report"),
    path("confirm/", portal.confirm, name="confirm"),
    path("records/<int:pk>/", portal.record_detail, name="record"),
    path("photos/<int:pk>/", portal.record_photo, name="photo"),
    path("direct/", portal.direct, name="direct"),
    path("direct/<int:pk>/rate/", portal.rate_direct, name="rate"),
    path("topics/new/", topic_views.new_topic, name="new_topic"),
    path("topics/<int:pk>/", topic_views.topic_detail, name="topic"),
]
