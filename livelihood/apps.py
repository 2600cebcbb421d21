from django.apps import AppConfig


class LivelihoodConfig(AppConfig):
    """Livelihood projects decided by the deputies' vote (民生实事项目票决)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "livelihood"
    verbose_name = "民生实事"

    def ready(self):
        # The processes register themselves (and their audit actions' timelines) when imported;
        # the public views add the rounds collecting nominations to every station page; the demo
        # registers the clearing of its rounds before the demo district is reset.
        from base import pagecache
        from livelihood import demo, implementation, nominations, public_views, rounds  # noqa: F401
        from livelihood.models import ProjectRound

        # Rounds collecting nominations are offered on every station page (of a street, or all).
        pagecache.watch_everything(ProjectRound, uid="livelihood.round")
