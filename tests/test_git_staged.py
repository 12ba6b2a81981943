"""`hfguard scan --staged`: the index content of a real repository, with git's edge cases."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from gitutil import Repo, make_repo
from secretgen import aws_key_id, hf_token

from hfguard.cli import main

TOKEN = hf_token("staged")


def scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["scan", "--staged", "--no-pii", "--format", "json", *args])
    out = capsys.readouterr().out
    assert TOKEN not in out
    return code, json.loads(out)


def where(report: dict[str, Any]) -> list[tuple[str, int | None]]:
    return [(f["path"], f["line"]) for f in report["findings"]]


def test_staged_token_blocks_with_path_and_line(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("src/app.py", f'import os\n\nTOKEN = "{TOKEN}"\n')
    repo.git("add", "src/app.py")
    code, report = scan(capsys)
    assert code == 1
    (finding,) = report["findings"]
    assert (finding["path"], finding["line"], finding["column"]) == ("src/app.py", 3, 10)
    assert finding["blocking"] and finding["location"] is None


def test_text_report_masks_and_gives_the_three_ways_out(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("app.py", f'TOKEN = "{TOKEN}"\n')
    repo.git("add", "app.py")
    assert main(["scan", "--staged", "--no-pii"]) == 1
    out = capsys.readouterr().out
    assert TOKEN not in out
    assert "app.py:1:10" in out and "hf_" in out and "\u2026" in out
    assert "rotate" in out and "hfguard: allow" in out and "hfguard baseline" in out


def test_clean_and_unstaged_changes_pass(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("a.py", "print('hello')\n")
    repo.git("add", "a.py")
    repo.write("a.py", f'print("{TOKEN}")\n')  # in the work tree only: not what is committed
    repo.write("untracked.py", f'T = "{TOKEN}"\n')
    code, report = scan(capsys)
    assert code == 0 and report["findings"] == [] and report["stats"]["files"] == 1


def test_index_content_wins_over_the_work_tree(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("a.py", "x = 1\n")
    repo.commit("first")
    repo.write("a.py", f'x = 1\ny = 2\nT = "{TOKEN}"\n')
    repo.git("add", "a.py")
    repo.write("a.py", "x = 1\n")  # cleaned in the work tree but not re-staged
    code, report = scan(capsys)
    assert code == 1 and where(report) == [("a.py", 3)]


def test_partially_staged_file(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [f"line{i} = {i}" for i in range(1, 31)]
    repo.write("a.py", "\n".join(lines) + "\n")
    repo.commit("first")
    staged = list(lines)
    staged[4] = f'key = "{TOKEN}"'
    repo.write("a.py", "\n".join(staged) + "\n")
    repo.git("add", "a.py")
    unstaged = list(staged)
    unstaged[25] = f'other = "{hf_token("unstaged")}"'
    repo.write("a.py", "\n".join(unstaged) + "\n")
    code, report = scan(capsys)
    assert code == 1 and where(report) == [("a.py", 5)]


def test_deletion_has_nothing_to_scan(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("leak.py", f'T = "{TOKEN}"\n')
    repo.write("ok.py", "x = 1\n")
    repo.commit("first")
    repo.git("rm", "-q", "leak.py")
    code, report = scan(capsys)
    assert code == 0 and report["stats"]["files"] == 0


def test_rename_scans_the_file_at_its_new_path(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("old/name.py", f'T = "{TOKEN}"\n')
    repo.commit("first")
    (repo.path / "new").mkdir()
    repo.git("mv", "old/name.py", "new/name.py")
    code, report = scan(capsys)
    assert code == 1 and where(report) == [("new/name.py", 1)]


def test_binary_files_are_skipped(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("weights.bin", b"\x00\x01" + TOKEN.encode() + b"\x00")
    repo.write("image.png", b"\x89PNG\r\n\x1a\n" + TOKEN.encode())
    repo.write("blob.dat", b"\x00" * 10 + TOKEN.encode())
    repo.git("add", "-A")
    code, report = scan(capsys)
    assert code == 0 and report["findings"] == [] and report["stats"]["skipped_binary"] == 3


def test_submodule_gitlink_is_skipped(repo: Repo, tmp_path: Path, git_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    inner = make_repo(tmp_path / "inner", git_env)
    inner.write("secret.py", f'T = "{TOKEN}"\n')
    sha = inner.commit("inner")
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{sha},vendor/inner")
    repo.write("a.py", "x = 1\n")
    repo.git("add", "a.py")
    code, report = scan(capsys)
    assert code == 0 and report["stats"]["files"] == 1 and report["errors"] == []


def test_symlink_target_is_not_scanned_as_content(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    (repo.path / "link").symlink_to(f"{TOKEN}.txt")
    repo.git("add", "link")
    code, report = scan(capsys)
    assert code == 0 and report["findings"] == []


def test_empty_repository_without_head(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    assert repo.git("rev-parse", "--verify", "-q", "HEAD", check=False).returncode != 0
    code, report = scan(capsys)
    assert code == 0 and report["stats"]["files"] == 0
    repo.write("first.py", f'T = "{TOKEN}"\n')
    repo.write("README.md", "hello\n")
    repo.git("add", "-A")
    code, report = scan(capsys)
    assert code == 1 and where(report) == [("first.py", 1)]


def test_filenames_restrict_the_scan(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("a.py", f'T = "{TOKEN}"\n')
    repo.write("b.py", f'T = "{TOKEN}"\n')
    repo.write("c [x]*.py", f'T = "{TOKEN}"\n')  # glob characters are names, not patterns
    repo.git("add", "-A")
    code, report = scan(capsys, "b.py")
    assert code == 1 and where(report) == [("b.py", 1)]
    code, report = scan(capsys, "c [x]*.py", "not-tracked.py")
    assert code == 1 and where(report) == [("c [x]*.py", 1)]


def test_filenames_scan_index_content_of_unchanged_files(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    """pre-commit run --all-files passes every file: their index content is scanned."""
    repo.write("old.py", f'T = "{TOKEN}"\n')
    repo.commit("first")
    code, report = scan(capsys)
    assert code == 0  # nothing staged
    code, report = scan(capsys, "old.py")
    assert code == 1 and where(report) == [("old.py", 1)]


def test_from_a_subfolder(repo: Repo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    repo.write("pkg/sub/mod.py", f'T = "{TOKEN}"\n')
    repo.write("top.py", f'T = "{TOKEN}"\n')
    repo.git("add", "-A")
    monkeypatch.chdir(repo.path / "pkg")
    code, report = scan(capsys)
    assert code == 1 and where(report) == [("pkg/sub/mod.py", 1), ("top.py", 1)]
    code, report = scan(capsys, "sub/mod.py")
    assert code == 1 and where(report) == [("pkg/sub/mod.py", 1)]


def test_unusual_file_names(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    name = "d\u00eer with space/na\u00efve \"q\".py"
    repo.write(name, f'T = "{TOKEN}"\n')
    repo.git("add", "-A")
    code, report = scan(capsys)
    assert code == 1 and where(report) == [(name, 1)]


def test_config_excludes_and_inline_allow(repo: Repo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    repo.write(".hfguard.toml", 'exclude = ["fixtures"]\n')
    repo.write("fixtures/sample.py", f'T = "{TOKEN}"\n')
    repo.write("docs.py", f'T = "{TOKEN}"  # hfguard: allow\n')
    repo.git("add", "-A")
    monkeypatch.chdir(repo.path / "fixtures")  # the config is found at the top of the repository
    code, report = scan(capsys)
    assert code == 0 and report["findings"] == []


def test_git_lfs_pointer_scans_the_local_object(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    content = f"id,token\n1,{aws_key_id('lfs')}\n2,{TOKEN}\n".encode()
    oid = hashlib.sha256(content).hexdigest()
    store = repo.path / ".git" / "lfs" / "objects" / oid[:2] / oid[2:4]
    store.mkdir(parents=True)
    (store / oid).write_bytes(content)
    pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {len(content)}\n"
    repo.write("data/train.csv", pointer)
    repo.git("add", "-A")
    code, report = scan(capsys)
    assert code == 1 and ("data/train.csv", 3) in where(report)


def test_not_a_repository_is_a_usage_error(tmp_path: Path, git_env: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    monkeypatch.chdir(outside)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert main(["scan", "--staged"]) == 2
    err = capsys.readouterr().err
    assert "not a git repository" in err and "Traceback" not in err


def test_large_blobs_are_streamed_not_held(repo: Repo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from hfguard.sources import git as gitsource
    monkeypatch.setattr(gitsource, "STREAM_BYTES", 64)  # everything counts as large
    repo.write("big.py", "x = 1\n" * 50 + f'T = "{TOKEN}"\n')
    repo.write("small.py", "y = 2\n")
    repo.git("add", "-A")
    code, report = scan(capsys)
    assert code == 1 and where(report) == [("big.py", 51)]


def test_sha256_repository(tmp_path: Path, git_env: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """gitpython's cat-file reader parses SHA-1 names only: SHA-256 blobs go through our own."""
    repo = Repo(tmp_path / "sha256", git_env)
    repo.path.mkdir()
    if repo.git("init", "-q", "--object-format=sha256", "-b", "main", check=False).returncode != 0:
        pytest.skip("this git cannot create SHA-256 repositories")
    monkeypatch.chdir(repo.path)
    repo.write("a.py", "x = 1\n")
    repo.write("b.py", f'T = "{TOKEN}"\n')
    repo.git("add", "-A")
    code, report = scan(capsys)
    assert code == 1 and where(report) == [("b.py", 1)]
    repo.commit("leak")
    assert main(["scan", "--no-pii", "--format", "json", "--range", "HEAD"]) == 1
    assert where(json.loads(capsys.readouterr().out)) == [("b.py", 1)]


def test_missing_git_binary_is_a_usage_error(repo: Repo, tmp_path: Path) -> None:
    """gitpython looks for git when imported: a missing git must still be our message, exit 2."""
    import subprocess
    import sys

    repo.write("a.py", "x = 1\n")
    repo.git("add", "a.py")
    (tmp_path / "empty-bin").mkdir()
    env = dict(repo.env, PATH=str(tmp_path / "empty-bin"))
    proc = subprocess.run([sys.executable, "-m", "hfguard", "scan", "--staged"], cwd=repo.path, env=env,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "git not found" in proc.stderr and "Traceback" not in proc.stderr
