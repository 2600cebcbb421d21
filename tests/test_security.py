"""The security baseline: lockout, idle sessions, passwords, CSP and deployment checks."""

import datetime as dt

import pytest

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from tests.test_settings import PRODUCTION_ENV, manage

PASSWORD = "a-long-passphrase-2026"


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_superuser("secretary", "s@example.com", PASSWORD)


def login(client, password, address="10.0.0.1"):
    return client.post(
        reverse("wagtailadmin_login"), {"username": "secretary", "password": password}, REMOTE_ADDR=address
    )


def test_five_failed_logins_lock_the_account_for_thirty_minutes(client, staff):
    for _ in range(4):
        assert login(client, "wrong-password").status_code == 200
    assert login(client, "wrong-password").status_code == 429  # the fifth failure locks
    locked = login(client, PASSWORD)
    assert locked.status_code == 429
    assert "登录已暂时锁定" in locked.content.decode()
    # Another address is not locked out by someone else's failures.
    assert login(client, PASSWORD, address="10.0.0.2").status_code == 302


def behind_proxy(client, password, visitor):
    """A login as it arrives through nginx: from 127.0.0.1, the visitor in X-Real-IP."""
    return client.post(
        reverse("wagtailadmin_login"),
        {"username": "secretary", "password": password},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_REAL_IP=visitor,
    )


def test_behind_the_proxy_lockout_and_audit_use_the_visitors_address(client, staff, settings):
    from base.models import AuditEvent

    settings.LIANLUO_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    for _ in range(5):
        behind_proxy(client, "wrong-password", "203.0.113.7")
    assert behind_proxy(client, PASSWORD, "203.0.113.7").status_code == 429
    failures = AuditEvent.objects.filter(action="login_failed")
    assert set(failures.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    # The proxy's own address is not what was locked: the secretary signs in from elsewhere.
    response = behind_proxy(client, PASSWORD, "198.51.100.2")
    assert response.status_code == 302
    assert AuditEvent.objects.get(action="login").ip_address == "198.51.100.2"


def test_a_header_that_is_not_an_address_is_ignored(client, staff, settings):
    from base.models import AuditEvent

    settings.LIANLUO_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    behind_proxy(client, "wrong-password", "not-an-address")
    assert AuditEvent.objects.get(action="login_failed").ip_address == "127.0.0.1"


def test_without_the_setting_a_forged_header_changes_nothing(client, staff):
    from base.models import AuditEvent

    behind_proxy(client, "wrong-password", "203.0.113.7")
    assert AuditEvent.objects.get(action="login_failed").ip_address == "127.0.0.1"


def test_production_reads_the_address_nginx_sets():
    from pathlib import Path

    nginx = (Path(__file__).resolve().parent.parent / "site" / "nginx.conf.example").read_text()
    assert "proxy_set_header X-Real-IP $remote_addr;" in nginx
    code = "from django.conf import settings; print(settings.LIANLUO_CLIENT_IP_HEADER)"
    result = manage("shell", "-c", code, env_extra=PRODUCTION_ENV, drop=("LIANLUO_CLIENT_IP_HEADER",))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "HTTP_X_REAL_IP"


def minutes_pass(minutes):
    """Move the recorded failures back in time, as if `minutes` had passed since them."""
    from axes.models import AccessAttempt

    AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(minutes=minutes))


def test_the_lockout_lifts_thirty_minutes_after_the_fifth_failure(client, staff):
    for _ in range(5):
        login(client, "wrong-password")
    assert login(client, PASSWORD).status_code == 429
    minutes_pass(29)
    assert login(client, PASSWORD).status_code == 429  # still locked, and this try does not extend it
    minutes_pass(2)
    response = login(client, PASSWORD)
    assert response.status_code == 302 and response.wsgi_request.user == staff


def test_fewer_failures_then_a_success_resets_the_count(client, staff):
    for _ in range(4):
        login(client, "wrong-password")
    assert login(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        login(client, "wrong-password")
    assert login(client, PASSWORD).status_code == 302


def test_staff_sessions_expire_after_thirty_idle_minutes(client, staff, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    client.force_login(staff)
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    expires_in = Session.objects.get().expire_date - timezone.now()
    assert dt.timedelta(minutes=29) < expires_in <= dt.timedelta(minutes=30)  # renewed on every request
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 302 and reverse("wagtailadmin_login") in response["Location"]


@pytest.mark.parametrize(
    "password,message",
    [("Short-2026a", "至少需要 12 个字符"), ("password1234", "太常见"), ("384729105638", "只包含数字")],
)
def test_weak_passwords_are_refused(db, password, message):
    with pytest.raises(ValidationError) as excinfo:
        validate_password(password)
    assert any(message in m for m in excinfo.value.messages), excinfo.value.messages


def test_public_pages_send_a_strict_content_security_policy_and_carry_no_inline_code(client, tree, deputy):
    import re

    for url in (
        "/",
        tree["station"].url,
        tree["point"].url,
        f"{tree['station'].url}opinion/",
        "/opinions/new/",
        "/opinions/status/",
        "/results/",
        f"/deputies/{deputy.pk}/",
        "/deputies/",
        "/search/?q=停车",
        "/no-such-page/",
    ):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "default-src 'self'" in policy, url
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, url
        html = response.content.decode()
        # Every script comes from a file; no inline script, handler attribute or style attribute.
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert not re.search(r"\son[a-z]+=", html) and "style=" not in html, url


def test_a_form_sent_without_its_security_token_gets_a_chinese_page(tree):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(f"{tree['station'].url}opinion/", {"title": "x"})
    assert response.status_code == 403
    assert "页面已过期，请重新提交" in response.content.decode()


def test_the_admin_is_left_out_of_the_public_policy(client, staff):
    client.force_login(staff)
    assert "Content-Security-Policy" not in client.get(reverse("wagtailadmin_home"))


def test_deployment_checks_pass_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env_extra=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
