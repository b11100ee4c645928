"""Read an item upload (a JSON list, JSON Lines or CSV) from a byte stream, one item at a
time.

Neither format is read whole: JSONL goes line by line, a JSON list element by element with
`raw_decode` over a small rolling buffer, so a 100,000-item upload never sits in memory.
Each record comes with the line it starts on, so errors can name it. Values are decoded by
`core.strict_json`: what PostgreSQL cannot store, or nesting past its limit, is a line error
like any other. Pure, no Django.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from core import strict_json

CHUNK = 64 * 1024


class UploadTooLarge(Exception):
    pass


@dataclass(frozen=True)
class Record:
    line: int
    value: Any = None
    error: str | None = None
    # A fatal error ends the stream: the reader cannot find the next record after it.
    fatal: bool = False


class _CountingReader:
    """Counts bytes read and stops at the limit, so a body without Content-Length is capped."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self.stream = stream
        self.limit = limit
        self.read_bytes = 0

    def _count(self, data: bytes) -> bytes:
        self.read_bytes += len(data)
        if self.read_bytes > self.limit:
            raise UploadTooLarge(f"The upload is larger than {self.limit} bytes.")
        return data

    def read(self, size: int) -> bytes:
        return self._count(self.stream.read(size))

    def readline(self, size: int) -> bytes:
        return self._count(self.stream.readline(size))


def read_jsonl(stream: IO[bytes], *, max_item_bytes: int, max_bytes: int) -> Iterator[Record]:
    reader = _CountingReader(stream, max_bytes)
    line = 0
    while True:
        raw = reader.readline(max_item_bytes + 2)
        if not raw:
            return
        line += 1
        if len(raw) > max_item_bytes + 1 or (len(raw) > max_item_bytes and raw[-1:] != b"\n"):
            # Skip the rest of the oversized line without keeping it.
            while raw and raw[-1:] != b"\n":
                raw = reader.readline(CHUNK)
            yield Record(line, error=f"item is larger than {max_item_bytes} bytes")
            continue
        if not raw.strip():
            continue
        try:
            value = strict_json.loads(raw)
        except strict_json.InvalidJSON as error:
            column = f" at column {error.position[1]}" if error.position else ""
            yield Record(line, error=error.located() + column)
        else:
            yield Record(line, value=value)


def read_json_list(stream: IO[bytes], *, max_item_bytes: int, max_bytes: int) -> Iterator[Record]:
    reader = _CountingReader(stream, max_bytes)
    utf8 = codecs.getincrementaldecoder("utf-8")()
    buffer = ""
    line = 1
    eof = False

    def fill() -> bool:
        nonlocal buffer, eof
        if eof:
            return False
        chunk = reader.read(CHUNK)
        if not chunk:
            eof = True
            buffer += utf8.decode(b"", final=True)
            return False
        buffer += utf8.decode(chunk)
        return True

    def skip_space() -> bool:
        """Drop leading whitespace (counting lines); False at the end of input."""
        nonlocal buffer, line
        while True:
            stripped = buffer.lstrip()
            line += buffer.count("\n", 0, len(buffer) - len(stripped))
            buffer = stripped
            if buffer:
                return True
            if not fill():
                return False

    try:
        if not skip_space() or buffer[0] != "[":
            yield Record(line, error="expected a JSON list of items", fatal=True)
            return
        buffer = buffer[1:]
        expect_item = True
        first = True
        while True:
            if not skip_space():
                yield Record(line, error="the list is not closed with ]", fatal=True)
                return
            if buffer[0] == "]" and (first or not expect_item):
                buffer = buffer[1:]
                if skip_space():
                    yield Record(line, error="unexpected text after the list", fatal=True)
                return
            if not expect_item:
                if buffer[0] != ",":
                    yield Record(line, error="expected , or ] between items", fatal=True)
                    return
                buffer = buffer[1:]
                expect_item = True
                continue
            start_line = line
            refused: strict_json.InvalidJSON | None = None
            while True:
                try:
                    value, end = strict_json.raw_decode(buffer, from_utf8=True)
                except strict_json.InvalidJSON as error:
                    if error.end is not None:
                        # Decoded but refused: the list goes on after it.
                        refused, end = error, error.end
                        break
                    if not error.malformed:
                        yield Record(start_line, error=error.located(), fatal=True)
                        return
                    if len(buffer.encode()) > max_item_bytes + CHUNK:
                        yield Record(
                            start_line,
                            error=f"item is larger than {max_item_bytes} bytes",
                            fatal=True,
                        )
                        return
                    if fill():
                        continue
                    error_line = start_line + (error.position[0] - 1 if error.position else 0)
                    yield Record(error_line, error=error.located(), fatal=True)
                    return
                break
            if len(buffer[:end].encode()) > max_item_bytes:
                yield Record(start_line, error=f"item is larger than {max_item_bytes} bytes")
            elif refused is not None:
                yield Record(start_line, error=refused.located())
            else:
                yield Record(start_line, value=value)
            line += buffer.count("\n", 0, end)
            buffer = buffer[end:]
            expect_item = False
            first = False
    except UnicodeDecodeError:
        yield Record(line, error="not UTF-8 text", fatal=True)


