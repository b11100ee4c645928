from __future__ import annotations

from typing import Any

from celery import shared_task

from pioneer_platform.celery import app


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
)
def run_checks(case_id: int) -> None:
    from kyc.services import case_run_checks

    case_run_checks(case_id=case_id)


@shared_task(acks_late=True, ignore_result=True)
def purge_documents() -> None:
    from kyc.services import documents_purge

    documents_purge()


@app.on_after_finalize.connect
def schedule_purge(sender: Any, **kwargs: Any) -> None:
    sender.add_periodic_task(
        3600.0, purge_documents.s(), name="kyc: purge documents past retention"
    )
