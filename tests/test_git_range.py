"""`hfguard scan --range`: what the commits of a range add, in real repositories."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from gitutil import Repo, make_repo
from secretgen import hf_token

from hfguard.cli import main
from hfguard.sources.git import pre_push_range

TOKEN = hf_token("range")
OTHER = hf_token("range-other")


def scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["scan", "--no-pii", "--format", "json", *args])
    captured = capsys.readouterr()
    assert TOKEN not in captured.out + captured.err and OTHER not in captured.out + captured.err
    return code, json.loads(captured.out) if captured.out else {}


def where(report: dict[str, Any]) -> list[tuple[str, int | None, str | None]]:
    return [(f["path"], f["line"], f["location"]) for f in report["findings"]]


def test_secret_added_then_deleted_is_found_in_its_commit(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("README.md", "hello\n")
    base = repo.commit("base")
    repo.write("app.py", "import os\n" * 4 + f'TOKEN = "{TOKEN}"\n')
    repo.commit("add", date="2026-11-03T10:00:00+00:00")
    leak = repo.short()
    repo.write("app.py", "import os\n" * 4 + 'TOKEN = os.environ["HF_TOKEN"]\n')
    repo.commit("remove")
    code, report = scan(capsys, "--range", f"{base}..HEAD")
    assert code == 1
    assert where(report) == [("app.py", 5, f"commit {leak} (2026-11-03)")]


def test_text_report_names_the_commit(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("app.py", f'TOKEN = "{TOKEN}"\n')
    repo.commit("add")
    assert main(["scan", "--no-pii", "--range", "HEAD"]) == 1
    out = capsys.readouterr().out
    assert TOKEN not in out
    assert f"app.py:1:10 (commit {repo.short()} (2026-11-01))" in out and "rebase" in out


def test_only_added_lines_count(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [f"v{i} = {i}" for i in range(1, 21)]
    lines[2] = f'old = "{TOKEN}"'  # already published before the range
    repo.write("cfg.py", "\n".join(lines) + "\n")
    base = repo.commit("old")
    lines[9] = f'new = "{OTHER}"'
    lines.insert(0, "# header")
    repo.write("cfg.py", "\n".join(lines) + "\n")
    repo.commit("edit")
    code, report = scan(capsys, "--range", f"{base}..HEAD")
    assert code == 1
    assert [f["line"] for f in report["findings"]] == [11]


def test_lone_revision_means_commits_no_remote_has(repo: Repo, tmp_path: Path, git_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    make_repo(tmp_path / "remote.git", git_env, bare=True)
    repo.git("remote", "add", "origin", str(tmp_path / "remote.git"))
    repo.write("old.py", f'T = "{TOKEN}"\n')
    repo.commit("published long ago")
    repo.git("push", "-q", "origin", "main")
    repo.write("new.py", f'T = "{OTHER}"\n')
    repo.commit("local only")
    code, report = scan(capsys, "--range", "HEAD")
    assert code == 1 and [f["path"] for f in report["findings"]] == ["new.py"]
    repo.git("push", "-q", "origin", "main")
    code, report = scan(capsys, "--range", "HEAD")
    assert code == 0 and report["stats"]["files"] == 0


def test_renames_add_nothing_and_deletions_are_skipped(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("a/secret.py", f'T = "{TOKEN}"\n' + "x = 1\n" * 20)
    base = repo.commit("old")
    (repo.path / "b").mkdir()
    repo.git("mv", "a/secret.py", "b/secret.py")
    repo.commit("rename")
    repo.git("rm", "-q", "b/secret.py")
    repo.commit("delete")
    code, report = scan(capsys, "--range", f"{base}..HEAD")
    assert code == 0 and report["findings"] == []


def test_rename_with_an_added_secret(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("a.py", "x = 1\n" * 20)
    base = repo.commit("old")
    (repo.path / "a.py").unlink()
    repo.write("b.py", "x = 1\n" * 20 + f'T = "{TOKEN}"\n')
    repo.commit("rename and add")
    code, report = scan(capsys, "--range", f"{base}..HEAD")
    assert code == 1 and [(f["path"], f["line"]) for f in report["findings"]] == [("b.py", 21)]


def test_merge_commit_content_is_scanned(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("f.txt", "a\nb\nc\n")
    base = repo.commit("base")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("f.txt", "a\nSIDE\nc\n")
    repo.commit("side")
    repo.git("checkout", "-q", "main")
    repo.write("f.txt", "a\nMAIN\nc\n")
    repo.commit("main")
    repo.git("merge", "-q", "side", check=False)  # conflict
    repo.write("f.txt", f"a\ntoken = {TOKEN}\nc\n")
    repo.write("g.py", f'T = "{OTHER}"\n')  # an "evil merge": content only the merge commit has
    merge = repo.commit("merge")
    code, report = scan(capsys, "--range", f"{base}..HEAD")
    assert code == 1
    short = repo.short(merge)
    assert {(f["path"], f["line"], f["location"]) for f in report["findings"]} == {
        ("f.txt", 2, f"commit {short} (2026-11-01)"), ("g.py", 1, f"commit {short} (2026-11-01)")}


def test_quoted_paths_binary_and_submodules(repo: Repo, tmp_path: Path, git_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("README.md", "hello\n")
    base = repo.commit("base")
    odd = "sp ace/t\u00e9st\t\"q\".py"
    repo.write(odd, f'T = "{TOKEN}"')  # no newline at the end
    repo.write("plain name.py", "x = 1\n" + f'T = "{OTHER}"\n')
    repo.write("model.bin", b"\x00\x01" + TOKEN.encode() + b"\x00")
    inner = make_repo(tmp_path / "inner", git_env)
    inner.write("x.py", "x = 1\n")
    sha = inner.commit("inner")
    repo.git("add", "-A")
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{sha},vendor/inner")
    repo.commit("odd")
    code, report = scan(capsys, "--range", f"{base}..HEAD")
    assert code == 1 and report["errors"] == []
    assert sorted((f["path"], f["line"]) for f in report["findings"]) == [("plain name.py", 2), (odd, 1)]


def test_many_hunks_and_no_newline_markers(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [f"v{i} = {i}" for i in range(1, 60)]
    repo.write("m.py", "\n".join(lines))  # no final newline
    base = repo.commit("old")
    lines[5] = "changed = 1"
    lines[30] = f'tok = "{TOKEN}"'
    lines[-1] = f'last = "{OTHER}"'
    repo.write("m.py", "\n".join(lines))
    repo.commit("edit")
    code, report = scan(capsys, "--range", f"{base}..HEAD")
    assert code == 1 and sorted(f["line"] for f in report["findings"]) == [31, 59]


def test_bad_range_is_a_usage_error(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("a.py", "x = 1\n")
    repo.commit("a")
    for spec in ("no-such-branch..HEAD", "--output=/tmp/x"):
        assert main(["scan", "--range", spec]) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and "error" in err
    assert main(["scan", "--range", "HEAD", "some/path"]) == 2


def test_baseline_from_a_range_accepts_its_findings(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("app.py", f'T = "{TOKEN}"\n')
    repo.commit("add")
    repo.write("app.py", "T = None\n")
    repo.commit("remove")
    assert main(["baseline", "--no-pii", "--range", "HEAD", "-o", "accepted.json"]) == 0
    assert TOKEN not in (repo.path / "accepted.json").read_text()
    code, report = scan(capsys, "--range", "HEAD", "--baseline", "accepted.json")
    assert code == 0 and report["findings"] == []


def test_pre_push_range_from_pre_commit_environment() -> None:
    assert pre_push_range({"PRE_COMMIT_FROM_REF": "a" * 40, "PRE_COMMIT_TO_REF": "b" * 40}) == f"{'a' * 40}..{'b' * 40}"
    assert pre_push_range({"PRE_COMMIT_LOCAL_BRANCH": "refs/heads/topic"}) == "refs/heads/topic"
    assert pre_push_range({}) == "HEAD"


def test_allow_pragma_on_an_unchanged_line_above_still_counts(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("a.py", "x = 1\n# hfguard: allow-next-line\nplaceholder = None\n")
    base = repo.commit("old")
    repo.write("a.py", f'x = 1\n# hfguard: allow-next-line\nplaceholder = "{TOKEN}"\n')
    repo.commit("fill in")
    code, report = scan(capsys, "--range", f"{base}..HEAD")
    assert code == 0 and report["findings"] == []


def test_notebook_findings_on_added_lines_only(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    def notebook(*sources: str) -> str:
        cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                  "source": [src]} for src in sources]
        return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"

    repo.write("nb.ipynb", notebook(f'old = "{TOKEN}"'))
    base = repo.commit("published notebook")
    repo.write("nb.ipynb", notebook(f'old = "{TOKEN}"', "x = 1", f'new = "{OTHER}"'))
    repo.commit("more cells")
    code, report = scan(capsys, "--range", f"{base}..HEAD")
    assert code == 1
    assert [(f["cell"], f["preview"][:4]) for f in report["findings"]] == [(3, OTHER[:4])]


def test_lfs_content_counts_whole(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    import hashlib

    content = f"id,note\n1,hello\n2,{TOKEN}\n".encode()
    oid = hashlib.sha256(content).hexdigest()
    store = repo.path / ".git" / "lfs" / "objects" / oid[:2] / oid[2:4]
    store.mkdir(parents=True)
    (store / oid).write_bytes(content)
    repo.write("data.csv", f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {len(content)}\n")
    repo.commit("data via LFS")
    code, report = scan(capsys, "--range", "HEAD")
    assert code == 1 and [f["path"] for f in report["findings"]] == ["data.csv"]


def test_keep_lines_keeps_numbers() -> None:
    from hfguard.sources.git import keep_lines

    data = b"1\n2\n3\n4\n5\n6\n7"
    assert keep_lines(data, [(4, 1), (7, 1)]) == b"\n\n3\n4\n\n6\n7"
    assert keep_lines(data, [(1, 2)]) == b"1\n2\n\n\n\n\n"


def test_pre_push_flag_reads_the_pre_commit_refs(repo: Repo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    repo.write("a.py", f'T = "{TOKEN}"\n')
    first = repo.commit("leak")
    repo.write("b.py", "x = 1\n")
    second = repo.commit("clean")
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", first)
    monkeypatch.setenv("PRE_COMMIT_TO_REF", second)
    code, report = scan(capsys, "--pre-push")
    assert code == 0 and report["stats"]["files"] == 1
    monkeypatch.delenv("PRE_COMMIT_FROM_REF")
    monkeypatch.delenv("PRE_COMMIT_TO_REF")
    code, report = scan(capsys, "--pre-push")  # no refs and no remote: all of HEAD
    assert code == 1 and [f["path"] for f in report["findings"]] == ["a.py"]
