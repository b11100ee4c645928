"""Signed tree heads: Ed25519 over a fixed byte layout.

The signed message is 50 bytes, all integers big-endian, as RFC 6962's TreeHeadSignature:

    version         1 byte   0
    signature_type  1 byte   1  (tree_hash)
    timestamp       8 bytes  milliseconds since the Unix epoch (UTC)
    tree_size       8 bytes  number of leaves
    root_hash      32 bytes  RFC 6962 Merkle Tree Hash of the first tree_size leaves

A key is named by its key id: the first 16 hex digits of SHA-256(raw 32-byte public key).
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.conf import signing_key_b64

STH_VERSION = 0
SIGNATURE_TYPE_TREE_HASH = 1


def tree_head_bytes(*, timestamp_ms: int, tree_size: int, root_hash: bytes) -> bytes:
    if len(root_hash) != 32:
        raise ValueError("root_hash must be 32 bytes")
    return (
        struct.pack(">BBQQ", STH_VERSION, SIGNATURE_TYPE_TREE_HASH, timestamp_ms, tree_size)
        + root_hash
    )


def key_id(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()[:16]


@dataclass(frozen=True)
class Signer:
    private_key: Ed25519PrivateKey
    public_key: bytes
    key_id: str

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


def signer_from_b64(value: str) -> Signer:
    raw = base64.b64decode(value)
    private = Ed25519PrivateKey.from_private_bytes(raw)
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return Signer(private, public, key_id(public))


@lru_cache(maxsize=4)
def _cached_signer(value: str) -> Signer:
    return signer_from_b64(value)


def current_signer() -> Signer:
    return _cached_signer(signing_key_b64())


def verify_signature(*, public_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True
