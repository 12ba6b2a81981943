"""Git as a source of blobs: the staged index (pre-commit) and what a commit range adds (pre-push).

Goes through gitpython (`git.cmd.Git`, the command layer under `git.Repo`): a handful of plumbing
commands per scan, blob sizes in one `cat-file --batch-check`, and blob contents from gitpython's
persistent `git cat-file --batch` process, never a process per file. gitpython is imported only
here, on the first git command, so a scan of files on disk never pays for it.

--staged scans the whole index blob of each staged file (what the commit will contain).
--range scans the blob each commit adds and keeps only findings on the lines that commit adds
(hunks of `git log -p -U0`), so line numbers are those of the blob in that commit, and a secret
added in one commit and deleted in a later one is still found.

A Git LFS pointer (hfguard.sources.lfs) stands for its object in the local LFS store: that file, checked
against the pointer's sha256 and size, is scanned whole under the pointer's path, since it is what
git-lfs uploads with the push. An object that is not on this machine is a note (a push from here
cannot send it); an object that does not match its pointer is an error.
"""
from __future__ import annotations

import io
import os
import re
import subprocess
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from hfguard.errors import HfguardError
from hfguard.models import Blob, Finding, Report
from hfguard.readers import choose_reader
from hfguard.scanner import ScanOptions, scan_blobs
from hfguard.sources import lfs
from hfguard.sources.walk import filtered

if TYPE_CHECKING:
    from git.cmd import Git

