"""Reads of workshops, permission-filtered: who may see, host, manage and register."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from community.models import CalendarFeed, Registration, Workshop
from community.models.workshops import (
    ACTIVE_STATUSES,
    Attendance,
    Audience,
    RegistrationStatus,
    WorkshopStatus,
)
from core.errors import Forbidden, InvalidInput, NotFound
from reputation.selectors.standing import has_privilege, user_level

if TYPE_CHECKING:
    from accounts.models import User

SCOPES = ("upcoming", "mine", "past", "hosting")


def is_moderator(user: User) -> bool:
    return bool(user.is_authenticated and user.has_perm("accounts.moderate_community"))


def may_host(user: User) -> bool:
    """Moderators, and people whose reputation unlocked hosting."""
    return is_moderator(user) or has_privilege(user, "host_workshops")


def is_host(user: User, workshop: Workshop) -> bool:
    if not user.is_authenticated:
        return False
    cached = getattr(workshop, "_prefetched_objects_cache", {}).get("hosts")
    if cached is not None:
        return any(host.pk == user.pk for host in cached)
    return workshop.hosts.filter(pk=user.pk).exists()


def may_manage(user: User, workshop: Workshop) -> bool:
    """Hosts edit their own workshops; moderators any."""
    return is_moderator(user) or is_host(user, workshop)


def registration_refusal(user: User, workshop: Workshop, *, level: int | None = None) -> str | None:
    """Why `user` may not register for `workshop` (their side only), or None."""
    if workshop.audience == Audience.VERIFIED and not user.is_verified:
        return "Only identity-verified members may register: verify your identity first."
    if workshop.audience == Audience.LEVEL:
        level = user_level(user=user) if level is None else level
        if level < workshop.min_level:
            return (
                f"This workshop needs reputation level {workshop.min_level}; "
                f"you are at level {level}."
            )
    return None


def parse_id(value: Any, *, what: str = "workshop") -> UUID:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError as error:
        raise NotFound(f"No such {what}.") from error


def workshops_visible(*, user: User) -> QuerySet[Workshop]:
    """Everything but drafts, plus the drafts this person hosts (moderators see all)."""
    queryset = Workshop.objects.all()
    if is_moderator(user):
        return queryset
    hosted = Workshop.hosts.through.objects.filter(user=user).values("workshop")
    return queryset.filter(~Q(status=WorkshopStatus.DRAFT) | Q(pk__in=hosted))


def with_viewer(queryset: QuerySet[Workshop], *, user: User) -> QuerySet[Workshop]:
    """Annotate the viewer's own registration status (or None) without a query per row."""
    mine = Registration.objects.filter(workshop=OuterRef("pk"), user=user)
    return queryset.annotate(
        my_status=Subquery(mine.values("status")[:1]),
        i_host=Exists(Workshop.hosts.through.objects.filter(workshop=OuterRef("pk"), user=user)),
    )


def workshop_list(
    *, user: User, scope: str = "upcoming", query: str = "", now: datetime | None = None
) -> QuerySet[Workshop]:
    """Workshops for the list page and API, ordered for the scope (soonest first, or most
    recent first for the past)."""
    now = now or timezone.now()
    if scope not in SCOPES:
        scope = "upcoming"
    queryset = with_viewer(workshops_visible(user=user), user=user)
    hosted = Workshop.hosts.through.objects.filter(user=user).values("workshop")
    if scope == "upcoming":
        queryset = queryset.filter(status=WorkshopStatus.PUBLISHED, ends_at__gt=now)
    elif scope == "mine":
        queryset = queryset.filter(
            Q(
                pk__in=Registration.objects.filter(user=user, status__in=ACTIVE_STATUSES).values(
                    "workshop"
                )
            )
            | Q(pk__in=hosted),
            ends_at__gt=now,
        ).exclude(status=WorkshopStatus.FINISHED)
    elif scope == "hosting":
        queryset = queryset.filter(pk__in=hosted)
    else:
        queryset = queryset.filter(
            Q(status__in=[WorkshopStatus.FINISHED, WorkshopStatus.CANCELLED]) | Q(ends_at__lte=now)
        ).exclude(status=WorkshopStatus.DRAFT)
    if query:
        queryset = queryset.filter(title__icontains=query.strip()[:100])
    order = ("-starts_at", "-pk") if scope in ("past", "hosting") else ("starts_at", "pk")
    return queryset.order_by(*order)


def workshop_for_viewer(*, user: User, public_id: Any) -> Workshop:
    workshop = (
        with_viewer(workshops_visible(user=user), user=user)
        .filter(public_id=parse_id(public_id))
        .prefetch_related("hosts__profile")
        .first()
    )
    if workshop is None:
        raise NotFound("No such workshop.")
    return workshop


def workshop_for_manager(*, user: User, public_id: Any) -> Workshop:
    """A workshop this person hosts or moderates; 404 when they cannot even see it."""
    workshop = workshop_for_viewer(user=user, public_id=public_id)
    if not may_manage(user, workshop):
        raise Forbidden("Only the workshop's hosts and moderators may do this.")
    return workshop


def registration_for(*, user: User, workshop: Workshop) -> Registration | None:
    return Registration.objects.filter(workshop=workshop, user=user).first()


