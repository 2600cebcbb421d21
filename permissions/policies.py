"""Permission policies for the Wagtail admin (registered in wagtail_hooks.py)."""

from django.contrib.auth import get_user_model

from wagtail.permission_policies.base import ModelPermissionPolicy


class ReadOnlyPermissionPolicy(ModelPermissionPolicy):
    """Only "view" can ever be granted — not even a superuser may add, change or delete."""

    read_actions = frozenset({"view"})

    def user_has_permission(self, user, action):
        return action in self.read_actions and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        allowed = [action for action in actions if action in self.read_actions]
        if not allowed:
            return get_user_model().objects.none()
        return super().users_with_any_permission(allowed)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return self.user_has_any_permission(user, actions)


class ScopedPermissionPolicy(ModelPermissionPolicy):
    """Model permissions, further limited per row by a scope (see permissions.scoping).

    Registered for street- and station-owned models so that every part of the admin that
    asks the policy registry about an instance (bulk actions, choosers, buttons, usage)
    gets the same answer as the scoped listings.
    """

    def __init__(self, model, scope, auth_model=None):
        super().__init__(model, auth_model=auth_model)
        self.scope = scope  # callable(queryset, user) -> queryset

    def _in_scope(self, user, instance) -> bool:
        return self.scope(self.model._default_manager.filter(pk=instance.pk), user).exists()

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and self._in_scope(user, instance)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return self.user_has_any_permission(user, actions) and self._in_scope(user, instance)

    def instances_user_has_any_permission_for(self, user, actions):
        return self.scope(super().instances_user_has_any_permission_for(user, actions), user)