GIT = os.environ.get("HFGUARD_GIT")  # the git binary; unset: gitpython's ($GIT_PYTHON_GIT_EXECUTABLE, else git)
# Settings that would change the plumbing output we parse; user config must not.
_GIT_CONFIG = ("core.quotePath=true", "log.showSignature=false", "diff.noprefix=false")
STREAM_BYTES = 32 * 1024 * 1024  # larger blobs are streamed from their own process, not held in memory
SMALL_CACHE_BYTES = 64 * 1024 * 1024  # small blobs read for the LFS pointer check kept for the scan
_BULK_OBJECTS = 8192  # objects per bulk `cat-file --batch` (each under 1 KB: bounded memory)
_MODE_GITLINK = "160000"  # submodule: its content lives in another repository
_MODE_SYMLINK = "120000"  # blob is a link target, not file content
_LINE_READERS = frozenset({"text", "prose"})  # readers that keep no state across lines
_HUNK = re.compile(rb"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_SHA1_HEX = 40  # gitpython's cat-file reader parses SHA-1 names only; SHA-256 repositories use ours


class GitError(HfguardError):
    """Not a git repository, git missing, an unknown revision: exit code 2."""


@lru_cache(maxsize=1)
def _git_class() -> type[Git]:
    """gitpython's `Git`, imported on first use, with hfguard's git binary when HFGUARD_GIT is set.

    gitpython looks for git when imported and by default raises ImportError if it is missing;
    with GIT_PYTHON_REFRESH=quiet the import succeeds and the first command fails, which
    `_not_found` turns into a GitError that says what to install.
    """
    saved = os.environ.get("GIT_PYTHON_REFRESH")
    os.environ["GIT_PYTHON_REFRESH"] = "quiet"
    try:
        from git.cmd import Git
    except ImportError as exc:
        raise GitError(f"cannot load GitPython ({exc}); pip install 'GitPython>=3.1,<4'") from None
    finally:
        if saved is None:
            del os.environ["GIT_PYTHON_REFRESH"]
        else:
            os.environ["GIT_PYTHON_REFRESH"] = saved
    if not GIT:
        return Git

    class PinnedGit(Git):  # a subclass: the class attribute of gitpython's own Git stays as it was
        GIT_PYTHON_GIT_EXECUTABLE = GIT

    return PinnedGit


def _git(cwd: Path) -> Git:
    """A gitpython command runner in `cwd`, with the settings our parsers rely on."""
    # gitpython falls back to the current folder when cwd is not usable: never run git elsewhere.
    if not os.access(cwd, os.X_OK) or not cwd.is_dir():
        raise GitError(f"cannot run git in {cwd}: not an accessible folder")
    git = _git_class()(cwd)
    git.set_persistent_git_options(c=list(_GIT_CONFIG))
    return git


def _executable() -> str:
    return str(_git_class().GIT_PYTHON_GIT_EXECUTABLE or "git")


def _not_found(exc: BaseException) -> GitError:
    """gitpython's GitCommandNotFound: git itself missing, or the folder it was to run in."""
    cause = exc.__cause__
    if isinstance(cause, OSError) and cause.filename not in (None, _executable()):
        return GitError(f"cannot run git in {cause.filename}: {cause.strerror}")
    return GitError(f"git not found (looked for {_executable()!r}); install git or set HFGUARD_GIT")


def _call(git: Git, command: str, *args: str, literal: bool = False) -> tuple[int, bytes, str]:
    """One git command to completion: (status, stdout, stderr). `literal`: pathspecs are names."""
    from git.exc import GitCommandNotFound

    if literal:
        git(literal_pathspecs=True)  # a git option for the next command only
    try:
        status, out, err = getattr(git, command.replace("-", "_"))(
            *args, with_extended_output=True, with_exceptions=False, stdout_as_string=False,
            strip_newline_in_stdout=False,
        )
    except GitCommandNotFound as exc:
        raise _not_found(exc) from None
    return int(status), bytes(out or b""), str(err or "")


def _start(git: Git, command: str, *args: str, stdin: bool = False) -> Any:
    """A git command left running (gitpython's AutoInterrupt: killed if dropped unfinished)."""
    from git.exc import GitCommandNotFound

    try:
        return getattr(git, command.replace("-", "_"))(
            *args, as_process=True, istream=subprocess.PIPE if stdin else None,
        )
    except GitCommandNotFound as exc:
        raise _not_found(exc) from None


def run_git(args: Sequence[str], cwd: Path, check: bool = True, literal: bool = False) -> subprocess.CompletedProcess[bytes]:
    """One git command through gitpython; `literal`: pathspecs are file names, not globs."""
    status, out, err = _call(_git(cwd), args[0], *args[1:], literal=literal)
    if check and status != 0:
        raise GitError(_git_message(err, args))
    return subprocess.CompletedProcess(list(args), status, out, err.encode("utf-8", "replace"))


def _git_message(stderr: str | bytes, args: Sequence[str]) -> str:
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    detail = lines[0] if lines else "failed"
    return f"git {args[0]}: {detail.removeprefix('fatal: ')}"


@dataclass(frozen=True)
class Repo:
    root: Path  # top of the work tree (the git dir itself for a bare repository)
    prefix: str  # the current folder relative to root: "" or "sub/dir/"
    common_dir: Path  # shared .git folder (hooks, lfs objects) even from a linked worktree
    head: str | None  # None in a repository with no commit yet
    bare: bool


def open_repo(start: Path | None = None) -> Repo:
    """The repository containing `start` (default: the current folder). One `git rev-parse`."""
    cwd = (start or Path.cwd()).resolve()
    status, out, err = _call(
        _git(cwd), "rev-parse", "--is-bare-repository", "--git-common-dir", "--show-prefix", "--verify", "-q", "HEAD")
    lines = out.decode("utf-8", "surrogateescape").splitlines()
    if status not in (0, 1) or len(lines) < 3:
        raise GitError(_git_message(err, ["rev-parse"]) if err.strip() else f"{cwd}: not a git repository")
    bare = lines[0] == "true"
    common_dir = (cwd / lines[1]).resolve()
    prefix = lines[2]
    head = lines[3] if status == 0 and len(lines) > 3 else None
    root = cwd
    for _ in range(prefix.count("/")):
        root = root.parent
    return Repo(common_dir if bare else root, prefix, common_dir, head, bare)


# --- blob contents ----------------------------------------------------------------------------


class _ProcessStream(io.RawIOBase):
    """stdout of `git cat-file blob SHA`: a large blob read in pieces, the process reaped on close."""

    def __init__(self, proc: Any) -> None:
        self._auto = proc  # gitpython's AutoInterrupt: kept so it does not kill git while we read
        self._proc: subprocess.Popen[bytes] = proc.proc
        assert isinstance(self._proc.stdout, io.BufferedReader)
        self._out: io.BufferedReader = self._proc.stdout

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        return self._out.readinto(buffer)

    def close(self) -> None:
        if not self.closed:
            self._out.close()
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
            if self._proc.stderr is not None:
                self._proc.stderr.close()
        super().close()


class _Batch:
    """Our own persistent `git cat-file --batch`, for object names gitpython's reader rejects."""

    def __init__(self, git: Git) -> None:
        self._git = git
        self._proc: subprocess.Popen[bytes] | None = None
        self._auto: Any = None

    def read(self, sha: str) -> tuple[str, bytes, int]:
        if self._proc is None or self._proc.poll() is not None:
            self._auto = _start(self._git, "cat-file", "--batch", stdin=True)
            self._proc = self._auto.proc
        assert self._proc is not None and self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(sha.encode() + b"\n")
        self._proc.stdin.flush()
        header = self._proc.stdout.readline().split()
        if len(header) != 3:
            raise ValueError("missing")
        size = int(header[2])
        data = self._proc.stdout.read(size)
        self._proc.stdout.read(1)  # the LF after each object
        return header[1].decode(), data, size

    def close(self) -> None:
        if self._proc is not None:
            for pipe in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
                if pipe is not None:
                    pipe.close()
            self._proc.wait()
        self._auto = self._proc = None


class BlobStore:
    """Blob contents through gitpython's persistent `git cat-file --batch` process."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self.git = _git(repo.root)
        self._batch = _Batch(self.git)
        self._cache: tuple[str, bytes] | None = None  # the blob last read: scanners open twice
        self._small: dict[str, bytes] = {}  # small blobs read in bulk (LFS pointer check), not yet scanned
        self._kept: tuple[str, Lines, bytes] | None = None  # the last blob cut down to some lines
        self.lfs_shas: set[str] = set()  # blobs that are Git LFS pointers (scanned as their object)
        self._lfs_storage: Path | None = None
        self._verified: set[str] = set()  # LFS oids whose local object matched its pointer

    def _cat_file(self, option: str, shas: Sequence[str]) -> bytes:
        """The output of one `git cat-file <option>` given these shas on its input."""
        proc = _start(self.git, "cat-file", option, stdin=True)
        out: bytes
        out, err = proc.proc.communicate("".join(f"{s}\n" for s in shas).encode())
        if proc.proc.returncode != 0:
            raise GitError(_git_message(err, ["cat-file"]))
        return out

    def sizes(self, shas: Sequence[str]) -> dict[str, int]:
        """Sizes of many objects in one `git cat-file --batch-check`."""
        if not shas:
            return {}
        sizes = {}
        for line in self._cat_file("--batch-check", shas).splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] == b"blob":
                sizes[parts[0].decode()] = int(parts[2])
        return sizes

    def contents(self, shas: Sequence[str]) -> dict[str, bytes]:
        """Contents of many small objects in one `git cat-file --batch` (missing ones left out)."""
        if not shas:
            return {}
        out = self._cat_file("--batch", shas)
        found: dict[str, bytes] = {}
        pos = 0
        while pos < len(out):
            end = out.find(b"\n", pos)
            if end < 0:
                break
            header = out[pos:end].split()
            pos = end + 1
            if len(header) == 3:  # "<sha> <type> <size>", then the content and a LF
                size = int(header[2])
                if header[1] == b"blob":
                    found[header[0].decode()] = out[pos : pos + size]
                pos += size + 1
        return found

    def lfs_pointers(self, items: Sequence[_Item], sizes: Mapping[str, int]) -> dict[str, lfs.Pointer]:
        """The items' blobs that are Git LFS pointers, by blob sha (only blobs of pointer size are
        read). Binary names too: the hygiene checks read pickles (model.bin, *.pkl)."""
        candidates = sorted({
            item.sha for item in items if lfs.MIN_POINTER_BYTES <= sizes.get(item.sha, -1) < lfs.MAX_POINTER_BYTES
        })
        pointers = {}
        kept = 0
        for start in range(0, len(candidates), _BULK_OBJECTS):
            for sha, data in self.contents(candidates[start : start + _BULK_OBJECTS]).items():
                pointer = lfs.parse_pointer(data)
                if pointer is not None:
                    pointers[sha] = pointer
                elif kept + len(data) <= SMALL_CACHE_BYTES:  # the scan reads it from here, not again
                    self._small[sha] = data
                    kept += len(data)
        self.lfs_shas.update(pointers)
        return pointers

    def lfs_storage(self) -> Path:
        """The local LFS folder: `lfs.storage` (relative to the git dir), else `<git dir>/lfs`."""
        if self._lfs_storage is None:
            status, out, _ = _call(self.git, "config", "--path", "--get", "lfs.storage")
            configured = out.decode("utf-8", "surrogateescape").strip() if status == 0 else None
            self._lfs_storage = lfs.storage_dir(self.repo.common_dir, configured)
        return self._lfs_storage

    def lfs_blob(self, item: _Item, pointer: lfs.Pointer) -> Blob | None:
        """The pointer's object as the file it stands for; None when it is not in the local store."""
        path = lfs.object_path(self.lfs_storage(), pointer.oid)
        if not path.is_file():
            return None
        return Blob(item.path, self._lfs_opener(path, pointer), pointer.size, item.prefix, item.commit)

    def _lfs_opener(self, path: Path, pointer: lfs.Pointer) -> Callable[[], IO[bytes]]:
        def opener() -> IO[bytes]:
            if pointer.extensions:
                raise lfs.ObjectMismatch(
                    f"{pointer.describe()} went through git-lfs extensions ({', '.join(pointer.extensions)}): "
                    "its content cannot be rebuilt here to be scanned")
            if pointer.oid not in self._verified:  # the scanner opens a file more than once
                lfs.verify(path, pointer)
                self._verified.add(pointer.oid)
            return open(path, "rb")

        return opener

    def read(self, sha: str) -> bytes:
        if self._cache is not None and self._cache[0] == sha:
            return self._cache[1]
        small = self._small.pop(sha, None)
        if small is not None:
            self._cache = (sha, small)
            return small
        from git.exc import GitCommandNotFound

        try:
            if len(sha) == _SHA1_HEX:
                _, kind, size, data = self.git.get_object_data(sha)
            else:
                kind, data, size = self._batch.read(sha)
        except GitCommandNotFound as exc:
            raise _not_found(exc) from None
        except ValueError:  # no such object, or a header gitpython could not parse
            self.close()  # never read on from a process whose output may be out of step
            raise OSError(f"object {sha[:12]} missing from the repository") from None
        except OSError:  # a broken pipe: git died
            self.close()  # the next read starts a fresh cat-file
            raise OSError(f"git cat-file stopped while reading object {sha[:12]}") from None
        if kind not in ("blob", b"blob"):  # gitpython gives the type as bytes, typed as str
            raise OSError(f"object {sha[:12]} missing from the repository")
        if len(data) != size:
            self.close()
            raise OSError(f"object {sha[:12]} truncated")
        self._cache = (sha, data)
        return data

    def open(self, sha: str, size: int | None, keep: Lines | None = None) -> IO[bytes]:
        """A stream of the blob; with `keep`, every other line is emptied (line numbers hold)."""
        if size is not None and size > STREAM_BYTES:
            # Its own process: closed early (a binary head, a size limit), it is killed, not drained.
            return io.BufferedReader(_ProcessStream(_start(self.git, "cat-file", "blob", sha)), 1024 * 1024)
        data = self.read(sha)
        if keep is not None:
            if self._kept is None or self._kept[0] != sha or self._kept[1] is not keep:
                self._kept = (sha, keep, keep_lines(data, keep))
            data = self._kept[2]
        return io.BytesIO(data)

    def blob(self, item: _Item, size: int | None) -> Blob:
        def opener() -> IO[bytes]:
            return self.open(item.sha, size, item.keep)

        return Blob(item.path, opener, size, item.prefix, item.commit)

    def close(self) -> None:
        self.git.clear_cache()  # ends gitpython's persistent cat-file processes
        self._batch.close()
        self._cache = self._kept = None
        self._small = {}


