"""What a validator may see of a document: a crop per question, the rest blanked.

Pure (Pillow only, no Django). Regions are fractions of the image, laid out as ICAO 9303
data pages are (the TD3 passport page and the TD1/TD2 card front share it): the portrait
on the left, the name fields to its right at the top, the other fields (number, dates,
nationality) below the names, and the machine-readable zone along the bottom. A photo of a
document is never aligned perfectly, so the boxes keep a margin around their field, and
they stop short of the machine-readable zone, which repeats every field.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw

Box = tuple[float, float, float, float]  # left, top, right, bottom as fractions of the image

WHOLE: Box = (0.0, 0.0, 1.0, 1.0)
PORTRAIT: Box = (0.02, 0.15, 0.37, 0.74)
NAME_FIELDS: Box = (0.33, 0.15, 0.98, 0.42)
# From the portrait's top to the machine-readable zone: the part of the page where a
# swapped photo or an edited name would show.
UPPER_PAGE: Box = (0.02, 0.15, 0.98, 0.74)

BLANK = (255, 255, 255)


@dataclass(frozen=True)
class Crop:
    box: Box
    # Inside `box`, only these regions stay visible; empty means all of `box` does.
    keep: tuple[Box, ...] = ()
    max_side: int = 800


# The images each question needs and the part of each: nothing else reaches a validator
# (no document back, which carries the machine-readable zone on identity cards).
CROPS: dict[str, dict[str, Crop]] = {
    "selfie_matches_document": {
        "id_front": Crop(PORTRAIT),
        "selfie": Crop(WHOLE),
    },
    "document_readable_unaltered": {
        "id_front": Crop(UPPER_PAGE, keep=(PORTRAIT, NAME_FIELDS)),
    },
}


def _pixels(box: Box, width: int, height: int) -> tuple[int, int, int, int]:
    left, top, right, bottom = box
    return (round(left * width), round(top * height), round(right * width), round(bottom * height))


def _within(inner: Box, outer: Box) -> Box | None:
    """`inner` in the coordinates of `outer` (both fractions of one image), clipped."""
    o_left, o_top, o_right, o_bottom = outer
    left, top = max(inner[0], o_left), max(inner[1], o_top)
    right, bottom = min(inner[2], o_right), min(inner[3], o_bottom)
    if right <= left or bottom <= top:
        return None
    w, h = o_right - o_left, o_bottom - o_top
    return ((left - o_left) / w, (top - o_top) / h, (right - o_left) / w, (bottom - o_top) / h)


def _watermark(image: Image.Image, mark: str) -> Image.Image:
    """Tile `mark` over the image, so a leaked copy names its source."""
    canvas = image.convert("RGBA")
    overlay = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    step_x, step_y = 220, 90
    for y in range(0, canvas.size[1], step_y):
        for x in range(-(y % (2 * step_x)), canvas.size[0], step_x):
            draw.text((x, y), mark, fill=(255, 255, 255, 110))
            draw.text((x + 1, y + 1), mark, fill=(0, 0, 0, 90))
    return Image.alpha_composite(canvas, overlay).convert("RGB")


def redact(content: bytes, crop: Crop, *, mark: str) -> bytes:
    """The crop of an image, scaled down, watermarked with `mark`, everything outside the
    kept regions painted blank, as PNG.

    Blanking comes after the watermark, so what was cut out is plain, not text over pixels.
    """
    with Image.open(io.BytesIO(content)) as original:
        width, height = original.size
        part = original.convert("RGB").crop(_pixels(crop.box, width, height))
    part.thumbnail((crop.max_side, crop.max_side))
    marked = _watermark(part, mark)
    if crop.keep:
        out_image = Image.new("RGB", marked.size, BLANK)
        for region in crop.keep:
            inside = _within(region, crop.box)
            if inside is not None:
                area = _pixels(inside, *marked.size)
                out_image.paste(marked.crop(area), area[:2])
        marked = out_image
    out = io.BytesIO()
    marked.save(out, format="PNG")
    return out.getvalue()
