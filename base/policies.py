"""Permission policies for the Wagtail admin, and the one place a model's row scope is written.

A street- or station-owned model registers a `ScopedPermissionPolicy` with its scope (a
function of queryset and user, normally built on `base.roles.roles_of`) in its app's
`wagtail_hooks.py`. Every part of the admin reads the scope from Wagtail's policy
registry: the listings and choosers of `base.viewsets`, the object views and bulk actions
guarded by `permissions.admin_scope`, and Wagtail's own buttons and usage views, which ask
the policy about an instance.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from wagtail import hooks
from wagtail.permission_policies.base import ModelPermissionPolicy
from wagtail.permissions import policy_registry

ANY_ACTION = frozenset({"add", "change", "delete", "view", "choose"})


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
    """Model permissions, further limited per row by the model's scope.

    `scope(queryset, user)` returns the rows of `queryset` the user may reach.
    """

    def __init__(self, model, scope, auth_model=None):
        super().__init__(model, auth_model=auth_model)
        self.scope = scope

    def in_scope(self, user, instance) -> bool:
        return self.pk_in_scope(user, instance.pk)

    def pk_in_scope(self, user, pk) -> bool:
        """Whether the row with this id is in the user's scope (no such row: it is not)."""
        return self.scope(self.model._default_manager.filter(pk=pk), user).exists()

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and self.in_scope(user, instance)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return self.user_has_any_permission(user, actions) and self.in_scope(user, instance)

    def instances_user_has_any_permission_for(self, user, actions):
        return self.scope(super().instances_user_has_any_permission_for(user, actions), user)


class TransitionsOnlyPermissionPolicy(ScopedPermissionPolicy):
    """A process's rows (an opinion, a request) are never edited or deleted as rows: they
    change only through their declared transitions. `created_elsewhere`: rows are never
    added in the admin either (a deputy's discussion topic, a resident's reply)."""

    def __init__(self, model, scope, auth_model=None, *, created_elsewhere: bool = False):
        super().__init__(model, scope, auth_model=auth_model)
        self.refused = ("add", "change", "delete") if created_elsewhere else ("change", "delete")

    def user_has_permission(self, user, action):
        if action in self.refused:
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


def policy_for(model):
    """The model's registered policy. Policies are registered in the apps' wagtail_hooks
    modules, so those are loaded first (asking earlier would fix Wagtail's fallback policy)."""
    hooks.search_for_hooks()
    return policy_registry.get_by_type(model)


def scoped(queryset, user):
    """`queryset` limited by its model's registered scope (unscoped models: unchanged)."""
    policy = policy_for(queryset.model)
    if isinstance(policy, ScopedPermissionPolicy):
        return policy.scope(queryset, user)
    return queryset


def may_reach(user, instance) -> bool:
    """Whether the user may reach this row at all (any action, inside its model's scope)."""
    policy = policy_for(type(instance))
    return policy.user_has_any_permission_for_instance(user, ANY_ACTION, instance)
