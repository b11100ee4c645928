"""Public API and page of the log: no login, cache headers, 400s for bad parameters."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from rest_framework.test import APIClient

from ledger import merkle, services
from ledger.signing import tree_head_bytes, verify_signature
from tests.ledger.helpers import export_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def log() -> list[Any]:
    leaves = services.entries_record(
        entries=[("dataset.export", export_payload(n)) for n in range(10)]
    )
    services.tree_head_publish()
    return leaves


def test_sth_is_public_signed_and_cacheable(api_client: APIClient, log: Any) -> None:
    response = api_client.get("/api/v1/ledger/sth/")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    head = response.json()
    assert head["tree_size"] == 11  # ten exports after the key's introduction
    message = tree_head_bytes(
        timestamp_ms=head["timestamp"],
        tree_size=head["tree_size"],
        root_hash=bytes.fromhex(head["root_hash"]),
    )
    assert verify_signature(
        public_key=bytes.fromhex(head["public_key"]),
        message=message,
        signature=base64.b64decode(head["signature"]),
    )


def test_first_sth_request_on_an_empty_log_introduces_the_key(api_client: APIClient) -> None:
    head = api_client.get("/api/v1/ledger/sth/").json()
    assert head["tree_size"] == 1
    entry = api_client.get("/api/v1/ledger/entries/?start=0").json()["results"][0]
    assert entry["kind"] == "ledger.key_rotation"


def test_entries_and_inclusion_proof_verify(
    api_client: APIClient, log: Any, django_assert_max_num_queries: Any
) -> None:
    head = api_client.get("/api/v1/ledger/sth/").json()
    entries = api_client.get("/api/v1/ledger/entries/?start=0&end=11")
    assert entries["Cache-Control"] == "public, max-age=31536000, immutable"
    rows = entries.json()["results"]
    assert [row["index"] for row in rows] == list(range(11))
    for row in rows:
        with django_assert_max_num_queries(3):
            proof = api_client.get(
                f"/api/v1/ledger/proof/inclusion/?index={row['index']}&tree_size=11"
            ).json()
        leaf_hash = merkle.leaf_hash(row["data"].encode())
        assert leaf_hash.hex() == row["leaf_hash"] == proof["leaf_hash"]
        assert merkle.verify_inclusion(
            leaf_hash,
            row["index"],
            11,
            [bytes.fromhex(x) for x in proof["audit_path"]],
            bytes.fromhex(head["root_hash"]),
        )


def test_inclusion_proof_by_leaf_hash(api_client: APIClient, log: Any) -> None:
    target = bytes(log[4].leaf_hash).hex()
    proof = api_client.get(f"/api/v1/ledger/proof/inclusion/?leaf_hash={target}").json()
    assert proof["index"] == log[4].index


def test_consistency_between_heads(api_client: APIClient, log: Any) -> None:
    old = api_client.get("/api/v1/ledger/sth/").json()
    services.entries_record(entries=[("dataset.export", export_payload(n)) for n in range(20, 27)])
    services.tree_head_publish()
    heads = api_client.get("/api/v1/ledger/heads/").json()["results"]
    new = heads[0]
    assert new["tree_size"] == old["tree_size"] + 7
    proof = api_client.get(
        f"/api/v1/ledger/proof/consistency/?first={old['tree_size']}&second={new['tree_size']}"
    ).json()
    assert merkle.verify_consistency(
        old["tree_size"],
        new["tree_size"],
        bytes.fromhex(old["root_hash"]),
        bytes.fromhex(new["root_hash"]),
        [bytes.fromhex(x) for x in proof["proof"]],
    )


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/ledger/proof/inclusion/?index=11&tree_size=11", "index"),  # past the tree size
        ("/api/v1/ledger/proof/inclusion/?index=-1", "index"),  # negative index
        ("/api/v1/ledger/proof/inclusion/?index=abc", "index"),  # not an integer
        ("/api/v1/ledger/proof/inclusion/?index=1.5", "index"),  # not an integer either
        ("/api/v1/ledger/proof/inclusion/", "index"),  # neither index nor leaf hash
        ("/api/v1/ledger/proof/inclusion/?index=0&tree_size=999", "tree_size"),  # beyond the log
        ("/api/v1/ledger/proof/inclusion/?leaf_hash=xyz", "leaf_hash"),  # not hex
        ("/api/v1/ledger/proof/consistency/?first=5&second=99", "second"),  # beyond the log
        ("/api/v1/ledger/proof/consistency/?first=7&second=3", "first"),  # first after second
        ("/api/v1/ledger/proof/consistency/?first=x&second=3", "first"),  # not an integer
        ("/api/v1/ledger/entries/?start=-3", "start"),  # negative start
        ("/api/v1/ledger/entries/?start=5&end=2", "end"),  # empty range
        ("/api/v1/ledger/entries/", "start"),  # missing start
    ],
)
def test_bad_parameters_are_400_naming_the_field(
    api_client: APIClient, log: Any, url: str, field: str
) -> None:
    response = api_client.get(url)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_unknown_leaf_hash_is_404(api_client: APIClient, log: Any) -> None:
    response = api_client.get("/api/v1/ledger/proof/inclusion/?leaf_hash=" + "ab" * 32)
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


def test_transparency_page_shows_head_and_verifies_an_entry(client: Any, log: Any) -> None:
    response = client.get("/transparency/?index=3")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Latest signed tree head" in body
    assert "proof holds" in body
    assert 'id="ledger-proof"' in body


def test_transparency_page_bad_lookup_is_400(client: Any, log: Any) -> None:
    assert client.get("/transparency/?index=9999").status_code == 400
    assert client.get("/transparency/?index=abc").status_code == 400
