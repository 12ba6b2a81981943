"""Jupyter notebooks (nbformat 4, and 3 where cheap) read the way a person sees them.

Each cell's source (JSON escapes decoded), each text output (stream, execute_result and
display_data text/markdown/html/json, error tracebacks without ANSI colours) and the notebook and
cell metadata become chunks; images, audio, video and other binary payloads are skipped. Every
offset maps back to the line and column of the JSON on disk, the 1-based cell and the output.
A notebook that is not valid JSON is scanned as plain text, then reported as an error.
"""
from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from hfguard.models import Blob, Chunk, ChunkKind, line_starts
from hfguard.readers.base import (
    LocatedChunk,
    ReadContext,
    ReaderError,
    Where,
    binary_junk,
    value_starts,
)
from hfguard.readers.jsontools import Pairs, Path, StringPositions, format_path, leaves, loads
from hfguard.readers.text import decode_bytes, text_pieces

MAX_NOTEBOOK_BYTES = 512 * 1024 * 1024
ALLOW_TAG = "hfguard-allow"

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
# payloads that are no text (SVG is text: its tags are blanked, its text is scanned)
_BINARY_MIME = re.compile(r"^(?:image/(?!svg\+xml$)|audio/|video/|font/)|^application/(?:pdf|octet-stream|zip)$|\+base64$")
# v3 output keys that hold payloads rather than text, and the mime types of the others
_V3_BINARY_KEYS = frozenset({"png", "jpeg", "jpg", "gif", "pdf"})
_V3_MIME = {"text": "text/plain", "html": "text/html", "latex": "text/latex", "json": "application/json",
            "javascript": "application/javascript", "markdown": "text/markdown", "svg": "image/svg+xml"}
_RESULT_TYPES = frozenset({"execute_result", "display_data", "pyout"})
_NOT_MIME = frozenset({"text", "traceback", "evalue", "ename"})  # keys of stream and error outputs
_SVG_TAG = re.compile(r"<[^>]*>")
_FIELD = re.compile(r"[^ \n]+(?: [^ \n]+)*")  # text between gaps of two spaces or more (or line ends)
_SKIPPED_CELL_KEYS = frozenset({"attachments", "cell_type", "id", "execution_count", "prompt_number",
                                "level", "collapsed"})


@dataclass(frozen=True)
class _Leaf:
    value: str  # the text as scanned (ANSI codes stripped for tracebacks)
    original: str  # the decoded JSON string
    ordinal: int
    prefix: int = 0  # length of a "key: " label put before metadata values


class _NotebookIndex:
    def __init__(self, positions: StringPositions, parts: list[_Leaf], cell: int | None,
                 location: str | None, fields: list[str | None]) -> None:
        self.positions = positions
        self.parts = parts
        self.cell = cell
        self.location = location
        self.fields = fields

    def where(self, index: int, offset_in_value: int, value: str) -> Where:
        leaf = self.parts[min(index, len(self.parts) - 1)]
        inner = max(0, offset_in_value - leaf.prefix)
        if leaf.value is not leaf.original:
            inner = _unstripped_offset(leaf.original, inner)
        line, column = self.positions.where(leaf.ordinal, inner)
        return Where(line, column, None, self.fields[index] if self.fields else None, self.location)


def _unstripped_offset(original: str, stripped_offset: int) -> int:
    """Offset in `original` of character `stripped_offset` of `original` without ANSI codes."""
    removed = 0
    for m in _ANSI.finditer(original):
        if m.start() - removed > stripped_offset:
            break
        removed += m.end() - m.start()
    return stripped_offset + removed


def read_notebook(blob: Blob, head: bytes, ctx: ReadContext | None = None) -> Iterator[Chunk]:
    if binary_junk(head):
        raise ReaderError("not a notebook: binary content")
    with blob.open() as stream:
        data = stream.read(MAX_NOTEBOOK_BYTES + 1)
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise ReaderError(f"notebook larger than {MAX_NOTEBOOK_BYTES // (1024 * 1024)} MB: not scanned")
    if ctx is not None:
        ctx.progress(len(data))
    text = decode_bytes(data)
    try:
        document = loads(text)
    except ValueError as exc:
        yield from text_pieces(iter([text]), ChunkKind.CODE)
        lineno, colno = getattr(exc, "lineno", None), getattr(exc, "colno", None)
        where = f" at line {lineno}, column {colno}" if lineno is not None else ""
        raise ReaderError(f"not a valid notebook (invalid JSON{where}); scanned as plain text") from None
    except RecursionError:
        yield from text_pieces(iter([text]), ChunkKind.CODE)
        raise ReaderError("not a valid notebook (JSON nested too deeply); scanned as plain text") from None
    if type(document) is not Pairs:
        yield from text_pieces(iter([text]), ChunkKind.CODE)
        raise ReaderError("not a valid notebook (top level is not an object); scanned as plain text")
    yield from _chunks(document, text)


