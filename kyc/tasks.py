"""Celery jobs of KYC: thin wrappers that take ids and call one service."""

from __future__ import annotations

from celery import shared_task

from kyc import services


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
)
def run_checks(case_id: int) -> None:
    services.case_run_checks(case_id=case_id)


@shared_task(acks_late=True, ignore_result=True)
def purge_documents() -> None:
    services.documents_purge()


@shared_task(acks_late=True, ignore_result=True)
def requeue_stuck_checks() -> None:
    services.cases_requeue_stuck_checks()
