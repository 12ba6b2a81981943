"""Git LFS in git flows: pointers are never read as the format their name says, and the content
a push would upload (the object in the local LFS store) is what gets scanned.

Every test runs twice: with git-lfs itself as the clean filter (skipped when it is not
installed) and with tests/lfsfilter.py, the same filter as a script.
"""
from __future__ import annotations

import json
import os
import pickle
import struct
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from gitutil import LFS_TOOLS, Repo, git_lfs_installed, lfs_object, make_repo, track_with_lfs
from pyarrow import ipc
from secretgen import hf_token

from hfguard.cli import main
from hfguard.sources.lfs import MAX_POINTER_BYTES, Pointer, parse_pointer

TOKENS = {name: hf_token(f"lfs-{name}") for name in ("safetensors", "parquet", "jsonl", "log")}
PATTERNS = ("*.safetensors", "*.bin", "*.pt", "*.pkl", "*.parquet", "*.arrow", "*.jsonl", "*.csv", "*.log")
SPEC_OID = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393"  # the spec's example


def scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(["scan", "--no-pii", "--format", "json", *args])
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert not any(token in output for token in TOKENS.values())
    return code, json.loads(captured.out) if captured.out else {}, output


def safetensors(metadata: dict[str, str]) -> bytes:
    """A small model: a header longer than its LFS pointer, as every real one is."""
    data = bytes(range(64))
    header: dict[str, Any] = {"__metadata__": metadata}
    for layer in range(4):
        header[f"model.layers.{layer}.weight"] = {"dtype": "U8", "shape": [16], "data_offsets": [16 * layer, 16 * layer + 16]}
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def parquet(notes: list[str]) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({"id": list(range(1, len(notes) + 1)), "note": notes}), sink)
    return bytes(sink.getvalue().to_pybytes())


def arrow(notes: list[str]) -> bytes:
    sink = pa.BufferOutputStream()
    table = pa.table({"note": notes})
    with ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def jsonl(texts: list[str]) -> bytes:
    return "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts, 1)).encode()


CLEAN = {
    "model.safetensors": safetensors({"format": "pt"}),
    "data/train.parquet": parquet(["hello", "world"]),
    "data/shard.arrow": arrow(["hello", "world"]),
    "data/train.jsonl": jsonl(["hello", "world"]),
    "data/extra.csv": b"id,text\n1,hello\n2,world\n",
    "logs/run.log": b"epoch 1\nepoch 2\n",
    # Plain pickles of built-in types: nothing for the pickle hygiene check to report.
    "pytorch_model.bin": pickle.dumps({"w": bytes(range(256)) * 8}, protocol=4),
    "optimizer.pt": pickle.dumps({"step": 3, "lr": [0.1, 0.01]}, protocol=4),
    "tokenizer.pkl": pickle.dumps({"vocab": {"hello": 0, "world": 1}}, protocol=4),
}
SCANNED = 6  # every file above but the three weights (skipped as binary)
LEAKY = {
    "model.safetensors": safetensors({"format": "pt", "pushed_with": TOKENS["safetensors"]}),
    "data/train.parquet": parquet(["hello", TOKENS["parquet"]]),
    "data/train.jsonl": jsonl(["hello", f"my token is {TOKENS['jsonl']}"]),
}


@pytest.fixture(params=LFS_TOOLS)
def lfs_repo(request: pytest.FixtureRequest, repo: Repo) -> Repo:
    """`repo` with PATTERNS sent through the LFS clean filter, .gitattributes committed."""
    if request.param == "git-lfs" and not git_lfs_installed():
        pytest.skip("git-lfs is not installed (the script filter runs the same flow)")
    track_with_lfs(repo, PATTERNS, request.param)
    repo.commit("track with LFS", ".gitattributes")
    return repo


def write_all(repo: Repo, files: dict[str, bytes]) -> None:
    for path, content in files.items():
        repo.write(path, content)
    repo.git("add", "--", *files)


def pointer_of(repo: Repo, rev_path: str) -> Pointer:
    """The pointer git holds for `rev_path` (":path" for the index, "HEAD:path")."""
    pointer = parse_pointer(repo.git("cat-file", "blob", rev_path).stdout.encode())
    assert pointer is not None, f"{rev_path} is not an LFS pointer in git"
    return pointer


def findings(report: dict[str, Any]) -> list[tuple[str, str, int | None, str | None]]:
    """Secrets found (hygiene advice such as "pickle-based format" is left out)."""
    return sorted((f["path"], f["rule"], f["row"], f["field"]) for f in report["findings"] if f["category"] != "hygiene")


EXPECTED = [
    ("data/train.jsonl", "huggingface-access-token", 2, "text"),
    ("data/train.parquet", "huggingface-access-token", 2, "note"),
    ("model.safetensors", "huggingface-access-token", None, "__metadata__.pushed_with"),
]


# --- fault 1: a pointer is not the format its name says ----------------------------------------


