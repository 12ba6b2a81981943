"""The shipped secret rules: every rule's examples through the real engine and scanner, the rule
loader's validation, the packaged rules directory, and the project scanning itself clean.

Examples hold generators such as `{{alnum:36}}` that expand_example fills in at test time, so no
realistic credential is ever committed (the self-scan test checks that).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import hfguard
from hfguard.cli import main
from hfguard.secrets.engine import SecretEngine
from hfguard.models import Chunk
from hfguard.secrets.rules import (
    Rule,
    RuleError,
    RuleSet,
    default_rules_dir,
    expand_example,
    load_rule_files,
)
from hfguard.scanner import ScanOptions, scan_disk

REPO = Path(__file__).resolve().parent.parent
RULES_DIR = REPO / "rules"
RULE_FILES = sorted(RULES_DIR.glob("*.toml"))
# The path examples are scanned under: a text file, so rules limited to config files run too.
EXAMPLE_PATH = "snippets/example.txt"


def _ruleset() -> RuleSet:
    return load_rule_files(RULE_FILES)


RULESET = _ruleset()
RULES = {rule.id: rule for rule in RULESET.rules}


def _expand(rule: Rule, kind: str, index: int) -> str:
    template = (rule.tps if kind == "tp" else rule.fps)[index]
    return expand_example(template, f"{rule.id}:{kind}:{index}")


@pytest.fixture(scope="module")
def engine() -> SecretEngine:
    return SecretEngine(RULESET)


# Where a rule's examples are written: EXAMPLE_PATH, or for a rule limited to some files
# (`path`), the first of these its path regex takes.
_EXAMPLE_PATHS = (EXAMPLE_PATH, "home/.pgpass", "conf/app.ini", "config/settings.yaml", "snippets/.env")


def _example_path(rule: Rule) -> str:
    if rule.path is None:
        return EXAMPLE_PATH
    return next((p for p in _EXAMPLE_PATHS if rule.path.search(p)), EXAMPLE_PATH)


def _rule_ids(engine: SecretEngine, text: str, path: str = EXAMPLE_PATH) -> list[str]:
    return [m.rule_id for m in engine.scan(Chunk(text), path)]


# --- every rule's examples ---------------------------------------------------------------------


def _file_rule_ids(directory: Path, name: str, text: str) -> list[str]:
    """Rules for data columns (`field`): the example is a whole JSON or CSV file, read by the
    real readers, so values arrive with their key path / column name."""
    path = directory / (f"{name}.json" if text.lstrip().startswith("{") else f"{name}.csv")
    path.write_text(text, encoding="utf-8")
    return [f.rule for f in scan_disk([str(path)], ScanOptions(pii=False, jobs=1)).findings]


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_examples(engine: SecretEngine, rule_id: str, tmp_path: Path) -> None:
    """Each true-positive example yields a finding of the rule; each false positive does not."""
    rule = RULES[rule_id]

    def ids(kind: str, i: int) -> list[str]:
        text = _expand(rule, kind, i)
        if rule.field_regex is not None:
            return _file_rule_ids(tmp_path, f"{kind}{i}", text)
        return _rule_ids(engine, text, _example_path(rule))

    missed = [i for i in range(len(rule.tps)) if rule_id not in ids("tp", i)]
    noisy = [i for i in range(len(rule.fps)) if rule_id in ids("fp", i)]
    assert (missed, noisy) == ([], []), f"{rule_id}: tps{missed} not found, fps{noisy} reported"


def test_every_rule_has_examples_and_keywords() -> None:
    assert len(RULESET.rules) >= 120
    for rule in RULESET.rules:
        assert rule.tps, rule.id
        # The Aho-Corasick prefilter: specific lower-case keywords (data-column rules match on
        # the column name instead).
        assert rule.keywords or rule.field_regex is not None, rule.id
        assert all(k == k.lower() and len(k) >= 2 for k in rule.keywords), rule.id
        assert rule.category.value == "secret", rule.id


def test_examples_through_the_scanner(tmp_path: Path) -> None:
    """End to end: each true-positive example in its own file, one scan_disk over all of them."""
    expected: dict[str, str] = {}
    for rule in RULESET.rules:
        if rule.field_regex is not None:
            continue  # examples are whole data files: see test_rule_examples
        for i in range(len(rule.tps)):
            name = f"{rule.id}-{i}.txt"
            target = tmp_path / name
            if rule.path is not None:  # a rule for some files only: the file is named as they are
                target.mkdir()
                target = target / Path(_example_path(rule)).name
            target.write_text(_expand(rule, "tp", i) + "\n", encoding="utf-8")
            expected[name] = rule.id
    report = scan_disk([str(tmp_path)], ScanOptions(pii=False, jobs=1))
    assert not report.errors
    found: dict[str, set[str]] = {}
    for finding in report.findings:
        name = Path(finding.path).relative_to(tmp_path).parts[0]
        found.setdefault(name, set()).add(finding.rule)
        assert finding.category.value == "secret"
    missing = sorted(name for name, rule_id in expected.items() if rule_id not in found.get(name, set()))
    assert not missing


def test_every_blocking_secret_comes_with_a_fix_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The text report's `fix:` line is there for every rule's finding, whether or not its rule
    file writes a remediation of its own (the default: rules.DEFAULT_REMEDIATION)."""
    for rule in RULESET.rules:
        if rule.field_regex is None and rule.path is None:
            (tmp_path / f"{rule.id}.txt").write_text(_expand(rule, "tp", 0) + "\n", encoding="utf-8")
    assert main(["scan", str(tmp_path), "--no-pii", "--jobs", "1"]) == 1
    lines = capsys.readouterr().out.splitlines()
    heads = [i for i, line in enumerate(lines) if line.startswith(str(tmp_path))]
    assert len(heads) >= len(RULESET.rules) // 2
    ends = [*heads[1:], len(lines)]
    without = [lines[h] for h, end in zip(heads, ends) if not any(l.startswith("    fix: ") for l in lines[h + 1:end])]
    assert not without


