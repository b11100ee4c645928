"""Leaf data without floats and with ASCII keys is written by json's C encoder; it must be
byte for byte what the canonical encoder writes, or leaf hashes would change."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.canonical import _encode, canonical_json

# Text that UTF-8 can carry (no lone surrogates), with the characters JSON must escape.
text = st.text(st.characters(exclude_categories=["Cs"]), max_size=12) | st.sampled_from(
    ['"', "\\", "\n", "\x00", "\x1f", "\u2028", "é", "😀", "\ufeff"]
)
keys = st.text(max_size=6, alphabet=st.characters(min_codepoint=0, max_codepoint=127)) | text
scalars = st.none() | st.booleans() | st.integers() | text
json_values = st.recursive(
    scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children, children)
        | st.dictionaries(keys, children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_canonical_json_is_the_canonical_encoding(value: Any) -> None:
    assert canonical_json(value) == _encode(value).encode("utf-8")


def test_keys_beyond_the_basic_plane_still_sort_by_utf16_units() -> None:
    # U+1F600 is D83D DE00 in UTF-16, below U+FF01: code point order would put it last.
    value = {"\uff01": 1, "\U0001f600": 2}
    assert canonical_json(value) == '{"\U0001f600":2,"\uff01":1}'.encode()
