from django.apps import AppConfig


class LegislationConfig(AppConfig):
    """Grassroots legislative contact points (基层立法联系点): drafts sent down for comment,
    the comments, their compilation and the adoption fed back to each commenter."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "legislation"
    verbose_name = "立法征询"

    def ready(self):
        # The processes register themselves when imported; the public views add the drafts'
        # routes and the contact point's section of its station page; the demo registers the
        # clearing of its consultations before the demo district is reset.
        from base import pagecache
        from content.page_purge import page_paths, watch_station_section
        from legislation import comments, consultations, demo, public_views  # noqa: F401
        from legislation.models import Article, Comment, CompiledOpinion, Consultation, DraftPage

        # A draft's pages show its consultation's state, its public comments and the compiled
        # opinions with their adoption; the contact point's page lists its drafts by state.
        def draft_paths(consultation_id):
            return page_paths(DraftPage.objects.filter(consultation__pk=consultation_id))

        watch_station_section(Consultation, uid="legislation.consultation", extra=lambda c: draft_paths(c.pk))
        for model in (Article, Comment, CompiledOpinion):
            pagecache.watch(model, lambda row: draft_paths(row.consultation_id), uid=f"legislation.{model.__name__}")
