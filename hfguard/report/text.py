"""Human-readable report: path:line, rule, severity, masked preview and how to get out."""
from __future__ import annotations

from pathlib import Path

from hfguard.masking import printable
from hfguard.models import Category, Finding, Report
from hfguard.report.hints import allow_entry, has_no_line

# Hygiene findings (licence, model card, pinned revisions, pickles) come last, under this heading.
HYGIENE_HEADING = "Before you publish (licence, model card, pinned revisions, pickles):"

_COLOURS = {"critical": "\033[1;31m", "high": "\033[31m", "medium": "\033[33m", "low": "\033[36m"}
_RESET = "\033[0m"

# The three ways out of a blocked scan, commit or push.
_RESOLVE = (
    "To resolve each blocking finding, either:",
    ("  1. remove it, and rotate it if it is a credential: once committed or pushed it is leaked"
     " (already committed? amend or `git rebase -i` it out: deleting it later leaves it in history);"),
    "  2. or, if it is not sensitive, mark its line with `hfguard: allow <rule>`;",
    ("  3. or accept it: `hfguard baseline -o .hfguard-baseline.json` (same PATH / --staged / --range"
     " as this scan); scans pick that file up from the folder or the repository root."),
)


def _resolve(blocking: list[Finding], allow_root: Path | None = None) -> list[str]:
    """The ways out, step 2 fitted to the findings: a pragma on a line, or [[allow]] by path (and
    field) for values in data files and binary files (no line to mark)."""
    lines = list(_RESOLVE)
    cells = [f for f in blocking if has_no_line(f)]
    if not cells:
        return lines
    allow = (f"{allow_entry(cells[0], root=allow_root)} in the config (.hfguard.toml; [[tool.hfguard.allow]] in pyproject.toml;"
             " paths relative to its folder)")
    if len(cells) == len(blocking):
        lines[2] = f"  2. or, if it is not sensitive, allow it by path: {allow};"
    else:
        lines[2] = (f"  2. or, if it is not sensitive, mark its line with `hfguard: allow <rule>` (values in data "
                    f"and binary files: by path, {allow});")
    return lines


def where(f: Finding) -> str:
    """`path:line:column (location or cell/row, field)` of a finding, printable."""
    where = f.path
    if f.line is not None:
        where += f":{f.line}"
        if f.column is not None:
            where += f":{f.column}"
    extras = []
    if f.location:
        extras.append(f.location)
    else:
        if f.cell is not None:
            extras.append(f"cell {f.cell}")
        if f.row is not None:
            extras.append(f"row {f.row}")
    if f.field is not None and (not f.location or f.field not in f.location):
        extras.append(f"field {f.field}")
    # File names, JSON keys and column names come from scanned content: no terminal escapes.
    return printable(where + (f" ({', '.join(extras)})" if extras else ""))


SHOWN_PLACES = 10  # places of a grouped finding named on its line; the rest is "…"


def _places(f: Finding) -> str | None:
    """`rows 2, 5, 9, … (40 in all)`: where the values of a grouped finding are (rows of a data
    file, else lines, else JSON key paths); None for a finding of one value."""
    found = f.occurrences or ()
    if f.count is None or f.count < 2 or len(found) < 2:
        return None
    labels: list[str]
    if all(o.row is not None for o in found):
        noun, labels = "rows", [str(o.row) for o in found]
    elif all(o.line is not None for o in found):
        noun, labels = "lines", [str(o.line) for o in found]
    elif all(o.field is not None for o in found):
        noun, labels = "fields", [str(o.field) for o in found]
    else:
        return None
    distinct = [label for i, label in enumerate(labels) if i == 0 or labels[i - 1] != label]
    shown = ", ".join(distinct[:SHOWN_PLACES])
    more = ", \u2026" if len(distinct) > SHOWN_PLACES or len(found) < f.count else ""
    return printable(f"{noun} {shown}{more} ({f.count:,} in all)")


def format_text(report: Report, colour: bool = False, show_suppressed: bool = False, hints: dict[str, str] | None = None,
                quiet: bool = False, allow_root: Path | None = None) -> str:
    """The text report. `quiet` (--quiet): nothing when nothing blocks and nothing failed; else
    the findings, the errors, the summary line and the ways out, without notes. `allow_root`:
    the folder of the config the [[allow]] hints are written for (paths relative to it)."""
    if quiet and not report.blocking and not report.errors:
        return ""
    lines: list[str] = []
    hygiene = [f for f in report.findings if f.category is Category.HYGIENE]
    ordered = [f for f in report.findings if f.category is not Category.HYGIENE] + hygiene
    for f in ordered:
        if hygiene and f is hygiene[0]:
            lines.append(HYGIENE_HEADING)
        sev = f.severity.value
        tag = f"{_COLOURS[sev]}{sev:<8}{_RESET}" if colour else f"{sev:<8}"
        mark = "" if f.blocking else "  (reported, does not block)"
        lines.append(f"{where(f)}: {tag} {f.rule}  {printable(f.preview)}{mark}")
        if f.message:
            lines.append(f"    {printable(f.message)}")
        places = _places(f)
        if places:
            lines.append(f"    {places}")
        hint = (hints or {}).get(f.rule)
        if hint:
            lines.append(f"    fix: {hint}")
    if show_suppressed:
        for f in report.suppressed:
            lines.append(f"{where(f)}: suppressed ({f.suppressed}) {f.rule}  {printable(f.preview)}")
    for e in report.errors:
        lines.append(printable(f"{e.path}: error: {e.message}"))
    blocking = len(report.blocking)
    s = report.stats
    # "with errors", not "not scanned": some were scanned in part or another way (a broken
    # notebook as plain text); each error line above says which.
    summary = (
        f"hfguard: {len(report.findings)} finding(s), {blocking} blocking; "
        f"{len({e.path for e in report.errors})} file(s) with errors; "
        f"{s.files} file(s), {s.bytes / 1e6:.1f} MB in {s.seconds:.2f} s"
    )
    if report.suppressed:
        summary += f"; {len(report.suppressed)} suppressed"
    lines.append(summary)
    for note in [] if quiet else s.notes:
        lines.append(printable(f"note: {note}"))
    if blocking:
        lines.extend(_resolve(report.blocking, allow_root))
    return "\n".join(lines) + "\n"