def test_staged_pointers_of_clean_files_pass(lfs_repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    write_all(lfs_repo, CLEAN)
    for path, content in CLEAN.items():
        assert pointer_of(lfs_repo, f":{path}").size == len(content)  # git holds pointers
    code, report, output = scan(capsys, "--staged")
    assert "header length out of range" not in output
    assert (code, report["errors"]) == (0, [])
    assert report["stats"]["files"] == SCANNED and "notes" not in report["stats"]
    assert report["stats"]["bytes"] > 0


def test_range_pointers_of_clean_files_pass(lfs_repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    base = lfs_repo.head()
    write_all(lfs_repo, CLEAN)
    lfs_repo.commit("model and data")
    code, report, output = scan(capsys, "--range", f"{base}..HEAD")
    assert "header length out of range" not in output
    assert (code, report["errors"]) == (0, [])
    assert report["stats"]["files"] == SCANNED


def test_folder_scan_of_a_skip_smudge_clone(lfs_repo: Repo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_all(lfs_repo, CLEAN)
    lfs_repo.commit("model and data")
    clone = tmp_path / "clone"
    env = dict(lfs_repo.env, GIT_LFS_SKIP_SMUDGE="1")
    make_repo(clone, env)  # a fresh repository with no LFS filter installed: checkout keeps pointers
    Repo(clone, env).git("pull", "-q", str(lfs_repo.path), "main")
    assert (clone / "model.safetensors").read_bytes().startswith(b"version https://git-lfs.github.com/spec/v1\n")
    code, report, output = scan(capsys, str(clone))
    assert "header length out of range" not in output
    assert (code, report["errors"]) == (0, [])
    noted = sorted(n.split(":", 1)[0] for n in report["stats"].get("notes", []) if "Git LFS pointer" in n)
    assert noted == sorted(str(clone / p) for p in CLEAN if not p.endswith((".bin", ".pt", ".pkl")))


# --- fault 2: the object is scanned as the file it stands for ----------------------------------


def test_staged_token_in_lfs_objects_is_found(lfs_repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    write_all(lfs_repo, {**CLEAN, **LEAKY})
    code, report, _ = scan(capsys, "--staged")
    assert code == 1 and report["errors"] == []
    assert findings(report) == EXPECTED


def test_range_token_in_lfs_objects_is_found_whole(lfs_repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    base = lfs_repo.head()
    write_all(lfs_repo, CLEAN)
    lfs_repo.commit("clean data")
    # The pointer diff is two lines (oid, size): the object still counts whole, token at line 6.
    write_all(lfs_repo, {**LEAKY, "logs/run.log": b"epoch 1\n" * 5 + f"token {TOKENS['log']}\n".encode()})
    leak = lfs_repo.commit("more data", date="2026-11-05T10:00:00+00:00")
    code, report, _ = scan(capsys, "--range", f"{base}..HEAD")
    assert code == 1 and report["errors"] == []
    assert findings(report) == sorted([*EXPECTED, ("logs/run.log", "huggingface-access-token", None, None)])
    prefix = f"commit {lfs_repo.short(leak)} (2026-11-05)"
    assert all(f["location"].startswith(prefix) for f in report["findings"] if f["category"] != "hygiene")
    assert [f["line"] for f in report["findings"] if f["path"] == "logs/run.log"] == [6]


@pytest.fixture
def hooked_lfs(lfs_repo: Repo, tmp_path: Path, git_env: dict[str, str]) -> Repo:
    """`lfs_repo` with hfguard's shipped hooks installed and a bare remote `origin`."""
    assert main(["install-hooks"]) == 0
    make_repo(tmp_path / "remote.git", git_env, bare=True)
    lfs_repo.git("remote", "add", "origin", str(tmp_path / "remote.git"))
    lfs_repo.git("push", "-q", "origin", "main")
    return lfs_repo


def test_hooks_commit_and_push_lfs_files(hooked_lfs: Repo) -> None:
    hooked_lfs.write("model.safetensors", CLEAN["model.safetensors"])
    hooked_lfs.write("data/train.parquet", CLEAN["data/train.parquet"])
    hooked_lfs.commit("model and data", verify=True)  # the pre-commit hook lets the pointers in
    proc = hooked_lfs.git("push", "origin", "main", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    write_all(hooked_lfs, LEAKY)
    hooked_lfs.commit("leaky data")  # --no-verify: the commit hook was skipped
    proc = hooked_lfs.git("push", "origin", "main", check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert not any(token in output for token in TOKENS.values())
    assert all(path in output for path in LEAKY), output
    assert "header length out of range" not in output
    remote_head = hooked_lfs.git("ls-remote", "origin", "refs/heads/main").stdout.split()[0]
    assert remote_head != hooked_lfs.head()


class _RunsCode:
    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.system, ("echo loaded",))


def test_pickle_checks_read_the_lfs_object(lfs_repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    write_all(lfs_repo, {"tokenizer.pkl": pickle.dumps({"vocab": [_RunsCode()]}, protocol=4)})
    code, report, _ = scan(capsys, "--staged")
    assert code == 1 and report["errors"] == []
    assert "pickle-dangerous-import" in [f["rule"] for f in report["findings"] if f["path"] == "tokenizer.pkl"]


def test_lfs_storage_setting_is_honoured(lfs_repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    lfs_repo.git("config", "lfs.storage", "../lfs-elsewhere")  # relative to the git dir
    write_all(lfs_repo, LEAKY)
    oid = pointer_of(lfs_repo, ":data/train.parquet").oid
    assert lfs_object(lfs_repo, oid, lfs_repo.path / "lfs-elsewhere").is_file()
    assert not lfs_object(lfs_repo, oid).exists()
    code, report, _ = scan(capsys, "--staged")
    assert code == 1 and findings(report) == EXPECTED


def test_size_limit_applies_to_the_object_not_its_pointer(lfs_repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    (lfs_repo.path / ".hfguard.toml").write_text('max_file_size = "1KB"\n')
    big = jsonl([f"row {i}" for i in range(100)])
    write_all(lfs_repo, {"data/big.jsonl": big, "data/small.jsonl": jsonl(["hello"])})
    assert len(big) > 1024 > len(lfs_repo.git("cat-file", "blob", ":data/big.jsonl").stdout)
    code, report, _ = scan(capsys, "--staged")
    assert code == 2 and [e["path"] for e in report["errors"]] == ["data/big.jsonl"]
    assert "max_file_size" in report["errors"][0]["message"]


# --- objects that are missing or do not match --------------------------------------------------


def test_missing_objects_are_notes(lfs_repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    base = lfs_repo.head()
    write_all(lfs_repo, LEAKY)
    lfs_repo.commit("data")
    for path in LEAKY:
        lfs_object(lfs_repo, pointer_of(lfs_repo, f"HEAD:{path}").oid).unlink()
    short = lfs_repo.short()
    for args, shown in ((["--staged", *LEAKY], "{path}"), (["--range", f"{base}..HEAD"], f"{{path}} (commit {short} (")):
        code, report, output = scan(capsys, *args)
        assert (code, report["errors"], report["findings"]) == (0, [], [])
        assert "header length out of range" not in output
        notes = report["stats"]["notes"]
        for path in LEAKY:
            note = next(n for n in notes if n.startswith(shown.format(path=path)))
            assert "not in the local LFS store" in note and "not scanned" in note
        assert report["stats"]["files"] == 0


def test_object_that_does_not_match_its_pointer_is_an_error(lfs_repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    write_all(lfs_repo, CLEAN)
    tampered = lfs_object(lfs_repo, pointer_of(lfs_repo, ":data/train.jsonl").oid)
    truncated = lfs_object(lfs_repo, pointer_of(lfs_repo, ":data/extra.csv").oid)
    for path in (tampered, truncated):
        path.chmod(0o644)  # git-lfs stores objects read-only
    original = tampered.read_bytes()
    tampered.write_bytes(original.replace(b"hello", b"HELLO"))
    truncated.write_bytes(truncated.read_bytes()[:-3])
    code, report, _ = scan(capsys, "--staged")
    assert code == 2 and findings(report) == []
    errors = {e["path"]: e["message"] for e in report["errors"]}
    assert sorted(errors) == ["data/extra.csv", "data/train.jsonl"]
    assert "sha256" in errors["data/train.jsonl"] and "not the content a push would send" in errors["data/train.jsonl"]
    assert "bytes" in errors["data/extra.csv"]


# --- the pointer format ------------------------------------------------------------------------


def test_pointer_parsing_follows_the_spec() -> None:
    text = f"version https://git-lfs.github.com/spec/v1\noid sha256:{SPEC_OID}\nsize 12345\n"
    assert parse_pointer(text.encode()) == Pointer(SPEC_OID, 12345)
    assert parse_pointer(text.replace("git-lfs", "hawser").encode()) == Pointer(SPEC_OID, 12345)  # pre-release
    ext = f"ext-0-foo sha256:{'a' * 64}\n"
    with_ext = text.replace("oid ", ext + "oid ", 1)
    assert parse_pointer(with_ext.encode()) == Pointer(SPEC_OID, 12345, ("foo",))
    not_pointers = [
        text.replace("size 12345", "size -1"),
        text.replace(SPEC_OID, SPEC_OID.upper()),
        text.replace("sha256:", "sha512:"),
        text + "note hf-token-here\n",  # any other line: scanned as the file it is
        text.replace("oid", "OID"),
        "\n".join(reversed(text.splitlines())),
        text + " " * (MAX_POINTER_BYTES - len(text)),
        "version https://git-lfs.github.com/spec/v2\n" + text.split("\n", 1)[1],
    ]
    for bad in not_pointers:
        assert parse_pointer(bad.encode()) is None, bad
    assert parse_pointer(b"") is None and parse_pointer(os.urandom(200)) is None
