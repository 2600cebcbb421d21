"""Accounts. Roles, street scoping and the audit log build on this user model."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A staff member or deputy who signs in. Citizens never need an account."""

    display_name = models.CharField("显示名称", max_length=60, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = "用户"
        verbose_name_plural = "用户"
        swappable = "AUTH_USER_MODEL"

    def __str__(self):
        return self.display_name or self.get_full_name() or self.username
