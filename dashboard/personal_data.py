"""A person's own data: one download of what every app holds about them, erasing their
identity documents, and closing their account. Each app's part comes from its own
selector or service; this module only puts them together."""

from __future__ import annotations

from typing import Any

from accounts import selectors as account_selectors
from accounts.models import User
from accounts.services.users import user_close
from core.errors import Conflict
from kyc.selectors import cases as kyc_cases
from kyc.services import retention
from support import selectors as support_selectors
from tasks import selectors as task_selectors


def personal_data(*, user: User) -> dict[str, Any]:
    member = account_selectors.user_for_me(user_id=user.pk)
    profile = member.profile
    return {
        "account": {
            "id": str(member.public_id),
            "email": member.email,
            "joined_at": member.date_joined.isoformat(),
            "verified_at": member.verified_at.isoformat() if member.verified_at else None,
            "roles": account_selectors.user_role_names(user=member),
            "two_factor": account_selectors.user_mfa_enabled(user=member),
            "profile": {
                "display_name": profile.display_name,
                "country": profile.country.code if profile.country else "",
                "languages": profile.languages,
                "has_avatar": bool(profile.avatar),
            },
        },
        "identity_verification": kyc_cases.personal_data_export(user=member),
        "tasks": task_selectors.personal_data_export(user=member),
        "contact_messages": support_selectors.messages_of(user=member),
    }


def erasable_document_count(*, user: User) -> tuple[int, bool]:
    """How many document images the person holds, and whether a case under review keeps
    them for now."""
    cases = kyc_cases.cases_holding_documents(user=user)
    held = any(case.state in retention.UNDER_REVIEW for case in cases)
    return sum(case.documents_held for case in cases), held  # type: ignore[attr-defined]


def documents_erase(*, user: User) -> int:
    """Erase the images of every case of the person's; refused as a whole (before any is
    erased) while one of their cases is under review."""
    cases = kyc_cases.cases_holding_documents(user=user)
    if any(case.state in retention.UNDER_REVIEW for case in cases):
        raise Conflict(
            "Your identity case is being reviewed; its documents can be deleted once it is decided."
        )
    return sum(retention.documents_erase_on_request(case=case, user=user) for case in cases)


def account_close(*, user: User) -> None:
    """Documents first (a case under review refuses, and nothing is closed), then the
    account."""
    documents_erase(user=user)
    user_close(user=user)
