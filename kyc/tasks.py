"""Celery jobs of KYC: thin wrappers that take ids and call one service."""

from __future__ import annotations

from celery import shared_task

from kyc.models import Case
from kyc.services import cases, retention


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
)
def run_checks(case_id: int) -> None:
    cases.case_run_checks(case=Case.objects.get(pk=case_id))


@shared_task(acks_late=True, ignore_result=True)
def purge_documents() -> None:
    retention.documents_purge()


@shared_task(acks_late=True, ignore_result=True)
def requeue_stuck_checks() -> None:
    cases.cases_requeue_stuck_checks()
