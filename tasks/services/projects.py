"""Projects: create, change settings, publish, pause, close.

A publication is recorded as an audit event the announcement sweep watches over
(`tasks.services.notifications`); the announcement itself is a job sent on commit. Apps
beside tasks hear of it through `tasks.signals.project_published`, inside the same
transaction (community opens the project's chat room there).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.services.sockets import notify_topic
from core.errors import Conflict, Forbidden, InvalidInput
from core.jobs import enqueue_on_commit
from tasks import kinds
from tasks.instructions import render_instructions
from tasks.models import AuditEvent, Item, Kind, Project, State
from tasks.selectors import may_publish
from tasks.signals import project_published, project_renamed

if TYPE_CHECKING:
    from accounts.models import User

MAX_OVERLAP = 50
MAX_TIMEOUT = 24 * 3600
MIN_TIMEOUT = 30
MAX_INSTRUCTIONS = 20_000

# Audit actions the announcement sweep reads: a publication, and its announcement.
PUBLISHED = "project.published"
ANNOUNCED = "project.announced"


def project_spec(project: Project) -> kinds.Spec:
    return kinds.Spec(
        kind=project.kind,
        labels=tuple(project.labels),
        scale_min=project.scale_min,
        scale_max=project.scale_max,
        text_max_length=project.text_max_length,
    )


def audit(project: Project, actor: User | None, action: str, **detail: Any) -> None:
    AuditEvent.objects.create(project=project, actor=actor, action=action, detail=detail)


def _int(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("Give a whole number.", field=field)
    if not low <= value <= high:
        raise InvalidInput(f"Give a number from {low} to {high}.", field=field)
    return value


def _rate(value: Any, field: str, high: float = 1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput("Give a number.", field=field)
    if not 0 <= value <= high:
        raise InvalidInput(f"Give a number from 0 to {high}.", field=field)
    return float(value)


def _clean_fields(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for field, value in values.items():
        if field == "title":
            if not isinstance(value, str) or not value.strip() or len(value.strip()) > 120:
                raise InvalidInput("Give a title of 1 to 120 characters.", field=field)
            cleaned[field] = value.strip()
        elif field == "instructions":
            if not isinstance(value, str) or len(value) > MAX_INSTRUCTIONS:
                raise InvalidInput(f"Use at most {MAX_INSTRUCTIONS} characters.", field=field)
            cleaned[field] = value
        elif field == "labels":
            try:
                cleaned[field] = kinds.clean_labels(kind, value)
            except kinds.AnswerError as error:
                raise InvalidInput(str(error), field=field) from error
        elif field in ("scale_min", "scale_max"):
            cleaned[field] = _int(value, field, -100, 100)
        elif field == "text_max_length":
            cleaned[field] = _int(value, field, 1, 20_000)
        elif field == "overlap":
            cleaned[field] = _int(value, field, 1, MAX_OVERLAP)
        elif field == "reward":
            cleaned[field] = _int(value, field, 0, 10_000)
        elif field == "reservation_timeout":
            cleaned[field] = _int(value, field, MIN_TIMEOUT, MAX_TIMEOUT)
        elif field == "min_level":
            cleaned[field] = _int(value, field, 1, 100)
        elif field == "gold_rate":
            cleaned[field] = _rate(value, field, 0.5)
        elif field == "gold_min_accuracy":
            cleaned[field] = _rate(value, field)
        elif field == "gold_min_answers":
            cleaned[field] = _int(value, field, 1, 1000)
        elif field == "review_rate":
            cleaned[field] = _rate(value, field)
        else:
            raise InvalidInput("Not a field of a project.", field=field)
    return cleaned


def _check_scale(project: Project) -> None:
    if project.kind == Kind.RATING and project.scale_min >= project.scale_max:
        raise InvalidInput("The scale's top must be above its bottom.", field="scale_max")


def project_create(*, owner: User, title: str, kind: str, **fields: Any) -> Project:
    if not may_publish(user=owner):
        raise Forbidden("Only requesters can create projects.")
    if kind not in kinds.KINDS:
        raise InvalidInput(f"Choose one of: {', '.join(kinds.KINDS)}.", field="kind")
    cleaned = _clean_fields(kind, {"title": title, **fields})
    if kind in (Kind.SINGLE_LABEL, Kind.MULTI_LABEL) and "labels" not in cleaned:
        raise InvalidInput("A label project needs at least two labels.", field="labels")
    cleaned.setdefault("review_rate", kinds.default_review_rate(kind))
    project = Project(owner=owner, kind=kind, **cleaned)
    project.instructions_html = render_instructions(project.instructions)
    _check_scale(project)
    with transaction.atomic(durable=True):
        project.save()
        audit(project, owner, "project.created")
    return project


def project_update(*, project: Project, actor: User, **changes: Any) -> Project:
    """Change settings. After publishing, what would change the meaning of answers already
    given is refused with the field named: the kind never changes, labels can only be
    added, the scale and text length are fixed, and overlap can only grow."""
    with transaction.atomic(durable=True):
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if locked.owner_id != actor.pk:
            raise Forbidden("Only the owner can change a project.")
        if locked.state == State.CLOSED:
            raise Conflict("A closed project cannot be changed.")
        if "kind" in changes and changes.pop("kind") != locked.kind:
            raise InvalidInput("The kind cannot change; create a new project.", field="kind")
        cleaned = _clean_fields(locked.kind, changes)
        if locked.published_at is not None:
            if "labels" in cleaned and not set(locked.labels) <= set(cleaned["labels"]):
                raise InvalidInput(
                    "Labels already used by answers cannot be removed or renamed.",
                    field="labels",
                )
            for field in ("scale_min", "scale_max", "text_max_length"):
                if field in cleaned and cleaned[field] != getattr(locked, field):
                    raise InvalidInput("This cannot change after publishing.", field=field)
            if "overlap" in cleaned and cleaned["overlap"] < locked.overlap:
                raise InvalidInput("Overlap can only grow after publishing.", field="overlap")
        old_overlap = locked.overlap
        renamed = "title" in cleaned and cleaned["title"] != locked.title
        for field, value in cleaned.items():
            setattr(locked, field, value)
        if "instructions" in cleaned:
            locked.instructions_html = render_instructions(locked.instructions)
            cleaned["instructions_html"] = locked.instructions_html
        _check_scale(locked)
        if cleaned:
            locked.save(update_fields=list(cleaned))
        if locked.overlap != old_overlap:
            Item.objects.filter(project=locked, is_gold=False).update(
                open_slots=F("open_slots") + (locked.overlap - old_overlap)
            )
        if renamed:
            project_renamed.send(sender=Project, project=locked)
        audit(locked, actor, "project.updated", fields=sorted(cleaned))
    return locked


# The states each target state may be reached from.
SOURCES = {
    State.PUBLISHED: {State.DRAFT, State.PAUSED},
    State.PAUSED: {State.PUBLISHED},
    State.CLOSED: {State.DRAFT, State.PUBLISHED, State.PAUSED},
}


def project_move(*, project: Project, actor: User, target: State) -> Project:
    """Guard, lock, change and record one move of a project's state, inside the caller's
    transaction; a move the table does not allow is a 409."""
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if locked.owner_id != actor.pk:
        raise Forbidden("Only the owner can change a project.")
    if locked.state not in SOURCES[target]:
        raise Conflict(f"A {locked.state} project cannot be {target}.")
    if (
        target == State.PUBLISHED
        and not Item.objects.filter(project=locked, is_gold=False).exists()
    ):
        raise Conflict("Upload at least one item before publishing.")
    first_publish = target == State.PUBLISHED and locked.published_at is None
    locked.state = target
    fields = ["state"]
    if first_publish:
        locked.published_at = timezone.now()
        fields.append("published_at")
    locked.save(update_fields=fields)
    if target == State.PUBLISHED:
        # Marks a publication the announcement sweep watches over (older ones lack it).
        audit(locked, actor, PUBLISHED, announce=True)
        enqueue_on_commit("tasks.tasks.announce_project", locked.pk)
        project_published.send(sender=Project, project=locked, first=first_publish)
    else:
        audit(locked, actor, f"project.{target}")
    notify_topic(
        topic=f"project:{locked.public_id}",
        event={"type": "project.state", "project": str(locked.public_id), "state": target},
    )
    return locked


def project_publish(*, project: Project, actor: User) -> Project:
    """Draft or paused -> published; pioneers who may work it hear about it."""
    with transaction.atomic(durable=True):
        return project_move(project=project, actor=actor, target=State.PUBLISHED)


def project_pause(*, project: Project, actor: User) -> Project:
    with transaction.atomic(durable=True):
        return project_move(project=project, actor=actor, target=State.PAUSED)


def project_close(*, project: Project, actor: User) -> Project:
    with transaction.atomic(durable=True):
        return project_move(project=project, actor=actor, target=State.CLOSED)
