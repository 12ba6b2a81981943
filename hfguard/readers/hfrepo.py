"""Files of a Hugging Face repo that need a reader of their own: model and dataset cards (YAML
front matter as metadata, the rest as prose), tokenizer vocabularies (large, high-entropy and
benign: no entropy-only findings), and the `__metadata__` strings of a safetensors header (the
tensors themselves are never read).
"""
from __future__ import annotations

import json
import struct
from collections.abc import Iterator

from hfguard.models import Blob, Chunk, ChunkKind
from hfguard.readers.base import LocatedChunk, ReadContext, ReaderError, Where, value_starts
from hfguard.readers.text import iter_text, read_text_chunks, text_pieces

MAX_CARD_FRONT_MATTER = 1024 * 1024
MAX_SAFETENSORS_HEADER = 100 * 1024 * 1024  # the format's own limit


def read_card(blob: Blob, head: bytes, ctx: ReadContext | None = None) -> Iterator[Chunk]:
    """README.md: `---` front matter (YAML) as METADATA, the body as PROSE, lines kept."""
    with blob.open() as stream:
        blocks = iter_text(stream, head)
        first = next(blocks, "")
        text = first.lstrip("\ufeff")
        if not text.startswith("---"):
            yield from text_pieces(_chain(first, blocks), ChunkKind.PROSE)
            return
        while "\n---" not in text[3:] and len(text) < MAX_CARD_FRONT_MATTER:
            more = next(blocks, None)
            if more is None:
                break
            text += more
        end = _front_matter_end(text)
        if end is None:
            yield from text_pieces(_chain(text, blocks), ChunkKind.PROSE)
            return
        front, body = text[:end], text[end:]
        yield Chunk(front, ChunkKind.METADATA, line=1, location="card metadata")
        body_line = 1 + front.count("\n")
        yield from text_pieces(_chain(body, blocks), ChunkKind.PROSE, first_line=body_line)


def _front_matter_end(text: str) -> int | None:
    """Offset just past the closing `---` line of the front matter."""
    position = text.find("\n", 0)
    while position >= 0:
        next_newline = text.find("\n", position + 1)
        line = text[position + 1: next_newline if next_newline >= 0 else len(text)]
        if line.rstrip("\r") in ("---", "..."):
            return next_newline + 1 if next_newline >= 0 else len(text)
        position = next_newline
    return None


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    if first:
        yield first
    yield from rest


def read_tokenizer(blob: Blob, head: bytes, ctx: ReadContext | None = None) -> Iterator[Chunk]:
    """tokenizer.json, vocab.txt, merges.txt: scanned as text, never for entropy alone."""
    return read_text_chunks(blob, head, ChunkKind.DATA, no_entropy=True)


class _MetadataIndex:
    def __init__(self, keys: list[str]) -> None:
        self.keys = keys

    def where(self, index: int, offset_in_value: int, value: str) -> Where:
        field = f"__metadata__.{self.keys[index]}"
        return Where(None, None, None, field, f"safetensors header {field}")


def read_safetensors(blob: Blob, head: bytes, ctx: ReadContext | None = None) -> Iterator[Chunk]:
    """Only the JSON header's `__metadata__` (string to string) is read."""
    if len(head) < 8:
        raise ReaderError("not a safetensors file: shorter than its header length")
    (length,) = struct.unpack("<Q", head[:8])
    if length > MAX_SAFETENSORS_HEADER or (blob.size is not None and length > blob.size - 8):
        raise ReaderError("not a safetensors file: header length out of range")
    with blob.open() as stream:
        stream.read(8)
        raw = stream.read(length)
    if len(raw) < length:
        raise ReaderError("truncated safetensors header")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ReaderError("not a safetensors file: header is not valid JSON") from None
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(metadata, dict) or not metadata:
        return
    keys = [str(k) for k, v in metadata.items() if isinstance(v, str)]
    lines = [f"{k}: {v}" for k, v in metadata.items() if isinstance(v, str)]
    yield LocatedChunk("\n".join(lines), ChunkKind.METADATA, line=None, location="safetensors header",
                       index=_MetadataIndex(keys), starts=value_starts(lines))
