"""The visitor's address, once, for everything that records or counts by it.

Behind the reverse proxy (site/nginx.conf.example) every request reaches gunicorn from
127.0.0.1; the proxy passes the visitor's address in a header it sets itself (X-Real-IP).
With `LIANLUO_CLIENT_IP_HEADER` naming that header, this middleware, first in the stack,
puts the address into REMOTE_ADDR, so the login lockout (django-axes), the audit log and the
rate limits (django-ratelimit) all see the same, real address. Only set it when the proxy
overwrites the header on every request: a client talking to gunicorn directly could
otherwise choose its own address.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def trusted_header() -> str:
    return getattr(settings, "LIANLUO_CLIENT_IP_HEADER", "") or ""


class ClientAddressMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        header = trusted_header()
        if header:
            value = request.META.get(header, "").strip()
            try:
                request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(value))
            except ValueError:
                pass  # no (valid) header: the connection's own address stands
        return self.get_response(request)
