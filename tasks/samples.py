"""Sample item files for a project's kind, for requesters to start from. Each one uploads
as it is (a test round-trips every kind in both formats), so a sample never teaches a
format the upload refuses."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from tasks.export_format import plain
from tasks.kinds import Spec


def _gold(spec: Spec) -> Any:
    first = spec.labels[0] if spec.labels else "a label"
    return {
        "single_label": first,
        "multi_label": [first],
        "pairwise": "a",
        "rating": spec.scale_min,
        "free_text": "a short model answer",
    }[spec.kind]


def sample_records(spec: Spec) -> list[dict[str, Any]]:
    """Two items to work and one gold item with a known answer."""
    if spec.kind == "pairwise":
        payloads = [
            {"a": "The first of two answers", "b": "The second of two answers"},
            {"a": "Another answer", "b": "Its rival"},
            {"a": "A clearly better answer", "b": "A clearly worse one"},
        ]
    else:
        payloads = [
            {"text": "The first thing to label"},
            {"text": "The second thing to label"},
            {"text": "An item whose answer you know"},
        ]
    records: list[dict[str, Any]] = [
        {"payload": payload, "ref": f"item-{number}"}
        for number, payload in enumerate(payloads[:2], start=1)
    ]
    records.append({"payload": payloads[2], "ref": "gold-1", "gold": _gold(spec)})
    return records


def sample_jsonl(spec: Spec) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in sample_records(spec))


def sample_csv(spec: Spec) -> str:
    records = sample_records(spec)
    fields = list(records[0]["payload"])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*fields, "ref", "gold"])
    for record in records:
        writer.writerow(
            [
                *(record["payload"][field] for field in fields),
                record["ref"],
                plain(record.get("gold")),
            ]
        )
    return buffer.getvalue()
