"""`redact_paths(...)`: write redacted copies of files and folders, then scan what was written.

Each file is scanned as `hfguard scan` would (same config, policy and baseline); a file with
nothing reported is copied as it is; the others are rewritten by the handler of their format
with the values the same detection finds replaced. The copies are then scanned again under the
original names (so path-scoped allow entries and the baseline still apply).
"""
from __future__ import annotations

import argparse
import dataclasses
import functools
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from hfguard.models import Blob, Category, FileError, Report
from hfguard.policy.config import Config
from hfguard.policy.discover import load_config
from hfguard.redact.detect import FilePlan, ValueRedactor
from hfguard.redact.formats import FormatError, Job, Outcome, detail, handlers
from hfguard.redact.formats import compress as compression
from hfguard.redact.operators import Op, Operators, RedactError, check, load_key, parse_assignments
from hfguard.redact.report import Change, FileChanges, RedactReport
from hfguard.redact.settings import NOTEBOOK_OUTPUTS, load_settings

SNIFF = 8192
MAX_ROUNDS = 3  # redactions of one file, each with the columns the scan of the last still flags


def build_operators(config: Config, operators: dict[str, str] | Sequence[str] | None = None,
                    default: str | None = None, key_env: str | None = None,
                    key_file: str | None = None) -> tuple[Operators, str]:
    """Operators from the config's [redact] table with the caller's on top; the notebook mode."""
    settings = load_settings(config)
    by_name = dict(settings.operators)
    if operators:
        items = [f"{k}={v}" for k, v in operators.items()] if isinstance(operators, dict) else list(operators)
        by_name.update(parse_assignments(items))
    _check_names(by_name)
    default_op = Op(default) if default else settings.default or Op.REPLACE
    key = load_key(key_env or settings.key_env, key_file or (None if key_env else settings.key_file))
    ops = Operators(by_name, default_op, key)
    check(ops)
    return ops, settings.notebook_outputs or "clear"


def _check_names(by_name: dict[str, Op]) -> None:
    from hfguard.pii.entities import ENTITIES

    known = {e.name for e in ENTITIES.values()} | {e.rule_id for e in ENTITIES.values()} | {"pii", "health"}
    for name in by_name:
        if name not in known:
            raise RedactError(f"operator for {name!r}: not an entity, rule id or category (known: pii, health, "
                              f"{', '.join(sorted(ENTITIES))})")


def redact_paths(
    paths: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    *,
    config: Config | None = None,
    config_file: str | None = None,
    baseline: str | None = None,
    pii: bool = True,
    operators: dict[str, str] | Sequence[str] | None = None,
    default_operator: str | None = None,
    key_env: str | None = None,
    key_file: str | None = None,
    notebook_outputs: str | None = None,
) -> RedactReport:
    """Write redacted copies of `paths` under `output`; the report says what changed (counts,
    never values) and what the scan of the copies still finds. Originals are never modified."""
    from hfguard.policy.baseline import find_baseline_file, load_baseline
    from hfguard.scanner import FileScanner, ScanOptions, disk_blob

    names = [os.fspath(p) for p in paths] or ["."]
    if config is None:
        start = Path(names[0])
        config = load_config(Path(config_file) if config_file else None, start if start.is_dir() else start.parent)
    ops, mode = build_operators(config, operators, default_operator, key_env, key_file)
    mode = notebook_outputs or mode
    if mode not in NOTEBOOK_OUTPUTS:
        raise RedactError(f"notebook outputs: {mode!r} is not 'clear' or 'redact'")
    start = Path(names[0])
    baseline_path = baseline or config.baseline or find_baseline_file(start if start.is_dir() else start.parent)
    options = ScanOptions(config=config, pii=pii, baseline=load_baseline(baseline_path) if baseline_path else None)
    scanner = FileScanner(options)
    out_root = Path(output)
    out_real = os.path.realpath(out_root)
    for name in names:
        real = os.path.realpath(name)
        if real == out_real or real.startswith(out_real + os.sep):
            raise RedactError(f"{name} is inside the output folder {os.fspath(output)}: write the copies to a "
                              "folder that holds none of the inputs (originals are never overwritten)")
    report = RedactReport()
    started = time.perf_counter()
    for shown, disk, rel in _files(names, config, out_root, report):
        dest = out_root / rel
        if os.path.abspath(dest) == os.path.abspath(disk):
            report.errors.append(FileError(shown, "the output would overwrite the original"))
            continue
        extra: dict[str, tuple[str, str, Category]] = {}
        try:
            original = scanner.scan_blob(disk_blob(shown, disk))
            if original.errors:
                # What the scan could not read is not redacted either: an error up front, nothing
                # written (a rewrite of a file no reader understands would be a corrupted copy).
                report.errors.extend(original.errors)
                continue
            reader = _sniff(shown, disk, dest)
            for _ in range(MAX_ROUNDS):
                changes = _redact_file(scanner, shown, disk, dest, ops, mode, extra, original, reader)
                result = _rescan(scanner, shown, str(dest))
                # Columns found to be personal data as a whole only once others were redacted
                # (a health column next to a person identifier's header): redone with them.
                more = {k: v for k, v in FilePlan.from_findings([f for f in result.findings if f.blocking], True).whole.items()
                        if k not in extra}
                if changes.copied or not more:
                    break
                extra.update(more)
        except (FormatError, RedactError, OSError, UnicodeError, ValueError, RecursionError, MemoryError) as exc:
            report.errors.append(FileError(shown, _describe(exc, disk)))
            continue
        report.files.append(changes)
        _merge(report.remaining, result, str(dest))
    report.remaining.stats.seconds = time.perf_counter() - started
    return report


