"""JSON and JSON Lines: string values grouped by key path into column chunks.

`field` is the exact key path of a value (`users[3].email`, list indices 0-based as in code);
chunks are per column (`users[].email`) so detectors see a whole column at once. JSONL: one
record a line, `row` counts records (blank lines skipped); a malformed line is scanned as plain
text and named in a note; the rest is scanned. A JSON file that is really JSON Lines is read as
such. Numbers, booleans and nulls are not text and are not scanned.

The chunks of one document (or one batch of records) share its JSON text (`json_source` of their
index): the secret rules that need a value's key or a neighbour (`"wandb_api_key": "..."`,
kaggle.json's `{"username": ..., "key": ...}`) run there, around the keys that hold their
keywords, and report on the value, as in a text file of the same content.
"""
from __future__ import annotations

import bisect
import codecs
import io
import itertools
import re
from collections.abc import Generator, Iterator
from typing import IO, Any

from hfguard.models import Blob, Chunk, ChunkKind
from hfguard.readers.base import (
    LocatedChunk,
    ReadContext,
    ReaderError,
    Where,
    binary_junk,
    value_starts,
)
from hfguard.readers.jsontools import (
    Path,
    StringPositions,
    column_path,
    decoded_length,
    document_columns,
    exact_paths,
    format_path,
    leaves,
    loads,
)
from hfguard.readers.text import decode_bytes, detect_encoding, read_text_chunks, text_pieces

MAX_JSON_BYTES = 128 * 1024 * 1024  # a whole document is parsed in memory: above this, plain text
MAX_JSONL_LINE = 32 * 1024 * 1024  # longer records are scanned as plain text
# JSONL is read and parsed up to each multiple of BLOCK_BYTES of the file, and its chunks handed
# on at each multiple of BATCH_BYTES (characters, for UTF-16): positions fixed by the file alone.
BATCH_BYTES = 4 * 1024 * 1024
BLOCK_BYTES = 1024 * 1024
_SURROGATE = re.compile("[\udc80-\udcff]")
_json_loads = __import__("json").loads


class _Column:
    __slots__ = ("paths", "records", "values")

    def __init__(self) -> None:
        self.values: list[str] = []
        self.records: list[int] = []  # record number inside the batch, per value
        self.paths: dict[int, str] = {}  # value number -> exact path, when it has list indices


def _jsonl_location(row: int | None, path: str) -> str:
    return f"row {row}, key {path}" if row is not None else f"key {path}"


class _DocumentPaths:
    """The exact key path of each string of one document, worked out when a finding first needs
    one (one more walk of the document), shared by its columns."""

    def __init__(self, document: Any) -> None:
        self.document = document
        self._paths: dict[int, Path] | None = None

    def of(self, ordinal: int) -> str:
        if self._paths is None:
            self._paths = exact_paths(self.document)
        return format_path(self._paths[ordinal])


class _DocumentSource:
    """The text of one parsed JSON document, for the secret rules that need what stands around a
    value (its key, its neighbours): hfguard.secrets.engine.JsonSource."""

    def __init__(self, positions: StringPositions, columns: dict[str, tuple[list[str], list[int]]], keys: set[str]) -> None:
        self.positions = positions
        self.keys = keys
        self.secret_matches: dict[int, Any] = {}
        self._columns = columns
        self._by_ordinal: dict[int, tuple[str, int]] | None = None

    def text(self) -> str:
        return self.positions.text

    def scanned(self) -> None:
        self._by_ordinal = None

    def locate(self, start: int, end: int) -> tuple[str, int, int, int] | None:
        token = self.positions.token_at(start)
        if token is None:
            return None
        ordinal, body_start, body_end = token
        if self._by_ordinal is None:
            self._by_ordinal = {
                o: (column, number) for column, (_, ordinals) in self._columns.items() for number, o in enumerate(ordinals)
            }
        place = self._by_ordinal.get(ordinal)
        if place is None:  # a key
            return None
        text = self.positions.text
        return (place[0], place[1], decoded_length(text, body_start, start - body_start),
                decoded_length(text, body_start, min(end, body_end) - body_start))


