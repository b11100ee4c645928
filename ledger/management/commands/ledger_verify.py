from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ledger.verification import LedgerTampered, verify_log


class Command(BaseCommand):
    help = "Recompute the log from its leaves; check every subtree hash, head signature and root."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = verify_log()
        except LedgerTampered as problem:
            raise CommandError(f"ledger verification FAILED: {problem}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"ledger OK: {report.leaves} leaves, {report.subtrees} subtree hashes, "
                f"{report.heads} signed heads, keys {', '.join(report.keys) or 'none'}"
            )
        )
