"""`hfguard redact`: redacted copies of datasets, notebooks and text files, safe to publish.

    from hfguard.redact import redact_paths
    report = redact_paths(["data/"], "data-redacted/", operators={"EMAIL_ADDRESS": "hash"})
    report.exit_code  # 0: nothing that blocks remains in the copies

Modules: api (orchestration), detect (the scan's detection per value), operators (replace,
mask, hash, drop), settings ([tool.hfguard.redact]), report, formats/ (one per file family).
"""
from __future__ import annotations

from hfguard.redact.api import redact_paths
from hfguard.redact.report import RedactReport, format_text

__all__ = ["RedactReport", "format_text", "redact_paths"]
