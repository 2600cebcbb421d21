"""Admin registration of the open interfaces: the Open311 API keys and their audit actions."""

from wagtail import hooks

from api.admin_views import NAMESPACE, ApiKeyViewSet
from api.models import Open311Action


@hooks.register("register_audit_actions")
def register_audit_actions(actions):
    actions.register_choices(Open311Action)


@hooks.register("register_admin_viewset")
def register_api_key_viewset():
    return ApiKeyViewSet(NAMESPACE, url_prefix="open311-keys")