Lines = list[tuple[int, int]]  # (first line, count), 1-based, sorted


def keep_lines(data: bytes, keep: Lines) -> bytes:
    """`data` with every line outside `keep` (and the line before each kept run, which may hold
    an allow-next-line pragma) emptied: detectors see only those lines, at their own line numbers."""
    lines = data.split(b"\n")
    out = [b""] * len(lines)
    for first, count in keep:
        start = max(first - 2, 0)
        out[start : first - 1 + count] = lines[start : first - 1 + count]
    return b"\n".join(out)


@dataclass(frozen=True)
class _Item:
    path: str
    sha: str
    prefix: str | None = None
    commit: str | None = None
    keep: Lines | None = None  # scan only these lines (line-based text), else the whole blob


def _wanted(path: str, options: ScanOptions) -> bool:
    """Config exclude/include, as for a folder walk."""
    return not filtered(path, options.config.exclude, options.config.include)


def _scan(store: BlobStore, items: list[_Item], options: ScanOptions) -> Report:
    """Scan the items' blobs, with their sizes fetched in one call; LFS pointers as their objects."""
    try:
        sizes = store.sizes(sorted({item.sha for item in items}))
        pointers = store.lfs_pointers(items, sizes)
        blobs: list[Blob] = []
        notes: list[str] = []
        for item in items:
            pointer = pointers.get(item.sha)
            if pointer is None:
                blobs.append(store.blob(item, sizes.get(item.sha)))
                continue
            blob = store.lfs_blob(item, pointer)
            if blob is None:
                shown = f"{item.path} ({item.prefix})" if item.prefix else item.path
                notes.append(lfs.missing_note(shown, pointer, store.lfs_storage()))
            else:
                blobs.append(blob)
        report = scan_blobs(blobs, options)
    finally:
        store.close()
    report.stats.notes.extend(notes)
    return report


