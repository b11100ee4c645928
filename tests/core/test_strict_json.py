"""The JSON decoder for client input: what it refuses, and that it refuses nothing else."""

from __future__ import annotations

import contextlib
import json
import math
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core import strict_json
from core.strict_json import MAX_DEPTH, InvalidJSON


@pytest.mark.parametrize(
    ("text", "field", "problem"),
    [
        # not numbers JSON has, in a value, inside a list, with a sign
        ('{"a": NaN}', "a", "NaN and Infinity"),
        ('{"a": [1, Infinity]}', "a", "NaN and Infinity"),
        ("[-Infinity]", "non_field_errors", "NaN and Infinity"),
        # a float that overflows to infinity, with an exponent and with digits alone
        ('{"a": 1e999}', "a", "number is out of range"),
        ('{"a": ' + "9" * 400 + ".5}", "a", "number is out of range"),
        # an integer over Python's int-str limit, and a negative one
        ('{"a": ' + "9" * 5000 + "}", "a", "whole numbers may have at most"),
        ('{"a": {"b": -' + "9" * 5000 + "}}", "a", "whole numbers may have at most"),
        # NUL, which jsonb and text refuse, in a value and in a key
        ('{"a": "x\\u0000y"}', "a", "text must not contain the NUL"),
        ('{"a": {"\\u0000": 1}}', "a", "a key must not contain the NUL"),
        # lone surrogates, high and low, in a value and in a top-level key
        ('{"a": ["\\ud800"]}', "a", "text must not contain an unpaired"),
        ('{"a": "\\udfff tail"}', "a", "text must not contain an unpaired"),
        ('{"\\udc00": 1}', "non_field_errors", "a key must not contain an unpaired"),
        # under the empty key there is no field to name: the answer must still be per field
        ('{"": ["\\ud800"]}', "non_field_errors", "text must not contain an unpaired"),
        # nesting one level over the limit, and the 100,000 levels of the attack
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "non_field_errors", "JSON may nest"),
        ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "non_field_errors", "JSON may nest"),
        # deep and never closed: refused by the count, not by the decoder's recursion
        ("[" * 100_000, "non_field_errors", "JSON may nest"),
        # not JSON, not UTF-8, and a value followed by more
        ('{"a": 1', "non_field_errors", "not valid JSON"),
        (b"\xff\xfe", "non_field_errors", "not UTF-8 text"),
        ("[1] [2]", "non_field_errors", "not valid JSON (extra data"),
    ],
    ids=lambda value: repr(value)[:40] if isinstance(value, str | bytes) else None,
)
def test_refused_input_names_the_field_and_the_problem(
    text: str | bytes, field: str, problem: str
) -> None:
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    with pytest.raises(InvalidJSON) as raised:
        strict_json.loads(data)
    assert raised.value.field == field
    assert raised.value.problem.startswith(problem), raised.value.problem


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # a valid surrogate pair is one character, not a lone half
        ('{"a": "\\ud83d\\ude00"}', {"a": "\U0001f600"}),
        # brackets inside strings (and an escaped quote before them) are text, not depth
        ('["' + "[" * 500 + '"]', ["[" * 500]),
        ('["\\"' + "[" * 500 + '"]', ['"' + "[" * 500]),
        # exactly at the limits
        ("[" * MAX_DEPTH + "]" * MAX_DEPTH, json.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)),
        ("9" * 4300, int("9" * 4300)),
        ("1e308", 1e308),
        # a literal backslash followed by u0000 is text, not NUL
        ('"\\\\u0000"', "\\u0000"),
    ],
    ids=lambda value: repr(value)[:40] if isinstance(value, str) else "value",
)
def test_accepted_at_the_edges(text: str, value: Any) -> None:
    assert strict_json.loads(text.encode()) == value


def test_the_location_says_where_below_the_field() -> None:
    with pytest.raises(InvalidJSON) as raised:
        strict_json.loads(b'{"payload": {"tags": ["ok", "\\u0000"]}}')
    assert raised.value.located() == (
        "payload.tags[1]: text must not contain the NUL character (\\u0000)"
    )
    assert raised.value.message == (
        "Text must not contain the NUL character (\\u0000) (at payload.tags[1])."
    )


def test_a_stream_reads_one_value_and_says_where_it_ends() -> None:
    text = '{"a": [1, 2]} ,' + "[" * 100_000
    value, end = strict_json.raw_decode(text)
    assert value == {"a": [1, 2]}
    assert text[end:] == " ," + "[" * 100_000
    with pytest.raises(InvalidJSON) as raised:
        strict_json.raw_decode(text, end + 2)
    assert raised.value.problem.startswith("JSON may nest")


