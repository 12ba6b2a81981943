"""Issue 15: a secret rule that finds a credential in a text file finds it in the same content
saved as JSON or JSON Lines, under the same rule id, once, at the value's line and key path.

The JSON reader hands the engine string values grouped by key path; rules that need the key
(`"wandb_api_key": "..."`) or a neighbour (kaggle.json's `"username"`) see the JSON text around
keys that hold their keywords. The data-column rules (generic-data-*-field) are a last resort.
Everything is built at run time (tests/secretgen.py, rules' own examples, a real RSA key).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from secretgen import aws_key_id, aws_secret, rand

from hfguard.models import Finding
from hfguard.scanner import ScanOptions, scan_disk
from hfguard.secrets.rules import Rule, expand_example, load_default_rules

RULES = load_default_rules().rules
# The rules for data columns and JSON keys named like secrets (`"api_key": ...`): of generic
# rules on one value, theirs is the finding in JSON (a provider's rule wins over them).
DATA_FIELD_RULES = frozenset(r.id for r in RULES if r.field_regex is not None and r.id.startswith("generic-"))


def _scan(*paths: Path) -> list[Finding]:
    report = scan_disk([str(p) for p in paths], ScanOptions(pii=False, jobs=1))
    assert not report.errors, report.errors
    return report.findings


def _where(findings: list[Finding]) -> list[tuple[str, int | None, int | None]]:
    return sorted((f.rule, f.line, f.column) for f in findings)


# --- every shipped rule's first true example, wrapped as JSON ----------------------------------

# `NAME = value`, `NAME: "value"`, `export NAME=value`: an example of one name and one value.
_NAME_VALUE = re.compile(
    r"""^\s*(?:export\s+|set\s+)?["']?([A-Za-z_][\w.\-]*)["']?\s*(?::=|=|:)\s*(["']?)([^"'\s]+)\2\s*[,;]?\s*$"""
)
# (rule, shape) whose wrapped example is not expected: why.
_NOT_IN_JSON = {
    # Its keyword is in one value (`"method": "auth.login_with_api_key"`) and the key in another
    # (`"params": ["8-..."]`): around a keyword inside a value, only that value is scanned.
    ("truenas-api-key", "document"): "keyword in one value, credential in a sibling value",
    # Generic rules do not run around JSON keys (their keywords, key/token/secret, are in most
    # keys); the data-column rules judge a value by its key's name, and `paymongo_key` is not a
    # name they take (api_key, access_key, private_key, secret, token are).
    ("generic-named-key", "name-value"): "generic rule; the key name is not one the data-column rules take",
}


def _wrapped(rule: Rule) -> dict[str, object]:
    """Shapes of the rule's first true example as JSON: a string value holding it, an object of
    its one name and value, and the example itself when it is a JSON document."""
    example = expand_example(rule.tps[0], f"{rule.id}:tp:0")
    shapes: dict[str, object] = {"string": {"text": example}}
    m = _NAME_VALUE.match(example) if "\n" not in example.strip() else None
    if m:
        shapes["name-value"] = {m.group(1): m.group(3)}
    try:
        document = json.loads(example)
    except ValueError:
        pass
    else:
        if isinstance(document, (dict, list)):
            shapes["document"] = example
    return shapes


def test_every_rule_example_is_found_in_json_and_jsonl(tmp_path: Path) -> None:
    """Each rule's first true example (found in a text file: tests/test_rules.py), as a JSON
    string value, as a {"name": "value"} object for `name = value` examples, and as itself when
    it is JSON, in a .json and a .jsonl file: the rule is reported there too (a generic rule's
    example under a key named like a secret: that value's data-column rule, also generic)."""
    expected: dict[str, str] = {}
    skipped: dict[str, str] = {}
    shapes_seen: set[str] = set()
    for rule in RULES:
        if rule.field_regex is not None:  # data-column rules: their examples are JSON/CSV files already
            continue
        for shape, content in _wrapped(rule).items():
            for ext in ("json", "jsonl"):
                name = f"{rule.id}--{shape}.{ext}"
                if rule.path is not None and not rule.path.search(name):
                    skipped[name] = "rule limited to other files"
                    continue
                if (rule.id, shape) in _NOT_IN_JSON:
                    skipped[name] = _NOT_IN_JSON[rule.id, shape]
                    continue
                if isinstance(content, str):  # the example is a JSON document: as written
                    text = content if ext == "json" else json.dumps(json.loads(content))
                else:
                    text = json.dumps(content, indent=2) if ext == "json" else json.dumps(content)
                (tmp_path / name).write_text(text + "\n", encoding="utf-8")
                expected[name] = rule.id
                shapes_seen.add(shape)
    assert shapes_seen == {"string", "name-value", "document"}
    assert len(expected) > 900, len(expected)  # (most rules: 324 rules, 1,116 files, when written)
    found: dict[str, set[str]] = {}
    for finding in _scan(tmp_path):
        found.setdefault(Path(finding.path).name, set()).add(finding.rule)

    def reported(name: str, rule_id: str) -> bool:
        rules = found.get(name, set())
        return rule_id in rules or (rule_id.startswith("generic-") and bool(rules & DATA_FIELD_RULES))

    missed = {name: sorted(found.get(name, ())) for name, rule_id in sorted(expected.items())
              if not reported(name, rule_id)}
    assert not missed, f"{len(missed)} of {len(expected)} not found (file: rules found instead): {missed}"
    # The exceptions are few and named: a rule limited to other files, or _NOT_IN_JSON.
    assert len(skipped) <= 20, skipped


# --- the trial's files -------------------------------------------------------------------------


def test_kaggle_json_is_a_kaggle_key(tmp_path: Path) -> None:
    """kaggle.json as Kaggle writes it: one finding, kaggle-api-key, at the key's value."""
    key = rand("hex", 32, "kaggle")
    content = json.dumps({"username": "janedoe", "key": key})
    (tmp_path / "kaggle.json").write_text(content, encoding="utf-8")
    (tmp_path / "kaggle.txt").write_text(content, encoding="utf-8")
    found = _scan(tmp_path / "kaggle.json")
    assert [(f.rule, f.line, f.column, f.field) for f in found] == [
        ("kaggle-api-key", 1, content.index(key) + 1, "key")]
    assert found[0].blocking
    assert _where(found) == _where(_scan(tmp_path / "kaggle.txt"))


# The trial's six names (values built from parts), each with the rule a text file gives.
_SIX = {
    "aws_secret_access_key": ("aws-secret-access-key", lambda: aws_secret("six")),
    "wandb_api_key": ("wandb-api-key", lambda: rand("hex", 40, "wandb")),
    "cohere_api_key": ("cohere-api-key", lambda: rand("alnum", 40, "cohere")),
    "mistral_api_key": ("mistral-api-key", lambda: rand("alnum", 32, "mistral")),
    "twilio_auth_token": ("twilio-auth-token", lambda: rand("hex", 32, "twilio")),
    "azure_openai_api_key": ("ai-service-api-key", lambda: rand("hex", 32, "azure")),
}


@pytest.mark.parametrize("ext", ["json", "jsonl"])
def test_provider_names_survive_in_json(tmp_path: Path, ext: str) -> None:
    """Each of the six keys is its provider's rule, once, at its line and key path, as in YAML;
    none is the data-column rule."""
    values = {name: make() for name, (_, make) in _SIX.items()}
    yaml = tmp_path / "keys.yaml"
    yaml.write_text("".join(f"{k}: {v}\n" for k, v in values.items()), encoding="utf-8")
    target = tmp_path / f"keys.{ext}"
    if ext == "json":
        target.write_text(json.dumps(values, indent=2) + "\n", encoding="utf-8")
    else:  # a record before it, and the keys in a nested object
        target.write_text(json.dumps({"id": "run-1"}) + "\n" + json.dumps({"env": values}) + "\n", encoding="utf-8")
    found = _scan(target)
    got = sorted((f.field, f.rule) for f in found)
    prefix = "" if ext == "json" else "env."
    assert got == sorted((prefix + name, rule) for name, (rule, _) in _SIX.items())
    assert sorted(f.rule for f in _scan(yaml)) == sorted(rule for rule, _ in _SIX.values())
    for f in found:
        value = values[f.field.removeprefix(prefix)]
        line_no = f.line or 0
        line = target.read_text(encoding="utf-8").splitlines()[line_no - 1]
        assert line[(f.column or 0) - 1:].startswith(value), (f.rule, line_no, f.column)
        if ext == "jsonl":
            assert (f.row, f.line) == (2, 2)


def _private_key_pem() -> str:
    """A real RSA key (cryptography), else a PEM-shaped stand-in of random base64 lines."""
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
    except ImportError:
        body = "\n".join(rand("b64", 64, f"pem{i}") for i in range(25))
        return f"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC{body}\n-----END PRIVATE KEY-----\n"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.mark.parametrize("ext", ["json", "jsonl"])
def test_gcp_service_account_file_is_a_service_account_key(tmp_path: Path, ext: str) -> None:
    """A service-account key file: gcp-service-account-key once (not private-key), at the
    private_key value, as in a text file of the same content; the key id next to it is not
    a secret of its own (a text file's generic rule reports it; JSON keys are judged by name)."""
    account = {
        "type": "service_account",
        "project_id": "ml-proj-" + rand("digits", 4, "proj"),
        "private_key_id": rand("hex", 40, "kid"),
        "private_key": _private_key_pem(),
        "client_email": "trainer@ml-proj.iam.gserviceaccount.com",
        "client_id": rand("digits", 21, "cid"),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    content = json.dumps(account, indent=2) if ext == "json" else json.dumps(account)
    (tmp_path / f"sa.{ext}").write_text(content + "\n", encoding="utf-8")
    (tmp_path / "sa.txt").write_text(content + "\n", encoding="utf-8")
    found = _scan(tmp_path / f"sa.{ext}")
    keys = [f for f in found if f.field == "private_key"]
    assert [f.rule for f in keys] == ["gcp-service-account-key"]
    assert "private-key" not in {f.rule for f in found}
    line_no = next(i for i, line in enumerate(content.splitlines(), 1) if '"private_key"' in line)
    assert keys[0].line == line_no
    assert keys[0].column == content.splitlines()[line_no - 1].index("-----BEGIN") + 1
    assert not [f.rule for f in found if f.rule.startswith("generic-")]
    named_in_text = [w for w in _where(_scan(tmp_path / "sa.txt")) if not w[0].startswith("generic-")]
    assert _where(found) == named_in_text


def test_aws_credentials_json_names_each_part(tmp_path: Path) -> None:
    """`aws sts`/`credential_process` JSON and ~/.aws-style names in JSON: the AWS rules, as in
    the same text in a .txt file (the secret key was the data-column rule, the session token
    nothing)."""
    sts = {
        "Version": 1,
        "AccessKeyId": aws_key_id("sts"),
        "SecretAccessKey": aws_secret("sts"),
        "SessionToken": rand("b64", 300, "session"),
        "Expiration": "2026-12-01T08:00:00Z",
    }
    profile = {"default": {"aws_access_key_id": aws_key_id("profile"), "aws_secret_access_key": aws_secret("profile")}}
    for name, document in (("sts", sts), ("profile", profile)):
        content = json.dumps(document, indent=2) + "\n"
        (tmp_path / f"{name}.json").write_text(content, encoding="utf-8")
        (tmp_path / f"{name}.txt").write_text(content, encoding="utf-8")
        found = _scan(tmp_path / f"{name}.json")
        assert _where(found) == _where(_scan(tmp_path / f"{name}.txt")), name
        assert "generic-data-secret-field" not in {f.rule for f in found}
    assert {f.rule for f in _scan(tmp_path / "sts.json")} == {
        "aws-access-key-id", "aws-secret-access-key", "aws-session-token"}
    assert sorted((f.field, f.rule) for f in _scan(tmp_path / "profile.json")) == [
        ("default.aws_access_key_id", "aws-access-key-id"),
        ("default.aws_secret_access_key", "aws-secret-access-key"),
    ]


def test_key_path_of_a_value_in_a_list(tmp_path: Path) -> None:
    """The finding names the exact key path and line of the value, in a list of objects."""
    token = rand("hex", 40, "wandb-list")
    document = {"runs": [{"name": "a", "wandb_api_key": "${WANDB_API_KEY}"}, {"name": "b", "wandb_api_key": token}]}
    content = json.dumps(document, indent=2) + "\n"
    (tmp_path / "runs.json").write_text(content, encoding="utf-8")
    found = _scan(tmp_path / "runs.json")
    line_no = next(i for i, line in enumerate(content.splitlines(), 1) if token in line)
    assert [(f.rule, f.field, f.line) for f in found] == [("wandb-api-key", "runs[1].wandb_api_key", line_no)]


def test_a_provider_rule_on_a_key_beats_the_data_column_rule(tmp_path: Path) -> None:
    """The data-column rules stay for names no other rule knows; on a name a provider's rule
    knows, the provider's rule is the one finding (once, not one per rule)."""
    other = rand("hex", 32, "plain-api-key")
    wandb = rand("hex", 40, "wandb-once")
    (tmp_path / "cfg.json").write_text(json.dumps({"api_key": other, "wandb_api_key": wandb}, indent=2), encoding="utf-8")
    found = _scan(tmp_path / "cfg.json")
    assert sorted((f.field, f.rule) for f in found) == [
        ("api_key", "generic-data-secret-field"),
        ("wandb_api_key", "wandb-api-key"),
    ]


@pytest.mark.parametrize("ext", ["json", "jsonl"])
def test_redact_removes_what_the_scan_names_by_its_key(tmp_path: Path, ext: str) -> None:
    """`hfguard redact` redacts values the scan names by their key's provider (the copy's scan
    has nothing that blocks): its own detection of a column names them by the key (a
    data-column rule), which stands for the scan's finding in that column."""
    from hfguard.cli import main

    values = {name: make() for name, (_, make) in _SIX.items()}
    source = tmp_path / "in" / f"keys.{ext}"
    source.parent.mkdir()
    if ext == "json":
        source.write_text(json.dumps(values, indent=2) + "\n", encoding="utf-8")
    else:
        source.write_text(json.dumps({"id": "run-1"}) + "\n" + json.dumps(values) + "\n", encoding="utf-8")
    assert {f.rule for f in _scan(source)} == {rule for rule, _ in _SIX.values()}
    out = tmp_path / "out"
    assert main(["redact", str(source), "--output", str(out), "--no-pii"]) == 0
    copy = next(out.rglob(f"keys.{ext}")).read_text(encoding="utf-8")
    assert not [name for name, value in values.items() if value in copy]
    assert not _scan(next(out.rglob(f"keys.{ext}")))


def test_keys_are_quoted_as_json_writes_them() -> None:
    """engine._quoted's shortcut (a key with nothing to escape is only quoted) agrees with
    json.dumps(key, ensure_ascii=False) on every kind of key."""
    import json
    import random

    from hfguard.secrets.engine import _quoted

    rng = random.Random(15)
    alphabet = 'aZ09_-. "\\\t\n\x00\x7f\u00e9\u2028\u4e2d\U0001f600/'
    keys = ["api_key", "wandb_api_key", 'a"b', "a\\b", "tab\there", "\u00fcn\u00efcode", "line\u2028sep"]
    keys += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(2000)]
    assert [_quoted(k) for k in keys] == [json.dumps(k, ensure_ascii=False) for k in keys]
