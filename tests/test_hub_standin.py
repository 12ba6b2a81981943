"""The Hub stand-in answers like the real Hub where the guard's tests depend on it (unguarded
huggingface_hub against tests/hubserver.py): LFS routing, the LFS transfer, commits that refuse
objects never received, EntryNotFound for missing files."""
from __future__ import annotations

import base64
import hashlib
import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from hubserver import COMMIT_OID, HubServer, lfs_tracked
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import EntryNotFoundError

TOKEN = "hf_" + "Q" * 34


@pytest.mark.parametrize("path", ["data/train-00000-of-00001.parquet", "model.safetensors", "pytorch_model.bin",
                                  "w.pt", "x.pkl", "tf_model.h5", "a.zip", "b.json.gz", "saved_model/v/1.pb",
                                  "runs/events.out.tfevents.1.host", "c.tar.gz", "img.png"])
def test_lfs_tracked_names(path: str) -> None:
    assert lfs_tracked(path)


@pytest.mark.parametrize("path", ["README.md", "config.json", "train.py", "data/train.csv", "notes.txt"])
def test_regular_names(path: str) -> None:
    assert not lfs_tracked(path)


def test_upload_modes_and_lfs_transfer(lfs_hub: HubServer) -> None:
    api = HfApi(token=TOKEN)
    weights = b"\x08\x00\x00\x00\x00\x00\x00\x00{}      " + bytes(range(256))
    api.upload_file(path_or_fileobj=weights, path_in_repo="model.safetensors", repo_id="user/model")
    api.upload_file(path_or_fileobj=b"hello\n", path_in_repo="notes.txt", repo_id="user/model")
    big = b"x" * (10 * 1024 * 1024 + 1)  # over 10 MB: LFS whatever the name
    api.upload_file(path_or_fileobj=big, path_in_repo="big.txt", repo_id="user/model")
    first, second, third = lfs_hub.commits()
    assert first.files == {} and first.lfs_files == {"model.safetensors": hashlib.sha256(weights).hexdigest()}
    assert second.files == {"notes.txt": b"hello\n"} and second.lfs_files == {}
    assert third.lfs_files == {"big.txt": hashlib.sha256(big).hexdigest()}
    assert [r.body for r in lfs_hub.lfs_uploads()] == [weights, big]
    assert lfs_hub.received("big.txt") == big
    # What was committed can be read back; a missing path is EntryNotFound, as on the Hub.
    assert Path(hf_hub_download("user/model", "notes.txt", revision=COMMIT_OID, token=TOKEN)).read_bytes() == b"hello\n"
    assert Path(hf_hub_download("user/model", "model.safetensors", revision=COMMIT_OID, token=TOKEN)).read_bytes() == weights
    with pytest.raises(EntryNotFoundError):
        hf_hub_download("user/model", "README.md", revision=COMMIT_OID, token=TOKEN)
    listed = {f.path for f in api.list_repo_tree("user/model")}
    assert listed == {"model.safetensors", "notes.txt", "big.txt"}


def _post(url: str, body: bytes, method: str = "POST") -> int:
    request = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # the loopback stand-in
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_commit_refuses_lfs_objects_never_received(lfs_hub: HubServer) -> None:
    oid = hashlib.sha256(b"never sent").hexdigest()
    lines = [{"key": "header", "value": {"summary": "s", "description": ""}},
             {"key": "lfsFile", "value": {"path": "d.parquet", "algo": "sha256", "oid": oid, "size": 10}}]
    body = "\n".join(json.dumps(line) for line in lines).encode()
    assert _post(f"{lfs_hub.endpoint}/api/datasets/user/data/commit/main", body) == 422
    assert lfs_hub.commits() == []  # refused: nothing stored
    assert _post(f"{lfs_hub.endpoint}/_lfs/{oid}", b"other bytes", "PUT") == 400  # sha256 checked
    assert _post(f"{lfs_hub.endpoint}/_lfs_verify/{oid}", b"{}") == 404
    assert _post(f"{lfs_hub.endpoint}/_lfs/{oid}", b"never sent", "PUT") == 200
    assert _post(f"{lfs_hub.endpoint}/api/datasets/user/data/commit/main", body) == 200
    assert lfs_hub.commits()[-1].lfs_files == {"d.parquet": oid}
    regular = [{"key": "header", "value": {"summary": "s"}},
               {"key": "file", "value": {"path": "a.txt", "encoding": "base64",
                                         "content": base64.b64encode(b"a").decode()}}]
    assert _post(f"{lfs_hub.endpoint}/api/datasets/user/data/commit/main",
                 "\n".join(json.dumps(line) for line in regular).encode()) == 200
