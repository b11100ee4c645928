"""Destroying identity documents: on schedule after a final decision, or when the pioneer
asks. Document rows, check results, hashes and audit events stay; only the files go."""

from __future__ import annotations

import datetime
from datetime import timedelta
from functools import partial

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.errors import Conflict, Forbidden
from kyc import conf
from kyc.models import Case, CaseEvent, Document, State
from kyc.services.transitions import case_lock

# While a case is being decided its documents are evidence.
UNDER_REVIEW = frozenset(
    {State.SUBMITTED, State.CHECKING, State.IN_REVIEW, State.ESCALATED, State.APPEALED}
)


def documents_purge(*, now: datetime.datetime | None = None) -> int:
    """Destroy document files KYC_RETENTION_DAYS after a final decision; returns how many.
    One transaction per file: a failure part-way leaves the files already destroyed
    recorded as such."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=conf.retention_days())
    due = Document.objects.filter(
        purged_at__isnull=True,
        case__state__in=[State.APPROVED, State.REJECTED],
        case__decided_at__lt=cutoff,
    ).select_related("case")
    purged = 0
    for document in due.iterator():
        with transaction.atomic(durable=True):
            locked = Document.objects.select_for_update().get(pk=document.pk)
            if locked.purged_at is not None:
                continue
            locked.purged_at = now
            locked.save(update_fields=["purged_at"])
            CaseEvent.objects.create(
                case=document.case,
                actor=None,
                action=f"purge_{locked.kind}",
                from_state=document.case.state,
                to_state=document.case.state,
            )
            name = locked.file_name
            transaction.on_commit(partial(default_storage.delete, name))
        purged += 1
    return purged


def documents_erase_on_request(*, case: Case, user: User) -> int:
    """A pioneer's erasure request: documents of a decided case are destroyed at once."""
    with transaction.atomic(durable=True):
        case = case_lock(case=case)
        if case.user_id != user.pk:
            raise Forbidden("This is not your case.")
        if case.state in UNDER_REVIEW:
            raise Conflict("Documents of a case under review cannot be erased until it is decided.")
        documents = list(
            Document.objects.select_for_update().filter(case=case, purged_at__isnull=True)
        )
        now = timezone.now()
        for document in documents:
            document.purged_at = now
            document.save(update_fields=["purged_at"])
            name = document.file_name
            transaction.on_commit(partial(default_storage.delete, name))
        CaseEvent.objects.create(
            case=case,
            actor=user,
            action="erase_documents",
            from_state=case.state,
            to_state=case.state,
        )
    return len(documents)
