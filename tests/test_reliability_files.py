"""Hostile files: links, FIFOs, devices, unreadable and vanishing files, huge lines, bombs,
deep nesting, broken encodings. Whatever the file, the scan ends, says what it could not scan,
and finds what it can.

Anything that could hang or crash the interpreter runs `hfguard` in a subprocess with a timeout.
"""
from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import shutil
import stat
import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest

import hfguard
from hfguard import scanner as scanner_module
from hfguard.cli import main
from hfguard.models import Blob
from hfguard.readers import EXTENSION_READERS, READERS
from hfguard.scanner import ScanOptions, scan_blobs, scan_disk
from secretgen import hf_token

ROOT = str(Path(hfguard.__file__).resolve().parents[1])


def run_cli(args: list[str], timeout: float = 60, prefix: list[str] | None = None,
            **kwargs: Any) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([*(prefix or []), sys.executable, "-m", "hfguard", *args], capture_output=True,
                          text=True, timeout=timeout, env=env, **kwargs)


def json_report(args: list[str], timeout: float = 60, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    proc = run_cli(["scan", *args, "--format", "json"], timeout=timeout, **kwargs)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def token_line(seed: str) -> str:
    return f'HF_TOKEN = "{hf_token(seed)}"\n'


# --- links ---------------------------------------------------------------------------------------


def test_symlink_loops_and_links_out_of_the_root_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text(token_line("outside"))
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "ok.py").write_text("print('hi')\n")
    os.symlink(root, root / "sub" / "loop")  # a folder link back to the root
    os.symlink("b", root / "a")  # a <-> b: a link loop
    os.symlink("a", root / "b")
    os.symlink(outside, root / "out-dir")
    os.symlink(outside / "secret.py", root / "out-file.py")
    os.symlink(tmp_path / "missing", root / "dangling.py")
    code, report = json_report([str(root), "--no-pii"], timeout=30)
    assert code == 0, report
    assert report["findings"] == [] and report["errors"] == []
    assert report["stats"]["files"] == 1


def test_a_named_link_loop_is_an_error_not_a_hang(tmp_path: Path) -> None:
    os.symlink("b", tmp_path / "a")
    os.symlink("a", tmp_path / "b")
    (tmp_path / "ok.py").write_text("x = 1\n")
    code, report = json_report([str(tmp_path / "a"), str(tmp_path / "ok.py"), "--no-pii"], timeout=30)
    assert code == 2
    (error,) = report["errors"]
    assert error["path"].endswith("a") and "symbolic links" in error["message"]


# --- FIFOs and devices ----------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifos_are_never_opened(tmp_path: Path) -> None:
    """A FIFO with no writer blocks open() forever: inside a folder or named, it is skipped."""
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "real.py").write_text(token_line("fifo"))
    code, report = json_report([str(tmp_path), "--no-pii"], timeout=30)
    assert code == 1 and len(report["findings"]) == 1 and report["errors"] == []
    code, report = json_report([str(tmp_path / "pipe.txt"), "--no-pii"], timeout=30)
    assert code == 0 and report["errors"] == [] and report["stats"]["files"] == 0