# --- staged -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexEntry:
    path: str  # relative to the repository root, with /
    sha: str
    mode: str


def _scannable(mode: str) -> bool:
    return mode not in (_MODE_GITLINK, _MODE_SYMLINK) and not mode.startswith("04")


def staged_entries(repo: Repo, files: Sequence[str] | None = None) -> list[IndexEntry]:
    """What the next commit adds or changes (index vs HEAD), or the index content of `files`."""
    if repo.bare:
        raise GitError("--staged needs a work tree (this is a bare repository)")
    if files:
        inside = [p for p in (_repo_path(repo, f) for f in files) if p != ".." and not p.startswith("../")]
        return _index_entries(repo, inside) if inside else []
    if repo.head is None:  # no commit yet: everything in the index is new
        return _index_entries(repo, None)
    out = run_git(["diff-index", "--cached", "-z", "--no-renames", "--diff-filter=AMT", "HEAD", "--"], repo.root).stdout
    fields = out.split(b"\0")
    entries = []
    for meta, raw_path in zip(fields[0::2], fields[1::2]):
        # ":old_mode new_mode old_sha new_sha status"
        parts = meta.decode().lstrip(":").split()
        if len(parts) == 5 and _scannable(parts[1]):
            entries.append(IndexEntry(raw_path.decode("utf-8", "surrogateescape"), parts[3], parts[1]))
    return entries