@pytest.mark.parametrize(
    ("value", "within"),
    [
        # longer than the first cut, few brackets: the cut grows until the value ends in it
        ({"text": "x" * 20_000, "tags": [["a"]]}, True),
        # more brackets than the limit, side by side: counted, and shallow
        ([[n] for n in range(200)], True),
        # deep, after a long string: counted, and refused
        (["x" * 5000, json.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)], False),
    ],
    ids=["long", "wide", "deep-after-long"],
)
def test_a_stream_value_past_the_first_cut(value: Any, within: bool) -> None:
    text = json.dumps(value) + ', {"next": 1}'
    if within:
        decoded, end = strict_json.raw_decode(text)
        assert decoded == value
        assert text[end:] == ', {"next": 1}'
    else:
        with pytest.raises(InvalidJSON):
            strict_json.raw_decode(text)


def test_a_refused_value_in_a_stream_says_where_it_ends() -> None:
    text = '{"a": NaN}, {"b": 1}'
    with pytest.raises(InvalidJSON) as raised:
        strict_json.raw_decode(text)
    assert text[raised.value.end :] == ', {"b": 1}'


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"a": ["x\x00"]}, "text must not contain the NUL"),  # from a form field
        ("\ud800", "text must not contain an unpaired"),  # built in code
        (float("nan"), "NaN and Infinity"),
        pytest.param(10**4300, "whole numbers may have at most", id="10**4300"),
        ({1: "a"}, "keys must be text"),
        ({"a": {1, 2}}, "set is not a JSON value"),
    ],
)
def test_check_storable_holds_values_that_were_never_json_to_the_same_rule(
    value: Any, problem: str
) -> None:
    with pytest.raises(InvalidJSON) as raised:
        strict_json.check_storable(value, field="value")
    assert raised.value.field == "value"
    assert raised.value.problem.startswith(problem)


def test_check_storable_counts_depth_itself() -> None:
    value: Any = "leaf"
    for _ in range(MAX_DEPTH):
        value = [value]
    strict_json.check_storable(value, field="value")
    with pytest.raises(InvalidJSON):
        strict_json.check_storable([value], field="value")


# --- Properties ---------------------------------------------------------------------------

UNSTORABLE = "\x00\ud800\udbff\udc00\udfff"
texts = st.text(st.characters(codec=None) | st.sampled_from(UNSTORABLE), max_size=8)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)


def nest(value: Any, levels: list[bool]) -> Any:
    for as_list in levels:
        value = [value] if as_list else {"k": value}
    return value


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(item) for item in value.values()), default=0)
    return 0


def storable(value: Any) -> bool:
    if isinstance(value, str):
        return not any(char in UNSTORABLE or "\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(storable(item) for item in value)
    if isinstance(value, dict):
        return all(storable(key) and storable(item) for key, item in value.items())
    return True


@settings(max_examples=200, deadline=None)
@given(
    value=values,
    levels=st.lists(st.booleans(), max_size=MAX_DEPTH + 8),
    ensure_ascii=st.booleans(),
)
def test_accepts_what_json_accepts_within_the_limits_and_refuses_the_rest(
    value: Any, levels: list[bool], ensure_ascii: bool
) -> None:
    text = json.dumps(nest(value, levels), ensure_ascii=ensure_ascii)
    # What json makes of it is the reference: escaped halves of a pair decode to one
    # character, raw ones stay two.
    expected = json.loads(text)
    within = depth(expected) <= MAX_DEPTH and storable(expected)
    # Text with raw surrogates cannot be UTF-8: such input reaches us only as str.
    data: str | bytes = text if not ensure_ascii else text.encode()
    if within:
        assert strict_json.loads(data) == expected
        assert strict_json.raw_decode(text + ' ["next"]')[0] == expected
    else:
        with pytest.raises(InvalidJSON):
            strict_json.loads(data)
        with pytest.raises(InvalidJSON):
            strict_json.raw_decode(text + ' ["next"]')


json_ish = st.lists(
    st.sampled_from(
        [
            "[",
            "]",
            "{",
            "}",
            '"',
            "\\",
            ",",
            ":",
            " ",
            "1",
            "-",
            "e",
            "9" * 30,
            ".5",
            "NaN",
            "Infinity",
            "true",
            "null",
            "\\u0000",
            "\\ud800",
            "\x00",
            "é",
            "[" * 200,
            "]" * 200,
        ]
    ),
    max_size=60,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(data=json_ish | st.text() | st.binary())
@example(data="[" * 100_000)
@example(data='["\\"' + "[" * 5000)
@example(data="[" * MAX_DEPTH + '"' + "[" * 5000)
def test_never_raises_anything_but_its_own_error(data: str | bytes) -> None:
    with contextlib.suppress(InvalidJSON):
        strict_json.loads(data)
    text = data if isinstance(data, str) else data.decode("utf-8", "replace")
    with contextlib.suppress(InvalidJSON):
        strict_json.raw_decode(text)