class _DocumentIndex:
    """Positions for one parsed JSON document (a whole .json file)."""

    def __init__(self, positions: StringPositions, column: str, ordinals: list[int], paths: _DocumentPaths,
                 source: _DocumentSource | None = None) -> None:
        self.positions = positions
        self.column = column
        self.ordinals = ordinals
        self.paths = paths
        self.json_source = source

    def where(self, index: int, offset_in_value: int, value: str) -> Where:
        ordinal = self.ordinals[index]
        line, column = self.positions.where(ordinal, offset_in_value)
        path = self.paths.of(ordinal)
        return Where(line, column, None, path, f"key {path}")


class _BatchSource:
    """The lines of a batch of JSON Lines records, for the secret rules that need what stands
    around a value: hfguard.secrets.engine.JsonSource."""

    def __init__(self, raw: list[str], columns: dict[str, _Column], keys: set[str]) -> None:
        self.raw = raw
        self.keys = keys
        self.secret_matches: dict[int, Any] = {}
        self._columns = columns
        self._starts: list[int] | None = None

    def text(self) -> str:
        return "\n".join(self.raw)

    def scanned(self) -> None:
        self._columns = {}  # (the records lists of every column: ~35 MB per 100 MB kept by PII's grouped findings)
        self._starts = None

    def locate(self, start: int, end: int) -> tuple[str, int, int, int] | None:
        if self._starts is None:
            self._starts = value_starts(self.raw)
        record = bisect.bisect_right(self._starts, start) - 1
        line, base = self.raw[record], self._starts[record]
        token = StringPositions(line).token_at(start - base)
        if token is None:
            return None
        ordinal, body_start, body_end = token
        try:
            document = loads(line)
        except (ValueError, RecursionError):
            return None
        for path, _, at in leaves(document):
            if at == ordinal:
                break
        else:
            return None  # a key
        column, exact = column_path(path), format_path(path)
        number = _value_number(self._columns.get(column), record, column, exact)
        if number is None:
            return None
        return (column, number, decoded_length(line, body_start, start - base - body_start),
                decoded_length(line, body_start, min(end - base, body_end) - body_start))


def _value_number(col: _Column | None, record: int, column: str, exact: str) -> int | None:
    """Which value of a batch column is the one at this record and exact path."""
    if col is None:
        return None
    records = col.records
    at = bisect.bisect_left(records, record)
    candidates: Iterator[int] = itertools.takewhile(lambda i: records[i] == record, range(at, len(records)))
    for number in itertools.chain(candidates, range(len(records))):  # (records out of order: all)
        if records[number] == record and col.paths.get(number, column) == exact:
            return number
    return None


class _BatchIndex:
    """Positions for a batch of JSONL records: the record's line and row, the exact key path, and
    (on demand) the column on disk, found by re-reading that one line."""

    def __init__(self, column: str, col: _Column, rows: list[int], lines: list[int], raw: list[str],
                 source: _BatchSource | None = None) -> None:
        self.column = column
        self.col = col
        self.rows = rows
        self.lines = lines
        self.raw = raw
        self.json_source = source

    def row_of(self, index: int) -> int:
        return self.rows[self.col.records[index]]

    def where(self, index: int, offset_in_value: int, value: str) -> Where:
        record = self.col.records[index]
        path = self.col.paths.get(index, self.column)
        row, line = self.rows[record], self.lines[record]
        column = self._column_on_disk(record, path, offset_in_value)
        return Where(line, column, row, path, _jsonl_location(row, path))

    def _column_on_disk(self, record: int, path: str, offset: int) -> int | None:
        raw = self.raw[record]
        try:
            document = loads(raw)
        except (ValueError, RecursionError):
            return None
        for leaf_path, _, ordinal in leaves(document):
            if format_path(leaf_path) == path:
                return StringPositions(raw).where(ordinal, offset)[1]
        return None


def read_json(blob: Blob, head: bytes, ctx: ReadContext | None = None) -> Iterator[Chunk]:
    return _read_json(blob, head, ctx or ReadContext(), ChunkKind.DATA)


def read_json_metadata(blob: Blob, head: bytes, ctx: ReadContext | None = None) -> Iterator[Chunk]:
    """config.json and friends: settings, not records."""
    return _read_json(blob, head, ctx or ReadContext(), ChunkKind.METADATA)


