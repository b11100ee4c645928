from __future__ import annotations

from typing import Any

from celery import shared_task

from pioneer_platform.celery import app


@shared_task(acks_late=True, ignore_result=True)
def publish_tree_head() -> None:
    from ledger.services import tree_head_publish

    tree_head_publish()


@app.on_after_finalize.connect
def schedule_tree_heads(sender: Any, **kwargs: Any) -> None:
    # A head a minute at most: publishing is a no-op when the tree did not grow.
    sender.add_periodic_task(60.0, publish_tree_head.s(), name="ledger: publish tree head")
