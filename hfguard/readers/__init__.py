"""Readers turn one blob into chunks of text with locations. Explicit registry, chosen by name.

A reader is `read(blob, head, ctx=None) -> Iterator[Chunk]`; `head` is the first bytes of the
blob (for sniffing), `ctx` a ReadContext (limits such as --max-rows in, notes and progress out).
A reader that cannot go on raises `ReaderError`: the chunks it yielded before are still scanned,
and the message becomes a per-file error. A reader that had to fall back (a broken notebook read
as text) raises `ReaderError` after yielding the fallback chunks. Chunks of structured formats are
`LocatedChunk`s: `where(offset)` gives the line/column/row/field/location of any offset.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from hfguard.models import Blob, Chunk, ChunkKind
from hfguard.readers.archive import ARCHIVE_EXTENSIONS, read_archive
from hfguard.readers.base import LocatedChunk, ReadContext, ReaderError, Where
from hfguard.readers.compressed import COMPRESSED_EXTENSIONS, inner_path, read_compressed
from hfguard.readers.hfrepo import read_card, read_safetensors, read_tokenizer
from hfguard.readers.jsondata import read_json, read_json_metadata, read_jsonl
from hfguard.readers.notebook import read_notebook
from hfguard.readers.parquet import read_arrow, read_parquet
from hfguard.readers.tabular import read_csv, read_tsv
from hfguard.readers.text import (
    BINARY_EXTENSIONS,
    TEXT_EXTENSIONS,
    binary_by_magic,
    extension,
    looks_binary,
    read_text_chunks,
)

__all__ = [
    "BINARY_READERS",
    "EXTENSION_READERS",
    "FILENAME_READERS",
    "READERS",
    "LocatedChunk",
    "ReadContext",
    "Reader",
    "ReaderError",
    "Where",
    "choose_reader",
]


class Reader(Protocol):
    def __call__(self, blob: Blob, head: bytes, ctx: ReadContext | None = None, /) -> Iterator[Chunk]: ...


def _read_text(blob: Blob, head: bytes, ctx: ReadContext | None = None) -> Iterator[Chunk]:
    return read_text_chunks(blob, head, ChunkKind.CODE)


def _read_prose(blob: Blob, head: bytes, ctx: ReadContext | None = None) -> Iterator[Chunk]:
    return read_text_chunks(blob, head, ChunkKind.PROSE)


def _read_mislabeled(blob: Blob, head: bytes, ctx: ReadContext | None = None) -> Iterator[Chunk]:
    """A file named as text whose content is a binary format (fail closed: an error)."""
    raise ReaderError("binary content (its magic bytes say another format) under a text file's name: "
                      "not scanned; give the file its real extension (.gz, .zip, .png...)")
    yield  # (a generator, as every reader)


READERS: dict[str, Reader] = {
    "mislabeled": _read_mislabeled,
    "text": _read_text,
    "prose": _read_prose,
    "notebook": read_notebook,
    "csv": read_csv,
    "tsv": read_tsv,
    "json": read_json,
    "json-metadata": read_json_metadata,
    "jsonl": read_jsonl,
    "parquet": read_parquet,
    "arrow": read_arrow,
    "compressed": read_compressed,
    "archive": read_archive,
    "card": read_card,
    "tokenizer": read_tokenizer,
    "safetensors": read_safetensors,
}

# Extension -> reader name. Anything not listed is read as text if it does not look binary.
EXTENSION_READERS: dict[str, str] = {
    "md": "prose",
    "markdown": "prose",
    "rst": "prose",
    "txt": "prose",
    "ipynb": "notebook",
    "csv": "csv",
    "tsv": "tsv",
    "tab": "tsv",
    "json": "json",
    "geojson": "json",  # GeoJSON is JSON: key paths, so [[allow]] field applies
    "jsonl": "jsonl",
    "ndjson": "jsonl",
    "parquet": "parquet",
    "arrow": "arrow",
    "feather": "arrow",
    "arrows": "arrow",
    "ipc": "arrow",
    "safetensors": "safetensors",
    **{ext: "compressed" for ext in sorted(COMPRESSED_EXTENSIONS)},
    **{ext: "archive" for ext in sorted(ARCHIVE_EXTENSIONS)},  # zip, tar, tgz...: members read
}

# File name (lower case) -> reader name; wins over the extension. Hugging Face repo files.
FILENAME_READERS: dict[str, str] = {
    "readme.md": "card",
    "tokenizer.json": "tokenizer",
    "vocab.txt": "tokenizer",
    "vocab.json": "tokenizer",
    "merges.txt": "tokenizer",
    "config.json": "json-metadata",
    "generation_config.json": "json-metadata",
    "tokenizer_config.json": "json-metadata",
    "special_tokens_map.json": "json-metadata",
    "preprocessor_config.json": "json-metadata",
    "adapter_config.json": "json-metadata",
}

# Structured text formats: binary junk under their name is an error from the reader (said
# clearly), not a silent skip.
STRICT_READERS: frozenset[str] = frozenset({"notebook", "csv", "tsv", "json", "json-metadata", "jsonl"})

# Readers that handle binary content themselves (Parquet, compressed files).
BINARY_READERS: frozenset[str] = frozenset({"parquet", "arrow", "compressed", "safetensors", "archive"})


APPLE_DOUBLE_MAGIC = b"\x00\x05\x16\x07"


def is_apple_double(path: str, head: bytes) -> bool:
    """An AppleDouble file: the resource fork and Finder attributes macOS writes next to a file
    as `._name` on foreign disks and in zips (`__MACOSX/`). Known by its name and its magic
    number, so a text file that merely starts with `._` is still scanned."""
    return path.replace("\\", "/").rsplit("/", 1)[-1].startswith("._") and head.startswith(APPLE_DOUBLE_MAGIC)


def choose_reader(path: str, head: bytes | None) -> str | None:
    """The reader name for this path, or None to skip it as binary.

    With head=None only the extension decides (used before opening a file).
    """
    if head is not None and is_apple_double(path, head):
        return None  # macOS metadata (`._name`, also under __MACOSX/), not the file's content
    ext = extension(path)
    name = FILENAME_READERS.get(path.rsplit("/", 1)[-1].lower()) or EXTENSION_READERS.get(ext)
    if name == "compressed":
        inner = extension(inner_path(path))
        inner_name = EXTENSION_READERS.get(inner)
        if inner in BINARY_EXTENSIONS and inner_name not in BINARY_READERS:
            return None  # model.bin.gz, data.tar.gz: archives and weights
    if name in BINARY_READERS or name in STRICT_READERS:
        return name
    if name is None and ext in BINARY_EXTENSIONS:
        return None
    if head is not None and looks_binary(head):
        if binary_by_magic(head) and (name is not None or ext in TEXT_EXTENSIONS):
            return "mislabeled"  # notes.txt holding gzip: an error, not skipped as binary nor read as text
        # A few stray NUL bytes do not make a file with a text extension binary (logs, exports,
        # sources): skipping it would hide whatever else it holds. Mostly NULs (sparse) is binary.
        stray_nuls = head.count(0) * 10 < len(head)
        if not (stray_nuls and (name is not None or ext in TEXT_EXTENSIONS)):
            return None
    return name or "text"
