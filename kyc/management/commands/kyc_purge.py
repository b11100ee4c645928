from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kyc.services.retention import documents_purge


class Command(BaseCommand):
    help = "Destroy KYC document files KYC_RETENTION_DAYS after a final decision."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"destroyed {documents_purge()} document file(s)")
