"""Settings shared by every environment.

The base is production-safe: DEBUG is off, the secret key and allowed hosts come from the
environment, and nothing here is only fit for development. dev.py and test.py relax it.
"""

import datetime as dt
from pathlib import Path

import dj_database_url

from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("LIANLUO_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = False
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "base",
    "content",
    "workflows",
    "duties",
    "suggestions",
    "livelihood",
    "legislation",
    "coordination",
    "deliberation",
    "api",
    "oversight",
    "permissions",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
    "wagtail.contrib.search_promotions",
    "wagtail.embeds",
    "wagtail.sites",
    "permissions.users_app.UsersConfig",  # wagtail.users, auditor-readable user and group screens
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "wagtail_modeladmin",
    "modelcluster",
    "taggit",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "guardian",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    # First: the visitor's address from the trusted proxy header (LIANLUO_CLIENT_IP_HEADER).
    "base.client_address.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Staff pass the second sign-in step before any admin page (when required).
    "permissions.two_factor.RequireTwoFactorMiddleware",
    # Auditors read only; admin views taking an object id check the user may reach it.
    "permissions.admin_scope.AdminScopeMiddleware",
    # Anonymous visitors' public pages from the shared cache (base.pagecache).
    "base.pagecache.PageCacheMiddleware",
    # The site and home page of a page Wagtail serves, in one prepared query (content.sites).
    "content.sites.ServeSiteMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes requires: turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "content.context_processors.public_site",
            ],
        },
    },
]

# --- Storage -------------------------------------------------------------------------------
# SQLite (WAL) is the embedded default; DATABASE_URL switches to PostgreSQL (psycopg 3).
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(VAR_DIR / "lianluo.sqlite3")),
            # Kept open between requests, as PostgreSQL's: opening one costs each request about
            # 3 ms (the connection's set-up and SQLite reading the whole schema again).
            "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60),
            "OPTIONS": {
                # WAL lets readers work while one writer commits; IMMEDIATE avoids
                # "database is locked" upgrades inside write transactions.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;"
                ),
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "lianluo",
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "lianluo"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "permissions.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses locked-out logins before checking passwords
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; the public sees published pages only

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "permissions.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language and time ---------------------------------------------------------------------
# The public site is always Chinese (no LocaleMiddleware); staff may pick English for the
# Wagtail admin in their account settings.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# The platform's own translations: strings Wagtail's zh_Hans catalogue lacks, and the product
# name replaced by the platform's (compiled by scripts/bootstrap.sh, `manage.py compilemessages`).
LOCALE_PATHS = [BASE_DIR / "locale"]
# One time zone for the whole district: no list of 600 zone names in the account settings.
WAGTAIL_USER_TIME_ZONES = [TIME_ZONE]

# --- Static and media ----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
# Citizens' photos: never under MEDIA_ROOT (which the web server serves), only through the admin.
LIANLUO_PRIVATE_MEDIA_ROOT = Path(env_str("LIANLUO_PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed (gzip + brotli when available) files with content hashes in their names.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_MAX_AGE = 60 * 60 * 24 * 365

# --- Wagtail -------------------------------------------------------------------------------
# The platform's name, as staff and citizens read it (admin title, login page, e-mails); each
# deployment names its own district's platform. Templates read `site_name`, which the district
# admin may override in the site settings.
WAGTAIL_SITE_NAME = env_str("LIANLUO_PLATFORM_NAME", "区人大代表联络站")
WAGTAILADMIN_BASE_URL = env_str("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAIL_I18N_ENABLED = False
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
# No avatars from gravatar.com: the admin would send a hash of each staff member's e-mail to a
# foreign service on every page (PIPL; intranet deployments have no such route). Wagtail then
# shows its local default avatar, or a photo uploaded in the account settings.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILSEARCH_BACKENDS = {
    "default": {
        "BACKEND": "wagtail.search.backends.database",
        # Chinese text is pre-segmented into words and bigrams (content.search), so the
        # language-neutral configuration is the right one on PostgreSQL.
        "SEARCH_CONFIG": "simple",
    }
}
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "txt", "xlsx", "zip"]
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Background work (notification emails, reminders, the daily sweep) goes through Django
# tasks. "database" (django-tasks-db) queues each task as a row that `manage.py db_worker`
# runs, keeping failures with their error; "immediate" runs it at once inside the request.
# Production defaults to the database queue, everything else to immediate.
TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}


def tasks_setting(default: str) -> dict:
    name = env_str("LIANLUO_TASKS_BACKEND", default)
    if name not in TASK_BACKENDS:
        raise ImproperlyConfigured(f"LIANLUO_TASKS_BACKEND must be one of {', '.join(TASK_BACKENDS)}, not {name!r}.")
    return {"default": {"BACKEND": TASK_BACKENDS[name]}}


TASKS = tasks_setting("immediate")

# --- Security defaults (production tightens further) ----------------------------------------
# Login lockout (MLPS practice): 5 failures for one username from one address lock it for
# 30 minutes; a successful login resets the count. The 30 minutes run from the fifth failure:
# attempts refused during the lockout do not start them again (django-axes would by default).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = dt.timedelta(minutes=30)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "permissions/locked_out.html"
AXES_VERBOSE = False

