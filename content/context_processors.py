from django.conf import settings


def public_site(request):
    return {
        "elder_mode": request.COOKIES.get("lianluo_elder") == "1",
        "site_name": settings.WAGTAIL_SITE_NAME,
    }