def _read_json(blob: Blob, head: bytes, ctx: ReadContext, kind: ChunkKind) -> Iterator[Chunk]:
    if binary_junk(head):
        raise ReaderError("not JSON: binary content")
    with blob.open() as stream:
        data = stream.read(MAX_JSON_BYTES + 1)
    if len(data) > MAX_JSON_BYTES:
        del data  # up to 128 MB: not held while the file is streamed again as text
        ctx.note(f"{blob.path}: JSON larger than {MAX_JSON_BYTES >> 20} MB, scanned as plain text (no key paths)")
        yield from read_text_chunks(blob, head, ChunkKind.DATA)
        return
    ctx.progress(len(data))
    text = decode_bytes(data)
    if not text.isascii() and _SURROGATE.search(text):
        ctx.note(f"{blob.path}: invalid UTF-8 bytes kept as-is")
    try:
        document = loads(text)
    except RecursionError:
        ctx.note(f"{blob.path}: JSON nested too deeply for key paths, scanned as plain text")
        yield from text_pieces(iter([text]), kind)
        return
    except ValueError as exc:
        if getattr(exc, "msg", "") == "Extra data" and _first_line_is_json(text):
            yield from _jsonl_from_text(blob, text, ctx)  # JSON Lines under a .json name
            return
        yield from text_pieces(iter([text]), kind)
        lineno, colno = getattr(exc, "lineno", None), getattr(exc, "colno", None)
        where = f" at line {lineno}, column {colno}" if lineno is not None else ""
        raise ReaderError(f"not valid JSON{where}; scanned as plain text") from None
    yield from document_chunks(document, StringPositions(text), kind)


def document_chunks(document: Any, positions: StringPositions, kind: ChunkKind) -> Iterator[Chunk]:
    """Column chunks for the string values of one parsed document."""
    paths = _DocumentPaths(document)
    keys: set[str] = set()
    columns = document_columns(document, keys)
    source = _DocumentSource(positions, columns, keys)
    for column, (values, ordinals) in columns.items():
        index = _DocumentIndex(positions, column, ordinals, paths, source)
        yield _column_chunk(values, kind, column or None, None, index)


def _column_chunk(values: list[str], kind: ChunkKind, field: str | None, row: int | None, index: Any) -> Chunk:
    text = "\n".join(values)
    starts = value_starts(values) if text.count("\n") != len(values) - 1 else None
    return LocatedChunk(text, kind, line=None, row=row, field=field, index=index, starts=starts)


def _first_line_is_json(text: str) -> bool:
    line = text.split("\n", 1)[0]
    try:
        _json_loads(line)
    except (ValueError, RecursionError):
        return False
    return True


# --- JSON Lines --------------------------------------------------------------------------------


def read_jsonl(blob: Blob, head: bytes, ctx: ReadContext | None = None) -> Iterator[Chunk]:
    ctx = ctx or ReadContext()
    if binary_junk(head):
        raise ReaderError("not JSON Lines: binary content")
    state = JsonlState(blob.path, ctx)
    yield from read_jsonl_range(blob, head, state)
    state.finish()


def read_jsonl_range(blob: Blob, head: bytes, state: JsonlState, start: int = 0, end: int | None = None) -> Iterator[Chunk]:
    """The records of bytes [start, end) of a JSONL file (UTF-8 only when start > 0: a line
    start, its line and row numbers in `state`). Reads stop at every multiple of BLOCK_BYTES of
    the file and chunks end at every multiple of BATCH_BYTES, counted from the file's first byte,
    so a range that starts and ends where a chunk ends (hfguard.split) gives the chunks a read of
    the whole file gives there."""
    encoding = detect_encoding(head)
    with blob.open() as raw:
        if encoding.startswith("utf-8"):
            if start:
                raw.seek(start)
            yield from _jsonl_records(_utf8_blocks(raw, start, end, encoding == "utf-8-sig" and not start), state)
        else:
            stream = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
            yield from _jsonl_records(_char_blocks(stream), state)


def _jsonl_from_text(blob: Blob, text: str, ctx: ReadContext) -> Iterator[Chunk]:
    state = JsonlState(blob.path, ctx)
    yield from _jsonl_records(_char_blocks(io.StringIO(text, newline="")), state)
    state.finish()


Blocks = Iterator[tuple[str, bool]]  # text read, and whether a chunk ends after it


def _utf8_blocks(raw: IO[bytes], start: int, end: int | None, bom: bool) -> Blocks:
    """Decoded reads of bytes [start, end), each up to the next multiple of BLOCK_BYTES."""
    decoder = codecs.getincrementaldecoder("utf-8-sig" if bom else "utf-8")("surrogateescape")
    position = start
    while end is None or position < end:
        want = BLOCK_BYTES - position % BLOCK_BYTES
        data = raw.read(want if end is None else min(want, end - position))
        if not data:
            break
        position += len(data)
        yield decoder.decode(data), position % BATCH_BYTES == 0
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail, False


