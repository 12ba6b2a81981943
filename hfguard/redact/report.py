"""What `redact` did, per file, column/field and entity, with counts and never values; and what
the scan of the written copies still found (text and JSON)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hfguard.errors import EXIT_BLOCKING, EXIT_OK, EXIT_USAGE
from hfguard.models import FileError, Report


@dataclass
class Change:
    field: str | None  # column, JSON key path or notebook cell; None for a text file
    entity: str  # EMAIL_ADDRESS, or the secret rule id
    operator: str
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "entity": self.entity, "operator": self.operator, "count": self.count}


@dataclass
class FileChanges:
    path: str  # the original, as named
    output: str  # the redacted copy
    format: str
    changes: list[Change] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)
    cleared_outputs: int = 0
    notes: list[str] = field(default_factory=list)
    copied: bool = False  # nothing to redact (the scan found nothing, or a binary file): copied as it is
    reason: str = ""  # why it was copied, when not for the usual reasons (the format, a clean scan)

    @property
    def values(self) -> int:
        return sum(c.count for c in self.changes)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": self.path, "output": self.output, "format": self.format,
            "changes": [c.to_dict() for c in self.changes], "values_changed": self.values,
            "dropped_columns": list(self.dropped_columns), "cleared_outputs": self.cleared_outputs,
        }
        if self.copied:
            data["copied"] = True
            if self.reason:
                data["copied_because"] = self.reason
        if self.notes:
            data["notes"] = list(self.notes)
        return data


@dataclass
class RedactReport:
    files: list[FileChanges] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)  # files that could not be redacted
    remaining: Report = field(default_factory=Report)  # the scan of what was written

    @property
    def exit_code(self) -> int:
        if self.remaining.blocking:
            return EXIT_BLOCKING
        if self.errors or self.remaining.errors:
            return EXIT_USAGE
        return EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "files": [f.to_dict() for f in self.files],
            "errors": [e.to_dict() for e in self.errors],
            "remaining": self.remaining.to_dict(),
            "exit_code": self.exit_code,
        }


def format_text(report: RedactReport, quiet: bool = False) -> str:
    """The text report. `quiet` (as `scan --quiet`): nothing when nothing blocks and every file was
    redacted; else only the errors, what still blocks and the summary line."""
    if quiet and report.exit_code == EXIT_OK:
        return ""
    lines: list[str] = []
    for f in [] if quiet else report.files:
        if f.copied:
            why = f.reason or ("not a format hfguard reads" if f.format == "binary" else
                               "the scan found nothing that blocks")
            lines.append(f"{f.path} -> {f.output}: copied unchanged ({why})")
            continue
        lines.append(f"{f.path} -> {f.output}: {f.values:,} value(s) redacted")
        for c in sorted(f.changes, key=lambda c: (c.field or "", c.entity)):
            where = f"{c.field}: " if c.field else ""
            lines.append(f"  {where}{c.count:,} {c.entity} ({c.operator})")
        for name in f.dropped_columns:
            lines.append(f"  column {name!r} dropped")
        if f.cleared_outputs:
            lines.append(f"  {f.cleared_outputs} notebook output(s) cleared")
        for note in f.notes:
            lines.append(f"  note: {note}")
    for e in report.errors:
        lines.append(f"{e.path}: error: not redacted: {e.message}")
    remaining = report.remaining
    for finding in remaining.blocking:
        where = finding.location or (f"line {finding.line}" if finding.line else "")
        lines.append(f"{finding.path}: still blocks: {finding.rule} ({finding.severity.value}) {where} "
                     f"{finding.preview}".rstrip())
    for e in remaining.errors:
        lines.append(f"{e.path}: error: the redacted copy could not be scanned: {e.message}")
    code = report.exit_code
    verdict = {EXIT_OK: "nothing that blocks remains", EXIT_BLOCKING: "blocking findings remain",
               EXIT_USAGE: "some files could not be redacted or checked"}[code]
    total = sum(f.values for f in report.files)
    lines.append(f"hfguard redact: {len(report.files)} file(s) written, {total:,} value(s) redacted; {verdict}")
    return "\n".join(lines) + "\n"
