from __future__ import annotations

from celery import shared_task

from ledger import services


@shared_task(acks_late=True, ignore_result=True)
def publish_tree_head() -> None:
    services.tree_head_publish()
