"""One module per file family; each writes a redacted copy of one stream into another, keeping
the format (schema, column and row order, encoding). Explicit registry: HANDLERS, keyed by the
scan's reader name for the file (hfguard.readers.choose_reader)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from hfguard.redact.detect import ValueRedactor


class FormatError(Exception):
    """This file cannot be redacted (the message names why; never a value)."""


@dataclass
class Outcome:
    """What a handler did besides changing values (counted by the redactor)."""

    dropped_columns: list[str] = field(default_factory=list)
    cleared_outputs: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Job:
    src: Callable[[], IO[bytes]]  # opens the original (decompressed) content
    dst: IO[bytes]  # where the redacted content goes (compressed by the caller if need be)
    redactor: ValueRedactor
    seekable: bool = True  # src is a plain file (Parquet/Arrow need one)
    notebook_outputs: str = "clear"  # or "redact"


Handler = Callable[[Job], Outcome]


def handlers() -> dict[str, Handler]:
    from hfguard.redact.formats import archives, columnar, jsondata, notebooks, tables, text

    return {
        "text": text.redact_code,
        "prose": text.redact_prose,
        "card": text.redact_prose,
        "tokenizer": text.redact_code,
        "csv": tables.redact_csv,
        "tsv": tables.redact_tsv,
        "json": jsondata.redact_json,
        "json-metadata": jsondata.redact_json,
        "jsonl": jsondata.redact_jsonl,
        "parquet": columnar.redact_parquet,
        "arrow": columnar.redact_arrow,
        "notebook": notebooks.redact_notebook,
        "archive": archives.redact_archive,
    }
