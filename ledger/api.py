"""Public, read-only API of the log: no account needed, so anyone can audit it."""

from __future__ import annotations

import base64
from typing import Any

from django.utils.decorators import method_decorator
from django.views.decorators.cache import cache_control
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import InvalidInput
from core.schema import NOT_FOUND, Link, response_links
from ledger import conf, selectors, services
from ledger.models import Leaf, TreeHead
from ledger.signing import SIGNATURE_TYPE_TREE_HASH, STH_VERSION


def head_payload(head: TreeHead) -> dict[str, Any]:
    return {
        "tree_size": head.tree_size,
        "timestamp": head.timestamp_ms,
        "root_hash": bytes(head.root_hash).hex(),
        "signature": base64.b64encode(bytes(head.signature)).decode(),
        "public_key": bytes(head.public_key).hex(),
        "key_id": head.key_id,
        "signed_message": {
            "layout": (
                "version:u8 | signature_type:u8 | timestamp_ms:u64be | tree_size:u64be"
                " | root_hash:32 bytes"
            ),
            "version": STH_VERSION,
            "signature_type": SIGNATURE_TYPE_TREE_HASH,
        },
    }


def leaf_payload(leaf: Leaf) -> dict[str, Any]:
    return {
        "index": leaf.index,
        "kind": leaf.kind,
        "data": leaf.data,
        "leaf_hash": bytes(leaf.leaf_hash).hex(),
        "created_at": leaf.created_at,
    }


class _Query(serializers.Serializer):
    def to_internal_value(self, data: Any) -> Any:
        # Query strings repeat keys; only the first value of each counts.
        return super().to_internal_value({key: data.get(key) for key in data})


