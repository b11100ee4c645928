"""Demo data for a newcomer: one account per role, each able to sign in at once.

Idempotent: running it again leaves one of everything. Refuses to run in production,
where well-known passwords would be a hole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from accounts.roles import Role
from accounts.services.profiles import profile_update
from accounts.services.users import user_grant_role

DEMO_PASSWORD = "pioneer-demo-2026"  # noqa: S105 - demo only; the command refuses production
# The demo moderator's authenticator (TOTP, RFC 6238: SHA-1, 6 digits, 30 s). Moderators open
# identity documents only after a second factor, so a newcomer adds this secret to an
# authenticator app (or scans the otpauth URI printed by `make run`). Demo only, like the
# password: anyone who reads this file can compute the codes.
DEMO_TOTP_SECRET = "PIONEERDEMOMODERATORTOTPSECRET22"  # noqa: S105


@dataclass(frozen=True)
class DemoAccount:
    email: str
    display_name: str
    roles: tuple[Role, ...]
    verified: bool = False
    staff: bool = False
    totp_secret: str | None = None


DEMO_ACCOUNTS = (
    DemoAccount("pioneer@example.com", "Pat Pioneer", (Role.PIONEER,)),
    DemoAccount("verified@example.com", "Vera Verified", (Role.PIONEER,), verified=True),
    DemoAccount(
        "validator@example.com", "Val Validator", (Role.PIONEER, Role.VALIDATOR), verified=True
    ),
    DemoAccount(
        "moderator@example.com",
        "Mo Moderator",
        (Role.MODERATOR,),
        staff=True,
        totp_secret=DEMO_TOTP_SECRET,
    ),
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
            if account.totp_secret:
                self.stdout.write(
                    f"  {'':<24} second factor: authenticator app (TOTP) secret "
                    f"{account.totp_secret}\n"
                    f"  {'':<24} {totp_uri(account.email, account.totp_secret)}"
                )
        call_command("seed_tasks")
        call_command("seed_kyc")
        call_command("seed_reviews")
        call_command("seed_community")

    def _ensure(self, account: DemoAccount) -> None:
        with transaction.atomic():
            user, created = User.objects.get_or_create(
                email=account.email, defaults={"is_staff": account.staff}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            EmailAddress.objects.update_or_create(
                user=user, email=account.email, defaults={"verified": True, "primary": True}
            )
            for role in account.roles:
                user_grant_role(user=user, role=role)
            if account.totp_secret:
                _ensure_totp(user, account.totp_secret)
        # A service transaction of its own (durable), so after the account's.
        if created:
            profile_update(user=user, display_name=account.display_name)
        # Verification comes from an approved KYC case: seed_kyc makes one for the accounts
        # marked verified, as a moderator would.


def _ensure_totp(user: User, secret: str) -> None:
    """Exactly one TOTP authenticator with the documented secret, so the printed code works."""
    current = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if current is not None and decrypt(current.data["secret"]) == secret:
        return
    if current is not None:
        current.delete()
    TOTP.activate(user, secret)


def totp_uri(email: str, secret: str) -> str:
    issuer = settings.MFA_TOTP_ISSUER
    return f"otpauth://totp/{quote(issuer)}:{quote(email)}?" + urlencode(
        {"secret": secret, "issuer": issuer}
    )
