"""Untrusted image uploads: identify by content, refuse bombs, re-encode without metadata.

Re-encoding from decoded pixels is what removes EXIF (GPS included), ICC tricks and any
payload appended to a polyglot file: only the pixels survive.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import IO

from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import InvalidInput

ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# Well under Pillow's own bomb threshold (~89 Mpx): a phone photo is 12-50 Mpx.
DEFAULT_MAX_PIXELS = 50_000_000


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    content_type: str
    width: int
    height: int


def sanitize_image(
    upload: IO[bytes],
    *,
    field: str,
    max_bytes: int,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_side: int | None = None,
    output_format: str = "PNG",
) -> CleanImage:
    """Return the upload re-encoded as `output_format`, or raise InvalidInput naming `field`."""
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InvalidInput(f"The file is larger than {max_bytes // (1024 * 1024)} MB.", field=field)
    if not data:
        raise InvalidInput("The file is empty.", field=field)
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
                image.load()
                image = ImageOps.exif_transpose(image)
                if max_side:
                    image.thumbnail((max_side, max_side))
                mode = (
                    "RGBA"
                    if image.mode in {"RGBA", "LA", "P"} and output_format == "PNG"
                    else "RGB"
                )
                pixels = image.convert(mode)
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
