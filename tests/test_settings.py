"""Production settings are safe by default and refuse to start without their secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "t3st-Only-9f8e7d6c5b4a39281706f5e4d3c2b1a0-long-enough-random-key",
    "DJANGO_ALLOWED_HOSTS": "lianluo.example.gov.cn",
}


def manage(*args, env_extra=None, drop=()):
    env = {k: v for k, v in os.environ.items() if k not in drop and k != "DATABASE_URL"}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_its_secrets(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = manage("check", env_extra=env, drop=(missing,))
    assert result.returncode != 0
    assert missing in result.stderr


def test_base_settings_are_production_safe():
    from config.settings import base

    assert base.DEBUG is False
    assert base.LANGUAGE_CODE == "zh-hans"
    assert base.TIME_ZONE == "Asia/Shanghai"
    assert base.STORAGES["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    # WhiteNoise right after SecurityMiddleware, as its documentation asks.
    security = base.MIDDLEWARE.index("django.middleware.security.SecurityMiddleware")
    assert base.MIDDLEWARE[security + 1] == "whitenoise.middleware.WhiteNoiseMiddleware"
    # The visitor's address is settled before anything records or counts by it.
    assert base.MIDDLEWARE[0] == "base.client_address.ClientAddressMiddleware"


def test_collected_static_files_have_hashed_names_and_compressed_copies(tmp_path):
    result = manage("collectstatic", "--noinput", "-v0", env_extra={**PRODUCTION_ENV, "LIANLUO_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    css = {p.name for p in (tmp_path / "staticfiles" / "css").iterdir()}
    hashed = [name for name in css if name.startswith("site.") and name.endswith(".css") and name != "site.css"]
    assert hashed, css
    assert f"{hashed[0]}.gz" in css


@pytest.mark.parametrize(("template", "heading"), [("400.html", "请求有误"), ("500.html", "系统暂时出错")])
def test_error_pages_render_in_chinese_without_a_request(template, heading):
    from django.template.loader import render_to_string

    html = render_to_string(template)  # as Django renders them: no request, no context processors
    assert f"<h1>{heading}</h1>" in html and '<a href="/">返回首页</a>' in html and 'lang="zh-Hans"' in html
