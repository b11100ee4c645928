"""Demo task project: a published sentiment project by requester@example.com, with gold.

Idempotent (one project of this title per requester) and refused in production. Run by
`seed_demo`, so `make run` gives verified@example.com work to do at once.
"""

from __future__ import annotations

import io
import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from tasks.models import Project
from tasks.services import items, projects

TITLE = "Sentiment of product reviews"
INSTRUCTIONS = """Read the review and choose the **overall sentiment** of its author.

- *positive*: they would recommend the product
- *negative*: they would not
- *neutral*: neither, or mixed

Use the keys **1**, **2**, **3** to choose and **Enter** to submit.
"""
REVIEWS = [
    ("Arrived quickly and works perfectly. Would buy again.", "positive"),
    ("Broke after two days. Support never answered.", "negative"),
    ("It does what the box says, nothing more.", "neutral"),
    ("Absolutely love it, my kids use it every day!", "positive"),
    ("The colour is not what the photos showed.", "negative"),
    ("Battery lasts a full week, impressive.", "positive"),
    ("Too loud for an office, fine for a garage.", "neutral"),
    ("Stopped charging within a month. Waste of money.", "negative"),
    ("Setup took five minutes, instructions were clear.", "positive"),
    ("Average quality for the price.", "neutral"),
    ("The strap snapped on the first hike.", "negative"),
    ("Comfortable, light and looks great.", "positive"),
    ("Packaging was damaged but the item is fine.", "neutral"),
    ("Smells of chemicals even after washing.", "negative"),
    ("Best purchase I made this year.", "positive"),
    ("Works, but the app is clumsy.", "neutral"),
    ("Screen cracked without being dropped.", "negative"),
    ("Fits perfectly and feels sturdy.", "positive"),
    ("Neither better nor worse than my old one.", "neutral"),
    ("Refund took six weeks.", "negative"),
    ("Great value, exceeded my expectations.", "positive"),
    ("Delivery was on time.", "neutral"),
    ("The lid leaks every single time.", "negative"),
    ("Quiet, powerful and easy to clean.", "positive"),
]
GOLD = [
    ("Terrible. It caught fire on first use.", "negative"),
    ("Perfect in every way, five stars.", "positive"),
    ("I have no strong feelings about it.", "neutral"),
    ("Fantastic quality, I bought three more.", "positive"),
]


class Command(BaseCommand):
    help = "Create the demo task project (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_tasks creates demo data; not in production.")
        owner = User.objects.filter(email="requester@example.com").first()
        if owner is None:
            raise CommandError("Run seed_demo first: requester@example.com is missing.")
        if Project.objects.filter(owner=owner, title=TITLE).exists():
            self.stdout.write(f"Demo project exists: {TITLE}")
            return
        project = projects.project_create(
            owner=owner,
            title=TITLE,
            kind="single_label",
            instructions=INSTRUCTIONS,
            labels=["positive", "negative", "neutral"],
            overlap=2,
            reward=5,
            reservation_timeout=600,
            gold_rate=0.15,
            gold_min_accuracy=0.5,
            gold_min_answers=3,
        )
        lines = [
            {"payload": {"review": text}, "ref": f"review-{n}"}
            for n, (text, _) in enumerate(REVIEWS, start=1)
        ]
        lines += [{"payload": {"review": text}, "gold": label} for text, label in GOLD]
        body = "".join(json.dumps(line) + "\n" for line in lines).encode()
        items.items_upload(project=project, actor=owner, stream=io.BytesIO(body), fmt="jsonl")
        projects.project_publish(project=project, actor=owner)
        self.stdout.write(self.style.SUCCESS(f"Demo project published: {TITLE}"))