def _repo_path(repo: Repo, name: str) -> str:
    if os.path.isabs(name):
        rel = os.path.relpath(os.path.realpath(name), repo.root)
    else:
        rel = os.path.normpath(repo.prefix + name)
    return rel.replace(os.sep, "/")


def _index_entries(repo: Repo, paths: list[str] | None) -> list[IndexEntry]:
    entries: list[IndexEntry] = []
    batches: list[list[str]] = [[]] if paths is None else [paths[i : i + 2000] for i in range(0, len(paths), 2000)]
    for batch in batches:
        out = run_git(["ls-files", "-s", "-z", "--", *batch], repo.root, literal=True).stdout
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, _, raw_path = record.partition(b"\t")
            mode, sha, stage = meta.decode().split()
            if stage == "0" and _scannable(mode):  # stages 1-3: unresolved conflict, cannot be committed
                entries.append(IndexEntry(raw_path.decode("utf-8", "surrogateescape"), sha, mode))
    return entries


def scan_staged(repo: Repo, options: ScanOptions, files: Sequence[str] | None = None) -> Report:
    entries = [e for e in staged_entries(repo, files) if _wanted(e.path, options)]
    return _scan(BlobStore(repo), [_Item(e.path, e.sha) for e in entries], options)


# --- commit range -----------------------------------------------------------------------------


@dataclass
class Change:
    """One file a commit adds or modifies: the new blob and the new-side lines that are added."""

    commit: str
    short: str
    date: str
    path: str
    sha: str
    added: list[tuple[int, int]] | None = field(default_factory=list)  # (first, count); None: binary, keep all

    @property
    def prefix(self) -> str:
        return f"commit {self.short} ({self.date})"


