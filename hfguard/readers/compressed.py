"""`.gz`, `.bz2`, `.xz` and `.zst` files: decompressed as a stream and handed to the reader of the
inner name (`train.jsonl.gz` -> JSON Lines), with a limit on the decompressed size, so that a
decompression bomb is a per-file error and not an outage.
"""
from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Any

from hfguard.models import Blob, Chunk
from hfguard.readers.base import (
    MAX_DECOMPRESSED_FLOOR,
    MAX_DECOMPRESSION_RATIO,
    ReadContext,
    ReaderError,
)
from hfguard.readers.text import READ_BYTES, SNIFF_BYTES, extension

COMPRESSED_EXTENSIONS = frozenset({"gz", "bz2", "xz", "zst"})
_NAMES = {"gz": "gzip", "bz2": "bzip2", "xz": "xz", "zst": "zstd"}


def _zstd_errors() -> tuple[type[BaseException], ...]:
    try:
        import zstandard
    except ImportError:  # pragma: no cover
        return ()
    return (zstandard.ZstdError,)


_CORRUPT = (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) + _zstd_errors()


def _decompressor(ext: str, raw: IO[bytes]) -> IO[bytes]:
    if ext == "gz":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if ext == "bz2":
        return bz2.BZ2File(raw, mode="rb")
    if ext == "xz":
        return lzma.LZMAFile(raw, mode="rb")
    if ext == "zst":
        try:
            import zstandard
        except ImportError:
            raise ReaderError("zstandard is not installed: cannot read .zst files") from None
        return zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)  # type: ignore[no-any-return,unused-ignore]
    raise ReaderError(f"unknown compression .{ext}")


class _CountingRaw(io.RawIOBase):
    """The compressed bytes, counted (for the ratio check)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        return n

    def close(self) -> None:
        try:
            self.raw.close()
        finally:
            super().close()


class LimitedDecompressor(io.RawIOBase):
    """A decompressed stream that stops with ReaderError past the size limit or on corrupt data."""

    def __init__(self, ext: str, raw: IO[bytes], limit: int | None) -> None:
        self.ext = ext
        self.counting = _CountingRaw(raw)
        self.inner = _decompressor(ext, self.counting)  # type: ignore[arg-type]
        self.limit = limit
        self.total = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: Any) -> int:
        try:
            data = self.inner.read(len(buffer))
        except _CORRUPT:
            raise ReaderError(f"corrupt or truncated {_NAMES[self.ext]} data") from None
        n = len(data)
        self.total += n
        allowed = self.limit if self.limit is not None else max(
            MAX_DECOMPRESSED_FLOOR, MAX_DECOMPRESSION_RATIO * self.counting.count)
        if self.total > allowed:
            raise ReaderError(
                f"decompressed size passed {allowed} bytes (from {self.counting.count} compressed): "
                "possible decompression bomb; not fully scanned"
            )
        buffer[:n] = data
        return n

    def close(self) -> None:
        try:
            self.inner.close()
            self.counting.close()
        except _CORRUPT:
            pass
        finally:
            super().close()


def inner_path(path: str) -> str:
    return path[: -(len(extension(path)) + 1)]


def read_compressed(blob: Blob, head: bytes, ctx: ReadContext | None = None) -> Iterator[Chunk]:
    from hfguard.readers import READERS, choose_reader

    ctx = ctx or ReadContext()
    ext = extension(blob.path)
    name = inner_path(blob.path)

    def opener() -> IO[bytes]:
        return io.BufferedReader(LimitedDecompressor(ext, blob.open(), ctx.max_decompressed), 1024 * 1024)

    with opener() as stream:
        inner_head = stream.read(SNIFF_BYTES)
    reader_name = choose_reader(name, inner_head)
    if reader_name is None:
        # Not scanned, but decompressed to the end all the same: a bomb of zeros is still a bomb.
        with opener() as stream:
            while stream.read(READ_BYTES):
                pass
        ctx.note(f"{blob.path}: binary content after decompression, skipped")
        return
    if reader_name == "compressed":
        # Fail closed: what is inside was not scanned, so this is an error, not a note.
        raise ReaderError("compressed twice: the inner file was not scanned (decompress it once)")
    inner: Callable[..., Iterator[Chunk]] = READERS[reader_name]
    yield from inner(Blob(blob.path, opener, None, blob.location_prefix, blob.commit), inner_head, ctx)
