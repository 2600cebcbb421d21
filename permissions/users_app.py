"""Wagtail's users app, with user and group screens the auditor may read.

Its own module: a second AppConfig in permissions/apps.py would stop Django from picking
PermissionsConfig for the "permissions" entry of INSTALLED_APPS.
"""

from wagtail.users.apps import WagtailUsersAppConfig


class UsersConfig(WagtailUsersAppConfig):
    """wagtail.users; its user and group history and usage screens open for the auditor."""

    user_viewset = "permissions.viewsets.UserViewSet"
    group_viewset = "permissions.viewsets.GroupViewSet"
