"""Configuration: discovery and precedence, every key taking effect, bad keys and values exit 2."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from secretgen import hf_token, rand

from hfguard.cli import main
from hfguard.policy.config import DEFAULT_CONFIG, Config, PiiConfig
from hfguard.policy.discover import load_config
from hfguard.models import Severity

TICKET = "tkt_" + rand("hex", 24, "ticket")


def scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code = main(["scan", "--no-pii", "--format", "json", "--show-suppressed", *args])
    out = capsys.readouterr().out
    return code, (json.loads(out) if out.strip() else {})


def paths_of(report: dict[str, object], key: str = "findings") -> list[str]:
    return sorted(f["path"] for f in report[key])  # type: ignore[attr-defined,index]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    for folder in ("src", "data/raw", "tests/fixtures", "docs"):
        (root / folder).mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "src" / "app.py").write_text(f'TOKEN = "{hf_token("app")}"\n')
    (root / "data" / "raw" / "dump.txt").write_text(f"key={hf_token('dump')}\n")
    (root / "tests" / "fixtures" / "fake.py").write_text(f'T = "{hf_token("fixture")}"\n')
    (root / "docs" / "notes.md").write_text(f"token {hf_token('docs')}\n")
    monkeypatch.chdir(root)
    return root


# --- discovery and precedence ---------------------------------------------------------------


def test_discovery_order(project: Path, tmp_path: Path) -> None:
    assert load_config(None, project).source is None  # no file: defaults
    (project / ".hfguard.toml").write_text('fail_on = "high"\n')
    assert load_config(None, project).fail_on is Severity.HIGH
    # pyproject.toml without [tool.hfguard] does not count...
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert load_config(None, project).source == str(project / ".hfguard.toml")
    # ...with it, it wins over .hfguard.toml.
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.hfguard]\nfail_on = "critical"\n')
    assert load_config(None, project).fail_on is Severity.CRITICAL
    # A subfolder without its own file uses the repository root's; with one, its own.
    assert load_config(None, project / "src").fail_on is Severity.CRITICAL
    (project / "src" / ".hfguard.toml").write_text('fail_on = "low"\n')
    assert load_config(None, project / "src").fail_on is Severity.LOW
    # --config wins over everything.
    other = tmp_path / "other.toml"
    other.write_text('fail_on = "medium"\n')
    assert load_config(other, project / "src").fail_on is Severity.MEDIUM


def test_discovery_stops_at_the_repository_root(project: Path) -> None:
    (project.parent / ".hfguard.toml").write_text('fail_on = "low"\n')  # outside the repo
    assert load_config(None, project / "src").source is None


def test_help_states_the_precedence(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "--config FILE; else [tool.hfguard] in pyproject.toml, else .hfguard.toml" in out
    assert "root of its git repository" in out and "hfguard: allow" in out


# --- keys take effect -------------------------------------------------------------------------


def test_exclude_gitignore_style(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / ".hfguard.toml").write_text('exclude = ["data/", "*.md", "tests/**", "!tests/fixtures/fake.py"]\n')
    code, report = scan(capsys)
    assert code == 1 and paths_of(report) == ["src/app.py"]  # a folder, a glob; fixtures/ stays out
    # Patterns are relative to the config file, whatever folder is scanned or how it is named.
    code, report = scan(capsys, "data")
    assert code == 0 and report["findings"] == [] and report["stats"]["files"] == 0  # type: ignore[index]
    code, report = scan(capsys, str(project / "docs" / "notes.md"))  # a file named explicitly
    assert code == 0 and report["findings"] == []


def test_include_limits_the_scan(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / ".hfguard.toml").write_text('include = ["src/", "*.md"]\n')
    code, report = scan(capsys)
    assert code == 1 and paths_of(report) == ["docs/notes.md", "src/app.py"]


def test_disable_rule(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / ".hfguard.toml").write_text('disable = ["huggingface-access-token"]\n')
    code, report = scan(capsys)
    assert code == 0 and report["findings"] == []
    assert main(["rules", "--format", "json"]) == 0
    ids = {r["id"] for r in json.loads(capsys.readouterr().out)["rules"]}
    assert "huggingface-access-token" not in ids


def _medium_rule(extra: str = "") -> str:
    return (
        "[[rules]]\n"
        'id = "internal-ticket-key"\n'
        'description = "Internal ticket system key"\n'
        'severity = "medium"\n'
        "regex = '''\\b(tkt_[0-9a-f]{24})\\b'''\n"
        'keywords = ["tkt_"]\n'
        "tps = ['key = tkt_{{hex:24}}']\n"
        "fps = ['key = tkt_short']\n" + extra
    )


def test_custom_rule_and_fail_on(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "src" / "ticket.py").write_text(f"KEY = '{TICKET}'\n")
    (project / ".hfguard.toml").write_text('exclude = ["data/", "docs/", "tests/"]\n' + _medium_rule())
    code, report = scan(capsys)
    assert code == 1
    rules = {(f["rule"], f["blocking"]) for f in report["findings"]}  # type: ignore[attr-defined]
    assert rules == {("huggingface-access-token", True), ("internal-ticket-key", True)}
    # fail_on = "high": the medium custom finding is still reported, it no longer blocks.
    (project / ".hfguard.toml").write_text('fail_on = "high"\nexclude = ["data/", "docs/", "tests/"]\n' + _medium_rule())
    (project / "src" / "app.py").write_text("TOKEN = None\n")
    code, report = scan(capsys)
    assert code == 0
    (finding,) = report["findings"]  # type: ignore[misc]
    assert finding["rule"] == "internal-ticket-key" and finding["blocking"] is False


def test_extend_default_false_keeps_only_custom_rules(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "src" / "ticket.py").write_text(f"KEY = '{TICKET}'\n")
    (project / ".hfguard.toml").write_text("extend_default = false\n" + _medium_rule())
    code, report = scan(capsys)
    assert code == 1 and {f["rule"] for f in report["findings"]} == {"internal-ticket-key"}  # type: ignore[attr-defined]


def test_custom_rule_replaces_a_default_rule_of_the_same_id(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text(
        "[[tool.hfguard.rules]]\n"
        'id = "huggingface-access-token"\n'
        'description = "HF token, only in src/"\n'
        'severity = "low"\n'
        "regex = '''\\b(hf_[A-Za-z]{34})\\b'''\n"
        'keywords = ["hf_"]\n'
        "path = '''^src/'''\n"
    )
    code, report = scan(capsys)
    assert code == 0  # low does not block
    assert paths_of(report) == ["src/app.py"]


def test_categories_limit_what_runs(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / ".hfguard.toml").write_text('categories = ["pii", "health"]\n')
    code, report = scan(capsys)
    assert code == 0 and report["findings"] == []


def test_max_file_size(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "data" / "raw" / "dump.txt").write_text("x" * 5000 + f"\nkey={hf_token('dump')}\n")
    (project / ".hfguard.toml").write_text('max_file_size = "4KB"\nexclude = ["src/", "docs/", "tests/"]\n')
    code, report = scan(capsys)
    # Fail closed: not scanned is an error (exit 2) that names the key and the way out (exclude).
    assert code == 2 and report["findings"] == []
    (error,) = report["errors"]  # type: ignore[misc]
    assert "max_file_size" in error["message"] and "exclude" in error["message"]


def test_allowlist_stopwords_regexes_paths(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app, fixture = hf_token("app"), hf_token("fixture")
    (project / ".hfguard.toml").write_text(
        'exclude = ["data/"]\n'
        "[allowlist]\n"
        f'stopwords = ["{app[5:12].upper()}"]\n'  # case-insensitive substring of the value
        f"regexes = ['^{fixture[:10]}']\n"
        "paths = ['''^docs/''']\n"
    )
    code, report = scan(capsys)
    assert code == 0 and report["findings"] == []
    assert paths_of(report, "suppressed") == ["docs/notes.md", "src/app.py", "tests/fixtures/fake.py"]
    assert {f["suppressed"] for f in report["suppressed"]} == {"config"}  # type: ignore[attr-defined]


def test_allow_table_by_path(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text(
        "[[tool.hfguard.allow]]\n"
        'path = "tests/fixtures/"\n'
        'reason = "generated test keys"\n'
        "[[tool.hfguard.allow]]\n"
        'path = "*.md"\n'
        'rules = ["some-other-rule"]\n'  # narrowed to another rule: does not apply
    )
    code, report = scan(capsys)
    assert code == 1
    assert paths_of(report) == ["data/raw/dump.txt", "docs/notes.md", "src/app.py"]
    assert paths_of(report, "suppressed") == ["tests/fixtures/fake.py"]


def test_pii_table_is_parsed(project: Path) -> None:
    (project / ".hfguard.toml").write_text(
        '[pii]\nentities = ["EMAIL_ADDRESS"]\nspacy_model = "en_core_web_sm"\nscore_threshold = 0.7\n'
    )
    config = load_config(None, project)
    assert config.pii == PiiConfig(entities=("EMAIL_ADDRESS",), spacy_model="en_core_web_sm", score_threshold=0.7)


# --- bad keys and values ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, key, words",
    [
        ('exclud = ["x"]\n', "exclud", "did you mean 'exclude'"),
        ('fail_on = "severe"\n', "fail_on", "low, medium, high, critical"),
        ('categories = ["secrets"]\n', "categories", "secret, pii, health"),
        ("categories = []\n", "categories", "at least one"),
        ('exclude = "data/"\n', "exclude", "list of strings"),
        ("max_file_size = -3\n", "max_file_size", "positive"),
        ('max_file_size = "lots"\n', "max_file_size", "size"),
        ("extend_default = 1\n", "extend_default", "true or false"),
        ("extend_default = false\n", "extend_default", "no [[rules]]"),
        ('baseline = 3\n', "baseline", "path"),
        ("[allowlist]\nregexes = ['(unclosed']\n", "allowlist.regexes", "does not compile"),
        ("[allowlist]\npaths = ['*.csv']\n", "allowlist.paths", "does not compile"),
        ('[allowlist]\nstopwords = [""]\n', "allowlist.stopwords", "empty"),
        ("[allowlist]\nfiles = []\n", "allowlist.files", "not a known key"),
        ("[pii]\nscore_threshold = 2\n", "pii.score_threshold", "0 to 1"),
        ('[pii]\nscore_threshold = "high"\n', "pii.score_threshold", "number"),
        ('[pii]\nmodel = "x"\n', "pii.model", "did you mean 'spacy_model'"),
        ("pii = 3\n", "pii", "table"),
        ('[[allow]]\nfield = "email"\n', "allow[0]", "needs a 'path'"),
        ('[[allow]]\npath = "a"\ncategory = ["pii"]\n', "allow[0].category", "did you mean 'categories'"),
        ('[[allow]]\npath = "!"\n', "allow[0].path", "bad pattern"),
        ('[[rules]]\nid = "x"\ndescription = "d"\nregex = "("\nkeywords = ["x"]\n', "rules[0]", "does not compile"),
        ('[[rules]]\nid = "x"\ndescription = "d"\nregex = "x[0-9]+"\n', "rules[0]", "keyword"),
        ('[[rules]]\nid = "x"\ndescription = "d"\nregex = "x[0-9]+"\nkeywords = ["x"]\ntps = ["nothing"]\n',
         "rules[0]", "tps[0] is not detected"),
        (("[[rules]]\n" 'id = "x"\ndescription = "d"\nregex = "x[0-9]+"\nkeywords = ["x"]\n'
          "[[rules]]\n" 'id = "x"\ndescription = "d"\nregex = "y[0-9]+"\nkeywords = ["y"]\n'), "rules[1]", "twice"),
        ("fail_on = \n", "", "not valid TOML"),
    ],
)
def test_bad_config_exits_2_naming_key_and_file(
    project: Path, capsys: pytest.CaptureFixture[str], text: str, key: str, words: str
) -> None:
    (project / ".hfguard.toml").write_text(text)
    assert main(["scan", "--no-pii"]) == 2
    err = capsys.readouterr().err
    assert str(project / ".hfguard.toml") in err
    assert (not key or f"'{key}" in err) and words in err, err
    assert "Traceback" not in err and err.count("\n") == 1


def test_bad_key_in_pyproject_names_the_full_key(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text('[tool.hfguard]\nfail_on = "high"\n\n[tool.hfguard.pii]\nentity = ["X"]\n')
    assert main(["scan", "--no-pii"]) == 2
    err = capsys.readouterr().err
    assert "pyproject.toml: 'tool.hfguard.pii.entity' is not a known key (did you mean 'entities'?)" in err


def test_explicit_config_problems(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--no-pii", "--config", str(tmp_path / "missing.toml")]) == 2
    assert "missing.toml: config file not found" in capsys.readouterr().err
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert main(["scan", "--no-pii", "--config", str(tmp_path / "pyproject.toml")]) == 2
    assert "no [tool.hfguard] table" in capsys.readouterr().err
    assert main(["rules", "--config", str(tmp_path / "missing.toml")]) == 2


def _readme_configs(tmp_path: Path) -> list[Config]:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    configs, at = [], 0
    while "```toml\n[tool.hfguard]" in readme[at:]:
        start = readme.index("```toml\n[tool.hfguard]", at) + len("```toml\n")
        at = readme.index("```", start)
        folder = tmp_path / str(len(configs))
        folder.mkdir()
        (folder / "pyproject.toml").write_text(readme[start:at])
        configs.append(load_config(folder / "pyproject.toml"))
    return configs


def test_readme_defaults_are_the_defaults(tmp_path: Path) -> None:
    """The block the README shows as the defaults is what hfguard runs with when no file is found."""
    defaults = _readme_configs(tmp_path)[0]
    assert dataclasses.replace(defaults, source=None, root=None) == DEFAULT_CONFIG


def test_readme_example_is_a_valid_config(tmp_path: Path) -> None:
    config = _readme_configs(tmp_path)[1]
    tmp_path = tmp_path / "1"
    assert config.exclude and config.allow and config.custom_rules and config.pii.spacy_model
    assert config.extend_default is True and config.baseline == str(tmp_path / ".hfguard-baseline.json")