def _rescan(scanner: Any, shown: str, dest: str) -> Any:
    """Scan the copy under the original's name (the config's path patterns and the baseline
    still apply)."""
    from hfguard.sources.walk import open_regular

    blob = Blob(shown, lambda: open_regular(dest), os.path.getsize(dest))
    try:
        return scanner.scan_blob(blob)
    except (OSError, UnicodeError, ValueError, RecursionError, MemoryError) as exc:
        from hfguard.scanner import FileResult

        return FileResult(errors=[FileError(shown, f"cannot read: {detail(exc)}")])


def _merge(report: Report, result: Any, dest: str) -> None:
    """A rescan result into the report, naming the copy."""
    report.findings.extend(dataclasses.replace(f, path=dest) for f in result.findings)
    report.suppressed.extend(dataclasses.replace(f, path=dest) for f in result.suppressed)
    report.errors.extend(FileError(dest, e.message) for e in result.errors)
    report.stats.bytes += result.bytes
    report.stats.notes.extend(result.notes)
    if not result.binary and not result.excluded:
        report.stats.files += 1


def _files(names: list[str], config: Config, out_root: Path, report: RedactReport) -> list[tuple[str, str, str]]:
    from hfguard.sources.walk import walk_paths

    root = str(config.root or os.getcwd())
    out_abs = os.path.abspath(out_root) + os.sep
    found: list[tuple[str, str, str]] = []
    for name in names:
        walked = walk_paths([name], config.exclude, config.include, root=root)
        report.errors.extend(walked.errors)
        is_dir = os.path.isdir(name)
        for shown, disk in walked.files:
            if os.path.abspath(disk).startswith(out_abs):
                continue  # an earlier run's output inside the scanned folder
            rel = os.path.relpath(disk, name) if is_dir else os.path.basename(disk)
            found.append((shown, disk, rel))
    return found


def _sniff(shown: str, disk: str, dest: Path) -> str | None:
    """The original's reader (the same for every round of one file); the copy's folder made."""
    from hfguard.readers import choose_reader
    from hfguard.sources.walk import open_regular

    dest.parent.mkdir(parents=True, exist_ok=True)
    with open_regular(disk) as stream:
        head = stream.read(SNIFF)
    return choose_reader(shown, head)


def _describe(exc: BaseException, disk: str) -> str:
    """What went wrong and where, as the scanner says it ('cannot read: Permission denied'),
    never a value (quoted text in a library's message is left out)."""
    if isinstance(exc, (FormatError, RedactError)):
        return str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename is not None:
        name = os.fspath(exc.filename)
        if os.path.abspath(name) == os.path.abspath(disk):
            return f"cannot read: {detail(exc)}"
        return f"cannot write {name}: {detail(exc)}"
    if isinstance(exc, MemoryError):
        return "out of memory while redacting"
    if isinstance(exc, RecursionError):
        return "nested too deeply to redact"
    return f"could not be redacted ({detail(exc)})"


def _redact_file(scanner: Any, shown: str, disk: str, dest: Path, ops: Operators, mode: str,
                 extra: dict[str, tuple[str, str, Category]], result: Any, reader: str | None) -> FileChanges:
    from hfguard.readers import choose_reader
    from hfguard.readers.text import extension
    from hfguard.sources.walk import open_regular

    changes = FileChanges(shown, str(dest), reader or "binary")
    if result.binary or result.excluded or reader is None or (not any(f.blocking for f in result.findings) and not result.errors):
        _copy(disk, dest)  # nothing the scan reports blocks: the copy is the original, byte for byte
        changes.copied = True
        return changes
    ext = extension(shown)
    open_src: Callable[[], IO[bytes]] = lambda: open_regular(disk)
    seekable = True
    inner_reader = reader
    if reader == "compressed":
        from hfguard.readers.compressed import inner_path

        open_src = compression.reader(ext, open_src, None)
        seekable = False
        with open_src() as s:
            inner_reader = choose_reader(inner_path(shown), s.read(SNIFF)) or "binary"
        changes.format = f"{inner_reader}+{ext}"
    spool: str | None = None
    if reader == "compressed" and inner_reader in SEEKING:
        spool = _spool(open_src, dest.parent)  # Parquet/Arrow are read from a plain file
        open_src = functools.partial(open_regular, spool)
        seekable = True
    try:
        outcome, redactor = _rewrite(scanner, shown, disk, dest, ops, mode, extra, result, reader, inner_reader,
                                     ext, open_src, seekable)
    finally:
        if spool is not None:
            os.unlink(spool)
    _fill(changes, redactor, outcome)
    if not changes.changes and not changes.dropped_columns and not changes.cleared_outputs:
        # Nothing was changed: the copy is the original byte for byte, never a re-serialisation
        # (line endings, quoting, a JSON layout, codecs stay exactly as they were).
        _copy(disk, dest)
        changes.copied = True
        changes.reason = "nothing in it could be changed"
    return changes


