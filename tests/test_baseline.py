"""Baseline: accepted findings stop blocking, survive line moves and merges, hold no secret."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from secretgen import hf_token

from hfguard.policy.baseline import END_LINE, load_baseline
from hfguard.cli import main
from hfguard.masking import mask

GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(repo.parent), GIT_CONFIG_NOSYSTEM="1", LC_ALL="C",
               GIT_AUTHOR_NAME="T", GIT_AUTHOR_EMAIL="t@example.invalid",
               GIT_COMMITTER_NAME="T", GIT_COMMITTER_EMAIL="t@example.invalid")
    return subprocess.run([GIT or "git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / ".git").mkdir()  # a repository root for path identity; real git where a test needs it
    (root / "src" / "app.py").write_text(f'import os\n\nTOKEN = "{hf_token("one")}"\n')
    (root / "src" / "other.py").write_text(f'def f():\n    return "{hf_token("two")}"\n')
    monkeypatch.chdir(root)
    return root


def scan_json(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    code = main(["scan", "--no-pii", "--format", "json", "--show-suppressed", *args])
    return code, json.loads(capsys.readouterr().out)


def test_baseline_makes_next_scan_pass(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--no-pii"]) == 1
    assert main(["baseline", "--no-pii"]) == 0
    assert (repo / ".hfguard-baseline.json").is_file()
    capsys.readouterr()
    # Found without --baseline (next to the scanned folder) and with it.
    code, report = scan_json(capsys=capsys)
    assert code == 0 and report["findings"] == []
    suppressed = report["suppressed"]
    assert isinstance(suppressed, list) and {s["suppressed"] for s in suppressed} == {"baseline"}
    assert len(suppressed) == 2
    assert main(["scan", "--no-pii", "--baseline", ".hfguard-baseline.json"]) == 0


def test_baseline_survives_inserted_lines_and_path_spelling(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["baseline", "--no-pii"]) == 0
    for name in ("app.py", "other.py"):
        path = repo / "src" / name
        path.write_text("# a new header\n\n\n" + path.read_text().replace("\n", "\n# moved\n"))
    assert main(["scan", "--no-pii"]) == 0
    # However the scanned path is spelled: absolute, a subfolder, a single file.
    assert main(["scan", "--no-pii", str(repo)]) == 0
    assert main(["scan", "--no-pii", "src"]) == 0
    assert main(["scan", "--no-pii", "--baseline", str(repo / ".hfguard-baseline.json"), "src/app.py"]) == 0


def test_new_secret_still_blocks(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["baseline", "--no-pii"]) == 0
    capsys.readouterr()
    # A different value in a baselined file under the same rule: hashed, not matched.
    with open(repo / "src" / "app.py", "a") as f:
        f.write(f'SECOND = "{hf_token("three")}"\n')
    code, report = scan_json(capsys=capsys)
    assert code == 1
    findings = report["findings"]
    assert isinstance(findings, list) and len(findings) == 1 and findings[0]["line"] == 4
    # The same accepted value copied into another file is a new finding too (path is identity).
    (repo / "src" / "app.py").write_text(f'TOKEN = "{hf_token("one")}"\n')
    (repo / "copy.py").write_text(f'TOKEN = "{hf_token("one")}"\n')
    code, report = scan_json(capsys=capsys)
    assert code == 1 and [f["path"] for f in report["findings"]] == ["copy.py"]  # type: ignore[union-attr]


def test_baseline_file_holds_no_secret_text(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["baseline", "--no-pii"]) == 0
    text = (repo / ".hfguard-baseline.json").read_text()
    for seed in ("one", "two"):
        token = hf_token(seed)
        assert token not in text
        assert token[3:11] not in text and token[-8:] not in text  # no fragment
        assert mask(token) not in text  # no preview
        assert hashlib.sha256(token.encode()).hexdigest()[:16] not in text  # no fast hash
    # Not the report's fast fingerprint either: the file stores a slow, salted hash of it.
    capsys.readouterr()
    code, report = scan_json(capsys=capsys)
    assert code == 0
    for finding in report["suppressed"]:  # type: ignore[attr-defined]
        assert finding["fingerprint"] not in text
    data = json.loads(text)
    assert data["version"] == 1 and data["hashing"]["algorithm"] == "scrypt"
    assert all(set(e) == {"hash", "path", "rule"} for e in data["findings"] if isinstance(e, dict))


def test_format_is_stable_sorted_one_entry_a_line(repo: Path) -> None:
    (repo / "a.py").write_text(f'K = "{hf_token("zeta")}"\n')
    assert main(["baseline", "--no-pii"]) == 0
    path = repo / ".hfguard-baseline.json"
    first = path.read_text()
    assert main(["baseline", "--no-pii"]) == 0
    assert path.read_text() == first  # no timestamps, same salt: byte-identical
    lines = first.splitlines()
    assert lines[0] == "{" and lines[1] == '  "findings": ['
    entries = [json.loads(line.strip().rstrip(",")) for line in lines[2:5]]
    assert [e["path"] for e in entries] == ["a.py", "src/app.py", "src/other.py"]
    assert all(line.endswith(",") for line in lines[2:5])
    assert json.loads(lines[5]) == END_LINE
    data = json.loads(first)
    assert list(data) == sorted(data)
    assert all(set(e) == {"hash", "path", "rule"} for e in entries)  # no line, time or commit
    assert not [p for p in repo.iterdir() if p.name.endswith(".tmp")]  # atomic write left nothing


def test_update_drops_vanished_and_adds_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["baseline", "--no-pii"]) == 0
    (repo / "src" / "other.py").write_text("def f():\n    return None\n")  # fixed
    (repo / "new.py").write_text(f'K = "{hf_token("new")}"\n')  # not accepted yet
    assert main(["baseline", "--no-pii", "--update"]) == 0
    err = capsys.readouterr().err
    assert "1 no longer found and dropped" in err and "1 current finding(s) are not in the baseline" in err
    entries = load_baseline(repo / ".hfguard-baseline.json").entries
    assert {e.path for e in entries} == {"src/app.py"}
    assert main(["scan", "--no-pii"]) == 1  # new.py still blocks
    (repo / "new.py").unlink()
    assert main(["scan", "--no-pii"]) == 0


def test_scoped_rebuild_keeps_entries_outside_the_scanned_paths(repo: Path) -> None:
    (repo / "docs").mkdir()
    (repo / "docs" / "howto.md").write_text(f'Use `{hf_token("docs")}`.\n')
    assert main(["baseline", "--no-pii"]) == 0
    (repo / "src" / "app.py").write_text("TOKEN = None\n")
    assert main(["baseline", "--no-pii", "--update", "src"]) == 0
    paths = {e.path for e in load_baseline(repo / ".hfguard-baseline.json").entries}
    assert paths == {"docs/howto.md", "src/other.py"}


def test_update_without_a_baseline_is_a_usage_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["baseline", "--no-pii", "--update"]) == 2
    assert "no baseline to update" in capsys.readouterr().err


def test_config_baseline_key_and_output_default(repo: Path) -> None:
    (repo / ".hfguard.toml").write_text('baseline = "ci/accepted.json"\n')
    assert main(["baseline", "--no-pii"]) == 0
    assert (repo / "ci" / "accepted.json").is_file() and not (repo / ".hfguard-baseline.json").exists()
    assert main(["scan", "--no-pii"]) == 0


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON"),
        ('{"version": 1,\n<<<<<<< HEAD\n', "conflict markers"),
        ('{"version": 2, "findings": []}', "not an hfguard baseline"),
        (('{"version": 1, "findings": [], "hashing": {"algorithm": "scrypt", "n": 1048576, "r": 8, "p": 1, '
          '"salt": "00112233445566778899aabbccddeeff"}}'), "hashing"),
        (('{"version": 1, "findings": [{"hash": "zz", "path": "a", "rule": "b"}], "hashing": {"algorithm": '
          '"scrypt", "n": 2048, "r": 8, "p": 1, "salt": "00112233445566778899aabbccddeeff"}}'), "findings[0]"),
    ],
)
def test_bad_baseline_is_exit_2_naming_the_file(
    repo: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    (repo / "bad.json").write_text(content)
    assert main(["scan", "--no-pii", "--baseline", "bad.json"]) == 2
    err = capsys.readouterr().err
    assert "bad.json" in err and message in err and "Traceback" not in err


def test_missing_baseline_is_exit_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--no-pii", "--baseline", "nope.json"]) == 2
    assert "nope.json" in capsys.readouterr().err


def test_failed_write_keeps_the_old_file(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["baseline", "--no-pii"]) == 0
    path = repo / ".hfguard-baseline.json"
    before = path.read_text()
    (repo / "src" / "other.py").write_text("x = 1\n")

    def broken(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    assert main(["baseline", "--no-pii"]) == 2
    assert path.read_text() == before
    assert not [p for p in repo.iterdir() if p.name.startswith(".hfguard-baseline.json.")]


def test_text_report_shows_suppressed_with_reason(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["baseline", "--no-pii"]) == 0
    capsys.readouterr()
    assert main(["scan", "--no-pii", "--show-suppressed"]) == 0
    out = capsys.readouterr().out
    assert "suppressed (baseline)" in out and "src/app.py:3" in out
    assert hf_token("one") not in out and mask(hf_token("one")) in out


@needs_git
@pytest.mark.parametrize("union", [True, False], ids=["union", "no-gitattributes"])
def test_two_branches_adding_findings_merge_without_conflict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, union: bool
) -> None:
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    assert git(root, "init", "-q", "-b", "main").returncode == 0
    (root / "z_existing.py").write_text(f'OLD = "{hf_token("base")}"\n')
    flags = [] if union else ["--no-gitattributes"]
    assert main(["baseline", "--no-pii", *flags]) == 0  # writes .gitattributes (merge=union)
    assert (root / ".gitattributes").exists() == union
    if union:
        assert "/.hfguard-baseline.json merge=union" in (root / ".gitattributes").read_text()
    git(root, "add", "-A")
    assert git(root, "commit", "-qm", "baseline").returncode == 0

    # Two branches each accept a different new finding. Both entries sort before the existing
    # one, so both insert at the same place in the file: the hard case for a line merge.
    for branch, name, seed in (("left", "a_left.py", "left"), ("right", "b_right.py", "right")):
        assert git(root, "checkout", "-q", "-b", branch, "main").returncode == 0
        (root / name).write_text(f'NEW = "{hf_token(seed)}"\n')
        assert main(["scan", "--no-pii"]) == 1
        assert main(["baseline", "--no-pii", *flags]) == 0
        git(root, "add", "-A")
        assert git(root, "commit", "-qm", f"accept {name}").returncode == 0

    assert git(root, "checkout", "-q", "main").returncode == 0
    assert git(root, "merge", "-q", "--no-edit", "left").returncode == 0
    merged = git(root, "merge", "--no-edit", "right")
    if not union:  # the control: same-place additions are a conflict for a plain line merge
        assert merged.returncode != 0 and "CONFLICT" in merged.stdout
        return
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "CONFLICT" not in merged.stdout
    entries = load_baseline(root / ".hfguard-baseline.json").entries
    assert {e.path for e in entries} == {"a_left.py", "b_right.py", "z_existing.py"}
    assert main(["scan", "--no-pii"]) == 0
    # The next write puts the file back in order.
    assert main(["baseline", "--no-pii"]) == 0
    lines = (root / ".hfguard-baseline.json").read_text().splitlines()
    assert [json.loads(x.strip().rstrip(","))["path"] for x in lines[2:5]] == ["a_left.py", "b_right.py", "z_existing.py"]


@needs_git
def test_staged_scan_uses_the_repository_baseline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "staged"
    root.mkdir()
    monkeypatch.chdir(root)
    assert git(root, "init", "-q", "-b", "main").returncode == 0
    (root / "app.py").write_text(f'T = "{hf_token("staged")}"\n')
    assert main(["baseline", "--no-pii"]) == 0
    git(root, "add", "-A")
    assert git(root, "commit", "-qm", "init").returncode == 0
    (root / "app.py").write_text("# moved down\n\n" + (root / "app.py").read_text())
    (root / "sub").mkdir()
    (root / "sub" / "new.py").write_text(f'N = "{hf_token("fresh")}"\n')
    git(root, "add", "app.py")
    assert main(["scan", "--staged", "--no-pii"]) == 0
    monkeypatch.chdir(root / "sub")  # from a subfolder: same paths, same baseline
    assert main(["scan", "--staged", "--no-pii"]) == 0
    git(root, "add", "sub/new.py")
    assert main(["scan", "--staged", "--no-pii"]) == 1
