"""The one way untrusted JSON enters the platform: decoded values PostgreSQL can store.

Python's `json` accepts more than `jsonb` and `text` hold and more than a request should
cost: `NaN` and `Infinity` (no JSON numbers at all), `1e999` (a float overflowing to
infinity), `\\u0000` (jsonb and text refuse NUL), lone surrogates such as `\\ud800` (not
encodable as UTF-8), integers of thousands of digits (Python refuses more than 4,300 and the
conversion costs the square of the length), and nesting deep enough to exhaust the
interpreter's recursion limit. Every decoder of client input goes through `loads` or
`raw_decode` here, and values that never were JSON (form fields stored in a JSON column) go
through `check_storable`, so the same rule holds on every path in.

Nesting is bounded before the decoder sees it, since it recurses once per level: a whole
document's brackets outside strings are counted first, and a value in a stream is decoded
from a cut of the text holding no more opening brackets than the limit (counted exactly only
when the value runs past that cut). Pure Python, no Django.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate, repeat
from typing import Any

from core.errors import InvalidInput

MAX_DEPTH = 64
# Python's own default limit on int() of text: beyond it the conversion's cost grows with
# the square of the length, and the standard decoder raises a bare ValueError.
MAX_INT_DIGITS = 4300
_INT_BOUND = 10**MAX_INT_DIGITS

# A string (an unterminated one runs to the end, as it does for the decoder).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_TOKEN = re.compile(_STRING.pattern + r"|[\[\]{}]", re.DOTALL)
_ONLY_BRACKETS = {code: None for code in range(128) if chr(code) not in "[]{}"}
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
# The first cut of a stream's text (see `_decode_within_depth`): a few items' worth.
_FIRST_CUT = 2048
# The only escapes that decode to NUL or a surrogate (a valid pair included).
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_UNSTORABLE_CHAR = re.compile("[\x00\ud800-\udfff]")
_WHITESPACE = re.compile(r"[ \t\n\r]*")

Path = tuple[str | int, ...]


class InvalidJSON(InvalidInput):
    """Input the platform will not decode; `problem` reads well after "line 3: payload.a: ".

    The API answers it as 400 `{"errors": {field: [message]}}`, where the field is the
    top-level key the problem is under, or `non_field_errors`.
    """

    def __init__(
        self,
        problem: str,
        path: Path = (),
        *,
        malformed: bool = False,
        position: tuple[int, int] | None = None,
    ) -> None:
        self.problem = problem
        self.path = path
        # Not JSON at all (as opposed to JSON we refuse): a reader of a stream may find
        # that the value is only incomplete so far.
        self.malformed = malformed or position is not None
        # (line, column) of malformed JSON, counted from the start of the text decoded.
        self.position = position
        # Where the refused value ends, when it was decoded: a reader can go on after it.
        self.end: int | None = None
        # The empty key names no field, and an empty field would read as no field at all.
        field = path[0] if path and isinstance(path[0], str) and path[0] else "non_field_errors"
        where = self.where()
        detail = problem[:1].upper() + problem[1:]
        if position is not None:
            detail += f" at line {position[0]} column {position[1]}"
        if where and where != field:
            detail += f" (at {where})"
        super().__init__(f"{detail}.", field=field)

    def where(self) -> str:
        """The location as `payload.tags[2]`; empty for the document itself."""
        text = ""
        for step in self.path:
            if isinstance(step, int):
                text += f"[{step}]"
            else:
                text += f".{step}" if text else step
        return text

    def located(self) -> str:
        where = self.where()
        return f"{where}: {self.problem}" if where else self.problem


class _Unstorable:
    """What the number hooks return in place of a value we refuse; found with its path by
    the walk after decoding, so the error can say where it was."""

    __slots__ = ("problem",)

    def __init__(self, problem: str) -> None:
        self.problem = problem


_NOT_A_NUMBER = _Unstorable("NaN and Infinity are not JSON numbers")
_OUT_OF_RANGE = _Unstorable("number is out of range")
_TOO_MANY_DIGITS = _Unstorable(f"whole numbers may have at most {MAX_INT_DIGITS} digits")
_TOO_DEEP = f"JSON may nest at most {MAX_DEPTH} levels deep"


class _Refused(Exception):
    """Raised by the shared decoder's hooks: the document is decoded again by one that
    marks the refused number, so the error can say where it is."""


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused
    return value


def _no_constant(text: str) -> float:
    raise _Refused


# Shared by every call (its hooks keep no state): building a decoder costs more than
# decoding a small body with it.
_SHARED = json.JSONDecoder(parse_float=_finite_float, parse_constant=_no_constant)


class _MarkingDecoder(json.JSONDecoder):
    """For a document the shared decoder refused: numbers it refuses become markers, found
    with their location by the walk."""

    def __init__(self) -> None:
        super().__init__(
            parse_float=self._float, parse_int=self._int, parse_constant=self._constant
        )

    def _float(self, text: str) -> float | _Unstorable:
        value = float(text)
        return value if math.isfinite(value) else _OUT_OF_RANGE

    def _int(self, text: str) -> int | _Unstorable:
        if len(text) - text.startswith("-") > MAX_INT_DIGITS:
            return _TOO_MANY_DIGITS
        return int(text)

    def _constant(self, text: str) -> _Unstorable:
        return _NOT_A_NUMBER


def _check_depth(text: str, start: int, *, whole: bool) -> None:
    """Refuse if the value at `start` nests deeper than MAX_DEPTH, counting brackets outside
    strings. A scalar has no depth. In a stream (`whole` false) the count stops where the
    value's brackets first balance, so each value costs only its own length; a whole
    document is counted in C over its full length instead of token by token."""
    if text[start : start + 1] not in ("[", "{"):
        return
    if whole:
        if text.count("[", start) + text.count("{", start) <= MAX_DEPTH:
            return
        rest = text[start:]
        # Without an escaped quote every quote delimits a string: the odd pieces are text.
        outside = "".join(rest.split('"')[::2]) if '\\"' not in rest else _STRING.sub("", rest)
        steps = map(_STEP.get, outside.translate(_ONLY_BRACKETS), repeat(0))
        if max(accumulate(steps), default=0) > MAX_DEPTH:
            raise InvalidJSON(_TOO_DEEP)
        return
    depth = 0
    for match in _TOKEN.finditer(text, start):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                raise InvalidJSON(_TOO_DEEP)
        elif token in ("]", "}"):
            depth -= 1
            if depth == 0:
                return


def _walk(value: Any, path: Path = ()) -> None:
    """Raise at the first value PostgreSQL cannot store, in document order. Iterative, and
    it measures depth itself: a value given to `check_storable` was never scanned. A
    location is kept as a chain of (parent, step) pairs and spelled out only for the error."""
    stack: list[tuple[Any, Any, int]] = [(value, (None, path), 0)]
    while stack:
        node, where, depth = stack.pop()
        if isinstance(node, str):
            if _UNSTORABLE_CHAR.search(node):
                _check_text(node, _spell(where))
        elif isinstance(node, dict | list | tuple):
            if depth >= MAX_DEPTH:
                raise InvalidJSON(_TOO_DEEP, _spell(where))
            if isinstance(node, dict):
                children: list[tuple[Any, Any, int]] = []
                for key, child in node.items():
                    if not isinstance(key, str):
                        raise InvalidJSON("keys must be text", _spell(where))
                    if _UNSTORABLE_CHAR.search(key):
                        _check_text(key, _spell(where), what="a key")
                    children.append((child, (where, key), depth + 1))
            else:
                children = [(child, (where, index), depth + 1) for index, child in enumerate(node)]
            stack.extend(reversed(children))
        elif isinstance(node, bool) or node is None:
            continue
        elif isinstance(node, _Unstorable):
            raise InvalidJSON(node.problem, _spell(where))
        elif isinstance(node, float):
            if not math.isfinite(node):
                raise InvalidJSON(_NOT_A_NUMBER.problem, _spell(where))
        elif isinstance(node, int):
            if abs(node) >= _INT_BOUND:
                raise InvalidJSON(_TOO_MANY_DIGITS.problem, _spell(where))
        else:
            raise InvalidJSON(f"{type(node).__name__} is not a JSON value", _spell(where))


def _spell(where: Any) -> Path:
    steps: list[str | int] = []
    while where is not None:
        where, step = where
        if isinstance(step, tuple):  # the path the walk started from
            steps.extend(reversed(step))
        else:
            steps.append(step)
    return tuple(reversed(steps))


def _check_text(text: str, where: Path, what: str = "text") -> None:
    found = _UNSTORABLE_CHAR.search(text)
    if found is None:
        return
    if found.group() == "\x00":
        raise InvalidJSON(f"{what} must not contain the NUL character (\\u0000)", where)
    raise InvalidJSON(f"{what} must not contain an unpaired surrogate (\\ud800-\\udfff)", where)


def _text(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidJSON("not UTF-8 text", malformed=True) from None


def raw_decode(text: str, start: int = 0, *, from_utf8: bool = False) -> tuple[Any, int]:
    """The first JSON value at `start` (after whitespace) and the index where it ends, for
    readers of a stream of values; `from_utf8` when `text` was decoded from UTF-8 bytes
    (it then holds no raw surrogates). Raises InvalidJSON, never anything else."""
    return _decode(text, start, whole=False, from_utf8=from_utf8)


def _decode(text: str, start: int, *, whole: bool, from_utf8: bool) -> tuple[Any, int]:
    start = _skip_space(text, start)
    value, end, refused = _decode_within_depth(text, start, whole=whole)
    # The walk is needed only when a number was refused or the text could hold what the
    # walk looks for: the decoder refuses raw control characters in strings and UTF-8
    # decoding refuses encoded surrogates, which leaves escapes, and raw surrogates in
    # text that did not come from UTF-8.
    if (
        refused
        or _SUSPECT_ESCAPE.search(text, start, end)
        or (not from_utf8 and _UNSTORABLE_CHAR.search(text, start, end))
    ):
        try:
            _walk(value)
        except InvalidJSON as error:
            error.end = end
            raise
    return value, end


def _decode_within_depth(text: str, start: int, *, whole: bool) -> tuple[Any, int, bool]:
    """Decode the value at `start` without letting the decoder nest past MAX_DEPTH.

    In a stream, the value is first decoded from a copy of the text that follows it, cut
    where the count of opening brackets (in strings or not) is still within MAX_DEPTH: the
    decoder cannot nest deeper than the brackets it is given, and if the value ends within
    the cut, the cut changed nothing. The cut grows while the value runs past it; once it
    would hold too many brackets, they are counted outside strings, one by one."""
    if whole or text[start : start + 1] not in ("[", "{"):
        _check_depth(text, start, whole=whole)
        return _run_decoder(text, start)
    size = _FIRST_CUT
    while True:
        cut = min(start + size, len(text))
        if text.count("[", start, cut) + text.count("{", start, cut) > MAX_DEPTH:
            break
        if cut == len(text):
            return _run_decoder(text, start)
        try:
            value, end, refused = _run_decoder(text[start:cut], 0)
        except InvalidJSON as error:
            if not error.malformed:
                raise
            size *= 8
        else:
            return value, start + end, refused
    _check_depth(text, start, whole=False)
    return _run_decoder(text, start)


def _run_decoder(text: str, start: int) -> tuple[Any, int, bool]:
    """The value, where it ends, and whether a number in it was refused (it is then marked
    for the walk)."""
    try:
        try:
            value, end = _SHARED.raw_decode(text, start)
            return value, end, False
        except json.JSONDecodeError:
            raise
        except (_Refused, ValueError):
            # A float out of range, NaN or Infinity, or an integer over the interpreter's
            # int-str limit (a bare ValueError from the C conversion).
            value, end = _MarkingDecoder().raw_decode(text, start)
            return value, end, True
    except json.JSONDecodeError as error:
        raise InvalidJSON(
            f"not valid JSON ({error.msg})", position=(error.lineno, error.colno)
        ) from None
    except RecursionError:
        # Unreachable after the depth check unless the caller is itself deep in its stack;
        # it must still get an answer rather than a crash.
        raise InvalidJSON(_TOO_DEEP) from None


def _skip_space(text: str, start: int) -> int:
    match = _WHITESPACE.match(text, start)
    return match.end() if match else start


def loads(data: bytes | str) -> Any:
    """Decode a whole JSON document from a client. Raises InvalidJSON, never anything else."""
    text = _text(data)
    value, end = _decode(text, 0, whole=True, from_utf8=isinstance(data, bytes))
    if _skip_space(text, end) != len(text):
        raise InvalidJSON("not valid JSON (extra data after the value)", malformed=True)
    return value


def check_storable(value: Any, *, field: str) -> None:
    """For values that did not come through `loads` (form fields, values built in code)
    but go into a JSON or text column: the same rule, reported under `field`."""
    _walk(value, (field,))
