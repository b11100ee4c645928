"""How many images are decoded at once: per process (503) and per person (429), both with
Retry-After, and what one decode costs. Slots are held by real threads through the same
context manager the uploads use."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core import images
from kyc.models import Document
from tests.core.helpers import photo, stored
from tests.kyc.conftest import case_fields

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def slots_held(holders: list[str]) -> Iterator[None]:
    """Each holder takes a slot in its own thread and keeps it until the block ends."""
    entered = threading.Barrier(len(holders) + 1, timeout=10)
    release = threading.Event()
    errors: list[BaseException] = []

    def hold(holder: str) -> None:
        try:
            with images.processing_slot(holder=holder):
                entered.wait()
                release.wait(timeout=30)
        except BaseException as error:
            errors.append(error)
            entered.abort()

    threads = [threading.Thread(target=hold, args=(holder,)) for holder in holders]
    for thread in threads:
        thread.start()
    try:
        entered.wait()
        yield
    finally:
        release.set()
        for thread in threads:
            thread.join(timeout=10)
    assert not errors


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def uploader(user_factory: Any) -> Any:
    from rest_framework.test import APIClient

    def make() -> tuple[Any, Any, str]:
        person = user_factory()
        client = APIClient()
        client.force_login(person)
        case_id = client.post("/api/v1/kyc/cases/", case_fields(), format="json").json()["id"]
        return client, person, case_id

    return make


def upload(client: Any, case_id: str) -> Any:
    return client.post(
        f"/api/v1/kyc/cases/{case_id}/documents/",
        {"kind": "id_front", "file": SimpleUploadedFile("id.jpg", photo())},
        format="multipart",
    )


def test_a_busy_process_answers_503_with_retry_after(uploader: Any, media: Path) -> None:
    client, _, case_id = uploader()
    with slots_held([f"someone-{n}" for n in range(images.PROCESS_SLOTS)]):
        response = upload(client, case_id)
        assert response.status_code == 503
        assert int(response["Retry-After"]) > 0
        assert "try again" in response.json()["detail"]
        assert not Document.objects.exists()
        assert stored(media) == []
    # The slots are back: the same upload goes through.
    assert upload(client, case_id).status_code == 201


def test_one_person_cannot_hold_more_than_their_share(uploader: Any, media: Path) -> None:
    client, person, case_id = uploader()
    other_client, _, other_case = uploader()
    with slots_held([str(person.public_id)] * images.PERSON_SLOTS):
        response = upload(client, case_id)
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0
        assert stored(media) == []
        # Someone else is served meanwhile.
        assert upload(other_client, other_case).status_code == 201
    assert upload(client, case_id).status_code == 201


def test_a_refused_upload_gives_its_slot_back(uploader: Any, media: Path) -> None:
    client, _, case_id = uploader()
    for _ in range(images.PERSON_SLOTS + 1):
        response = client.post(
            f"/api/v1/kyc/cases/{case_id}/documents/",
            {"kind": "id_front", "file": SimpleUploadedFile("id.jpg", photo()[:400])},
            format="multipart",
        )
        assert response.status_code == 400
    assert upload(client, case_id).status_code == 201


def test_avatar_page_answers_429_when_the_person_is_busy(
    client: Any, user: Any, media: Path
) -> None:
    client.force_login(user)
    with slots_held([str(user.public_id)] * images.PERSON_SLOTS):
        response = client.post("/profile/", {"avatar": SimpleUploadedFile("a.jpg", photo())})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert stored(media) == []


# Runs in a fresh process. The kernel's high-water mark of resident memory is reset right
# before the upload is processed (clear_refs 5), so it shows this upload alone, not what
# importing Django or writing the file cost.
PEAK_SCRIPT = """
import io, json, os, re, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pioneer_platform.settings")
import django
django.setup()
from core.images import sanitize_image
from kyc import conf

def status(field):
    text = open("/proc/self/status").read()
    return int(re.search(field + r":\\s+(\\d+) kB", text).group(1)) * 1024

data = open(sys.argv[1], "rb").read()
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")
before = status("VmRSS")
clean = sanitize_image(
    io.BytesIO(data), field="file", holder="memory-test", max_bytes=conf.max_upload_bytes(),
    max_pixels=conf.max_pixels(), max_side=conf.document_max_side(),
)
print(json.dumps({"peak": status("VmHWM") - before, "size": [clean.width, clean.height]}))
"""


def test_a_photo_just_under_the_cap_decodes_in_a_fraction_of_its_size(tmp_path: Path) -> None:
    """The memory report: a small JPEG that decodes to just under the pixel cap cost about
    three times its decoded size (the decode, a rotated copy, a converted copy). Now it is
    decoded reduced and nothing is copied at full size: the whole upload peaks below what
    the full-size image alone would take."""
    width, height = 5600, 4200  # 23.5 Mpx, under the 24 Mpx cap
    path = tmp_path / "large.jpg"
    out = io.BytesIO()
    Image.new("RGB", (width, height), (240, 240, 235)).save(out, format="JPEG")
    path.write_bytes(out.getvalue())
    result = subprocess.run(
        [sys.executable, "-c", PEAK_SCRIPT, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    full_decode = width * height * 4  # Pillow keeps RGB as 4 bytes a pixel
    assert measured["size"] == [2000, 1500]
    assert measured["peak"] < full_decode, measured
