"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers."""
from __future__ import annotations

from typing import Any

from hfguard import __version__
from hfguard.models import Report
from hfguard.secrets.rules import Rule

_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.0", "low": "2.0"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


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
        region: dict[str, Any] = {}
        if f.line is not None:
            region["startLine"] = f.line
            if f.column is not None:
                region["startColumn"] = f.column
        location: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": f.path.replace("\\", "/")}}}
        if region:
            location["physicalLocation"]["region"] = region
        where = f" ({f.location})" if f.location else ""
        results.append({
            "ruleId": f.rule,
            "ruleIndex": rule_index[f.rule],
            "level": _LEVEL[f.severity.value],
            "message": {"text": f"{f.category.value}: {f.rule} {f.preview}{where}" + (f" - {f.message}" if f.message else "")},
            "locations": [location],
            "partialFingerprints": {"hfguardFingerprint/v1": f.fingerprint},
            "properties": {"category": f.category.value, "severity": f.severity.value, "blocking": f.blocking,
                           "cell": f.cell, "row": f.row, "field": f.field},
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
