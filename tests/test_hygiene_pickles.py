"""Hygiene: pickle-based files. Every pickle here is generated at test time and never loaded: the
malicious ones would run a harmless command (`touch` of a marker file) if they were, and each test
checks the marker is still absent after the scan."""
from __future__ import annotations

import builtins
import io
import json
import os
import pickle
import subprocess
import zipfile
from pathlib import Path
from typing import IO, Any

import numpy as np
import pytest

from hfguard.cli import main
from hfguard.hygiene import pickles
from hfguard.models import Blob, Category
from hfguard.scanner import ScanOptions, scan_blobs


class _Payload:
    """Pickles to a call of `func(*args)` when loaded (only ever pickled here, never loaded)."""

    def __init__(self, func: Any, *args: Any) -> None:
        self.func = func
        self.args = args

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return self.func, self.args


def _marker_command(marker: Path) -> str:
    return f"touch {marker}"


def scan_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["scan", *args, "--format", "json", "--no-pii"])
    return code, json.loads(capsys.readouterr().out)


def hygiene(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["category"] == "hygiene"]


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    path = tmp_path / "loaded-marker"
    yield path
    assert not path.exists(), "a test pickle was loaded"


def _payloads(marker: Path) -> dict[str, Any]:
    command = _marker_command(marker)
    return {
        "os.system": _Payload(os.system, command),
        "subprocess.call": _Payload(subprocess.call, ["touch", str(marker)]),
        "builtins.eval": _Payload(builtins.eval, f"__import__('os').system({command!r})"),
        "builtins.exec": _Payload(builtins.exec, f"import os; os.system({command!r})"),
        "__import__": _Payload(builtins.__import__, "os"),
    }


@pytest.mark.parametrize("protocol", [0, 2, 4])
@pytest.mark.parametrize("name", ["os.system", "subprocess.call", "builtins.eval", "builtins.exec", "__import__"])
def test_malicious_pickle_is_critical_and_blocks(tmp_path: Path, marker: Path, capsys: pytest.CaptureFixture[str],
                                                 name: str, protocol: int) -> None:
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "model.pkl").write_bytes(pickle.dumps({"weights": [1.0], "hook": _payloads(marker)[name]},
                                                    protocol=protocol))
    code, report = scan_json(capsys, str(folder))
    assert code == 1
    (finding,) = hygiene(report)
    assert finding["rule"] == "pickle-dangerous-import"
    assert finding["severity"] == "critical" and finding["blocking"] is True
    assert finding["category"] == "hygiene"
    assert finding["path"] == str(folder / "model.pkl")
    # As the pickle names it: os.system is posix.system, subprocess.call commands.call (protocol < 3).
    imported = {"os.system": ".system", "subprocess.call": ".call", "builtins.eval": ".eval",
                "builtins.exec": ".exec", "__import__": ".__import__"}[name]
    assert imported in finding["preview"]
    assert "safetensors" in finding["message"]


def test_plain_pickle_is_low_and_does_not_block(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "classifier.joblib").write_bytes(pickle.dumps({"coef": [0.5, 1.5], "classes": ["a", "b"]}))
    code, report = scan_json(capsys, str(tmp_path))
    assert code == 0
    (finding,) = hygiene(report)
    assert (finding["rule"], finding["severity"], finding["blocking"]) == ("pickle-unsafe-format", "low", False)
    assert "prefer safetensors" in finding["message"]
    assert finding["line"] is None


def test_pytorch_zip_with_a_malicious_pickle_inside(tmp_path: Path, marker: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """torch.save's layout: archive/data.pkl (the pickle), archive/data/0 (raw storage), version."""
    path = tmp_path / "pytorch_model.bin"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(_payloads(marker)["os.system"], protocol=2))
        archive.writestr("archive/data/0", np.arange(64, dtype=np.float32).tobytes())
        archive.writestr("archive/version", "3\n")
    code, report = scan_json(capsys, str(path))
    assert code == 1
    (finding,) = hygiene(report)
    assert finding["rule"] == "pickle-dangerous-import"
    assert finding["location"] == "member archive/data.pkl"
    assert "system" in finding["preview"]


def _benign_torch_pickle() -> bytes:
    """What a state dict's data.pkl imports (OrderedDict, torch's tensor rebuild), without torch:
    GLOBAL opcodes written out, as picklescan sees them."""
    return (b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01"
            b"ctorch._utils\n_rebuild_tensor_v2\nq\x02."
            )


def test_pytorch_zip_with_a_state_dict_is_low(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "model.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model/data.pkl", _benign_torch_pickle())
        archive.writestr("model/data/0", b"\x80\x05" + bytes(range(200)))  # raw bytes that look like a pickle
    code, report = scan_json(capsys, str(path))
    assert code == 0
    (finding,) = hygiene(report)
    assert finding["rule"] == "pickle-unsafe-format"
    assert finding["preview"] == "pickle in a zip (PyTorch)"


