"""What the OpenAPI description covers: the open interfaces, not Wagtail's private admin API."""

PUBLIC_PREFIXES = ("/api/", "/open311/")


def public_endpoints_only(endpoints):
    """drf-spectacular preprocessing hook: keep the endpoints under the open interfaces' paths."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(PUBLIC_PREFIXES)]
