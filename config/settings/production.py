"""Production: everything from the environment; refuses to start without the essentials."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .env import env_bool, env_int, env_str

if not SECRET_KEY or len(SECRET_KEY) < 50:  # noqa: F405
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a random value of at least 50 characters.")
if not ALLOWED_HOSTS:  # noqa: F405
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list the host names this site answers to.")

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    # Joining browsers' HSTS preload list is a per-domain commitment the operator makes.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
X_FRAME_OPTIONS = "DENY"
# Emails and reminders wait in the database queue for `manage.py db_worker` (site/).
TASKS = tasks_setting("database")  # noqa: F405
# Everyone who reaches the admin passes a second sign-in step (TOTP); not configurable here.
LIANLUO_REQUIRE_2FA = True
# Behind the shipped nginx (site/nginx.conf.example), which sets X-Real-IP on every request
# and is the only way to gunicorn (bound to 127.0.0.1). Set it empty if there is no proxy.
LIANLUO_CLIENT_IP_HEADER = env_str("LIANLUO_CLIENT_IP_HEADER", "HTTP_X_REAL_IP")
