"""The gate every guarded upload goes through: scan what would be sent, raise `UploadBlocked`.

Clean verdicts are cached by content identity (path in repo + file stat, or a hash of the
bytes) for the options they were reached with, so the nested choke points of one upload
(upload_file -> create_commit -> preupload -> commit) scan each file once.

LFS files can leave before their commit: `preupload_lfs_files` (called by `datasets` for every
Parquet shard) uploads them and may then empty the operation, and the temporary file is gone by
the time of the commit. So what is about to be uploaded is also remembered as clean by its sha256
(`remember_uploading`), the commit judges an uploaded operation by the sha256 huggingface_hub
recorded for it, and uploads not yet committed are counted so that a block never claims that
nothing was sent.

Each scan is logged on the `hfguard` logger (what, how much, the verdict); a scan that is not
over within a moment shows the CLI's tqdm progress bar on a terminal, like huggingface_hub's own
bars, and honours HF_HUB_DISABLE_PROGRESS_BARS / `huggingface_hub.utils.disable_progress_bars()`.
"""
from __future__ import annotations

import hashlib
import io
import itertools
import logging
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from hfguard.errors import EXIT_BLOCKING, EXIT_USAGE, HfguardError
from hfguard.masking import printable
from hfguard.models import Blob, FileError, Finding, Report
from hfguard.policy.baseline import find_baseline_file, load_baseline
from hfguard.policy.config import Config
from hfguard.policy.discover import load_config
from hfguard.report.hints import allow_entry, has_no_line
from hfguard.report.progress import Progress
from hfguard.report.text import where
from hfguard.scanner import ScanOptions, scan_blobs
from hfguard.sources.upload import Outgoing, content_key, sha256_key

logger = logging.getLogger("hfguard")

_MAX_LISTED = 20
_CACHE_SIZE = 8192
_ALIAS_MAX_BYTES = 1024 * 1024
_HASH_READ = 1024 * 1024
_serials = itertools.count(1)


class GuardUnavailable(HfguardError):
    """The guard cannot vouch for this upload (unsupported huggingface_hub, or the scan itself
    failed): the upload is refused rather than sent unchecked."""


class UploadBlocked(HfguardError):
    """Raised before any request when an upload would publish secrets, personal or health data,
    or files that could not be scanned. Carries masked findings only; never the values."""

    def __init__(self, findings: Sequence[Finding], errors: Sequence[FileError], target: str | None = None,
                 already_uploaded: int = 0) -> None:
        self.findings: tuple[Finding, ...] = tuple(findings)
        self.errors: tuple[FileError, ...] = tuple(errors)
        self.target = target
        # LFS files of this upload that had left before the block (uploaded, not committed).
        self.already_uploaded = already_uploaded
        self.exit_code = EXIT_BLOCKING if self.findings else EXIT_USAGE
        super().__init__(self.summary())

    @property
    def report(self) -> Report:
        return Report(findings=list(self.findings), errors=list(self.errors))

    def summary(self, cli: bool = False) -> str:
        """What blocked and the ways out; `cli`: name `hfguard upload`'s flags, not Python's arguments."""
        what = []
        if self.findings:
            what.append(f"{len(self.findings)} blocking finding(s)")
        if self.errors:
            what.append(f"{len(self.errors)} file(s) could not be scanned")
        target = f" to {printable(self.target)}" if self.target else ""
        if self.already_uploaded:
            sent = (f"{self.already_uploaded} LFS file(s) were already uploaded before this point; "
                    "the commit was not created.")
        else:
            sent = "nothing was sent."
        lines = [f"hfguard blocked the upload{target}: {' and '.join(what)}; {sent}"]
        for f in self.findings[:_MAX_LISTED]:
            lines.append(f"  {where(f)}: {f.rule} ({f.category.value}, {f.severity.value}) {printable(f.preview)}")
        for e in self.errors[: max(0, _MAX_LISTED - len(self.findings))]:
            # Most messages say "not scanned" themselves ("... larger than max_file_size: not scanned").
            said = "not scanned" in e.message or "not fully scanned" in e.message
            lines.append(printable(f"  {e.path}: {e.message}" if said else f"  {e.path}: not scanned: {e.message}"))
        hidden = len(self.findings) + len(self.errors) - _MAX_LISTED
        if hidden > 0:
            lines.append(f"  … and {hidden} more")
        if self.findings:
            lines.append(_resolve_findings(self.findings))
        if self.errors:
            if cli:
                lines.append("Files that cannot be scanned block too: --allow-unscanned sends them unscanned; to "
                             "send a file unscanned on purpose, add it to `exclude` in the config; to keep it out "
                             "of the upload, use --exclude PATTERN of `hfguard upload`.")
            else:
                lines.append("Files that cannot be scanned block too: allow_unscanned=True sends them unscanned; to "
                             "send a file unscanned on purpose, add it to `exclude` in the config; to keep it out "
                             "of the upload, use ignore_patterns= of the upload (upload_folder).")
        return "\n".join(lines)

    def __reduce__(self) -> tuple[type[UploadBlocked], tuple[tuple[Finding, ...], tuple[FileError, ...], str | None, int]]:
        return (type(self), (self.findings, self.errors, self.target, self.already_uploaded))