def test_severities_follow_the_policy() -> None:
    for rule in RULESET.rules:
        if rule.id.startswith("generic-"):
            assert rule.severity.value in {"medium", "high"}, rule.id
        else:
            assert rule.severity.value in {"medium", "high", "critical"}, rule.id


# --- quiet cases that depend on the path or on several rules ------------------------------------


def _jwt(header: dict[str, object], claims: dict[str, object], signature: str) -> str:
    import base64

    def part(data: dict[str, object]) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return f"{part(header)}.{part(claims)}.{signature}"


def test_documented_jwt_example_is_quiet_but_its_look_alike_is_not(engine: SecretEngine) -> None:
    """jwt.io's example token (built here from parts, so no signed token is committed) is
    documentation; the same claims with another signature are a token to report."""
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {"sub": "1234567890", "name": "John Doe", "iat": 1516239022}
    documented = _jwt(header, claims, "SflKxwRJSMeKKF2QT4fwpMeJf36P" + "Ok6yJV_adQssw5c")
    other = _jwt(header, claims, expand_example("{{b64url:43}}", "jwt-look-alike"))
    assert "jwt" not in _rule_ids(engine, f"Authorization: Bearer {documented}")
    assert "jwt" in _rule_ids(engine, f"Authorization: Bearer {other}")


def test_azurite_emulator_key_is_quiet_but_its_look_alike_is_not(engine: SecretEngine) -> None:
    """The Azure Storage emulator's published account key (the global allowlist's prefix, the rest
    drawn here, so the key itself is not committed) is quiet wherever it stands; another key in
    the same places is reported."""
    emulator = "Eby8vdM02xNOcqFlqUwJPL" + expand_example("{{b64:64}}", "azurite") + "=="
    other = expand_example("{{b64:86}}", "azurite-look-alike") + "=="
    for template, rule_id in (
        ("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={};", "azure-storage-account-key"),
        ('storage_key = "{}"', "generic-named-key"),
    ):
        assert _rule_ids(engine, template.format(emulator)) == []
        assert rule_id in _rule_ids(engine, template.format(other))


def test_provider_token_is_reported_once(engine: SecretEngine) -> None:
    token = expand_example("hf_{{alpha:34}}", "once")
    matches = engine.scan(Chunk(f'token = "{token}"\nAPI_KEY={token}\n'), "settings.env")
    assert [m.rule_id for m in matches] == ["huggingface-access-token"] * 2


