"""One module per file family; each writes a redacted copy of one stream into another, keeping
the format (schema, column and row order, encoding). Explicit registry: HANDLERS, keyed by the
scan's reader name for the file (hfguard.readers.choose_reader)."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from hfguard.redact.detect import ValueRedactor


class FormatError(Exception):
    """This file cannot be redacted (the message names why; never a value)."""


_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|b'[^'\n]*'")


def detail(exc: BaseException) -> str:
    """What a library's exception says, for a message: its kind and first line, quoted text
    (which may hold a value from the file) left out: 'ArrowInvalid: Parquet magic bytes not
    found in footer'; an OSError by its reason ('Permission denied')."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).strip()
    first = _QUOTED.sub("'…'", text.splitlines()[0] if text else "")[:200].rstrip(". ")
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


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
