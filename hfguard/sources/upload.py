"""What an upload would send, as blobs to scan: files (named by their path in the repo), bytes,
file objects (read from where they stand, then put back) and pieces of text such as commit
messages. Nothing here talks to the network or consumes the caller's objects.
"""
from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeGuard

from hfguard.models import Blob
from hfguard.scanner import disk_blob

_HASH_READ = 1024 * 1024

# Content identity, for the verdict cache: equal keys mean the same bytes under the same name.
ContentKey = tuple[Any, ...]


@dataclass(frozen=True)
class Outgoing:
    """One thing an upload sends. `key` is None when its identity cannot be had cheaply."""

    blob: Blob
    key: ContentKey | None
    source: str | None = None  # where it comes from, for messages (a local path), never content
    text: bool = False  # a message or description rather than a file
    uploaded: bool = False  # an LFS file already uploaded (by preupload_lfs_files): judged by `key` only


def content_key(path_in_repo: str, data: bytes) -> ContentKey:
    """The key of these bytes under this name, however they reach huggingface_hub."""
    return ("bytes", path_in_repo, hashlib.sha256(data).hexdigest())


def sha256_key(path_in_repo: str, sha256_hex: str) -> ContentKey:
    """The key of content known by its sha256 (an LFS object) under this name."""
    return ("sha256", path_in_repo, sha256_hex)


class _Window(io.RawIOBase):
    """Reads a caller's file object from `start` (seeking before every read, so other readers
    in between do no harm), and puts its position back on close."""

    def __init__(self, obj: Any, start: int) -> None:
        super().__init__()
        self._obj = obj
        self._pos = start
        self._saved = obj.tell()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._obj.seek(self._pos)
        data = self._obj.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._pos += n
        return n

    def close(self) -> None:
        if not self.closed:
            try:
                self._obj.seek(self._saved)
            finally:
                super().close()


def repo_path(path_in_repo: str) -> str:
    """The path as huggingface_hub sends it (it drops a leading "/" and "./")."""
    path = path_in_repo.removeprefix("/")
    return path.removeprefix("./")


