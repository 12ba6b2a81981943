"""Fail closed: what could not be scanned is an error (exit 2, or 1 when something also blocks),
a pathological file is stopped by its time budget, and Ctrl-C exits 130 leaving no half-written
report or baseline, also while worker processes scan.
"""
from __future__ import annotations

import importlib.util
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

import hfguard
from hfguard import scanner as scanner_module
from hfguard.policy.baseline import write_atomically
from hfguard.budget import BudgetExceeded, time_budget
from hfguard.cli import main
from hfguard.policy.config import Config
from hfguard.models import Blob, Chunk
from hfguard.scanner import FileScanner, ScanOptions, scan_blobs
from secretgen import hf_token

ROOT = str(Path(hfguard.__file__).resolve().parents[1])


def _blob(path: str, data: bytes) -> Blob:
    return Blob(path, lambda: io.BytesIO(data), len(data))


# --- exit codes -------------------------------------------------------------------------------------


def test_unscannable_file_alone_exits_2_with_a_secret_exits_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "unreadable.py").write_text("x = 1\n")
    (tmp_path / "fine.py").write_text("y = 2\n")
    real_open = scanner_module.open_regular

    def deny(path: str) -> Any:
        if path.endswith("unreadable.py"):
            raise PermissionError(13, "Permission denied")
        return real_open(path)

    monkeypatch.setattr(scanner_module, "open_regular", deny)
    for fmt in ("json", "sarif", "text"):
        assert main(["scan", str(tmp_path), "--no-pii", "--format", fmt]) == 2
        out = capsys.readouterr().out
        assert "unreadable.py" in out and "Permission denied" in out
    (tmp_path / "fine.py").write_text(f'TOKEN = "{hf_token("fc")}"\n')
    assert main(["scan", str(tmp_path), "--no-pii", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [e["path"] for e in report["errors"]] == [str(tmp_path / "unreadable.py")]
    assert len(report["findings"]) == 1


def test_sarif_marks_an_incomplete_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(tmp_path / "missing"), "--format", "sarif", "--no-pii"]) == 2
    run = json.loads(capsys.readouterr().out)["runs"][0]
    assert run["invocations"][0]["executionSuccessful"] is False


def test_a_reader_crash_is_an_error_for_that_file_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a reader raises, the file is listed in errors, never silently dropped."""
    def exploding(blob: Blob, head: bytes, ctx: Any = None) -> Iterator[Chunk]:
        yield Chunk("fine so far")
        raise ValueError("boom")

    monkeypatch.setitem(scanner_module.READERS, "text", exploding)
    report = scan_blobs([_blob("a.py", b"x"), _blob("b.py", b"y")], ScanOptions(pii=False))
    assert [e.path for e in report.errors] == ["a.py", "b.py"]
    assert report.stats.files == 2


# --- per-file time budget ------------------------------------------------------------------------------


CATASTROPHIC = Config(custom_rules=({
    "id": "catastrophic-custom", "description": "exponential backtracking on purpose",
    "regex": r"(a+)+!", "keywords": ["aaaa"], "severity": "high",
},))


def test_time_budget_stops_a_catastrophic_custom_rule() -> None:
    """A user's own rule that backtracks exponentially: the file is stopped and reported, the next
    file is still scanned, the whole scan ends in about the budget."""
    evil = _blob("evil.txt", b"a" * 60 + b"\n")
    good = _blob("good.py", f'T = "{hf_token("budget")}"\n'.encode())
    options = ScanOptions(config=CATASTROPHIC, pii=False, file_time_budget=1.0)
    started = time.monotonic()
    report = scan_blobs([evil, good], options)
    took = time.monotonic() - started
    assert took < 10, took
    (error,) = report.errors
    assert error.path == "evil.txt" and "time budget" in error.message
    assert [f.path for f in report.findings] == ["good.py"]


def test_time_budget_without_signals_checks_between_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Off the main thread (no SIGALRM), the budget is still checked between chunks."""
    def many_chunks(blob: Blob, head: bytes, ctx: Any = None) -> Iterator[Chunk]:
        for i in range(10_000):
            yield Chunk(f"line {i}", line=i + 1)

    real_scan = scanner_module.SecretEngine.scan

    def slow_scan(self: Any, chunk: Chunk, path: str) -> Any:
        time.sleep(0.01)
        return real_scan(self, chunk, path)

    monkeypatch.setitem(scanner_module.READERS, "text", many_chunks)
    monkeypatch.setitem(scanner_module.READERS, "prose", many_chunks)
    monkeypatch.setattr(scanner_module.SecretEngine, "scan", slow_scan)
    scanner = FileScanner(ScanOptions(pii=False, file_time_budget=0.5))
    out: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: out.setdefault("result", scanner.scan_blob(_blob("slow.py", b"x"))))
    started = time.monotonic()
    thread.start()
    thread.join(30)
    assert not thread.is_alive()
    assert time.monotonic() - started < 5
    (error,) = out["result"].errors
    assert "time budget" in error.message


