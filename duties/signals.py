"""Opinions saved by the workflows app become duty records of the deputy who received them
(duties.automatic). A signal, because workflows sits below duties and knows nothing of it."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from duties import automatic
from workflows.models import Opinion, OpinionState


@receiver(post_save, sender=Opinion, dispatch_uid="duties_opinion_records")
def record_opinion_duties(sender, instance, created, raw=False, **kwargs):
    if raw or instance.received_by_deputy_id is None:
        return
    if created:
        transaction.on_commit(lambda: automatic.opinion_received(instance))
    elif instance.state == OpinionState.CLOSED:
        transaction.on_commit(lambda: automatic.opinion_closed(instance))
