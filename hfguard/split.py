"""Where to cut one large file so that several processes can scan it, and what a worker hands
back for its piece.

A piece starts at the first byte of a line and ends where a read of the whole file ends a chunk
(JSON Lines: readers.jsondata ends its chunks at fixed positions of the file), so the pieces read
one after the other give exactly the chunks of one read, each piece knowing the line and row
number it starts at. The scan itself stays one scan: the scanner feeds every chunk, in file order,
to the one per-file detector state; a worker only does the work that depends on nothing but the
text (reading, secret rules, candidate search, recognisers), and `Memo` carries what the
recognisers returned, so that this process looks it up instead of computing it again.

JSON Lines and plain text, in UTF-8; other files are scanned in one piece.
"""
from __future__ import annotations

import codecs
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

from hfguard.models import Blob, Chunk, ChunkKind, Match
from hfguard.readers import text as plain
from hfguard.readers.base import ReadContext
from hfguard.readers.jsondata import BATCH_BYTES, MAX_JSONL_LINE, JsonlState, read_jsonl_range
from hfguard.readers.text import detect_encoding, read_text_range

SPLIT_MIN_BYTES = 8 * 1024 * 1024  # smaller files are scanned in one piece (no worker to start)
PIECE_BYTES = BATCH_BYTES  # a piece ends at the last line end before a multiple of this
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Piece:
    start: int  # first byte (JSON Lines: a line start; text: where a chunk starts)
    end: int | None  # JSON Lines: the byte after its last line; None: to the end of the file
    first_line: int
    first_row: int  # (JSON Lines)
    first_column: int = 1  # (text)
    chunks: int | None = None  # text: chunks in the piece; None: to the end of the file


def plan(reader: str, stream: IO[bytes], head: bytes, size: int | None, max_rows: int | None) -> Iterator[Piece] | None:
    """The pieces of a file read by `reader` (found as they are taken), or None to scan it in one piece."""
    if reader not in READ_PIECE or size is None or size < SPLIT_MIN_BYTES or max_rows is not None:
        return None
    if not detect_encoding(head).startswith("utf-8"):
        return None  # (UTF-16: a newline byte is not a line end)
    return jsonl_pieces(stream, size) if reader == "jsonl" else text_pieces(stream, head)


def read_piece(reader: str, blob: Blob, head: bytes, piece: Piece, ctx: ReadContext) -> tuple[Iterator[Chunk], JsonlState | None]:
    """The chunks of one piece, and the reader's state to merge (JSON Lines) once they are read."""
    if reader == "jsonl":
        state = JsonlState(blob.path, ctx, piece.first_line, piece.first_row)
        return read_jsonl_range(blob, head, state, piece.start, piece.end), state
    chunks = read_text_range(blob, head, READ_PIECE[reader], piece.start, piece.chunks, piece.first_line, piece.first_column)
    return chunks, None


# Readers whose files can be split, and the kind of their chunks.
READ_PIECE: dict[str, ChunkKind] = {"jsonl": ChunkKind.DATA, "text": ChunkKind.CODE, "prose": ChunkKind.PROSE}


def jsonl_pieces(stream: IO[bytes], size: int) -> Iterator[Piece]:
    """Cut after the last newline before each multiple of PIECE_BYTES; line numbers count every
    newline, rows every line that is not blank (as the JSONL reader counts them). The last piece
    runs to the end of the file."""
    start, line, row = 0, 1, 1
    mark = PIECE_BYTES
    while mark < size:
        stream.seek(start)
        data = stream.read(mark - start)
        cut = data.rfind(b"\n")
        if cut < 0:  # one line longer than a piece
            if mark - start > 8 * PIECE_BYTES:
                break
            mark += PIECE_BYTES
            continue
        lines = data[: cut + 1].split(b"\n")
        lines.pop()  # (empty: after the last newline)
        if not start and lines[0].startswith(_BOM):
            lines[0] = lines[0][len(_BOM):]
        if max(map(len, lines)) > MAX_JSONL_LINE:
            # a line the reader scans as text, blank or not: it reads on to the line's end and
            # past the chunk end there, so no cut after it (the rest is one piece)
            break
        yield Piece(start, start + cut + 1, line, row)
        start = start + cut + 1
        line += len(lines)
        row += len(lines) - sum(map(_blank, lines))
        mark += PIECE_BYTES
    yield Piece(start, None, line, row)