def _resolve_findings(findings: Sequence[Finding]) -> str:
    """The ways out, for the kinds of findings there are: a line can carry `hfguard: allow`, a value
    in a data file (a row or field: Parquet/CSV cells, an in-memory dataset's shards) cannot."""
    cells = [f for f in findings if has_no_line(f)]
    ways = ["Remove the values (a published secret must be rotated)"]
    if len(cells) < len(findings):
        ways.append("mark a false positive on its line with `hfguard: allow <rule>`")
    if cells:
        ways.append(f"allow a data value or binary file by path in the config: {allow_entry(cells[0], relative=False)} "
                    "(in .hfguard.toml, or [[tool.hfguard.allow]] in pyproject.toml, where the upload runs)")
    ways.append("accept it in a baseline (`hfguard baseline`)")
    return ", ".join(ways[:-1]) + ", or " + ways[-1] + "."


@dataclass(frozen=True)
class GateOptions:
    """How uploads are judged. `serial` identifies these options in the verdict cache."""

    scan: ScanOptions
    allow_unscanned: bool = False
    serial: int = field(default_factory=lambda: next(_serials), compare=False)

    @property
    def config(self) -> Config:
        return self.scan.config


def make_options(
    config: Config | str | Path | None = None,
    baseline: str | Path | None = None,
    *,
    start: Path | None = None,
    allow_unscanned: bool = False,
    pii: bool = True,
) -> GateOptions:
    """Config: a Config, a file, or None to discover one from `start` (default: the current
    folder). Baseline: the file given, else the config's, else `.hfguard-baseline.json` in
    `start` or at the root of its git repository (as `hfguard scan` finds it)."""
    start = start or Path.cwd()
    if not isinstance(config, Config):
        config = load_config(Path(config) if config is not None else None, start)
    baseline_path = baseline or config.baseline or find_baseline_file(start)
    loaded = load_baseline(Path(baseline_path)) if baseline_path else None
    return GateOptions(ScanOptions(config=config, pii=pii, baseline=loaded), allow_unscanned)


class _VerdictCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clean: OrderedDict[tuple[object, ...], None] = OrderedDict()

    def is_clean(self, serial: int, item: Outgoing) -> bool:
        if item.key is None:
            return False
        with self._lock:
            key = (serial, *item.key)
            if key in self._clean:
                self._clean.move_to_end(key)
                return True
        return False

    def mark_clean(self, serial: int, item: Outgoing) -> None:
        if item.key is None:
            return
        with self._lock:
            self._clean[(serial, *item.key)] = None
            while len(self._clean) > _CACHE_SIZE:
                self._clean.popitem(last=False)


_CACHE = _VerdictCache()
_WARNED = _VerdictCache()  # excluded files already named in a warning, per options


