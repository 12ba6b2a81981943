"""The gate every guarded upload goes through: scan what would be sent, raise `UploadBlocked`.

Clean verdicts are cached by content identity (path in repo + file stat, or a hash of the
bytes) for the options they were reached with, so the nested choke points of one upload
(upload_file -> create_commit -> preupload -> commit) scan each file once.
"""
from __future__ import annotations

import itertools
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hfguard.baseline import find_baseline_file, load_baseline
from hfguard.config import Config, load_config
from hfguard.errors import EXIT_BLOCKING, EXIT_USAGE, HfguardError
from hfguard.hub_outgoing import Outgoing, content_key
from hfguard.masking import printable
from hfguard.models import FileError, Finding, Report
from hfguard.scanner import ScanOptions, scan_blobs

logger = logging.getLogger("hfguard")

_MAX_LISTED = 20
_CACHE_SIZE = 8192
_ALIAS_MAX_BYTES = 1024 * 1024
_serials = itertools.count(1)


class GuardUnavailable(HfguardError):
    """The guard cannot vouch for this upload (unsupported huggingface_hub, or the scan itself
    failed): the upload is refused rather than sent unchecked."""


class UploadBlocked(HfguardError):
    """Raised before any request when an upload would publish secrets, personal or health data,
    or files that could not be scanned. Carries masked findings only; never the values."""

    def __init__(self, findings: Sequence[Finding], errors: Sequence[FileError], target: str | None = None) -> None:
        self.findings: tuple[Finding, ...] = tuple(findings)
        self.errors: tuple[FileError, ...] = tuple(errors)
        self.target = target
        self.exit_code = EXIT_BLOCKING if self.findings else EXIT_USAGE
        super().__init__(self.summary())

    @property
    def report(self) -> Report:
        return Report(findings=list(self.findings), errors=list(self.errors))

    def summary(self) -> str:
        what = []
        if self.findings:
            what.append(f"{len(self.findings)} blocking finding(s)")
        if self.errors:
            what.append(f"{len(self.errors)} file(s) could not be scanned")
        target = f" to {printable(self.target)}" if self.target else ""
        lines = [f"hfguard blocked the upload{target}: {' and '.join(what)}; nothing was sent."]
        for f in self.findings[:_MAX_LISTED]:
            lines.append(f"  {_where(f)}: {f.rule} ({f.category.value}, {f.severity.value}) {printable(f.preview)}")
        for e in self.errors[: max(0, _MAX_LISTED - len(self.findings))]:
            lines.append(printable(f"  {e.path}: not scanned: {e.message}"))
        hidden = len(self.findings) + len(self.errors) - _MAX_LISTED
        if hidden > 0:
            lines.append(f"  … and {hidden} more")
        if self.findings:
            lines.append(
                "Remove the values (a published secret must be rotated), mark a false positive with "
                "`hfguard: allow <rule>`, or accept it in a baseline (`hfguard baseline`)."
            )
        if self.errors:
            lines.append("Files that cannot be scanned block too; pass allow_unscanned=True to send them unscanned.")
        return "\n".join(lines)

    def __reduce__(self) -> tuple[type[UploadBlocked], tuple[tuple[Finding, ...], tuple[FileError, ...], str | None]]:
        return (type(self), (self.findings, self.errors, self.target))


def _where(f: Finding) -> str:
    where = f.path
    if f.line is not None:
        where += f":{f.line}"
    extras = [x for x in (f.location, f"row {f.row}" if f.row is not None and not f.location else None,
                          f"field {f.field}" if f.field is not None and not f.location else None) if x]
    return printable(where + (f" ({', '.join(extras)})" if extras else ""))


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


def check(items: Sequence[Outgoing], options: GateOptions, target: str | None = None) -> None:
    """Scan `items`; raise UploadBlocked if any would publish something that blocks."""
    from hfguard.walk import filtered

    config = options.config
    todo = []
    for item in items:
        if _CACHE.is_clean(options.serial, item):
            continue
        path = item.blob.path
        # Path excludes in config apply to uploaded files as they do to `hfguard scan`.
        if not item.text and filtered(path, config.exclude, config.include):
            continue
        todo.append(item)
    if not todo:
        return
    try:
        report = scan_blobs([item.blob for item in todo], options.scan)
    except HfguardError:
        raise
    except Exception as exc:  # fail closed, without echoing anything read from the content
        if os.environ.get("HFGUARD_DEBUG"):
            raise
        raise GuardUnavailable(f"hfguard could not scan the upload ({type(exc).__name__}); nothing was sent") from None
    blocking = report.blocking
    errors = [] if options.allow_unscanned else list(report.errors)
    for error in report.errors if options.allow_unscanned else []:
        logger.warning("hfguard: sending %s unscanned (allow_unscanned=True): %s", printable(error.path), error.message)
    if blocking or errors:
        raise UploadBlocked(blocking, errors, target)
    failed = {e.path for e in report.errors}
    for item in todo:
        if item.blob.path not in failed:
            _CACHE.mark_clean(options.serial, item)
            _mark_content_clean(item, options.serial)


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