def _chunks(document: Pairs, text: str) -> Iterator[Chunk]:
    positions = StringPositions(text)
    top = dict(document)
    v3 = "worksheets" in top and "cells" not in top
    groups: dict[tuple[Any, ...], list[tuple[Path, _Leaf]]] = {}
    cell_types: dict[int, str] = {}
    cell_tags: dict[int, bool] = {}
    cell_numbers: dict[tuple[int, ...], int] = {}
    output_types: dict[tuple[int, int], str] = {}
    for path, value, ordinal in leaves(document):
        cell_path, rest = _split_cell(path, v3)
        if cell_path is None:
            if path and path[0] == "metadata":
                key: tuple[Any, ...] = ("meta",)
                groups.setdefault(key, []).append((path, _metadata_leaf(path[1:], value, ordinal)))
            continue
        cell = cell_numbers.setdefault(cell_path, len(cell_numbers) + 1)
        if not rest:
            continue
        head = rest[0]
        if head == "cell_type":
            cell_types[cell] = value
            continue
        if head in ("source", "input"):
            groups.setdefault(("source", cell), []).append((path, _Leaf(value, value, ordinal)))
        elif head == "metadata":
            if len(rest) >= 3 and rest[1] == "tags" and value == ALLOW_TAG:
                cell_tags[cell] = True
            groups.setdefault(("cellmeta", cell), []).append((path, _metadata_leaf(rest[1:], value, ordinal)))
        elif head == "outputs" and len(rest) >= 3 and isinstance(rest[1], int):
            if rest[2] == "output_type" and len(rest) == 3:
                output_types[(cell, rest[1])] = value
                continue
            leaf = _output_leaf(rest[2:], value, ordinal, v3)
            if leaf is not None:
                mime = rest[3] if rest[2] == "data" and len(rest) > 3 else rest[2]
                if v3 and rest[2] != "text":
                    mime = _V3_MIME.get(str(mime), mime)
                groups.setdefault(("output", cell, rest[1], mime), []).append((path, leaf))
        elif head in _SKIPPED_CELL_KEYS:
            continue
    sources: dict[int, str] = {}
    # Every text representation of an output is scanned: each is what gets published. An HTML
    # table goes first; the values it holds are not read again from the same output's other
    # forms (pandas' text/plain of the same DataFrame), so a value is reported once.
    in_html: dict[tuple[int, Any], Counter[str]] = {}
    groups = dict(sorted(groups.items(), key=lambda kv: kv[0][0] == "output" and kv[0][3] != "text/html"))
    for key, items in groups.items():
        if key[0] == "source":
            sources[key[1]] = "".join(leaf.value for _, leaf in items)
    for key, items in groups.items():
        kind_name = key[0]
        parts = [leaf for _, leaf in items]
        if kind_name == "meta":
            yield _make_chunk(positions, parts, ChunkKind.METADATA, None, "notebook metadata", "\n",
                              [format_path(p[1:]) for p, _ in items], None)
            continue
        cell = int(key[1])
        scope = sources.get(cell, "")
        if cell_tags.get(cell):
            scope += "\nhfguard: allow"
        if kind_name == "source":
            kind = ChunkKind.CODE if cell_types.get(cell, "code") == "code" else ChunkKind.PROSE
            yield _make_chunk(positions, parts, kind, cell, f"cell {cell}", "", None, scope or None)
        elif kind_name == "cellmeta":
            yield _make_chunk(positions, parts, ChunkKind.METADATA, cell, f"cell {cell}, metadata", "\n",
                              [format_path(p[p.index("metadata") + 1:]) for p, _ in items], scope or None)
        else:
            yield from _output_chunks(positions, parts, cell, int(key[2]), str(key[3]),
                                      output_types.get((cell, key[2]), ""), scope or None, in_html)


