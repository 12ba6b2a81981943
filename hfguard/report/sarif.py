"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers."""
from __future__ import annotations

from typing import Any

from hfguard import __version__
from hfguard.masking import printable
from hfguard.models import Report
from hfguard.secrets.rules import Rule

_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.0", "low": "2.0"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
MAX_LOCATIONS = 100  # values of a grouped finding given as its result's locations


def format_sarif(report: Report, rules: dict[str, Rule]) -> dict[str, Any]:
    used = sorted({f.rule for f in report.findings})
    rule_index = {rule_id: i for i, rule_id in enumerate(used)}
    descriptors = []
    detectors = _pii_descriptions() if any(r not in rules for r in used) else {}
    for rule_id in used:
        rule = rules.get(rule_id)
        first = next(f for f in report.findings if f.rule == rule_id)
        severity = rule.severity.value if rule else first.severity.value
        description = rule.description if rule else detectors.get(rule_id, rule_id)
        remediation = rule.remediation if rule else _hygiene_remediation(rule_id)
        descriptor: dict[str, Any] = {
            "id": rule_id,
            "name": "".join(part.capitalize() for part in rule_id.split("-")),
            "shortDescription": {"text": description},
            "defaultConfiguration": {"level": _LEVEL[severity]},
            "properties": {
                "tags": ["security", rule.category.value if rule else first.category.value],
                "security-severity": _SECURITY_SEVERITY[severity],
            },
        }
        if remediation:
            descriptor["help"] = {"text": remediation}
        descriptors.append(descriptor)
    results = []
    for f in report.findings:
        uri = f.path.replace("\\", "/")
        if f.occurrences:  # a grouped finding: each value it covers (the first MAX_LOCATIONS)
            locations = [_location(uri, o.line, o.column, o.row, o.cell, o.field) for o in f.occurrences[:MAX_LOCATIONS]]
        else:
            locations = [_location(uri, f.line, f.column)]
        where = f" ({f.location})" if f.location else ""
        results.append({
            "ruleId": f.rule,
            "ruleIndex": rule_index[f.rule],
            "level": _LEVEL[f.severity.value],
            "message": {"text": f"{f.category.value}: {f.rule} {f.preview}{where}" + (f" - {f.message}" if f.message else "")},
            "locations": locations,
            "partialFingerprints": {"hfguardFingerprint/v1": f.fingerprint},
            "properties": {"category": f.category.value, "severity": f.severity.value, "blocking": f.blocking,
                           "cell": f.cell, "row": f.row, "field": f.field,
                           **({"count": f.count} if f.count is not None else {})},
        })
    invocation: dict[str, Any] = {"executionSuccessful": not report.errors}
    if report.errors:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": e.message}, "locations": [
                {"physicalLocation": {"artifactLocation": {"uri": e.path.replace("\\", "/")}}}]}
            for e in report.errors
        ]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "hfguard", "version": __version__,
                                "informationUri": "https://pypi.org/project/hfguard/", "rules": descriptors}},
            "results": results,
            "invocations": [invocation],
        }],
    }


def _location(uri: str, line: int | None, column: int | None, row: int | None = None, cell: int | None = None,
              field: str | None = None) -> dict[str, Any]:
    """A SARIF location: the file, the line and column where there is one, and (for a value of a
    grouped finding) its cell, row and field as the location's message."""
    location: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": uri}}}
    if line is not None:
        region: dict[str, Any] = {"startLine": line}
        if column is not None:
            region["startColumn"] = column
        location["physicalLocation"]["region"] = region
    parts = [f"cell {cell}"] if cell is not None else []
    parts += [f"row {row}"] if row is not None else []
    parts += [f"field {printable(field)}"] if field is not None else []
    if parts:
        location["message"] = {"text": ", ".join(parts)}
    return location


def _pii_descriptions() -> dict[str, str]:
    """Descriptions of the rules that are code, not TOML: PII detectors and hygiene checks."""
    from hfguard.hygiene import descriptions
    from hfguard.pii.entities import rule_descriptions

    found = {rule_id: description for rule_id, (_, description) in rule_descriptions().items()}
    return {**found, **descriptions()}


def _hygiene_remediation(rule_id: str) -> str | None:
    from hfguard.hygiene import RULES

    rule = RULES.get(rule_id)
    return rule.remediation if rule else None
