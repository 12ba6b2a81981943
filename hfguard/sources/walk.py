"""Files and folders on disk -> paths to scan. Never follows symlinks inside a folder, never opens
FIFOs or devices, skips VCS and cache folders."""
from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from hfguard.models import FileError
from hfguard.policy.paths import matches

# Folders that are never published content (or that huggingface_hub never uploads).
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".pytest_cache",
                          ".ruff_cache", ".tox", ".nox"})
SKIPPED_SUBPATHS = (".cache/huggingface",)


@dataclass
class WalkResult:
    files: list[tuple[str, str]] = field(default_factory=list)  # (shown path, disk path)
    errors: list[FileError] = field(default_factory=list)
    skipped: int = 0  # symlinks, FIFOs, devices
    excluded: int = 0  # files and folders left out by exclude/include
    notes: list[str] = field(default_factory=list)  # what was skipped, by name

    def skip(self, shown: str, why: str) -> None:
        """A symlink inside a folder, or a FIFO, socket or device: not read, and said so (the first
        MAX_SKIP_NOTES by name, then how many more)."""
        self.skipped += 1
        if self.skipped <= MAX_SKIP_NOTES:
            self.notes.append(f"{shown}: {why}")
            return
        more = f"{self.skipped - MAX_SKIP_NOTES} more symbolic link(s) or special file(s) not read"
        if self.skipped == MAX_SKIP_NOTES + 1:
            self.notes.append(more)
        else:
            self.notes[-1] = more


MAX_SKIP_NOTES = 20


def _link_note(path: str) -> str:
    """Why a symbolic link inside a folder is not scanned, with where it points."""
    try:
        target = os.readlink(path)
    except OSError:
        return "symbolic link not followed"
    if not os.path.exists(path):
        return f"symbolic link to a missing file ({target}): nothing to scan"
    return (f"symbolic link not followed (git commits the link itself, not what it points to; "
            f"scan {target} to check it)")


def _display(root_arg: str, rel: str) -> str:
    if root_arg in (".", "./", ""):
        return rel
    return os.path.normpath(os.path.join(root_arg, rel)) if not os.path.isabs(root_arg) else os.path.join(root_arg, rel)


def _display_dir(root_arg: str, rel_dir: str) -> str:
    """What _display(root_arg, f"{rel_dir}/{name}") puts before `name`, worked out once per
    folder (the 32 MB tree: 2,996 files in 1,462 folders; normpath per file cost ~3 ms)."""
    if root_arg in (".", "./", ""):
        return f"{rel_dir}/" if rel_dir else ""
    if os.path.isabs(root_arg):
        return os.path.join(os.path.join(root_arg, rel_dir) if rel_dir else root_arg, "")
    # normpath resolves '..' only against what comes before it: a last component (a file name,
    # never '.' or '..') leaves the rest as normpath of the folder gives it.
    folder = os.path.normpath(os.path.join(root_arg, rel_dir))
    return "" if folder == "." else folder + os.sep


def _pattern_base(arg: str, root: str | None) -> str:
    """Where a folder argument sits under the pattern root ("" when it is the root, or when it
    lies outside it: then patterns are relative to the folder itself)."""
    if root is None:
        return ""
    rel = os.path.relpath(os.path.abspath(arg), os.path.abspath(root))
    if rel == "." or rel == ".." or rel.startswith(".." + os.sep):
        return ""
    return rel.replace(os.sep, "/") + "/"


def filtered(rel: str, exclude: tuple[str, ...], include: tuple[str, ...]) -> bool:
    """True when config exclude/include leave this file out (`matches` tests its folders too)."""
    if exclude and matches(rel, exclude):
        return True
    return bool(include) and not matches(rel, include)


def walk_paths(
    paths: list[str], exclude: tuple[str, ...] = (), include: tuple[str, ...] = (), root: str | None = None
) -> WalkResult:
    """Files under `paths`. exclude/include patterns are matched against paths relative to `root`
    (the config file's folder) when the argument lies under it, else relative to the argument;
    they apply to files named on the command line too (pre-commit passes file names)."""
    result = WalkResult()
    for arg in paths:
        try:
            st = os.stat(arg)  # a path the user named is followed even if it is a link
        except OSError as exc:
            result.errors.append(FileError(arg, f"cannot open: {exc.strerror or exc}"))
            continue
        if stat.S_ISDIR(st.st_mode):
            _walk_dir(arg, result, exclude, include, _pattern_base(arg, root))
        elif stat.S_ISREG(st.st_mode):
            shown = os.path.normpath(arg) if not os.path.isabs(arg) else arg
            base = _pattern_base(os.path.dirname(arg) or ".", root)
            if (exclude or include) and filtered(base + os.path.basename(arg), exclude, include):
                result.excluded += 1
                continue
            result.files.append((shown, arg))
        else:  # not something to read: a FIFO would block, a device never ends; nothing git commits
            result.skip(arg, "not a regular file (a FIFO, socket or device): not read")
    return result


