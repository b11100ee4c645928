"""Demo data for a newcomer: one account per role, each able to sign in at once.

Idempotent: running it again leaves one of everything. Refuses to run in production,
where well-known passwords would be a hole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import services
from accounts.models import User
from accounts.roles import Role

DEMO_PASSWORD = "pioneer-demo-2026"  # noqa: S105 - demo only; the command refuses production


@dataclass(frozen=True)
class DemoAccount:
    email: str
    display_name: str
    roles: tuple[Role, ...]
    verified: bool = False
    staff: bool = False


DEMO_ACCOUNTS = (
    DemoAccount("pioneer@example.com", "Pat Pioneer", (Role.PIONEER,)),
    DemoAccount("verified@example.com", "Vera Verified", (Role.PIONEER,), verified=True),
    DemoAccount(
        "validator@example.com", "Val Validator", (Role.PIONEER, Role.VALIDATOR), verified=True
    ),
    DemoAccount("moderator@example.com", "Mo Moderator", (Role.MODERATOR,), staff=True),
    DemoAccount("requester@example.com", "Rae Requester", (Role.REQUESTER,)),
)


class Command(BaseCommand):
    help = "Create the demo accounts (idempotent) and print their sign-in details."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "seed_demo creates accounts with known passwords; not in production."
            )
        for account in DEMO_ACCOUNTS:
            self._ensure(account)
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password for all: {DEMO_PASSWORD})"))
        for account in DEMO_ACCOUNTS:
            roles = ", ".join(role.value for role in account.roles)
            self.stdout.write(
                f"  {account.email:<24} {roles}{' (verified)' if account.verified else ''}"
            )
        call_command("seed_tasks")
        call_command("seed_kyc")
        call_command("seed_community")

    @transaction.atomic
    def _ensure(self, account: DemoAccount) -> None:
        user, created = User.objects.get_or_create(
            email=account.email, defaults={"is_staff": account.staff}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            services.profile_update(user=user, display_name=account.display_name)
        EmailAddress.objects.update_or_create(
            user=user, email=account.email, defaults={"verified": True, "primary": True}
        )
        for role in account.roles:
            services.user_grant_role(user=user, role=role)
        # Verification comes from an approved KYC case: seed_kyc makes one for the accounts
        # marked verified, as a moderator would.
