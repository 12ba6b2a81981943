"""Hygiene in the reports and commands: `hfguard rules`, JSON and SARIF `category: "hygiene"`, the
text report's "Before you publish" part, the demo project, and the project's scan of itself."""
from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from secretgen import hf_token

from hfguard.cli import main
from hfguard.hygiene import RULES
from hfguard.report.text import HYGIENE_HEADING

CHECKOUT = Path(__file__).resolve().parents[1]
HYGIENE_IDS = {
    "card-license-missing", "card-license-unknown", "card-sections-missing", "pickle-dangerous-import",
    "pickle-unsafe-format", "code-trust-remote-code", "code-unpinned-revision",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A token (secret, blocks), an unlicensed card and an unpinned loader (hygiene, low)."""
    (tmp_path / "README.md").write_text("---\nlanguage: en\n---\n# Model\n")
    (tmp_path / "train.py").write_text(f'TOKEN = "{hf_token("hygiene-report")}"\n'
                                       'model = AutoModel.from_pretrained("org/model")\n')
    (tmp_path / "weights.pkl").write_bytes(pickle.dumps({"w": [1.0, 2.0]}))
    return tmp_path


def test_rules_lists_the_hygiene_checks(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert set(RULES) == HYGIENE_IDS
    assert main(["rules"]) == 0
    captured = capsys.readouterr()
    listed = {line.split()[0]: line.split()[1:3] for line in captured.out.splitlines()}
    for rule_id in HYGIENE_IDS:
        assert listed[rule_id][0] == "hygiene"
    assert listed["pickle-dangerous-import"][1] == "critical"
    assert listed["code-unpinned-revision"][1] == "low"
    assert "7 hygiene checks" in captured.err
    assert main(["rules", "--format", "json"]) == 0
    rules = {r["id"]: r for r in json.loads(capsys.readouterr().out)["rules"]}
    assert {r["id"] for r in rules.values() if r["category"] == "hygiene"} == HYGIENE_IDS
    assert rules["pickle-unsafe-format"]["severity"] == "low" and "safetensors" in rules["pickle-unsafe-format"]["remediation"]


def test_rules_honours_disable_and_categories(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".hfguard.toml").write_text('disable = ["card-sections-missing"]\n')
    main(["rules", "--format", "json"])
    ids = {r["id"] for r in json.loads(capsys.readouterr().out)["rules"]}
    assert ids & HYGIENE_IDS == HYGIENE_IDS - {"card-sections-missing"}
    (tmp_path / ".hfguard.toml").write_text('categories = ["secret"]\n')
    main(["rules", "--format", "json"])
    assert not {r["id"] for r in json.loads(capsys.readouterr().out)["rules"]} & HYGIENE_IDS


def test_json_carries_the_hygiene_category(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(project), "--format", "json", "--no-pii"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["version"] == 1
    by_rule = {f["rule"]: f for f in report["findings"]}
    assert by_rule["huggingface-access-token"]["category"] == "secret"
    for rule_id in ("card-license-missing", "card-sections-missing", "code-unpinned-revision", "pickle-unsafe-format"):
        assert by_rule[rule_id]["category"] == "hygiene"
        assert by_rule[rule_id]["blocking"] is False
    assert hf_token("hygiene-report") not in json.dumps(report)


def test_sarif_carries_the_hygiene_category(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(project), "--format", "sarif", "--no-pii"]) == 1
    run = json.loads(capsys.readouterr().out)["runs"][0]
    descriptors = {d["id"]: d for d in run["tool"]["driver"]["rules"]}
    pinned = descriptors["code-unpinned-revision"]
    assert "hygiene" in pinned["properties"]["tags"]
    assert pinned["shortDescription"]["text"] == RULES["code-unpinned-revision"].description
    assert "revision" in pinned["help"]["text"]
    results = {r["ruleId"]: r for r in run["results"]}
    assert results["pickle-unsafe-format"]["properties"]["category"] == "hygiene"
    assert results["pickle-unsafe-format"]["level"] == "note"
    assert results["huggingface-access-token"]["properties"]["category"] == "secret"


def test_text_report_groups_hygiene_before_you_publish(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(project), "--no-pii"]) == 1
    lines = capsys.readouterr().out.splitlines()
    heading = lines.index(HYGIENE_HEADING)
    finding_lines = [i for i, line in enumerate(lines) if line.startswith(str(project))]
    secret = next(i for i in finding_lines if "huggingface-access-token" in lines[i])
    hygiene = [i for i in finding_lines if any(rule_id in lines[i] for rule_id in HYGIENE_IDS)]
    assert len(hygiene) == 4
    assert secret < heading < min(hygiene)


def test_no_heading_without_hygiene_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app.py").write_text(f'TOKEN = "{hf_token("no-hygiene")}"\n')
    assert main(["scan", str(tmp_path), "--no-pii"]) == 1
    assert HYGIENE_HEADING not in capsys.readouterr().out


def test_demo_shows_a_hygiene_section(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    subprocess.run([sys.executable, str(CHECKOUT / "examples" / "make_demo.py"), str(demo)], check=True,
                   capture_output=True)
    scan = subprocess.run([sys.executable, "-m", "hfguard", "scan", str(demo)], capture_output=True, text=True, check=False,
                          timeout=300)
    assert scan.returncode == 1, scan.stderr
    out = scan.stdout
    assert HYGIENE_HEADING in out
    after = out.split(HYGIENE_HEADING, 1)[1]
    for rule_id in ("card-license-missing", "card-sections-missing", "code-unpinned-revision", "pickle-unsafe-format"):
        assert rule_id in after


def test_the_project_scan_of_itself_has_no_blocking_hygiene_finding(capsys: pytest.CaptureFixture[str]) -> None:
    """tests/ builds malicious pickles and unpinned loaders at run time only: nothing committed blocks."""
    names = ["hfguard", "tests", "hooks", "examples", "rules", "README.md", "pyproject.toml"]
    own = [str(CHECKOUT / n) for n in names if (CHECKOUT / n).exists()]
    own += [str(p) for p in sorted((CHECKOUT / "bench").glob("*.py"))]  # not bench/_work (generated)
    main(["scan", *own, "--format", "json", "--no-pii"])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    blocking = [f for f in report["findings"] if f["category"] == "hygiene" and f["blocking"]]
    assert blocking == []
    assert not any(Path(f["path"]).name.startswith("test_hygiene") for f in report["findings"])
