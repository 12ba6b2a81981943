"""The hygiene checks: ids, default severities and what to do about each (for `hfguard rules`,
SARIF rule descriptors and the report's messages). An explicit registry, as rules/ is for secrets."""
from __future__ import annotations

from dataclasses import dataclass

from hfguard.models import Category, Chunk, Match, Severity


@dataclass(frozen=True)
class HygieneRule:
    id: str
    severity: Severity
    description: str
    remediation: str


_L, _C = Severity.LOW, Severity.CRITICAL

RULES: dict[str, HygieneRule] = {rule.id: rule for rule in (
    HygieneRule("card-license-missing", _L, "Model or dataset card without a `license:` in its metadata",
                "add `license: <Hub licence id>` to the card's YAML front matter (e.g. apache-2.0, mit, cc-by-4.0)"),
    HygieneRule("card-license-unknown", _L, "Card licence that is not a Hub licence id",
                "use an id from the Hub's licence list; for `license: other` also set `license_name` "
                "(and `license_link` to the licence text)"),
    HygieneRule("card-sections-missing", _L,
                "Model card without a section on limitations/risks/bias, intended use or evaluation",
                "add the missing sections (## Bias, Risks, and Limitations; ## Uses; ## Evaluation)"),
    HygieneRule("pickle-dangerous-import", _C, "Pickle that imports callables which run code when loaded",
                "do not publish it: loading it runs code (os.system, eval, ...); re-save the weights as safetensors"),
    HygieneRule("pickle-unsafe-format", _L, "Pickle-based file (loading it can run code)",
                "prefer safetensors (safetensors.torch.save_file / save_pretrained(safe_serialization=True))"),
    HygieneRule("code-trust-remote-code", _L, "trust_remote_code=True runs code from a Hub repository",
                "review the repository's code and pin its revision=, or load a model that needs no remote code"),
    HygieneRule("code-unpinned-revision", _L,
                "Model or dataset loaded from the Hub without a pinned revision",
                "pin a revision: revision=\"<commit sha>\" (or a tag), so the code loads what you tested"),
)}


def make_match(rule_id: str, chunk: Chunk, start: int, end: int, evidence: str, message: str) -> Match:
    """A hygiene match. `evidence` is what the report shows as the preview: never secret text
    (a licence id, a call, a pickle import), kept short and printable by the checks."""
    rule = RULES[rule_id]
    return Match(rule.id, Category.HYGIENE, rule.severity, chunk, start, end, evidence, message)


def descriptions() -> dict[str, str]:
    return {rule_id: rule.description for rule_id, rule in RULES.items()}
