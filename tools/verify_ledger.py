#!/usr/bin/env python3
"""Check a Pioneer Platform transparency log over HTTP, trusting nothing the server says.

Standard library + `cryptography` only (and `public_api.py` beside it), and on purpose no
import of the platform's own code: an auditor should not have to trust the software they
audit. Checks:

1. the latest signed tree head's Ed25519 signature over its documented 50-byte message;
2. inclusion of entries (given by --index, or a sample) in that head: the leaf hash is
   recomputed from the entry's data and the audit path folded up to the signed root;
3. consistency between two published heads (--old-size, or every consecutive pair of
   the newest heads), so the log was only ever appended to.

Usage: python tools/verify_ledger.py http://127.0.0.1:8000 [--index N ...] [--old-size N]
Exit status 0 when every check passes, 1 when one fails, 2 when the server could not be read.
Rate limits are waited out as the server asks (`Retry-After`).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import itertools
import json
import struct
import sys
import urllib.parse
import urllib.request
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from public_api import FetchError, get_json


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf_hash(data: bytes) -> bytes:
    return sha256(b"\x00" + data)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def verify_inclusion(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, value = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            value = node_hash(sibling, value)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            value = node_hash(value, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and value == root


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2."""
    if old == new:
        return not proof and old_root == new_root
    if not 0 < old < new or not proof:
        return False
    if old & (old - 1) == 0:
        proof = [old_root, *proof]
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for node in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(node, fr)
            sr = node_hash(node, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, node)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


def head_is_signed(head: dict[str, Any]) -> bool:
    message = struct.pack(">BBQQ", 0, 1, head["timestamp"], head["tree_size"]) + bytes.fromhex(
        head["root_hash"]
    )
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(head["public_key"])).verify(
            base64.b64decode(head["signature"]), message
        )
    except (InvalidSignature, ValueError):
        return False
    return True


class Log:
    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/") + "/api/v1/ledger/"

    def get(self, path: str, **params: Any) -> Any:
        url = self.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        return get_json(url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("server", help="base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--index", type=int, action="append", help="entry to check (repeatable)")
    parser.add_argument(
        "--old-size", type=int, help="size of an earlier head to prove consistency from"
    )
    args = parser.parse_args(argv)
    log = Log(args.server)
    failures = 0

    def report(ok: bool, what: str) -> None:
        nonlocal failures
        failures += not ok
        print(("ok    " if ok else "FAIL  ") + what)

    head = log.get("sth/")
    size, root = head["tree_size"], bytes.fromhex(head["root_hash"])
    report(
        head_is_signed(head),
        f"signed tree head: size {size}, key {head['key_id']}, root {head['root_hash'][:16]}…",
    )

    indexes = args.index or sorted({0, size // 2, size - 1})
    for index in indexes:
        [entry] = log.get("entries/", start=index, end=index + 1)["results"]
        computed = leaf_hash(entry["data"].encode("utf-8"))
        proof = log.get("proof/inclusion/", index=index, tree_size=size)
        path = [bytes.fromhex(node) for node in proof["audit_path"]]
        inside = json.loads(entry["data"]).get("index") == index
        report(
            inside
            and computed.hex() == entry["leaf_hash"]
            and verify_inclusion(computed, index, size, path, root),
            f"entry {index} ({entry['kind']}) is in the signed tree",
        )

    heads = log.get("heads/")["results"]
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    if args.old_size is not None:
        old = next((h for h in heads if h["tree_size"] == args.old_size), None)
        if old is None:
            report(False, f"no published head of size {args.old_size}")
        else:
            pairs.append((old, head))
    else:
        ordered = sorted(heads, key=lambda h: h["tree_size"])
        pairs.extend(itertools.pairwise(ordered))
    for old, new in pairs:
        proof = log.get("proof/consistency/", first=old["tree_size"], second=new["tree_size"])
        nodes = [bytes.fromhex(node) for node in proof["proof"]]
        report(
            head_is_signed(old)
            and head_is_signed(new)
            and verify_consistency(
                old["tree_size"],
                new["tree_size"],
                bytes.fromhex(old["root_hash"]),
                bytes.fromhex(new["root_hash"]),
                nodes,
            ),
            f"head {old['tree_size']} -> head {new['tree_size']} is append-only",
        )
    print(f"{'all checks passed' if not failures else f'{failures} check(s) FAILED'}")
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except FetchError as error:
        print(f"FAIL  could not read the server: {error}")
        sys.exit(2)