# CSV columns with a meaning of their own; every other column is a field of the payload.
CSV_REF = "ref"
CSV_GOLD = "gold"
CSV_PAYLOAD_PREFIX = "payload."


def _csv_gold(cell: str, *, as_list: bool) -> Any:
    """A gold answer from a cell: JSON when it reads as JSON (`4`, `["cat", "dog"]`, `true`),
    else the text; for a multi-label project, labels separated by ";" (as the CSV export
    writes them), so one label alone is a list of one too."""
    text = cell.strip()
    if not text:
        return None
    try:
        return strict_json.loads(text.encode())
    except strict_json.InvalidJSON:
        pass
    if as_list:
        return [part.strip() for part in text.split(";") if part.strip()]
    return text


class _LineTooLong(Exception):
    pass


class _NotUtf8(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


def _text_lines(reader: _CountingReader, max_line_bytes: int) -> Iterator[str]:
    """UTF-8 text (a leading byte-order mark dropped) split after each "\\n" only, as the csv
    module wants it. Split as bytes first (a 0x0A byte is always a newline in UTF-8), so a
    decoding error names its line, and a line longer than an item may be is refused
    before it is buffered."""
    pending = b""
    number = 0
    while True:
        chunk = reader.read(CHUNK)
        pending += chunk
        *lines, pending = pending.split(b"\n")
        if not chunk and pending:
            lines.append(pending)
        for raw in lines:
            number += 1
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                raise _NotUtf8(number) from None
            yield text + ("\n" if chunk or raw is not pending else "")
        if len(pending) > max_line_bytes + CHUNK:
            raise _LineTooLong
        if not chunk:
            return


def read_csv(
    stream: IO[bytes], *, max_item_bytes: int, max_bytes: int, list_gold: bool = False
) -> Iterator[Record]:
    """Items from a CSV file with a header row (UTF-8, a spreadsheet's byte-order mark
    allowed): `ref` and `gold` are the item's own columns, any other column (`text`, or
    `payload.text` as the CSV export names it) a payload field, kept as text."""
    rows = csv.reader(_text_lines(_CountingReader(stream, max_bytes), max_item_bytes))
    try:
        try:
            header = next(rows)
        except StopIteration:
            return
        names = [name.strip() for name in header]
        fields = [name.removeprefix(CSV_PAYLOAD_PREFIX) for name in names]
        payload_columns = [
            (index, field)
            for index, (name, field) in enumerate(zip(names, fields, strict=True))
            if name not in (CSV_REF, CSV_GOLD)
        ]
        if not payload_columns or any(not field for _, field in payload_columns):
            yield Record(
                1, error="the header names no payload columns (or an empty one)", fatal=True
            )
            return
        if len(set(fields)) != len(fields):
            yield Record(1, error="the header names a column twice", fatal=True)
            return
        where = {name: index for index, name in enumerate(names)}
        while True:
            line = rows.line_num + 1  # where the record starts; it may span lines
            row = next(rows, None)
            if row is None:
                return
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                yield Record(line, error=f"expected {len(names)} cells, found {len(row)}")
                continue
            if sum(len(cell.encode()) for cell in row) > max_item_bytes:
                yield Record(line, error=f"item is larger than {max_item_bytes} bytes")
                continue
            if any("\x00" in cell for cell in row):
                yield Record(line, error="a cell holds a NUL character")
                continue
            value: dict[str, Any] = {
                "payload": {field: row[index] for index, field in payload_columns}
            }
            if CSV_REF in where:
                value["ref"] = row[where[CSV_REF]]
            if CSV_GOLD in where:
                gold = _csv_gold(row[where[CSV_GOLD]], as_list=list_gold)
                if gold is not None:
                    value["gold"] = gold
            yield Record(line, value=value)
    except _NotUtf8 as error:
        yield Record(error.line, error="not UTF-8 text", fatal=True)
    except _LineTooLong:
        yield Record(
            rows.line_num + 1, error=f"item is larger than {max_item_bytes} bytes", fatal=True
        )
    except csv.Error as error:
        yield Record(rows.line_num, error=f"not readable as CSV: {error}", fatal=True)
