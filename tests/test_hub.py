"""safe_upload() and protect(): what is scanned, what blocks, and that the guard leaves no trace."""
from __future__ import annotations

import io
import logging
import pickle
import threading
from pathlib import Path
from typing import Any

import pytest
from hubserver import HubServer
from huggingface_hub import HfApi, upload_file  # imported before any guard
from secretgen import hf_token

from hfguard import UploadBlocked, protect, safe_upload
from hfguard.hub import hooks as hub_hooks
from hfguard.hub import Guard, GuardUnavailable, installed

TOKEN = "hf_" + "Q" * 34
SECRET = hf_token("hub-api")



@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "out"
    (root / "logs").mkdir(parents=True)
    (root / "model.py").write_text("print('model')\n")
    (root / "logs" / "debug.txt").write_text(f"token={SECRET}\n")
    return root


def current_attributes() -> dict[str, Any]:
    values = {}
    for point in hub_hooks.HOOK_POINTS:
        owner, name, _ = hub_hooks._lookup(point.module, point.attr)
        values[f"{point.module}.{point.attr}"] = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
    return values


# --- safe_upload ----------------------------------------------------------------------------------


def test_safe_upload_blocks_folder_and_names_the_file(hub: HubServer, folder: Path) -> None:
    with pytest.raises(UploadBlocked) as exc:
        safe_upload(folder_path=folder, repo_id="user/model", path_in_repo="run1", token=TOKEN)
    assert hub.requests == []
    (finding,) = exc.value.findings
    assert finding.path == "run1/logs/debug.txt"  # as it would be named in the repo
    assert "run1/logs/debug.txt:1" in str(exc.value) and "user/model" in str(exc.value)
    assert SECRET not in str(exc.value) + repr(exc.value) and TOKEN not in str(exc.value)


def test_safe_upload_honours_ignore_and_allow_patterns(hub: HubServer, folder: Path) -> None:
    info = safe_upload(folder_path=folder, repo_id="user/model", ignore_patterns=["logs/*"], token=TOKEN)
    assert hub.commits()[-1].files == {"model.py": b"print('model')\n"}
    assert info.commit_url.endswith(info.oid)
    hub.clear()
    safe_upload(folder_path=folder, repo_id="user/model", allow_patterns="*.py", token=TOKEN)
    assert set(hub.commits()[-1].files) == {"model.py"}
    with pytest.raises(UploadBlocked):
        safe_upload(folder_path=folder, repo_id="user/model", allow_patterns=["logs/*"], token=TOKEN)


def test_safe_upload_bytes_and_file_objects_are_not_consumed(hub: HubServer) -> None:
    stream = io.BytesIO(f"hf = {SECRET}\nclean part\n".encode())
    stream.seek(stream.getvalue().index(b"clean"))
    # huggingface_hub 2.4 sends a file object from its start whatever its position
    # (UploadInfo.from_fileobj seeks to 0), so a secret before the position still blocks.
    with pytest.raises(UploadBlocked) as exc:
        safe_upload(path_or_fileobj=stream, path_in_repo="conf/hub.ini", repo_id="user/model", token=TOKEN)
    assert stream.tell() == stream.getvalue().index(b"clean")  # position given back
    assert exc.value.findings[0].path == "conf/hub.ini" and exc.value.findings[0].line == 1
    assert hub.requests == []

    stream = io.BytesIO(b"first part\nclean part\n")
    stream.seek(11)
    safe_upload(path_or_fileobj=stream, path_in_repo="notes.txt", repo_id="user/model", token=TOKEN)
    assert hub.commits()[-1].files == {"notes.txt": b"first part\nclean part\n"}  # what was scanned

    payload = b"a = 1\n"
    info = safe_upload(path_or_fileobj=payload, path_in_repo="/a.py", repo_id="user/model", token=TOKEN)
    assert hub.commits()[-1].files == {"a.py": payload} and "/commit/" in info


def test_safe_upload_uses_the_given_api(hub: HubServer, tmp_path: Path) -> None:
    class CountingApi(HfApi):
        calls = 0

        def upload_file(self, **kwargs: Any) -> Any:
            CountingApi.calls += 1
            return super().upload_file(**kwargs)

    (tmp_path / "x.txt").write_text("hello\n")
    safe_upload(path_or_fileobj=str(tmp_path / "x.txt"), path_in_repo="x.txt", repo_id="user/model", api=CountingApi(token=TOKEN))
    assert CountingApi.calls == 1 and hub.commits()[-1].files == {"x.txt": b"hello\n"}


def test_commit_message_is_scanned(hub: HubServer) -> None:
    with pytest.raises(UploadBlocked) as exc:
        safe_upload(path_or_fileobj=b"ok\n", path_in_repo="a.txt", repo_id="user/model", token=TOKEN,
                    commit_message=f"rotate {SECRET}")
    assert "<commit message>" in str(exc.value) and hub.requests == []


