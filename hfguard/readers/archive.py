"""Zip and tar archives: every member is read by the reader of its own name, and its chunks carry
the member's path (`data.zip!train/notes.txt`), so findings name the member and lines count
inside it.

Compressed tars (`.tar.gz`, `.tgz`, `.tar.bz2`, `.tar.xz`, `.tar.zst`) reach this reader through
the compressed reader, which limits the decompressed size. Zip members are inflated here, under
the same limit (the archive's size times MAX_DECOMPRESSION_RATIO, at least
MAX_DECOMPRESSED_FLOOR, or ReadContext.max_decompressed), counted over all members and checked
against the sizes the archive declares before any inflating. Archives nest up to MAX_DEPTH;
deeper ones, encrypted members and members that cannot be read are errors (fail closed), not
silent skips.
"""
from __future__ import annotations

import dataclasses
import io
import os
import shutil
import tarfile
import tempfile
import zipfile
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
from hfguard.readers.text import SNIFF_BYTES, extension

ARCHIVE_EXTENSIONS = frozenset({"zip", "tar", "tgz", "tbz2", "tbz", "txz", "tzst"})
MAX_DEPTH = 3  # data.zip!a.zip!b.tar!c.txt: three archives deep
MAX_MEMBERS = 100_000
MEMORY_MEMBER = 16 * 1024 * 1024  # tar members up to this size are held in memory, larger spooled
SEPARATOR = "!"
_COPY = 1024 * 1024
# .tgz and friends: the compressed reader decompresses, this reader reads the inner tar.
TAR_ALIASES = {"tgz": "gz", "tbz2": "bz2", "tbz": "bz2", "txz": "xz", "tzst": "zst"}


def depth(path: str) -> int:
    return path.count(SEPARATOR)


class _BombError(ReaderError):
    """Past the archive's decompression limit: stop at once (other member errors are collected)."""


class _Budget:
    """Decompressed bytes left for the whole archive (all members, nested ones included)."""

    def __init__(self, limit: int, compressed: int | None) -> None:
        self.limit = limit
        self.compressed = compressed
        self.used = 0

    def take(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise _BombError(
                f"decompressed size passed {self.limit} bytes (from {self.compressed} compressed): "
                "possible decompression bomb; not fully scanned"
            )


class _Counted(io.RawIOBase):
    """A member's stream whose bytes count against the archive's budget."""

    def __init__(self, raw: IO[bytes], budget: _Budget) -> None:
        self.raw = raw
        self.budget = budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self.raw.read(len(buffer))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError,
                NotImplementedError, RuntimeError) as exc:
            raise ReaderError(f"corrupt archive member ({type(exc).__name__})") from None
        n = len(data)
        self.budget.take(n)
        buffer[:n] = data
        return n

    def close(self) -> None:
        try:
            self.raw.close()
        finally:
            super().close()


def _limit(blob: Blob, ctx: ReadContext) -> int:
    if ctx.max_decompressed is not None:
        return ctx.max_decompressed
    return max(MAX_DECOMPRESSED_FLOOR, MAX_DECOMPRESSION_RATIO * (blob.size or 0))


def _member_chunks(member: Blob, ctx: ReadContext, errors: list[str]) -> Iterator[Chunk]:
    """The member through the reader of its name, each chunk tagged with the member's path. A
    member that cannot be read is added to `errors` (the other members are still read); past
    the decompression limit, the whole archive stops."""
    from hfguard.readers import READERS, choose_reader

    inner = member.path.split(SEPARATOR, 1)[1]
    try:
        with member.open() as stream:
            head = stream.read(SNIFF_BYTES)
        name = choose_reader(member.path, head)
        if name is None:
            return  # binary member (an image, weights): skipped as on disk
        if name in ("archive", "compressed") and depth(member.path) > MAX_DEPTH:
            errors.append(f"{inner}: archives nested deeper than {MAX_DEPTH}, not scanned")
            return
        for chunk in READERS[name](member, head, ctx):
            # A nested archive's chunks already name their innermost member.
            yield chunk if chunk.path is not None else dataclasses.replace(chunk, path=member.path)
    except _BombError:
        raise
    except ReaderError as exc:
        errors.append(f"{inner}: {exc}")
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile, tarfile.TarError, UnicodeError, ValueError) as exc:
        errors.append(f"{inner}: could not be read ({type(exc).__name__})")


def _raise_collected(errors: list[str]) -> None:
    if errors:
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        raise ReaderError(f"{len(errors)} member(s) not fully scanned: {'; '.join(errors[:3])}{more}")


def _seekable(blob: Blob, spool_dir: str | None) -> tuple[IO[bytes], Callable[[], None]]:
    """The blob as a seekable stream (zip needs its central directory at the end)."""
    stream = blob.open()
    try:
        if stream.seekable():
            return stream, stream.close
    except (OSError, ValueError):
        pass
    spooled = tempfile.SpooledTemporaryFile(max_size=MEMORY_MEMBER, dir=spool_dir)  # noqa: SIM115 (closed by the caller)
    try:
        shutil.copyfileobj(stream, spooled, _COPY)
    finally:
        stream.close()
    spooled.seek(0)
    return spooled, spooled.close


