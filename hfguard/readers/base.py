"""What every reader shares: the error type, the per-file read context (limits in, notes out) and
chunks whose text is pieced together from many places (a column of values, a cell's strings).
"""
from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from hfguard.models import Chunk

# Decompressed bytes a compressed file may expand to: the larger of a floor and a ratio of its
# compressed size. Past that it is treated as a decompression bomb (an error, not an outage).
MAX_DECOMPRESSED_FLOOR = 512 * 1024 * 1024
MAX_DECOMPRESSION_RATIO = 200


class ReaderError(Exception):
    """This file could not be (fully) read; the message says why, without any file content."""


@dataclass
class ReadContext:
    """Per-file options handed to a reader, and what it has to say back.

    `notes` end up in the report's stats (sampling, degraded modes); `on_progress(n)` is told how
    many more bytes of the file have been read, for the progress bar of long scans.
    """

    max_rows: int | None = None
    max_decompressed: int | None = None  # None: MAX_DECOMPRESSED_FLOOR / RATIO
    notes: list[str] = field(default_factory=list)
    on_progress: Callable[[int], None] | None = None

    def note(self, message: str) -> None:
        self.notes.append(message)

    def progress(self, nbytes: int) -> None:
        if self.on_progress is not None and nbytes:
            self.on_progress(nbytes)


@dataclass(frozen=True)
class Where:
    """Where one offset of a pieced-together chunk is in the file, as the report shows it."""

    line: int | None
    column: int | None
    row: int | None
    field: str | None
    location: str | None


class ValueIndex(Protocol):
    """Tells where value number `index` of a chunk came from (offset_in_value: into the value).

    Indexes of record data also have `row_of(index) -> int` (the 1-based row, cheaply).
    """

    def where(self, index: int, offset_in_value: int, value: str) -> Where: ...


@dataclass(frozen=True, eq=False)
class LocatedChunk(Chunk):
    """A chunk made of many values joined by "\\n" (one column of a record batch, the strings of a
    notebook cell...). `field` is the column (for JSON: the key path with list indices as `[]`),
    `row` the first record in it; `where(offset)` gives the exact line/column/row/field/location
    of any offset, so detectors can look at whole columns while findings point at one value.

    `starts` holds the text offset of each value when some value contains a newline (or when
    values are not separated: `separator` 0, as the strings of a notebook cell's source); None
    means value i is line i of `text`.
    """

    index: ValueIndex | None = None
    starts: Sequence[int] | None = None
    separator: int = 1

    def value_at(self, offset: int) -> tuple[int, int, str]:
        """(value number, offset inside it, the value) for an offset into text."""
        text = self.text
        if self.starts is None:
            number = text.count("\n", 0, offset)
            begin = text.rfind("\n", 0, offset) + 1
        else:
            number = max(0, bisect.bisect_right(self.starts, offset) - 1)
            begin = self.starts[number]
        if self.starts is None:
            end = text.find("\n", offset)
        elif number + 1 < len(self.starts):
            end = self.starts[number + 1] - self.separator
        else:
            end = len(text)
        if end < 0:
            end = len(text)
        return number, offset - begin, text[begin:end]

    def where(self, offset: int) -> Where:
        number, inner, value = self.value_at(offset)
        if self.index is None:
            return Where(self.line, None, self.row, self.field, self.location)
        return self.index.where(number, inner, value)


def value_starts(values: Iterable[str], separator_length: int = 1) -> list[int]:
    """Text offsets of these values once joined by a separator of that length."""
    starts = []
    position = 0
    for value in values:
        starts.append(position)
        position += len(value) + separator_length
    return starts


def binary_junk(head: bytes) -> bool:
    """Binary content under a text format's name: a binary format's magic bytes (a gzip or a PNG
    named `.csv`), or NULs (a few stray NUL bytes do not count)."""
    from hfguard.readers.text import binary_by_magic, looks_binary

    return binary_by_magic(head) or (looks_binary(head) and not (0 < head.count(0) * 10 < len(head)))


def table_location(row: int | None, field_name: str | None) -> str | None:
    parts = []
    if row is not None:
        parts.append(f"row {row}")
    if field_name is not None:
        parts.append(f"column {field_name}")
    return ", ".join(parts) or None
