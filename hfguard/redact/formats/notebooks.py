"""Jupyter notebooks: cell sources redacted in place; an output holding a finding is cleared
(default) or redacted in place (`notebook_outputs = "redact"`); images and other binary outputs
are left alone. The notebook keeps its nbformat version and must pass nbformat validation."""
from __future__ import annotations

import copy
import io
from typing import Any

from hfguard.models import ChunkKind
from hfguard.redact.formats import FormatError, Job, Outcome, detail

_TEXT_MIME = ("text/", "application/json", "application/javascript", "application/x-latex")


def _redact_output(job: Job, output: Any, field: str) -> bool:
    """Redacts the output's text in place; True when something changed."""
    r = job.redactor
    changed = False

    def text_of(value: Any) -> tuple[str, bool]:
        if isinstance(value, list):
            return "".join(str(v) for v in value), True
        return str(value), False

    if "text" in output:
        old, _ = text_of(output["text"])
        new = r.text(old, ChunkKind.OUTPUT, field)
        if new != old:
            output["text"], changed = new, True
    if output.get("output_type") == "error":
        tb = [r.text(line, ChunkKind.OUTPUT, field) for line in output.get("traceback", [])]
        if tb != output.get("traceback", []):
            output["traceback"], changed = tb, True
        for key in ("evalue", "ename"):
            if key in output:
                new = r.text(output[key], ChunkKind.OUTPUT, field)
                if new != output[key]:
                    output[key], changed = new, True
    data = output.get("data") or {}
    for mime in list(data):
        if not mime.startswith(_TEXT_MIME) or mime.startswith("image/"):
            continue  # images (png, jpeg; svg is text/xml but image/svg+xml) are left alone
        value = data[mime]
        if isinstance(value, (dict, list)) and mime == "application/json":
            import json

            old = json.dumps(value, ensure_ascii=False)
            new = r.text(old, ChunkKind.OUTPUT, field)
            if new != old:
                try:
                    data[mime] = json.loads(new)
                except ValueError:
                    data[mime] = new
                changed = True
            continue
        old, _ = text_of(value)
        new = r.text(old, ChunkKind.OUTPUT, field)
        if new != old:
            data[mime], changed = new, True
    return changed


def _redact_metadata(job: Job, node: Any, field: str) -> None:
    """Strings in notebook or cell metadata (a token left in a kernel spec), in place."""
    if isinstance(node, dict):
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return
    for key, value in list(items):
        if isinstance(value, str):
            new = job.redactor.text(value, ChunkKind.METADATA, field)
            if new != value:
                node[key] = new
        else:
            _redact_metadata(job, value, field)


def redact_notebook(job: Job) -> Outcome:
    import nbformat

    outcome = Outcome()
    with job.src() as stream:
        try:
            nb = nbformat.read(io.TextIOWrapper(stream, encoding="utf-8"), as_version=nbformat.NO_CONVERT)  # type: ignore[no-untyped-call,unused-ignore]
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeError) as exc:  # JSON, reader errors
            raise FormatError(f"not a readable notebook: {detail(exc)}") from None
    r = job.redactor
    _redact_metadata(job, nb.get("metadata"), "notebook metadata")
    for number, cell in enumerate(nb.get("cells", []), 1):
        _redact_metadata(job, cell.get("metadata"), f"cell {number} metadata")
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        kind = ChunkKind.PROSE if cell.get("cell_type") == "markdown" else ChunkKind.CODE
        new = r.text(source, kind, f"cell {number}", allow_scope=source)
        if new != source:
            cell["source"] = new
        outputs = cell.get("outputs")
        if not outputs:
            continue
        kept = []
        for out_number, output in enumerate(outputs, 1):
            field = f"cell {number}, output {out_number}"
            if job.notebook_outputs == "redact":
                _redact_output(job, output, field)
                kept.append(output)
                continue
            probe = copy.deepcopy(output)
            if _redact_output(job, probe, field):
                outcome.cleared_outputs += 1
                continue
            kept.append(output)
        cell["outputs"] = kept
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        raise FormatError(f"the redacted notebook does not validate: {detail(exc)}") from None
    text = io.TextIOWrapper(job.dst, encoding="utf-8", newline="")
    try:
        nbformat.write(nb, text, version=nbformat.NO_CONVERT)  # type: ignore[no-untyped-call,unused-ignore]
    finally:
        text.flush()
        text.detach()
    return outcome
