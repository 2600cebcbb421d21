"""Admin of livelihood projects (民生实事): the audit actions, for now."""

from wagtail import hooks

from livelihood.models import LivelihoodAction


@hooks.register("register_audit_actions")
def register_audit_actions(registry):
    registry.register_choices(LivelihoodAction)
