"""A stand-in for git-lfs's clean and smudge filters, for machines without git-lfs.

Configured by tests/gitutil.py (`track_with_lfs(..., tool="script")`) as `filter.lfs.clean` and
`filter.lfs.smudge` of a test repository; git runs it in the top of the work tree. It does what
the spec (git-lfs docs/spec.md, "Intercepting Git") says git-lfs does: clean stores the content
as `<lfs dir>/objects/<oid[0:2]>/<oid[2:4]>/<oid>` (the lfs dir is `lfs.storage`, relative to the
git dir, or `<git common dir>/lfs`) and writes the pointer; smudge writes the content back
(the pointer itself when the object is missing or GIT_LFS_SKIP_SMUDGE is set).
Standard library only: git starts it once per file.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

VERSION = b"version https://git-lfs.github.com/spec/v1\n"


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, check=False).stdout.decode().strip()


def objects_dir() -> Path:
    git_dir = Path(_git("rev-parse", "--git-common-dir")).resolve()
    configured = _git("config", "--get", "lfs.storage")
    storage = git_dir / Path(configured).expanduser() if configured else git_dir / "lfs"
    return storage / "objects"


def pointer(oid: str, size: int) -> bytes:
    return VERSION + f"oid sha256:{oid}\nsize {size}\n".encode()


def clean(data: bytes) -> bytes:
    if data.startswith(VERSION) and len(data) < 1024:
        return data  # already a pointer
    oid = hashlib.sha256(data).hexdigest()
    folder = objects_dir() / oid[:2] / oid[2:4]
    if not (folder / oid).is_file():
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, folder / oid)
    return pointer(oid, len(data))


def smudge(data: bytes) -> bytes:
    if not data.startswith(VERSION) or os.environ.get("GIT_LFS_SKIP_SMUDGE") == "1":
        return data
    oid = next((line[11:].decode() for line in data.splitlines() if line.startswith(b"oid sha256:")), "")
    stored = objects_dir() / oid[:2] / oid[2:4] / oid
    return stored.read_bytes() if oid and stored.is_file() else data


def main() -> None:
    data = sys.stdin.buffer.read()
    sys.stdout.buffer.write(clean(data) if sys.argv[1] == "clean" else smudge(data))


if __name__ == "__main__":
    main()
