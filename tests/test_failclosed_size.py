"""Fail closed on what was not scanned (issue 11, faults 4 and 5).

A file over `max_file_size` was a note: `hfguard scan` exited 0 and `protect()` uploaded it
unscanned. A file whose time budget ran out lost every finding made before the stop. Both are
now errors (exit 2, uploads block) with what was found kept; excluding the path is the way to
leave it out on purpose.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from gitutil import Repo
from hubserver import HubServer
from secretgen import hf_token, rand

from hfguard import UploadBlocked, budget, protect, safe_upload
from hfguard.cli import main
from hfguard.policy.config import Config
from hfguard.scanner import MAX_MATCHES_PER_RULE, ScanOptions, scan_disk

TOKEN = hf_token("size")
HUB_TOKEN = "hf_" + "Q" * 34


def _scan_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["scan", "--format", "json", *args])
    out = capsys.readouterr().out
    assert TOKEN not in out
    return code, json.loads(out)


def _big_log(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "train.log"
    path.write_text("step ok\n" * 2000 + f"HF_TOKEN={TOKEN}\n")  # ~16 KB, the token at the end
    return path


# --- fault 4: max_file_size --------------------------------------------------------------------------


def test_file_over_max_file_size_is_an_error_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _big_log(tmp_path / "proj" / "logs")
    (tmp_path / "proj" / "app.py").write_text("x = 1\n")
    (tmp_path / "proj" / ".hfguard.toml").write_text('max_file_size = "4KB"\n')
    code, report = _scan_json(capsys, str(tmp_path / "proj"), "--no-pii")
    assert code == 2
    (error,) = report["errors"]
    assert error["path"].endswith("logs/train.log")
    assert "max_file_size" in error["message"] and "exclude" in error["message"]
    assert report["findings"] == []

    # Text report too, and the way out works: exclude the path on purpose.
    assert main(["scan", str(tmp_path / "proj"), "--no-pii"]) == 2
    assert "train.log: error:" in capsys.readouterr().out
    (tmp_path / "proj" / ".hfguard.toml").write_text('max_file_size = "4KB"\nexclude = ["logs/"]\n')
    code, report = _scan_json(capsys, str(tmp_path / "proj"), "--no-pii")
    assert code == 0 and report["errors"] == []


def test_file_over_max_file_size_with_a_finding_elsewhere_exits_1(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    _big_log(tmp_path / "logs")
    (tmp_path / "app.py").write_text(f'T = "{hf_token("other")}"\n')
    (tmp_path / ".hfguard.toml").write_text('max_file_size = "4KB"\n')
    code, report = _scan_json(capsys, str(tmp_path), "--no-pii")
    assert code == 1
    assert [e["path"].rsplit("/", 1)[-1] for e in report["errors"]] == ["train.log"]


def test_staged_file_over_max_file_size_fails_the_hook(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write(".hfguard.toml", 'max_file_size = "4KB"\n')
    repo.write("logs/train.log", "step ok\n" * 2000 + f"HF_TOKEN={TOKEN}\n")
    repo.git("add", ".hfguard.toml", "logs/train.log")
    code, report = _scan_json(capsys, "--staged", "--no-pii")
    assert code == 2
    assert [e["path"] for e in report["errors"]] == ["logs/train.log"]


def test_upload_of_a_file_over_max_file_size_is_blocked(hub: HubServer, tmp_path: Path) -> None:
    log = _big_log(tmp_path / "out")
    config = Config(max_file_size=4096)
    with pytest.raises(UploadBlocked) as exc:
        safe_upload(folder_path=log.parent, repo_id="user/model", token=HUB_TOKEN, config=config)
    assert hub.requests == []
    assert "max_file_size" in str(exc.value) and TOKEN not in str(exc.value)
    from huggingface_hub import HfApi

    with pytest.raises(UploadBlocked), protect(config=config):
        HfApi(token=HUB_TOKEN).upload_file(path_or_fileobj=str(log), path_in_repo="train.log", repo_id="user/model")
    assert not [r for r in hub.requests if r.method != "GET"]
    # Sent on purpose: allow_unscanned.
    safe_upload(folder_path=log.parent, repo_id="user/model", token=HUB_TOKEN, config=config, allow_unscanned=True)
    assert "train.log" in hub.commits()[-1].files


# --- the match cap: over 1,000 suppressed values must not hide the next one --------------------------


def test_match_cap_does_not_hide_an_unsuppressed_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [f'T{i} = "{hf_token(f"allowed{i}")}"  # hfguard: allow' for i in range(MAX_MATCHES_PER_RULE)]
    lines.append(f'LIVE = "{TOKEN}"')
    (tmp_path / "keys.py").write_text("\n".join(lines) + "\n")
    code, report = _scan_json(capsys, str(tmp_path), "--no-pii")
    assert code == 2, report  # the values past the cap were never judged: not fully scanned
    (error,) = report["errors"]
    assert "huggingface-access-token" in error["message"] and "not fully scanned" in error["message"]
    # Past the cap, values of a severity that cannot block do not fail the scan.
    (tmp_path / "keys.py").unlink()
    (tmp_path / "refs.txt").write_text("".join(f"see tkt_{rand('hex', 8, str(i))}\n" for i in range(MAX_MATCHES_PER_RULE + 5)))
    (tmp_path / ".hfguard.toml").write_text(
        '[[rules]]\nid = "ticket-ref"\ndescription = "ticket"\nseverity = "low"\n'
        'regex = "\\\\b(tkt_[0-9a-f]{8})\\\\b"\nkeywords = ["tkt_"]\n')
    code, report = _scan_json(capsys, str(tmp_path), "--no-pii")
    assert code == 0 and report["errors"] == [], report
    assert len(report["findings"]) == MAX_MATCHES_PER_RULE
    assert any("more match(es) of ticket-ref not listed" in n for n in report["stats"]["notes"])


# --- fault 5: the time budget keeps what was found -------------------------------------------------


class _Clock:
    """budget's clock: read once, then `jump` seconds later at every reading (a machine so loaded
    that the budget is spent before the first chunk is done)."""

    def __init__(self, jump: float) -> None:
        self.jump = jump
        self.readings = 0

    def monotonic(self) -> float:
        self.readings += 1
        return 1000.0 + (self.jump if self.readings > 1 else 0.0)


def _people_csv(folder: Path) -> Path:
    ssn = "536-" + "22-" + "8417"
    rows = ["email,ssn,token", f"jane.doe@gmail.com,{ssn},{TOKEN}"]
    # Past the part every file gets whatever the clock says (budget.GUARANTEED_CHARS): the stop
    # comes inside the file.
    rows += [f"x{i},n/a,none" for i in range(40_000)]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "people.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_time_budget_keeps_findings_made_before_the_stop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """However loaded the machine, the first row's email, SSN and token are reported, and the
    file is listed as not fully scanned (exit 1: the findings block)."""
    _people_csv(tmp_path / "data")
    # A 10 s budget (plus 2 s/MB), spent as soon as the scan starts, the hard stop not reached.
    monkeypatch.setattr(budget, "time", _Clock(15.0))
    report = scan_disk([str(tmp_path / "data")], ScanOptions(file_time_budget=10.0))
    rules = sorted(f.rule for f in report.findings)
    assert rules == ["huggingface-access-token", "pii-email", "pii-us-ssn"], report
    assert all(f.row == 1 and f.blocking for f in report.findings)
    (error,) = report.errors
    assert error.path.endswith("people.csv") and "time budget" in error.message
    assert "not fully scanned" in error.message
    assert 0 < report.stats.bytes < (tmp_path / "data" / "people.csv").stat().st_size  # stopped inside


def test_time_budget_stop_without_findings_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "plain.csv").write_text("a,b\n" + "".join(f"{i:07d},ok\n" for i in range(40_000)))
    monkeypatch.setattr(budget, "time", _Clock(1e6))  # past the hard stop too
    report = scan_disk([str(tmp_path)], ScanOptions())
    assert report.findings == [] and len(report.errors) == 1
    monkeypatch.setattr(budget, "time", _Clock(1e6))
    assert main(["scan", str(tmp_path), "--quiet"]) == 2
