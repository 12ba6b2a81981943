"""`hf://` sources: the files of a Hub repository (model, dataset or space), read where they are.

`hf://datasets/ORG/NAME[@REVISION]/path` (`hf://ORG/NAME/...` for a model, `hf://spaces/...`)
goes through huggingface_hub's `HfFileSystem`, so `HF_ENDPOINT` and `HF_TOKEN` (or a saved
token) apply as for any huggingface_hub call. Files are opened as fsspec files that fetch what
is read with HTTP range requests: Parquet is read footer first, then row group by row group, by
the same readers as a local file; nothing is downloaded whole unless a reader needs it whole
(text, JSONL, which are read from start to end anyway).

The revision is resolved once to its commit, and every file is read at that commit (a branch
that moves during the scan does not mix two states). Findings keep the path as given, with the
revision named in it (`hf://datasets/org/name@main/train.parquet`), and the commit in their
location (`revision 1a2b3c4d5e6f`).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import quote

from hfguard.errors import HfguardError
from hfguard.models import Blob, FileError, Report
from hfguard.report.progress import Progress
from hfguard.sources.walk import filtered

HF_PREFIX = "hf://"
# Bytes fetched per range request: Parquet column chunks are read as pyarrow asks for them,
# in requests of about this size (a small file is one request).
BLOCK_SIZE = 1024 * 1024
RANDOM_ACCESS_EXTENSIONS = frozenset({"parquet", "arrow", "feather", "ipc"})
_TYPE_PREFIXES = {"model": "", "dataset": "datasets/", "space": "spaces/"}


def is_hf_path(path: str) -> bool:
    return path.startswith(HF_PREFIX)


@dataclass(frozen=True)
class HfFile:
    """One file of a Hub repository: `shown` in the report, `remote` for HfFileSystem (pinned
    to the commit), its size and the commit for the location."""

    shown: str
    remote: str
    size: int
    commit: str | None = None

    @property
    def location_prefix(self) -> str | None:
        return f"revision {self.commit[:12]}" if self.commit else None


@dataclass
class HfListing:
    files: list[HfFile] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    excluded: int = 0
    notes: list[str] = field(default_factory=list)  # paths that hold no file at all


def filesystem(endpoint: str | None = None, token: str | None = None) -> Any:
    """A HfFileSystem; endpoint and token default to huggingface_hub's (HF_ENDPOINT, HF_TOKEN or
    the saved token)."""
    try:
        from huggingface_hub import HfFileSystem
    except ImportError:  # pragma: no cover - huggingface_hub is a dependency
        raise HfguardError("huggingface_hub is not installed: cannot read hf:// paths") from None
    return HfFileSystem(endpoint=endpoint, token=token, skip_instance_cache=True)


def list_hf(paths: list[str], exclude: tuple[str, ...] = (), include: tuple[str, ...] = (),
            fs: Any = None) -> HfListing:
    """The files named by hf:// paths (a file, a folder, a glob such as `data/*.parquet`, or a
    whole repository), config
    exclude/include applied to their path in the repository. A path that cannot be listed is an
    error in the listing (fail closed), not an exception."""
    fs = fs if fs is not None else filesystem()
    listing = HfListing()
    for path in paths:
        try:
            _list_one(fs, path, exclude, include, listing)
        except Exception as exc:  # noqa: BLE001 - any failure to list (HTTP, connection, DNS: httpx's
            # errors are not OSError) is an error for that path: fail closed, the other paths scanned
            listing.errors.append(FileError(path, f"cannot list: {_reason(exc)}"))
    return listing


def _list_one(fs: Any, path: str, exclude: tuple[str, ...], include: tuple[str, ...], listing: HfListing) -> None:
    resolved = fs.resolve_path(path)
    repo_type = getattr(resolved, "repo_type", None)
    if repo_type not in _TYPE_PREFIXES:
        raise ValueError("not a model, dataset or space repository")
    revision = resolved.revision
    commit = _commit_of(fs, resolved)
    type_prefix = _TYPE_PREFIXES[repo_type]
    shown_root = f"{HF_PREFIX}{type_prefix}{resolved.repo_id}@{revision}"
    pinned_root = f"{type_prefix}{resolved.repo_id}@{quote(commit or revision, safe='')}"
    inner = resolved.path_in_repo.strip("/")
    target = f"{pinned_root}/{inner}" if inner else pinned_root
    if any(c in inner for c in "*?["):  # a glob in the repo (`data/*.parquet`), as HfFileSystem reads it
        entries = fs.glob(target, detail=True)
        if not entries:
            raise FileNotFoundError(f"no file matches {inner}")
    else:
        info = fs.info(target)
        entries = {target: info} if info.get("type") == "file" else fs.find(target, detail=True)
    before = len(listing.files) + listing.excluded
    for name, entry in sorted(entries.items()):
        if entry.get("type") != "file":
            continue
        rel = name[len(pinned_root) + 1:] if name.startswith(pinned_root + "/") else name.split("/", 3)[-1]
        if (exclude or include) and filtered(rel, exclude, include):
            listing.excluded += 1
            continue
        listing.files.append(HfFile(f"{shown_root}/{rel}", f"{pinned_root}/{rel}", int(entry.get("size") or 0),
                                    commit if commit and commit != revision else None))
    if len(listing.files) + listing.excluded == before:
        listing.notes.append(f"{path}: the repository holds no file there (nothing to scan)")


def _commit_of(fs: Any, resolved: Any) -> str | None:
    """The commit a revision names (None if the server does not say)."""
    info = fs._api.repo_info(resolved.repo_id, repo_type=resolved.repo_type, revision=resolved.revision)
    sha = getattr(info, "sha", None)
    return str(sha) if sha else None


_HTTP_LIBRARIES = frozenset({"httpx", "httpx2", "httpcore", "requests", "urllib3", "h11", "h2"})


def _transport_error(exc: BaseException) -> bool:
    """An error of the HTTP stack under huggingface_hub (connection refused, DNS, timeouts, a
    dropped connection): huggingface_hub raises them unwrapped, and they are not OSError."""
    return any(c.__module__.split(".")[0] in _HTTP_LIBRARIES for c in type(exc).__mro__)


def _reason(exc: BaseException) -> str:
    # Messages of huggingface_hub errors name URLs and request ids, never file content or tokens.
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


def hf_blob(file: HfFile, fs: Any) -> Blob:
    """A Blob whose streams are range-reading HfFileSystem files."""

    # Parquet/Arrow readers seek to the footer and ask for whole column chunks: each read is one
    # range request of just those bytes. Other readers read from the start in small pieces: a
    # read-ahead cache turns those into BLOCK_SIZE requests.
    random_access = file.remote.rsplit(".", 1)[-1].lower() in RANDOM_ACCESS_EXTENSIONS
    cache_type = "none" if random_access else "readahead"

    def opener() -> IO[bytes]:
        stream: IO[bytes] = fs.open(file.remote, "rb", block_size=BLOCK_SIZE, cache_type=cache_type, size=file.size)
        return stream

    return Blob(file.shown, opener, file.size, location_prefix=file.location_prefix, commit=file.commit)


def scan_hf(paths: list[str], options: Any, progress: Progress | None = None) -> Report:
    """Scan hf:// paths in this process with the readers and detectors of a local scan
    (`scanner.FileScanner`, per file as `scan_blobs`); with `progress`, a bar on stderr. Files that cannot be listed or read
    are errors."""
    import time

    from hfguard.scanner import FileResult, FileScanner, _finish, _merge, _safe_scan

    started = time.perf_counter()
    config = options.config
    fs = filesystem()
    try:
        listing = list_hf(paths, config.exclude, config.include, fs)
        if progress is not None:
            progress.start(len(listing.files), sum(f.size for f in listing.files))
        scanner = FileScanner(options)
        report = Report()
        for blob in _watched(listing.files, fs, progress):
            try:
                result = _safe_scan(scanner, blob)
            except Exception as exc:
                if not _transport_error(exc):
                    raise
                # The connection failed mid-read: an error for this file, the others still read.
                result = FileResult(errors=[FileError(blob.path, f"could not be read from the Hub: {_reason(exc)}")])
            _merge(report, result)
        _finish(report, started)
        report.stats.notes.extend(listing.notes)
        report.errors.extend(listing.errors)
        report.errors.sort(key=lambda e: e.path)
        return report
    finally:
        if progress is not None:
            progress.close()


def _watched(files: list[HfFile], fs: Any, progress: Progress | None) -> Iterator[Blob]:
    """The blobs, telling the progress bar when each starts and (at the next) is done."""
    for file in files:
        if progress is not None:
            progress.file_started(file.shown)
        yield hf_blob(file, fs)
        if progress is not None:
            progress.file_done(file.shown, file.size)


def scan_mixed(paths: list[str], options: Any, progress: Progress | None = None) -> Report:
    """hf:// paths and local paths in one report (merged and sorted as one scan's)."""
    from hfguard.scanner import _finish, scan_disk

    remote = [p for p in paths if is_hf_path(p)]
    local = [p for p in paths if not is_hf_path(p)]
    if not local:
        return scan_hf(remote, options, progress)
    report = scan_hf(remote, options, None)
    other = scan_disk(local, options, progress)
    report.findings.extend(other.findings)
    report.suppressed.extend(other.suppressed)
    report.errors.extend(other.errors)
    report.stats.files += other.stats.files
    report.stats.bytes += other.stats.bytes
    report.stats.skipped_binary += other.stats.skipped_binary
    report.stats.notes.extend(other.stats.notes)
    seconds = report.stats.seconds + other.stats.seconds
    _finish(report, 0.0)
    report.stats.seconds = seconds
    return report
