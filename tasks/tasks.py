"""Celery jobs of the task feed: thin wrappers that take ids and call one service."""

from __future__ import annotations

from celery import shared_task

from tasks import services


@shared_task(acks_late=True, ignore_result=True)
def announce_project(project_id: int) -> None:
    services.project_announce(project_id=project_id)


@shared_task(acks_late=True, ignore_result=True)
def broadcast_remaining(project_id: int) -> None:
    services.remaining_broadcast(project_id=project_id)


@shared_task(acks_late=True, ignore_result=True)
def sweep_reservations() -> None:
    services.reservations_reclaim()
    services.reservations_warn()


@shared_task(acks_late=True, ignore_result=True)
def announce_stuck_projects() -> None:
    services.projects_announce_stuck()
