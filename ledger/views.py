from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.errors import DomainError
from ledger import conf, merkle, selectors, services
from ledger.api import head_payload


class LookupForm(forms.Form):
    index = forms.IntegerField(min_value=0, required=False, label="Entry number")
    leaf_hash = forms.RegexField(
        r"^[0-9a-f]{64}$",
        required=False,
        label="or leaf hash",
        error_messages={"invalid": "64 lower-case hex digits."},
    )


@require_GET
def transparency(request: HttpRequest) -> HttpResponse:
    """The log explained, its latest signed head, and any entry with its proof verified."""
    services.tree_head_publish_if_stale(max_age_seconds=conf.sth_max_age())
    head = selectors.latest_head()
    form = LookupForm(request.GET or None)
    signed_at = datetime.fromtimestamp(head.timestamp_ms / 1000, tz=UTC) if head else None
    context: dict[str, Any] = {
        "signed_at": signed_at,
        "head": head_payload(head) if head else None,
        "form": form,
        "size": selectors.current_tree_size(),
        "recent": selectors.recent_entries(),
    }
    status = 200
    if (
        request.GET
        and form.is_valid()
        and (form.cleaned_data["index"] is not None or form.cleaned_data["leaf_hash"])
    ):
        try:
            if form.cleaned_data["leaf_hash"]:
                proof = selectors.inclusion_proof_by_hash(
                    leaf_hash=bytes.fromhex(form.cleaned_data["leaf_hash"])
                )
            else:
                proof = selectors.inclusion_proof(index=form.cleaned_data["index"])
        except DomainError as error:
            form.add_error("index", error.message)
            status = 400
        else:
            [leaf] = selectors.entries(start=proof.index, end=proof.index + 1, limit=1)
            verified = merkle.verify_inclusion(
                proof.leaf_hash, proof.index, proof.tree_size, proof.audit_path, proof.root_hash
            )
            context["entry"] = {
                "leaf": leaf,
                "pretty": json.dumps(json.loads(leaf.data), indent=2, ensure_ascii=False),
                "proof": proof,
                "proof_json": json.dumps(
                    {
                        "data": leaf.data,
                        "index": proof.index,
                        "tree_size": proof.tree_size,
                        "audit_path": [node.hex() for node in proof.audit_path],
                        "root_hash": proof.root_hash.hex(),
                    }
                ),
                "audit_path": [node.hex() for node in proof.audit_path],
                "server_verified": verified,
                "head_matches": bool(
                    head
                    and head.tree_size == proof.tree_size
                    and bytes(head.root_hash) == proof.root_hash
                ),
            }
    elif request.GET and not form.is_valid():
        status = 400
    return render(request, "ledger/transparency.html", context, status=status)