def read_zip(blob: Blob, head: bytes, ctx: ReadContext | None = None) -> Iterator[Chunk]:
    ctx = ctx or ReadContext()
    stream, close = _seekable(blob, None)
    try:
        try:
            archive = zipfile.ZipFile(stream)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise ReaderError(f"not a readable zip archive ({exc})") from None
        with archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            if len(infos) > MAX_MEMBERS:
                raise ReaderError(f"{len(infos)} members, more than {MAX_MEMBERS}: not scanned")
            budget = _Budget(_limit(blob, ctx), blob.size)
            declared = sum(i.file_size for i in infos)
            if declared > budget.limit:
                raise ReaderError(
                    f"members declare {declared} bytes decompressed, more than {budget.limit} "
                    f"(from {blob.size} compressed): possible decompression bomb; not scanned"
                )
            errors: list[str] = []
            for info in infos:
                if info.flag_bits & 0x1:
                    errors.append(f"{info.filename}: encrypted, not scanned")
                    continue

                def opener(info: zipfile.ZipInfo = info) -> IO[bytes]:
                    try:
                        raw = archive.open(info)
                    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as exc:
                        raise ReaderError(f"{info.filename}: cannot be read ({exc})") from None
                    return io.BufferedReader(_Counted(raw, budget), _COPY)

                member = Blob(f"{blob.path}{SEPARATOR}{info.filename}", opener, info.file_size,
                              blob.location_prefix, blob.commit)
                yield from _member_chunks(member, ctx, errors)
            _raise_collected(errors)
    finally:
        close()


def _tar_member_blob(blob: Blob, tar: tarfile.TarFile, info: tarfile.TarInfo,
                     spool: list[str]) -> Blob:
    """A member of a streamed tar, read once and kept (memory or a temporary file) so that its
    reader may open it more than once."""
    source = tar.extractfile(info)
    if source is None:
        raise ReaderError(f"{info.name}: cannot be read")
    name = f"{blob.path}{SEPARATOR}{info.name}"
    if info.size <= MEMORY_MEMBER:
        data = source.read()
        return Blob(name, lambda: io.BytesIO(data), len(data), blob.location_prefix, blob.commit)
    handle, temp = tempfile.mkstemp(prefix="hfguard-member-")
    spool.append(temp)
    with os.fdopen(handle, "wb") as out:
        shutil.copyfileobj(source, out, _COPY)
    return Blob(name, lambda: open(temp, "rb"), info.size, blob.location_prefix, blob.commit)


def read_tar(blob: Blob, head: bytes, ctx: ReadContext | None = None) -> Iterator[Chunk]:
    ctx = ctx or ReadContext()
    spool: list[str] = []
    with blob.open() as stream:
        try:
            # Stream mode: works on the compressed reader's non-seekable output, reads once.
            tar = tarfile.open(fileobj=stream, mode="r|")  # noqa: SIM115 (closed below)
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ReaderError(f"not a readable tar archive ({exc})") from None
        errors: list[str] = []
        try:
            count = 0
            for info in _tar_members(tar):
                if not info.isfile():
                    continue  # directories, links, devices: nothing to read
                count += 1
                if count > MAX_MEMBERS:
                    raise ReaderError(f"more than {MAX_MEMBERS} members: not fully scanned")
                try:
                    member = _tar_member_blob(blob, tar, info, spool)
                except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
                    raise ReaderError(f"{info.name}: cannot be read ({type(exc).__name__})") from None
                try:
                    yield from _member_chunks(member, ctx, errors)
                finally:
                    for temp in spool:
                        os.unlink(temp)
                    spool.clear()
        finally:
            tar.close()
    _raise_collected(errors)


def _tar_members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    try:
        yield from tar
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise ReaderError(f"corrupt or truncated tar archive ({type(exc).__name__})") from None


def read_archive(blob: Blob, head: bytes, ctx: ReadContext | None = None) -> Iterator[Chunk]:
    """Zip by its magic bytes or name; `.tgz`-style names decompressed (size-limited) then read
    as tar; else tar."""
    ctx = ctx or ReadContext()
    ext = extension(blob.path)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")) or ext == "zip":
        return read_zip(blob, head, ctx)
    if ext in TAR_ALIASES:
        from hfguard.readers.compressed import LimitedDecompressor

        method, limit = TAR_ALIASES[ext], ctx.max_decompressed

        def opener() -> IO[bytes]:
            return io.BufferedReader(LimitedDecompressor(method, blob.open(), limit), _COPY)

        return read_tar(Blob(blob.path, opener, None, blob.location_prefix, blob.commit), head, ctx)
    return read_tar(blob, head, ctx)
