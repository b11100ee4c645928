"""Demo workshops, hosted by moderator@example.com, so a newcomer sees every state at once:

- an upcoming workshop with a full house and a waitlist (validator@ and applicant@ have the
  two seats, pioneer@ and requester@ wait; verified@ can join the line);
- an upcoming one where a seat freed up and verified@ holds the offer;
- one that ended last week, with attendance counted in reputation (a no-show included);
- the chat lounge with a short conversation, and the first workshop's chat room.

Idempotent (one workshop of each title per host) and refused in production. Goes through
the services with an explicit clock, so the past workshop has a real history. Run by
`seed_demo` after the accounts exist.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from community.models import Registration, Workshop
from community.services import attendance, chat, registrations, workshops

HOST = "moderator@example.com"
FULL_HOUSE = "Welcome to Pioneer: how the task feed works"
OFFER = "Validator training: reading a document crop"
ENDED = "Gold questions, explained"


class Command(BaseCommand):
    help = "Create the demo workshops (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_community creates demo data; not in production.")
        people = {user.email: user for user in User.objects.filter(email__endswith="@example.com")}
        host = people.get(HOST)
        if host is None:
            raise CommandError(f"Run seed_demo first: {HOST} is missing.")
        existing = set(Workshop.objects.filter(hosts=host).values_list("title", flat=True))
        now = timezone.now().replace(second=0, microsecond=0)

        def person(email: str) -> User:
            return people[email]

        if FULL_HOUSE not in existing:
            start = now + timedelta(days=3, hours=2)
            workshop = workshops.workshop_create(
                actor=host,
                title=FULL_HOUSE,
                description=(
                    "A first hour on the platform: how the **task feed** hands out items, "
                    "what gold questions are for, and how peer review becomes reputation.\n\n"
                    "- bring your questions\n- no preparation needed"
                ),
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                capacity=2,
                online_url="https://meet.example.com/welcome",
                chat_enabled=True,
                publish=True,
                now=now,
            )
            for email in (
                "validator@example.com",
                "applicant@example.com",
                "pioneer@example.com",
                "requester@example.com",
            ):
                if email in people:
                    registrations.registration_create(
                        workshop=workshop, user=person(email), now=now
                    )
            self.stdout.write(f"Demo workshop (full, with a waitlist): {FULL_HOUSE}")

        if OFFER not in existing:
            start = now + timedelta(days=6)
            workshop = workshops.workshop_create(
                actor=host,
                title=OFFER,
                description=(
                    "For validators: what a good crop looks like, and when to say *unsure*."
                ),
                starts_at=start,
                ends_at=start + timedelta(hours=1, minutes=30),
                capacity=1,
                place="Community room, 2nd floor",
                audience="verified",
                publish=True,
                now=now,
            )
            leaving = person("validator@example.com")
            seat = registrations.registration_create(
                workshop=workshop, user=leaving, now=now
            ).registration
            registrations.registration_create(
                workshop=workshop, user=person("verified@example.com"), now=now
            )
            registrations.registration_cancel(registration=seat, user=leaving, now=now)
            self.stdout.write(f"Demo workshop (a seat offered to verified@): {OFFER}")

        if ENDED not in existing:
            created = now - timedelta(days=14)
            start = now - timedelta(days=7)
            workshop = workshops.workshop_create(
                actor=host,
                title=ENDED,
                description=(
                    "Why some items have known answers, and what happens when you miss one."
                ),
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                capacity=10,
                online_url="https://meet.example.com/gold",
                publish=True,
                now=created,
            )
            marks = {
                "verified@example.com": "attended",
                "validator@example.com": "attended",
                "pioneer@example.com": "no_show",
            }
            for email in marks:
                registrations.registration_create(
                    workshop=workshop, user=person(email), now=created
                )
            for registration in Registration.objects.filter(workshop=workshop).select_related(
                "user"
            ):
                attendance.attendance_mark(
                    registration=registration,
                    actor=host,
                    attendance=marks[registration.user.email],
                    now=start + timedelta(minutes=5),
                )
            workshops.workshop_finish(workshop=workshop, now=start + timedelta(hours=2))
            self.stdout.write(f"Demo workshop (ended, attendance counted): {ENDED}")

        self._chat(people, now)

    def _chat(self, people: dict[str, User], now: datetime) -> None:
        """The lounge with a short conversation, and a word from the host in the welcome
        workshop's room (its two seated attendees read it). Only into empty rooms."""
        lounge = chat.standing_rooms_open()["lounge"]
        lines = [
            ("moderator@example.com", "Welcome to the **lounge**! Be kind; report what is not."),
            ("verified@example.com", "Hi all, first week here. Any tips for the gold questions?"),
            ("validator@example.com", "Read the instructions twice, and use `unsure` honestly."),
            (
                "moderator@example.com",
                "Also: the workshop *Gold questions, explained* is recorded.",
            ),
        ]
        if not lounge.messages.exists():
            for minutes_ago, (email, body) in zip(range(40, 0, -10), lines, strict=True):
                if email in people:
                    chat.message_post(
                        room=lounge,
                        author=people[email],
                        body=body,
                        now=now - timedelta(minutes=minutes_ago),
                    )
            self.stdout.write("Demo chat: the lounge has a conversation")
        workshop = Workshop.objects.filter(title=FULL_HOUSE, hosts=people[HOST]).first()
        if workshop is not None and workshop.chat_enabled:
            room = chat.room_open_for_workshop(workshop=workshop)
            if not room.messages.exists():
                chat.message_post(
                    room=room,
                    author=people[HOST],
                    body="This room is for the workshop's attendees: questions before we start?",
                    now=now - timedelta(minutes=5),
                )
                self.stdout.write(f"Demo chat: a room for {FULL_HOUSE}")
