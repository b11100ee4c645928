from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ledger.services import tree_head_publish


class Command(BaseCommand):
    help = "Sign and publish a tree head for the current log, if it grew since the last one."

    def handle(self, *args: Any, **options: Any) -> None:
        head = tree_head_publish()
        if head is None:
            self.stdout.write("no new entries since the latest head")
        else:
            self.stdout.write(
                f"published tree head at size {head.tree_size}: {bytes(head.root_hash).hex()}"
            )