def test_time_budget_leaves_no_timer_or_handler_behind() -> None:
    before = signal.getsignal(signal.SIGALRM)
    with time_budget(5.0) as deadline:
        assert not deadline.expired()
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is before
    with pytest.raises(BudgetExceeded):
        with time_budget(0.05):
            time.sleep(1)
    assert signal.getsignal(signal.SIGALRM) is before


def test_time_budget_respects_someone_elses_alarm_handler() -> None:
    fired: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda *a: fired.append(1))
    try:
        with time_budget(0.05) as deadline:
            time.sleep(0.2)  # no hard stop: the handler is not ours to replace
            assert deadline.expired()
        assert signal.getsignal(signal.SIGALRM) is not signal.SIG_DFL and not fired
    finally:
        signal.signal(signal.SIGALRM, previous)


# --- Ctrl-C ----------------------------------------------------------------------------------------------


SLOW_CONFIG = """
[[rules]]
id = "catastrophic-custom"
description = "a user's rule that backtracks exponentially: keeps the scan busy until interrupted"
regex = '(a+)+!'
keywords = ["aaaa"]
"""


def _slow_tree(root: Path, files: int) -> Path:
    """Files a catastrophic custom rule spins on (for minutes: far past the interrupt), plus 5 MB
    of filler so that the scan uses worker processes when --jobs > 1."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        (root / f"slow-{i}.txt").write_text("a" * 40 + "\n")
    (root / "filler.txt").write_text("nothing to see here\n" * 260_000)
    config = root.parent / "slow.toml"
    config.write_text(SLOW_CONFIG)
    return config


def _session_processes(sid: int) -> list[int]:
    alive = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            alive.append(int(entry))
    return alive


def _interrupt(args: list[str], cwd: Path, whole_group: bool, after: float = 1.5) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "hfguard", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            # as from a terminal, even when the suite itself runs with SIGINT ignored
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(after)
    assert proc.poll() is None, "the scan ended before it could be interrupted"
    if whole_group:
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    else:
        os.kill(proc.pid, signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    deadline = time.monotonic() + 10
    while _session_processes(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _session_processes(proc.pid) == [], "worker processes outlived the interrupted scan"
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.skipif(not hasattr(os, "killpg") or not os.path.isdir("/proc"), reason="needs POSIX process groups and /proc")
@pytest.mark.parametrize(
    ("command", "jobs", "whole_group"),
    [
        ("scan", "1", True),
        ("scan", "2", True),  # > 4 MB: worker processes
        ("scan", "2", False),  # SIGINT to the parent only: it must stop the workers itself
        ("baseline", "2", True),
    ],
    ids=["scan-serial", "scan-parallel-ctrl-c", "scan-parallel-kill-parent", "baseline-parallel"],
)
def test_ctrl_c_exits_130_and_writes_nothing(tmp_path: Path, command: str, jobs: str, whole_group: bool) -> None:
    config = _slow_tree(tmp_path / "tree", files=4)
    output = tmp_path / "out" / ("report.json" if command == "scan" else "baseline.json")
    output.parent.mkdir()
    if command == "scan":
        output.write_text("previous content\n")
    else:  # `baseline` merges into an existing baseline: start from a valid, empty one
        (tmp_path / "empty").mkdir()
        assert main(["baseline", str(tmp_path / "empty"), "--no-pii", "-o", str(output)]) == 0
    previous = output.read_text()
    args = [command, "tree", "--no-pii", "--jobs", jobs, "--config", str(config)]
    args += ["--format", "json", "--output", str(output)] if command == "scan" else ["-o", str(output)]
    proc = _interrupt(args, tmp_path, whole_group)
    assert proc.returncode == 130, proc.stderr
    assert "Traceback" not in proc.stderr and "interrupted" in proc.stderr
    assert output.read_text() == previous  # untouched: no half-written file
    assert sorted(p.name for p in output.parent.iterdir()) == [output.name]  # no temp file left


def test_interrupted_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.json"
    target.write_text("old\n")

    def interrupted_replace(src: Any, dst: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted_replace)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, "new" * 100_000)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


# --- uploads ------------------------------------------------------------------------------------------------


@pytest.mark.skipif(importlib.util.find_spec("hfguard.hub") is None, reason="hfguard.hub is not written yet")
def test_an_unscannable_file_blocks_the_upload(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hfguard import hub

    (tmp_path / "model.py").write_text("x = 1\n")
    (tmp_path / "data.parquet").write_bytes(b"PAR1" + b"\x00 not really parquet " * 10 + b"PAR1")

    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("network access during a blocked upload")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    with pytest.raises(hub.UploadBlocked) as info:
        hub.safe_upload(folder_path=str(tmp_path), repo_id="someone/model", token="hf_" + "x" * 34)
    assert any(e.path.endswith("data.parquet") for e in info.value.errors)