def _file_key(path_in_repo: str, disk_path: str) -> ContentKey | None:
    try:
        st = os.stat(disk_path)
    except OSError:
        return None
    return ("file", path_in_repo, os.path.realpath(disk_path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def file_item(path_in_repo: str, disk_path: str) -> Outgoing:
    path_in_repo = repo_path(path_in_repo)
    return Outgoing(disk_blob(path_in_repo, disk_path), _file_key(path_in_repo, disk_path), disk_path)


def bytes_item(path_in_repo: str, data: bytes | bytearray | memoryview) -> Outgoing:
    path_in_repo = repo_path(path_in_repo)
    frozen = bytes(data)
    return Outgoing(Blob(path_in_repo, lambda: io.BytesIO(frozen), len(frozen)), content_key(path_in_repo, frozen))


def fileobj_item(path_in_repo: str, obj: Any) -> Outgoing:
    """A file object, read from offset 0 to its end, its position given back afterwards.

    huggingface_hub 2.4 sends a file object from its start whatever its current position
    (UploadInfo.from_fileobj seeks to 0 before hashing, and the upload reads from there), so
    the whole object is what leaves; scanning from 0 also covers a version that sends from the
    position on.
    """
    path_in_repo = repo_path(path_in_repo)

    def opener() -> IO[bytes]:
        return io.BufferedReader(_Window(obj, 0), buffer_size=_HASH_READ)

    key: ContentKey | None
    try:
        st = os.fstat(obj.fileno())
        key = ("fd", path_in_repo, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        digest = hashlib.sha256()
        with opener() as stream:
            while piece := stream.read(_HASH_READ):
                digest.update(piece)
        key = ("obj", path_in_repo, digest.hexdigest())
    return Outgoing(Blob(path_in_repo, opener, None), key)


def source_item(path_in_repo: str, source: Any) -> Outgoing | None:
    """A (path_in_repo, str | Path | bytes | file object) pair as huggingface_hub takes it."""
    if isinstance(source, (str, Path)):
        disk = os.path.normpath(os.path.expanduser(str(source)))
        if not os.path.isfile(disk):
            return None  # huggingface_hub refuses it with its own error, before any request
        return file_item(path_in_repo, disk)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes_item(path_in_repo, source)
    if hasattr(source, "read") and hasattr(source, "seek") and hasattr(source, "tell"):
        return fileobj_item(path_in_repo, source)
    return None  # huggingface_hub rejects anything else itself


def text_item(label: str, text: Any, *, is_file: bool = False) -> Outgoing | None:
    """A string that is sent: a commit message (label `<commit message>`), or a file's text
    (`is_file`, e.g. README.md posted to /api/validate-yaml)."""
    if not isinstance(text, str) or not text.strip():
        return None
    data = text.encode("utf-8", "surrogatepass")
    return Outgoing(Blob(label, lambda: io.BytesIO(data), len(data)), content_key(label, data), text=not is_file)


def texts(pairs: Iterable[tuple[str, Any]]) -> list[Outgoing]:
    return [item for label, text in pairs if (item := text_item(label, text)) is not None]


def is_sequence(value: Any) -> TypeGuard[Sequence[Any]]:
    """Lists and tuples can be read twice; a generator cannot (and must not be consumed)."""
    return isinstance(value, (list, tuple))


def _gone() -> IO[bytes]:
    raise OSError("the content of an uploaded LFS file is no longer held")


def uploaded_item(path_in_repo: str, op: Any) -> Outgoing:
    """An operation whose content already went through LFS (`_is_uploaded`): huggingface_hub may
    have emptied `path_or_fileobj` and the file may be gone, but `upload_info.sha256` is the
    object the commit will point to. Its key is that sha256, which the gate remembered as clean
    if it cleared the content before the upload."""
    path_in_repo = repo_path(path_in_repo)
    info = getattr(op, "upload_info", None)
    key: ContentKey | None = None
    if info is not None and getattr(info, "is_hashed", True):
        sha = getattr(info, "sha256", None)
        if isinstance(sha, bytes):
            key = sha256_key(path_in_repo, sha.hex())
    return Outgoing(Blob(path_in_repo, _gone, getattr(info, "size", None)), key, uploaded=True)


def operation_items(operations: Sequence[Any]) -> list[Outgoing]:
    """CommitOperationAdd objects (duck-typed): copies and deletions carry no local content."""
    items = []
    for op in operations:
        path_in_repo = getattr(op, "path_in_repo", None)
        if not isinstance(path_in_repo, str) or not hasattr(op, "path_or_fileobj"):
            continue
        if getattr(op, "_is_uploaded", False) is True:
            items.append(uploaded_item(path_in_repo, op))
            continue
        item = source_item(path_in_repo, op.path_or_fileobj)
        if item is not None:
            items.append(item)
    return items


def bucket_items(add: Sequence[Any]) -> list[Outgoing]:
    """batch_bucket_files(add=[(source, destination)]) or internal _BucketAddFile objects."""
    items = []
    for entry in add:
        if isinstance(entry, tuple) and len(entry) == 2:
            source, destination = entry
        elif hasattr(entry, "source") and hasattr(entry, "destination"):
            if getattr(entry, "xet_hash", None) is not None:
                continue  # already stored: nothing leaves the machine
            source, destination = entry.source, entry.destination
        else:
            continue
        item = source_item(str(destination), source)
        if item is not None:
            items.append(item)
    return items


def folder_items(
    folder_path: str | Path,
    path_in_repo: str | None,
    allow_patterns: list[str] | str | None,
    ignore_patterns: list[str] | str | None,
) -> list[Outgoing] | None:
    """The files upload_folder would send, listed the way huggingface_hub lists them.

    None when `folder_path` is not a folder (huggingface_hub raises its own error then).
    """
    from huggingface_hub import hf_api

    folder = Path(folder_path).expanduser().resolve()
    if not folder.is_dir():
        return None
    # The very objects upload_folder uses (hf_api's module globals; checked at import).
    default_ignore: list[str] = getattr(hf_api, "DEFAULT_IGNORE_PATTERNS")  # noqa: B009
    filter_repo_objects = getattr(hf_api, "filter_repo_objects")  # noqa: B009
    ignore: list[str] = [] if ignore_patterns is None else [ignore_patterns] if isinstance(ignore_patterns, str) else list(ignore_patterns)
    ignore += list(default_ignore)
    relpath_to_abspath = {
        path.relative_to(folder).as_posix(): path for path in sorted(folder.glob("**/*")) if path.is_file()
    }
    selected = filter_repo_objects(relpath_to_abspath.keys(), allow_patterns=allow_patterns, ignore_patterns=ignore)
    prefix = f"{path_in_repo.strip('/')}/" if path_in_repo else ""
    return [file_item(prefix + rel, str(relpath_to_abspath[rel])) for rel in selected]
