"""Planted secrets: one value per true-positive example of every rule, built at run time.

Other reliability tests import `planted_values()` and `plant_tree()`; the test here checks that
the planting itself works for every rule that exists when the suite runs.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hfguard.secrets.rules import Rule, expand_example, load_default_rules

# File names tried, in order, for a rule that only applies to some paths (`path = ...`).
_PATH_CANDIDATES = (
    "planted/{id}.txt", "planted/{id}.py", ".env", "planted/.env", "config.yml", "settings.py",
    "credentials", ".npmrc", ".pypirc", ".netrc", ".git-credentials", "id_rsa", ".dockercfg",
    "docker/config.json", "config.json", "application.properties", "terraform.tfvars", "main.tf",
    "Dockerfile", "values.yaml", "wp-config.php", "requirements.txt", "pip.conf", "setup.cfg", ".pgpass",
)
MIN_CHECKED_LEN = 8  # shorter values can appear by chance (sizes, line numbers); masked as stars


@dataclass(frozen=True)
class Planted:
    rule: Rule
    example: str  # the expanded tps line
    secret: str  # the value the rule's secret group captures
    path: str  # relative file name it is planted in


def _secret_of(rule: Rule, text: str) -> str | None:
    if rule.regex is None:
        return None
    for m in rule.regex.finditer(text):
        value = m.group(rule.secret_group)
        if value and value.strip():
            return value
    return None


def _path_for(rule: Rule, index: int) -> str | None:
    for candidate in _PATH_CANDIDATES:
        path = candidate.format(id=f"{rule.id}-{index}")
        if rule.path is None or rule.path.search(path):
            if rule.allowlist.allows_path(path):
                continue
            return path
    return None


def planted_values() -> list[Planted]:
    """A value for every example of every rule (deterministic per rule and example)."""
    out = []
    for rule in load_default_rules().rules:
        for i, template in enumerate(rule.tps):
            example = expand_example(template, f"reliability:{rule.id}:{i}")
            secret = _secret_of(rule, example)
            path = _path_for(rule, i)
            if secret is None or path is None:
                continue
            out.append(Planted(rule, example, secret, path))
    return out


def plant_tree(root: Path, values: list[Planted] | None = None) -> list[Planted]:
    """Write each example into its own file under root (files with one path get one line each)."""
    values = planted_values() if values is None else values
    by_path: dict[str, list[str]] = {}
    for p in values:
        by_path.setdefault(p.path, []).append(p.example)
    for rel, examples in by_path.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n\n".join(examples) + "\n", encoding="utf-8")
    return values


def checked_secrets(values: list[Planted]) -> set[str]:
    return {p.secret for p in values if len(p.secret) >= MIN_CHECKED_LEN}


def test_every_rule_example_yields_a_plantable_value() -> None:
    rules = load_default_rules().rules
    values = planted_values()
    planted_rules = {p.rule.id for p in values}
    missing = [r.id for r in rules if r.id not in planted_rules]
    assert not missing, f"rules whose examples do not match their own regex: {missing}"
    assert len(values) >= len(rules)
