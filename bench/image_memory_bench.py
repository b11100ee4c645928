"""Upload image memory: the project's sanitize against plain Pillow, per upload, same files.

Each measurement runs in a fresh Python process, so one run's freed-but-kept heap cannot
hide the next one's peak: the child reads the file, resets the kernel's high-water mark of its
resident memory, runs one pipeline, and reports how far that mark (VmHWM) rose above the
resident size before, and the time (Linux only).

- baseline: `Image.open(...)`, then `save(..., "PNG")` of the same file: what any upload
  handler pays at least when it decodes the file it was given.
- project: `core.images.sanitize_image` as the KYC document upload calls it (its pixel cap
  and longest side from `kyc.conf`), or the avatar upload (longest side 512).

Files (small on disk, large when decoded): a flat JPEG just under the project's KYC pixel
cap, the 39.7-megapixel JPEG of the original report (refused early under the lower cap),
a 12-megapixel phone-sized JPEG, and a PNG just under the cap. The project must stay under
the baseline's peak on every file it accepts (ratio < 1): exits 1 otherwise.

    python bench/image_memory_bench.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import json
import math
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _django import ROOT, median, setup_django


def _status_bytes(field: str) -> int:
    with open("/proc/self/status") as status:
        found = re.search(rf"{field}:\s+(\d+) kB", status.read())
    assert found is not None
    return int(found.group(1)) * 1024


def _reset_peak() -> None:
    # Linux: writing 5 resets the high-water mark of resident memory (VmHWM), so the
    # peak seen afterwards is the pipeline's alone, not the imports' before it.
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def child(pipeline: str, path: str) -> None:
    setup_django()
    from PIL import Image

    from core.errors import DomainError
    from core.images import sanitize_image
    from kyc import conf

    data = Path(path).read_bytes()
    Image.init()
    _reset_peak()
    before = _status_bytes("VmRSS")
    started = time.perf_counter()
    outcome = "stored"
    if pipeline == "baseline":
        Image.MAX_IMAGE_PIXELS = None  # a plain handler that trusts the file
        with Image.open(io.BytesIO(data)) as image:
            out = io.BytesIO()
            image.save(out, format="PNG")
    else:
        kwargs = (
            {
                "max_bytes": conf.max_upload_bytes(),
                "max_pixels": conf.max_pixels(),
                "max_side": conf.document_max_side(),
            }
            if pipeline == "kyc"
            else {"max_bytes": 2 * 1024 * 1024, "max_side": 512}
        )
        try:
            sanitize_image(io.BytesIO(data), field="file", holder="bench", **kwargs)
        except DomainError as error:
            outcome = f"refused: {error.message}"
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "peak_mb": (_status_bytes("VmHWM") - before) / 1e6,
                "seconds": seconds,
                "outcome": outcome,
            }
        )
    )


def run_child(pipeline: str, path: Path) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, __file__, "--child", pipeline, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def flat_jpeg(width: int, height: int) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (235, 230, 220))
    draw = ImageDraw.Draw(image)
    for x in range(0, width, max(1, width // 16)):
        draw.line([(x, 0), (width - x, height)], fill=(20, 40, 90), width=9)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def flat_png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (235, 230, 220)).save(out, format="PNG")
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("PIPELINE", "FILE"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0

    setup_django()
    from kyc import conf

    cap = conf.max_pixels()
    # Just under the cap at 4:3.
    width = int(math.sqrt(cap * 4 / 3)) - 8
    height = width * 3 // 4
    files = {
        f"JPEG {width}x{height} (just under the cap)": ("kyc", flat_jpeg(width, height)),
        "JPEG 7280x5456 (39.7 Mpx, the report's file)": ("kyc", flat_jpeg(7280, 5456)),
        "JPEG 4032x3024 (12 Mpx phone photo)": ("kyc", flat_jpeg(4032, 3024)),
        "JPEG 4032x3024 as an avatar": ("avatar", flat_jpeg(4032, 3024)),
        f"PNG {width}x{height} (just under the cap)": ("kyc", flat_png(width, height)),
    }
    print(f"KYC pixel cap {cap / 1e6:.1f} Mpx; best of {args.repeat} fresh processes each")
    print(f"{'file':<48} {'size':>8} {'baseline':>10} {'project':>10} {'ratio':>6}  outcome")
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        for name, (pipeline, data) in files.items():
            path = Path(folder) / "upload.bin"
            path.write_bytes(data)
            base = [run_child("baseline", path) for _ in range(args.repeat)]
            ours = [run_child(pipeline, path) for _ in range(args.repeat)]
            base_mb = min(float(str(r["peak_mb"])) for r in base)
            ours_mb = min(float(str(r["peak_mb"])) for r in ours)
            base_s = median([float(str(r["seconds"])) for r in base])
            ours_s = median([float(str(r["seconds"])) for r in ours])
            outcome = str(ours[0]["outcome"])
            ratio = ours_mb / base_mb if base_mb > 0 else float("nan")
            print(
                f"{name:<48} {len(data) / 1e3:>6.0f}kB {base_mb:>8.0f}MB {ours_mb:>8.0f}MB "
                f"{ratio:>6.2f}  {outcome[:60]}\n"
                f"{'  time':<48} {'':>8} {base_s:>9.2f}s {ours_s:>9.2f}s "
                f"{ours_s / base_s:>6.2f}"
            )
            if outcome == "stored" and ratio >= 1:
                failed = True
    if failed:
        print("FAIL: an accepted upload peaked at or above plain Pillow's open + save")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