SEEKING = ("parquet", "arrow")  # formats read from a file they can seek in


def _spool(open_src: Callable[[], IO[bytes]], folder: Path) -> str:
    """The decompressed content in a temporary file next to the copy (removed by the caller)."""
    fd, path = tempfile.mkstemp(prefix=".hfguard-redact-", suffix=".spool", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out, open_src() as src:
            shutil.copyfileobj(src, out, 1024 * 1024)
    except BaseException:
        os.unlink(path)
        raise
    return path


def _rewrite(scanner: Any, shown: str, disk: str, dest: Path, ops: Operators, mode: str,
             extra: dict[str, tuple[str, str, Category]], result: Any, reader: str, inner_reader: str, ext: str,
             open_src: Callable[[], IO[bytes]], seekable: bool) -> tuple[Outcome, ValueRedactor]:
    handler = handlers().get(inner_reader)
    if handler is None:
        raise FormatError(f"{inner_reader} files cannot be redacted (extract or convert them first)")
    plan = FilePlan.from_findings(result.findings, complete=not result.errors)
    plan.whole.update(extra)
    for key in extra:  # found again after a round: all its rows now
        plan.rows.pop(key, None)
    plan.accept(result.suppressed)
    redactor = ValueRedactor(scanner, shown, plan, ops)
    redactor.findings, redactor.suppressed, redactor.extra = result.findings, result.suppressed, extra
    fd, tmp = tempfile.mkstemp(prefix=".hfguard-redact-", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as raw:
            if reader == "compressed":
                with compression.writer(ext, raw) as packed:
                    outcome = handler(Job(open_src, packed, redactor, seekable, mode))
            else:
                outcome = handler(Job(open_src, raw, redactor, seekable, mode))
        shutil.copymode(disk, tmp)
        os.replace(tmp, dest)
    except BaseException:
        os.unlink(tmp)
        raise
    return outcome, redactor


def _fill(changes: FileChanges, redactor: ValueRedactor, outcome: Outcome) -> None:
    changes.changes = [
        Change(field or None, entity, op, count)
        for (field, entity, op), count in sorted(redactor.counts.items())
    ]
    changes.dropped_columns = list(outcome.dropped_columns)
    changes.cleared_outputs = outcome.cleared_outputs
    changes.notes = list(outcome.notes)


def _copy(src: str, dest: Path) -> None:
    tmp = dest.with_name(f".hfguard-redact-{dest.name}")
    shutil.copyfile(src, tmp)
    shutil.copymode(src, tmp)
    os.replace(tmp, dest)


def upload_redacted(args: argparse.Namespace, upload: Callable[[argparse.Namespace], int]) -> int:
    """`hfguard upload --redact`: redact LOCAL_PATH into a temporary folder, and upload that copy
    only when nothing that blocks remains in it."""
    import sys

    from hfguard.redact.report import format_text

    local = args.local_path
    with tempfile.TemporaryDirectory(prefix="hfguard-redacted-") as tmp:
        report = redact_paths([local], tmp, config_file=args.config, baseline=args.baseline, pii=not args.no_pii)
        sys.stderr.write(format_text(report))
        if report.exit_code:
            print("hfguard: the redacted copy is not uploaded", file=sys.stderr)
            return report.exit_code
        copy = os.path.join(tmp, os.path.basename(local)) if os.path.isfile(local) else tmp
        if os.path.isfile(local) and not args.path_in_repo:
            args.path_in_repo = os.path.basename(local)
        config = args.config
        if config is None:  # the copy lies elsewhere: keep the original's config for the upload check
            from hfguard.policy.discover import find_config_file

            start = Path(local)
            found = find_config_file(start if start.is_dir() else start.parent)
            config = str(found) if found is not None else None
        return upload(argparse.Namespace(**{**vars(args), "local_path": copy, "redact": False, "config": config}))