class InclusionQuery(_Query):
    index = serializers.IntegerField(
        min_value=0, required=False, help_text="the entry's index; give this or leaf_hash"
    )
    leaf_hash = serializers.RegexField(
        r"^[0-9a-f]{64}$",
        required=False,
        error_messages={"invalid": "Must be 64 lower-case hex digits."},
    )
    tree_size = serializers.IntegerField(min_value=1, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("index" in attrs) == ("leaf_hash" in attrs):
            raise serializers.ValidationError({"index": ["Give either index or leaf_hash."]})
        return attrs


class ConsistencyQuery(_Query):
    first = serializers.IntegerField(min_value=0)
    second = serializers.IntegerField(min_value=1)


class EntriesQuery(_Query):
    start = serializers.IntegerField(min_value=0)
    end = serializers.IntegerField(min_value=1, required=False)


class SignedMessageOut(serializers.Serializer):
    layout = serializers.CharField()
    version = serializers.IntegerField()
    signature_type = serializers.IntegerField()


class TreeHeadOut(serializers.Serializer):
    tree_size = serializers.IntegerField()
    timestamp = serializers.IntegerField(help_text="milliseconds since the Unix epoch, UTC")
    root_hash = serializers.CharField(help_text="hex")
    signature = serializers.CharField(help_text="base64 Ed25519 signature of the signed message")
    public_key = serializers.CharField(help_text="hex, raw 32-byte Ed25519 public key")
    key_id = serializers.CharField()
    signed_message = SignedMessageOut()


class TreeHeadListOut(serializers.Serializer):
    results = TreeHeadOut(many=True)


class LeafOut(serializers.Serializer):
    index = serializers.IntegerField()
    kind = serializers.CharField()
    data = serializers.CharField(  # type: ignore[assignment]
        help_text="canonical JSON; leaf hash = SHA-256(0x00 || UTF-8 bytes)"
    )
    leaf_hash = serializers.CharField(help_text="hex")
    created_at = serializers.DateTimeField()


class EntriesOut(serializers.Serializer):
    start = serializers.IntegerField()
    results = LeafOut(many=True)


class InclusionProofOut(serializers.Serializer):
    index = serializers.IntegerField()
    tree_size = serializers.IntegerField()
    leaf_hash = serializers.CharField()
    audit_path = serializers.ListField(child=serializers.CharField())
    root_hash = serializers.CharField()


class ConsistencyProofOut(serializers.Serializer):
    first = serializers.IntegerField()
    second = serializers.IntegerField()
    first_root_hash = serializers.CharField()
    second_root_hash = serializers.CharField()
    proof = serializers.ListField(child=serializers.CharField())


class PublicLedgerView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list[Any] = []


@method_decorator(cache_control(public=True, max_age=10), name="get")
class TreeHeadView(PublicLedgerView):
    @extend_schema(responses={200: TreeHeadOut, 404: NOT_FOUND})
    @response_links(
        200,
        entries=Link("v1_ledger_entries_retrieve", {"end": "$response.body#/tree_size"}),
        consistency=Link(
            "v1_ledger_proof_consistency_retrieve", {"second": "$response.body#/tree_size"}
        ),
        inclusion=Link(
            "v1_ledger_proof_inclusion_retrieve", {"tree_size": "$response.body#/tree_size"}
        ),
    )
    def get(self, request: Request) -> Response:
        services.tree_head_publish_if_stale(max_age_seconds=conf.sth_max_age())
        head = selectors.latest_head()
        if head is None:
            return Response({"detail": "The log has no signed head yet."}, status=404)
        return Response(head_payload(head))


@method_decorator(cache_control(public=True, max_age=60), name="get")
class TreeHeadListView(PublicLedgerView):
    """Every published head, newest first: verifiers check consistency between any two."""

    @extend_schema(responses=TreeHeadListOut)
    def get(self, request: Request) -> Response:
        query = _Query(data=request.query_params)
        query.is_valid(raise_exception=True)
        heads = TreeHead.objects.order_by("-tree_size")[:100]
        return Response({"results": [head_payload(head) for head in heads]})


class EntriesView(PublicLedgerView):
    @extend_schema(parameters=[EntriesQuery], responses=EntriesOut)
    @response_links(
        200,
        inclusion=Link(
            "v1_ledger_proof_inclusion_retrieve",
            {"leaf_hash": "$response.body#/results/0/leaf_hash"},
        ),
    )
    def get(self, request: Request) -> Response:
        query = EntriesQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        start = query.validated_data["start"]
        limit = conf.max_entries_per_page()
        end = query.validated_data.get("end", start + limit)
        leaves = selectors.entries(start=start, end=end, limit=limit)
        response = Response({"start": start, "results": [leaf_payload(leaf) for leaf in leaves]})
        # Leaves never change, so a full page may be cached for good; a short one may grow.
        full = len(leaves) == min(end - start, limit)
        response["Cache-Control"] = (
            "public, max-age=31536000, immutable" if full and leaves else "public, max-age=10"
        )
        return response


class InclusionProofView(PublicLedgerView):
    @extend_schema(parameters=[InclusionQuery], responses={200: InclusionProofOut, 404: NOT_FOUND})
    def get(self, request: Request) -> Response:
        query = InclusionQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        if "leaf_hash" in data:
            proof = selectors.inclusion_proof_by_hash(
                leaf_hash=bytes.fromhex(data["leaf_hash"]), tree_size=data.get("tree_size")
            )
        else:
            proof = selectors.inclusion_proof(index=data["index"], tree_size=data.get("tree_size"))
        response = Response(
            {
                "index": proof.index,
                "tree_size": proof.tree_size,
                "leaf_hash": proof.leaf_hash.hex(),
                "audit_path": [node.hex() for node in proof.audit_path],
                "root_hash": proof.root_hash.hex(),
            }
        )
        response["Cache-Control"] = (
            "public, max-age=31536000, immutable" if "tree_size" in data else "public, max-age=10"
        )
        return response


class ConsistencyProofView(PublicLedgerView):
    @extend_schema(parameters=[ConsistencyQuery], responses=ConsistencyProofOut)
    def get(self, request: Request) -> Response:
        query = ConsistencyQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        first, second = query.validated_data["first"], query.validated_data["second"]
        if first > second:
            raise InvalidInput("Must not be larger than second.", field="first")
        proof = selectors.consistency_proof(first=first, second=second)
        response = Response(
            {
                "first": proof.first,
                "second": proof.second,
                "first_root_hash": proof.first_root.hex(),
                "second_root_hash": proof.second_root.hex(),
                "proof": [node.hex() for node in proof.proof],
            }
        )
        response["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