def test_inline_allow_and_config_are_honoured(hub: HubServer, folder: Path) -> None:
    (folder / "logs" / "debug.txt").write_text(f"token={SECRET}  # hfguard: allow\n")
    safe_upload(folder_path=folder, repo_id="user/model", token=TOKEN)
    assert "logs/debug.txt" in hub.commits()[-1].files
    (folder / "logs" / "debug.txt").write_text(f"token={SECRET}\n")
    (folder / ".hfguard.toml").write_text('exclude = ["logs/debug.txt"]\n')  # found in the folder
    hub.clear()
    safe_upload(folder_path=folder, repo_id="user/model", token=TOKEN)
    assert "logs/debug.txt" in hub.commits()[-1].files


def test_baseline_accepts_recorded_findings(hub: HubServer, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hfguard.cli import main

    monkeypatch.chdir(folder)
    assert main(["baseline", "--no-pii", "--no-gitattributes"]) == 0  # writes .hfguard-baseline.json here
    safe_upload(folder_path=folder, repo_id="user/model", token=TOKEN)  # found next to the folder
    assert hub.commits()[-1].files["logs/debug.txt"] == f"token={SECRET}\n".encode()
    (folder / "logs" / "new.txt").write_text(f"again {SECRET}\n")  # same value, another file: blocks
    with pytest.raises(UploadBlocked) as exc:
        safe_upload(folder_path=folder, repo_id="user/model", token=TOKEN)
    assert [f.path for f in exc.value.findings] == ["logs/new.txt"]


def test_unscannable_file_blocks_unless_allowed(hub: HubServer, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hfguard import readers

    original = readers.READERS["text"]

    def broken(blob: Any, *args: Any, **kwargs: Any) -> Any:
        if blob.path.endswith("model.py"):
            raise readers.ReaderError("reader gave up (test)")
        return original(blob, *args, **kwargs)

    monkeypatch.setitem(readers.READERS, "text", broken)
    (folder / "logs" / "debug.txt").write_text("fine\n")
    with pytest.raises(UploadBlocked) as exc:
        safe_upload(folder_path=folder, repo_id="user/model", token=TOKEN)
    assert exc.value.findings == () and exc.value.exit_code == 2
    assert "model.py: not scanned: reader gave up (test)" in str(exc.value)
    assert "allow_unscanned=True" in str(exc.value)
    assert hub.requests == []
    safe_upload(folder_path=folder, repo_id="user/model", token=TOKEN, allow_unscanned=True)
    assert hub.commits()[-1].files["model.py"] == b"print('model')\n"


def test_missing_local_file_is_huggingface_hubs_error(hub: HubServer, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="is not a directory"):
        safe_upload(folder_path=tmp_path / "nope", repo_id="user/model", token=TOKEN)
    with pytest.raises(TypeError):
        safe_upload(repo_id="user/model", token=TOKEN)
    assert hub.requests == []


def test_token_is_never_logged_or_kept(hub: HubServer, folder: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with protect() as guard:
        with pytest.raises(UploadBlocked) as exc:
            upload_file(path_or_fileobj=str(folder / "logs" / "debug.txt"), path_in_repo="d.txt", repo_id="user/model", token=TOKEN)
        upload_file(path_or_fileobj=b"ok\n", path_in_repo="ok.txt", repo_id="user/model", token=TOKEN)
    assert TOKEN not in caplog.text and SECRET not in caplog.text
    blob = pickle.dumps(exc.value)
    assert TOKEN.encode() not in blob and SECRET.encode() not in blob
    assert str(pickle.loads(blob)) == str(exc.value)
    assert TOKEN not in repr(vars(guard)) and TOKEN not in repr(vars(exc.value))


# --- protect ------------------------------------------------------------------------------------


def test_protect_restores_every_original(hub: HubServer) -> None:
    before = current_attributes()
    assert not installed()
    with protect():
        during = current_attributes()
        assert all(during[name] is not before[name] for name in before)
        with protect():  # re-entrant
            pass
        assert current_attributes() == during and installed()
    assert current_attributes() == before and not installed()


def test_protect_restores_after_an_exception(hub: HubServer) -> None:
    before = current_attributes()
    with pytest.raises(UploadBlocked), protect():
        upload_file(path_or_fileobj=SECRET.encode(), path_in_repo="t.txt", repo_id="user/model", token=TOKEN)
    assert current_attributes() == before


def test_install_guards_the_whole_process_until_uninstalled(hub: HubServer) -> None:
    before = current_attributes()
    guard = protect(install=True)
    errors: list[BaseException] = []

    def other_thread() -> None:
        try:
            upload_file(path_or_fileobj=SECRET.encode(), path_in_repo="t.txt", repo_id="user/model", token=TOKEN)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    try:
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join(30)
        assert len(errors) == 1 and isinstance(errors[0], UploadBlocked)
        with guard:  # the same guard, also as a context manager
            pass
        assert installed()
    finally:
        guard.uninstall()
    assert current_attributes() == before and hub.requests == []


def test_concurrent_guards_from_many_threads(hub: HubServer) -> None:
    before = current_attributes()
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        barrier.wait()
        for _ in range(5):
            with protect():
                try:
                    upload_file(path_or_fileobj=f"{index}: {SECRET}\n".encode(), path_in_repo=f"t{index}.txt",
                                repo_id="user/model", token=TOKEN)
                    result = "sent"
                except UploadBlocked:
                    result = "blocked"
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert outcomes == ["blocked"] * 40
    assert hub.requests == []
    assert current_attributes() == before and not installed()


def test_fails_closed_when_hook_points_are_missing(hub: HubServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import _commit_api

    monkeypatch.delattr(_commit_api, "_fetch_upload_modes")
    problems = hub_hooks._find_problems()
    assert any("_fetch_upload_modes is missing" in p for p in problems)
    monkeypatch.setattr(hub_hooks, "PROBLEMS", problems)
    with pytest.raises(GuardUnavailable, match="refuses them: .*_fetch_upload_modes is missing"):
        protect()
    with pytest.raises(GuardUnavailable):
        safe_upload(path_or_fileobj=b"x", path_in_repo="x", repo_id="user/model", token=TOKEN)
    assert hub.requests == [] and not installed()


def test_fails_closed_on_unsupported_version_or_changed_call_path(monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub
    from huggingface_hub import hf_api

    monkeypatch.setattr(huggingface_hub, "__version__", "3.0.0")
    assert hub_hooks._find_problems() == ["huggingface_hub 3.0.0 is not supported (supported: >=2.4,<3)"]
    monkeypatch.undo()

    def preupload_lfs_files(self: Any, repo_id: str, additions: Any, **kwargs: Any) -> None:
        return None  # a future version that uploads some other way

    monkeypatch.setattr(hf_api.HfApi, "preupload_lfs_files", preupload_lfs_files)
    assert any("preupload_lfs_files no longer looks up _fetch_upload_modes" in p for p in hub_hooks._find_problems())


def test_supported_range_matches_pyproject() -> None:
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    text = pyproject.read_text()
    assert f'"huggingface_hub{hub_hooks.SUPPORTED_TEXT}"' in text


def test_guard_type_and_exception_contract() -> None:
    from hfguard.errors import HfguardError

    assert issubclass(UploadBlocked, HfguardError) and issubclass(GuardUnavailable, HfguardError)
    assert isinstance(protect(), Guard)


# --- what the messages say ---------------------------------------------------------------------


def test_excluded_files_are_sent_unscanned_and_said_so(hub: HubServer, folder: Path,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    (folder / "big.log").write_text(f"token={SECRET}\n")
    (folder / "logs" / "debug.txt").write_text("fine\n")
    (folder / ".hfguard.toml").write_text('exclude = ["big.log"]\n')
    with caplog.at_level(logging.INFO, logger="hfguard"):
        safe_upload(folder_path=folder, repo_id="user/model", token=TOKEN)
    assert "big.log" in hub.commits()[-1].files  # exclude skips the scan, not the upload
    warnings = [r.getMessage() for r in caplog.records if r.name == "hfguard" and r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings  # once, not once per huggingface_hub choke point
    assert "1 file(s) sent unscanned (excluded in config): big.log" in warnings[0]
    assert "ignore_patterns" in warnings[0] and SECRET not in caplog.text


def test_max_file_size_advice_and_no_repeated_not_scanned(hub: HubServer, folder: Path) -> None:
    (folder / "logs" / "debug.txt").write_text("x" * 2000 + "\n")
    (folder / ".hfguard.toml").write_text('max_file_size = "1KB"\n')
    with pytest.raises(UploadBlocked) as exc:
        safe_upload(folder_path=folder, repo_id="user/model", token=TOKEN)
    message = str(exc.value)
    assert message.count("not scanned") == 1, message
    assert "to send it unscanned on purpose, add it to `exclude`" in message
    assert "ignore_patterns" in message and "allow_unscanned=True" in message
    assert hub.requests == []


def test_fix_hint_fits_the_finding(hub: HubServer, tmp_path: Path) -> None:
    ssn = "-".join(["219", "09", "9999"])  # noqa: FLY002 - not one literal: the self-scan reads this file
    table = tmp_path / "people.csv"
    table.write_text("name,ssn\n" + "".join(f"Person {i},{ssn[:-1]}{i}\n" for i in range(10)))
    with pytest.raises(UploadBlocked) as exc:
        safe_upload(path_or_fileobj=str(table), path_in_repo="data/people.csv", repo_id="user/model", token=TOKEN)
    message = str(exc.value)
    assert "hfguard: allow" not in message  # a CSV cell cannot carry a pragma
    assert '[[allow]] with path = "data/people.csv", field = "ssn"' in message
    with pytest.raises(UploadBlocked) as exc:
        safe_upload(path_or_fileobj=f"token = {SECRET}\n".encode(), path_in_repo="a.py", repo_id="user/model",
                    token=TOKEN)
    assert "hfguard: allow <rule>" in str(exc.value) and "[[allow]]" not in str(exc.value)
