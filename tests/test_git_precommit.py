"""The shipped .pre-commit-hooks.yaml through the real pre-commit framework.

pre-commit builds a virtual environment and pip-installs this project into it (`language:
python`), as it does for users, from a snapshot of this source tree (its work-tree content, so
uncommitted changes are what is tested), once per module.

By default the install is quick: pip builds and installs the project itself (its build
requirements, setuptools and wheel, come from the configured package index) but not its runtime
dependencies, which the hook imports from the environment running the tests (PYTHONPATH).
HFGUARD_TEST_PRECOMMIT_ONLINE=1 makes pip install the dependencies too, exactly as for a user
(minutes: spaCy and friends).
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from gitutil import Repo, isolated_env, make_repo
from secretgen import hf_token

ROOT = Path(__file__).resolve().parents[1]
TOKEN = hf_token("pre-commit-framework")
_SKIP_DIRS = {".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", "build", "dist", ".venv", ".tox"}

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pre_commit") is None or not (ROOT / ".pre-commit-hooks.yaml").is_file(),
    reason="needs the pre-commit package and this source tree",
)


def _framework_env(home: Path, pre_commit_home: Path) -> dict[str, str]:
    env = isolated_env(home)
    env["PRE_COMMIT_HOME"] = str(pre_commit_home)
    env["VIRTUALENV_NO_PERIODIC_UPDATE"] = "1"
    if not os.environ.get("HFGUARD_TEST_PRECOMMIT_ONLINE"):
        env["PIP_NO_DEPS"] = "1"
        paths = sysconfig.get_paths()
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([paths["purelib"], paths["platlib"]]))
    return env


def _source_files(root: Path) -> list[str]:
    if (root / ".git").exists():
        out = subprocess.run(["git", "ls-files", "-z", "-c", "-o", "--exclude-standard"], cwd=root,
                             capture_output=True, check=True).stdout
        return [p for p in out.decode().split("\0") if p and (root / p).is_file()]
    files = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if path.is_file() and not (set(rel.parts) & _SKIP_DIRS) and not rel.parts[0].endswith(".egg-info"):
            files.append(rel.as_posix())
    return files


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path]:
    """(a git repository holding this project, its commit, PRE_COMMIT_HOME)."""
    base = tmp_path_factory.mktemp("pre-commit")
    env = isolated_env(base / "home")
    (base / "home").mkdir()
    snapshot = make_repo(base / "hfguard-src", env)
    for rel in _source_files(ROOT):
        target = snapshot.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    sha = snapshot.commit("snapshot")
    return snapshot.path, sha, base / "pre-commit-home"


@pytest.fixture
def framework_repo(tmp_path: Path, hook_repo: tuple[Path, str, Path], monkeypatch: pytest.MonkeyPatch) -> Repo:
    source, sha, home = hook_repo
    (tmp_path / "home").mkdir()
    env = _framework_env(tmp_path / "home", home)
    repo = make_repo(tmp_path / "work", env)
    make_repo(tmp_path / "remote.git", env, bare=True)
    repo.git("remote", "add", "origin", str(tmp_path / "remote.git"))
    repo.write(".pre-commit-config.yaml", (
        f"repos:\n- repo: {source}\n  rev: {sha}\n  hooks:\n  - id: hfguard\n  - id: hfguard-push\n"))
    proc = subprocess.run([sys.executable, "-m", "pre_commit", "install", "--hook-type", "pre-commit",
                           "--hook-type", "pre-push"], cwd=repo.path, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    repo.write("README.md", "hello\n")
    proc = repo.git("add", "-A") and repo.git("commit", "-m", "first", check=False)  # builds the hook env
    assert proc.returncode == 0, proc.stdout + proc.stderr
    repo.git("push", "-q", "origin", "main")
    return repo


def test_commit_blocked_then_clean_commit_passes(framework_repo: Repo) -> None:
    repo = framework_repo
    repo.write("src/app.py", f'TOKEN = "{TOKEN}"\n')
    repo.write("model.bin", b"\x00\x01\x02")
    repo.git("add", "-A")
    proc = repo.git("commit", "-m", "leak", check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert TOKEN not in output
    assert "src/app.py:1:10" in output and "rotate" in output
    repo.write("src/app.py", 'TOKEN = os.environ["HF_TOKEN"]\n')
    repo.git("add", "-A")
    proc = repo.git("commit", "-m", "clean", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_push_with_committed_then_deleted_token_is_refused(framework_repo: Repo) -> None:
    repo = framework_repo
    repo.write("leak.py", f'T = "{TOKEN}"\n')
    repo.commit("leak")  # --no-verify
    (repo.path / "leak.py").unlink()
    repo.commit("delete it")  # the pushed range changes no file overall
    proc = repo.git("push", "origin", "main", check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0 and TOKEN not in output
    assert "leak.py" in output and f"commit {repo.short('HEAD~1')}" in output


@pytest.mark.slow  # try-repo builds its hook environment from scratch every time (~10-25 s)
def test_try_repo_all_files(tmp_path: Path, hook_repo: tuple[Path, str, Path]) -> None:
    source, _, home = hook_repo
    (tmp_path / "home").mkdir()
    env = _framework_env(tmp_path / "home", home)
    repo = make_repo(tmp_path / "work", env)
    repo.write("old.py", f'T = "{TOKEN}"\n')
    repo.commit("already committed")
    proc = subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(source), "hfguard", "--all-files"],
                          cwd=repo.path, env=env, capture_output=True, text=True, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1 and TOKEN not in output and "old.py:1:6" in output


# --- a Git LFS repository: git-lfs uploads its objects from pre-push ------------------------------

LFS_CLEAN = b"".join(b'{"text": "row %d"}\n' % i for i in range(40))
LFS_LEAKY = LFS_CLEAN + f'{{"text": "token {TOKEN}"}}\n'.encode()


def _remote_lfs_objects(remote: Path) -> list[str]:
    return sorted(p.name for p in (remote / "lfs" / "objects").rglob("*") if p.is_file())


def _lfs_framework_repo(tmp_path: Path, hook_repo: tuple[Path, str, Path], hook_id: str) -> Repo:
    """`git lfs install`, then `pre-commit install --hook-type pre-push` (which keeps git-lfs's
    hook as pre-push.legacy, as it does for users), *.jsonl in LFS, a bare remote `origin`."""
    source, sha, home = hook_repo
    (tmp_path / "home").mkdir()
    env = _framework_env(tmp_path / "home", home)
    repo = make_repo(tmp_path / "work", env)
    make_repo(tmp_path / "remote.git", env, bare=True)
    repo.git("remote", "add", "origin", str(tmp_path / "remote.git"))
    repo.git("lfs", "install", "--local")
    repo.git("lfs", "track", "*.jsonl")
    repo.write(".pre-commit-config.yaml", f"repos:\n- repo: {source}\n  rev: {sha}\n  hooks:\n  - id: {hook_id}\n")
    proc = subprocess.run([sys.executable, "-m", "pre_commit", "install", "--hook-type", "pre-push"],
                          cwd=repo.path, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "git lfs pre-push" in (repo.path / ".git" / "hooks" / "pre-push.legacy").read_text()
    return repo


needs_git_lfs = pytest.mark.skipif(shutil.which("git-lfs") is None, reason="needs git-lfs")


@needs_git_lfs
def test_lfs_aware_push_hook_uploads_objects_only_after_a_clean_scan(
        tmp_path: Path, hook_repo: tuple[Path, str, Path]) -> None:
    repo = _lfs_framework_repo(tmp_path, hook_repo, "hfguard-push-lfs")
    (repo.path / ".git" / "hooks" / "pre-push.legacy").unlink()  # as the README says
    remote = tmp_path / "remote.git"
    repo.write("data/seed.jsonl", LFS_CLEAN[:100])
    repo.commit("first")
    proc = repo.git("push", "origin", "main", check=False)  # a root commit: no PRE_COMMIT_FROM/TO_REF
    assert proc.returncode == 0, proc.stdout + proc.stderr
    seed = _remote_lfs_objects(remote)
    assert len(seed) == 1

    repo.write("data/train.jsonl", LFS_LEAKY)
    repo.commit("leaky data")
    proc = repo.git("push", "origin", "main", check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "data/train.jsonl" in output and TOKEN not in output
    assert "WARNING" not in output
    assert _remote_lfs_objects(remote) == seed  # refused: no LFS object left

    repo.write("data/train.jsonl", LFS_CLEAN)
    repo.git("commit", "-q", "--amend", "--no-verify", "-a", "-m", "clean data")
    proc = repo.git("push", "origin", "main", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    oids = {line.split()[0] for line in repo.git("lfs", "ls-files", "-l").stdout.splitlines()}
    assert set(_remote_lfs_objects(remote)) == oids and len(oids) == 2  # delivered


@needs_git_lfs
def test_git_lfs_legacy_hook_running_first_is_warned_about(
        tmp_path: Path, hook_repo: tuple[Path, str, Path]) -> None:
    repo = _lfs_framework_repo(tmp_path, hook_repo, "hfguard-push")
    repo.write("README.md", "hello\n")
    repo.commit("first")
    assert repo.git("push", "origin", "main", check=False).returncode == 0
    repo.write("data/train.jsonl", LFS_LEAKY)
    repo.commit("leaky data")
    proc = repo.git("push", "origin", "main", check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0 and TOKEN not in output
    # What the warning is about: git-lfs ran first and the object is on the remote already.
    assert _remote_lfs_objects(tmp_path / "remote.git")
    assert "WARNING" in output and "pre-push.legacy" in output and "hfguard-push-lfs" in output
