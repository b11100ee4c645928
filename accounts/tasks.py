"""Celery jobs of the accounts app: thin wrappers that take ids and call one service.
The periodic ones are declared in settings.CELERY_BEAT_SCHEDULE."""

from __future__ import annotations

from celery import shared_task

from accounts.services.notifications import notification_email, notifications_purge


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
)
def email_notification(notification_id: int) -> None:
    notification_email(notification_id=notification_id)


@shared_task(acks_late=True, ignore_result=True)
def purge_read_notifications() -> None:
    notifications_purge()
