"""The JSON report: the version 1 contract of `--format json` (DESIGN.md), one document with
`version`, `findings`, `errors`, `notes` and `stats`; additive fields keep the version.

The fields themselves are defined next to the records (`Finding.to_dict`, `Report.to_dict`);
this module is where the document is written, as text, for the CLI and `--output`.
"""
from __future__ import annotations

import json

from hfguard.models import Report


def format_json(report: Report, show_suppressed: bool = False) -> str:
    """The report as an indented JSON document ending in a newline."""
    return json.dumps(report.to_dict(show_suppressed=show_suppressed), indent=2) + "\n"
