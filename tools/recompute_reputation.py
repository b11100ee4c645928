#!/usr/bin/env python3
"""Recompute every Pioneer Platform reputation score from the public event feed, over HTTP.

Standard library + `cryptography` only (and `public_api.py` beside it), and on purpose no
import of the platform's own code: the rules below are written out again from their public
description (the docstring of reputation/scoring.py), so an outsider can read them here and
check the server by them.

1. Downloads the scores (`/api/v1/reputation/scores/`, every page), then every event
   (`/api/v1/reputation/events/`).
2. Checks each batch (`/api/v1/reputation/batches/`) against the transparency log: the
   `reputation.batch` leaf at its index says the same range, count and Merkle root; the
   root recomputed from the downloaded events equals it; the leaf is in the signed tree
   head (Ed25519 signature and RFC 6962 inclusion proof).
3. Recomputes every score, evidence and level from the events and compares them with the
   served ones.

Usage: python tools/recompute_reputation.py http://127.0.0.1:8000
Exit status 0 when everything agrees; 1 naming the first pseudonym whose served score
differs (or the first batch the log does not back); 2 when the server could not be read.
Rate limits are waited out as the server asks (`Retry-After`).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import math
import struct
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from public_api import FetchError, get_json

# ---- the rules (rule version 1) ----

RULE_VERSION = 1
Z_95 = 1.959963984540054
EPOCH = date(2020, 1, 1)
DIGITS = 6
MILLI = 1000
SCALE = 1000


@dataclass(frozen=True)
class Rules:
    half_life_days: float
    daily_gain_cap: int  # milli
    grace_days: int
    levels: tuple[tuple[float, float], ...]


def wilson_lower_bound(positive: float, total: float) -> float:
    if total <= 0:
        return 0.0
    z = Z_95
    share = positive / total
    denominator = 1 + z * z / total
    centre = share + z * z / (2 * total)
    margin = z * math.sqrt(share * (1 - share) / total + z * z / (4 * total * total))
    return max(0.0, (centre - margin) / denominator)


def level_for(score: float, evidence: float, rules: Rules) -> int:
    level = 1
    for rank, (min_evidence, min_score) in enumerate(rules.levels, start=2):
        if evidence >= min_evidence and score >= min_score:
            level = rank
    return level


def scaled(milli: int, day: int, rules: Rules) -> int:
    return round(milli * SCALE * 2.0 ** (day / rules.half_life_days))


def standing_at(positive: int, total: int, day: int, rules: Rules) -> tuple[float, float]:
    factor = 2.0 ** (-day / rules.half_life_days) / (MILLI * SCALE)
    decayed_total = max(0.0, total * factor)
    decayed_positive = min(max(0.0, positive * factor), decayed_total)
    score = wilson_lower_bound(decayed_positive, decayed_total)
    return round(score, DIGITS), round(decayed_total, DIGITS)


def candidate(positive: int, total: int, day: int, rules: Rules) -> int:
    return level_for(*standing_at(positive, total, day, rules), rules)


@dataclass
class Day:
    gained: int = 0  # raw milli of gains, capped when counted
    lost: int = 0  # scaled losses, minus voided ones


@dataclass
class Person:
    days: dict[int, Day] = field(default_factory=dict)


def standing(person: Person, today: int, rules: Rules) -> tuple[float, float, int]:
    """(score, evidence, level) at `today`."""
    positive = total = 0
    closes: list[tuple[int, int, int, int]] = []
    for day in sorted(person.days):
        totals = person.days[day]
        gains = scaled(min(totals.gained, rules.daily_gain_cap), day, rules)
        positive += gains
        total += gains + totals.lost
        closes.append((day, positive, total, candidate(positive, total, day, rules)))
    score, evidence = standing_at(positive, total, today, rules)
    # The level: the best candidate among the closes of the last grace_days days and now;
    # event-free days in the window close as the last earlier day did, at the window start.
    start = today - rules.grace_days
    level = candidate(positive, total, today, rules)
    carried = None
    for day, p, t, best in closes:
        if day >= today:
            continue
        if day >= start:
            level = max(level, best)
        else:
            carried = (p, t)
    if carried is not None:
        level = max(level, candidate(carried[0], carried[1], start, rules))
    return score, evidence, level


def day_of(at: str) -> int:
    moment = datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return (moment.date() - EPOCH).days


# ---- canonical JSON (RFC 8785 style) and RFC 6962 hashing ----


def _number(value: float) -> str:
    if value == 0:
        return "0"
    _, digit_tuple, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    point = len(digits) + int(exponent)
    sign = "-" if value < 0 else ""
    k, n = len(digits), point
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    exp = n - 1
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return sign + head + (f"e+{exp}" if exp > 0 else f"e{exp}")


def canonical(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(canonical(item) for item in value) + "]"
    ordered = sorted(value, key=lambda key: key.encode("utf-16-be"))
    return (
        "{"
        + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canonical(value[k]) for k in ordered)
        + "}"
    )


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf_hash(data: bytes) -> bytes:
    return sha256(b"\x00" + data)


def merkle_root(hashes: list[bytes]) -> bytes:
    if not hashes:
        return sha256(b"")
    if len(hashes) == 1:
        return hashes[0]
    split = 1
    while split * 2 < len(hashes):
        split *= 2
    return sha256(b"\x01" + merkle_root(hashes[:split]) + merkle_root(hashes[split:]))


def verify_inclusion(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, value = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            value = sha256(b"\x01" + sibling + value)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            value = sha256(b"\x01" + value + sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and value == root


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


# ---- the server ----


class Server:
    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")

    def get(self, path_or_url: str, **params: Any) -> Any:
        url = path_or_url if "://" in path_or_url else self.base + path_or_url
        if params:
            url += "?" + urllib.parse.urlencode(params)
        return get_json(url)

    def pages(self, path: str, **params: Any) -> list[dict[str, Any]]:
        pages = [self.get(path, **params)]
        while pages[-1].get("next"):
            pages.append(self.get(pages[-1]["next"]))
        return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("server", help="base URL, e.g. http://127.0.0.1:8000")
    args = parser.parse_args(argv)
    server = Server(args.server)
    failures: list[str] = []

    def report(ok: bool, what: str) -> None:
        if not ok:
            failures.append(what)
        print(("ok    " if ok else "FAIL  ") + what)

    score_pages = server.pages("/api/v1/reputation/scores/")
    first = score_pages[0]
    if {page["day"] for page in score_pages} != {first["day"]}:
        print("FAIL  the scores' day changed while downloading (midnight UTC); run again")
        return 1
    stated = first["rules"]
    rules = Rules(
        half_life_days=float(stated["half_life_days"]),
        daily_gain_cap=round(float(stated["daily_gain_cap"]) * MILLI),
        grace_days=int(stated["grace_days"]),
        levels=tuple((float(a), float(b)) for a, b in stated["levels"]),
    )
    report(stated["rule_version"] == RULE_VERSION, f"rule version {stated['rule_version']}")
    today, through = first["day"], first["through_event"]
    served = {row["person"]: row for page in score_pages for row in page["results"]}

    events = [
        event
        for page in server.pages("/api/v1/reputation/events/", after=0, limit=1000)
        for event in page["results"]
    ]
    by_id = {event["id"]: event for event in events}
    print(f"      {len(events)} events, {len(served)} scores as of {first['as_of']}")

    # The log backs each batch of the feed.
    head = server.get("/api/v1/ledger/sth/")
    size, root = head["tree_size"], bytes.fromhex(head["root_hash"])
    report(head_is_signed(head), f"signed tree head: size {size}")
    batched_through = 0
    for batch in (
        row for page in server.pages("/api/v1/reputation/batches/") for row in page["results"]
    ):
        label = f"batch of events {batch['first']}..{batch['last']}"
        members = [e for e in events if batch["first"] <= e["id"] <= batch["last"]]
        computed = merkle_root([leaf_hash(canonical(e).encode()) for e in members]).hex()
        [entry] = server.get(
            "/api/v1/ledger/entries/", start=batch["leaf_index"], end=batch["leaf_index"] + 1
        )["results"]
        leaf = json.loads(entry["data"])
        payload = leaf.get("payload", {})
        in_tree = False
        if batch["leaf_index"] < size:
            proof = server.get(
                "/api/v1/ledger/proof/inclusion/", index=batch["leaf_index"], tree_size=size
            )
            path = [bytes.fromhex(node) for node in proof["audit_path"]]
            in_tree = verify_inclusion(
                leaf_hash(entry["data"].encode()), batch["leaf_index"], size, path, root
            )
        report(
            leaf.get("kind") == "reputation.batch"
            and payload.get("first") == batch["first"]
            and payload.get("last") == batch["last"]
            and payload.get("count") == len(members)
            and payload.get("root") == computed
            and batch["first"] > batched_through,
            f"{label}: the log's leaf {batch['leaf_index']} holds their Merkle root",
        )
        print(f"{'ok' if in_tree else 'wait':6}{label}: leaf in the signed head")
        batched_through = batch["last"]
    unbatched = sum(1 for e in events if e["id"] > batched_through)
    print(f"      {unbatched} newer events are not in a batch yet")

    # Recompute.
    people: dict[str, Person] = {}
    moved = {e["person"] for e in events if e["id"] > through}
    for event in events:
        if event["id"] > through:
            continue
        day = day_of(event["at"])
        totals = people.setdefault(event["person"], Person()).days.setdefault(day, Day())
        milli = round(event["weight"] * MILLI)
        if event["voids"] is not None:
            voided = by_id[event["voids"]]
            totals.lost -= scaled(milli, day_of(voided["at"]), rules)
        elif event["positive"]:
            totals.gained += milli
        else:
            totals.lost += scaled(milli, day, rules)
    checked = 0
    for pseudonym in sorted(people.keys() | served.keys()):
        if pseudonym in moved:
            continue  # new evidence arrived while downloading
        mine = standing(people.get(pseudonym, Person()), today, rules)
        row = served.get(pseudonym)
        theirs = None if row is None else (row["score"], row["evidence"], row["level"])
        if theirs != mine:
            report(
                False,
                f"person {pseudonym}: served score/evidence/level {theirs}, recomputed {mine}",
            )
            print(f"{len(failures)} check(s) FAILED")
            return 1
        checked += 1
    report(True, f"{checked} people: served scores equal the recomputation")
    print("all checks passed" if not failures else f"{len(failures)} check(s) FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except FetchError as error:
        print(f"FAIL  could not read the server: {error}")
        sys.exit(2)
