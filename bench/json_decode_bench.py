"""What the platform's JSON rule costs: `core.strict_json` against the standard library's
`json`, same documents, same run.

Documents, each accepted by both (the rule's refusals cost nothing worth measuring):
- an answer body (a few hundred bytes), decoded many times: the per-request overhead;
- a 1 MB API body of many small objects, over the 64 brackets that switch on the depth count;
- the same with every string escaped as `\\uXXXX` (what `ensure_ascii` clients send),
  which also switches on the walk for NUL and lone surrogates;
- an item upload of 20,000 items as JSON Lines and as a JSON list, read by
  `tasks.uploads` as it is and with the standard library's decoder put in its place.

Best of `--repeat` runs, ours and the baseline taking turns, since the machine may be
shared. Target: every ratio within
`RATIO_TARGET` of the standard library. Exits 1 when one misses.

    python bench/json_decode_bench.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import strict_json
from tasks import uploads

RATIO_TARGET = 3.0


def timed(run: Callable[[], Any], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        run()
    return (time.perf_counter() - start) / number


def best_of_both(
    baseline: Callable[[], Any], ours: Callable[[], Any], repeat: int, number: int
) -> tuple[float, float]:
    """Best time of each, the two taking turns, so a neighbour's load falls on both."""
    base, mine = [], []
    for _ in range(repeat):
        base.append(timed(baseline, number))
        mine.append(timed(ours, number))
    return min(base), min(mine)


class StandardDecoding:
    """`core.strict_json` as `tasks.uploads` uses it, done by the standard library: the
    baseline reader is the same code with only the decoding swapped."""

    InvalidJSON = strict_json.InvalidJSON
    _decoder = json.JSONDecoder()

    @classmethod
    def loads(cls, data: bytes) -> Any:
        try:
            return json.loads(data)
        except json.JSONDecodeError as error:
            raise strict_json.InvalidJSON("not valid JSON", malformed=True) from error

    @classmethod
    def raw_decode(cls, text: str, start: int = 0, *, from_utf8: bool = False) -> Any:
        start = len(text) - len(text[start:].lstrip())
        try:
            return cls._decoder.raw_decode(text, start)
        except json.JSONDecodeError as error:
            raise strict_json.InvalidJSON("not valid JSON", malformed=True) from error


def read_standard(reader: Callable[..., Any], body: bytes, **limits: Any) -> list[Any]:
    uploads.strict_json = StandardDecoding  # type: ignore[assignment]
    try:
        return list(reader(io.BytesIO(body), **limits))
    finally:
        uploads.strict_json = strict_json


def items(count: int) -> list[dict[str, Any]]:
    return [
        {
            "payload": {"text": f"Is this a cat? item {n} — ünïcode", "score": n / 7, "n": n},
            "ref": f"ext-{n}",
            "tags": [["a", n], ["b"]],
        }
        for n in range(count)
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    answer = json.dumps({"value": ["cat", "dog"], "note": "ünïcode text " * 10}).encode()
    body = json.dumps(items(6000), ensure_ascii=False).encode()
    escaped = json.dumps(items(4500)).encode()
    upload = items(20_000)
    lines = "".join(json.dumps(item) + "\n" for item in upload).encode()
    listed = json.dumps(upload).encode()
    limits = {"max_item_bytes": 64 * 1024, "max_bytes": 256 * 1024 * 1024}

    cases: list[tuple[str, Callable[[], Any], Callable[[], Any], int]] = [
        ("answer body", lambda: json.loads(answer), lambda: strict_json.loads(answer), 20_000),
        (
            f"API body {len(body) // 1024} KB",
            lambda: json.loads(body),
            lambda: strict_json.loads(body),
            5,
        ),
        (
            f"API body {len(escaped) // 1024} KB, \\u-escaped",
            lambda: json.loads(escaped),
            lambda: strict_json.loads(escaped),
            5,
        ),
        (
            "upload 20,000 items, JSON Lines",
            lambda: read_standard(uploads.read_jsonl, lines, **limits),
            lambda: list(uploads.read_jsonl(io.BytesIO(lines), **limits)),
            2,
        ),
        (
            "upload 20,000 items, JSON list",
            lambda: read_standard(uploads.read_json_list, listed, **limits),
            lambda: list(uploads.read_json_list(io.BytesIO(listed), **limits)),
            2,
        ),
    ]
    missed = False
    print(f"{'document':<36} {'json':>10} {'strict':>10} {'ratio':>7}")
    for name, baseline, ours, number in cases:
        base, mine = best_of_both(baseline, ours, args.repeat, number)
        ratio = mine / base
        missed |= ratio > RATIO_TARGET
        flag = "" if ratio <= RATIO_TARGET else f"  MISSES {RATIO_TARGET}x"
        print(f"{name:<36} {base * 1e3:>8.3f}ms {mine * 1e3:>8.3f}ms {ratio:>6.2f}x{flag}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