def test_files_that_are_not_pickles_give_no_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "weights.bin").write_bytes(np.linspace(0, 1, 4096, dtype=np.float32).tobytes())
    np.save(tmp_path / "embeddings.npy", np.ones((8, 4), dtype=np.float16))
    np.savez(tmp_path / "arrays.npz", a=np.zeros(3), b=np.arange(5))
    with zipfile.ZipFile(tmp_path / "other.bin", "w") as archive:
        archive.writestr("notes.txt", "no pickle here\n")
    code, report = scan_json(capsys, str(tmp_path))
    assert code == 0
    assert hygiene(report) == []


def test_numpy_object_arrays_are_pickles(tmp_path: Path, marker: Path, capsys: pytest.CaptureFixture[str]) -> None:
    safe = np.empty(2, dtype=object)
    safe[:] = [{"a": 1}, [1, 2]]
    np.save(tmp_path / "plain.npy", safe, allow_pickle=True)
    evil = np.empty(1, dtype=object)
    evil[0] = _payloads(marker)["os.system"]
    np.savez(tmp_path / "bundle.npz", ok=np.arange(3), bad=evil)
    code, report = scan_json(capsys, str(tmp_path))
    assert code == 1
    found = {(Path(f["path"]).name, f["rule"], f["location"]) for f in hygiene(report)}
    assert found == {("plain.npy", "pickle-unsafe-format", None),
                     ("bundle.npz", "pickle-dangerous-import", "member bad.npy")}


@pytest.mark.parametrize("name, content, reported", [
    ("truncated.pkl", pickle.dumps({"k": list(range(50))}, protocol=4)[:-20], True),
    ("garbage.pkl", b"\x80\x04\xff\xfe this is not a pickle", True),
    ("broken.pt", b"PK\x03\x04" + b"\x00" * 40, True),  # a zip header and nothing behind it
    ("legacy.pth", b"\x80\x02\x8a\x0a" + b"\x00" * 7, True),  # torch's magic number pickle, cut short
    ("empty.ckpt", b"", False),
    ("distutils-precedence.pth", b"import os; var = 'SETUPTOOLS_USE_DISTUTILS'\n", False),  # a path file
])
def test_corrupt_pickles_are_reported_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          name: str, content: bytes, reported: bool) -> None:
    (tmp_path / name).write_bytes(content)
    code = main(["scan", str(tmp_path), "--no-pii"])
    captured = capsys.readouterr()
    assert code == 0
    assert "Traceback" not in captured.out + captured.err
    assert ("pickle-unsafe-format" in captured.out) is reported


