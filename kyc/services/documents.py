"""A case's identity documents: each image is checked, re-encoded, encrypted and stored
when uploaded, and every view of one is logged."""

from __future__ import annotations

import hashlib
import io
import logging
import uuid
from functools import partial
from typing import IO

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageStat

from accounts.models import User
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.images import sanitize_image
from kyc import checks, conf, crypto
from kyc.models import Case, CaseEvent, Document, DocumentAccess, DocumentKind
from kyc.services.transitions import EDITABLE, case_lock

logger = logging.getLogger(__name__)


def _is_blank(png: bytes) -> bool:
    with Image.open(io.BytesIO(png)) as image:
        return max(ImageStat.Stat(image.convert("L")).stddev) < 4.0


def document_upload(*, case: Case, user: User, kind: str, upload: IO[bytes]) -> Document:
    """Validate, re-encode, encrypt and store one document image; replaces the previous one.

    The encrypted file is written before the row and deleted again if the row does not
    commit, so a failure leaves no orphaned file and no row without a file.
    """
    if kind not in DocumentKind.values:
        raise InvalidInput("Choose id_front, id_back or selfie.", field="kind")
    # Checked again under the lock below; here so nobody gets an image decoded for a case
    # that is not theirs.
    if case.user_id != user.pk:
        raise Forbidden("This is not your case.")
    clean = sanitize_image(
        upload,
        field="file",
        holder=str(user.public_id),
        max_bytes=conf.max_upload_bytes(),
        max_pixels=conf.max_pixels(),
        max_side=conf.document_max_side(),
    )
    key_id, sealed = crypto.encrypt(clean.content, associated=str(case.public_id).encode())
    name = default_storage.save(f"kyc/{uuid.uuid4().hex}.bin", ContentFile(sealed))
    try:
        with transaction.atomic(durable=True):
            case = case_lock(case=case)
            if case.user_id != user.pk:
                raise Forbidden("This is not your case.")
            if case.state not in EDITABLE:
                raise Conflict("Documents can only be changed before the case is submitted.")
            previous = list(Document.objects.filter(case=case, kind=kind, purged_at__isnull=True))
            for old in previous:
                old.purged_at = timezone.now()
                old.save(update_fields=["purged_at"])
                old_name = old.file_name
                transaction.on_commit(partial(default_storage.delete, old_name))
            document = Document.objects.create(
                case=case,
                kind=kind,
                file_name=name,
                key_id=key_id,
                sha256=hashlib.sha256(clean.content).hexdigest(),
                content_type=clean.content_type,
                width=clean.width,
                height=clean.height,
                blank=_is_blank(clean.content),
            )
            CaseEvent.objects.create(
                case=case,
                actor=user,
                action=f"upload_{kind}",
                from_state=case.state,
                to_state=case.state,
            )
    except BaseException:
        default_storage.delete(name)
        raise
    # Said to the person at once (the automatic checks tell the moderator later).
    document.warnings = checks.photo_warnings(  # type: ignore[attr-defined]
        clean.content, what=DocumentKind(kind).label.lower()
    )
    return document


def document_read(*, document: Document, viewer: User) -> bytes:
    """Decrypt a document for someone already allowed to see it, and log the access."""
    if document.purged_at is not None:
        raise NotFound("This document was deleted.")
    with default_storage.open(document.file_name, "rb") as handle:
        sealed = handle.read()
    content = crypto.decrypt(sealed, associated=str(document.case.public_id).encode())
    DocumentAccess.objects.create(document=document, viewer=viewer)
    logger.info("kyc document viewed document=%s viewer=%s", document.pk, viewer.public_id)
    return content