def _walk_dir(
    root_arg: str, result: WalkResult, exclude: tuple[str, ...], include: tuple[str, ...], base: str = ""
) -> None:
    stack: list[str] = [""]
    while stack:
        rel_dir = stack.pop()
        disk_dir = os.path.join(root_arg, rel_dir) if rel_dir else root_arg
        try:
            entries = sorted(os.scandir(disk_dir), key=lambda e: e.name)
        except OSError as exc:
            result.errors.append(FileError(_display(root_arg, rel_dir or "."), f"cannot list folder: {exc.strerror or exc}"))
            continue
        subdirs: list[str] = []
        shown_dir = _display_dir(root_arg, rel_dir)
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                if entry.is_symlink():
                    if (exclude or include) and filtered(base + rel, exclude, include):
                        result.excluded += 1
                        continue
                    result.skip(shown_dir + entry.name, _link_note(entry.path))
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if entry.name in SKIPPED_DIRS or rel in SKIPPED_SUBPATHS:
                        continue
                    if exclude and matches(base + rel + "/", exclude):
                        result.excluded += 1
                        continue
                    subdirs.append(rel)
                elif entry.is_file(follow_symlinks=False):
                    if (exclude or include) and filtered(base + rel, exclude, include):
                        result.excluded += 1
                        continue
                    result.files.append((shown_dir + entry.name, entry.path))  # _display(root_arg, rel)
                else:  # FIFO, socket, device: never opened
                    result.skip(shown_dir + entry.name, "not a regular file (a FIFO, socket or device): not read")
            except OSError as exc:
                result.errors.append(FileError(_display(root_arg, rel), f"cannot stat: {exc.strerror or exc}"))
        stack.extend(reversed(subdirs))


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOCTTY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def open_regular(path: str) -> IO[bytes]:
    """Open a file for reading only if it is (still) a regular file.

    The walk saw a regular file, but it may have been replaced since (by a FIFO that would block
    open() forever, a device that never ends): open without blocking, check what was opened.
    """
    fd = os.open(path, _OPEN_FLAGS | _NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file (it changed during the scan)")
        if _NONBLOCK:
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def file_sizes(files: list[tuple[str, str]]) -> list[int]:
    """The size of each walked file (0 when it cannot be stat'ed any more)."""
    sizes = []
    for _, disk in files:
        try:
            sizes.append(os.stat(disk).st_size)
        except OSError:
            sizes.append(0)
    return sizes


def walk_and_stat(
    paths: list[str], exclude: tuple[str, ...] = (), include: tuple[str, ...] = (), root: str | None = None,
    walk: Callable[..., WalkResult] | None = None,
) -> tuple[WalkResult, list[int]]:
    """(walk_paths(paths, exclude, include, root), file_sizes of its files): what a scan of a
    folder starts from, here or in a BackgroundWalk's child. `walk`: instead of walk_paths."""
    walked = (walk or walk_paths)(paths, exclude, include, root)
    return walked, file_sizes(walked.files)


class BackgroundWalk:
    """walk_paths and file_sizes in a child process (fork), while this one does other work
    before its first file (builds the rules, loads the tokenizer): on the 32 MB tree the walk
    and its 2,996 stats take ~22 ms that no longer come before them. `result()` gives what
    walk_paths and file_sizes give here; if the child fails, they run here."""

    def __init__(self, pid: int, fd: int, args: tuple[list[str], tuple[str, ...], tuple[str, ...], str | None],
                 walk: Callable[..., WalkResult]) -> None:
        self.pid = pid
        self.fd = fd
        self.args = args
        self.walk = walk
        self.done = False

    def running(self) -> bool:
        """The child has not finished yet (its result is not waiting in the pipe)."""
        import select

        return not self.done and not select.select([self.fd], [], [], 0)[0]

    def result(self) -> tuple[WalkResult, list[int]]:
        import pickle

        data = b""
        try:
            with os.fdopen(self.fd, "rb") as pipe:
                data = pipe.read()
        finally:
            self.done = True
            _, status = os.waitpid(self.pid, 0)
        if status == 0 and data:
            try:
                walked, sizes = pickle.loads(data)
                return walked, sizes
            except Exception:  # noqa: BLE001,S110 - walk here instead
                pass
        return walk_and_stat(*self.args, walk=self.walk)


def walk_in_background(
    paths: list[str], exclude: tuple[str, ...] = (), include: tuple[str, ...] = (), root: str | None = None,
    walk: Callable[..., WalkResult] | None = None,
) -> BackgroundWalk | None:
    """Start walk_paths(paths, exclude, include, root) and file_sizes in a child process, or None
    where that is not worth it or not safe: no folder among `paths` (a list of files is walked at
    once), no fork, or other threads in this process (a child of a threaded process must not
    take locks another thread may hold: pattern matching may import)."""
    import threading

    if not hasattr(os, "fork") or threading.active_count() > 1:
        return None
    if not any(os.path.isdir(p) for p in paths):
        return None
    import pickle  # (imported here, not in the child)

    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        return None
    if pid == 0:  # the child: walk, send, exit without running this process's exit handlers
        code = 1
        try:
            os.close(read_fd)
            data = pickle.dumps(walk_and_stat(paths, exclude, include, root, walk), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(data)
            code = 0
        except BaseException:  # noqa: BLE001,S110 - Ctrl-C or anything: the parent walks itself
            pass
        finally:
            os._exit(code)
    os.close(write_fd)
    return BackgroundWalk(pid, read_fd, (paths, exclude, include, root), walk or walk_paths)