def _char_blocks(stream: IO[str]) -> Blocks:
    """Reads of BLOCK_BYTES characters (UTF-16 files, text already decoded)."""
    reads = 0
    while block := stream.read(BLOCK_BYTES):
        reads += 1
        yield block, reads % (BATCH_BYTES // BLOCK_BYTES) == 0


def _jsonl_records(blocks: Blocks, state: JsonlState) -> Iterator[Chunk]:
    """Blocks of lines: each block is parsed as one JSON array when it can be (one C call, the
    common case), else line by line; a line longer than MAX_JSONL_LINE is scanned as text."""
    carry = ""
    for block, batch_end in blocks:
        if state.done:
            break
        state.ctx.progress(len(block))
        data = carry + block if carry else block
        lines = data.split("\n")
        carry = lines.pop()
        if not state.surrogates and not data.isascii() and _SURROGATE.search(data):
            state.surrogates = True
        yield from state.lines(lines)
        if batch_end:
            yield from state.batch.flush()
        if len(carry) > MAX_JSONL_LINE and not state.done:
            yield from state.batch.flush()
            carry = yield from state.long_line(carry, blocks)
    if carry and not state.done:
        # What follows a too-long line in the last block is still lines, not one line.
        lines = carry.split("\n")
        if not lines[-1]:
            lines.pop()
        yield from state.lines(lines)
    yield from state.batch.flush()


class JsonlState:
    """Where a read of JSON Lines is (lines consumed, records seen) and what it has to say at
    the end (lines that were not JSON, undecodable bytes): a file read in ranges has one per
    range, `merge`d in order before `finish`."""

    def __init__(self, path: str, ctx: ReadContext, first_line: int = 1, first_row: int = 1) -> None:
        self.path = path
        self.ctx = ctx
        self.line_no = first_line - 1  # lines consumed
        self.row = first_row - 1  # records seen
        self.batch = _Batch()
        self.bad: list[int] = []
        self.surrogates = False
        self.done = False

    def merge(self, later: JsonlState) -> None:
        self.bad.extend(later.bad)
        self.surrogates = self.surrogates or later.surrogates

    def lines(self, lines: list[str]) -> Iterator[Chunk]:
        max_rows = self.ctx.max_rows
        if max_rows is not None and self.row + len(lines) > max_rows:
            yield from self._slow(lines)
            return
        try:
            records = _json_loads("[" + ",".join(lines) + "]") if lines else []
        except (ValueError, RecursionError):
            records = None
        if records is not None and len(records) == len(lines):
            self.batch.add_many(records, lines, self.row + 1, self.line_no + 1)
            self.row += len(lines)
            self.line_no += len(lines)
        else:
            yield from self._slow(lines)

    def _slow(self, lines: list[str]) -> Iterator[Chunk]:
        max_rows = self.ctx.max_rows
        for line in lines:
            self.line_no += 1
            stripped = line.strip()
            if not stripped:
                continue
            if max_rows is not None and self.row >= max_rows:
                self.ctx.note(f"{self.path}: sampled the first {max_rows} rows (--max-rows); the rest was not scanned")
                self.done = True
                return
            self.row += 1
            try:
                record = _json_loads(stripped)
            except (ValueError, RecursionError):
                self.bad.append(self.line_no)
                yield Chunk(line.rstrip("\r"), ChunkKind.DATA, line=self.line_no, row=self.row, location=f"row {self.row}")
                continue
            self.batch.add(record, line, self.row, self.line_no)

    def long_line(self, start: str, blocks: Blocks) -> Generator[Chunk, None, str]:
        """Scan a too-long record as text; returns what follows its end (the new carry)."""
        self.line_no += 1
        self.row += 1
        line_no, row = self.line_no, self.row
        self.ctx.note(f"{self.path}: line {line_no} longer than {MAX_JSONL_LINE >> 20} MB, scanned as plain text")
        rest: list[str] = []

        def pieces() -> Iterator[str]:
            yield start
            for block, _ in blocks:
                self.ctx.progress(len(block))
                cut = block.find("\n")
                if cut >= 0:
                    yield block[:cut]
                    rest.append(block[cut + 1:])
                    return
                yield block

        for chunk in text_pieces(pieces(), ChunkKind.DATA):
            yield Chunk(chunk.text, chunk.kind, line=line_no, column=chunk.column, row=row, location=f"row {row}")
        return "".join(rest)

    def finish(self) -> None:
        if self.surrogates:
            self.ctx.note(f"{self.path}: invalid UTF-8 bytes kept as-is")
        if self.bad:
            shown = ", ".join(str(n) for n in self.bad[:10]) + (", ..." if len(self.bad) > 10 else "")
            self.ctx.note(f"{self.path}: {len(self.bad)} line(s) not valid JSON, scanned as plain text (line {shown})")


class _Batch:
    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.columns: dict[str, _Column] = {}
        self.rows: list[int] = []
        self.lines: list[int] = []
        self.raw: list[str] = []
        self.keys: set[str] = set()  # the key of each column whose values are object values

    def add(self, record: Any, raw: str, row: int, line: int) -> None:
        number = len(self.rows)
        self.rows.append(row)
        self.lines.append(line)
        self.raw.append(raw)
        self._add_record(record, number)

    def _add_record(self, record: Any, number: int) -> None:
        columns = self.columns
        if type(record) is dict:
            for key, value in record.items():
                if type(value) is str:
                    col = columns.get(key)
                    if col is None:
                        col = columns[key] = _Column()
                        self.keys.add(key)
                    col.values.append(value)
                    col.records.append(number)
                elif type(value) is dict or type(value) is list:
                    self._add_nested((key,), value, number)
        elif type(record) is str:
            self._add_leaf((), record, number)
        elif type(record) is list:
            self._add_nested((), record, number)

    def add_many(self, records: list[Any], raws: list[str], first_row: int, first_line: int) -> None:
        """Records of consecutive lines; columns are pulled out a key at a time (C loops)."""
        base = len(self.rows)
        n = len(records)
        self.rows.extend(range(first_row, first_row + n))
        self.lines.extend(range(first_line, first_line + n))
        self.raw.extend(raws)
        if set(map(type, records)) != {dict}:
            for k, record in enumerate(records):
                self._add_record(record, base + k)
            return
        columns = self.columns
        for key in dict.fromkeys(itertools.chain.from_iterable(records)):
            values = [r.get(key) for r in records]
            kinds = set(map(type, values))
            if kinds == {str}:
                col = columns.get(key)
                if col is None:
                    col = columns[key] = _Column()
                    self.keys.add(key)
                col.values.extend(values)
                col.records.extend(range(base, base + n))
            elif str in kinds or dict in kinds or list in kinds:
                for k, value in enumerate(values):
                    if type(value) is str:
                        col = columns.get(key)
                        if col is None:
                            col = columns[key] = _Column()
                            self.keys.add(key)
                        col.values.append(value)
                        col.records.append(base + k)
                    elif type(value) is dict or type(value) is list:
                        self._add_nested((key,), value, base + k)

    def _add_nested(self, prefix: Path, value: Any, number: int) -> None:
        stack: list[tuple[Path, Any]] = [(prefix, value)]
        while stack:
            path, item = stack.pop()
            if type(item) is str:
                self._add_leaf(path, item, number)
            elif type(item) is dict:
                stack.extend((path + (k,), v) for k, v in reversed(list(item.items())))
            elif type(item) is list:
                stack.extend((path + (i,), item[i]) for i in range(len(item) - 1, -1, -1))

    def _add_leaf(self, path: Path, value: str, number: int) -> None:
        name = column_path(path)
        col = self.columns.get(name)
        if col is None:
            col = self.columns[name] = _Column()
            if path and type(path[-1]) is str:
                self.keys.add(path[-1])
        exact = format_path(path)
        if exact != name:
            col.paths[len(col.values)] = exact
        col.values.append(value)
        col.records.append(number)

    def flush(self) -> Iterator[Chunk]:
        if not self.rows:
            return
        rows, lines, raw = self.rows, self.lines, self.raw
        source = _BatchSource(raw, self.columns, self.keys)
        for name, col in self.columns.items():
            index = _BatchIndex(name, col, rows, lines, raw, source)
            chunk = _column_chunk(col.values, ChunkKind.DATA, name or None, rows[col.records[0]], index)
            col.values = []  # in the chunk's text now; the index needs only records and paths
            yield chunk
        self._reset()
