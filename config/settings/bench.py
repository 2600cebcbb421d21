"""Benchmark settings: production settings on plain HTTP over loopback (benchmarks/serve_bench.py).

Built on production.py rather than copied from it, so the benchmark measures the same
middleware, storage and security configuration that production runs. Only what cannot
hold on a loopback benchmark is relaxed: a fixed throwaway secret key, local host names,
no HTTPS redirect, and email that goes nowhere.

Environment read here (serve_bench.py sets it for its child processes):
  DATABASE_URL        PostgreSQL instead of SQLite (as in base.py)
  BENCH_SQLITE_PATH   SQLite file; default var/bench/bench.sqlite3, never the dev database
  BENCH_STATIC_ROOT   collectstatic target; default var/bench/staticfiles
"""

import os
from pathlib import Path

# production.py refuses to load without a long secret key and a host list, and reads the
# HTTPS redirect switch from the environment, so these are set before it is imported.
# They are forced, not defaulted: a real key or host list in the shell must not leak into a
# benchmark, and a redirect to HTTPS would turn every benchmark request into a 301.
os.environ["DJANGO_SECRET_KEY"] = "bench-only-insecure-key-" + "x" * 40
os.environ["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
os.environ["SECURE_SSL_REDIRECT"] = "0"

from .env import env_str  # noqa: E402
from .production import *  # noqa: E402, F403

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECURE_SSL_REDIRECT = False
# Plain HTTP: these only matter for HTTPS responses, so they are harmless left as in
# production; HSTS is turned off anyway so a browser pointed at the bench server by hand does
# not pin 127.0.0.1 to HTTPS.
SECURE_HSTS_SECONDS = 0

BENCH_DIR = VAR_DIR / "bench"  # noqa: F405
if not IS_POSTGRES:  # noqa: F405
    # Keep the benchmark district away from the development database (var/lianluo.sqlite3).
    DATABASES["default"]["NAME"] = env_str("BENCH_SQLITE_PATH", str(BENCH_DIR / "bench.sqlite3"))  # noqa: F405
STATIC_ROOT = Path(env_str("BENCH_STATIC_ROOT", str(BENCH_DIR / "staticfiles")))
MEDIA_ROOT = BENCH_DIR / "media"

# Public pages send no mail; if anything did, it must not try an SMTP server on localhost.
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"

# The submission benchmark posts far more than a citizen may; the limits are not what it measures.
LIANLUO_OPINION_RATE_IP = LIANLUO_OPINION_RATE_PHONE = "1000000/h"
