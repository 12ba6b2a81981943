"""Messages a new user stumbled on (trial S): usage errors, -o, what a scan says it skipped,
install-hooks' Git LFS paragraph, and what a scan says when it runs as a git hook."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from gitutil import LFS_ATTRIBUTES, Repo
from secretgen import hf_token

from hfguard.cli import COMMANDS, main

TOKEN = hf_token("messages")


# --- 1. usage errors and -o ----------------------------------------------------------------------


# Each subcommand with its required arguments, then an option it does not have.
REQUIRED = {"redact": ["x", "-o", "out"], "upload": ["me/model", "x"]}
UNKNOWN = [[cmd, *REQUIRED.get(cmd, []), "--no-such-option"] for cmd in sorted(COMMANDS)] + [["--no-such-option"]]


def test_every_subcommand_is_checked() -> None:
    assert {argv[0] for argv in UNKNOWN} >= {"scan", "baseline", "rules", "install-hooks", "upload", "redact"}


@pytest.mark.parametrize("argv", UNKNOWN)
def test_unknown_option_error_says_hfguard_once_and_names_the_subcommand(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("hfguard: error: ") and err.count("\n") == 1, err
    assert "error: hfguard" not in err and "--no-such-option" in err
    command = argv[0] if argv[0] in COMMANDS else None
    help_hint = f"`hfguard {command} --help`" if command else "`hfguard --help`"
    assert help_hint in err
    if command:
        assert err.startswith(f"hfguard: error: {command}: ")


@pytest.mark.parametrize("argv", [["scan", "--format", "xml"], ["scan", "--jobs", "many"], ["redact", "x"],
                                  ["rules", "--format", "sarif"], ["upload"]])
def test_subcommand_argument_errors_have_one_prefix(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"hfguard: error: {argv[0]}: ") and "hfguard: error: hfguard" not in err, err
    assert f"`hfguard {argv[0]} --help`" in err


def test_scan_takes_o_as_short_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "app.py").write_text(f'TOKEN = "{TOKEN}"\n')
    report = tmp_path / "report.json"
    assert main(["scan", str(tmp_path / "more"), "--no-pii", "--format", "json", "-o", str(report)]) == 1
    assert capsys.readouterr().out == ""
    findings = json.loads(report.read_text())["findings"]
    assert [f["rule"] for f in findings] == ["huggingface-access-token"]


# --- 2. what was skipped, and the counts ---------------------------------------------------------


def _summary(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("hfguard: "))


def test_broken_notebook_is_counted_as_an_error_not_as_unscanned(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "broken.ipynb").write_text('{"cells": [{"source": "TOKEN = \'' + TOKEN + '\'"')
    assert main(["scan", str(tmp_path), "--no-pii"]) == 1  # scanned as text: the token is found
    out = capsys.readouterr().out
    assert "huggingface-access-token" in out and "scanned as plain text" in out
    summary = _summary(out)
    assert "not scanned" not in summary, summary
    assert "1 file(s) with errors" in summary and "; 1 file(s), " in summary


def test_dangling_symlink_inside_a_folder_is_a_note_by_name(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "dangle.env").symlink_to(tmp_path / "nowhere" / "x.env")
    assert main(["scan", str(folder), "--no-pii"]) == 0  # git commits the link, not a file: no error
    out = capsys.readouterr().out
    assert f"note: {folder / 'dangle.env'}: symbolic link to a missing file" in out, out
    assert "0 file(s) with errors; 0 file(s)" in _summary(out)
    assert main(["scan", str(folder), "--no-pii", "--format", "json"]) == 0
    notes = json.loads(capsys.readouterr().out)["stats"]["notes"]
    assert len(notes) == 1 and notes[0].startswith(f"{folder / 'dangle.env'}: symbolic link")
    # Named on the command line, it is something the user asked for that cannot be read: an error.
    assert main(["scan", str(folder / "dangle.env"), "--no-pii"]) == 2
    assert f"{folder / 'dangle.env'}: error: cannot open" in capsys.readouterr().out


def test_symlink_to_a_file_inside_a_folder_is_not_followed_and_says_so(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    outside = tmp_path / "secrets.env"
    outside.write_text(f"HF_TOKEN={TOKEN}\n")
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "README.md").write_text("hello\n")
    (folder / "linked.env").symlink_to(outside)
    assert main(["scan", str(folder), "--no-pii"]) == 0
    out = capsys.readouterr().out
    assert "huggingface-access-token" not in out
    assert f"note: {folder / 'linked.env'}: symbolic link not followed" in out and str(outside) in out, out
    assert "; 1 file(s), " in _summary(out)


def test_many_symlinks_give_a_bounded_list_of_notes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from hfguard.sources.walk import MAX_SKIP_NOTES

    for i in range(MAX_SKIP_NOTES + 5):
        (tmp_path / f"link{i:02}").symlink_to(tmp_path / f"missing{i}")
    assert main(["scan", str(tmp_path), "--no-pii", "--format", "json"]) == 0
    notes = json.loads(capsys.readouterr().out)["stats"]["notes"]
    assert len(notes) == MAX_SKIP_NOTES + 1
    assert notes[-1].startswith("5 more symbolic link(s) or special file(s)")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_never_read_and_the_report_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(tmp_path / "pipe")
    assert main(["scan", str(tmp_path), "--no-pii"]) == 0
    assert f"note: {tmp_path / 'pipe'}: not a regular file" in capsys.readouterr().out
    assert main(["scan", str(tmp_path / "pipe"), "--no-pii"]) == 0  # named: skipped too, and said
    out = capsys.readouterr().out
    assert f"note: {tmp_path / 'pipe'}: not a regular file" in out and "0 file(s) with errors; 0 file(s)" in out


# --- 3. install-hooks and hook mode --------------------------------------------------------------


@pytest.mark.skipif(shutil.which("git-lfs") is None, reason="needs git-lfs")
def test_lfs_paragraph_only_in_a_repository_that_uses_lfs(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("README.md", "hello\n")
    assert main(["install-hooks"]) == 0
    err = capsys.readouterr().err
    assert "installed" in err and "LFS" not in err, err
    repo.write(".gitattributes", f"*.parquet {LFS_ATTRIBUTES}\n")
    assert main(["install-hooks"]) == 0
    assert "git lfs install --force" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("git-lfs") is None, reason="needs git-lfs")
def test_lfs_paragraph_for_a_tracked_nested_gitattributes(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("data/.gitattributes", f"*.bin {LFS_ATTRIBUTES}\n")
    repo.write(".gitattributes", "# *.bin filter=lfs (commented out)\n*.py text\n")
    repo.commit("attributes")
    assert main(["install-hooks"]) == 0
    assert "git lfs install --force" in capsys.readouterr().err


def test_hook_mode_is_silent_when_the_commit_may_go_on(repo: Repo, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    repo.write("app.py", "x = 1\n")
    repo.git("add", "app.py")
    assert main(["scan", "--staged", "--hook"]) == 0
    assert capsys.readouterr() == ("", "")
    monkeypatch.setenv("PRE_COMMIT", "1")  # the pre-commit framework runs its hooks with this set
    assert main(["scan", "--staged"]) == 0
    assert capsys.readouterr() == ("", "")
    monkeypatch.delenv("PRE_COMMIT")
    assert main(["scan", "--staged"]) == 0  # by hand: the summary says what was scanned
    assert "hfguard: 0 finding(s)" in capsys.readouterr().out


def test_hook_mode_ends_a_refusal_with_one_line(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("README.md", "hello\n")
    base = repo.commit("first")
    repo.write("app.py", f'TOKEN = "{TOKEN}"\n')
    repo.git("add", "app.py")
    assert main(["scan", "--staged", "--hook", "--no-pii"]) == 1
    out, err = capsys.readouterr()
    assert "app.py:1:10" in out
    assert err.rstrip("\n").splitlines()[-1].startswith("hfguard: commit blocked (nothing was committed): "), err
    repo.commit("leak")
    assert main(["scan", "--range", f"{base}..HEAD", "--hook", "--no-pii"]) == 1
    out, err = capsys.readouterr()
    assert "app.py" in out
    assert err.rstrip("\n").splitlines()[-1].startswith("hfguard: push refused (nothing was pushed): "), err
    assert main(["scan", "--range", f"{base}..HEAD", "--no-pii"]) == 1  # not a hook: no such line
    assert "refused" not in capsys.readouterr().err


def test_hook_flag_needs_a_git_scan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(tmp_path), "--hook"]) == 2
    assert "--hook goes with --staged" in capsys.readouterr().err