def waitlist_position(registration: Registration) -> int | None:
    """1 for the next person to get an offer; None when not waiting."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = Registration.objects.filter(
        workshop_id=registration.workshop_id,
        status=RegistrationStatus.WAITLISTED,
        queue_number__lt=registration.queue_number,
    ).count()
    return ahead + 1


def registration_state(registration: Registration | None) -> dict[str, Any] | None:
    """What a person's registration looks like to them (API and page)."""
    if registration is None:
        return None
    return {
        "id": registration.public_id,
        "status": registration.status,
        "position": waitlist_position(registration),
        "offer_expires_at": registration.offer_expires_at
        if registration.status == RegistrationStatus.OFFERED
        else None,
        "attendance": registration.attendance,
        "counted": registration.reputation_recorded_at is not None,
    }


def may_see_link(*, user: User, workshop: Workshop, my_status: str | None) -> bool:
    """The online link and place are for confirmed attendees and hosts."""
    return my_status == RegistrationStatus.CONFIRMED or may_manage(user, workshop)


def seats(workshop: Workshop) -> dict[str, Any]:
    """The live counts a workshop page shows (the `workshop.seats` event)."""
    return {
        "type": "workshop.seats",
        "workshop": str(workshop.public_id),
        "capacity": workshop.capacity,
        "seats_left": workshop.seats_left,
        "waitlist": workshop.waitlist_count,
        "status": workshop.status,
    }


def attendees(
    *, workshop: Workshop, query: str = "", confirmed_only: bool = False
) -> QuerySet[Registration]:
    """Registrations for the host pages and API, each with the person's no-show count over
    every workshop (hosts see it), in one query."""
    no_shows = (
        Registration.objects.filter(user=OuterRef("user"), attendance=Attendance.NO_SHOW)
        .order_by()
        .values("user")
        .annotate(total=Count("pk"))
        .values("total")
    )
    statuses = [RegistrationStatus.CONFIRMED] if confirmed_only else list(ACTIVE_STATUSES)
    queryset = (
        Registration.objects.filter(workshop=workshop, status__in=statuses)
        .select_related("user__profile")
        .annotate(no_shows=Coalesce(Subquery(no_shows[:1]), 0))
        .order_by("queue_number")
    )
    query = query.strip()[:100]
    if query:
        queryset = queryset.filter(
            Q(user__profile__display_name__icontains=query) | Q(user__email__icontains=query)
        )
    return queryset


def registration_of(*, workshop: Workshop, public_id: Any) -> Registration:
    registration = (
        Registration.objects.filter(
            workshop=workshop, public_id=parse_id(public_id, what="registration")
        )
        .select_related("user")
        .first()
    )
    if registration is None:
        raise NotFound("No such registration for this workshop.")
    return registration


def users_by_public_id(public_ids: list[UUID]) -> list[User]:
    """Co-hosts named by the API. People are named by public id, never by e-mail, there."""
    found = list(get_user_model().objects.filter(public_id__in=public_ids, is_active=True))
    if len(found) != len(set(public_ids)):
        raise InvalidInput("Some of these people do not exist.", field="cohosts")
    return found


def users_by_email(emails: list[str]) -> list[User]:
    """Co-hosts named on the host's form, which knows people by e-mail address."""
    model = get_user_model()
    people = []
    for email in emails:
        person = model.objects.filter(email__iexact=email, is_active=True).first()
        if person is None:
            raise InvalidInput(f"Nobody has the address {email}.", field="cohosts")
        people.append(person)
    return people


def can_watch_workshop(user: User, key: str) -> bool:
    """`workshop:<public id>` carries seat counts: anyone who may see the workshop."""
    try:
        public_id = UUID(key)
    except ValueError:
        return False
    return workshops_visible(user=user).filter(public_id=public_id).exists()


def may_join_room(*, user: User, workshop: Workshop) -> bool:
    """Who belongs in a workshop's chat room: its confirmed attendees, hosts, moderators."""
    if not workshop.chat_enabled:
        return False
    if may_manage(user, workshop):
        return True
    return Registration.objects.filter(
        workshop=workshop, user=user, status=RegistrationStatus.CONFIRMED
    ).exists()


# --- Calendars ------------------------------------------------------------------------


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_feed_owner(*, token: str) -> User | None:
    if not token or len(token) > 100:
        return None
    feed = (
        CalendarFeed.objects.filter(token_hash=token_digest(token)).select_related("user").first()
    )
    if feed is None or not feed.user.is_active:
        return None
    return feed.user


def has_calendar_feed(*, user: User) -> bool:
    return CalendarFeed.objects.filter(user=user).exists()


# How far back the personal feed reaches: recent past workshops stay in the calendar.
FEED_HISTORY = timedelta(days=90)


def calendar_workshops(*, user: User, now: datetime | None = None) -> list[Workshop]:
    """My confirmed workshops and the ones I host (published, cancelled or finished)."""
    now = now or timezone.now()
    confirmed = Registration.objects.filter(user=user, status=RegistrationStatus.CONFIRMED)
    hosted = Workshop.hosts.through.objects.filter(user=user)
    return list(
        Workshop.objects.filter(
            Q(pk__in=confirmed.values("workshop")) | Q(pk__in=hosted.values("workshop")),
            ends_at__gte=now - FEED_HISTORY,
        )
        .exclude(status=WorkshopStatus.DRAFT)
        .order_by("starts_at", "pk")
    )
