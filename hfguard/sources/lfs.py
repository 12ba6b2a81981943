"""Git LFS: pointer files, and their content in the local LFS object store.

A file tracked by Git LFS (in a Hugging Face repo: *.safetensors, *.bin, *.parquet, *.arrow, …)
is stored in the index and in every commit as a small text pointer
(https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md):

    version https://git-lfs.github.com/spec/v1
    oid sha256:<64 lowercase hex>
    size <bytes>

The content itself is kept in `<git common dir>/lfs/objects/<oid[0:2]>/<oid[2:4]>/<oid>` (the
`lfs` folder moves with `lfs.storage`), and that file is what git-lfs uploads when the commit is
pushed. A pointer is never read as the file type its name says.

Recognition is strict (version first, then optional `ext-*` lines, `oid`, `size`, nothing else,
under 1024 bytes): a blob taken for a pointer is not scanned as text, so a pointer-looking file
with any other line in it is scanned as what its name says instead.
"""
from __future__ import annotations

import errno
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

MAX_POINTER_BYTES = 1024  # the spec: pointer files are smaller than this
_VERSIONS = (
    "https://git-lfs.github.com/spec/v1",
    "https://hawser.github.com/spec/v1",  # written by git-lfs pre-releases; git-lfs still reads it
)
# The smallest pointer: the shorter version line, a 64-hex oid, a one-digit size.
MIN_POINTER_BYTES = len(f"version {min(_VERSIONS, key=len)}\noid sha256:{'0' * 64}\nsize 0")
_OID = re.compile(r"sha256:([0-9a-f]{64})")
_SIZE = re.compile(r"(0|[1-9][0-9]{0,18})")
_EXT = re.compile(r"ext-([0-9])-([a-z0-9.-]+) sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class Pointer:
    oid: str  # sha256 of the content, lowercase hex
    size: int  # bytes of the content
    extensions: tuple[str, ...] = ()  # names of git-lfs extensions the content went through

    def describe(self) -> str:
        return f"Git LFS object {self.oid[:12]}… ({self.size} bytes)"


def parse_pointer(data: bytes) -> Pointer | None:
    """The pointer `data` is, or None when it is anything else (content to scan as it is)."""
    if not MIN_POINTER_BYTES <= len(data) < MAX_POINTER_BYTES or not data.startswith(b"version "):
        return None
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return None
    lines = text.split("\n")
    if lines[-1] == "":  # the final newline (git-lfs writes one; tolerate its absence)
        lines.pop()
    lines = [line.removesuffix("\r") for line in lines]
    if len(lines) < 3 or lines[0].removeprefix("version ") not in _VERSIONS:
        return None
    *middle, oid_line, size_line = lines[1:]
    extensions = []
    for line in middle:
        match = _EXT.fullmatch(line)
        if match is None:
            return None
        extensions.append(match.group(2))
    oid = _OID.fullmatch(oid_line.removeprefix("oid ")) if oid_line.startswith("oid ") else None
    size = _SIZE.fullmatch(size_line.removeprefix("size ")) if size_line.startswith("size ") else None
    if oid is None or size is None:
        return None
    return Pointer(oid.group(1), int(size.group(1)), tuple(extensions))


def pointer_note(path: str, pointer: Pointer) -> str:
    """A pointer found where content was expected (a clone made with GIT_LFS_SKIP_SMUDGE=1)."""
    return (f"{path}: a Git LFS pointer to {pointer.describe()}; its content is not in this file and was not "
            "scanned (in a git clone, `git lfs pull` fetches it: then scan again)")


def missing_note(path: str, pointer: Pointer, storage: Path) -> str:
    """A pointer whose object is not in the local store: nothing here that a push could send."""
    return (f"{path}: {pointer.describe()} is not in the local LFS store ({storage}), so it was not "
            "scanned: its content is not on this machine and a push from here cannot send it "
            "(`git lfs fetch` it to have it scanned)")


def storage_dir(git_dir: Path, configured: str | None) -> Path:
    """The `lfs` folder: `lfs.storage` when set (relative to the git dir), else `<git dir>/lfs`."""
    if not configured:
        return git_dir / "lfs"
    path = Path(configured).expanduser()
    return path if path.is_absolute() else git_dir / path


def object_path(storage: Path, oid: str) -> Path:
    return storage / "objects" / oid[:2] / oid[2:4] / oid


class ObjectMismatch(OSError):
    """The local object is not the content its pointer names: not what a push would send."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.EIO, message)


def verify(path: Path, pointer: Pointer) -> None:
    """Raise ObjectMismatch unless the file at `path` has the pointer's size and sha256."""
    with open(path, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        if size != pointer.size:
            raise ObjectMismatch(
                f"{pointer.describe()} in the local LFS store has {size} bytes, not the pointer's "
                f"{pointer.size}: not the content a push would send (git lfs fsck)")
        digest = hashlib.file_digest(stream, "sha256").hexdigest()
    if digest != pointer.oid:
        raise ObjectMismatch(
            f"{pointer.describe()} in the local LFS store does not match its sha256 (the file's is "
            f"{digest[:12]}…): not the content a push would send (git lfs fsck)")
