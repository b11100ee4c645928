"""Demo peer review: a free-text project, answers by verified@example.com waiting for
review, and a reputation for the demo accounts, so /reviews/ shows work at once.

validator@example.com gets a record of KYC votes that agreed with final decisions (level 3:
they review peers and are a validator candidate); verified@example.com gets gold answers
(level 1, on the way up) and three free-text answers that peers review. Idempotent (once
per requester) and refused in production. Run by `seed_demo` after `seed_kyc`, which
verifies the accounts that answer.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from reputation.models import ReputationEvent
from reputation.services.events import event_record
from tasks.models import Project
from tasks.services import feed, items, projects

TITLE = "Describe the picture in one sentence"
INSTRUCTIONS = """Write **one sentence** that tells someone who cannot see the picture what
it shows. Name the main subject first; leave out guesses about feelings."""
PICTURES = [
    "A red bicycle leaning against a brick wall in the rain.",
    "Two children flying a yellow kite on a beach.",
    "A bowl of ramen with an egg, spring onions and chopsticks.",
    "An old man reading a newspaper on a park bench.",
    "A cat asleep on a stack of books.",
    "A lighthouse on a cliff at sunset.",
]
ANSWERS = [
    "A red bike stands against a wet brick wall.",
    "Two kids fly a yellow kite at the seaside.",
    "A bowl of noodle soup with an egg.",
]
VALIDATOR_RECORD = 60  # KYC votes that agreed with the final decision: level 3
PIONEER_RECORD = (7, 2)  # gold answers right and wrong: level 1, on the way up


class Command(BaseCommand):
    help = "Create demo peer review work and reputation (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_reviews creates demo data; not in production.")
        people = {user.email: user for user in User.objects.filter(email__endswith="@example.com")}
        owner = people.get("requester@example.com")
        author = people.get("verified@example.com")
        validator = people.get("validator@example.com")
        if owner is None or author is None or validator is None:
            raise CommandError("Run seed_demo first: the demo accounts are missing.")
        if not author.is_verified:
            raise CommandError("Run seed_kyc first: verified@example.com is not verified.")
        if Project.objects.filter(owner=owner, title=TITLE).exists():
            self.stdout.write(f"Demo review work exists: {TITLE}")
            return
        self._reputation(validator, author)
        project = projects.project_create(
            owner=owner,
            title=TITLE,
            kind="free_text",
            instructions=INSTRUCTIONS,
            text_max_length=300,
            overlap=1,
            reward=3,
            gold_rate=0.0,
        )
        lines = [{"payload": {"picture": text}} for text in PICTURES]
        body = "".join(json.dumps(line) + "\n" for line in lines).encode()
        items.items_upload(project=project, actor=owner, stream=io.BytesIO(body), fmt="jsonl")
        project = projects.project_publish(project=project, actor=owner)
        for text in ANSWERS:
            claim = feed.item_claim_next(project=project, pioneer=author)
            if claim is None:
                break
            feed.assignment_answer(assignment=claim.assignment, pioneer=author, value=text)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo review work: {len(ANSWERS)} answers to review on /reviews/ "
                "(validator@example.com is level 3)"
            )
        )

    def _reputation(self, validator: User, author: User) -> None:
        # Gains count up to a daily cap, so the record is spread over the days before
        # today, oldest first (a day before the latest evidence is closed).
        per_day = max(1, int(settings.REPUTATION_DAILY_GAIN_CAP))
        days = -(-VALIDATOR_RECORD // per_day)
        today = timezone.now()
        for n in range(VALIDATOR_RECORD):
            event_record(
                user=validator,
                source=ReputationEvent.Source.KYC_VOTE,
                positive=True,
                subject=f"demo.kyc_vote:{n}",
                at=today - timedelta(days=days - n // per_day),
            )
        right, wrong = PIONEER_RECORD
        for n in range(right + wrong):
            event_record(
                user=author,
                source=ReputationEvent.Source.GOLD,
                positive=n < right,
                subject=f"demo.gold:{n}",
            )
