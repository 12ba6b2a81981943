"""Every huggingface_hub upload path, guarded by protect(): a leak is blocked before a single
request leaves (the local Hub stand-in records none), a clean upload arrives byte for byte."""
from __future__ import annotations

import importlib
import io
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hubserver import HubServer
from secretgen import aws_key_id, hf_token

TOKEN = "hf_" + "T" * 34  # the caller's (fake) token: must never show up anywhere
SECRET = hf_token("hub-paths")

# Imported now, before any guard exists: the guard must still catch these aliases.
from huggingface_hub import (
    CommitOperationAdd,
    CommitScheduler,
    HfApi,
    HfFileSystem,
    ModelCard,
    batch_bucket_files,
    comment_discussion,
    constants,
    create_commit,
    create_pull_request,
    preupload_lfs_files,
    upload_file,
    upload_folder,
)

from hfguard import UploadBlocked, protect


def guard() -> Any:
    """The guard under test, secrets only: the hooks do not depend on the detectors, and the
    personal and health data tests at the end run the full default scan."""
    return protect(pii=False)


def model_folder(root: Path, leak: str | None) -> Path:
    folder = root / "model"
    folder.mkdir()
    (folder / "README.md").write_text("---\nlicense: mit\n---\n# A model\n")
    (folder / "config.json").write_text('{"hidden_size": 8}\n')
    (folder / "train.py").write_text(f'TOKEN = "{leak}"\n' if leak else "print('training')\n")
    return folder


def assert_blocked(exc: pytest.ExceptionInfo[UploadBlocked], *, shows: str) -> None:
    text = str(exc.value) + repr(exc.value) + "".join(f.preview + f.path for f in exc.value.findings)
    assert SECRET not in text and TOKEN not in text
    assert shows in str(exc.value)
    assert exc.value.findings and all(f.blocking for f in exc.value.findings)
    assert exc.value.exit_code == 1


def no_content_sent(hub: HubServer) -> None:
    for request in hub.requests:
        assert SECRET.encode() not in request.body
    assert hub.content_requests() == [], hub.paths()


# --- the paths ----------------------------------------------------------------------------------

Upload = Callable[[Path, str | None], Any]


def via_upload_folder(root: Path, leak: str | None) -> Any:
    return upload_folder(repo_id="user/model", folder_path=model_folder(root, leak), token=TOKEN)


def via_upload_folder_legacy(root: Path, leak: str | None) -> Any:
    constants.HF_HUB_DISABLE_XET = True  # restored by the fixture: upload_folder -> create_commit
    return upload_folder(repo_id="user/model", folder_path=model_folder(root, leak), token=TOKEN)


def via_upload_folder_pr(root: Path, leak: str | None) -> Any:
    return upload_folder(repo_id="user/model", folder_path=model_folder(root, leak), token=TOKEN, create_pr=True)


def via_upload_folder_future(root: Path, leak: str | None) -> Any:
    future = HfApi(token=TOKEN).upload_folder(repo_id="user/model", folder_path=model_folder(root, leak), run_as_future=True)
    return future.result(timeout=30)


def via_upload_file_bytes(root: Path, leak: str | None) -> Any:
    data = f"key = {leak}\n".encode() if leak else b"key = none\n"
    return upload_file(path_or_fileobj=data, path_in_repo="train.py", repo_id="user/model", token=TOKEN)


def via_upload_file_path(root: Path, leak: str | None) -> Any:
    folder = model_folder(root, leak)
    return upload_file(path_or_fileobj=str(folder / "train.py"), path_in_repo="train.py", repo_id="user/model", token=TOKEN)


def via_upload_file_fileobj(root: Path, leak: str | None) -> Any:
    stream = io.BytesIO(b"header\n" + (f"key = {leak}\n".encode() if leak else b"key = none\n"))
    return upload_file(path_or_fileobj=stream, path_in_repo="train.py", repo_id="user/model", token=TOKEN)


def via_create_commit(root: Path, leak: str | None) -> Any:
    folder = model_folder(root, leak)
    operations = [CommitOperationAdd(path_in_repo=p.name, path_or_fileobj=str(p)) for p in sorted(folder.iterdir())]
    return HfApi().create_commit("user/model", operations, commit_message="Upload", token=TOKEN)