def test_device_files_are_never_read(tmp_path: Path) -> None:
    """/dev/zero never ends and /dev/urandom is endless binary: named or in a folder, skipped."""
    devices = [d for d in ("/dev/zero", "/dev/urandom", "/dev/null") if os.path.exists(d) and stat.S_ISCHR(os.stat(d).st_mode)]
    if devices:
        code, report = json_report([*devices, "--no-pii"], timeout=30)
        assert code == 0 and report["stats"]["files"] == 0
    try:
        os.mknod(tmp_path / "zero.txt", stat.S_IFCHR | 0o600, os.makedev(1, 5))
    except (PermissionError, AttributeError, OSError):
        pytest.skip("cannot create a device node here")
    code, report = json_report([str(tmp_path), "--no-pii"], timeout=30)
    assert code == 0 and report["stats"]["files"] == 0 and report["errors"] == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_file_replaced_by_a_fifo_during_the_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Between the walk and the read, a file becomes a FIFO: an error, not a hang."""
    target = tmp_path / "swap.py"
    target.write_text("x = 1\n")
    (tmp_path / "keep.py").write_text(token_line("swap"))
    real_walk = scanner_module.walk_paths

    def walk_then_swap(*args: Any, **kwargs: Any) -> Any:
        walked = real_walk(*args, **kwargs)
        target.unlink()
        os.mkfifo(target)
        return walked

    monkeypatch.setattr(scanner_module, "walk_paths", walk_then_swap)
    with _no_hang(20):
        report = scan_disk([str(tmp_path)], ScanOptions(pii=False))
    assert [e.path for e in report.errors] == [str(target)]
    assert "not a regular file" in report.errors[0].message
    assert len(report.findings) == 1


class _Hang(Exception):
    pass


class _no_hang:
    """Fail (instead of hanging the suite) if the block takes longer than `seconds`."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __enter__(self) -> None:
        import signal

        def on_alarm(signum: int, frame: Any) -> None:
            raise _Hang(f"still running after {self.seconds} s")

        self.previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc: Any) -> None:
        import signal

        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)


# --- files that vanish or change --------------------------------------------------------------------


def test_file_that_vanishes_after_the_walk_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "gone.py").write_text(token_line("gone"))
    (tmp_path / "stays.py").write_text("x = 1\n")
    real_walk = scanner_module.walk_paths

    def walk_then_delete(*args: Any, **kwargs: Any) -> Any:
        walked = real_walk(*args, **kwargs)
        (tmp_path / "gone.py").unlink()
        return walked

    monkeypatch.setattr(scanner_module, "walk_paths", walk_then_delete)
    assert main(["scan", str(tmp_path), "--format", "json", "--no-pii"]) == 2
    report = json.loads(capsys.readouterr().out)
    (error,) = report["errors"]
    assert error["path"] == str(tmp_path / "gone.py") and "No such file" in error["message"]


def test_folder_that_vanishes_after_it_was_named_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "a.py").write_text("x = 1\n")
    real_scandir = os.scandir

    def scandir_after_rmtree(path: Any) -> Any:
        if Path(path) == sub:
            (sub / "a.py").unlink()
            sub.rmdir()
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir_after_rmtree)
    report = scan_disk([str(tmp_path)], ScanOptions(pii=False))
    assert [e.path for e in report.errors] == [str(sub)]


def _changing_blob(path: str, versions: list[bytes]) -> Blob:
    """A blob whose content is different each time it is opened (a file being rewritten)."""
    calls = iter(versions + [versions[-1]] * 10)
    return Blob(path, lambda: io.BytesIO(next(calls)), len(versions[0]))


@pytest.mark.parametrize(
    "versions",
    [
        [b"text at first\n", b"\x00\x01binary now" * 100],
        [b"x = 1\n" * 1000, b""],  # truncated to nothing
        [b"short\n", b"a much longer file now\n" * 10000 + token_line("grew").encode()],
        [b'{"cells": []}', b'{"cells": [{"cell_type": "code", "source": ['],  # notebook cut mid-write
        [b"a,b\n1,2\n", b"a,b\n1,2,3,\"\n\xff\xfe"],
    ],
    ids=["text-then-binary", "truncated", "grew", "notebook-cut", "csv-cut"],
)
@pytest.mark.parametrize("ext", ["py", "txt", "ipynb", "csv", "json", "jsonl"])
def test_content_that_changes_between_reads(versions: list[bytes], ext: str) -> None:
    report = scan_blobs([_changing_blob(f"changing.{ext}", versions)], ScanOptions())
    json.loads(json.dumps(report.to_dict()))


def test_file_growing_while_it_is_scanned(tmp_path: Path) -> None:
    target = tmp_path / "growing.log"
    target.write_text("start\n" * 100_000)
    stop = threading.Event()

    def append() -> None:  # a busy log: ~3.6 MB/s, for as long as the scan runs
        with open(target, "a") as handle:
            while not stop.is_set():
                handle.write("more log lines, nothing secret here\n" * 1000)
                handle.flush()
                stop.wait(0.01)

    writer = threading.Thread(target=append)
    writer.start()
    try:
        report = scan_disk([str(tmp_path)], ScanOptions(pii=False))
    finally:
        stop.set()
        writer.join()
    assert report.errors == [] and report.stats.files == 1


