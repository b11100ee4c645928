"""Celery jobs of the reputation app: thin wrappers around one service each. The periodic
ones are declared in settings.CELERY_BEAT_SCHEDULE."""

from __future__ import annotations

from celery import shared_task

from reputation import services


@shared_task(acks_late=True, ignore_result=True)
def recompute_scores() -> None:
    services.scores_recompute()


@shared_task(acks_late=True, ignore_result=True)
def commit_event_batches() -> None:
    # Drain the backlog a batch at a time, each in its own transaction.
    while services.batch_commit() is not None:
        pass
