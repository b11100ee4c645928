"""The pure parts: answer validation per kind, and the streaming upload readers."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tasks import kinds
from tasks.uploads import UploadTooLarge, read_json_list, read_jsonl

LABELS = kinds.Spec(kind="single_label", labels=("cat", "dog"))
MULTI = kinds.Spec(kind="multi_label", labels=("cat", "dog", "bird"))
PAIR = kinds.Spec(kind="pairwise")
RATING = kinds.Spec(kind="rating", scale_min=1, scale_max=5)
TEXT = kinds.Spec(kind="free_text", text_max_length=10)


@pytest.mark.parametrize(
    ("spec", "value", "expected"),
    [
        (LABELS, "cat", "cat"),
        (MULTI, ["bird", "cat"], ["cat", "bird"]),  # stored in the project's label order
        (MULTI, [], []),  # "none of these" is a valid multi-label answer
        (PAIR, "b", "b"),
        (RATING, 5, 5),
        (TEXT, "  hello  ", "hello"),
    ],
)
def test_valid_answers_are_cleaned(spec: kinds.Spec, value: Any, expected: Any) -> None:
    assert kinds.clean_answer(spec, value) == expected


@pytest.mark.parametrize(
    ("spec", "value"),
    [
        (LABELS, "horse"),  # label outside the set
        (LABELS, ["cat"]),  # a list for a single label
        (MULTI, ["cat", "cat"]),  # the same label twice
        (MULTI, ["fish"]),  # unknown label in a list
        (PAIR, "c"),  # a preference must be one of the pair
        (RATING, 6),  # above the scale
        (RATING, 0),  # below the scale
        (RATING, 2.5),  # not a whole number
        (RATING, True),  # booleans are not numbers here
        (TEXT, "   "),  # empty text
        (TEXT, "x" * 11),  # over the length limit
        (TEXT, 42),  # not text
    ],
)
def test_invalid_answers_are_refused(spec: kinds.Spec, value: Any) -> None:
    with pytest.raises(kinds.AnswerError):
        kinds.clean_answer(spec, value)


def test_gold_comparison_ignores_case_and_spacing_only_for_text() -> None:
    assert kinds.matches_gold(TEXT, "Hello  World", "hello world")
    assert not kinds.matches_gold(LABELS, "cat", "dog")


def _records(reader: Any, body: bytes, **limits: int) -> list[tuple[int, Any, str | None]]:
    limits.setdefault("max_item_bytes", 1000)
    limits.setdefault("max_bytes", 1_000_000)
    return [(r.line, r.value, r.error) for r in reader(io.BytesIO(body), **limits)]


def test_jsonl_reports_each_bad_line_and_skips_blank_ones() -> None:
    body = b'{"a": 1}\n\n{"a": \n{"a": 3}\n'
    records = _records(read_jsonl, body)
    assert [(line, value) for line, value, error in records if not error] == [
        (1, {"a": 1}),
        (4, {"a": 3}),
    ]
    assert [line for line, _, error in records if error] == [3]


def test_jsonl_oversized_line_is_an_error_and_reading_goes_on() -> None:
    body = b'{"a": "' + b"x" * 2000 + b'"}\n{"b": 1}\n'
    records = _records(read_jsonl, body)
    assert records[0][0] == 1
    assert "larger than" in (records[0][2] or "")
    assert records[1] == (2, {"b": 1}, None)


def test_json_list_is_read_element_by_element_with_line_numbers() -> None:
    body = b'[\n  {"a": 1},\n  {"a": 2},\n\n  {"a": [1,\n 2]}\n]\n'
    assert _records(read_json_list, body) == [
        (2, {"a": 1}, None),
        (3, {"a": 2}, None),
        (5, {"a": [1, 2]}, None),
    ]


def test_json_list_across_many_chunks() -> None:
    body = "[" + ",\n".join(f'{{"n": {n}, "pad": "{"y" * 50}"}}' for n in range(5000)) + "]"
    records = _records(read_json_list, body.encode())
    assert len(records) == 5000
    assert records[-1][0] == 5000
    assert records[-1][1]["n"] == 4999


@pytest.mark.parametrize(
    ("body", "line"),
    [
        (b'{"a": 1}', 1),  # not a list
        (b'[{"a": 1},\n{"a": }]', 2),  # malformed element: its line
        (b'[{"a": 1}\n{"a": 2}]', 2),  # missing comma
        (b'[{"a": 1},', 1),  # not closed
        (b'[{"a": 1}] trailing', 1),  # text after the list
    ],
)
def test_json_list_structure_errors_are_fatal_with_a_line(body: bytes, line: int) -> None:
    records = _records(read_json_list, body)
    assert records[-1][2]
    assert records[-1][0] == line


def test_byte_limit_stops_reading() -> None:
    with pytest.raises(UploadTooLarge):
        _records(read_jsonl, b'{"a": 1}\n' * 100, max_bytes=50)
