"""Envelope for document files: AES-256-GCM with the key id in front, so keys can rotate.

Layout: b"PPK1" | key id length (1 byte) | key id | 12-byte nonce | ciphertext+tag.
The case's public id is the associated data, so a file copied onto another case fails to
decrypt instead of showing the wrong person's document.
"""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kyc.conf import encryption_keys

MAGIC = b"PPK1"


def encrypt(plaintext: bytes, *, associated: bytes) -> tuple[str, bytes]:
    key_id, key = encryption_keys()[0]
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext, associated)
    encoded_id = key_id.encode()
    return key_id, MAGIC + bytes([len(encoded_id)]) + encoded_id + nonce + sealed


def decrypt(blob: bytes, *, associated: bytes) -> bytes:
    if not blob.startswith(MAGIC):
        raise ValueError("not an encrypted document")
    id_length = blob[4]
    key_id = blob[5 : 5 + id_length].decode()
    nonce = blob[5 + id_length : 17 + id_length]
    keys = dict(encryption_keys())
    if key_id not in keys:
        raise ValueError(f"unknown key id {key_id}")
    return AESGCM(keys[key_id]).decrypt(nonce, blob[17 + id_length :], associated)
