from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests/secretgen.py and other helpers

from gitutil import git_env, repo  # noqa: E402,F401  git fixtures: isolated HOME, a real repository in tmp_path
from hubserver import HubServer, serve_hub  # noqa: E402


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HubServer]:
    """A recording Hub stand-in on 127.0.0.1 (HF_ENDPOINT and HF_HOME point at it); cwd is tmp_path
    so no project config is discovered."""
    with serve_hub(tmp_path / "hf_home", monkeypatch) as server:
        monkeypatch.chdir(tmp_path)
        yield server


@pytest.fixture
def lfs_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HubServer]:
    """The `hub` stand-in with Xet disabled, so files the Hub keeps in LFS (Parquet shards of
    `datasets.push_to_hub`, *.safetensors, files over 10 MB) use the basic LFS transfer it speaks."""
    with serve_hub(tmp_path / "hf_home", monkeypatch, xet=False) as server:
        monkeypatch.chdir(tmp_path)
        yield server
