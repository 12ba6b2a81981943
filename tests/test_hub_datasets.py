"""Real `datasets` push_to_hub under the guard, against the Hub stand-in (Parquet shards go
through LFS, as on the Hub): a clean push completes, personal data is stopped before any content
leaves, and a block after some shards were uploaded says so instead of "nothing was sent"."""
from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hubserver import HubServer

from hfguard import UploadBlocked, protect

datasets = pytest.importorskip("datasets")
pq = pytest.importorskip("pyarrow.parquet")

TOKEN = "hf_" + "Q" * 34


@pytest.fixture
def ds_hub(lfs_hub: HubServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[HubServer]:
    """`datasets` reads HF_ENDPOINT when imported: point it at the stand-in as well."""
    monkeypatch.setattr(datasets.config, "HF_ENDPOINT", lfs_hub.endpoint)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "ds_cache")
    datasets.disable_progress_bars()
    try:
        yield lfs_hub
    finally:
        datasets.enable_progress_bars()


def clean_dataset(n: int = 200, seed: int = 1) -> Any:
    return datasets.Dataset.from_dict({
        "text": [f"sample sentence number {i} about the weather" for i in range(n)],
        "label": [(i * seed) % 3 for i in range(n)],
    })


def personal_dataset(n: int = 200) -> Any:
    from faker import Faker

    fake = Faker("en_US")
    Faker.seed(11)
    return datasets.Dataset.from_dict({
        "email": [fake.email() for _ in range(n)],
        "ssn": [fake.ssn() for _ in range(n)],
        "label": [i % 2 for i in range(n)],
    })


def assert_shards_arrived(hub: HubServer, expected: dict[str, Any]) -> None:
    """The commit names every shard; each LFS object was received, byte for byte (its sha256 is
    the oid the commit points to), and reads back as the split that was pushed."""
    commit = hub.commits()[-1]
    for split, dataset in expected.items():
        shards = [p for p in commit.lfs_files if p.startswith(f"data/{split}-")]
        assert len(shards) == 1, commit.lfs_files
        data = hub.received(shards[0])
        assert hashlib.sha256(data).hexdigest() == commit.lfs_files[shards[0]]
        assert pq.read_table(io.BytesIO(data)).to_pydict() == dataset.to_dict()
    assert "README.md" in commit.files  # the dataset card, a regular file in the same commit


def test_clean_dataset_push_completes(ds_hub: HubServer) -> None:
    dataset = clean_dataset()
    with protect():
        dataset.push_to_hub("user/data", token=TOKEN)
    assert len(ds_hub.commits()) == 1
    assert len(ds_hub.lfs_uploads()) == 1
    assert_shards_arrived(ds_hub, {"train": dataset})


def test_clean_dataset_dict_push_completes(ds_hub: HubServer) -> None:
    splits = {"train": clean_dataset(300, 1), "test": clean_dataset(100, 2)}
    with protect():
        datasets.DatasetDict(splits).push_to_hub("user/data", token=TOKEN)
    assert len(ds_hub.commits()) == 1
    assert len(ds_hub.lfs_uploads()) == 2
    assert_shards_arrived(ds_hub, splits)


def test_dataset_with_personal_data_sends_nothing(ds_hub: HubServer) -> None:
    with protect(), pytest.raises(UploadBlocked) as exc:
        personal_dataset().push_to_hub("user/data", token=TOKEN)
    assert ds_hub.content_requests() == [], ds_hub.paths()  # no preupload sample, no LFS PUT, no commit
    assert ds_hub.lfs_uploads() == [] and ds_hub.commits() == []
    rules = {f.rule for f in exc.value.findings}
    assert "pii-us-ssn" in rules, rules  # (Faker's emails use reserved example domains)
    assert all(f.path == "data/train-00000-of-00001.parquet" for f in exc.value.findings)
    assert "nothing was sent" in str(exc.value) and exc.value.already_uploaded == 0
    # An in-memory dataset has no line to mark: the config and the baseline are the ways out.
    assert "hfguard: allow" not in str(exc.value)
    assert '[[allow]] with path = "data/train-00000-of-00001.parquet", field = ' in str(exc.value)
    assert "hfguard baseline" in str(exc.value)


def test_dataset_dict_with_personal_data_sends_nothing(ds_hub: HubServer) -> None:
    splits = {"train": personal_dataset(150), "test": personal_dataset(50)}
    with protect(), pytest.raises(UploadBlocked):
        datasets.DatasetDict(splits).push_to_hub("user/data", token=TOKEN)
    assert ds_hub.content_requests() == [], ds_hub.paths()


def test_block_after_a_clean_split_says_what_was_already_sent(ds_hub: HubServer) -> None:
    """The first split is clean and its shard leaves through LFS; the second one blocks. The
    message must not claim that nothing was sent, and no commit is made."""
    placeholders = datasets.Dataset.from_dict({  # the same columns, with nothing personal in them
        "email": ["(withheld)"] * 200, "ssn": [f"case {i}" for i in range(200)], "label": [i % 2 for i in range(200)]})
    splits = {"train": placeholders, "test": personal_dataset(100)}
    with protect(), pytest.raises(UploadBlocked) as exc:
        datasets.DatasetDict(splits).push_to_hub("user/data", token=TOKEN)
    assert len(ds_hub.lfs_uploads()) == 1 and ds_hub.commits() == []
    message = str(exc.value)
    assert "nothing was sent" not in message
    assert "1 LFS file(s) were already uploaded before this point; the commit was not created" in message
    assert exc.value.already_uploaded == 1
    assert all(f.path.startswith("data/test-") for f in exc.value.findings)