# Staff sessions end after 30 idle minutes: every request renews the 30-minute cookie.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Public pages: no inline script or style, nothing from other hosts. The Wagtail admin
# (which needs inline code of its own) is left out.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    },
}
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "SAMEORIGIN"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Email ---------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "noreply@lianluo.invalid")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

# Public site: the map link opens the address on an external map site in a new tab; no
# third-party script is ever loaded into our pages.
LIANLUO_MAP_URL_TEMPLATE = env_str(
    "LIANLUO_MAP_URL_TEMPLATE", "https://uri.amap.com/marker?position={lng},{lat}&name={name}"
)
# How many upcoming reception dates a station page lists.
LIANLUO_UPCOMING_RECEPTIONS = 6

# Opinion intake: rate limits (django-ratelimit, "count/period" with s, m, h or d), waiting
# times and reminders. Limits are counted in the cache: set REDIS_URL in production so every
# worker shares one count.
LIANLUO_OPINION_RATE_IP = env_str("LIANLUO_OPINION_RATE_IP", "10/h")
LIANLUO_OPINION_RATE_PHONE = env_str("LIANLUO_OPINION_RATE_PHONE", "5/d")
LIANLUO_OPINION_LOOKUP_RATE = env_str("LIANLUO_OPINION_LOOKUP_RATE", "30/h")
LIANLUO_RATING_WAIT_DAYS = env_int("LIANLUO_RATING_WAIT_DAYS", 7)
# Residents' replies to discussion topics (议题讨论): per address, and stored per phone number.
LIANLUO_TOPIC_REPLY_RATE_IP = env_str("LIANLUO_TOPIC_REPLY_RATE_IP", "10/h")
LIANLUO_TOPIC_REPLY_RATE_PHONE = env_str("LIANLUO_TOPIC_REPLY_RATE_PHONE", "5/d")
# Deputy suggestions (代表建议): the statutory handling time in months, and the longest allowed.
LIANLUO_SUGGESTION_DEADLINE_MONTHS = env_int("LIANLUO_SUGGESTION_DEADLINE_MONTHS", 3)
LIANLUO_SUGGESTION_MAX_MONTHS = env_int("LIANLUO_SUGGESTION_MAX_MONTHS", 6)
LIANLUO_SUGGESTION_REOPEN_MONTHS = env_int("LIANLUO_SUGGESTION_REOPEN_MONTHS", 1)  # after 不满意
# The suggestions' daily sweep reminds the departments this many working days before a deadline.
LIANLUO_SUGGESTION_REMINDER_WORKDAYS = env_int("LIANLUO_SUGGESTION_REMINDER_WORKDAYS", 10)
LIANLUO_REMINDER_WORKDAYS = env_int("LIANLUO_REMINDER_WORKDAYS", 2)
# Deputies' duties: the start of the current term, from which a district deputy's report to
# the voters (向选民报告履职) counts, for deputies without a term start of their own.
LIANLUO_TERM_START = dt.date.fromisoformat(env_str("LIANLUO_TERM_START", "2022-01-01"))
# Two-factor sign-in (TOTP) for the admin: off by default, always on in production settings.
LIANLUO_REQUIRE_2FA = env_bool("LIANLUO_REQUIRE_2FA", False)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "联络 Lianluo")

# Behind a proxy, the request header that carries the visitor's address, as Django names it
# (HTTP_X_REAL_IP for the X-Real-IP header site/nginx.conf.example sets). Used by the login
# lockout, the audit log and the rate limits alike (permissions/client_address.py).
LIANLUO_CLIENT_IP_HEADER = env_str("LIANLUO_CLIENT_IP_HEADER", "")


# Open interfaces (api): public by default, JSON errors in Chinese, the OpenAPI description generated
# from the views by drf-spectacular, its browsable page served from local static files (sidecar).
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "联络 Lianluo 开放接口 Open APIs",
    "DESCRIPTION": (
        "区人大代表联络站平台的开放接口：Open311 GeoReport v2（群众意见）、Popolo（代表、联络站与任职）、日历订阅。"
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["api.schema.public_endpoints_only"],
}

# Public page cache (页面缓存, base.pagecache): anonymous visitors' pages of these views are kept
# in the default cache (Redis when configured) for LIANLUO_PAGE_CACHE_SECONDS (0 turns it off)
# and purged when what they show changes. LIANLUO_PROXY_PURGE_URL names a caching proxy in
# front (site/nginx.conf.example) to which the same purges are sent as HTTP PURGE requests,
# one per variant, through Wagtail's frontend cache backend.
LIANLUO_PAGE_CACHE_SECONDS = env_int("LIANLUO_PAGE_CACHE_SECONDS", 600)
LIANLUO_PAGE_CACHE_ALIAS = "default"
LIANLUO_PAGE_CACHE_VIEWS = [
    "wagtail_serve",
    "deputy_list",
    "deputy_detail",
    "deputy_card",
    "opinion_results",
    "window_district",
    "window_street",
]
if env_str("LIANLUO_PROXY_PURGE_URL"):
    WAGTAILFRONTENDCACHE = {
        "proxy": {
            "BACKEND": "base.pagecache.VariantPurgeBackend",
            "LOCATION": env_str("LIANLUO_PROXY_PURGE_URL"),
        }
    }
