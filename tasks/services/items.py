"""Items: a requester's upload, streamed in, all or nothing."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, Any

from django.db import transaction

from core.errors import Conflict, Forbidden, InvalidInput
from tasks import conf, kinds
from tasks.models import Item, Project, State
from tasks.services.notifications import remaining_schedule
from tasks.services.projects import audit, project_spec
from tasks.uploads import Record, UploadTooLarge, read_csv, read_json_list, read_jsonl

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


class UploadRejected(InvalidInput):
    """Carries every line error (up to the limit); nothing of the upload was kept."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(errors[0] if errors else "The upload was rejected.", field="items")
        self.errors = errors


def _item_from_record(project: Project, spec: kinds.Spec, value: Any) -> Item:
    if not isinstance(value, dict):
        raise kinds.AnswerError('each item must be an object with a "payload"')
    unknown = set(value) - {"payload", "gold", "ref"}
    if unknown:
        raise kinds.AnswerError(f"unknown field {sorted(unknown)[0]!r}")
    if "payload" not in value:
        raise kinds.AnswerError('"payload" is required')
    payload = kinds.clean_payload(project.kind, value["payload"])
    ref = value.get("ref", "")
    if not isinstance(ref, str) or len(ref) > 200:
        raise kinds.AnswerError('"ref" must be text of at most 200 characters')
    gold = None
    if value.get("gold") is not None:
        try:
            gold = kinds.clean_answer(spec, value["gold"])
        except kinds.AnswerError as error:
            raise kinds.AnswerError(f"gold: {error}") from error
    return Item(
        project=project,
        ref=ref,
        payload=payload,
        is_gold=gold is not None,
        gold_answer=gold,
        open_slots=0 if gold is not None else project.overlap,
    )


def items_upload(*, project: Project, actor: User, stream: IO[bytes], fmt: str) -> dict[str, int]:
    """Stream items in, all or nothing: rows go in batches inside one transaction and every
    bad line is collected (up to a limit); any error rolls the whole upload back."""
    readers: dict[str, Callable[..., Iterator[Record]]] = {
        "json": read_json_list,
        "jsonl": read_jsonl,
        "csv": functools.partial(read_csv, list_gold=project.kind == "multi_label"),
    }
    if fmt not in readers:
        raise InvalidInput("Send a JSON list, JSON Lines or CSV.", field="format")
    reader = readers[fmt]
    batch_size = conf.upload_batch()
    max_errors = conf.upload_max_errors()
    errors: list[str] = []
    counts = {"items": 0, "gold": 0}
    try:
        with transaction.atomic(durable=True):
            locked = Project.objects.select_for_update().get(pk=project.pk)
            if locked.owner_id != actor.pk:
                raise Forbidden("Only the owner can upload items.")
            if locked.state == State.CLOSED:
                raise Conflict("A closed project takes no more items.")
            spec = project_spec(locked)
            batch: list[Item] = []
            record: Record
            for record in reader(
                stream, max_item_bytes=conf.item_max_bytes(), max_bytes=conf.upload_max_bytes()
            ):
                if record.error is None:
                    try:
                        item = _item_from_record(locked, spec, record.value)
                    except kinds.AnswerError as error:
                        errors.append(f"line {record.line}: {error}")
                    else:
                        counts["gold" if item.is_gold else "items"] += 1
                        if not errors:
                            batch.append(item)
                else:
                    errors.append(f"line {record.line}: {record.error}")
                if len(errors) >= max_errors or record.fatal:
                    break
                if len(batch) >= batch_size:
                    Item.objects.bulk_create(batch)
                    batch = []
            if not errors and counts["items"] + counts["gold"] == 0:
                errors.append("line 1: the upload holds no items")
            if errors:
                raise UploadRejected(errors)
            Item.objects.bulk_create(batch)
            audit(locked, actor, "items.uploaded", **counts)
    except UploadTooLarge as error:
        raise InvalidInput(str(error), field="items") from error
    remaining_schedule(project=project)
    logger.info("items uploaded project=%s items=%s gold=%s", project.public_id, *counts.values())
    return counts
