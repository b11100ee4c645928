"""Dataset exports: the file a requester downloads, and its hash in the public log."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from core.errors import Forbidden, InvalidInput
from ledger.schemas import utc_timestamp
from ledger.services import entry_record
from tasks import export_format
from tasks.models import DatasetExport, Project
from tasks.services.projects import audit

if TYPE_CHECKING:
    from accounts.models import User


@dataclass
class ExportFile:
    record: DatasetExport
    file: IO[bytes]


def export_create(
    *, project: Project, actor: User, fmt: str, method: str | None = None
) -> ExportFile:
    """Build the export into an anonymous temporary file, hash it, record the hash in the
    ledger, then hand back the file to stream.

    The hash must be in the log before the first byte leaves, so the bytes are produced
    completely first: into a temporary file (unlinked at once, so nothing is left behind on
    any failure), hashing as they are written, with memory bounded by the aggregation, not
    by the export's size.
    """
    if fmt not in ("jsonl", "csv"):
        raise InvalidInput("Choose jsonl or csv.", field="format")
    if project.owner_id != actor.pk:
        raise Forbidden("Only the owner can export a project.")
    exported_at = timezone.now().replace(microsecond=0)
    out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    try:
        digest = hashlib.sha256()
        size = 0
        stats = {"items": 0, "answers": 0}
        for chunk in export_format.export_chunks(
            project=project, fmt=fmt, stats=stats, method=method
        ):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
        sha256 = digest.hexdigest()
        with transaction.atomic(durable=True):
            entry = entry_record(
                kind="dataset.export",
                payload={
                    "project": str(project.public_id),
                    "format": fmt,
                    "sha256": sha256,
                    "items": stats["items"],
                    "answers": stats["answers"],
                    "exported_at": utc_timestamp(exported_at),
                },
            )
            export = DatasetExport.objects.create(
                project=project,
                requested_by=actor,
                format=fmt,
                sha256=sha256,
                size=size,
                items=stats["items"],
                answers=stats["answers"],
                exported_at=exported_at,
                ledger_index=entry.index,
            )
            audit(project, actor, "dataset.exported", export=str(export.public_id), sha256=sha256)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return ExportFile(export, out)
