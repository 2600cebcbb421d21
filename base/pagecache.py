"""The public page cache (页面缓存): anonymous visitors' pages served from the shared cache, and
purged when what they show changes.

What is cached: a GET or HEAD without a query string, by a visitor without a session or pending
messages, of a view named in LIANLUO_PAGE_CACHE_VIEWS (Wagtail's pages, the deputy directory…),
answered 200 without setting a cookie, without using the CSRF token and without touching the
session. Everything else passes through untouched.

One entry per path holds the variants a visitor can see: the host, the language and the
elder-friendly mode (大字模式) are part of the variant, so one visitor's mode is never served
to another. Entries expire after LIANLUO_PAGE_CACHE_SECONDS, and at the latest at midnight
(pages show "upcoming" reception days counted from today).

Purging (`purge_paths`) replaces a path's entry by a tombstone with a new token; a render that
began before the purge sees the token changed and does not store what it rendered, so a page
rendered from data older than a change is never stored after that change. `purge_all` changes
the generation every entry carries (the site's identity, which every page shows). The apps
that own the data say which paths each change affects (`watch`, in their `ready()`); purges
run at once and again when the transaction commits, and reach a caching proxy in front
through Wagtail's frontend cache backends (WAGTAILFRONTENDCACHE) when one is configured.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from urllib.error import URLError
from urllib.parse import urlsplit, urlunsplit
from urllib.request import urlopen

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse, HttpResponseNotModified
from django.urls import Resolver404, resolve
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.encoding import iri_to_uri

from wagtail.contrib.frontend_cache.backends.http import HTTPBackend, PurgeRequest
from wagtail.contrib.frontend_cache.utils import purge_urls_from_cache
from wagtail.models import Site

ELDER_COOKIE = "lianluo_elder"
logger = logging.getLogger("lianluo.pagecache")
GENERATION_KEY = "pagecache:generation"
# Response headers kept with a cached page; everything else is added again on the way out.
STORED_HEADERS = ("Content-Type", "Content-Disposition", "Content-Language")
UNCACHEABLE_DIRECTIVES = ("private", "no-cache", "no-store")


def _cache():
    return caches[settings.LIANLUO_PAGE_CACHE_ALIAS]


def _enabled() -> bool:
    return settings.LIANLUO_PAGE_CACHE_SECONDS > 0


def path_key(path: str) -> str:
    """One key per address, whether it comes decoded (request.path: 草案) or as Wagtail writes
    page URLs (%E8%8D%89%E6%A1%88)."""
    return "pagecache:path:" + hashlib.sha256(iri_to_uri(path).encode()).hexdigest()[:32]


def _variant(request) -> str:
    elder = "elder" if request.COOKIES.get(ELDER_COOKIE) == "1" else "plain"
    return f"{request.get_host()}|{translation.get_language()}|{elder}"


def _seconds_until_midnight(now: dt.datetime) -> int:
    local = timezone.localtime(now)
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time.min, tzinfo=local.tzinfo)
    return max(1, int((midnight - local).total_seconds()))


def _cacheable_request(request) -> bool:
    if request.method not in ("GET", "HEAD") or request.META.get("QUERY_STRING"):
        return False
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
        return False
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.url_name in settings.LIANLUO_PAGE_CACHE_VIEWS


def _cacheable_response(request, response) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    directives = response.get("Cache-Control", "").lower()
    if any(word in directives for word in UNCACHEABLE_DIRECTIVES):
        return False
    # The page used the CSRF token (a form): it is this visitor's, not everybody's. (Reading
    # the session is fine: visitors with a session cookie never get here, and an empty
    # session is the same for every anonymous visitor; writing one sets a cookie.)
    return not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")


def _public_headers(response, etag: str, seconds: int) -> None:
    response["ETag"] = etag
    # Browsers ask again each time (a 304 when nothing changed), so switching the elder mode
    # shows at once; a proxy in front keeps the page as long as we do (nginx reads X-Accel-Expires).
    response["Cache-Control"] = "public, max-age=0, must-revalidate"
    response["X-Accel-Expires"] = str(seconds)
    patch_vary_headers(response, ("Cookie",))


def _etag_matches(request, etag: str) -> bool:
    wanted = request.META.get("HTTP_IF_NONE_MATCH", "")
    return bool(wanted) and (wanted.strip() == "*" or etag in [tag.strip() for tag in wanted.split(",")])


class PageCacheMiddleware:
    """Serve and store anonymous public pages (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _enabled() or not _cacheable_request(request):
            return self.get_response(request)
        cache = _cache()
        key, variant = path_key(request.path), _variant(request)
        found = cache.get_many([GENERATION_KEY, key])
        generation = found.get(GENERATION_KEY)
        if generation is None:
            generation = secrets.token_hex(8)
            cache.add(GENERATION_KEY, generation, None)
            generation = cache.get(GENERATION_KEY, generation)
        bucket = found.get(key)
        token = bucket["token"] if bucket else None
        if bucket and bucket["generation"] == generation:
            entry = bucket["variants"].get(variant)
            if entry is not None and entry["expires"] > time.time():
                return self._from_cache(request, entry)

        response = self.get_response(request)
        if _cacheable_response(request, response):
            self._store(request, response, key, variant, token, generation)
        return response

    def _from_cache(self, request, entry) -> HttpResponse:
        seconds = max(1, int(entry["expires"] - time.time()))
        if _etag_matches(request, entry["etag"]):
            response = HttpResponseNotModified()
        else:
            response = HttpResponse(entry["content"], status=200)
            for name, value in entry["headers"]:
                response[name] = value
        _public_headers(response, entry["etag"], seconds)
        response["X-Page-Cache"] = "hit"
        return response

    def _store(self, request, response, key, variant, token, generation) -> None:
        cache = _cache()
        now = timezone.now()
        seconds = min(settings.LIANLUO_PAGE_CACHE_SECONDS, _seconds_until_midnight(now))
        etag = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
        _public_headers(response, etag, seconds)
        response["X-Page-Cache"] = "miss"
        # Purged while we rendered: what we hold may predate the change, so it is not kept.
        current = cache.get_many([GENERATION_KEY, key])
        bucket = current.get(key)
        if (bucket["token"] if bucket else None) != token or current.get(GENERATION_KEY) != generation:
            return
        if bucket is None or bucket["generation"] != generation:
            bucket = {"token": secrets.token_hex(8), "generation": generation, "variants": {}}
        bucket["variants"][variant] = {
            "content": response.content,
            "headers": [(name, response[name]) for name in STORED_HEADERS if response.has_header(name)],
            "etag": etag,
            "expires": time.time() + seconds,
        }
        cache.set(key, bucket, settings.LIANLUO_PAGE_CACHE_SECONDS)


# --- purging ---------------------------------------------------------------------------------


def _tombstone_paths(paths: Iterable[str]) -> None:
    cache = _cache()
    tombstone = {"token": secrets.token_hex(8), "generation": None, "variants": {}}
    cache.set_many({path_key(path): tombstone for path in paths}, settings.LIANLUO_PAGE_CACHE_SECONDS or 1)


def _proxy_urls(paths: Iterable[str]) -> list[str]:
    roots = {site.root_url for site in Site.get_site_root_paths()}
    return [root.rstrip("/") + path for root in sorted(roots) for path in paths]


def purge_paths(paths: Iterable[str]) -> None:
    """Forget the cached pages at these paths, now and once the current transaction commits
    (a request rendering between the two cannot keep what the transaction had not yet
    written), in our cache and in a proxy's."""
    paths = sorted({path for path in paths if path})
    if not paths:
        return
    _tombstone_paths(paths)

    def after_commit():
        _tombstone_paths(paths)
        if getattr(settings, "WAGTAILFRONTENDCACHE", None):
            purge_urls_from_cache(_proxy_urls(paths))

    transaction.on_commit(after_commit)


def purge_all() -> None:
    """Forget every cached page (the site's name and identity are on all of them)."""

    def new_generation():
        _cache().set(GENERATION_KEY, secrets.token_hex(8), None)

    new_generation()
    transaction.on_commit(new_generation)


def watch(model, paths_for: Callable[[object], Iterable[str]], *, uid: str) -> None:
    """Purge the paths `paths_for(instance)` names whenever an instance of `model` is saved or
    deleted. Called by the app that owns the model, from its AppConfig.ready()."""

    def changed(sender, instance, **kwargs):
        if kwargs.get("raw"):
            return  # fixtures being loaded
        purge_paths(paths_for(instance))

    post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"pagecache-save-{uid}")
    post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"pagecache-delete-{uid}")


