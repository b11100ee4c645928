"""Celery jobs of the reputation app: thin wrappers that take ids, re-fetch and call one
service each. The periodic ones are declared in settings.CELERY_BEAT_SCHEDULE."""

from __future__ import annotations

from celery import shared_task

from accounts.models import User
from reputation.services import batches, reviews, rings, scores


@shared_task(acks_late=True, ignore_result=True)
def recompute_scores() -> None:
    scores.scores_recompute()


@shared_task(acks_late=True, ignore_result=True)
def commit_event_batches() -> None:
    # Drain the backlog a batch at a time, each in its own transaction.
    while batches.batch_commit() is not None:
        pass


@shared_task(acks_late=True, ignore_result=True)
def check_pair(first_id: int, second_id: int) -> None:
    people = {user.pk: user for user in User.objects.filter(pk__in=[first_id, second_id])}
    if len(people) == 2:
        rings.rings_check_pair(first=people[first_id], second=people[second_id])


@shared_task(acks_late=True, ignore_result=True)
def sweep_review_reservations() -> None:
    reviews.review_reservations_reclaim()


@shared_task(acks_late=True, ignore_result=True)
def detect_rings() -> None:
    rings.rings_detect()