def range_revisions(spec: str) -> list[str]:
    """`A..B` / `A...B` as given; a lone `B` means what B reaches that no remote-tracking branch has."""
    spec = spec.strip()
    if not spec or spec.startswith("-"):
        raise GitError(f"--range: not a revision range: {spec!r}")
    if ".." in spec:
        return [spec]
    return [spec, "--not", "--remotes"]


def pre_push_range(env: Mapping[str, str]) -> str:
    """The range the pre-commit framework's pre-push stage publishes.

    pre-commit sets PRE_COMMIT_FROM_REF/PRE_COMMIT_TO_REF, except when the push includes a root
    commit (then only PRE_COMMIT_LOCAL_BRANCH): scan what that branch has that no remote has.
    Run by hand with none of them: HEAD's commits that no remote has.
    """
    from_ref, to_ref = env.get("PRE_COMMIT_FROM_REF"), env.get("PRE_COMMIT_TO_REF")
    if from_ref and to_ref:
        return f"{from_ref}..{to_ref}"
    return env.get("PRE_COMMIT_LOCAL_BRANCH") or "HEAD"


def _unquote(raw: bytes) -> str:
    """A path as git prints it: plain, or C-quoted ("a\\tb", octal escapes for bytes >= 0x80)."""
    if not raw.startswith(b'"'):
        return raw.decode("utf-8", "surrogateescape")
    out = bytearray()
    i, end = 1, len(raw) - 1 if raw.endswith(b'"') else len(raw)
    simple = {ord("n"): 10, ord("t"): 9, ord("r"): 13, ord("a"): 7, ord("b"): 8, ord("f"): 12, ord("v"): 11}
    while i < end:
        c = raw[i]
        if c == 0x5C and i + 1 < end:  # backslash
            n = raw[i + 1]
            if 0x30 <= n <= 0x37:
                out.append(int(raw[i + 1 : i + 4], 8))
                i += 4
                continue
            out.append(simple.get(n, n))
            i += 2
            continue
        out.append(c)
        i += 1
    return bytes(out).decode("utf-8", "surrogateescape")


def _header_path(rest: bytes) -> str:
    """New-side path from `diff --git a/X b/X` (only trusted when no +++/rename line says it)."""
    if rest.endswith(b'"'):
        start = rest.rfind(b' "b/')
        return _unquote(b'"' + rest[start + 4 :]) if start >= 0 else _unquote(rest)
    half = (len(rest) - 5) // 2  # "a/X b/X": both sides equal unless renamed
    return rest[len(rest) - half :].decode("utf-8", "surrogateescape")


class _LogParser:
    """Turns `git log -p -U0 --full-index` output into Changes, one line at a time."""

    def __init__(self) -> None:
        self.changes: list[Change] = []
        self.commit = ("", "", "")
        self.current: Change | None = None
        self.skip = 0  # hunk body lines still to pass over
        self.mode_ok = True
        self.deleted = False
        self.path: str | None = None
        self.header_path = ""

    def feed(self, line: bytes) -> None:
        if self.skip:
            if not line.startswith(b"\\"):  # "\ No newline at end of file" is not counted
                self.skip -= 1
            return
        if line.startswith(b"\0"):
            self._end_file()
            parts = line[1:].decode("utf-8", "replace").split()
            self.commit = (parts[0], parts[1], parts[2] if len(parts) > 2 else "")
        elif line.startswith(b"diff --git "):
            self._end_file()
            self.header_path = _header_path(line[11:])
            self.current = Change(*self.commit, path="", sha="")
            self.mode_ok, self.deleted, self.path = True, False, None
        elif self.current is None:
            return
        elif line.startswith(b"@@ "):
            m = _HUNK.match(line)
            if m:
                old = int(m.group(1)) if m.group(1) is not None else 1
                first, new = int(m.group(2)), int(m.group(3)) if m.group(3) is not None else 1
                if new and self.current.added is not None:
                    self.current.added.append((first, new))
                self.skip = old + new
        elif line.startswith(b"index "):
            ids, _, mode = line[6:].partition(b" ")
            self.current.sha = ids.partition(b"..")[2].decode()
            if mode and not _scannable(mode.decode()):
                self.mode_ok = False
        elif line.startswith((b"new file mode ", b"new mode ")):
            if not _scannable(line.rsplit(b" ", 1)[1].decode()):
                self.mode_ok = False
        elif line.startswith(b"deleted file mode "):
            self.deleted = True
        elif line.startswith(b"+++ "):
            target = line[4:]
            if target.endswith(b"\t"):  # git ends names that hold a space with a TAB here
                target = target[:-1]
            if target != b"/dev/null":
                unquoted = _unquote(target)
                self.path = unquoted.removeprefix("b/")
        elif line.startswith((b"rename to ", b"copy to ")):
            self.path = _unquote(line.split(b" to ", 1)[1])
        elif line.startswith(b"Binary files ") or line == b"GIT binary patch":
            self.current.added = None

    def _end_file(self) -> None:
        change, self.current = self.current, None
        if change is None or self.deleted or not self.mode_ok or not change.sha.strip("0"):
            return
        if change.added is not None and not change.added:
            return  # renamed, mode change or only deletions: nothing added
        change.path = self.path or self.header_path
        self.changes.append(change)

    def finish(self) -> list[Change]:
        self._end_file()
        return self.changes