# --- permissions ------------------------------------------------------------------------------------


def _permission_tree(base: Path) -> Path:
    root = base / "perm"
    (root / "locked-dir").mkdir(parents=True)
    (root / "locked-dir" / "inside.py").write_text(token_line("inside"))
    (root / "locked.py").write_text(token_line("locked"))
    (root / "open.py").write_text(token_line("open"))
    (root / "locked.py").chmod(0)
    (root / "locked-dir").chmod(0)
    return root


def _unprivileged() -> list[str]:
    """A command prefix under which chmod 000 denies reads. Root ignores file modes, so as root
    the scan runs without the capabilities that let it (setpriv, util-linux)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root and setpriv is not installed: chmod 000 would not deny reads")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]


def test_permission_denied_is_an_error_and_the_scan_goes_on(tmp_path: Path) -> None:
    root = _permission_tree(tmp_path)
    prefix = _unprivileged()
    try:
        code, report = json_report([str(root), "--no-pii"], timeout=60, prefix=prefix)
        errors = {e["path"]: e["message"] for e in report["errors"]}
        assert errors == {
            str(root / "locked-dir"): "cannot list folder: Permission denied",
            str(root / "locked.py"): "cannot read: Permission denied",
        }
        assert [f["path"] for f in report["findings"]] == [str(root / "open.py")]
        assert code == 1  # a blocking finding wins over errors; both are listed
        (root / "open.py").write_text("x = 1\n")
        code, report = json_report([str(root), "--no-pii"], timeout=60, prefix=prefix)
        assert code == 2 and len(report["errors"]) == 2
    finally:
        (root / "locked.py").chmod(0o644)
        (root / "locked-dir").chmod(0o755)


# --- encodings and NUL bytes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "found"),
    [
        ("invalid-utf8.py", b"\xff\xfe\xfa junk \xc3\x28 " + token_line("u8").encode() + b"\xed\xa0\x80\n", True),
        ("overlong.py", b"\xc0\xaf\xe0\x80\xaf " + token_line("ov").encode(), True),
        ("utf16-bom.py", token_line("u16").encode("utf-16"), True),
        ("utf16le-nobom.py", ("# comment line\n" + token_line("le")).encode("utf-16-le"), True),
        ("utf16be-nobom.py", ("# comment line\n" + token_line("be")).encode("utf-16-be"), True),
        ("utf16-odd-length.py", token_line("odd").encode("utf-16") + b"\x00", True),
        ("utf16-lone-surrogate.py", "\ufeff".encode("utf-16-le") + b"\x00\xd8x\x00" + token_line("ls").encode("utf-16-le"), True),
        ("utf8-bom.py", b"\xef\xbb\xbf" + token_line("bom").encode(), True),
        ("nul-after-head.py", b"x = 1\n" * 2000 + b"\x00\x00\n" + token_line("nul").encode(), True),
        ("nul-in-text.txt", b"hello\x00world " + token_line("nt").encode(), True),
        ("nul-only.txt", b"\x00" * 100_000, False),
        ("bidi-and-escapes.py", "\u202e\x1b[2J\r".encode() + token_line("esc").encode(), True),
    ],
)
def test_broken_encodings_and_nul_bytes(tmp_path: Path, name: str, data: bytes, found: bool) -> None:
    (tmp_path / name).write_bytes(data)
    report = scan_disk([str(tmp_path)], ScanOptions(pii=False))
    assert report.errors == []
    assert bool(report.findings) is found, [f.to_dict() for f in report.findings]
    json.loads(json.dumps(report.to_dict()))


def test_text_report_escapes_terminal_control_characters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """File names are attacker-chosen: no raw ESC, CR or bidi override reaches the terminal, and a
    name that is not valid UTF-8 neither crashes the report nor its --output file."""
    name = os.fsdecode(b"evil\x1b[2K\r\xe2\x80\xae\xff.py")
    (tmp_path / name).write_text(token_line("evil"))
    assert main(["scan", str(tmp_path), "--no-pii"]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\r" not in out and "\u202e" not in out and "\\x1b" in out
    target = tmp_path.parent / f"{tmp_path.name}-report.txt"
    assert main(["scan", str(tmp_path), "--no-pii", "--output", str(target)]) == 1
    assert "\\x1b" in target.read_text(encoding="utf-8")
    for fmt in ("json", "sarif"):
        assert main(["scan", str(tmp_path), "--no-pii", "--format", fmt]) == 1
        json.loads(capsys.readouterr().out)


# --- size: huge lines, sparse files, deep nesting, bombs -----------------------------------------------


def _single_line_file(path: Path, megabytes: int, tail: str) -> None:
    block = ("abcdefghij" * 104858)[: 1 << 20]  # 1 MiB of letters, no newline, no keyword
    with open(path, "w") as handle:
        for _ in range(megabytes):
            handle.write(block)
        handle.write(" " + tail)


_MEASURED = (
    "import resource, sys\n"
    "from hfguard.cli import main\n"
    "try:\n"
    "    code = main(sys.argv[1:])\n"
    "finally:\n"
    # VmHWM is this process's own peak: ru_maxrss of RUSAGE_SELF keeps the high-water mark of
    # the (large) pytest process across fork and exec on Linux.
    "    own = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
    "    peak = max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "    sys.stderr.write(f'\\nPEAK_RSS_KB={peak}\\n')\n"
    "sys.exit(code)\n"
)


def _scan_big(path: Path, timeout: float, pii: bool = False) -> tuple[int, dict[str, Any], float]:
    """Scan in a child; returns exit code, report and that child's own peak RSS in MB (not the
    suite's other children: RUSAGE_CHILDREN of this process would count them too)."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    args = ["scan", str(path), "--format", "json"] + ([] if pii else ["--no-pii"])
    proc = subprocess.run([sys.executable, "-c", _MEASURED, *args], capture_output=True, text=True,
                          timeout=timeout, env=env)
    assert "Traceback" not in proc.stderr, proc.stderr
    peak_kb = int(proc.stderr.rsplit("PEAK_RSS_KB=", 1)[1].split()[0])
    return proc.returncode, json.loads(proc.stdout), peak_kb / 1024


