"""Celery jobs of the community app: thin wrappers that take ids and call one service.
The periodic ones are declared in settings.CELERY_BEAT_SCHEDULE."""

from __future__ import annotations

from celery import shared_task

from community.services import announcements, mail, registrations, workshops


@shared_task(acks_late=True, ignore_result=True)
def expire_offers() -> None:
    registrations.offers_expire()


@shared_task(acks_late=True, ignore_result=True)
def send_reminders() -> None:
    mail.reminders_send()


@shared_task(acks_late=True, ignore_result=True)
def finish_workshops() -> None:
    workshops.workshops_finish()


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
)
def mail_registration(registration_id: int, kind: str) -> None:
    mail.registration_mail_send(registration_id=registration_id, kind=kind)


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
)
def announce_registration(registration_id: int, kind: str) -> None:
    announcements.registration_announce(registration_id=registration_id, kind=kind)


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
)
def announce_workshop(workshop_id: int, kind: str) -> None:
    announcements.workshop_announce(workshop_id=workshop_id, kind=kind)
