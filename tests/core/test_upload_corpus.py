"""Hostile and awkward image files through the real upload paths: the KYC document API and
the profile page's avatar form. Refused files answer 400 naming the field and leave no row
and no file behind; accepted ones are stored as re-encoded pixels only."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kyc.models import Document
from kyc.services.documents import document_read
from tests.core.helpers import header_only_png, photo, stored
from tests.kyc.conftest import case_fields

GPS_MARKER = b"SpyCam-GPS"


def flat(size: tuple[int, int], fmt: str) -> bytes:
    """A real, complete image of one colour: tiny on disk, `size` when decoded."""
    out = io.BytesIO()
    Image.new("RGB", size, (250, 250, 250)).save(out, format=fmt)
    return out.getvalue()


def with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (1.0, 2.0, 3.0), 3: "E", 4: (36.0, 49.0, 0.0)}  # GPSInfo
    exif[0x010F] = GPS_MARKER.decode()  # Make
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to view
    return photo((640, 480), exif=exif)


def zip_payload() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("index.html", "<script>alert(document.cookie)</script>")
    return out.getvalue()


SCRIPT = b"<script>alert(document.cookie)</script>"

# (file name, content, words of the message); one row per kind of hostile file.
REFUSED = [
    pytest.param(
        "id.png", header_only_png(30_000, 30_000), "megapixels", id="decompression-bomb"
    ),  # 900 Mpx claimed in a 100-byte file
    pytest.param(
        "id.png", flat((6_000, 4_500), "PNG"), "megapixels", id="pixel-flood-png"
    ),  # a complete 27 Mpx PNG of about 100 kB
    pytest.param(
        "id.jpg", flat((7_280, 5_456), "JPEG"), "megapixels", id="pixel-flood-jpeg"
    ),  # the 39.7 Mpx JPEG of the memory report
    pytest.param(
        "id.svg",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        "not a readable",
        id="svg-with-script",
    ),  # SVG is markup, never an image we accept
    pytest.param(
        "id.png",
        b"<!doctype html><html><body>" + SCRIPT + b"</body></html>",
        "not a readable",
        id="html-named-png",
    ),  # the extension lies; content decides
    pytest.param(
        "id.jpg", b"%PDF-1.4\n" + photo(), "not a readable", id="pdf-then-jpeg"
    ),  # a polyglot that starts as something else
    pytest.param(
        "id.gif", photo(fmt="GIF"), "JPEG, PNG or WebP", id="gif"
    ),  # a real image of a kind we do not keep
    pytest.param("id.jpg", photo()[:400], "damaged or truncated", id="truncated"),
    pytest.param("id.jpg", b"", "empty", id="empty"),
    pytest.param(
        "id.jpg", b"\xff\xd8\xff" + b"\0" * (11 * 1024 * 1024), "larger than", id="oversized"
    ),  # over the 10 MB document limit
]


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def draft_case(user_factory: Any) -> tuple[Any, Any, str]:
    from rest_framework.test import APIClient

    person = user_factory()
    client = APIClient()
    client.force_login(person)
    created = client.post("/api/v1/kyc/cases/", case_fields(), format="json")
    assert created.status_code == 201
    return client, person, created.json()["id"]


def post_document(client: Any, case_id: str, name: str, content: bytes) -> Any:
    return client.post(
        f"/api/v1/kyc/cases/{case_id}/documents/",
        {"kind": "id_front", "file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


@pytest.mark.parametrize(("name", "content", "message"), REFUSED)
def test_kyc_document_upload_refuses_it_and_stores_nothing(
    draft_case: tuple[Any, Any, str], media: Path, name: str, content: bytes, message: str
) -> None:
    client, _, case_id = draft_case
    response = post_document(client, case_id, name, content)
    assert response.status_code == 400
    assert message in response.json()["errors"]["file"][0]
    assert not Document.objects.exists()
    assert stored(media) == []


@pytest.mark.parametrize(("name", "content", "message"), REFUSED)
def test_avatar_upload_refuses_it_and_stores_nothing(
    client: Any, user: Any, media: Path, name: str, content: bytes, message: str
) -> None:
    if message == "larger than":
        content = content[: 3 * 1024 * 1024]  # over the 2 MB avatar limit
    client.force_login(user)
    response = client.post(
        "/profile/", {"display_name": "Changed", "avatar": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 400
    [error] = response.context["form"].errors["avatar"]
    assert message in error
    assert stored(media) == []
    user.profile.refresh_from_db()
    assert not user.profile.avatar
    assert user.profile.display_name == ""


# Files that are images after all: stored, as pixels only. An image with bytes after its end
# is accepted on purpose: phones append the video of a "motion photo" after the JPEG, and
# the re-encoding keeps nothing but the pixels anyway.
ACCEPTED = [
    pytest.param("id.jpg", photo() + zip_payload(), b"PK\x03\x04", id="jpeg-then-zip"),
    pytest.param("id.png", photo(fmt="PNG") + SCRIPT, SCRIPT, id="png-then-script"),
    pytest.param("id.jpg", photo(fmt="PNG"), None, id="png-named-jpg"),
    pytest.param("id.jpg", with_gps(), GPS_MARKER, id="exif-gps"),
    pytest.param("id.webp", photo(fmt="WEBP"), None, id="webp"),
]


def assert_pixels_only(content: bytes, payload: bytes | None) -> Image.Image:
    if payload is not None:
        assert payload not in content
    image = Image.open(io.BytesIO(content))
    assert image.format == "PNG"
    assert not image.getexif()
    assert "icc_profile" not in image.info
    image.load()
    return image


@pytest.mark.parametrize(("name", "content", "payload"), ACCEPTED)
def test_kyc_document_keeps_only_the_pixels(
    draft_case: tuple[Any, Any, str], media: Path, name: str, content: bytes, payload: bytes | None
) -> None:
    client, person, case_id = draft_case
    response = post_document(client, case_id, name, content)
    assert response.status_code == 201, response.json()
    [document] = Document.objects.all()
    [encrypted] = stored(media)
    assert payload is None or payload not in encrypted.read_bytes()
    # What a moderator would be shown: decrypted from storage.
    image = assert_pixels_only(document_read(document=document, viewer=person), payload)
    if payload == GPS_MARKER:
        assert image.size == (480, 640)  # turned upright, then the orientation dropped


@pytest.mark.parametrize(("name", "content", "payload"), ACCEPTED)
def test_avatar_keeps_only_the_pixels(
    client: Any, user: Any, media: Path, name: str, content: bytes, payload: bytes | None
) -> None:
    client.force_login(user)
    response = client.post("/profile/", {"avatar": SimpleUploadedFile(name, content)})
    assert response.status_code == 302
    [avatar] = stored(media)
    assert_pixels_only(avatar.read_bytes(), payload)


def test_large_document_photo_is_kept_at_the_document_size(
    draft_case: tuple[Any, Any, str], media: Path
) -> None:
    client, person, case_id = draft_case
    response = post_document(client, case_id, "phone.jpg", photo((4032, 3024)))
    assert response.status_code == 201
    [document] = Document.objects.all()
    assert (document.width, document.height) == (2000, 1500)
    image = assert_pixels_only(document_read(document=document, viewer=person), None)
    assert image.size == (2000, 1500)
