"""`hfguard scan hf://...`: Hub repositories read through HfFileSystem from the Hub stand-in on
127.0.0.1, Parquet by range requests (row groups), the same findings as a local scan of the
same files, the hf:// path and revision named in each finding."""
from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hubserver import HubServer
from secretgen import aws_key_id, github_pat, hf_token

from hfguard.cli import main
from hfguard.scanner import ScanOptions, scan_disk
from hfguard.sources.hf import list_hf, scan_hf

REPO = "org/people"


def make_dataset(root: Path) -> Path:
    """A small dataset repo: Parquet with row groups, JSONL, CSV and a card; secrets and personal
    data planted at run time."""
    data = root / "data"
    data.mkdir(parents=True)
    rows = 3000
    text = [f"order {i} shipped" for i in range(rows)]
    text[1234] = f"debug token {hf_token('hf-src-pq')} pasted here"
    emails = [f"customer{i}@mailbox{i % 17}.org" for i in range(rows)]
    pq.write_table(pa.table({"id": list(range(rows)), "text": text, "email": emails}),
                   data / "train-00000.parquet", row_group_size=500)
    with open(data / "notes.jsonl", "w") as fh:
        for i in range(200):
            record: dict[str, Any] = {"id": i, "note": f"call back later {i}"}
            if i == 42:
                record["note"] = f"key id {aws_key_id('hf-src-jsonl')} for the bucket"
            if i == 99:
                record["note"] = "patient John Carter, MRN 48213377, diagnosed with type 2 diabetes (E11.9)"
            fh.write(json.dumps(record) + "\n")
    (data / "extra.csv").write_text("name,ssn\nAnna Smith,219-09-9999\nBen Ode,078-05-1120\n")
    (root / "README.md").write_text(f"---\nlicense: mit\n---\n# People\n\nCI uses {github_pat('hf-src-card')}\n")
    return root


def upload(hub: HubServer, folder: Path, repo: str = REPO) -> None:
    from huggingface_hub import HfApi

    api = HfApi()
    api.create_repo(repo, repo_type="dataset")
    api.upload_folder(folder_path=str(folder), repo_id=repo, repo_type="dataset")


def comparable(report: Any, prefix: str) -> list[tuple[Any, ...]]:
    """Findings with the path made relative to the scanned root and the revision dropped from the
    location: what must be equal between a local and a hf:// scan."""
    out = []
    for f in report.findings:
        assert f.path.startswith(prefix), (f.path, prefix)
        location = f.location or ""
        if location.startswith("revision "):
            location = location.split(", ", 1)[1] if ", " in location else ""
        out.append((f.rule, f.category, f.severity, f.path[len(prefix):], f.line, f.column, f.cell, f.row,
                    f.field, location or None, f.preview, f.blocking, f.message))
    return out


def test_hf_scan_finds_what_a_local_scan_finds(lfs_hub: HubServer, tmp_path: Path) -> None:
    folder = make_dataset(tmp_path / "repo")
    upload(lfs_hub, folder)
    assert any(isinstance(v, str) for v in lfs_hub.stored[REPO].values()), "parquet went through LFS"

    local = scan_disk([str(folder)], ScanOptions(jobs=1))
    remote = scan_hf([f"hf://datasets/{REPO}"], ScanOptions(jobs=1))

    expected = comparable(local, str(folder) + "/")
    assert expected, "the planted data must be found"
    rules = {row[0] for row in expected}
    assert {"huggingface-access-token", "aws-access-key-id"} <= rules
    assert any(row[3] == "data/train-00000.parquet" and row[7] == 1235 for row in expected)
    assert comparable(remote, f"hf://datasets/{REPO}@main/") == expected
    assert not remote.errors and not local.errors
    # .gitattributes (the Hub stand-in has none) aside, the same files were read.
    assert remote.stats.files == local.stats.files
    assert remote.stats.bytes == local.stats.bytes
    # The revision the scan read is named in each finding.
    assert all(f.location and f.location.startswith("revision c0ffee000000") for f in remote.findings)


