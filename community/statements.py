"""Registration's hot path as one PostgreSQL statement.

`community.services.registrations.registration_create` decides what registering does. On
PostgreSQL its common case (a first registration for an open workshop the person may
join) runs as one statement of data-modifying CTEs: it locks the workshop row, inserts
the registration as confirmed or waitlisted from the seat counters, bumps them and writes
the audit row. Outside a transaction that statement is its own transaction, so the
workshop's row is held for one round trip instead of one per ORM query; under a rush for
one workshop that hold time is what bounds throughput.

When the statement finds nothing to do (the workshop is not open, the person may not
register, hosts it, or has a row already), the service takes its ORM path, which handles
every case on every database and says why.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import connection

from community.models import Registration, Workshop
from community.models.workshops import Audience, RegistrationStatus, WorkshopStatus

if TYPE_CHECKING:
    from accounts.models import User

# The seat rule (twice below) is the ORM path's: a seat while seats remain and nobody waits.
REGISTER = """
WITH w AS (
    SELECT id, capacity, confirmed_count, offered_count, waitlist_count, next_queue_number
    FROM community_workshop
    WHERE id = %(workshop)s
      AND status = %(published)s
      AND starts_at > %(now)s
      AND (registration_opens_at IS NULL OR registration_opens_at <= %(now)s)
      AND (registration_closes_at IS NULL OR registration_closes_at > %(now)s)
      AND (audience = %(everyone)s
           OR (audience = %(verified_only)s AND %(verified)s)
           OR (audience = %(by_level)s AND min_level <= %(level)s))
      AND NOT EXISTS (
          SELECT 1 FROM community_workshop_hosts h
          WHERE h.workshop_id = %(workshop)s AND h.user_id = %(user)s
      )
    FOR UPDATE
), ins AS (
    INSERT INTO community_registration
        (public_id, workshop_id, user_id, status, queue_number, confirmed_at, attendance,
         created_at, updated_at)
    SELECT %(public_id)s, w.id, %(user)s,
           CASE WHEN w.confirmed_count + w.offered_count < w.capacity
                     AND w.waitlist_count = 0
                THEN %(confirmed)s ELSE %(waitlisted)s END,
           w.next_queue_number,
           CASE WHEN w.confirmed_count + w.offered_count < w.capacity
                     AND w.waitlist_count = 0
                THEN %(now)s END,
           %(unmarked)s, %(now)s, %(now)s
    FROM w
    ON CONFLICT (workshop_id, user_id) DO NOTHING
    RETURNING id, status, queue_number, confirmed_at
), seats AS (
    -- From the values `w` locked, not from this UPDATE's own read of the row: all parts
    -- of the statement share one snapshot, which may predate the version `w` waited for.
    UPDATE community_workshop c SET
        confirmed_count = w.confirmed_count + (ins.status = %(confirmed)s)::int,
        waitlist_count = w.waitlist_count + (ins.status = %(waitlisted)s)::int,
        next_queue_number = w.next_queue_number + 1
    FROM ins, w WHERE c.id = w.id
    RETURNING c.id
), audit AS (
    INSERT INTO community_workshoplog
        (workshop_id, registration_id, actor_id, action, detail, created_at)
    SELECT %(workshop)s, ins.id, %(user)s, 'register', jsonb_build_object('status', ins.status),
           %(now)s
    FROM ins
)
SELECT ins.id, ins.status, ins.queue_number, ins.confirmed_at FROM ins, seats
"""


def register(*, workshop: Workshop, user: User, level: int, now: datetime) -> Registration | None:
    """The new registration, or None when the common case does not apply."""
    public_id = uuid.uuid4()
    with connection.cursor() as cursor:
        cursor.execute(
            REGISTER,
            {
                "workshop": workshop.pk,
                "user": user.pk,
                "public_id": public_id,
                "now": now,
                "level": level,
                "verified": user.is_verified,
                "published": WorkshopStatus.PUBLISHED.value,
                "everyone": Audience.SIGNED_IN.value,
                "verified_only": Audience.VERIFIED.value,
                "by_level": Audience.LEVEL.value,
                "confirmed": RegistrationStatus.CONFIRMED.value,
                "waitlisted": RegistrationStatus.WAITLISTED.value,
                "unmarked": "unmarked",
            },
        )
        row = cursor.fetchone()
    if row is None:
        return None
    pk, status, queue_number, confirmed_at = row
    registration = Registration(
        pk=pk,
        public_id=public_id,
        workshop=workshop,
        user=user,
        status=status,
        queue_number=queue_number,
        confirmed_at=confirmed_at,
        created_at=now,
        updated_at=now,
    )
    registration._state.adding = False
    registration._state.db = connection.alias
    return registration
