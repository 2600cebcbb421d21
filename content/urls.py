from django.urls import path

from content import views

urlpatterns = [
    path("search/", views.search, name="search"),
    path("accessibility/", views.accessibility_statement, name="accessibility"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("preferences/elder-mode/", views.toggle_elder_mode, name="elder_mode"),
    path("deputies/", views.deputy_list, name="deputy_list"),
    path("deputies/<int:pk>/", views.deputy_detail, name="deputy_detail"),
    path("deputies/<int:pk>/qr.svg", views.deputy_qr, name="deputy_qr"),
    path("deputies/<int:pk>/calendar.ics", views.deputy_ics, name="deputy_ics"),
    path("calendar.ics", views.district_ics, name="district_ics"),
    path("deputies/<int:pk>/card/", views.deputy_card, name="deputy_card"),
]