# --- the same kind without datasets: preupload_lfs_files, then create_commit ------------------


def test_preuploaded_operation_is_judged_by_what_was_scanned(lfs_hub: HubServer, tmp_path: Path) -> None:
    from huggingface_hub import CommitOperationAdd, HfApi

    api = HfApi(token=TOKEN)
    shard = tmp_path / "shard.parquet"
    clean_dataset().to_parquet(str(shard))
    op = CommitOperationAdd(path_in_repo="data/shard.parquet", path_or_fileobj=str(shard))
    with protect():
        api.preupload_lfs_files("user/data", additions=[op], repo_type="dataset")
        assert op.path_or_fileobj == b""  # huggingface_hub dropped the content (free_memory)
        os.remove(shard)
        api.create_commit("user/data", [op], commit_message="Add shard", repo_type="dataset")
    assert lfs_hub.commits()[-1].lfs_files == {"data/shard.parquet": op.upload_info.sha256.hex()}


def test_operation_uploaded_before_the_guard_is_not_vouched_for(lfs_hub: HubServer, tmp_path: Path) -> None:
    """Uploaded unguarded, committed guarded: the guard never saw the content, so it blocks, and
    says the file was already uploaded."""
    from huggingface_hub import CommitOperationAdd, HfApi

    api = HfApi(token=TOKEN)
    op = CommitOperationAdd(path_in_repo="w.safetensors", path_or_fileobj=b"\x02\x00\x00\x00\x00\x00\x00\x00{}")
    api.preupload_lfs_files("user/model", additions=[op])
    with protect(), pytest.raises(UploadBlocked) as exc:
        api.create_commit("user/model", [op], commit_message="Add weights")
    assert lfs_hub.commits() == []
    (error,) = exc.value.errors
    assert error.path == "w.safetensors" and "already uploaded" in error.message
    assert exc.value.already_uploaded == 1 and "nothing was sent" not in str(exc.value)
    with protect(allow_unscanned=True):
        api.create_commit("user/model", [op], commit_message="Add weights")
    assert lfs_hub.commits()[-1].lfs_files == {"w.safetensors": op.upload_info.sha256.hex()}


def test_changed_after_its_scan_is_not_clean(lfs_hub: HubServer, tmp_path: Path) -> None:
    """The sha256 the commit points to must be the one that was cleared."""
    from huggingface_hub import CommitOperationAdd, HfApi

    api = HfApi(token=TOKEN)
    op = CommitOperationAdd(path_in_repo="w.safetensors", path_or_fileobj=b"\x02\x00\x00\x00\x00\x00\x00\x00{}")
    with protect():
        api.preupload_lfs_files("user/model", additions=[op])
        op.upload_info.sha256 = hashlib.sha256(b"something else").digest()
        with pytest.raises(UploadBlocked):
            api.create_commit("user/model", [op], commit_message="Add weights")
    assert lfs_hub.commits() == []


def test_lfs_files_of_upload_folder(lfs_hub: HubServer, tmp_path: Path) -> None:
    """upload_folder without Xet: Parquet and safetensors go through LFS (as on the Hub), are
    committed when clean, and personal data in a Parquet file stops every content request."""
    from huggingface_hub import HfApi

    folder = tmp_path / "out"
    folder.mkdir()
    clean_dataset().to_parquet(str(folder / "train.parquet"))
    (folder / "README.md").write_text("# data\n")
    api = HfApi(token=TOKEN)
    with protect():
        api.upload_folder(folder_path=folder, repo_id="user/data", repo_type="dataset")
    commit = lfs_hub.commits()[-1]
    assert set(commit.lfs_files) == {"train.parquet"} and set(commit.files) == {"README.md"}
    assert lfs_hub.received("train.parquet") == (folder / "train.parquet").read_bytes()

    lfs_hub.clear()
    personal_dataset().to_parquet(str(folder / "people.parquet"))
    with protect(), pytest.raises(UploadBlocked) as exc:
        api.upload_folder(folder_path=folder, repo_id="user/data", repo_type="dataset")
    assert {f.path for f in exc.value.findings} == {"people.parquet"}
    assert lfs_hub.content_requests() == [], lfs_hub.paths()


def test_second_push_reads_the_card_back_and_adds_a_split(ds_hub: HubServer) -> None:
    """Pushing another split to an existing dataset: datasets reads README.md back (resolve)
    and commits a card that names both splits; the first shard stays."""
    with protect():
        clean_dataset(100).push_to_hub("user/data", token=TOKEN)
        clean_dataset(40, 2).push_to_hub("user/data", split="test", token=TOKEN)
    assert any(r.method == "GET" and "/resolve/" in r.path and r.path.endswith("/README.md") and r.status == 200
               for r in ds_hub.requests), ds_hub.paths()
    second = ds_hub.commits()[-1]
    assert set(second.lfs_files) == {"data/test-00000-of-00001.parquet"} and second.deleted == []
    card = second.files["README.md"].decode()
    assert "name: train" in card and "name: test" in card
    assert set(ds_hub.stored["user/data"]) == {"README.md", "data/train-00000-of-00001.parquet",
                                               "data/test-00000-of-00001.parquet"}