class _Pending:
    """LFS files uploaded under a guard and not committed yet, per (options, repo)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[tuple[int, str | None], dict[tuple[str, str], None]] = {}

    def add(self, serial: int, target: str | None, files: Sequence[tuple[str, str]]) -> None:
        with self._lock:
            self._files.setdefault((serial, target), {}).update(dict.fromkeys(files))

    def discard(self, serial: int, target: str | None, files: Sequence[tuple[str, str]]) -> None:
        with self._lock:
            pending = self._files.get((serial, target), {})
            for key in files:
                pending.pop(key, None)
            if not pending:
                self._files.pop((serial, target), None)

    def count(self, serial: int, target: str | None, also: Sequence[tuple[str, str]] = ()) -> int:
        with self._lock:
            return len(set(self._files.get((serial, target), {})) | set(also))


_PENDING = _Pending()


def remember_uploading(items: Sequence[Outgoing], options: GateOptions) -> list[tuple[str, str]]:
    """Before LFS files leave: hash each (cleared) item and remember it as clean by sha256, so
    the commit can be judged after huggingface_hub has dropped the content. Returns (path, sha256)."""
    remembered = []
    for item in items:
        if item.uploaded or item.key is None or not _CACHE.is_clean(options.serial, item):
            continue  # not cleared (excluded or sent unscanned): nothing to vouch for
        digest = hashlib.sha256()
        try:
            with item.blob.open() as stream:
                while piece := stream.read(_HASH_READ):
                    digest.update(piece)
        except OSError:
            continue
        sha = digest.hexdigest()
        _CACHE.mark_clean(options.serial, Outgoing(item.blob, sha256_key(item.blob.path, sha)))
        remembered.append((item.blob.path, sha))
    return remembered


def uploaded(options: GateOptions, target: str | None, files: Sequence[tuple[str, str]]) -> None:
    """These LFS files have left (not committed yet)."""
    if files:
        _PENDING.add(options.serial, target, files)
        logger.info("hfguard: %d LFS file(s) uploaded to %s, awaiting their commit", len(files), printable(target or "?"))


def committed(options: GateOptions, target: str | None, files: Sequence[tuple[str, str]]) -> None:
    _PENDING.discard(options.serial, target, files)


def _uploaded_key(item: Outgoing) -> tuple[str, str] | None:
    if item.uploaded and item.key is not None and item.key[0] == "sha256":
        return (str(item.key[1]), str(item.key[2]))
    return None


def check(items: Sequence[Outgoing], options: GateOptions, target: str | None = None,
          log_excluded: bool = True) -> list[str]:
    """Scan `items`; raise UploadBlocked if any would publish something that blocks. Returns the
    paths sent unscanned because the config excludes them, also logged as a WARNING once per
    upload (unless `log_excluded` is False: the caller says it)."""
    from hfguard.sources.walk import filtered

    config = options.config
    todo = []
    excluded: list[str] = []
    gone: list[FileError] = []  # uploaded before the guard saw them: cannot be scanned now
    sent_here = [key for item in items if (key := _uploaded_key(item)) is not None]
    excluded_now: list[str] = []
    for item in items:
        if _CACHE.is_clean(options.serial, item):
            continue
        path = item.blob.path
        # Path excludes in config apply to uploaded files as they do to `hfguard scan`.
        if not item.text and filtered(path, config.exclude, config.include):
            excluded.append(path)
            if not _WARNED.is_clean(options.serial, item):  # told once per upload, not per choke point
                _WARNED.mark_clean(options.serial, item)
                excluded_now.append(path)
            continue
        if item.uploaded:
            gone.append(FileError(path, "already uploaded through LFS before hfguard scanned it "
                                        "(huggingface_hub no longer holds its content)"))
            continue
        todo.append(item)
    if excluded_now and log_excluded:
        logger.warning("hfguard: %s", unscanned_excluded(excluded_now))
    if not todo and not gone:
        return excluded
    report = _scan(todo, options) if todo else Report()
    blocking = report.blocking
    errors = [] if options.allow_unscanned else list(report.errors) + gone
    for error in (list(report.errors) + gone) if options.allow_unscanned else []:
        logger.warning("hfguard: sending %s unscanned (allow_unscanned=True): %s", printable(error.path), error.message)
    if blocking or errors:
        logger.info("hfguard: blocked the upload to %s: %d finding(s), %d file(s) not scanned",
                    printable(target or "?"), len(blocking), len(errors))
        raise UploadBlocked(blocking, errors, target, _PENDING.count(options.serial, target, sent_here))
    failed = {e.path for e in report.errors}
    for item in todo:
        if item.blob.path not in failed:
            _CACHE.mark_clean(options.serial, item)
            _mark_content_clean(item, options.serial)
    return excluded


def unscanned_excluded(paths: Sequence[str], would: bool = False) -> str:
    """The line naming files that the config's `exclude` lets out unscanned."""
    names = ", ".join(printable(p) for p in paths[:_MAX_LISTED])
    more = f" … and {len(paths) - _MAX_LISTED} more" if len(paths) > _MAX_LISTED else ""
    verb = "would be sent" if would else "sent"
    return (f"{len(paths)} file(s) {verb} unscanned (excluded in config): {names}{more}; to keep a file out of "
            "the upload, use the upload's ignore_patterns= / `hfguard upload --exclude`")


