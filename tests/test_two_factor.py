"""Two-factor sign-in (TOTP) for the admin: required in production, tested here switched on."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.contrib.auth import get_user_model
from django.urls import reverse

from base.models import AuditEvent
from tests.test_settings import PRODUCTION_ENV, manage

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-passphrase-2026"


@pytest.fixture
def required(settings):
    settings.LIANLUO_REQUIRE_2FA = True


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_superuser("secretary", "s@example.com", PASSWORD)


def sign_in(client):
    response = client.post(reverse("wagtailadmin_login"), {"username": "secretary", "password": PASSWORD})
    assert response.status_code == 302
    return response


def code(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_a_new_staff_member_binds_an_authenticator_before_any_admin_page(client, staff, required):
    sign_in(client)
    response = client.get(reverse("wagtailadmin_explore_root"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("two_factor_setup"))
    setup = client.get(response["Location"])
    page = setup.content.decode()
    assert "绑定两步验证" in page and "<svg" in page
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    done = client.post(response["Location"], {"token": code(device), "next": reverse("wagtailadmin_explore_root")})
    assert done.status_code == 302 and done["Location"] == reverse("wagtailadmin_explore_root")
    assert client.get(reverse("wagtailadmin_home")).status_code == 200
    assert TOTPDevice.objects.get(user=staff).confirmed
    assert AuditEvent.objects.filter(action="two_factor_device_added", object_id=str(staff.pk)).exists()


def test_a_wrong_code_keeps_the_person_out_with_a_clear_message(client, staff, required):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    sign_in(client)
    verify = client.get(reverse("wagtailadmin_home"))
    assert verify["Location"].startswith(reverse("two_factor_verify"))
    wrong = client.post(reverse("two_factor_verify"), {"token": "000000" if code(device) != "000000" else "111111"})
    assert wrong.status_code == 400 and "验证码不正确" in wrong.content.decode()
    assert client.get(reverse("wagtailadmin_home")).status_code == 302
    assert AuditEvent.objects.filter(action="two_factor_failed").count() == 1
    not_digits = client.post(reverse("two_factor_verify"), {"token": "abc"})
    assert "6 位数字" in not_digits.content.decode()


def test_the_right_code_lets_the_person_in(client, staff, required):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    sign_in(client)
    response = client.post(reverse("two_factor_verify"), {"token": code(device), "next": "/admin/pages/"})
    assert response.status_code == 302 and response["Location"] == "/admin/pages/"
    assert client.get(reverse("wagtailadmin_home")).status_code == 200
    assert AuditEvent.objects.filter(action="two_factor_verified", actor=staff).exists()


def test_next_never_leads_to_another_site(client, staff, required):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    sign_in(client)
    response = client.post(reverse("two_factor_verify"), {"token": code(device), "next": "https://evil.example/"})
    assert response["Location"] == reverse("wagtailadmin_home")


def test_repeated_wrong_codes_are_throttled(client, staff, required):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    sign_in(client)
    wrong = "000000" if code(device) != "000000" else "111111"
    for _ in range(3):
        client.post(reverse("two_factor_verify"), {"token": wrong})
    throttled = client.post(reverse("two_factor_verify"), {"token": code(device)})
    assert "错误次数过多" in throttled.content.decode()
    assert client.get(reverse("wagtailadmin_home")).status_code == 302


def test_a_code_retyped_too_soon_during_setup_says_to_wait(client, staff, required):
    sign_in(client)
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    client.post(reverse("two_factor_setup"), {"token": "000000" if code(device) != "000000" else "111111"})
    throttled = client.post(reverse("two_factor_setup"), {"token": code(device)})
    assert throttled.status_code == 400 and "错误次数过多" in throttled.content.decode()
    assert not TOTPDevice.objects.get(user=staff).confirmed


def test_the_pages_showing_the_secret_are_never_cached(client, staff, required):
    sign_in(client)
    setup = client.get(reverse("two_factor_setup"))
    assert "no-store" in setup["Cache-Control"] and "private" in setup["Cache-Control"]


def test_without_the_requirement_the_admin_opens_after_the_password(client, staff):
    sign_in(client)
    assert client.get(reverse("wagtailadmin_home")).status_code == 200


def test_public_pages_never_ask_for_a_code(client, staff, required, tree):
    sign_in(client)
    assert client.get(tree["station"].url).status_code == 200


def test_production_settings_require_two_factor():
    result = manage(
        "shell", "-c", "from django.conf import settings; print(settings.LIANLUO_REQUIRE_2FA)", env_extra=PRODUCTION_ENV
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("True")


def test_a_lost_phone_is_reset_from_the_command_line_and_audited(staff):
    from io import StringIO

    from django.core.management import call_command

    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    out = StringIO()
    call_command("reset_two_factor", "secretary", stdout=out)
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert "已删除" in out.getvalue()
    assert AuditEvent.objects.get(action="two_factor_device_removed").object_id == str(staff.pk)