def test_lockfiles_and_minified_bundles_are_quiet_for_generic_rules(tmp_path: Path) -> None:
    digest = expand_example("{{b64:86}}", "lock")
    (tmp_path / "package-lock.json").write_text(
        json.dumps({"packages": {"node_modules/a": {"integrity": f"sha512-{digest}==", "token": digest[:40]}}})
    )
    filler = expand_example("{{alnum:60}}", "bundle")
    bundle = ";".join(f'var t{i}={{apiKey:"{filler[i:] + filler[:i]}",secret:"{filler[:30]}"}}' for i in range(40))
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "vendor.min.js").write_text(bundle)
    (tmp_path / "dist" / "app.3f2a.js").write_text(bundle)  # minified, without .min in the name
    report = scan_disk([str(tmp_path)], ScanOptions(pii=False, jobs=1))
    assert report.findings == []


def test_provider_token_in_a_minified_bundle_is_still_found(tmp_path: Path) -> None:
    token = expand_example("ghp_{{alnum:36}}", "bundle")
    filler = expand_example("{{alnum:60}}", "bundle2")
    (tmp_path / "app.min.js").write_text(";".join([f'var a="{filler}"'] * 30 + [f'var t="{token}"']))
    report = scan_disk([str(tmp_path)], ScanOptions(pii=False, jobs=1))
    assert [f.rule for f in report.findings] == ["github-pat"]
    assert token not in json.dumps(report.to_dict())


def test_config_only_rule_needs_a_config_path(engine: SecretEngine) -> None:
    text = expand_example("password = {{lower:12}}", "path")
    assert "generic-config-password" in _rule_ids(engine, text, "conf/app.ini")
    assert "generic-config-password" not in _rule_ids(engine, text, "src/app.py")


def test_credential_columns_in_data_files(tmp_path: Path) -> None:
    password = expand_example("{{alnum:14}}", "column")
    key = expand_example("{{hex:32}}", "column-key")
    (tmp_path / "users.csv").write_text(f"name,password,notes\nsomeone,{password},hello\nother,changeme,\n")
    (tmp_path / "config.json").write_text(json.dumps({"service": {"api_key": key, "pad_token": "<pad>"}}))
    report = scan_disk([str(tmp_path)], ScanOptions(pii=False, jobs=1))
    found = sorted((Path(f.path).name, f.rule, f.row, f.field) for f in report.findings)
    assert found == [
        ("config.json", "generic-data-secret-field", None, "service.api_key"),
        ("users.csv", "generic-data-password-field", 1, "password"),
    ]


# --- the rule loader ------------------------------------------------------------------------------

_VALID = """
[[rules]]
id = "demo-token"
description = "Demo token"
regex = '''\\b(demo_[a-z0-9]{20})\\b'''
keywords = ["demo_"]
tps = ['demo_{{lowerdigits:20}}']
"""


def _load(tmp_path: Path, text: str, name: str = "bad.toml") -> RuleSet:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_rule_files([path])


def test_loader_accepts_a_valid_file(tmp_path: Path) -> None:
    (rule,) = _load(tmp_path, _VALID).rules
    assert rule.id == "demo-token" and rule.secret_group == 1 and rule.source == "bad.toml"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t + 'colour = "red"\n', "unknown key"),
        (lambda t: t.replace("[a-z0-9]{20}", "[a-z0-9{20"), "does not compile"),
        (lambda t: t.replace("tps = ['demo_{{lowerdigits:20}}']\n", ""), "true-positive"),
        (lambda t: t + 'validator = "nonsense"\n', "unknown validator"),
        (lambda t: t.replace('keywords = ["demo_"]', "keywords = []"), "keyword"),
        (lambda t: t + 'allowlist = { regexTarget = "everything" }\n', "regexTarget"),
        (lambda t: t + "secretGroup = 3\n", "secretGroup"),
        (lambda t: t.replace("[a-z0-9]{20}", "[a-z0-9]{20}{{assignment}}"), "unknown part {{assignment}}"),
    ],
    ids=["unknown-key", "bad-regex", "no-examples", "unknown-validator", "no-keywords", "bad-target", "bad-group",
         "unknown-part"],
)
def test_loader_errors_name_file_and_rule(tmp_path: Path, change: object, message: str) -> None:
    assert callable(change)
    with pytest.raises(RuleError) as info:
        _load(tmp_path, change(_VALID))
    text = str(info.value)
    assert "bad.toml" in text and "demo-token" in text and message in text


