"""The export's bytes: per item, its aggregated label and every answer with its provenance
(pseudonymous pioneer, time, gold accuracy then), as JSON Lines or CSV.

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


def export_chunks(
    *, project: Project, fmt: str, stats: dict[str, int], method: str | None = None
) -> Iterator[bytes]:
    """The export's bytes, in chunks; counts items and answers into `stats` as it goes."""
    results = aggregate(project=project, method=method)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n") if fmt == "csv" else None
    if writer is not None:
        writer.writerow(
            [
                "item_id",
                "ref",
                "payload",
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
            head = [
                str(item.public_id),
                item.ref,
                json.dumps(item.payload, ensure_ascii=False, separators=(",", ":")),
                "" if label is None else json.dumps(label, ensure_ascii=False),
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
                        json.dumps(answer["value"], ensure_ascii=False),
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
