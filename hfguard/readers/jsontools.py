"""JSON helpers shared by the notebook and JSON readers: an order-keeping parse, an iterative
walk over string leaves (no recursion, so deep nesting cannot crash us) and the position on disk
of any string, found only when a finding needs it.
"""
from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator
from typing import Any

PathPart = str | int
Path = tuple[PathPart, ...]

# A JSON string token, unrolled so that long strings (base64 images) are matched in one C loop.
_STRING_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_ESCAPE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\\.")


class Pairs(list):  # type: ignore[type-arg]
    """A JSON object as the list of its (key, value) pairs: keeps order and duplicate keys, so the
    n-th string met in a walk is the n-th string token of the text."""


def loads(text: str) -> Any:
    return json.loads(text, object_pairs_hook=Pairs)


_KEY_MARK = object()
_KEY_COLUMN: tuple[str, Any, str | None] = ("", _KEY_MARK, None)


def leaves(document: Any) -> Iterator[tuple[Path, str, int]]:
    """(path, value, ordinal) for every string value, in document order; `ordinal` counts every
    string token (keys included) from 0, for `StringPositions`."""
    ordinal = 0
    # Each stack entry: (path, value). Children are pushed in reverse to pop in document order.
    stack: list[tuple[Path, Any, bool]] = [((), document, False)]
    while stack:
        path, value, is_key = stack.pop()
        if is_key:
            ordinal += 1
            continue
        if type(value) is str:
            yield path, value, ordinal
            ordinal += 1
        elif type(value) is Pairs:
            for key, child in reversed(value):
                stack.append((path + (key,), child, False))
                stack.append(((), None, True))
        elif type(value) is list:
            for i in range(len(value) - 1, -1, -1):
                stack.append((path + (i,), value[i], False))


def document_columns(document: Any, keys: set[str] | None = None) -> dict[str, tuple[list[str], list[int]]]:
    """Column path (`column_path`) -> (string values, their ordinals), in document order, as
    `leaves` would give them grouped: built once per container on the way down, in one loop, and
    without the exact path of each value (`exact_paths` gives those when a finding needs one).
    Most of a JSON file's read time is this walk. `keys`, when given, gets the key of each
    column of strings that are object values (`api_key` of `services[].api_key`)."""
    columns: dict[str, tuple[list[str], list[int]]] = {}
    ordinal = 0
    stack: list[tuple[str, Any, str | None]] = [("", document, None)]
    pop, push = stack.pop, stack.append
    while stack:
        column, value, key = pop()
        kind = type(value)
        if kind is str:
            entry = columns.get(column)
            if entry is None:
                entry = columns[column] = ([], [])
                if keys is not None and key is not None:
                    keys.add(key)
            entry[0].append(value)
            entry[1].append(ordinal)
            ordinal += 1
        elif kind is Pairs:
            for name, child in reversed(value):
                push((f"{column}.{name}" if column else name, child, name))
                push(_KEY_COLUMN)
        elif kind is list:
            below = column + "[]"
            for i in range(len(value) - 1, -1, -1):
                push((below, value[i], None))
        elif value is _KEY_MARK:
            ordinal += 1  # a key: a string token of the text, not a value
    return columns


def exact_paths(document: Any) -> dict[int, Path]:
    """Ordinal -> exact path of every string value (see `leaves`)."""
    return {ordinal: path for path, _, ordinal in leaves(document)}


def format_path(path: Path, prefix: str = "") -> str:
    """`users[3].email`: keys joined by dots, list indices (0-based, as in code) in brackets."""
    out = prefix
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out = f"{out}.{part}" if out else part
    return out


def column_path(path: Path) -> str:
    """The path with list indices left out (`users[].email`): one column for all records."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += "[]"
        else:
            out = f"{out}.{part}" if out else part
    return out


class StringPositions:
    """Line and column on disk of the n-th string token of a JSON text, computed on first use."""

    def __init__(self, text: str, first_line: int = 1, first_column: int = 1) -> None:
        self.text = text
        self.first_line = first_line
        self.first_column = first_column
        self._starts: list[int] | None = None
        self._newlines: list[int] | None = None

    def token_start(self, ordinal: int) -> int | None:
        if self._starts is None:
            self._starts = [m.start() for m in _STRING_TOKEN.finditer(self.text)]
        return self._starts[ordinal] if 0 <= ordinal < len(self._starts) else None

    def token_at(self, offset: int) -> tuple[int, int, int] | None:
        """(ordinal, body start, body end) of the string token whose body (inside its quotes)
        holds text offset `offset`, or None."""
        self.token_start(0)
        starts = self._starts or []
        ordinal = bisect.bisect_right(starts, offset) - 1
        if ordinal < 0:
            return None
        token = _STRING_TOKEN.match(self.text, starts[ordinal])
        if token is None or not starts[ordinal] < offset < token.end() - 1:
            return None
        return ordinal, starts[ordinal] + 1, token.end() - 1

    def line_column(self, offset: int) -> tuple[int, int]:
        if self._newlines is None:
            self._newlines = [m.start() for m in re.finditer("\n", self.text)]
        index = bisect.bisect_left(self._newlines, offset)
        line_start = self._newlines[index - 1] + 1 if index else 0
        column = offset - line_start + 1
        if index == 0:
            column += self.first_column - 1
        return self.first_line + index, column

    def where(self, ordinal: int, decoded_offset: int) -> tuple[int | None, int | None]:
        """(line, column) on disk of character `decoded_offset` of string token `ordinal`."""
        start = self.token_start(ordinal)
        if start is None:
            return None, None
        inner = raw_offset(self.text, start + 1, decoded_offset)
        return self.line_column(start + 1 + inner)


def raw_offset(text: str, body_start: int, decoded_offset: int) -> int:
    """How many raw characters of a JSON string body hold its first `decoded_offset` characters."""
    raw = 0
    decoded = 0
    position = body_start
    while decoded < decoded_offset:
        m = _ESCAPE.search(text, position)
        quote = text.find('"', position)
        if m is None or (quote >= 0 and quote < m.start()):
            return raw + (decoded_offset - decoded)
        plain = m.start() - position
        if decoded + plain >= decoded_offset:
            return raw + (decoded_offset - decoded)
        decoded += plain + 1
        raw += plain + (m.end() - m.start())
        position = m.end()
    return raw


def decoded_length(text: str, body_start: int, raw_length: int) -> int:
    """How many characters the first `raw_length` raw characters of a JSON string body decode to
    (an escape cut by the end counts as not reached): the inverse of `raw_offset`."""
    decoded = 0
    position = body_start
    stop = body_start + raw_length
    while position < stop:
        m = _ESCAPE.search(text, position)
        if m is None or m.start() >= stop:
            return decoded + (stop - position)
        decoded += m.start() - position
        if m.end() > stop:
            return decoded
        decoded += 1
        position = m.end()
    return decoded
