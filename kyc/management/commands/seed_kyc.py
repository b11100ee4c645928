"""Demo KYC data: approved cases for the demo accounts that are verified (decided by the
demo moderator, so the transparency log holds real decisions), and applicant@example.com
with a submitted case for the moderator to review.

Idempotent. Goes through the services, so the case has real encrypted documents, check
results and audit events.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.management.commands.seed_demo import DEMO_PASSWORD
from accounts.models import User
from accounts.roles import Role
from accounts.services import profile_update, user_grant_role
from kyc import services
from kyc.models import Case
from kyc.mrz import check_digit

APPLICANT = "applicant@example.com"


def _photo(label: str, size: tuple[int, int]) -> io.BytesIO:
    image = Image.new("RGB", size, (236, 228, 210))
    draw = ImageDraw.Draw(image)
    draw.rectangle([20, 20, size[0] - 20, size[1] - 20], outline=(30, 50, 110), width=6)
    draw.text((40, 40), f"DEMO {label.upper()} - NOT A REAL DOCUMENT", fill=(30, 50, 110))
    for x in range(40, size[0] - 40, 24):
        draw.line([(x, size[1] // 2), (x + 12, size[1] - 60)], fill=(120, 90, 60), width=2)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    out.seek(0)
    return out


def _mrz(surname: str, given: str, number: str, birth: datetime.date, expiry: datetime.date) -> str:
    line1 = f"P<KEN{surname}<<{given.replace(' ', '<')}".upper().ljust(44, "<")
    doc = number.ljust(9, "<")
    b, e, optional = birth.strftime("%y%m%d"), expiry.strftime("%y%m%d"), "<" * 14
    fields = (
        doc
        + check_digit(doc)
        + b
        + check_digit(b)
        + e
        + check_digit(e)
        + optional
        + check_digit(optional)
    )
    line2 = (
        doc
        + check_digit(doc)
        + "KEN"
        + b
        + check_digit(b)
        + "F"
        + e
        + check_digit(e)
        + optional
        + check_digit(optional)
    )
    return f"{line1}\n{line2}{check_digit(fields)}"


VERIFIED = (
    ("verified@example.com", "Verified", "Vera"),
    ("validator@example.com", "Validator", "Val"),
)


def _submitted_case(user: User, surname: str, given: str, number: str) -> Case:
    today = timezone.now().date()
    birth, expiry = datetime.date(1994, 3, 9), today.replace(year=today.year + 6)
    case = services.case_create(
        user=user,
        document_type="passport",
        surname=surname,
        given_names=given,
        birth_date=birth,
        nationality="KEN",
        issuing_state="KEN",
        document_number=number,
        expiry_date=expiry,
        mrz=_mrz(surname, given, number, birth, expiry),
    )
    services.document_upload(
        case_id=case.pk, user=user, kind="id_front", upload=_photo("passport", (900, 620))
    )
    services.document_upload(
        case_id=case.pk, user=user, kind="selfie", upload=_photo("selfie", (600, 800))
    )
    return services.case_submit(case_id=case.pk, user=user)


class Command(BaseCommand):
    help = "Create the demo applicant and their KYC case waiting for review (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_kyc creates demo accounts; not in production.")
        moderator = User.objects.filter(email="moderator@example.com").first()
        for number, (email, surname, given) in enumerate(VERIFIED, start=1):
            person = User.objects.filter(email=email).first()
            if person is None or moderator is None or person.is_verified:
                continue
            case = _submitted_case(person, surname, given, f"DEMOV{number:04d}")
            # The checks run here, not on a worker, so the case is reviewable at once.
            services.case_run_checks(case_id=case.pk)
            services.case_claim(case_id=case.pk, moderator=moderator)
            services.case_decide(
                case_id=case.pk,
                moderator=moderator,
                decision="approve",
                reason_codes=["documents_ok"],
            )
            self.stdout.write(f"  {email:<24} verified through an approved KYC case")
        user, created = User.objects.get_or_create(email=APPLICANT)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            profile_update(user=user, display_name="Amina Applicant")
            user_grant_role(user=user, role=Role.PIONEER)
        EmailAddress.objects.update_or_create(
            user=user, email=APPLICANT, defaults={"verified": True, "primary": True}
        )
        if Case.objects.filter(user=user).exists():
            self.stdout.write(f"  {APPLICANT:<24} KYC case already there")
            return
        today = timezone.now().date()
        birth, expiry = datetime.date(1994, 3, 9), today.replace(year=today.year + 6)
        case = services.case_create(
            user=user,
            document_type="passport",
            surname="Applicant",
            given_names="Amina",
            birth_date=birth,
            nationality="KEN",
            issuing_state="KEN",
            document_number="DEMO12345",
            expiry_date=expiry,
            mrz=_mrz("Applicant", "Amina", "DEMO12345", birth, expiry),
        )
        services.document_upload(
            case_id=case.pk, user=user, kind="id_front", upload=_photo("passport", (900, 620))
        )
        services.document_upload(
            case_id=case.pk, user=user, kind="selfie", upload=_photo("selfie", (600, 800))
        )
        services.case_submit(case_id=case.pk, user=user)
        self.stdout.write(f"  {APPLICANT:<24} pioneer with a KYC case waiting for the moderator")
