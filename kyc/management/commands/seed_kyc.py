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
from accounts.services.profiles import profile_update
from accounts.services.users import user_grant_role
from kyc.models import Case
from kyc.mrz import check_digit
from kyc.services import cases, documents, moderation

APPLICANT = "applicant@example.com"


def _face(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int]) -> None:
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    draw.rectangle(box, fill=(196, 210, 226))
    draw.ellipse(
        [left + width * 0.28, top + height * 0.12, left + width * 0.72, top + height * 0.58],
        fill=(190, 150, 120),
    )
    draw.pieslice(
        [left + width * 0.1, top + height * 0.6, left + width * 0.9, top + height * 1.4],
        180,
        360,
        fill=(60, 70, 110),
    )


def _document(surname: str, given: str, number: str, mrz: str) -> io.BytesIO:
    """A demo passport data page with the ICAO 9303 layout (portrait left, names to its
    right, the other fields below, the machine-readable zone at the bottom), so what a
    validator's crop shows of it looks like the real thing."""
    width, height = 900, 620
    image = Image.new("RGB", (width, height), (236, 228, 210))
    draw = ImageDraw.Draw(image)
    ink = (30, 50, 110)
    draw.rectangle([8, 8, width - 8, height - 8], outline=ink, width=4)
    draw.text((30, 30), "DEMO PASSPORT - NOT A REAL DOCUMENT", fill=ink)
    _face(draw, (40, 110, 300, 440))
    draw.text((340, 110), "Surname", fill=(120, 120, 120))
    draw.text((340, 130), surname.upper(), fill=ink)
    draw.text((340, 175), "Given names", fill=(120, 120, 120))
    draw.text((340, 195), given.upper(), fill=ink)
    for row, label in enumerate(("Nationality KEN", f"Passport no. {number}", "Date of birth")):
        draw.text((340, 290 + 40 * row), label, fill=ink)
    for row, line in enumerate(mrz.split("\n")):
        draw.text((30, 500 + 40 * row), line, fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    out.seek(0)
    return out


def _selfie() -> io.BytesIO:
    image = Image.new("RGB", (600, 800), (225, 225, 215))
    _face(ImageDraw.Draw(image), (60, 120, 540, 800))
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
    mrz = _mrz(surname, given, number, birth, expiry)
    case = cases.case_create(
        user=user,
        document_type="passport",
        surname=surname,
        given_names=given,
        birth_date=birth,
        nationality="KEN",
        issuing_state="KEN",
        document_number=number,
        expiry_date=expiry,
        mrz=mrz,
    )
    documents.document_upload(
        case=case, user=user, kind="id_front", upload=_document(surname, given, number, mrz)
    )
    documents.document_upload(case=case, user=user, kind="selfie", upload=_selfie())
    return cases.case_submit(case=case, user=user)


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
            cases.case_run_checks(case=case)
            moderation.case_claim(case=case, moderator=moderator)
            moderation.case_decide(
                case=case,
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
        _submitted_case(user, "Applicant", "Amina", "DEMO12345")
        self.stdout.write(f"  {APPLICANT:<24} pioneer with a KYC case waiting for the moderator")
