"""Celery jobs of the task feed: thin wrappers that take ids, re-fetch and call one service."""

from __future__ import annotations

from celery import shared_task

from tasks.models import Project
from tasks.services import feed, notifications


@shared_task(acks_late=True, ignore_result=True)
def announce_project(project_id: int) -> None:
    project = Project.objects.filter(pk=project_id).first()
    if project is not None:
        notifications.project_announce(project=project)


@shared_task(acks_late=True, ignore_result=True)
def broadcast_remaining(project_id: int) -> None:
    project = Project.objects.filter(pk=project_id).first()
    if project is not None:
        notifications.remaining_broadcast(project=project)


@shared_task(acks_late=True, ignore_result=True)
def sweep_reservations() -> None:
    feed.reservations_reclaim()
    notifications.reservations_warn()


@shared_task(acks_late=True, ignore_result=True)
def announce_stuck_projects() -> None:
    notifications.projects_announce_stuck()