@pytest.mark.parametrize("megabytes", [48, pytest.param(500, marks=pytest.mark.slow)])
def test_huge_single_line_file_bounded_memory_finds_token_at_end(tmp_path: Path, megabytes: int) -> None:
    target = tmp_path / "one-line.txt"
    _single_line_file(target, megabytes, hf_token("end") + "\n")
    code, report, peak_mb = _scan_big(target, timeout=600, pii=True)  # the whole pipeline
    target.unlink()
    assert code == 1 and [f["rule"] for f in report["findings"]] == ["huggingface-access-token"]
    assert report["findings"][0]["line"] == 1
    assert report["findings"][0]["column"] == megabytes * (1 << 20) + 2
    assert peak_mb < 400, f"peak RSS {peak_mb:.0f} MB for a {megabytes} MB file"


def test_sparse_gigabyte_file_costs_nothing(tmp_path: Path) -> None:
    target = tmp_path / "sparse.txt"
    with open(target, "wb") as handle:
        handle.truncate(1 << 30)
    code, report = json_report([str(target), "--no-pii"], timeout=60)
    assert code == 0 and report["errors"] == []


DEPTH = 200_000


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("deep.json", b"[" * DEPTH + b"]" * DEPTH),
        ("deep-obj.json", b'{"a":' * DEPTH + b"1" + b"}" * DEPTH),
        ("deep.jsonl", b'{"a":' * DEPTH + b"1" + b"}" * DEPTH + b"\n" + b"[" * DEPTH + b"\n"),
        ("deep.ipynb", b'{"cells": [{"cell_type": "code", "source": "x", "outputs": ' + b"[" * DEPTH + b"]" * DEPTH + b"}]}"),
        ("deep-unclosed.json", b"[" * DEPTH),
        ("deep.csv", b'a,b\n"' + b'""' * DEPTH + b'",1\n'),
    ],
)
def test_deeply_nested_input_does_not_crash(tmp_path: Path, name: str, data: bytes) -> None:
    (tmp_path / name).write_bytes(data)
    (tmp_path / "other.py").write_text(token_line("deep"))
    code, report = json_report([str(tmp_path)], timeout=120)
    assert code in (1,), report
    assert len([f for f in report["findings"] if f["path"].endswith("other.py")]) == 1
    assert all(e["path"].endswith(name) for e in report["errors"])


