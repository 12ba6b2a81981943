"""Real git repositories in temporary folders for the git integration tests.

Every repository gets a private HOME (no global config), fixed identities and dates, so a test
sees the same git whatever machine runs it.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

AUTHOR_DATE = "2026-11-01T12:00:00+00:00"
LFS_FILTER = Path(__file__).with_name("lfsfilter.py")  # the clean/smudge stand-in without git-lfs
LFS_TOOLS = ("git-lfs", "script")
# The Hub's default .gitattributes line for an LFS-tracked pattern.
LFS_ATTRIBUTES = "filter=lfs diff=lfs merge=lfs -text"


def isolated_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Test Author",
        GIT_AUTHOR_EMAIL="author@example.invalid",
        GIT_COMMITTER_NAME="Test Author",
        GIT_COMMITTER_EMAIL="author@example.invalid",
        GIT_AUTHOR_DATE=AUTHOR_DATE,
        GIT_COMMITTER_DATE=AUTHOR_DATE,
        LC_ALL="C",
        NO_COLOR="1",
    )
    return env


class Repo:
    def __init__(self, path: Path, env: dict[str, str]) -> None:
        self.path = path
        self.env = env

    def git(self, *args: str, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            ["git", *args], cwd=self.path, env=self.env, input=stdin, capture_output=True, text=True, check=False,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc

    def write(self, rel: str, content: str | bytes) -> Path:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        return target

    def commit(self, message: str, *paths: str, date: str | None = None, verify: bool = False) -> str:
        """Stage `paths` (all changes when none) and commit; hooks are skipped unless `verify`."""
        self.git("add", "-A", *(["--", *paths] if paths else []))
        env = dict(self.env)
        if date:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
        args = ["commit", "-q", "-m", message] + ([] if verify else ["--no-verify"])
        proc = subprocess.run(["git", *args], cwd=self.path, env=env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise AssertionError(f"git commit failed:\n{proc.stdout}\n{proc.stderr}")
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").stdout.strip()

    def short(self, rev: str = "HEAD") -> str:
        return self.git("rev-parse", "--short", rev).stdout.strip()


def git_lfs_installed() -> bool:
    return shutil.which("git-lfs") is not None


def track_with_lfs(repo: Repo, patterns: Sequence[str], tool: str) -> None:
    """Send `patterns` through a Git LFS clean filter, written to .gitattributes (not committed).

    tool "git-lfs": git-lfs itself; "script": tests/lfsfilter.py, the same filter for machines
    without it. The filters are set in the repository's config only: `git lfs install` would also
    write its own pre-push hook, where the tests put hfguard's.
    """
    if tool == "git-lfs":
        filters = {"clean": "git-lfs clean -- %f", "smudge": "git-lfs smudge -- %f",
                   "process": "git-lfs filter-process"}
    elif tool == "script":
        command = f'"{sys.executable}" "{LFS_FILTER}"'
        filters = {"clean": f"{command} clean", "smudge": f"{command} smudge"}
    else:
        raise ValueError(f"unknown LFS tool {tool!r}")
    for key, value in filters.items():
        repo.git("config", f"filter.lfs.{key}", value)
    repo.git("config", "filter.lfs.required", "true")
    repo.write(".gitattributes", "".join(f"{p} {LFS_ATTRIBUTES}\n" for p in patterns))


def lfs_object(repo: Repo, oid: str, storage: Path | None = None) -> Path:
    """Where the LFS object `oid` of `repo` is kept (default storage: .git/lfs)."""
    base = storage if storage is not None else repo.path / ".git" / "lfs"
    return base / "objects" / oid[:2] / oid[2:4] / oid


def make_repo(path: Path, env: dict[str, str], bare: bool = False) -> Repo:
    path.mkdir(parents=True, exist_ok=True)
    repo = Repo(path, env)
    repo.git("init", "-q", *(["--bare"] if bare else []), "-b", "main")
    if not bare:
        repo.git("config", "user.name", "Test Author")
        repo.git("config", "user.email", "author@example.invalid")
        repo.git("config", "commit.gpgsign", "false")
    return repo


@pytest.fixture
def git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An isolated git environment, also applied to this process (for in-process `main()`)."""
    home = tmp_path / "home"
    home.mkdir()
    env = isolated_env(home)
    for key in list(os.environ):
        if key.startswith(("GIT_", "PRE_COMMIT")):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def repo(tmp_path: Path, git_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Repo:
    """A fresh repository with no commit yet; the current folder is its top."""
    r = make_repo(tmp_path / "work", git_env)
    monkeypatch.chdir(r.path)
    return r