def _output_chunks(positions: StringPositions, parts: list[_Leaf], cell: int, number: int, mime: str,
                   output_type: str, scope: str | None, in_html: dict[tuple[int, Any], Counter[str]],
                   ) -> Iterator[Chunk]:
    """One representation of an output (a stream's text, a traceback, one mime type of a result's
    bundle) as chunks; the location names the representation of a bundle: `cell 3, output 1, text/plain`."""
    location = f"cell {cell}, output {number + 1}"
    if mime not in _NOT_MIME:
        location += f", {mime}"
    elif mime == "text" and output_type in _RESULT_TYPES:  # v3 results keep text/plain as `text`
        location += ", text/plain"
    if mime == "image/svg+xml":
        parts = [_Leaf(_SVG_TAG.sub(_blank, leaf.value), leaf.original, leaf.ordinal, leaf.prefix) for leaf in parts]
    seen = in_html.get((cell, number))
    if mime in ("text/plain", "text/html", "text"):
        columns = _table_columns(parts, mime)
        if mime == "text/html" and columns:
            in_html[(cell, number)] = Counter(_flat(v) for _, cells in columns for _, v, _ in cells)
        elif seen is not None and columns:
            columns = [(name, _unseen(cells, seen)) for name, cells in columns]
        if columns:
            yield from _table_chunks(positions, parts, columns, cell, location, scope)
            return
        if seen is not None:  # a table we could not lay out: its cells that the HTML table holds
            parts = _blank_fields(parts, seen)
    joiner = "\n" if mime == "traceback" else ""
    yield _make_chunk(positions, parts, ChunkKind.OUTPUT, cell, location, joiner, None, scope)


def _split_cell(path: Path, v3: bool) -> tuple[tuple[int, ...] | None, Path]:
    """((cell position...), rest of path) for a path inside a cell, else (None, path)."""
    if not v3 and len(path) >= 2 and path[0] == "cells" and isinstance(path[1], int):
        return (path[1],), path[2:]
    if (v3 and len(path) >= 4 and path[0] == "worksheets" and isinstance(path[1], int)
            and path[2] == "cells" and isinstance(path[3], int)):
        return (path[1], path[3]), path[4:]
    return None, path


def _metadata_leaf(path: Path, value: str, ordinal: int) -> _Leaf:
    label = f"{format_path(path)}: "
    return _Leaf(label + value, value, ordinal, len(label))


def _output_leaf(rest: Path, value: str, ordinal: int, v3: bool) -> _Leaf | None:
    """The scannable text of a string inside an output (rest: the path below the output)."""
    key = rest[0]
    if key in ("text", "evalue", "ename"):
        return _Leaf(value, value, ordinal)
    if key == "traceback":
        stripped = _ANSI.sub("", value)
        return _Leaf(stripped if stripped != value else value, value, ordinal)
    if key == "data" and len(rest) >= 2 and isinstance(rest[1], str):
        if _BINARY_MIME.search(rest[1]):
            return None
        if len(rest) > 2 and not isinstance(rest[2], int):  # application/json: a JSON object
            return _metadata_leaf(rest[2:], value, ordinal)
        return _Leaf(value, value, ordinal)
    if key == "metadata":
        return None  # sizes and flags of outputs
    if v3 and isinstance(key, str) and key not in _V3_BINARY_KEYS and key not in ("output_type", "stream"):
        return _Leaf(value, value, ordinal)  # v3 outputs keep html/latex/json under their own key
    return None


def _make_chunk(positions: StringPositions, parts: list[_Leaf], kind: ChunkKind, cell: int | None,
                location: str, joiner: str, fields: list[str] | None, scope: str | None) -> Chunk:
    starts = value_starts((leaf.value for leaf in parts), len(joiner))
    text = joiner.join(leaf.value for leaf in parts)
    index = _NotebookIndex(positions, parts, cell, location, list(fields) if fields else [])
    first_line, _ = positions.where(parts[0].ordinal, 0) if parts else (None, None)
    return LocatedChunk(
        text, kind, line=first_line, cell=cell, location=location,
        field=None, allow_scope=scope, index=index, starts=starts, separator=len(joiner),
    )


# --- DataFrame outputs read as tables ------------------------------------------------------------

_FOOTER = re.compile(r"^\[\d+ rows x \d+ columns\]$")
_GAP = re.compile(r"  +")
MAX_TABLE_CHARS = 8 * 1024 * 1024


class _TableIndex:
    """Where value `number` of a table column is: the cell's offset in the output's joined
    text, then the JSON string (leaf) it came from."""

    def __init__(self, positions: StringPositions, parts: list[_Leaf], part_starts: list[int],
                 offsets: list[int], rows: list[int], field: str, location: str) -> None:
        self.positions, self.parts, self.part_starts = positions, parts, part_starts
        self.offsets, self.rows, self.field, self.location = offsets, rows, field, location

    def row_of(self, index: int) -> int:
        return self.rows[min(index, len(self.rows) - 1)]

    def where(self, index: int, offset_in_value: int, value: str) -> Where:
        at = self.offsets[min(index, len(self.offsets) - 1)] + offset_in_value
        part = max(0, bisect.bisect_right(self.part_starts, at) - 1)
        leaf = self.parts[part]
        line, column = self.positions.where(leaf.ordinal, at - self.part_starts[part])
        return Where(line, column, self.row_of(index), self.field, self.location)