def via_create_commit_generator(root: Path, leak: str | None) -> Any:
    folder = model_folder(root, leak)
    operations = (CommitOperationAdd(path_in_repo=p.name, path_or_fileobj=str(p)) for p in sorted(folder.iterdir()))
    return create_commit("user/model", operations=operations, commit_message="Upload", token=TOKEN)


def via_model_card(root: Path, leak: str | None) -> Any:
    card = ModelCard(f"---\nlicense: mit\n---\n# Card\n\nUse {leak or 'your own token'}.\n")
    return card.push_to_hub("user/model", token=TOKEN)


def via_commit_message(root: Path, leak: str | None) -> Any:
    message = f"debug with {leak}" if leak else "Upload"
    return create_commit("user/model", [CommitOperationAdd("a.txt", b"a\n")], commit_message=message, token=TOKEN)


def via_commit_description(root: Path, leak: str | None) -> Any:
    return upload_file(path_or_fileobj=b"a\n", path_in_repo="a.txt", repo_id="user/model", token=TOKEN,
                       commit_message="Upload", commit_description=f"token: {leak}" if leak else "all good")


PATHS: dict[str, Upload] = {
    "upload_folder (xet pipeline)": via_upload_folder,
    "upload_folder (create_commit)": via_upload_folder_legacy,
    "upload_folder create_pr": via_upload_folder_pr,
    "upload_folder run_as_future": via_upload_folder_future,
    "upload_file bytes": via_upload_file_bytes,
    "upload_file path": via_upload_file_path,
    "upload_file file object": via_upload_file_fileobj,
    "HfApi().create_commit": via_create_commit,
    "create_commit generator": via_create_commit_generator,
    "ModelCard.push_to_hub": via_model_card,
    "commit message": via_commit_message,
    "commit description": via_commit_description,
}


@pytest.mark.parametrize("upload", PATHS.values(), ids=PATHS.keys())
def test_leak_is_blocked_before_any_request(upload: Upload, hub: HubServer, tmp_path: Path) -> None:
    with guard(), pytest.raises(UploadBlocked) as exc:
        upload(tmp_path, SECRET)
    assert_blocked(exc, shows="huggingface-access-token")
    assert hub.requests == [], hub.paths()


@pytest.mark.parametrize("upload", PATHS.values(), ids=PATHS.keys())
def test_clean_upload_arrives_unchanged(upload: Upload, hub: HubServer, tmp_path: Path) -> None:
    with guard():
        info = upload(tmp_path, None)
    commit = hub.commits()[-1]
    assert info is not None and "/commit/" in str(info)
    assert commit.files, hub.paths()
    folder = tmp_path / "model"
    for path, data in commit.files.items():
        if (folder / path).is_file():
            assert data == (folder / path).read_bytes()
    if upload is via_upload_file_fileobj:
        assert commit.files["train.py"] == b"header\nkey = none\n"


