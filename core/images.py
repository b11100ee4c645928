"""Untrusted image uploads: identify by content, refuse bombs, re-encode without metadata.

Re-encoding from decoded pixels is what removes EXIF (GPS included), ICC tricks and any
payload appended to a polyglot file: only the pixels survive.

Memory. A file of a few hundred kilobytes can decode to tens of megapixels at 4 bytes each,
so what an upload costs is set by its pixels, not its size. Three things keep that bounded:

- the pixel cap is checked on the header, before anything is decoded;
- JPEG is decoded already reduced (libjpeg scales by 1/2, 1/4 or 1/8 while decoding, via
  `Image.draft`) to no less than the size that is kept, everything is shrunk to that size
  before it is rotated or converted, and no step copies the full-size image: a 12-megapixel
  phone photo kept at 2,000 px decodes as 3 megapixels;
- at most `IMAGE_PROCESSING_SLOTS` images are decoded at once per process, and one person
  has at most `IMAGE_PROCESSING_PER_PERSON` in flight across all processes (counted in the
  cache). A request that finds no slot within a second is answered 503 (the process is
  busy) or 429 (this person is), with Retry-After, instead of queueing without bound.
"""

from __future__ import annotations

import io
import math
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.cache import cache
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import InvalidInput, ServerBusy, TooManyAtOnce
from core.throttling import count_up

ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# Well under Pillow's own bomb threshold (~89 Mpx); callers pass what their use needs.
DEFAULT_MAX_PIXELS = 24_000_000

PROCESS_SLOTS = int(getattr(settings, "IMAGE_PROCESSING_SLOTS", 2))
PERSON_SLOTS = int(getattr(settings, "IMAGE_PROCESSING_PER_PERSON", 1))
SLOT_WAIT_SECONDS = float(getattr(settings, "IMAGE_SLOT_WAIT_SECONDS", 1.0))
# Longer than any one image takes; only a process that died mid-image leaves its count
# behind, and then for this long.
PERSON_COUNT_SECONDS = 60
_process_slots = threading.BoundedSemaphore(PROCESS_SLOTS)


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    content_type: str
    width: int
    height: int


@contextmanager
def processing_slot(*, holder: str) -> Iterator[None]:
    """Hold one of this process's image slots, and one of `holder`'s, for the block.

    `holder` names whose work it is (a person's public id), never personal data.
    Raises TooManyAtOnce (429) when the holder already has their share in flight, and
    ServerBusy (503) when no slot of this process frees within SLOT_WAIT_SECONDS.
    """
    key = f"images:in-flight:{holder}"
    count = count_up(key, ttl=PERSON_COUNT_SECONDS)
    try:
        if count > PERSON_SLOTS:
            raise TooManyAtOnce(
                "Another of your images is still being processed; send one at a time.",
                retry_after=2,
            )
        if not _process_slots.acquire(timeout=SLOT_WAIT_SECONDS):
            raise ServerBusy(
                "Too many images are being processed right now; try again shortly.",
                retry_after=5,
            )
        try:
            yield
        finally:
            _process_slots.release()
    finally:
        with suppress(ValueError):
            cache.decr(key)


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    width, height = size
    scale = max_side / max(width, height)
    return max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))


def sanitize_image(
    upload: IO[bytes],
    *,
    field: str,
    holder: str,
    max_bytes: int,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_side: int | None = None,
    output_format: str = "PNG",
) -> CleanImage:
    """Return the upload re-encoded as `output_format`, or raise InvalidInput naming `field`.

    `holder` is whose upload it is (see processing_slot). The result is at most `max_side`
    pixels on its longer side, upright (EXIF orientation applied), without metadata.
    """
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InvalidInput(f"The file is larger than {max_bytes // (1024 * 1024)} MB.", field=field)
    if not data:
        raise InvalidInput("The file is empty.", field=field)
    with processing_slot(holder=holder):
        return _reencode(
            data,
            field=field,
            max_pixels=max_pixels,
            max_side=max_side,
            output_format=output_format,
        )


def _reencode(
    data: bytes, *, field: str, max_pixels: int, max_side: int | None, output_format: str
) -> CleanImage:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format
                width, height = probe.size
                if kind not in ALLOWED_FORMATS:
                    raise InvalidInput("Upload a JPEG, PNG or WebP image.", field=field)
                if width * height > max_pixels:
                    limit = max_pixels // 1_000_000
                    raise InvalidInput(
                        f"The image is {width} x {height} pixels; the limit is {limit} megapixels.",
                        field=field,
                    )
                probe.verify()
            # verify() leaves the image unusable; decode for real from a fresh handle.
            with Image.open(io.BytesIO(data)) as image:
                if max_side and max(image.size) > max_side:
                    # JPEG only (a no-op elsewhere): decode at the largest 1/n scale that
                    # is still at least the kept size.
                    image.draft(None, _fit(image.size, max_side))
                    image.thumbnail((max_side, max_side))  # loads, then shrinks in place
                else:
                    image.load()
                # Rotating after the shrink moves the small image, not the full one.
                ImageOps.exif_transpose(image, in_place=True)
                mode = (
                    "RGBA"
                    if image.mode in {"RGBA", "LA", "P"} and output_format == "PNG"
                    else "RGB"
                )
                pixels = image if image.mode == mode else image.convert(mode)
                # Savers copy some metadata (the ICC profile) from `info` unasked.
                pixels.info = {}
                out = io.BytesIO()
                pixels.save(
                    out, format=output_format, **({"quality": 90} if output_format != "PNG" else {})
                )
                final_width, final_height = pixels.size
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput(
            f"The image has too many pixels; the limit is {max_pixels // 1_000_000} megapixels.",
            field=field,
        ) from None
    except UnidentifiedImageError:
        raise InvalidInput(
            "The file is not a readable JPEG, PNG or WebP image.", field=field
        ) from None
    except (OSError, SyntaxError, ValueError):
        # Truncated or corrupt data surfaces as any of these from the decoders.
        raise InvalidInput("The image is damaged or truncated.", field=field) from None
    return CleanImage(
        content=out.getvalue(),
        content_type=ALLOWED_FORMATS[output_format.upper()],
        width=final_width,
        height=final_height,
    )
