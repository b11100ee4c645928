"""Rebuild every reputation score from the events and name anyone whose stored one differed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from reputation.services.scores import scores_recompute


class Command(BaseCommand):
    help = "Rebuild every reputation score from the events; report people whose score differed."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="exit with status 1 when any stored score differed (it is corrected anyway)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = scores_recompute()
        public_ids = dict(
            User.objects.filter(pk__in=report.differed).values_list("pk", "public_id")
        )
        for user_id in report.differed:
            self.stdout.write(f"differed: user {public_ids.get(user_id)} (corrected)")
        self.stdout.write(
            f"{report.people} people recomputed, {len(report.differed)} differed, "
            f"{report.level_changes} level changes"
        )
        if options["check"] and report.differed:
            raise CommandError(f"{len(report.differed)} stored scores differed from the events")
