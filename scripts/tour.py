"""Take the README tour's screenshots: the pages a resident and a clerk meet first.

    python scripts/tour.py                 # build a demo district in var/tour/, shoot, write docs/tour/
    python scripts/tour.py --reuse         # keep the district built last time
    python scripts/tour.py --out /tmp/tour # write elsewhere

Everything happens in var/tour/ (its own SQLite database and media; the development
database is never touched): migrate, build_demo with the README's seed, the demo roles and
admin, then `runserver` on a free loopback port. Headless Chromium (Debian's
/usr/bin/chromium, or LIANLUO_CHROMIUM) visits each page at phone size (390 × 844) and at
desktop size (1280 × 900) and saves what the first screen shows as a palette PNG. The
screenshots are documentation: regenerate them after a visible change, and describe any
new one in the README's tour section.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "tour"
SEED = "2026"
CHROMIUM = os.environ.get("LIANLUO_CHROMIUM", "/usr/bin/chromium")
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "config.settings.dev",
    "LIANLUO_VAR_DIR": str(VAR),
    "DATABASE_URL": "",
    "REDIS_URL": "",
}


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=ENV, check=True)  # noqa: S603 - our own manage.py


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback only
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"服务没有启动 the server did not answer: {url}")


def tour_paths() -> dict[str, str]:
    """The pages to shoot, found in the demo database (read in this process)."""
    for key in ("DJANGO_SETTINGS_MODULE", "LIANLUO_VAR_DIR"):
        os.environ[key] = ENV[key]
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db.models import Count
    from django.urls import reverse

    from content.models import StationLevel, StationPage
    from workflows.intake import rating_token
    from workflows.models import Opinion, OpinionState

    # The station a resident is most likely to open: a 联络站 with the most deputies on its wall.
    station = (
        StationPage.objects.live()
        .filter(level=StationLevel.STATION)
        .annotate(deputies=Count("memberships"))
        .order_by("-deputies", "pk")
        .first()
    )
    replied = Opinion.objects.filter(state=OpinionState.REPLIED).order_by("-pk").first()
    in_progress = Opinion.objects.filter(state=OpinionState.ACCEPTED).order_by("-pk").first() or replied
    return {
        "home": "/",
        "station": station.url,
        "receipt": reverse("opinion_receipt", args=[rating_token(replied)]),
        "search": reverse("search") + "?q=停车",
        "admin-opinions": reverse("opinions:list"),
        "admin-opinion": reverse("opinions:inspect", args=[in_progress.pk]),
    }


def shoot(origin: str, paths: dict[str, str], out: Path) -> list[Path]:
    from PIL import Image
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        for size, viewport in VIEWPORTS.items():
            context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
            page = context.new_page()
            for name, path in paths.items():
                if name.startswith("admin") and "/admin/login/" not in page.url and "/admin/" not in page.url:
                    # Public pages are shot as a resident sees them, signed out; then the clerk signs in.
                    page.goto(f"{origin}/admin/login/")
                    page.fill("input[name=username]", "admin")
                    page.fill("input[name=password]", "lianluo-demo-2026")
                    page.click("button[type=submit]")
                    page.wait_for_url(f"{origin}/admin/")
                page.goto(origin + path)
                page.wait_for_load_state("networkidle")
                png = page.screenshot(full_page=False)
                target = out / f"{name}-{size}.png"
                # A 256-colour palette keeps text sharp and the file a fraction of the size.
                Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256).save(target, optimize=True)
                written.append(target)
            context.close()
        browser.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "tour")
    parser.add_argument("--reuse", action="store_true", help="keep the demo district built last time")
    args = parser.parse_args()

    if not args.reuse or not (VAR / "lianluo.sqlite3").exists():
        shutil.rmtree(VAR, ignore_errors=True)
        VAR.mkdir(parents=True)
        manage("migrate", "--noinput", "--verbosity", "0")
        manage("build_demo", "--seed", SEED)
        manage("sync_roles", "--verbosity", "0")
        manage("ensure_demo_admin")
    paths = tour_paths()
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={**ENV, "WAGTAILADMIN_BASE_URL": origin},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(origin + "/healthz/")
        args.out.mkdir(parents=True, exist_ok=True)
        for path in shoot(origin, paths, args.out):
            print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {path.stat().st_size // 1024} KB")
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