def text_pieces(stream: IO[bytes], head: bytes) -> Iterator[Piece]:
    """Cut where a chunk of read_text_chunks starts (every text.PIECE_CHARS characters of the decoded
    text), with the line and column there and the byte it starts at; each piece but the last
    holds one chunk, cut once the text reaches past its overlap (a chunk of full length)."""
    bom = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    decoder = codecs.getincrementaldecoder("utf-8-sig" if bom else "utf-8")("surrogateescape")
    piece = Piece(0, None, 1, 0)
    cuts: deque[tuple[int, Piece]] = deque()  # (character offset, the piece that starts there)
    chars = newlines = fed = 0
    last_newline = -1  # character offset of the last newline so far
    done = bom  # bytes of the text decoded so far
    mark = plain.PIECE_CHARS
    while block := stream.read(plain.READ_BYTES):
        fed += len(block)
        text = decoder.decode(block)
        start, done = done, fed - len(decoder.getstate()[0])
        while mark <= chars + len(text):
            i = mark - chars
            before = text.rfind("\n", 0, i)
            newline = chars + before if before >= 0 else last_newline
            byte = start + (i if text.isascii() else len(text[:i].encode("utf-8", "surrogateescape")))
            cuts.append((mark, Piece(byte, None, 1 + newlines + text.count("\n", 0, i), 0, mark - newline)))
            mark += plain.PIECE_CHARS
        last = text.rfind("\n")
        last_newline = chars + last if last >= 0 else last_newline
        chars += len(text)
        newlines += text.count("\n")
        while cuts and chars >= cuts[0][0] + plain.OVERLAP_CHARS:
            yield Piece(piece.start, None, piece.first_line, 0, piece.first_column, 1)
            piece = cuts.popleft()[1]
    yield piece


def _blank(line: bytes) -> bool:
    """`not line.decode().strip()`, without decoding the lines that start like a record."""
    rest = line.lstrip()
    if not rest:
        return True
    first = rest[0]
    if first < 0x80 and not 0x1C <= first <= 0x1F:
        return False  # (Python's str.strip() also strips \x1c-\x1f and some non-ASCII spaces)
    return not rest.decode("utf-8", "surrogateescape").strip()


@dataclass
class Memo:
    """Results of pure functions on the texts of a piece: candidate spans per chunk text and
    recogniser results per window. Recorded by the worker that read
    the piece, looked up by the process that replays its chunks (misses are computed there)."""

    candidates: dict[Any, Any] = field(default_factory=dict)
    results: dict[Any, Any] = field(default_factory=dict)


@contextmanager
def using(memo: Memo) -> Iterator[None]:
    """In the block, the prefilter and the pattern recognisers look up, and add to, `memo`."""
    from hfguard.pii import prefilter, recognizers

    prefilter.CANDIDATES_MEMO, recognizers.RESULTS_MEMO = memo.candidates, memo.results
    try:
        yield
    finally:
        prefilter.CANDIDATES_MEMO = None
        recognizers.RESULTS_MEMO = None


@dataclass
class PieceResult:
    """What a worker hands back for one piece: its chunks, the secret matches of each (at most
    MAX_MATCHES_PER_RULE per rule; `dropped`/`unjudged` count the rest), the reader's state
    (JSON Lines: lines that were not JSON) and notes, the memo, and the error that stopped the
    read, if any."""

    chunks: list[Chunk] = field(default_factory=list)
    secrets: list[list[Match]] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    unjudged: dict[str, int] = field(default_factory=dict)
    state: JsonlState | None = None
    notes: list[str] = field(default_factory=list)
    memo: Memo = field(default_factory=Memo)
    error: BaseException | None = None