_LOG_ARGS = (
    "log", "-p", "-U0", "--full-index", "-M", "--no-color", "--no-ext-diff", "--no-textconv",
    "--src-prefix=a/", "--dst-prefix=b/", "--no-relative", "--format=%x00%H %h %ad", "--date=short",
)


def range_changes(repo: Repo, spec: str) -> list[Change]:
    """Every file each commit in the range adds or modifies, with the lines it adds.

    Merge commits contribute what the merge itself adds beyond a clean merge of its parents
    (`--diff-merges=remerge`, git >= 2.36); with older git they contribute nothing, and their
    parents' own commits are scanned as usual.
    """
    revisions = range_revisions(spec)
    for merges in (["--diff-merges=remerge"], []):
        changes, error = _run_log(repo, [*_LOG_ARGS, *merges, *revisions, "--"])
        if error is None:
            return changes
        if merges and (b"remerge" in error or b"diff-merges" in error):
            continue
        raise GitError(_git_message(error, ["log"]))
    raise GitError("git log: failed")  # pragma: no cover - the loop returns or raises


def _run_log(repo: Repo, args: list[str]) -> tuple[list[Change], bytes | None]:
    """`git log` streamed through gitpython into the parser: one process for the whole range."""
    auto = _start(_git(repo.root), args[0], *args[1:])
    proc: subprocess.Popen[bytes] = auto.proc
    assert proc.stdout is not None and proc.stderr is not None
    parser = _LogParser()
    feed = parser.feed
    for line in proc.stdout:
        feed(line[:-1] if line.endswith(b"\n") else line)
    stderr = proc.stderr.read()
    if proc.wait() != 0:
        return [], stderr or b"failed"
    return parser.finish(), None


def _in_ranges(line: int, starts: list[int], ranges: list[tuple[int, int]]) -> bool:
    i = bisect_right(starts, line) - 1
    return i >= 0 and line < ranges[i][0] + ranges[i][1]


def _line_based(path: str) -> bool:
    """Formats whose detectors see lines one by one, so the unchanged ones can be left out."""
    return choose_reader(path, None) in _LINE_READERS


def scan_range(repo: Repo, spec: str, options: ScanOptions) -> Report:
    """Findings on the lines each commit adds (blobs git calls binary, and formats without lines
    such as Parquet, count whole). Plain text is scanned with only its added lines."""
    changes = [c for c in range_changes(repo, spec) if _wanted(c.path, options)]
    items = [
        _Item(c.path, c.sha, c.prefix, c.commit, c.added if c.added is not None and _line_based(c.path) else None)
        for c in changes
    ]
    store = BlobStore(repo)
    report = _scan(store, items, options)
    added: dict[tuple[str, str], Lines | None] = {
        (c.prefix, c.path): None if c.sha in store.lfs_shas else c.added for c in changes
    }
    starts = {key: [r[0] for r in value] for key, value in added.items() if value is not None}

    def keep(f: Finding) -> bool:
        key = ((f.location or "").split(", ", 1)[0], f.path)
        ranges = added.get(key)
        if ranges is None or f.line is None:  # binary diff, LFS object, no line numbers: all new
            return True
        return _in_ranges(f.line, starts[key], ranges)

    report.findings = [f for f in report.findings if keep(f)]
    report.suppressed = [f for f in report.suppressed if keep(f)]
    return report
