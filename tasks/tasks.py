"""Celery jobs of the task feed: thin wrappers that take ids and call one service."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from pioneer_platform.celery import app


@shared_task(acks_late=True, ignore_result=True)
def announce_project(project_id: int) -> None:
    from tasks.services import project_announce

    project_announce(project_id=project_id)


@shared_task(acks_late=True, ignore_result=True)
def broadcast_remaining(project_id: int) -> None:
    from tasks.services import remaining_broadcast

    remaining_broadcast(project_id=project_id)


@shared_task(acks_late=True, ignore_result=True)
def sweep_reservations() -> None:
    from tasks.services import reservations_reclaim, reservations_warn

    reservations_reclaim()
    reservations_warn()


@app.on_after_finalize.connect
def schedule_sweeps(sender: Any, **kwargs: Any) -> None:
    # Every 15 s: expired reservations return to the pool even on a project nobody claims
    # from (claims also reclaim lazily), and holders hear a minute before they lose an item.
    sender.add_periodic_task(15.0, sweep_reservations.s(), name="tasks: sweep reservations")
