from django.apps import AppConfig


class SuggestionsConfig(AppConfig):
    """Deputy suggestions (代表建议): drafting with co-signers, pre-review, filing, and on."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "suggestions"
    verbose_name = "代表建议"

    def ready(self):
        # Each stage adds its transitions to the declared processes when imported.
        from suggestions import assignment, publication, replies, supervision  # noqa: F401
