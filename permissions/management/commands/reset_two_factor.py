"""python manage.py reset_two_factor <username>: remove someone's authenticator (lost phone)."""

from django_otp.plugins.otp_totp.models import TOTPDevice

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from base import audit
from permissions.models import AccountAction


class Command(BaseCommand):
    help = "删除某人已绑定的两步验证设备（手机丢失时），其下次登录重新绑定。Remove a person's TOTP devices."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"没有用户 {username}。No such user.")
        removed, _ = TOTPDevice.objects.filter(user=user).delete()
        audit.record(AccountAction.TWO_FACTOR_DEVICE_REMOVED, obj=user, username="manage.py", devices=removed)
        self.stdout.write(f"已删除 {username} 的 {removed} 个两步验证设备；下次登录时重新绑定。")