def test_a_rule_file_can_use_the_shared_assignment_part(tmp_path: Path) -> None:
    """`{{assign}}` (regexparts.ASSIGN) takes the assignment forms of config and source files."""
    text = _VALID.replace(r"\b(demo_[a-z0-9]{20})\b", r"(?i)demo_?key(?![\w.-]){{assign}}[\"'`](demo_[a-z0-9]{20})")
    assert "{{assign}}" in text
    (rule,) = _load(tmp_path, text).rules
    value = "demo_" + "k3" * 10
    forms = (
        f'DEMO_KEY = "{value}"', f'var demoKey string = "{value}"', f"demo_key := `{value}`",
        f'DEMO_KEY ::= "{value}"', f'DEMO_KEY ?= "{value}"', f'$demo_key .= "{value}";',
        f'demo_key <- "{value}"', f'val demoKey: String = "{value}"', '{\\"demo_key\\": \\"' + value + '\\"}',
    )
    for line in forms:
        match = rule.regex.search(line)
        assert match is not None and match.group(1) == value, line
    assert rule.regex.search(f'["demo_key", "{value}"]') is None  # a list of names is no assignment


def test_loader_rejects_duplicate_ids_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(_VALID, encoding="utf-8")
    (tmp_path / "b.toml").write_text(_VALID, encoding="utf-8")
    with pytest.raises(RuleError) as info:
        load_rule_files([tmp_path / "a.toml", tmp_path / "b.toml"])
    assert "b.toml" in str(info.value) and "demo-token" in str(info.value) and "a.toml" in str(info.value)


def test_allowlist_targets(tmp_path: Path) -> None:
    text = _VALID + (
        "\n[[rules.allowlists]]\nregexTarget = \"line\"\nregexes = ['''skip-this-line''']\n"
        "\n[[rules.allowlists]]\nregexTarget = \"match\"\nregexes = ['''^demo_0''']\n"
    )
    engine = SecretEngine(_load(tmp_path, text, "ok.toml"))
    value = expand_example("demo_1{{lowerdigits:19}}", "target")
    assert [m.rule_id for m in engine.scan(Chunk(f"x = {value}"), "a.txt")] == ["demo-token"]
    assert engine.scan(Chunk(f"x = {value}  # skip-this-line"), "a.txt") == []
    assert engine.scan(Chunk("x = demo_0" + value[6:]), "a.txt") == []


def test_example_generators() -> None:
    value = expand_example("{{hex:40}}|{{b32:16}}|{{base64:user:{{alnum:8}}}}", "seed")
    hex_part, b32_part, b64_part = value.split("|")
    assert len(hex_part) == 40 and set(hex_part) <= set("0123456789abcdef")
    assert len(b32_part) == 16 and set(b32_part) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    import base64

    assert base64.b64decode(b64_part).decode().startswith("user:")
    assert expand_example("{{hex:40}}", "seed") == expand_example("{{hex:40}}", "seed")


# --- packaging and self-scan ----------------------------------------------------------------------


@pytest.mark.skipif(os.environ.get("HFGUARD_TEST_INSTALLED") != "1", reason="set HFGUARD_TEST_INSTALLED=1")
def test_installed_package_ships_the_rules() -> None:
    package = Path(hfguard.__file__).resolve().parent
    rules_dir = default_rules_dir().resolve()
    assert rules_dir.is_relative_to(package), f"{rules_dir} is not inside {package}"
    shipped = {p.name: p.read_bytes() for p in rules_dir.glob("*.toml")}
    source = {p.name: p.read_bytes() for p in RULE_FILES}
    assert shipped == source


def _own_tree() -> list[str]:
    names = ["rules", "hfguard", "tests", "hooks", "examples", ".ci", "README.md", "pyproject.toml",
             "setup.py", ".pre-commit-hooks.yaml", ".gitignore"]
    paths = [str(REPO / n) for n in names if (REPO / n).exists()]
    paths += [str(p) for p in sorted((REPO / "bench").glob("*.py"))]  # not bench/_work (generated)
    return paths


def test_the_project_scans_itself_clean(tmp_path: Path) -> None:
    if not RULES_DIR.is_dir():
        pytest.skip("not a source checkout")
    out = tmp_path / "report.json"
    code = main(["scan", *_own_tree(), "--no-pii", "--format", "json", "--output", str(out)])
    report = json.loads(out.read_text())
    secrets = [f"{f['path']}:{f['line']} {f['rule']}" for f in report["findings"] if f["category"] == "secret"]
    assert secrets == []
    assert code == 0, report["errors"]
