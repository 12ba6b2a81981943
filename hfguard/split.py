"""Where to cut one large file so that several processes can scan it, and what a worker hands
back for its piece.

A piece starts at the first byte of a line and ends where a read of the whole file ends a chunk
(JSON Lines: readers.jsondata ends its chunks at fixed positions of the file), so the pieces read
one after the other give exactly the chunks of one read, each piece knowing the line and row
number it starts at. The scan itself stays one scan: the scanner feeds every chunk, in file order,
to the one per-file detector state; a worker only does the work that depends on nothing but the
text (reading, secret rules, candidate search, recognisers), and `Memo` carries what the
recognisers returned, so that this process looks it up instead of computing it again.

JSON Lines in UTF-8 only, for now; other files are scanned in one piece.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from hfguard.readers.jsondata import BATCH_BYTES, MAX_JSONL_LINE
from hfguard.readers.text import detect_encoding

if TYPE_CHECKING:
    from hfguard.models import Chunk, Match
    from hfguard.readers.jsondata import JsonlState

SPLIT_MIN_BYTES = 8 * 1024 * 1024  # smaller files are scanned in one piece (no worker to start)
PIECE_BYTES = BATCH_BYTES  # a piece ends at the last line end before a multiple of this
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Piece:
    start: int  # first byte (a line start)
    end: int | None  # the byte after its last line; None: to the end of the file
    first_line: int
    first_row: int


def plan(reader: str, stream: IO[bytes], head: bytes, size: int | None, max_rows: int | None) -> Iterator[Piece] | None:
    """The pieces of a file read by `reader` (found as they are taken), or None to scan it in one piece."""
    if reader != "jsonl" or size is None or size < SPLIT_MIN_BYTES or max_rows is not None:
        return None
    if not detect_encoding(head).startswith("utf-8"):
        return None  # (UTF-16: a newline byte is not a line end)
    return jsonl_pieces(stream, size)


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
        blank = 0
        for text in lines:
            if _blank(text):
                if len(text) > MAX_JSONL_LINE:
                    break  # a record the reader takes as one long line, blank or not: no cut here
                blank += 1
        else:
            yield Piece(start, start + cut + 1, line, row)
            start = start + cut + 1
            line += len(lines)
            row += len(lines) - blank
            mark += PIECE_BYTES
            continue
        break
    yield Piece(start, None, line, row)


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
    (notes, lines that were not JSON), the memo, and the error that stopped the read, if any."""

    chunks: list[Chunk] = field(default_factory=list)
    secrets: list[list[Match]] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    unjudged: dict[str, int] = field(default_factory=dict)
    state: JsonlState | None = None
    memo: Memo = field(default_factory=Memo)
    error: BaseException | None = None
