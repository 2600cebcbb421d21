from django.utils.functional import SimpleLazyObject

from content.site_settings import identity_for_request


def public_site(request):
    """The elder-mode switch, and the site's identity (站点标识) with its name as `site_name`.

    Both identity values are lazy: a template that shows neither costs no query, one that
    shows them costs one for the whole request (identity_for_request keeps the row).
    """
    identity = SimpleLazyObject(lambda: identity_for_request(request))
    return {
        "elder_mode": request.COOKIES.get("lianluo_elder") == "1",
        "site_identity": identity,
        "site_name": SimpleLazyObject(lambda: identity.name),
    }
