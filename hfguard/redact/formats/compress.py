"""Compressed files (.gz, .bz2, .xz, .zst): the inner format is redacted from a decompressing
stream into a compressing one of the same kind, so `train.jsonl.gz` stays a gzip of JSON Lines."""
from __future__ import annotations

import bz2
import gzip
import lzma
from collections.abc import Callable
from typing import IO

from hfguard.readers.compressed import LimitedDecompressor
from hfguard.redact.formats import FormatError


def reader(ext: str, open_raw: Callable[[], IO[bytes]], limit: int | None) -> Callable[[], IO[bytes]]:
    def opener() -> IO[bytes]:
        return LimitedDecompressor(ext, open_raw(), limit)  # type: ignore[return-value]

    return opener


def writer(ext: str, raw: IO[bytes]) -> IO[bytes]:
    """A compressing stream over `raw` (closing it finishes the compressed data, not `raw`)."""
    if ext == "gz":
        return gzip.GzipFile(fileobj=raw, mode="wb", mtime=0)  # type: ignore[return-value]
    if ext == "bz2":
        return bz2.BZ2File(raw, mode="wb")
    if ext == "xz":
        return lzma.LZMAFile(raw, mode="wb")
    if ext == "zst":
        import zstandard

        return zstandard.ZstdCompressor().stream_writer(raw, closefd=False)  # type: ignore[return-value,no-any-return,unused-ignore]
    raise FormatError(f"unknown compression .{ext}")
