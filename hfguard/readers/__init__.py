"""Readers turn one blob into chunks of text with locations. Explicit registry, chosen by name.

A reader is `read(blob, head) -> Iterator[Chunk]`; `head` is the first bytes of the blob (for
sniffing). A reader that cannot go on raises `ReaderError`: the chunks it yielded before are
still scanned, and the message becomes a per-file error. A reader that had to fall back (a broken
notebook read as text) raises `ReaderError` after yielding the fallback chunks.
"""
from __future__ import annotations

from typing import Callable, Iterator

from hfguard.models import Blob, Chunk, ChunkKind
from hfguard.readers.text import BINARY_EXTENSIONS, TEXT_EXTENSIONS, extension, looks_binary, read_text_chunks

Reader = Callable[[Blob, bytes], Iterator[Chunk]]


class ReaderError(Exception):
    """This file could not be (fully) read; the message says why, without any file content."""


def _read_text(blob: Blob, head: bytes) -> Iterator[Chunk]:
    return read_text_chunks(blob, head, ChunkKind.CODE)


def _read_prose(blob: Blob, head: bytes) -> Iterator[Chunk]:
    return read_text_chunks(blob, head, ChunkKind.PROSE)


READERS: dict[str, Reader] = {
    "text": _read_text,
    "prose": _read_prose,
}

# Extension -> reader name. Anything not listed is read as text if it does not look binary.
EXTENSION_READERS: dict[str, str] = {
    "md": "prose",
    "markdown": "prose",
    "rst": "prose",
    "txt": "prose",
}

# Readers that handle binary content themselves (Parquet, compressed files).
BINARY_READERS: frozenset[str] = frozenset()


def choose_reader(path: str, head: bytes | None) -> str | None:
    """The reader name for this path, or None to skip it as binary.

    With head=None only the extension decides (used before opening a file).
    """
    ext = extension(path)
    name = EXTENSION_READERS.get(ext)
    if name in BINARY_READERS:
        return name
    if name is None and ext in BINARY_EXTENSIONS:
        return None
    if head is not None and looks_binary(head):
        # A few stray NUL bytes do not make a file with a text extension binary (logs, exports,
        # sources): skipping it would hide whatever else it holds. Mostly NULs (sparse) is binary.
        stray_nuls = head.count(0) * 10 < len(head)
        if not (stray_nuls and (name is not None or ext in TEXT_EXTENSIONS)):
            return None
    return name or "text"