def watch_everything(model, *, uid: str) -> None:
    """Purge every cached page whenever an instance of `model` is saved or deleted (what it
    holds is on every page: the site's name, the streets)."""

    def changed(sender, instance, **kwargs):
        if not kwargs.get("raw"):
            purge_all()

    post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"pagecache-save-{uid}")
    post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"pagecache-delete-{uid}")


class VariantPurgeBackend(HTTPBackend):
    """Wagtail's HTTP PURGE backend, sent once for each variant a proxy keeps of a page: the
    proxy's cache key holds the elder-mode cookie (site/nginx.conf.example), so the elder
    variant is purged by a PURGE carrying that cookie."""

    VARIANT_COOKIES = ("", f"{ELDER_COOKIE}=1")

    def purge(self, url):
        parts = urlsplit(url)
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        target = urlunsplit([self.cache_scheme, self.cache_netloc, parts.path, parts.query, ""])
        for cookie in self.VARIANT_COOKIES:
            headers = {"Host": host, "User-Agent": "Lianluo-pagecache"}
            if cookie:
                headers["Cookie"] = cookie
            try:
                urlopen(PurgeRequest(url=target, headers=headers), timeout=5)  # noqa: S310 - LOCATION is configured
            except URLError as error:  # HTTPError included: a 404 means it was not cached
                if getattr(error, "code", None) != 404:
                    logger.error("Couldn't purge %s (%s) from the proxy: %s", url, cookie or "plain", error)
