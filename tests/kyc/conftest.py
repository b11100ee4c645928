from __future__ import annotations

import datetime
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw
from rest_framework.test import APIClient

from accounts.roles import Role
from kyc.mrz import check_digit
from tests.conftest import sign_in_with_totp

TODAY = timezone.now().date()


def photo(size: tuple[int, int] = (640, 480), fmt: str = "JPEG") -> bytes:
    image = Image.new("RGB", size, (230, 220, 200))
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], 40):
        draw.line([(x, 0), (size[0] - x, size[1])], fill=(20, 40, 90), width=3)
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


# Colours of the zones of `zoned_document`: what a served crop may and may not contain.
PORTRAIT_GREEN = (20, 160, 60)
NAME_BLUE = (30, 60, 200)
PRIVATE_RED = (210, 30, 30)


def zoned_document(size: tuple[int, int] = (1000, 700)) -> bytes:
    """A document data page laid out as ICAO 9303 pages are: the portrait on the left, the
    name fields to its right at the top, and every other field (number, dates, the machine-
    readable zone) below them. Each zone is painted in its own colour, the rest off-white,
    so a test can tell from the pixels which zones an image shows."""
    width, height = size
    image = Image.new("RGB", size, (236, 228, 210))
    draw = ImageDraw.Draw(image)

    def zone(box: tuple[float, float, float, float], colour: tuple[int, int, int]) -> None:
        left, top, right, bottom = box
        draw.rectangle(
            [int(left * width), int(top * height), int(right * width), int(bottom * height)],
            fill=colour,
        )

    zone((0.05, 0.22, 0.30, 0.70), PORTRAIT_GREEN)  # the portrait
    zone((0.40, 0.22, 0.90, 0.38), NAME_BLUE)  # surname and given names
    zone((0.40, 0.50, 0.90, 0.72), PRIVATE_RED)  # number, birth date, expiry
    zone((0.03, 0.78, 0.97, 0.96), PRIVATE_RED)  # the machine-readable zone
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def upload(name: str = "front.jpg", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, photo() if content is None else content, content_type="image/jpeg"
    )


def td3_mrz(
    *,
    surname: str,
    given: str,
    number: str,
    birth: datetime.date,
    expiry: datetime.date,
    state: str = "KEN",
) -> str:
    names = f"{surname}<<{given.replace(' ', '<')}".upper()
    line1 = f"P<{state}{names}".ljust(44, "<")[:44]
    doc = number.upper().ljust(9, "<")
    b = birth.strftime("%y%m%d")
    e = expiry.strftime("%y%m%d")
    optional = "<" * 14
    body = (
        doc
        + check_digit(doc)
        + state
        + b
        + check_digit(b)
        + "F"
        + e
        + check_digit(e)
        + optional
        + check_digit(optional)
    )
    composite = (
        doc
        + check_digit(doc)
        + b
        + check_digit(b)
        + e
        + check_digit(e)
        + optional
        + check_digit(optional)
    )
    line2 = body + check_digit(composite)
    return f"{line1}\n{line2}"


def case_fields(**overrides: Any) -> dict[str, Any]:
    birth = datetime.date(1990, 5, 17)
    expiry = TODAY.replace(year=TODAY.year + 5)
    fields = {
        "document_type": "passport",
        "surname": "Wanjiku",
        "given_names": "Amina Njeri",
        "birth_date": birth.isoformat(),
        "nationality": "KEN",
        "issuing_state": "KEN",
        "document_number": "AK1234567",
        "expiry_date": expiry.isoformat(),
    }
    fields.update(overrides)
    if "mrz" not in overrides:
        # The zone matches the typed fields, so a case is flagged only for what a test changes.
        fields["mrz"] = td3_mrz(
            surname="Wanjiku",
            given="Amina Njeri",
            number=str(fields["document_number"]),
            birth=birth,
            expiry=expiry,
        )
    return fields


@pytest.fixture(autouse=True)
def kyc_media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def pioneer_api(user_factory: Any) -> tuple[APIClient, Any]:
    person = user_factory()
    client = APIClient()
    client.force_login(person)
    return client, person


@pytest.fixture
def moderator_api(user_factory: Any) -> Any:
    def make() -> tuple[APIClient, Any]:
        # Moderators open identity documents only in a session that used their authenticator.
        moderator = user_factory(roles=[Role.MODERATOR], totp=True)
        return sign_in_with_totp(APIClient(), moderator), moderator

    return make


def submitted_case(
    client: APIClient,
    django_capture_on_commit_callbacks: Any,
    *,
    front: bytes | None = None,
    **overrides: Any,
) -> str:
    created = client.post("/api/v1/kyc/cases/", case_fields(**overrides), format="json")
    assert created.status_code == 201, created.json()
    case_id = created.json()["id"]
    kinds = ["id_front", "selfie"]
    if overrides.get("document_type") in {"id_card", "residence_permit"}:
        kinds.append("id_back")
    for kind in kinds:
        content = front if kind == "id_front" else None
        response = client.post(
            f"/api/v1/kyc/cases/{case_id}/documents/",
            {"kind": kind, "file": upload(content=content)},
            format="multipart",
        )
        assert response.status_code == 201, response.json()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/v1/kyc/cases/{case_id}/submit/").status_code == 200
    return str(case_id)


@pytest.fixture(autouse=True)
def _kyc_checks_in_process(eager_celery: None) -> None:
    """KYC tests are about KYC, not the broker (the real worker path is in tests/integration)."""