@pytest.mark.parametrize("upload", PATHS.values(), ids=PATHS.keys())
def test_choke_points_alone_stop_the_content(upload: Upload, hub: HubServer, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Defence in depth: with the entry gate (validate_hf_hub_args) switched off, the hooks on
    _fetch_upload_modes, _validate_yaml, pipelined_upload, _send_commit and RepoCard.validate
    still stop the secret before any request carries it, and no commit is made."""
    from hfguard.hub import hooks as hub_hooks
    monkeypatch.setattr(hub_hooks, "ENTRY_GATES", {})
    with guard(), pytest.raises(UploadBlocked) as exc:
        upload(tmp_path, SECRET)
    assert_blocked(exc, shows="huggingface-access-token")
    assert not any(SECRET.encode() in r.body for r in hub.requests), hub.paths()
    assert hub.commits() == []


def test_guard_is_gone_after_protect(hub: HubServer, tmp_path: Path) -> None:
    with guard():
        pass
    via_upload_file_bytes(tmp_path, SECRET)  # unguarded now: it goes through
    assert hub.commits()[-1].files["train.py"] == f"key = {SECRET}\n".encode()


def test_readme_never_reaches_validate_yaml(hub: HubServer, tmp_path: Path) -> None:
    folder = model_folder(tmp_path, None)
    (folder / "README.md").write_text(f"---\nlicense: mit\n---\nLogin with {SECRET}\n")
    with guard(), pytest.raises(UploadBlocked) as exc:
        upload_folder(repo_id="user/model", folder_path=folder, token=TOKEN, delete_patterns="*.tmp")
    assert "README.md:4" in str(exc.value)
    assert hub.requests == []  # not even the listing that delete_patterns needs


def test_pull_request_and_comment_texts(hub: HubServer) -> None:
    with guard():
        with pytest.raises(UploadBlocked) as exc:
            create_pull_request("user/model", "Fix", description=f"works with {SECRET}", token=TOKEN)
        assert_blocked(exc, shows="<pull request description>")
        with pytest.raises(UploadBlocked) as exc:
            comment_discussion("user/model", 1, f"try {SECRET}", token=TOKEN)
        assert_blocked(exc, shows="<discussion comment>")
        assert hub.requests == []
        create_pull_request("user/model", "Fix", description="a clean description", token=TOKEN)
    assert hub.requests[0].json()["description"] == "a clean description"


def test_bucket_upload_blocked(hub: HubServer) -> None:
    # Clean bucket uploads go through Xet storage, which the stand-in does not emulate.
    with guard(), pytest.raises(UploadBlocked) as exc:
        batch_bucket_files("user/bucket", add=[(f"token={SECRET}\n".encode(), "notes.txt")], token=TOKEN)
    assert_blocked(exc, shows="notes.txt")
    assert hub.requests == []


def test_hf_file_system_writes(hub: HubServer) -> None:
    HfApi(token=TOKEN).create_repo("user/model")  # HfFileSystem writes only into a repo that exists
    fs = HfFileSystem(token=TOKEN)
    with guard():
        with pytest.raises(UploadBlocked) as exc, fs.open("user/model/notes.txt", "w") as f:
            f.write(f"token: {SECRET}\n")
        assert_blocked(exc, shows="notes.txt")
        no_content_sent(hub)  # HfFileSystem looks the repo up (GET) when the file is opened
        with pytest.raises(UploadBlocked):
            fs.pipe_file("user/model/other.txt", f"{SECRET}".encode())
        no_content_sent(hub)
        fs.pipe_file("user/model/clean.txt", b"clean\n")
    assert hub.commits()[-1].files == {"clean.txt": b"clean\n"}


def test_commit_scheduler(hub: HubServer, tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "metrics.jsonl").write_text('{"loss": 0.1}\n')
    with guard():
        scheduler = CommitScheduler(repo_id="user/runs", folder_path=folder, every=60, hf_api=HfApi(token=TOKEN))
        try:
            scheduler.trigger().result(timeout=30)
            assert hub.commits()[-1].files == {"metrics.jsonl": b'{"loss": 0.1}\n'}
            hub.clear()
            with (folder / "metrics.jsonl").open("a") as f:
                f.write(f'{{"debug": "{SECRET}"}}\n')
            with pytest.raises(UploadBlocked) as exc:
                scheduler.trigger().result(timeout=30)
        finally:
            scheduler.stop()
    assert_blocked(exc, shows="metrics.jsonl")
    assert hub.requests == []


# --- code that imported huggingface_hub before the guard: transformers and datasets -------------

TRANSFORMERS_STYLE = '''
from pathlib import Path
from huggingface_hub import CommitOperationAdd, create_commit, create_repo


def push_to_hub(repo_id, folder, token):
    # What transformers' PushToHubMixin does: create the repo, then commit the saved files.
    repo_id = create_repo(repo_id, token=token, exist_ok=True).repo_id
    operations = [CommitOperationAdd(path_in_repo=p.name, path_or_fileobj=str(p)) for p in sorted(Path(folder).iterdir())]
    return create_commit(repo_id=repo_id, operations=operations, commit_message="Upload model", token=token)
'''

DATASETS_STYLE = '''
from huggingface_hub import CommitOperationAdd, HfApi


def push_to_hub(repo_id, shards, token):
    # What datasets' push_to_hub does: pre-upload each shard as it is made, then one commit.
    api = HfApi(token=token)
    operations = []
    for index, shard in enumerate(shards):
        op = CommitOperationAdd(path_in_repo=f"data/train-{index:05d}-of-{len(shards):05d}.jsonl", path_or_fileobj=shard)
        api.preupload_lfs_files(repo_id, additions=[op], repo_type="dataset")
        operations.append(op)
    return api.create_commit(repo_id, operations=operations, commit_message="Upload dataset", repo_type="dataset")
'''


def import_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, source: str) -> Any:
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)
    return importlib.import_module(name)


def test_transformers_style_push(hub: HubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = import_source(tmp_path, monkeypatch, "fake_transformers_push", TRANSFORMERS_STYLE)  # before protect()
    with guard():
        with pytest.raises(UploadBlocked) as exc:
            module.push_to_hub("user/model", model_folder(tmp_path, SECRET), TOKEN)
        assert_blocked(exc, shows="train.py:1")
        assert hub.paths() == ["POST /api/repos/create"]  # the repo, then nothing
        (tmp_path / "model" / "train.py").write_text("print('clean')\n")
        hub.clear()
        module.push_to_hub("user/model", tmp_path / "model", TOKEN)
    assert hub.commits()[-1].files["train.py"] == b"print('clean')\n"


def test_datasets_style_preupload(hub: HubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = import_source(tmp_path, monkeypatch, "fake_datasets_push", DATASETS_STYLE)
    clean = b'{"text": "hello"}\n'
    leaking = f'{{"text": "aws {aws_key_id("ds")}", "token": "{SECRET}"}}\n'.encode()
    with guard():
        with pytest.raises(UploadBlocked) as exc:
            module.push_to_hub("user/data", [clean, leaking], TOKEN)
        assert_blocked(exc, shows="data/train-00001-of-00002.jsonl")
        # The clean first shard was pre-uploaded; nothing of the second one left, no commit.
        assert hub.paths() == ["POST /api/datasets/user/data/preupload/main"]
        assert "00001" not in hub.requests[0].body.decode()
        hub.clear()
        module.push_to_hub("user/data", [clean, b'{"text": "world"}\n'], TOKEN)
    assert list(hub.commits()[-1].files.values()) == [clean, b'{"text": "world"}\n']


def test_direct_preupload_lfs_files_alias(hub: HubServer) -> None:
    with guard(), pytest.raises(UploadBlocked):
        preupload_lfs_files("user/data", additions=[CommitOperationAdd("x.txt", SECRET.encode())], repo_type="dataset", token=TOKEN)
    assert hub.requests == []


# --- personal and health data (needs the PII detector) -----------------------------------------


def _pii_ready() -> bool:
    from hfguard.policy.config import DEFAULT_CONFIG
    from hfguard.pii import make_detector

    try:
        return make_detector(DEFAULT_CONFIG) is not None
    except Exception:  # noqa: BLE001 - not built yet, or not installed
        return False


# Built from parts at run time, so that this file itself scans clean.
MAIL_DOMAIN = "example-mail" + ".com"
MRN = "M" + "RN"
DIABETES = "E" + "11"
FIRST_ID = 48 * 1000 + 213
CUSTOMERS = "customer_id,name,email,phone\n" + "".join(
    f"{i},Customer {i},customer{i}@{MAIL_DOMAIN},+1 415 555 {1000 + i:04d}\n" for i in range(1, 41)
)
PATIENTS = "".join(
    f'{{"patient_id": "{MRN}-{FIRST_ID + i}", "name": "Patient {i}", "dob": "19{60 + i % 30}-0{1 + i % 9}-1{i % 9}", '
    f'"diagnosis": "Type 2 diabetes mellitus", "icd10": "{DIABETES}.{i % 10}", "medication": "metformin 500 mg"}}\n'
    for i in range(30)
)


@pytest.mark.parametrize("name, content", [("data/customers.csv", CUSTOMERS), ("data/patients.jsonl", PATIENTS)])
def test_personal_and_health_data_blocked(name: str, content: str, hub: HubServer, tmp_path: Path) -> None:
    if not _pii_ready():
        pytest.xfail("the PII / health detector (hfguard.pii.make_detector) is not built yet")
    folder = tmp_path / "dataset"
    (folder / "data").mkdir(parents=True)
    (folder / name).write_text(content)
    with protect(), pytest.raises(UploadBlocked) as exc:
        upload_folder(repo_id="user/data", repo_type="dataset", folder_path=folder, token=TOKEN)
    assert hub.requests == []
    assert name in str(exc.value)
    assert {f.category.value for f in exc.value.findings} & {"pii", "health"}
    assert f"customer7@{MAIL_DOMAIN}" not in str(exc.value) and f"{MRN}-{FIRST_ID + 7}" not in str(exc.value)
