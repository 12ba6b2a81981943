"""hfguard's plain git hooks in a repository that uses Git LFS, with real git and real git-lfs.

git-lfs uploads LFS objects from its own pre-push hook; hfguard's pre-push hook must take that
job over and do it only after its scan passed, or a refused push has already published the data.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from gitutil import Repo, make_repo
from secretgen import hf_token

from hfguard.cli import main
from hfguard.install_hooks import MARKER, is_git_lfs_hook

pytestmark = pytest.mark.skipif(shutil.which("git-lfs") is None, reason="needs git-lfs")

TOKEN = hf_token("hooks-lfs")
CLEAN = b"".join(json.dumps({"text": f"row {i}"}).encode() + b"\n" for i in range(50))
LEAKY = CLEAN + json.dumps({"text": f"token {TOKEN}"}).encode() + b"\n"
LFS_HOOKS = ("post-checkout", "post-commit", "post-merge")


def remote_objects(remote: Path) -> list[Path]:
    return sorted(p for p in (remote / "lfs" / "objects").rglob("*") if p.is_file())


def lfs_install(repo: Repo, *args: str) -> subprocess.CompletedProcess[str]:
    return repo.git("lfs", "install", "--local", *args, check=False)


@pytest.fixture
def lfs_repo(repo: Repo, tmp_path: Path) -> Repo:
    """A repository with `git lfs install` done, *.jsonl tracked and a bare remote `origin`."""
    proc = lfs_install(repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert is_git_lfs_hook("pre-push", (repo.path / ".git" / "hooks" / "pre-push").read_text())
    repo.git("lfs", "track", "*.jsonl")
    repo.write("README.md", "hello\n")
    repo.commit("first")
    make_repo(tmp_path / "remote.git", repo.env, bare=True)
    repo.git("remote", "add", "origin", str(tmp_path / "remote.git"))
    repo.git("push", "-q", "origin", "main")
    return repo


def _push_leaky_then_clean(repo: Repo, remote: Path) -> None:
    repo.write("data/train.jsonl", LEAKY)
    repo.commit("leaky data")
    proc = repo.git("push", "origin", "main", check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "data/train.jsonl" in output and TOKEN not in output
    assert remote_objects(remote) == []  # git-lfs never ran: nothing uploaded
    repo.write("data/train.jsonl", CLEAN)
    repo.git("commit", "-q", "--amend", "--no-verify", "-a", "-m", "clean data")
    proc = repo.git("push", "origin", "main", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    oid = repo.git("lfs", "ls-files", "-l").stdout.split()[0]
    assert [p.name for p in remote_objects(remote)] == [oid]  # the clean push delivered the object


def test_install_over_git_lfs_hooks_scans_then_runs_git_lfs(lfs_repo: Repo, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    hooks = lfs_repo.path / ".git" / "hooks"
    others = {name: (hooks / name).read_text() for name in LFS_HOOKS}
    assert main(["install-hooks"]) == 0
    err = capsys.readouterr().err
    assert "git lfs pre-push" in err
    assert not list(hooks.glob("*.hfguard-backup*"))
    pre_push = (hooks / "pre-push").read_text()
    assert MARKER in pre_push and "\nLFS_HOOK=1\n" in pre_push
    assert MARKER in (hooks / "pre-commit").read_text()
    assert {name: (hooks / name).read_text() for name in LFS_HOOKS} == others  # left alone
    assert main(["install-hooks"]) == 0  # updating keeps calling git-lfs
    assert "\nLFS_HOOK=1\n" in (hooks / "pre-push").read_text()
    _push_leaky_then_clean(lfs_repo, tmp_path / "remote.git")


def test_git_lfs_installed_after_hfguard(repo: Repo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The repository uses LFS (its .gitattributes), `git lfs install` has not run here yet.
    repo.write(".gitattributes", "*.jsonl filter=lfs diff=lfs merge=lfs -text\n")
    assert main(["install-hooks"]) == 0
    assert "git lfs install --force" in capsys.readouterr().err  # the other order is explained
    proc = lfs_install(repo)
    assert proc.returncode != 0 and "Hook already exists: pre-push" in proc.stdout + proc.stderr
    # git-lfs is the repository's filter now: hfguard's hook calls it after a clean scan.
    repo.git("lfs", "track", "*.jsonl")
    repo.write("README.md", "hello\n")
    repo.commit("first")
    make_repo(tmp_path / "remote.git", repo.env, bare=True)
    repo.git("remote", "add", "origin", str(tmp_path / "remote.git"))
    repo.git("push", "-q", "origin", "main")
    _push_leaky_then_clean(repo, tmp_path / "remote.git")
    # The advised way to get git-lfs's other hooks too.
    assert lfs_install(repo, "--force").returncode == 0
    assert main(["install-hooks"]) == 0
    hooks = repo.path / ".git" / "hooks"
    assert "\nLFS_HOOK=1\n" in (hooks / "pre-push").read_text()
    assert all(is_git_lfs_hook(name, (hooks / name).read_text()) for name in LFS_HOOKS)


def test_foreign_pre_push_refused_but_pre_commit_installed(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    hooks = repo.path / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    mine = '#!/bin/sh\ngit lfs pre-push "$@"\necho mine\n'  # calls git-lfs, but is not git-lfs's
    (hooks / "pre-push").write_text(mine)
    assert main(["install-hooks"]) == 2
    err = capsys.readouterr().err
    assert "--force" in err and "installed" in err
    assert MARKER in (hooks / "pre-commit").read_text()
    assert (hooks / "pre-push").read_text() == mine
    assert main(["install-hooks", "--force"]) == 0
    err = capsys.readouterr().err
    assert "does not run it" in err
    assert (hooks / "pre-push.hfguard-backup").read_text() == mine
    assert "\nLFS_HOOK=''\n" in (hooks / "pre-push").read_text()


def test_lfs_hook_recognition() -> None:
    guard = ("command -v git-lfs >/dev/null 2>&1 || { echo >&2 \"\\nThis repository is configured for Git LFS "
             "but 'git-lfs' was not found on your path.\\n\"; exit 2; }")
    assert is_git_lfs_hook("pre-push", f'#!/bin/sh\n{guard}\ngit lfs pre-push "$@"\n')
    assert is_git_lfs_hook("post-merge", '#!/bin/sh\ngit lfs post-merge "$@"\n')
    assert not is_git_lfs_hook("pre-push", f'#!/bin/sh\n{guard}\ngit lfs pre-push "$@"\nrm -rf x\n')
    assert not is_git_lfs_hook("pre-push", '#!/bin/sh\ngit lfs post-merge "$@"\n')
