"""What pioneers and requesters hear about projects: announcements of new projects,
remaining-count broadcasts, warnings before a reservation expires.

Everything here leaves after commit (`notify_user`, `notify_topic`, jobs by name).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from accounts.models import User
from accounts.services.sockets import notify_topic, notify_user
from core.jobs import enqueue_on_commit
from tasks import conf
from tasks.models import Assignment, AssignmentStatus, AuditEvent, Project, State
from tasks.selectors import may_work_tasks, user_level, with_remaining
from tasks.services.projects import ANNOUNCED, PUBLISHED, audit
from tasks.throttles import REMAINING


def remaining_schedule(*, project: Project) -> None:
    """After a change to a project's open slots: at most once per window per process,
    schedule a broadcast for the window's end. It reads the counts then, so every later
    change in the window is in it, and the hot path asks no shared store. With P
    processes a busy project sends at most P events per window, and the broadcast skips
    counts it already sent."""
    if not REMAINING.due(project.public_id):
        return
    enqueue_on_commit("tasks.tasks.broadcast_remaining", project.pk, countdown=REMAINING.seconds)


def remaining_broadcast(*, project: Project) -> None:
    """Send the project's open items and answer slots to its topic, unless unchanged."""
    counted = with_remaining(Project.objects.filter(pk=project.pk)).first()
    if counted is None:
        return
    counts = [counted.remaining_items, counted.remaining_answers]  # type: ignore[attr-defined]
    sent_key = f"tasks:remaining-sent:{counted.public_id}"
    if cache.get(sent_key) == counts:
        return
    cache.set(sent_key, counts, timeout=3600)
    notify_topic(
        topic=f"project:{counted.public_id}",
        event={
            "type": "project.remaining",
            "project": str(counted.public_id),
            "remaining_items": counts[0],
            "remaining_answers": counts[1],
        },
    )


def reservations_warn(*, now: Any = None) -> int:
    """Tell holders whose reservation ends within the warning window; once each."""
    now = now or timezone.now()
    soon = now + timedelta(seconds=conf.warn_before_expiry())
    warned = 0
    with transaction.atomic(durable=True):
        rows = list(
            Assignment.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("pioneer", "project")
            .filter(
                status=AssignmentStatus.RESERVED,
                warned=False,
                expires_at__gt=now,
                expires_at__lte=soon,
            )[: conf.reclaim_batch()]
        )
        for assignment in rows:
            notify_user(
                user=assignment.pioneer,
                event={
                    "type": "assignment.expiring",
                    "assignment": str(assignment.public_id),
                    "project": str(assignment.project.public_id),
                    "expires_at": assignment.expires_at.isoformat(),
                    "message": f"Your item on “{assignment.project.title}” is about to expire.",
                },
            )
            warned += 1
        Assignment.objects.filter(pk__in=[row.pk for row in rows]).update(warned=True)
    return warned


def _publication_events(project: Any) -> QuerySet[AuditEvent]:
    """A project's publications and announcements, latest first (both are written under
    the project's row lock, so their ids are in the order they happened)."""
    return AuditEvent.objects.filter(project=project, action__in=[PUBLISHED, ANNOUNCED]).order_by(
        "-pk"
    )


def project_announce(*, project: Project) -> int:
    """Tell every pioneer who may work a newly published project (a Celery job fans out).

    Once per publication, however often the job is delivered (again by the broker after a
    lost worker, or by the sweep): the announcement is recorded under the project's row
    lock, and the messages leave when that commits."""
    with transaction.atomic(durable=True):
        locked = (
            Project.objects.select_for_update().filter(pk=project.pk, state=State.PUBLISHED).first()
        )
        if locked is None:
            return 0
        if _publication_events(locked).values_list("action", flat=True).first() != PUBLISHED:
            return 0
        audit(locked, None, ANNOUNCED)
        told = 0
        people = (
            User.objects.filter(verified_at__isnull=False, is_active=True)
            .filter(groups__permissions__codename="work_tasks")
            .distinct()
        )
        for person in people.iterator(chunk_size=500):
            if not may_work_tasks(user=person) or locked.min_level > user_level(user=person):
                continue
            notify_user(
                user=person,
                event={
                    "type": "project.published",
                    "project": str(locked.public_id),
                    "title": locked.title,
                    "reward": locked.reward,
                    "message": f"New project: {locked.title}",
                },
            )
            told += 1
    return told


def projects_announce_stuck(*, older_than: timedelta | None = None, limit: int = 100) -> int:
    """Send the announcement job again for publications still unannounced past the
    deadline (periodic sweep): the broker was down at publish time, or a worker died
    holding the job. A second delivery is harmless (`project_announce` runs once per
    publication), so this keeps no record of its own."""
    if older_than is None:
        older_than = timedelta(seconds=settings.JOBS_DEADLINE_SECONDS)
    cutoff = timezone.now() - older_than
    pending = AuditEvent.objects.filter(
        pk=OuterRef("latest_event"), action=PUBLISHED, detail__announce=True, created_at__lt=cutoff
    )
    stuck = list(
        Project.objects.filter(state=State.PUBLISHED)
        .annotate(latest_event=Subquery(_publication_events(OuterRef("pk")).values("pk")[:1]))
        .filter(Exists(pending))
        .values_list("pk", flat=True)[:limit]
    )
    for project_id in stuck:
        enqueue_on_commit("tasks.tasks.announce_project", project_id)
    return len(stuck)
