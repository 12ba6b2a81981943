"""Text files (code, configuration, prose), streamed in blocks of whole lines in their own
encoding and line endings; found values are replaced where they stand."""
from __future__ import annotations

import io

from hfguard.models import ChunkKind
from hfguard.redact.formats import Job, Outcome
from hfguard.redact.formats.encoding import errors_for, sniff

BLOCK_CHARS = 4 * 1024 * 1024  # lines are read up to this much at a time


def redact_code(job: Job) -> Outcome:
    return _redact(job, ChunkKind.CODE)


def redact_prose(job: Job) -> Outcome:
    return _redact(job, ChunkKind.PROSE)


def _redact(job: Job, kind: ChunkKind) -> Outcome:
    raw = io.BufferedReader(job.src(), 1024 * 1024)  # type: ignore[type-var,unused-ignore]
    encoding = sniff(raw.peek(64 * 1024)[: 64 * 1024])
    source = io.TextIOWrapper(raw, encoding=encoding, newline="", errors=errors_for(encoding))
    out = io.TextIOWrapper(job.dst, encoding=encoding, newline="", errors=errors_for(encoding))
    try:
        block: list[str] = []
        size = 0
        for line in source:
            block.append(line)
            size += len(line)
            if size >= BLOCK_CHARS:
                out.write(job.redactor.text("".join(block), kind))
                block, size = [], 0
        if block:
            out.write(job.redactor.text("".join(block), kind))
    finally:
        out.flush()
        out.detach()
        source.close()
    return Outcome()