def _scan(todo: Sequence[Outgoing], options: GateOptions) -> Report:
    sizes = [item.blob.size for item in todo]
    total = sum(size for size in sizes if size is not None)
    unknown = sum(1 for size in sizes if size is None)
    logger.info("hfguard: scanning %d file(s) before upload (%s%s)", len(todo), _human(total),
                f", {unknown} of unknown size" if unknown else "")
    started = time.perf_counter()
    try:
        with _progress(len(todo), total) as bar:
            blobs = [_counted(item.blob, bar) for item in todo] if bar is not None else [item.blob for item in todo]
            report = scan_blobs(blobs, options.scan)
    except HfguardError:
        raise
    except Exception as exc:  # fail closed, without echoing anything read from the content
        if os.environ.get("HFGUARD_DEBUG"):
            raise
        raise GuardUnavailable(f"hfguard could not scan the upload ({type(exc).__name__}); nothing was sent") from None
    logger.info("hfguard: scanned %d file(s) in %.1f s: %d blocking finding(s), %d file(s) not scanned",
                len(todo), time.perf_counter() - started, len(report.blocking), len(report.errors))
    return report


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"  # pragma: no cover


def progress_disabled() -> bool:
    """As huggingface_hub decides for its own bars (HF_HUB_DISABLE_PROGRESS_BARS first, then
    `disable_progress_bars()`), and only when stderr is a terminal."""
    env = os.environ.get("HF_HUB_DISABLE_PROGRESS_BARS")
    if env is not None and env.strip().upper() in {"1", "ON", "YES", "TRUE"}:
        return True
    try:
        from huggingface_hub.utils.tqdm import are_progress_bars_disabled
    except ImportError:  # pragma: no cover - huggingface_hub is a dependency
        pass
    else:
        if env is None and are_progress_bars_disabled():
            return True
    stream = sys.stderr
    return stream is None or not getattr(stream, "isatty", lambda: False)()


@contextmanager
def _progress(files: int, total: int) -> Iterator[Progress | None]:
    """The CLI's progress bar (bytes, files, the current file) over what the scan reads, shown
    only once the scan has run for progress.SHOW_AFTER_SECONDS (quick scans never show one)."""
    if progress_disabled():
        yield None
        return
    bar = Progress(sys.stderr)
    bar.start(files, total)
    try:
        yield bar
    finally:
        bar.close()


class _CountingReader(io.RawIOBase):
    """Tells the progress bar how much of a blob the scan has read."""

    def __init__(self, inner: IO[bytes], progress: Progress) -> None:
        super().__init__()
        self._inner = inner
        self._progress = progress

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return bool(self._inner.seekable())

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._inner.seek(offset, whence)

    def tell(self) -> int:
        return self._inner.tell()

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        if n:
            self._progress.advance(n)
        return n

    def close(self) -> None:
        if not self.closed:
            try:
                self._inner.close()
            finally:
                super().close()


def _counted(blob: Blob, progress: Progress) -> Blob:
    opener = blob.open
    opened: list[bool] = []

    def open_counted() -> IO[bytes]:
        if not opened:  # first open: this file starts (a reader may open a blob more than once)
            if progress.current:
                progress.file_done(progress.current, 0)
            progress.file_started(blob.path)
            opened.append(True)
        return io.BufferedReader(_CountingReader(opener(), progress), buffer_size=_HASH_READ)

    return replace(blob, open=open_counted)


def _mark_content_clean(item: Outgoing, serial: int) -> None:
    """A small clean file is also clean as bytes: huggingface_hub posts README.md's text to
    /api/validate-yaml, and that should not cost a second scan."""
    if item.key is None or item.key[0] == "bytes" or item.blob.size is None or item.blob.size > _ALIAS_MAX_BYTES:
        return
    try:
        with item.blob.open() as stream:
            data = stream.read(_ALIAS_MAX_BYTES + 1)
    except OSError:
        return
    if len(data) <= _ALIAS_MAX_BYTES:
        _CACHE.mark_clean(serial, Outgoing(item.blob, content_key(item.blob.path, data)))
