"""Two-factor sign-in (两步验证, TOTP) for everyone who reaches the admin, with django-otp.

When `LIANLUO_REQUIRE_2FA` is on (always in production settings), a signed-in person whose
session is not yet verified with a one-time code is sent, for any /admin/ or /e/ (代表e站) page, to
- 绑定 (setup) if they have no confirmed authenticator yet: a QR code and the secret in text
  for an authenticator app, confirmed by entering one code; or
- 验证 (verify) otherwise: one 6-digit code from the app.
django-otp throttles wrong codes per device. Every setup, success and failure is audited.
"""

from __future__ import annotations

from base64 import b32encode
from urllib.parse import urlencode

from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from base import audit
from content.qr import qr_svg_markup
from permissions.models import AccountAction

# Admin paths a person who has not passed the second step may still use.
EXEMPT_URL_NAMES = {
    "wagtailadmin_login",
    "wagtailadmin_logout",
    "wagtailadmin_password_reset",
    "wagtailadmin_javascript_catalog",
    "two_factor_setup",
    "two_factor_verify",
}

# The admin and the deputies' portal (代表e站) ask for the second step alike.
GUARDED_ROUTES = ("admin/", "e/")

# django-otp doubles the wait after each wrong code (1 s, 2 s, 4 s, ...) per device.
THROTTLED_MESSAGE = "错误次数过多，请稍等片刻再试。"


def required() -> bool:
    return bool(getattr(settings, "LIANLUO_REQUIRE_2FA", False))


class RequireTwoFactorMiddleware:
    """Sends unverified sessions from the admin to the setup or verify page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not required():
            return None
        user = getattr(request, "user", None)
        match = getattr(request, "resolver_match", None)
        if user is None or not user.is_authenticated or match is None:
            return None
        if not match.route.startswith(GUARDED_ROUTES) or match.view_name in EXEMPT_URL_NAMES:
            return None
        if match.view_name.startswith("wagtailadmin_password_reset"):
            return None
        if user.is_verified():
            return None
        target = "two_factor_verify" if user_has_device(user, confirmed=True) else "two_factor_setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")


class TokenForm(forms.Form):
    token = forms.RegexField(
        label="动态验证码",
        regex=r"^\d{6}$",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6}),
        error_messages={"required": "请输入 6 位动态验证码。", "invalid": "动态验证码是 6 位数字。"},
    )


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("wagtailadmin_home")


def _check_code(request, devices, *, step: str, wrong: str):
    """The code form, and the device that accepted the code posted (None if none did).

    Every failure is audited; django-otp's per-device throttle answers for repeated ones."""
    form = TokenForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return form, None
    token = form.cleaned_data["token"]
    throttled = all(not device.verify_is_allowed()[0] for device in devices)
    matched = None if throttled else next((device for device in devices if device.verify_token(token)), None)
    if matched is None:
        audit.record(AccountAction.TWO_FACTOR_FAILED, request=request, obj=request.user, step=step)
        form.add_error("token", THROTTLED_MESSAGE if throttled else wrong)
    return form, matched


def _page(request, template: str, form, context: dict):
    status = 400 if form.is_bound and form.errors else 200
    return render(request, template, {"form": form, "next": _next_url(request), **context}, status=status)


@never_cache
@login_required(login_url="wagtailadmin_login")
@require_http_methods(["GET", "POST"])
def setup(request):
    """Bind an authenticator app: show the QR code and secret, confirm with one code."""
    if user_has_device(request.user, confirmed=True):
        return redirect(f"{reverse('two_factor_verify')}?{urlencode({'next': _next_url(request)})}")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="身份验证器", confirmed=False)
    form, matched = _check_code(request, [device], step="setup", wrong="验证码不正确，请确认手机时间准确后重新输入。")
    if matched is not None:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        otp_login(request, device)
        audit.record(AccountAction.TWO_FACTOR_DEVICE_ADDED, request=request, obj=request.user)
        return redirect(_next_url(request))
    secret = b32encode(device.bin_key).decode().rstrip("=")
    qr_svg = qr_svg_markup(device.config_url, scale=5)
    return _page(request, "permissions/two_factor/setup.html", form, {"qr_svg": qr_svg, "secret": secret})


@never_cache
@login_required(login_url="wagtailadmin_login")
@require_http_methods(["GET", "POST"])
def verify(request):
    """The second step of signing in: one code from the bound authenticator app."""
    devices = list(TOTPDevice.objects.filter(user=request.user, confirmed=True))
    if not devices:
        return redirect(f"{reverse('two_factor_setup')}?{urlencode({'next': _next_url(request)})}")
    form, matched = _check_code(request, devices, step="verify", wrong="验证码不正确，请重新输入。")
    if matched is not None:
        otp_login(request, matched)
        audit.record(AccountAction.TWO_FACTOR_VERIFIED, request=request, obj=request.user)
        return redirect(_next_url(request))
    return _page(request, "permissions/two_factor/verify.html", form, {})