def test_malformed_pickle_after_a_dangerous_import_still_blocks(tmp_path: Path, marker: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    data = pickle.dumps(_payloads(marker)["os.system"], protocol=2)
    (tmp_path / "cut.pkl").write_bytes(data[:-1] + b"\xff\xff")  # STOP replaced by an unknown opcode
    code, report = scan_json(capsys, str(tmp_path))
    assert code == 1
    assert [f["rule"] for f in hygiene(report)] == ["pickle-dangerous-import"]


def test_large_pickle_is_read_only_up_to_the_limit(tmp_path: Path, marker: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Past MAX_PICKLE_BYTES nothing is read (memory stays bounded); the report says so."""
    padding = b"x" * (pickles.MAX_PICKLE_BYTES + 1024)
    (tmp_path / "late.pkl").write_bytes(pickle.dumps([padding, _payloads(marker)["os.system"]], protocol=4))
    (tmp_path / "early.pkl").write_bytes(pickle.dumps([_payloads(marker)["os.system"], padding], protocol=4))
    code, report = scan_json(capsys, str(tmp_path))
    assert code == 1
    by_name = {Path(f["path"]).name: f for f in hygiene(report)}
    assert by_name["early.pkl"]["rule"] == "pickle-dangerous-import"
    late = by_name["late.pkl"]
    assert late["rule"] == "pickle-unsafe-format"
    assert "only its first 8 MB" in late["message"]
    notes = report["stats"].get("notes", [])
    assert any("late.pkl" in n and "first 8 MB" in n for n in notes)


class _NoSeek(io.RawIOBase):
    """A stream that cannot seek, as git cat-file output or an upload's file object."""

    def __init__(self, data: bytes) -> None:
        self.inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def test_streams_that_cannot_seek_are_checked(tmp_path: Path, marker: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(_payloads(marker)["os.system"], protocol=2))
    zipped = buffer.getvalue()
    plain = pickle.dumps(_payloads(marker)["builtins.eval"])

    def opener(data: bytes) -> Any:
        def open_() -> IO[bytes]:
            return io.BufferedReader(_NoSeek(data))
        return open_

    report = scan_blobs([Blob("staged/model.pt", opener(zipped), len(zipped)),
                         Blob("staged/extra.pkl", opener(plain), len(plain))], ScanOptions(pii=False))
    found = {(f.path, f.rule) for f in report.findings if f.category is Category.HYGIENE}
    assert found == {("staged/model.pt", "pickle-dangerous-import"), ("staged/extra.pkl", "pickle-dangerous-import")}
    assert report.errors == []


def test_disable_and_allow_apply_to_pickle_rules(tmp_path: Path, marker: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "evil.pkl").write_bytes(pickle.dumps(_payloads(marker)["os.system"]))
    (tmp_path / "plain.pkl").write_bytes(pickle.dumps([1, 2, 3]))
    (tmp_path / ".hfguard.toml").write_text(
        'disable = ["pickle-unsafe-format"]\n\n'
        '[[allow]]\npath = "models/"\nrules = ["pickle-dangerous-import"]\nreason = "a fixture"\n')
    code = main(["scan", str(tmp_path), "--no-pii", "--format", "json", "--show-suppressed"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert hygiene(report) == []
    suppressed = {(Path(f["path"]).name, f["rule"], f["suppressed"]) for f in report["suppressed"]}
    assert ("evil.pkl", "pickle-dangerous-import", "config") in suppressed
    # Without the config the same folder blocks.
    (tmp_path / ".hfguard.toml").unlink()
    assert main(["scan", str(tmp_path), "--no-pii"]) == 1
    capsys.readouterr()


def test_categories_without_hygiene_do_not_check_pickles(tmp_path: Path, marker: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps(_payloads(marker)["os.system"]))
    (tmp_path / ".hfguard.toml").write_text('categories = ["secret"]\n')
    code, report = scan_json(capsys, str(tmp_path))
    assert code == 0
    assert hygiene(report) == []


def test_safe_upload_blocks_a_malicious_pickle_before_any_request(lfs_hub: Any, tmp_path: Path, marker: Path) -> None:
    from hfguard import UploadBlocked, safe_upload

    token = "hf_" + "Q" * 34  # the stand-in's placeholder, not a credential
    out = tmp_path / "out"
    out.mkdir()
    with zipfile.ZipFile(out / "pytorch_model.bin", "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(_payloads(marker)["builtins.exec"], protocol=2))
    with pytest.raises(UploadBlocked) as exc:
        safe_upload(folder_path=out, repo_id="user/model", token=token)
    assert lfs_hub.requests == []
    (finding,) = exc.value.findings
    assert (finding.rule, finding.path, finding.location) == (
        "pickle-dangerous-import", "pytorch_model.bin", "member archive/data.pkl")
    # A plain pickle is reported, not blocked: the upload goes through.
    plain = pickle.dumps({"w": [1.0]})
    (out / "pytorch_model.bin").write_bytes(plain)
    safe_upload(folder_path=out, repo_id="user/model", token=token)
    assert lfs_hub.received("pytorch_model.bin") == plain


def test_without_picklescan_pickles_are_still_reported_with_a_note(tmp_path: Path, marker: Path,
                                                                   capsys: pytest.CaptureFixture[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """picklescan 1.x needs Python 3.11: on 3.10 pickle files are listed, and the report says the
    imports were not checked."""
    monkeypatch.setattr(pickles, "_scanner", lambda: None)
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps(_payloads(marker)["os.system"]))
    (tmp_path / "raw.bin").write_bytes(bytes(range(256)))
    code, report = scan_json(capsys, str(tmp_path))
    assert code == 0
    assert [(Path(f["path"]).name, f["rule"]) for f in hygiene(report)] == [("evil.pkl", "pickle-unsafe-format")]
    assert any("evil.pkl" in n and "not checked" in n for n in report["stats"]["notes"])


def test_compressed_pickles_are_decompressed_and_checked(tmp_path: Path, marker: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """joblib.dump(..., compress=3) writes a zlib stream; *.pkl.gz and friends are common too."""
    import bz2
    import gzip
    import lzma
    import zlib

    evil = pickle.dumps({"model": _payloads(marker)["os.system"]}, protocol=4)
    plain = pickle.dumps({"coef": [1.0, 2.0]}, protocol=4)
    (tmp_path / "clf.joblib").write_bytes(zlib.compress(evil, 3))
    (tmp_path / "model.pkl.gz").write_bytes(gzip.compress(evil))
    (tmp_path / "state.pickle.xz").write_bytes(lzma.compress(evil))
    (tmp_path / "vocab.pkl.bz2").write_bytes(bz2.compress(plain))
    (tmp_path / "big.pkl.gz").write_bytes(gzip.compress(pickle.dumps([b"x" * (pickles.MAX_PICKLE_BYTES + 10)])))
    (tmp_path / "broken.joblib").write_bytes(b"\x1f\x8b\x08\x00" + b"\xff" * 64)
    code, report = scan_json(capsys, str(tmp_path))
    assert code == 1
    found = {Path(f["path"]).name: f for f in hygiene(report)}
    assert {name for name, f in found.items() if f["rule"] == "pickle-dangerous-import"} == {
        "clf.joblib", "model.pkl.gz", "state.pickle.xz"}
    assert found["vocab.pkl.bz2"]["rule"] == "pickle-unsafe-format"
    assert "only its first 8 MB" in found["big.pkl.gz"]["message"]
    assert "could not be decompressed" in found["broken.joblib"]["message"]
