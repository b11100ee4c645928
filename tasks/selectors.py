"""Reads of task data, permission-filtered: who may see and work which project."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from core.errors import Forbidden, NotFound
from reputation.selectors import standing as reputation_standing
from tasks.models import (
    Answer,
    Assignment,
    AssignmentStatus,
    Credit,
    GoldScore,
    Item,
    Project,
    State,
)

if TYPE_CHECKING:
    from accounts.models import User


def user_level(*, user: User) -> int:
    """The person's reputation level (1 = newcomer), from the reputation app."""
    return int(reputation_standing.user_level(user=user))


def may_work_tasks(*, user: User) -> bool:
    return bool(user.is_authenticated and user.is_verified and user.has_perm("accounts.work_tasks"))


def may_publish(*, user: User) -> bool:
    return bool(user.is_authenticated and user.has_perm("accounts.publish_projects"))


def _parse_id(value: Any) -> UUID:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError as error:
        raise NotFound("No such project.") from error


def with_remaining(queryset: QuerySet[Project]) -> QuerySet[Project]:
    """Annotate open answer slots and open items, read off the partial index of open items."""
    open_items = Item.objects.filter(project=OuterRef("pk"), is_gold=False, open_slots__gt=0)
    return queryset.annotate(
        remaining_answers=Coalesce(
            Subquery(
                open_items.values("project").annotate(total=Sum("open_slots")).values("total")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        ),
        remaining_items=Coalesce(
            Subquery(
                open_items.values("project").annotate(total=Count("pk")).values("total")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        ),
    )


def feed_projects(*, user: User) -> QuerySet[Project]:
    """Published projects this pioneer may work; 403 when they may not work at all."""
    if not may_work_tasks(user=user):
        raise Forbidden("Verify your identity to work on tasks.")
    level = user_level(user=user)
    return with_remaining(
        Project.objects.filter(state=State.PUBLISHED, min_level__lte=level).exclude(
            gold_scores__pioneer=user, gold_scores__paused_at__isnull=False
        )
    )


def feed_project(*, user: User, public_id: Any) -> Project:
    """One project of the pioneer's feed (404 when it is not in it), for the card a live
    announcement adds to an open feed page."""
    project = feed_projects(user=user).filter(public_id=_parse_id(public_id)).first()
    if project is None:
        raise NotFound("No such project in your feed.")
    return project


def owner_projects(*, user: User) -> QuerySet[Project]:
    if not may_publish(user=user):
        raise Forbidden("Only requesters have projects.")
    return with_remaining(Project.objects.filter(owner=user))


def project_for_owner(*, user: User, public_id: Any) -> Project:
    """The owner's project; anyone else's looks like no project at all (404)."""
    project = (
        with_remaining(Project.objects.filter(public_id=_parse_id(public_id), owner=user))
        .select_related("owner")
        .first()
    )
    if project is None or not may_publish(user=user):
        raise NotFound("No such project.")
    return project


def project_for_pioneer(*, user: User, public_id: Any) -> Project:
    """A project the pioneer may work: 404 when not published, 403 when they may not."""
    project = Project.objects.filter(public_id=_parse_id(public_id)).first()
    if project is None or project.state not in (State.PUBLISHED, State.PAUSED):
        raise NotFound("No such project.")
    check_may_work(user=user, project=project)
    return project


def check_eligible(*, user: User, project: Project) -> None:
    """Verified, allowed to work tasks, and at the project's level (everyone is at least
    level 1, so the reputation lookup is needed only above it)."""
    if not may_work_tasks(user=user):
        raise Forbidden("Verify your identity to work on tasks.")
    if project.min_level > 1 and project.min_level > user_level(user=user):
        raise Forbidden(f"This project needs reputation level {project.min_level}.")


def check_may_work(*, user: User, project: Project) -> None:
    check_eligible(user=user, project=project)
    if GoldScore.objects.filter(project=project, pioneer=user, paused_at__isnull=False).exists():
        raise Forbidden("You are paused on this project: your gold accuracy is too low.")


def can_watch_project(user: User, key: str) -> bool:
    """Topic check for `project:<public id>`: its owner, or a pioneer who may work it."""
    try:
        project = Project.objects.filter(public_id=UUID(key)).first()
    except ValueError:
        return False
    if project is None:
        return False
    if project.owner_id == user.pk:
        return True
    if project.state != State.PUBLISHED:
        return False
    return may_work_tasks(user=user) and project.min_level <= user_level(user=user)


def assignment_for_pioneer(*, user: User, public_id: Any) -> Assignment:
    """The pioneer's own assignment; someone else's is a 404, not a 403."""
    try:
        key = _parse_id(public_id)
    except NotFound as error:
        raise NotFound("No such assignment.") from error
    assignment = (
        Assignment.objects.select_related("item", "project")
        .filter(public_id=key, pioneer=user)
        .first()
    )
    if assignment is None:
        raise NotFound("No such assignment.")
    return assignment


def live_assignment(*, user: User, project: Project) -> Assignment | None:
    return (
        Assignment.objects.select_related("item", "project")
        .filter(
            project=project,
            pioneer=user,
            status=AssignmentStatus.RESERVED,
            expires_at__gt=timezone.now(),
        )
        .first()
    )


def credit_balance(*, user: User) -> int:
    return int(Credit.objects.filter(pioneer=user).aggregate(total=Sum("points"))["total"] or 0)


def gold_score(*, user: User, project: Project) -> GoldScore | None:
    return GoldScore.objects.filter(project=project, pioneer=user).first()


ITEMS_SHOWN = 100


def project_items_shown(*, project: Project, limit: int = ITEMS_SHOWN) -> list[Item]:
    """The project's first items in upload order, each with its answers and open
    reservations counted (in the same query, so the page does not grow with rows) and a
    `state` in words."""
    answers = (
        Answer.objects.filter(item=OuterRef("pk"))
        .values("item")
        .annotate(total=Count("pk"))
        .values("total")[:1]
    )
    reserved = (
        Assignment.objects.filter(item=OuterRef("pk"), status=AssignmentStatus.RESERVED)
        .values("item")
        .annotate(total=Count("pk"))
        .values("total")[:1]
    )
    rows: list[Item] = list(
        Item.objects.filter(project=project)
        .annotate(
            answer_count=Coalesce(Subquery(answers, output_field=IntegerField()), Value(0)),
            reserved_count=Coalesce(Subquery(reserved, output_field=IntegerField()), Value(0)),
        )
        .order_by("pk")[:limit]
    )
    for item in rows:
        item.preview = json.dumps(item.payload, ensure_ascii=False)  # type: ignore[attr-defined]
        if item.is_gold:
            item.state = "gold"  # type: ignore[attr-defined]
        elif item.open_slots > 0:
            item.state = "open"  # type: ignore[attr-defined]
        elif item.reserved_count:  # type: ignore[attr-defined]
            item.state = "being answered"  # type: ignore[attr-defined]
        else:
            item.state = "complete"  # type: ignore[attr-defined]
    return rows


def project_item_counts(*, project: Project) -> dict[str, int]:
    counts = Item.objects.filter(project=project).aggregate(
        items=Count("pk", filter=Q(is_gold=False)), gold=Count("pk", filter=Q(is_gold=True))
    )
    return {"items": counts["items"] or 0, "gold": counts["gold"] or 0}


@dataclass(frozen=True)
class WorkSummary:
    answers: int
    projects: int
    points: int
    reserved: int  # items reserved for the person right now


def pioneer_work_summary(*, user: User) -> WorkSummary:
    """What a pioneer has done: two aggregate queries, whatever the history's length."""
    answers = Answer.objects.filter(pioneer=user).aggregate(
        answers=Count("pk"), projects=Count("project", distinct=True)
    )
    reserved = Assignment.objects.filter(
        pioneer=user, status=AssignmentStatus.RESERVED, expires_at__gt=timezone.now()
    ).count()
    return WorkSummary(
        answers=answers["answers"],
        projects=answers["projects"],
        points=credit_balance(user=user),
        reserved=reserved,
    )


def requester_progress(*, user: User) -> QuerySet[Project]:
    """The requester's projects, newest first, with their item count and what is left."""
    items = Item.objects.filter(project=OuterRef("pk"), is_gold=False)
    return (
        owner_projects(user=user)
        .annotate(
            total_items=Coalesce(
                Subquery(
                    items.values("project").annotate(total=Count("pk")).values("total")[:1],
                    output_field=IntegerField(),
                ),
                Value(0),
            )
        )
        .order_by("-created_at", "-pk")
    )


def credits_of(*, user: User) -> QuerySet[Credit]:
    """Every credit of a person, newest first, with its project in the same query."""
    return (
        Credit.objects.filter(pioneer=user).select_related("project").order_by("-created_at", "-pk")
    )


def credit_totals_by_project(*, user: User) -> list[dict[str, Any]]:
    """Points and credits per project, most points first."""
    return list(
        Credit.objects.filter(pioneer=user)
        .values("project__public_id", "project__title")
        .annotate(points=Sum("points"), credits=Count("pk"))
        .order_by("-points", "project__title")
    )


def credit_totals_by_month(*, user: User) -> list[dict[str, Any]]:
    """Points and credits per calendar month (UTC), newest month first."""
    return list(
        Credit.objects.filter(pioneer=user)
        .annotate(month=TruncMonth("created_at", tzinfo=datetime.UTC))
        .values("month")
        .annotate(points=Sum("points"), credits=Count("pk"))
        .order_by("-month")
    )


def personal_data_export(*, user: User) -> dict[str, object]:
    """What the tasks app holds about a person, for a data-access request: their answers
    and their credits, each with its project. Two queries."""
    answers = (
        Answer.objects.filter(pioneer=user)
        .select_related("project", "item")
        .order_by("created_at", "pk")
    )
    return {
        "answers": [
            {
                "project": str(answer.project.public_id),
                "project_title": answer.project.title,
                "item": str(answer.item.public_id),
                "value": answer.value,
                "gold": answer.is_gold,
                "gold_correct": answer.gold_correct,
                "at": answer.created_at.isoformat(),
            }
            for answer in answers.iterator(chunk_size=2000)
        ],
        "credits": [
            {
                "project": str(credit.project.public_id),
                "points": credit.points,
                "reason": credit.reason,
                "at": credit.created_at.isoformat(),
            }
            for credit in credits_of(user=user).iterator(chunk_size=2000)
        ],
    }


def projects_worked_by(*, user: User) -> QuerySet[Project]:
    """Projects the person has had at least one item of (any outcome): the people of a
    project's chat room, besides its requester."""
    return Project.objects.filter(
        pk__in=Assignment.objects.filter(pioneer=user).values("project_id")
    )
