"""CSV and TSV: dialect sniffing, quoted multi-line fields, header detection; one chunk per column
per batch of records, so a detector sees a whole column while each finding names its row, column
and line on disk. Unparseable CSV (unbalanced quotes, a field over the limit) is scanned on as
plain text from the batch where parsing failed, with a note.
"""
from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterator
from typing import Any

from hfguard.models import Blob, Chunk, ChunkKind
from hfguard.readers.base import (
    LocatedChunk,
    ReadContext,
    ReaderError,
    Where,
    binary_junk,
    table_location,
    value_starts,
)
from hfguard.readers.text import detect_encoding, text_pieces

MAX_FIELD_CHARS = 64 * 1024 * 1024
SNIFF_CHARS = 32 * 1024
# csv.Sniffer's regexes grow worse than linearly: 32 KB cost ~190 ms a file, 8 KB ~13 ms.
SNIFFER_CHARS = 8 * 1024
TARGET_BATCH_CHARS = 4 * 1024 * 1024
FIRST_BATCH_ROWS = 1024
_HEADER_CELL = re.compile(r"^[A-Za-z_][\w .()/#%:-]{0,63}$")
_NUMBER = re.compile(r"^\s*[-+]?(\d+([.,]\d*)?|\.\d+)([eE][-+]?\d+)?\s*$")
_SURROGATE = re.compile("[\udc80-\udcff]")

csv.field_size_limit(MAX_FIELD_CHARS)


class _BatchIndex:
    def __init__(self, field_name: str, column: int, first_row: int, first_line: int,
                 record_lines: list[int] | None, records: list[list[str]] | None) -> None:
        self.field_name = field_name
        self.column = column
        self.first_row = first_row
        self.first_line = first_line
        self.record_lines = record_lines  # None: record k is on line first_line + k
        self.records = records  # kept only for batches with multi-line fields

    def row_of(self, index: int) -> int:
        return self.first_row + index

    def where(self, index: int, offset_in_value: int, value: str) -> Where:
        row = self.first_row + index
        if self.record_lines is None:
            line = self.first_line + index
        else:
            line = self.record_lines[index]
            if self.records is not None:
                record = self.records[index]
                line += sum(_newlines(v) for v in record[: self.column])
            line += _newlines(value[:offset_in_value])
        return Where(line, None, row, self.field_name, table_location(row, self.field_name))


def _newlines(value: str) -> int:
    return value.count("\n") + value.count("\r") - value.count("\r\n")


def read_csv(blob: Blob, head: bytes, ctx: ReadContext | None = None) -> Iterator[Chunk]:
    return _read_table(blob, head, ctx or ReadContext(), tab=False)


def read_tsv(blob: Blob, head: bytes, ctx: ReadContext | None = None) -> Iterator[Chunk]:
    return _read_table(blob, head, ctx or ReadContext(), tab=True)


def _dialect(sample: str, tab: bool) -> type[csv.Dialect] | csv.Dialect:
    if tab:
        return csv.excel_tab
    sample = _sniffer_sample(sample)
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel

    class Sniffed(csv.excel):
        # Only the delimiter is taken from the sniffer: it guesses `doublequote` from the sample
        # alone, and a `""` after the sample would then break the whole parse.
        delimiter = sniffed.delimiter

    return Sniffed


def _sniffer_sample(sample: str) -> str:
    """The first SNIFFER_CHARS of the sample, cut after a whole line when there is one."""
    sample = sample[:SNIFFER_CHARS]
    cut = sample.rfind("\n")
    return sample[:cut] if cut > 0 else sample


def _has_header(first: list[str], sample: str) -> bool:
    if not first or any(not c.strip() for c in first) or len(set(first)) != len(first):
        return False
    if any(_NUMBER.match(c) for c in first):
        return False
    if all(_HEADER_CELL.match(c.strip()) for c in first):
        return True
    try:
        return csv.Sniffer().has_header(_sniffer_sample(sample))
    except csv.Error:
        return False


