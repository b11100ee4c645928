"""Server-rendered pages: access, query counts, and the profile form's bad input."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.core.helpers import header_only_png


def png_bytes(
    size: tuple[int, int] = (64, 64), *, exif_gps: bool = False, fmt: str = "PNG"
) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    if exif_gps:
        exif = Image.Exif()
        exif[0x8825] = {1: "N", 2: (1.0, 2.0, 3.0)}  # GPSInfo
        exif[0x010F] = "SpyCam"  # Make
        image.save(out, format="JPEG", exif=exif)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def test_home_explains_the_platform(client: Any, db: None) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert b"Become a pioneer" in response.content


def test_unknown_page_is_html_404(client: Any, db: None) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"nothing at this address" in response.content


def test_profile_saves_and_strips_avatar_metadata(client: Any, user: Any, media_root: Path) -> None:
    client.force_login(user)
    upload = SimpleUploadedFile("me.jpg", png_bytes(exif_gps=True), content_type="image/jpeg")
    response = client.post(
        "/profile/",
        {"display_name": "Ada", "country": "KE", "languages": ["en", "sw"], "avatar": upload},
    )
    assert response.status_code == 302
    user.profile.refresh_from_db()
    assert user.profile.display_name == "Ada"
    assert user.profile.languages == ["en", "sw"]
    [stored] = stored_files(media_root)
    with Image.open(stored) as image:
        assert image.format == "PNG"
        assert not image.getexif()
    assert b"SpyCam" not in stored.read_bytes()


def test_replacing_the_avatar_removes_the_old_file(
    client: Any, user: Any, media_root: Path, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(user)
    for _ in range(2):
        upload = SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post("/profile/", {"avatar": upload}).status_code == 302
    assert len(stored_files(media_root)) == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.jpg", b"MZ\x90\x00 this is an exe", b"not a readable"),  # non-image bytes named .jpg
        ("a.png", png_bytes()[:60], b"damaged or truncated"),  # truncated PNG
        ("a.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"not a readable"),  # SVG
        ("a.gif", png_bytes(fmt="GIF"), b"JPEG, PNG or WebP"),  # a real image of another kind
        ("bomb.png", header_only_png(30_000, 30_000), b"megapixels"),  # decompression bomb
    ],
)
def test_bad_avatar_is_refused_and_nothing_is_stored(
    client: Any, user: Any, media_root: Path, name: str, content: bytes, message: bytes
) -> None:
    client.force_login(user)
    upload = SimpleUploadedFile(name, content)
    response = client.post("/profile/", {"display_name": "Changed", "avatar": upload})
    assert response.status_code == 400
    assert message in response.content
    assert stored_files(media_root) == []
    user.profile.refresh_from_db()
    assert user.profile.display_name == ""


def test_oversized_avatar_is_refused(
    client: Any, user: Any, media_root: Path, monkeypatch: Any
) -> None:
    from accounts.services import profiles

    monkeypatch.setattr(profiles, "AVATAR_MAX_BYTES", 1000)
    client.force_login(user)
    upload = SimpleUploadedFile("a.png", png_bytes((200, 200)) + b"\0" * 2000)
    response = client.post("/profile/", {"avatar": upload})
    assert response.status_code == 400
    assert b"larger than" in response.content
    assert stored_files(media_root) == []


def test_profile_form_requires_csrf(user: Any, db: None) -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/profile/", {"display_name": "x"})
    assert response.status_code == 403
    assert b"security token" in response.content
