"""The export's bytes: per item, its aggregated label and every answer with its provenance
(pseudonymous pioneer, time, gold accuracy then), as JSON Lines or CSV.

CSV is for spreadsheets: cells hold plain values (`cat`, not `"cat"`; a multi-label answer
as `cat; dog`), and each top-level field of the items' payloads gets its own
`payload.<field>` column.

Streamed: items and answers come from two ordered queries read in step, and the bytes
leave in chunks, so memory is bounded by the aggregate, not by the export's size.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from tasks.models import Answer, Item, Project
from tasks.results import EXPORT_BATCH, aggregate, pioneer_pseudonym


def _answers_by_item(project: Project) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Answers grouped by item, in item order, streamed from one ordered query."""
    names: dict[Any, str] = {}
    current: int | None = None
    group: list[dict[str, Any]] = []
    for item_id, public_id, value, created_at, accuracy in (
        Answer.objects.filter(project=project, is_gold=False)
        .order_by("item_id", "pk")
        .values_list("item_id", "pioneer__public_id", "value", "created_at", "gold_accuracy")
        .iterator(chunk_size=EXPORT_BATCH)
    ):
        if item_id != current:
            if current is not None:
                yield current, group
            current, group = item_id, []
        if public_id not in names:
            names[public_id] = pioneer_pseudonym(project, public_id)
        group.append(
            {
                "pioneer": names[public_id],
                "value": value,
                "answered_at": created_at.isoformat().replace("+00:00", "Z"),
                "gold_accuracy_at_time": accuracy,
            }
        )
    if current is not None:
        yield current, group


def _items_with_answers(project: Project) -> Iterator[tuple[Item, list[dict[str, Any]]]]:
    answers = _answers_by_item(project)
    pending = next(answers, None)
    for item in (
        Item.objects.filter(project=project, is_gold=False)
        .order_by("pk")
        .only("pk", "public_id", "ref", "payload")
        .iterator(chunk_size=EXPORT_BATCH)
    ):
        group: list[dict[str, Any]] = []
        if pending is not None and pending[0] == item.pk:
            group = pending[1]
            pending = next(answers, None)
        yield item, group


FORMULA_STARTS = frozenset("=+-@\t\r")


def plain(value: Any) -> str:
    """A JSON value as a spreadsheet cell: text as is, numbers and booleans as JSON writes
    them, a list of plain values joined by "; ", anything nested as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        # Text from pioneers and requesters that a spreadsheet would run as a formula
        # (OWASP's CSV injection) is kept as text with a leading apostrophe.
        return "'" + value if value[:1] in FORMULA_STARTS else value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    if isinstance(value, list) and all(
        isinstance(part, str | bool | int | float) for part in value
    ):
        return "; ".join(plain(part) for part in value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def payload_columns(project: Project) -> tuple[list[str], bool]:
    """The payloads' top-level fields in first-seen order, and whether any payload is not
    an object (it then goes whole into a `payload` column). One pass over the payloads
    before the rows, since a CSV header comes first."""
    fields: dict[str, None] = {}
    loose = False
    for payload in (
        Item.objects.filter(project=project, is_gold=False)
        .order_by("pk")
        .values_list("payload", flat=True)
        .iterator(chunk_size=EXPORT_BATCH)
    ):
        if isinstance(payload, dict):
            fields.update(dict.fromkeys(payload))
        else:
            loose = True
    return list(fields), loose


def export_chunks(
    *, project: Project, fmt: str, stats: dict[str, int], method: str | None = None
) -> Iterator[bytes]:
    """The export's bytes, in chunks; counts items and answers into `stats` as it goes."""
    results = aggregate(project=project, method=method)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n") if fmt == "csv" else None
    fields: list[str] = []
    loose = False
    if writer is not None:
        fields, loose = payload_columns(project)
        writer.writerow(
            [
                "item_id",
                "ref",
                *(["payload"] if loose else []),
                *(f"payload.{field}" for field in fields),
                "label",
                "confidence",
                "method",
                "pioneer",
                "answer",
                "answered_at",
                "gold_accuracy_at_time",
            ]
        )
    for number, (item, answers) in enumerate(_items_with_answers(project), start=1):
        label, confidence = results.labels.get(item.pk, (None, None))
        stats["items"] += 1
        stats["answers"] += len(answers)
        if writer is None:
            line = {
                "item_id": str(item.public_id),
                "ref": item.ref,
                "payload": item.payload,
                "label": label,
                "confidence": confidence,
                "method": results.method if label is not None else None,
                "answers": answers,
            }
            buffer.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        else:
            payload = item.payload if isinstance(item.payload, dict) else {}
            head = [
                str(item.public_id),
                item.ref,
                *(
                    [plain(None if isinstance(item.payload, dict) else item.payload)]
                    if loose
                    else []
                ),
                *(plain(payload.get(field)) for field in fields),
                plain(label),
                "" if confidence is None else f"{confidence:.6f}",
                results.method if label is not None else "",
            ]
            pending: list[dict[str, Any] | None] = list(answers) or [None]
            for answer in pending:
                if answer is None:
                    writer.writerow([*head, "", "", "", ""])
                    continue
                accuracy = answer["gold_accuracy_at_time"]
                writer.writerow(
                    [
                        *head,
                        answer["pioneer"],
                        plain(answer["value"]),
                        answer["answered_at"],
                        "" if accuracy is None else f"{accuracy:.6f}",
                    ]
                )
        if number % 500 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    tail = buffer.getvalue()
    if tail:
        yield tail.encode()