def _compressed_readers() -> dict[str, str]:
    return {ext: name for ext, name in EXTENSION_READERS.items()
            if ext in {"gz", "bz2", "xz", "zip", "zst", "tgz", "lzma"}}


def _bomb(path: Path, kind: str, gigabytes: int) -> None:
    """Concatenated members/streams of 64 MiB of zeros (valid for gzip, bzip2 and xz readers):
    `gigabytes` GiB decompressed from a few MB, built in well under a second."""
    zeros = b"\0" * (64 << 20)
    if kind == "gz":
        member = gzip.compress(zeros, compresslevel=9, mtime=0)
    elif kind == "bz2":
        member = bz2.compress(zeros, 9)
    elif kind == "xz":
        member = lzma.compress(zeros, preset=1)
    else:
        raise ValueError(kind)
    with open(path, "wb") as handle:
        for _ in range(gigabytes * 16):
            handle.write(member)


@pytest.mark.skipif(not _compressed_readers(), reason="no reader for compressed files registered yet")
@pytest.mark.parametrize("kind", ["gz", "bz2", "xz", "zip"])
def test_decompression_bomb_is_stopped_and_reported(tmp_path: Path, kind: str) -> None:
    """A few MB that inflate to gigabytes: stopped at the size limit, bounded memory, and the file
    is an error (its content was not all scanned), not a silent skip."""
    if kind not in _compressed_readers():
        pytest.skip(f"no reader for .{kind}")
    if kind == "zip":
        target = tmp_path / "bomb.zip"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            with archive.open("inner.txt", "w", force_zip64=True) as handle:
                for _ in range(64):
                    handle.write(b"a" * (32 << 20))
    else:
        target = tmp_path / f"bomb.txt.{kind}"
        _bomb(target, kind, 2)
    assert target.stat().st_size < 64 << 20
    code, report, peak_mb = _scan_big(target, timeout=120)
    assert peak_mb < 600, f"peak RSS {peak_mb:.0f} MB"
    assert code == 2 and [e["path"] for e in report["errors"]] == [str(target)], report


@pytest.mark.skipif(not _compressed_readers(), reason="no reader for compressed files registered yet")
def test_token_inside_a_compressed_file_is_found_or_the_file_is_an_error(tmp_path: Path) -> None:
    """Compressed once: scanned. Compressed twice: either scanned or listed as not scanned, never
    passed over with only a note (fail closed)."""
    once = tmp_path / "once.txt.gz"
    once.write_bytes(gzip.compress(token_line("gz1").encode(), mtime=0))
    twice = tmp_path / "twice.txt.gz.gz"
    twice.write_bytes(gzip.compress(gzip.compress(token_line("gz2").encode(), mtime=0), mtime=0))
    code, report = json_report([str(tmp_path), "--no-pii"], timeout=60)
    found = {Path(f["path"]).name for f in report["findings"]}
    failed = {Path(e["path"]).name for e in report["errors"]}
    assert "once.txt.gz" in found
    assert "twice.txt.gz.gz" in found | failed, report


def test_every_registered_reader_survives_empty_and_tiny_files(tmp_path: Path) -> None:
    """Empty, one byte, a lone BOM, only newlines: for every extension a reader is registered for."""
    blobs = []
    for ext in sorted(EXTENSION_READERS):
        for i, data in enumerate([b"", b"x", b"\xef\xbb\xbf", b"\n\n\n", b"\xff", b"\r\n\r"]):
            blobs.append(Blob(f"tiny/{i}.{ext}", lambda data=data: io.BytesIO(data), len(data)))
    report = scan_blobs(blobs, ScanOptions())
    json.loads(json.dumps(report.to_dict()))
    assert READERS  # the registry exists and is not empty
