"""Plain text: decoding (BOM, UTF-16, lossless fallback), binary detection, streaming pieces."""
from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import IO

from hfguard.models import Blob, Chunk, ChunkKind

PIECE_CHARS = 4 * 1024 * 1024  # text handed to detectors at a time
OVERLAP_CHARS = 16 * 1024  # re-scanned at piece borders so matches across them are not lost
READ_BYTES = 1024 * 1024
SNIFF_BYTES = 8192

# Extensions that are never text worth scanning (weights, archives, media). Checked before
# opening, so a 5 GB checkpoint costs nothing.
BINARY_EXTENSIONS = frozenset(
    """
    bin pt pth ckpt safetensors onnx gguf ggml h5 hdf5 pb tflite msgpack npy npz pkl pickle joblib
    model mlmodel engine plan ot mar keras caffemodel params
    png jpg jpeg gif bmp tiff tif webp ico icns svgz heic psd
    mp3 wav flac ogg opus m4a aac mp4 mov avi mkv webm
    zip tar tgz 7z rar jar war whl egg xz bz2 gz zst lz4 br
    so dylib dll exe o a lib class pyc pyo wasm
    pdf doc docx xls xlsx ppt pptx odt ods
    ttf otf woff woff2 eot
    sqlite db arrow feather parquet orc avro tfrecord lance
    """.split()
)

# Extensions that always hold text: read as text even when a NUL byte makes them look binary.
TEXT_EXTENSIONS = frozenset(
    """
    py pyi ipynb txt md markdown rst log csv tsv json jsonl ndjson yaml yml toml ini cfg conf env
    properties sh bash zsh ps1 bat cmd js mjs cjs ts tsx jsx java kt scala go rs rb php pl r jl
    c h cc cpp hpp cs swift m sql html htm xml svg tf tfvars hcl dockerfile gradle lua dart
    """.split()
)

_MAGIC = (
    b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"PK\x03\x04", b"\x1f\x8b", b"BZh", b"\xfd7zXZ",
    b"(\xb5/\xfd", b"\x7fELF", b"PAR1", b"GGUF", b"\x93NUMPY", b"%PDF", b"RIFF", b"ARROW1",
    b"\x80\x02", b"\x80\x04", b"\x80\x05",
)


def extension(path: str) -> str:
    name = path.rsplit("/", 1)[-1].lower()
    return name.rsplit(".", 1)[-1] if "." in name else ""


def binary_by_magic(head: bytes) -> bool:
    """Content that starts with a binary format's magic bytes (gzip, zip, zstd, PNG, ELF, Parquet,
    pickle...) and is not UTF-8 text: a file of that format, whatever its name says (`data.csv`
    holding gzip). Text that merely begins with such letters ("GIF89a is...") decodes."""
    if not head.startswith(_MAGIC):
        return False
    try:
        head[:SNIFF_BYTES].decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < SNIFF_BYTES - 4  # (not a character cut at the end of the sample)
    return False


def looks_binary(head: bytes) -> bool:
    """True for content that is not text: known magic bytes (binary_by_magic), or NULs outside
    UTF-16 text."""
    if binary_by_magic(head):
        return True
    if _utf16_encoding(head):
        return False
    return b"\x00" in head[:SNIFF_BYTES]


def _utf16_encoding(head: bytes) -> str | None:
    sample = head[:SNIFF_BYTES]
    if b"\x00" not in sample:  # UTF-16 text of any kind has NUL bytes (one memchr; most files)
        return None
    # A UTF-16 BOM followed by no NUL byte at all is not UTF-16 text (its newlines, spaces and
    # ASCII would be NUL-padded): decoding it as UTF-16 would hide its content from the scan.
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and b"\x00" in sample[2:]:
        return "utf-16"
    # BOM-less UTF-16 of ASCII-heavy text: every other byte NUL.
    if len(sample) >= 16:
        even_nul = sample[0::2].count(0) / (len(sample) / 2)
        odd_nul = sample[1::2].count(0) / (len(sample) / 2)
        if odd_nul > 0.9 and even_nul < 0.1:
            return "utf-16-le"
        if even_nul > 0.9 and odd_nul < 0.1:
            return "utf-16-be"
    return None


def detect_encoding(head: bytes) -> str:
    """utf-8-sig, a UTF-16 flavour, or utf-8 (decoded with surrogateescape: lossless)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    return _utf16_encoding(head) or "utf-8"


def decode_bytes(data: bytes) -> str:
    encoding = detect_encoding(data[:SNIFF_BYTES])
    errors = "surrogateescape" if encoding.startswith("utf-8") else "replace"
    return data.decode(encoding, errors)


def iter_text(stream: IO[bytes], head: bytes, encoding: str | None = None) -> Iterator[str]:
    """Decode a byte stream incrementally into text blocks (in `encoding`, else the one `head`
    tells)."""
    encoding = encoding or detect_encoding(head)
    errors = "surrogateescape" if encoding.startswith("utf-8") else "replace"
    decoder = codecs.getincrementaldecoder(encoding)(errors)
    while True:
        block = stream.read(READ_BYTES)
        if not block:
            tail = decoder.decode(b"", final=True)
            if tail:
                yield tail
            return
        text = decoder.decode(block)
        if text:
            yield text


def read_text_chunks(
    blob: Blob, head: bytes, kind: ChunkKind = ChunkKind.CODE, no_entropy: bool = False
) -> Iterator[Chunk]:
    """The whole file as one chunk when small, else overlapping pieces that keep line/column."""
    with blob.open() as stream:
        yield from text_pieces(iter_text(stream, head), kind, no_entropy)


def read_text_range(
    blob: Blob, head: bytes, kind: ChunkKind, start: int, chunks: int | None, line: int, column: int
) -> Iterator[Chunk]:
    """`chunks` chunks (None: to the end) of a UTF-8 file from byte `start`, where a chunk of
    read_text_chunks starts (at line `line`, column `column`): the chunks a read of the whole
    file gives there (hfguard.split)."""
    with blob.open() as stream:
        encoding = None
        if start:
            stream.seek(start)
            encoding = "utf-8"  # (a BOM is only at the start)
        blocks = iter_text(stream, head, encoding)
        yield from text_pieces(blocks, kind, first_line=line, first_column=column, count=chunks)


def text_pieces(
    blocks: Iterator[str], kind: ChunkKind, no_entropy: bool = False, first_line: int = 1, first_column: int = 1,
    count: int | None = None,
) -> Iterator[Chunk]:
    """Pieces of the text; `first_line` and `first_column` are where the first block's first
    character is in the file; `count`: stop after that many full pieces."""
    buffer = ""
    line = first_line  # line number of buffer[0]
    column = first_column  # column of buffer[0]
    for block in blocks:
        buffer += block
        while len(buffer) >= PIECE_CHARS + OVERLAP_CHARS:
            piece = buffer[:PIECE_CHARS + OVERLAP_CHARS]
            yield Chunk(piece, kind, line=line, column=column, no_entropy=no_entropy)
            if count is not None:
                count -= 1
                if count == 0:
                    return
            consumed = buffer[:PIECE_CHARS]
            newlines = consumed.count("\n")
            if newlines:
                line += newlines
                column = len(consumed) - consumed.rfind("\n")
            else:
                column += len(consumed)
            buffer = buffer[PIECE_CHARS:]
    if count is None and (buffer or line == first_line):
        yield Chunk(buffer, kind, line=line, column=column, no_entropy=no_entropy)