def _read_table(blob: Blob, head: bytes, ctx: ReadContext, tab: bool) -> Iterator[Chunk]:
    if binary_junk(head):
        raise ReaderError(f"not a {'TSV' if tab else 'CSV'} file: binary content")
    encoding = detect_encoding(head)
    errors = "surrogateescape" if encoding.startswith("utf-8") else "replace"
    with blob.open() as raw:
        stream = io.TextIOWrapper(raw, encoding=encoding, errors=errors, newline="")
        sample = stream.read(SNIFF_CHARS)
        dialect = _dialect(sample, tab)
        # No seek back (decompressed streams cannot): the sample's lines, then the rest.
        lines = itertools.chain(io.StringIO(sample + stream.readline(), newline=""), stream)
        reader = csv.reader(lines, dialect, strict=True)
        state = _State()
        try:
            yield from _records(reader, sample, state, ctx, blob.path)
        except csv.Error as exc:
            reason = str(exc).split("(", 1)[0].strip() or "parse error"
            ctx.note(f"{blob.path}: CSV could not be parsed near line {reader.line_num} ({reason}); "
                     f"scanned as plain text from line {state.batch_line}")
            failed_at = state.batch_line
        else:
            return
    yield from _plain_from(blob, head, failed_at)


class _State:
    batch_line = 1  # line where the batch being read starts (for the plain-text fallback)


def _records(reader: Any, sample: str, state: _State, ctx: ReadContext, path: str) -> Iterator[Chunk]:
    first = next(reader, None)
    if first is None:
        return
    header: list[str] | None = first if _has_header(first, sample) else None
    pending: list[list[str]] = [] if header is not None else [first]
    row = 1
    line = reader.line_num + 1 if header is not None else 1
    size = FIRST_BATCH_ROWS
    max_rows = ctx.max_rows
    surrogates = False
    while True:
        state.batch_line = line
        want = size - len(pending)
        if max_rows is not None:
            want = min(want, max_rows - (row - 1) - len(pending))
        batch = pending + list(itertools.islice(reader, max(0, want)))
        pending = []
        if not batch:
            break
        end_line = reader.line_num
        records = [r for r in batch if r]
        if len(records) == len(batch) and end_line - line + 1 == len(batch):
            record_lines = None  # the common case: one record per line
            kept = None
        else:
            record_lines, kept = _record_lines(batch, line)
        chars = 0
        if records:
            width = max(len(r) for r in records)
            columns = itertools.zip_longest(*records, fillvalue="") if width > 1 else ([r[0] if r else "" for r in records],)
            for number, values in enumerate(columns):
                name = header[number] if header is not None and number < len(header) else str(number + 1)
                text = "\n".join(values)
                chars += len(text)
                if not surrogates and not text.isascii() and _SURROGATE.search(text):
                    surrogates = True
                starts = None
                if text.count("\n") != len(values) - 1:
                    starts = value_starts(values)
                index = _BatchIndex(name, number, row, line, record_lines, kept)
                yield LocatedChunk(text, ChunkKind.DATA, line=None, row=row, field=name,
                                   location=f"column {name}", index=index, starts=starts)
        row += len(records)
        line = end_line + 1
        if max_rows is not None and row - 1 >= max_rows:
            if next(reader, None) is not None:
                ctx.note(f"{path}: sampled the first {max_rows} rows (--max-rows); the rest was not scanned")
            break
        ctx.progress(chars)
        if chars:
            size = max(16, min(1_000_000, int(len(batch) * TARGET_BATCH_CHARS / chars)))
    if surrogates:
        ctx.note(f"{path}: invalid UTF-8 bytes kept as-is")


def _record_lines(batch: list[list[str]], first_line: int) -> tuple[list[int], list[list[str]] | None]:
    """Line of each non-blank record, and the records themselves when fields span lines."""
    lines = []
    line = first_line
    multiline = False
    for record in batch:
        if record:
            lines.append(line)
        extra = sum(_newlines(v) for v in record)
        if extra:
            multiline = True
        line += 1 + extra
    return lines, ([r for r in batch if r] if multiline else None)


def _plain_from(blob: Blob, head: bytes, first_line: int) -> Iterator[Chunk]:
    """The file from `first_line` on, as plain text chunks with file line numbers."""
    from hfguard.readers.text import iter_text

    with blob.open() as stream:
        blocks = iter_text(stream, head)
        skipped = 1
        buffer = ""
        for block in blocks:
            buffer += block
            while skipped < first_line:
                cut = buffer.find("\n")
                if cut < 0:
                    break
                buffer = buffer[cut + 1:]
                skipped += 1
            if skipped >= first_line:
                break
            buffer = ""  # the rest of a line being skipped
        yield from text_pieces(itertools.chain([buffer], blocks), ChunkKind.DATA, first_line=first_line)