def test_cli_scan_of_hf_path_names_path_and_revision(lfs_hub: HubServer, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    upload(lfs_hub, make_dataset(tmp_path / "repo"))
    code = main(["scan", f"hf://datasets/{REPO}@main/data", "--format", "json", "--no-pii"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    paths = {f["path"] for f in doc["findings"]}
    assert paths == {f"hf://datasets/{REPO}@main/data/train-00000.parquet", f"hf://datasets/{REPO}@main/data/notes.jsonl"}
    token = next(f for f in doc["findings"] if f["rule"] == "huggingface-access-token")
    assert token["row"] == 1235 and token["field"] == "text"
    assert token["location"].startswith("revision c0ffee000000")
    assert hf_token("hf-src-pq") not in json.dumps(doc)
    # Every file was read at the commit the revision named, not at a moving branch.
    reads = [p for p in lfs_hub.paths() if "/resolve/" in p]
    assert reads and all("/resolve/c0ffee" in p for p in reads)


def _bytes_served(hub: HubServer, name: str, size: int) -> tuple[int, int]:
    """(bytes asked for, requests) by GETs of one file's content."""
    total = requests = 0
    for r in list(hub.requests):
        if r.method != "GET" or "/resolve/" not in r.path or not r.path.endswith(name):
            continue
        requests += 1
        header = r.headers.get("range")
        if not header:
            total += size
            continue
        first, _, last = header[6:].partition("-")
        total += min(size, int(last) + 1 if last else size) - int(first)
    return total, requests


def test_parquet_is_read_by_row_group_with_range_requests(lfs_hub: HubServer, tmp_path: Path) -> None:
    """A file whose bulk is a binary column (images, embeddings): only the footer and the string
    column chunks are fetched, not the whole file."""
    folder = tmp_path / "repo"
    folder.mkdir()
    rng = random.Random(7)
    rows = 400
    words = "red blue green cat dog tree house river cloud stone bird lake".split()
    captions = [f"photo {i}: " + " ".join(rng.choice(words) for _ in range(60)) for i in range(rows)]
    captions[321] = f"uploaded with {hf_token('hf-src-range')}"
    images = [rng.randbytes(20_000) for _ in range(rows)]  # incompressible, ~8 MB
    pq.write_table(pa.table({"caption": captions, "image": pa.array(images, pa.binary())}),
                   folder / "images.parquet", row_group_size=50, compression="none")
    size = os.path.getsize(folder / "images.parquet")
    upload(lfs_hub, folder)
    lfs_hub.clear()

    report = scan_hf([f"hf://datasets/{REPO}/images.parquet"], ScanOptions(jobs=1, pii=False))

    assert [(f.rule, f.row, f.field) for f in report.findings] == [("huggingface-access-token", 322, "caption")]
    asked, requests = _bytes_served(lfs_hub, "images.parquet", size)
    assert requests >= 2  # the footer, then column chunks
    assert asked < size / 20, (asked, size)  # footer, ~130 KB of captions; the ~8 MB of images never

    # With --max-rows, only the first row group's strings are needed.
    lfs_hub.clear()
    sampled = scan_hf([f"hf://datasets/{REPO}/images.parquet"], ScanOptions(jobs=1, pii=False, max_rows=10))
    assert not sampled.findings
    assert any("sampled the first 10 rows" in n for n in sampled.stats.notes)
    asked_sampled, _ = _bytes_served(lfs_hub, "images.parquet", size)
    assert asked_sampled < asked * 0.6, (asked_sampled, asked)


def test_missing_repo_or_path_is_an_error_not_a_crash(hub: HubServer, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "a.txt").write_text("nothing here\n")
    from huggingface_hub import HfApi

    HfApi().create_repo(REPO, repo_type="dataset")
    HfApi().upload_folder(folder_path=str(folder), repo_id=REPO, repo_type="dataset")
    code = main(["scan", f"hf://datasets/{REPO}/no/such/file.parquet", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 2
    assert [e["path"] for e in doc["errors"]] == [f"hf://datasets/{REPO}/no/such/file.parquet"]
    assert main(["scan", f"hf://datasets/{REPO}", "--format", "json"]) == 0


def test_a_repo_that_does_not_exist_is_an_error_and_an_empty_one_a_note(
        hub: HubServer, capsys: pytest.CaptureFixture[str]) -> None:
    """The Hub answers 404 RepoNotFound for a repo that does not exist (exit 2, named); a repo
    with no file scans nothing, and the text report says so instead of a silent 0 files."""
    from huggingface_hub import HfApi

    assert main(["scan", "hf://datasets/org/no-such-repo", "--format", "json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert [e["path"] for e in doc["errors"]] == ["hf://datasets/org/no-such-repo"]
    assert "not found" in doc["errors"][0]["message"]
    HfApi().create_repo("org/empty", repo_type="dataset")
    assert main(["scan", "hf://datasets/org/empty"]) == 0
    out = capsys.readouterr()
    assert "hf://datasets/org/empty: the repository holds no file there" in out.out + out.err


def test_config_excludes_apply_to_paths_in_the_repo(lfs_hub: HubServer, tmp_path: Path) -> None:
    upload(lfs_hub, make_dataset(tmp_path / "repo"))
    listing = list_hf([f"hf://datasets/{REPO}"], exclude=("data/*.parquet",))
    names = [f.shown.rsplit("@main/", 1)[1] for f in listing.files]
    assert "data/train-00000.parquet" not in names and "data/notes.jsonl" in names
    assert listing.excluded == 1 and not listing.errors


def test_hf_token_is_sent(lfs_hub: HubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    upload(lfs_hub, make_dataset(tmp_path / "repo"))
    token = hf_token("hf-src-auth")
    monkeypatch.setenv("HF_TOKEN", token)
    lfs_hub.clear()
    scan_hf([f"hf://datasets/{REPO}/data/notes.jsonl"], ScanOptions(jobs=1, pii=False))
    reads = [r for r in lfs_hub.requests if "/resolve/" in r.path]
    assert reads and all(r.headers.get("authorization") == f"Bearer {token}" for r in reads)


@pytest.mark.parametrize(("repo_type", "prefix"), [("model", ""), ("space", "spaces/")])
def test_models_and_spaces(hub: HubServer, tmp_path: Path, repo_type: str, prefix: str,
                           capsys: pytest.CaptureFixture[str]) -> None:
    from huggingface_hub import HfApi

    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "app.py").write_text(f'HF_TOKEN = "{hf_token("hf-src-" + repo_type)}"\n')
    (folder / "config.json").write_text('{"model_type": "bert"}\n')
    api = HfApi()
    api.create_repo("org/thing", repo_type=repo_type, **({"space_sdk": "gradio"} if repo_type == "space" else {}))
    api.upload_folder(folder_path=str(folder), repo_id="org/thing", repo_type=repo_type)
    code = main(["scan", f"hf://{prefix}org/thing", "--format", "json", "--no-pii"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1, doc
    found = [(f["path"], f["line"]) for f in doc["findings"] if f["category"] == "secret"]
    assert found == [(f"hf://{prefix}org/thing@main/app.py", 1)]


def test_allow_hint_and_baseline_match_the_path_in_the_repo(lfs_hub: HubServer, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Config patterns and baseline entries see a Hub file by its path in the repo: the [[allow]]
    the report suggests works when pasted, and a baseline made at @main holds at the commit."""
    import re

    folder = make_dataset(tmp_path / "repo")
    upload(lfs_hub, folder)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    target = f"hf://datasets/{REPO}@main/data/notes.jsonl"
    assert main(["scan", target, "--no-pii"]) == 1
    out = capsys.readouterr().out
    hint = re.search(r'\[\[allow\]\] with (path = "[^"]*"(?:, field = "[^"]*")?, rules = \["[^"]*"\])', out)
    assert hint, out
    assert 'path = "data/notes.jsonl"' in hint.group(1)
    (work / ".hfguard.toml").write_text("[[allow]]\n" + hint.group(1).replace(", ", "\n") + "\n")
    assert main(["scan", target, "--no-pii"]) == 0, capsys.readouterr().out
    (work / ".hfguard.toml").unlink()

    assert main(["baseline", f"hf://datasets/{REPO}", "--no-pii", "-o", str(work / "bl.json")]) == 0
    from hubserver import COMMIT_OID

    pinned = f"hf://datasets/{REPO}@{COMMIT_OID}"
    capsys.readouterr()
    assert main(["scan", pinned, "--no-pii", "--baseline", str(work / "bl.json")]) == 0, capsys.readouterr().out


def test_hf_glob_scans_the_matching_files(lfs_hub: HubServer, tmp_path: Path) -> None:
    folder = make_dataset(tmp_path / "repo")
    upload(lfs_hub, folder)
    report = scan_hf([f"hf://datasets/{REPO}/data/*.jsonl"], ScanOptions(jobs=1, pii=False))
    assert not report.errors
    assert {f.path for f in report.findings} == {f"hf://datasets/{REPO}@main/data/notes.jsonl"}
    assert report.stats.files == 1
    nothing = scan_hf([f"hf://datasets/{REPO}/data/*.xml"], ScanOptions(jobs=1, pii=False))
    assert [e.message.split(":")[0] for e in nothing.errors] == ["cannot list"]  # fail closed, not an empty pass


def test_a_hub_that_cannot_be_reached_is_an_error_for_its_paths_only(
        hub: HubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Connection refused (huggingface_hub raises its HTTP library's errors, not OSError) while
    listing or while reading: an error naming the path, the other paths still scanned; never an
    internal error (exit 3) that loses the local findings."""
    import hfguard.sources.hf as hf

    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "notes.txt").write_text("nothing here\n")
    from huggingface_hub import HfApi

    HfApi().create_repo(REPO, repo_type="dataset")
    HfApi().upload_folder(folder_path=str(folder), repo_id=REPO, repo_type="dataset")
    local = tmp_path / "local"
    local.mkdir()
    (local / "ci.sh").write_text(f"export GH_TOKEN={github_pat('hf-unreachable')}\n")
    httpx = pytest.importorskip("httpx")
    real_blob = hf.hf_blob

    def gone_while_reading(file: Any, fs: Any) -> Any:
        blob = real_blob(file, fs)

        def refused() -> Any:
            raise httpx.ConnectError("[Errno 111] Connection refused")

        return type(blob)(blob.path, refused, blob.size, location_prefix=blob.location_prefix, commit=blob.commit)

    monkeypatch.setattr(hf, "hf_blob", gone_while_reading)
    assert main(["scan", f"hf://datasets/{REPO}", str(local), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [f["rule"] for f in doc["findings"]] == ["github-pat"]
    assert [e["path"] for e in doc["errors"]] == [f"hf://datasets/{REPO}@main/notes.txt"]
    assert "could not be read from the Hub" in doc["errors"][0]["message"]
    import socket

    with socket.socket() as probe:  # a port nothing listens on: listing is refused too
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    real_filesystem = hf.filesystem
    monkeypatch.setattr(hf, "filesystem", lambda *a, **k: real_filesystem(closed))
    assert main(["scan", f"hf://datasets/{REPO}", "--format", "json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert [e["path"] for e in doc["errors"]] == [f"hf://datasets/{REPO}"]
    assert doc["errors"][0]["message"].startswith("cannot list:")


def test_python_api_scan_paths_reads_hf_paths(lfs_hub: HubServer, tmp_path: Path) -> None:
    """`scan_paths` is the twin of `hfguard scan`: hf:// paths go to the Hub, not to the disk."""
    from hfguard.api import scan_paths

    upload(lfs_hub, make_dataset(tmp_path / "ds"))
    doc = scan_paths([f"hf://datasets/{REPO}"], jobs=1)
    assert doc["errors"] == []
    assert {f["rule"] for f in doc["findings"]} >= {"huggingface-access-token", "github-pat", "aws-access-key-id"}
    assert all(f["path"].startswith(f"hf://datasets/{REPO}@main/") for f in doc["findings"])
