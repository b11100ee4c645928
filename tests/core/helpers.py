"""Images for upload tests: real photos, and files that only pretend to be images."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw


def photo(size: tuple[int, int] = (640, 480), fmt: str = "JPEG", **save: Any) -> bytes:
    image = Image.new("RGB", size, (230, 220, 200))
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], 40):
        draw.line([(x, 0), (size[0] - x, size[1])], fill=(20, 40, 90), width=3)
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


def header_only_png(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height`: a decompression bomb in a few bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


def stored(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]
