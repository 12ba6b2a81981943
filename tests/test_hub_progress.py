"""The Python guard is not silent: each scan is logged on the `hfguard` logger, and a long scan
shows a progress bar on a terminal unless progress bars are disabled (HF_HUB_DISABLE_PROGRESS_BARS,
as for huggingface_hub's own bars)."""
from __future__ import annotations

import contextlib
import importlib
import io
import logging
from pathlib import Path

import pytest
from hubserver import HubServer
from secretgen import hf_token

from hfguard import UploadBlocked, safe_upload

TOKEN = "hf_" + "Q" * 34


def test_guarded_upload_logs_what_is_scanned_and_the_verdict(hub: HubServer, tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    data = tmp_path / "notes.txt"
    data.write_text("clean line\n" * 5000)
    with caplog.at_level(logging.INFO, logger="hfguard"):
        safe_upload(path_or_fileobj=str(data), path_in_repo="notes.txt", repo_id="user/model", token=TOKEN, pii=False)
    messages = [r.getMessage() for r in caplog.records if r.name == "hfguard"]
    assert any("scanning 1 file(s)" in m and "55.0 KB" in m for m in messages), messages
    assert any("scanned 1 file(s)" in m and "0 blocking finding(s)" in m for m in messages), messages

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="hfguard"), pytest.raises(UploadBlocked):
        safe_upload(path_or_fileobj=f"token = {hf_token('progress')}\n".encode(), path_in_repo="a.txt",
                    repo_id="user/model", token=TOKEN, pii=False)
    messages = [r.getMessage() for r in caplog.records if r.name == "hfguard"]
    assert any("blocked the upload to user/model: 1 finding(s)" in m for m in messages), messages
    assert hf_token("progress") not in caplog.text


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> _Terminal:
    """A terminal for stderr (set by _upload: pytest's capture resets sys.stderr after fixtures),
    progress bars allowed, and the bar shown at once."""
    stream = _Terminal()
    monkeypatch.setattr("hfguard.report.progress.SHOW_AFTER_SECONDS", 0.0)
    monkeypatch.delenv("HF_HUB_DISABLE_PROGRESS_BARS", raising=False)
    monkeypatch.setattr(importlib.import_module("huggingface_hub.utils.tqdm"), "HF_HUB_DISABLE_PROGRESS_BARS", None)
    return stream


def _upload(tmp_path: Path, stderr: io.StringIO) -> None:
    data = tmp_path / "big.txt"
    data.write_text("a clean line of text\n" * 20000)
    with contextlib.redirect_stderr(stderr):
        safe_upload(path_or_fileobj=str(data), path_in_repo="big.txt", repo_id="user/model", token=TOKEN, pii=False)


def test_progress_bar_on_a_terminal(hub: HubServer, tmp_path: Path, terminal: _Terminal) -> None:
    _upload(tmp_path, terminal)
    assert "%|" in terminal.getvalue()  # the scanner's bar (bytes, files, the current file)


def test_progress_bar_honours_hf_hub_disable_progress_bars(hub: HubServer, tmp_path: Path, terminal: _Terminal,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    _upload(tmp_path, terminal)
    assert "%|" not in terminal.getvalue()
    assert hub.commits()  # the upload itself went through


def test_progress_bar_honours_disable_progress_bars(hub: HubServer, tmp_path: Path, terminal: _Terminal) -> None:
    from huggingface_hub.utils import disable_progress_bars, enable_progress_bars

    disable_progress_bars()
    try:
        _upload(tmp_path, terminal)
    finally:
        enable_progress_bars()
    assert "%|" not in terminal.getvalue()


def test_no_progress_bar_off_a_terminal(hub: HubServer, tmp_path: Path, terminal: _Terminal,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_Terminal, "isatty", lambda self: False)
    _upload(tmp_path, terminal)
    assert terminal.getvalue() == ""


def test_bytes_are_the_bytes_on_disk_as_the_guard_logs_them(hub: HubServer, tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    from hfguard.scanner import ScanOptions, scan_disk

    table = tmp_path / "table.csv"
    rows = "".join(f'{i},"item {i}",{i * 3}\r\n' for i in range(20_000))  # CRLF and quotes
    table.write_bytes(("id,name,count\r\n" + rows).encode())
    size = table.stat().st_size
    report = scan_disk([str(table)], ScanOptions(pii=False))
    assert report.stats.bytes == size
    with caplog.at_level(logging.INFO, logger="hfguard"):
        safe_upload(path_or_fileobj=str(table), path_in_repo="table.csv", repo_id="user/model", token=TOKEN, pii=False)
    shown = f"{size / 1000:.1f} KB"
    assert any("scanning 1 file(s)" in r.getMessage() and shown in r.getMessage() for r in caplog.records)
