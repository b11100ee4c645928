"""Payloads of the log's kinds, shared by the ledger's tests and those that read the log."""

from __future__ import annotations

from typing import Any

from ledger.pseudonyms import pseudonym


def export_payload(n: int = 0) -> dict[str, Any]:
    return {
        "project": "0b7f0d4e-8b1e-4d5c-9a55-6f0c2b7e9a10",
        "format": "jsonl",
        "sha256": f"{n:064x}",
        "items": n,
        "answers": 3 * n,
        "exported_at": "2026-11-23T08:00:00Z",
    }


def decision_payload(case: str = "case-1") -> dict[str, Any]:
    return {
        "case": pseudonym("kyc.case", case),
        "outcome": "approved",
        "reason_codes": ["documents_ok"],
        "decided_at": "2026-11-23T08:00:00Z",
    }
