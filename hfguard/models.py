"""Records that flow through the pipeline: blobs in, chunks, matches, findings and a report out."""
from __future__ import annotations

import enum
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Protocol


class Category(str, enum.Enum):
    SECRET = "secret"
    PII = "pii"
    HEALTH = "health"
    HYGIENE = "hygiene"  # publish-readiness: licence, model card, pinned revisions, unsafe pickles


class Severity(str, enum.Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


class ChunkKind(str, enum.Enum):
    """What a chunk of text is, so detectors can weigh it (an email in code is not a dataset)."""

    CODE = "code"  # source code, config, plain text files
    PROSE = "prose"  # markdown, model cards, notebook markdown cells
    OUTPUT = "output"  # notebook outputs
    DATA = "data"  # a value from a dataset (CSV cell, JSON value, Parquet cell)
    METADATA = "metadata"  # notebook / safetensors metadata


@dataclass(frozen=True)
class Blob:
    """One file to scan, wherever its bytes come from (disk, git index, a commit, an upload).

    `path` is what the user sees in the report; `open` returns a fresh binary stream each call.
    """

    path: str
    open: Callable[[], IO[bytes]]
    size: int | None = None
    location_prefix: str | None = None  # e.g. "commit 1a2b3c4 (2026-11-01)" for --range scans
    commit: str | None = None


@dataclass(frozen=True)
class Chunk:
    """A piece of text cut from a blob, with where it came from.

    `line` is the 1-based line on disk of text[0] (None for binary formats). When `line_map` is
    given, line i of `text` (0-based) maps to file line line_map[i]; otherwise line i maps to
    `line + i`. `column` is the 1-based column of text[0] on its line.
    """

    text: str
    kind: ChunkKind = ChunkKind.CODE
    line: int | None = 1
    column: int = 1
    line_map: tuple[int, ...] | None = None
    cell: int | None = None
    row: int | None = None
    field: str | None = None
    location: str | None = None
    # Text of the whole notebook cell (source) this chunk belongs to, for inline allow pragmas.
    allow_scope: str | None = None
    # True when the reader knows this text is benign but large (tokenizer vocabularies): no
    # entropy-only findings here.
    no_entropy: bool = False
    # The file this text is from when it is not the blob itself: a member of an archive
    # (`data.zip!train/notes.txt`); findings and path-scoped rules use it.
    path: str | None = None


_NEWLINE = re.compile("\n")


def line_starts(text: str) -> list[int]:
    """The offset in `text` where each of its lines begins: 0, then one past every newline."""
    return [0, *(m.end() for m in _NEWLINE.finditer(text))]  # (faster than a find() loop)


def value_starts_of(chunk: Chunk) -> Sequence[int]:
    """The offset of each value of a chunk of many values: its `starts` when it has them (a
    LocatedChunk whose values hold newlines or are not separated), else each line's (value i
    is line i)."""
    starts: Sequence[int] | None = getattr(chunk, "starts", None)
    return line_starts(chunk.text) if starts is None else starts


@dataclass(frozen=True)
class Match:
    """A raw detector hit inside one chunk: offsets into chunk.text and the matched value."""

    rule_id: str
    category: Category
    severity: Severity
    chunk: Chunk
    start: int
    end: int
    secret: str
    message: str | None = None
    # Absolute column/line overrides (used by aggregated column findings).
    count: int | None = None
    # A grouped match (a column or file full of personal data): where each value it covers is,
    # as (chunk, offset into chunk.text), in order, the first MAX_OCCURRENCES; `count` says how
    # many in all. The match's own chunk/start are the first of them.
    places: tuple[tuple[Chunk, int], ...] | None = None


MAX_OCCURRENCES = 1000  # places a grouped finding lists (JSON `occurrences`); `count` has them all


@dataclass(frozen=True)
class Occurrence:
    """One value a grouped finding covers, located as a finding's top-level fields are."""

    line: int | None
    column: int | None
    row: int | None
    cell: int | None
    field: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "row": self.row, "cell": self.cell, "field": self.field}


@dataclass(frozen=True)
class Finding:
    rule: str
    category: Category
    severity: Severity
    path: str
    line: int | None
    column: int | None
    cell: int | None
    row: int | None
    field: str | None
    location: str | None
    preview: str
    fingerprint: str
    blocking: bool
    message: str | None = None
    suppressed: str | None = None  # why it does not count: "baseline", "inline", "config"
    # A finding that groups many values (a column or file full of personal data): how many in
    # all, and where each is (the first MAX_OCCURRENCES); None for a finding of one value.
    count: int | None = None
    occurrences: tuple[Occurrence, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule": self.rule,
            "category": self.category.value,
            "severity": self.severity.value,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "cell": self.cell,
            "row": self.row,
            "field": self.field,
            "location": self.location,
            "preview": self.preview,
            "fingerprint": self.fingerprint,
            "blocking": self.blocking,
        }
        if self.message:
            data["message"] = self.message
        if self.suppressed:
            data["suppressed"] = self.suppressed
        if self.count is not None:
            data["count"] = self.count
            data["occurrences"] = [o.to_dict() for o in self.occurrences or ()]
        return data


@dataclass(frozen=True)
class FileError:
    path: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "message": self.message}


@dataclass
class Stats:
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    skipped_binary: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "files": self.files,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
            "skipped_binary": self.skipped_binary,
        }
        if self.notes:
            data["notes"] = list(self.notes)
        return data


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    stats: Stats = field(default_factory=Stats)
    suppressed: list[Finding] = field(default_factory=list)

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    def to_dict(self, show_suppressed: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "version": 1,
            "findings": [f.to_dict() for f in self.findings],
            "errors": [e.to_dict() for e in self.errors],
            "stats": self.stats.to_dict(),
        }
        if show_suppressed:
            data["suppressed"] = [f.to_dict() for f in self.suppressed]
        return data


# --- detector protocols: what scanner.py feeds chunks to (secrets, pii, hygiene) ---


class FileDetector(Protocol):
    """Detects in one file: fed its chunks in order, then finished (grouped results)."""

    def feed(self, chunk: Chunk) -> list[Match]: ...
    def finish(self) -> list[Match]: ...


class Detector(Protocol):
    """Made once per process; gives a FileDetector per file."""

    def for_file(self, path: str) -> FileDetector: ...