_Columns = list[tuple[str, list[tuple[int, str, int]]]]  # (header, [(offset, value, row)])


def _table_columns(parts: list[_Leaf], mime: str) -> _Columns:
    """The columns of a DataFrame output (text/plain or print(df): aligned columns; text/html: a
    <table>), each cell with its offset in the output's joined text and its 1-based row; [] when
    it is no table."""
    text = "".join(leaf.value for leaf in parts)
    if len(text) > MAX_TABLE_CHARS or (mime == "text/html" and "<table" not in text):
        return []
    return _html_columns(text) if mime == "text/html" else _text_columns(text)


def _flat(value: str) -> str:
    return value.replace("\n", " ")


def _unseen(cells: list[tuple[int, str, int]], seen: Counter[str]) -> list[tuple[int, str, int]]:
    """The cells whose value the HTML table of the same output does not hold (as often as here)."""
    kept = []
    for cell in cells:
        value = _flat(cell[1])
        if seen[value] > 0:
            seen[value] -= 1
        else:
            kept.append(cell)
    return kept


def _blank(m: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", m.group())


def _blank_fields(parts: list[_Leaf], seen: Counter[str]) -> list[_Leaf]:
    """The output's strings with every field (text between column gaps) that the HTML table
    holds blanked out: same length, so offsets still map to the file."""
    out = []
    for leaf in parts:
        def drop(m: re.Match[str]) -> str:
            if seen[m.group()] > 0:
                seen[m.group()] -= 1
                return " " * len(m.group())
            return m.group()
        value = _FIELD.sub(drop, leaf.value)
        out.append(leaf if value == leaf.value else _Leaf(value, leaf.original, leaf.ordinal, leaf.prefix))
    return out


def _table_chunks(positions: StringPositions, parts: list[_Leaf], columns: _Columns, cell: int,
                  location: str, scope: str | None) -> list[Chunk]:
    """A table output as one DATA chunk per column, its header as the field: values no longer
    run into each other across the column gaps, and the header is their context."""
    part_starts = value_starts((leaf.value for leaf in parts), 0)
    first_line, _ = positions.where(parts[0].ordinal, 0)
    chunks: list[Chunk] = []
    for header, cells in columns:
        if not cells:
            continue
        index = _TableIndex(positions, parts, part_starts, [o for o, _, _ in cells], [r for _, _, r in cells],
                            header, location)
        chunks.append(LocatedChunk(
            "\n".join(_flat(v) for _, v, _ in cells), ChunkKind.DATA, line=first_line, row=cells[0][2],
            cell=cell, location=location, field=header, allow_scope=scope, index=index,
        ))
    return chunks


def _text_columns(text: str) -> _Columns:
    """pandas' text layout: a header line, then one line a row, columns apart by two spaces or
    more at the same places on every line (wide frames come in blocks, blank-line apart)."""
    found: _Columns = []
    pos = 0
    for block in re.split(r"(\n\s*\n)", text):
        if block.strip() and not block.startswith("\n"):
            found += _text_block(block, pos)
        pos += len(block)
    return found


def _text_block(block: str, base: int) -> _Columns:
    lines: list[tuple[int, str]] = []
    pos = base
    for line in block.split("\n"):
        if line.strip() and not _FOOTER.match(line.strip()):
            lines.append((pos, line.rstrip().rstrip("\\").rstrip()))
        pos += len(line) + 1
    if len(lines) < 3 or any("\t" in line for _, line in lines):
        return []
    width = max(len(line) for _, line in lines)
    blank = [True] * width
    for _, line in lines:
        for i, ch in enumerate(line):
            if ch != " ":
                blank[i] = False
    # columns: runs of positions with text on some line, apart by two blank positions or more,
    # or by one between two header words (pandas right-aligns cells under a wider header and puts
    # one space between such headers: "first_name last_name") or between the index and the first
    # header word; a value's own space (a phone number's "+1 ") is neither
    header = lines[0][1]
    first_word = len(header) - len(header.lstrip(" "))
    spans: list[list[int]] = []

    def gap(k: int) -> bool:
        return blank[k] and (k + 1 >= width or blank[k + 1] or (k + 1 < len(header) and header[k + 1] != " " and (
            (k + 1 == first_word and not spans) or (k > 0 and header[k - 1] != " "))))

    i = 0
    while i < width:
        if blank[i]:
            i += 1
            continue
        j = i
        while j < width and not gap(j):
            j += 1
        spans.append([i, j])
        i = j
    if len(spans) < 2:
        return []
    rows = lines[1:]
    names = [header[s:e].strip() for s, e in spans]
    if sum(1 for n in names[1:] if n) < (len(spans) - 1) / 2:
        return []
    # a second header line (the index's name) has text in the first column only
    if rows and not any(rows[0][1][s:e].strip() for s, e in spans[1:]):
        rows = rows[1:]
    if len(rows) < 2 or not all(line[spans[0][0] : spans[0][1]].strip() for _, line in rows):
        return []  # every row starts with its index label
    columns: _Columns = []
    for number, (s, e) in enumerate(spans):
        name = names[number] or "index"
        if name == "...":
            continue
        cells = []
        for row, (at, line) in enumerate(rows, 1):
            raw = line[s:e]
            value = raw.strip()
            if value and value != "...":
                cells.append((at + s + raw.index(value[0]), value, row))
        columns.append((name, cells))
    return columns


_HtmlCell = tuple[int, str, int, int]  # offset (-1: no text), text, colspan, rowspan


def _span(attrs: list[tuple[str, str | None]], name: str) -> int:
    value = dict(attrs).get(name) or "1"
    return min(max(int(value), 1), 1000) if value.strip().isdigit() else 1


class _TableParser(HTMLParser):
    """The cells of the <table>s of an HTML output, with their offsets in it and their spans."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.line_starts = line_starts(text)
        self.tables: list[tuple[list[list[_HtmlCell]], list[list[_HtmlCell]]]] = []
        self.row: list[_HtmlCell] | None = None
        self.cell: list[str] | None = None
        self.cell_at = 0
        self.spans = (1, 1)
        self.in_head = False
        self.has_td = False

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append(([], []))
        elif tag == "thead":
            self.in_head = True
        elif tag == "tbody":
            self.in_head = False
        elif tag == "tr" and self.tables:
            self.row = []
            self.has_td = False
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []
            self.cell_at = -1
            self.spans = (_span(attrs, "colspan"), _span(attrs, "rowspan"))
            self.has_td = self.has_td or tag == "td"

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            if self.cell_at < 0 and data.strip():
                self.cell_at = self._offset() + (len(data) - len(data.lstrip()))
            self.cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append((self.cell_at, "".join(self.cell).strip(), *self.spans))
            self.cell = None
        elif tag == "tr" and self.row is not None and self.tables:
            head, body = self.tables[-1]
            (head if self.in_head or (not self.has_td and not head and not body) else body).append(self.row)
            self.row = None
        elif tag == "thead":
            self.in_head = False


def _grid(rows: list[list[_HtmlCell]]) -> list[list[tuple[int, str] | None]]:
    """Rows laid out on the table's columns: a cell spanning columns or rows fills each place it
    covers (its offset and text in the first place only, None in the others)."""
    grid: list[list[tuple[int, str] | None]] = []
    pending: dict[int, int] = {}  # column -> rows it is still covered by a rowspan from above
    for cells in rows:
        line: list[tuple[int, str] | None] = []
        column = 0
        for at, value, colspan, rowspan in cells:
            while pending.get(column, 0) > 0:
                line.append(None)
                pending[column] -= 1
                column += 1
            for k in range(colspan):
                line.append((at, value) if k == 0 else None)
                if rowspan > 1:
                    pending[column] = rowspan - 1
                column += 1
        while pending.get(column, 0) > 0:  # covered places at the end of the row
            line.append(None)
            pending[column] -= 1
            column += 1
        grid.append(line)
    return grid


def _html_columns(text: str) -> _Columns:
    parser = _TableParser(text)
    try:
        parser.feed(text)
        parser.close()
    except (AssertionError, ValueError):
        return []
    columns: _Columns = []
    for head, body in parser.tables:
        if not head or len(body) < 1:
            continue
        heads, rows = _grid(head), _grid(body)
        width = max(len(line) for line in heads + rows)
        for number in range(width):
            # the deepest header text over the column (MultiIndex columns: the leaf name; the
            # index's name sits in a header row of its own)
            parts = [line[number] for line in heads if number < len(line)]
            names = [part[1] for part in parts if part is not None and part[1]]
            cells = [(place[0], place[1], row) for row, line in enumerate(rows, 1) if number < len(line)
                     for place in [line[number]] if place is not None and place[1] and place[0] >= 0]
            columns.append((names[-1] if names else "index", [c for c in cells if c[1] != "..."]))
    return columns
