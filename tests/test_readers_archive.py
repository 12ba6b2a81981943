"""Zip and tar archives: members read by their own readers, findings named `archive!member` with
lines inside the member, nesting up to a depth, decompression limits, fail-closed errors."""
from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest
from secretgen import hf_token

from hfguard.models import Blob
from hfguard.readers import choose_reader
from hfguard.readers.archive import MAX_DEPTH, read_archive
from hfguard.readers.base import ReadContext, ReaderError
from hfguard.scanner import ScanOptions, scan_disk

zstandard = pytest.importorskip("zstandard")


def _text(seed: str) -> bytes:
    return f"first line\nsecond line\nHF_TOKEN = {hf_token(seed)}\n".encode()


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _tar_bytes(members: dict[str, bytes], mode: str = "w") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:  # type: ignore[call-overload]
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _scan(*paths: Path) -> tuple[list[tuple[str, int | None, str | None]], list[tuple[str, str]]]:
    report = scan_disk([str(p) for p in paths], ScanOptions(pii=False, jobs=1))
    base = str(paths[0].parent) + "/"
    findings = sorted((f.path.removeprefix(base), f.line, f.field) for f in report.findings)
    return findings, [(e.path.removeprefix(base), e.message) for e in report.errors]


def test_zip_members_are_named_with_lines_inside(tmp_path: Path) -> None:
    row = json.dumps({"id": 1, "note": f"use {hf_token('row')}"}) + "\n"
    (tmp_path / "data.zip").write_bytes(_zip_bytes({
        "train/notes.txt": _text("zip"),
        "train/rows.jsonl": row.encode(),
        "img.png": b"\x89PNG\r\n\x1a\n" + bytes(200),
        "clean.txt": b"nothing here\n",
    }))
    findings, errors = _scan(tmp_path / "data.zip")
    assert errors == []
    assert findings == [
        ("data.zip!train/notes.txt", 3, None),
        ("data.zip!train/rows.jsonl", 1, "note"),
    ]


@pytest.mark.parametrize("name, mode", [
    ("src.tar", "w"), ("src.tar.gz", "w:gz"), ("src.tgz", "w:gz"), ("src.tar.bz2", "w:bz2"),
    ("src.tar.xz", "w:xz"),
])
def test_tar_and_compressed_tar(tmp_path: Path, name: str, mode: str) -> None:
    (tmp_path / name).write_bytes(_tar_bytes({"pkg/config.txt": _text(name)}, mode))
    assert choose_reader(name, None) is not None
    findings, errors = _scan(tmp_path / name)
    assert (findings, errors) == ([(f"{name}!pkg/config.txt", 3, None)], [])


def test_tar_zst(tmp_path: Path) -> None:
    packed = zstandard.ZstdCompressor().compress(_tar_bytes({"a/b.txt": _text("zst")}))
    (tmp_path / "src.tar.zst").write_bytes(packed)
    assert _scan(tmp_path / "src.tar.zst") == ([("src.tar.zst!a/b.txt", 3, None)], [])


def _nested(levels: int, payload: bytes) -> bytes:
    """`levels` zips, one inside the other, the innermost holding secret.txt."""
    data, name = payload, "secret.txt"
    for _ in range(levels):
        data, name = _zip_bytes({name: data}), "n.zip"
    return data


def test_nested_archives_up_to_the_depth(tmp_path: Path) -> None:
    (tmp_path / "ok.zip").write_bytes(_nested(MAX_DEPTH + 1, _text("deep")))
    inner = "!".join(["ok.zip"] + ["n.zip"] * MAX_DEPTH + ["secret.txt"])
    assert _scan(tmp_path / "ok.zip") == ([(inner, 3, None)], [])

    (tmp_path / "ok.zip").unlink()
    (tmp_path / "deep.zip").write_bytes(_nested(MAX_DEPTH + 2, _text("deeper")))
    findings, errors = _scan(tmp_path / "deep.zip")
    assert not findings and len(errors) == 1 and "nested deeper" in errors[0][1]

    mixed = _zip_bytes({"docs/inner.tar": _tar_bytes({"x.txt": _text("nested")})})
    (tmp_path / "deep.zip").unlink()
    (tmp_path / "outer.zip").write_bytes(mixed)
    assert _scan(tmp_path / "outer.zip") == ([("outer.zip!docs/inner.tar!x.txt", 3, None)], [])


def test_zip_bomb_declared_size_is_stopped_before_inflating(tmp_path: Path) -> None:
    target = tmp_path / "bomb.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive, \
            archive.open("inner.txt", "w", force_zip64=True) as handle:
        for _ in range(8):
            handle.write(b"a" * (8 << 20))
    blob = Blob(str(target), lambda: target.open("rb"), target.stat().st_size)
    with pytest.raises(ReaderError, match="decompression bomb"):
        list(read_archive(blob, target.read_bytes()[:8192], ReadContext(max_decompressed=16 << 20)))


def test_broken_and_encrypted_members_are_errors_others_still_scanned(tmp_path: Path) -> None:
    data = bytearray(_zip_bytes({"a/ok.txt": _text("ok"), "b/bad.txt": b"z" * 5000}))
    # Flag the second member as encrypted in its central directory entry.
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 0x1
    (tmp_path / "mixed.zip").write_bytes(bytes(data))
    findings, errors = _scan(tmp_path / "mixed.zip")
    assert findings == [("mixed.zip!a/ok.txt", 3, None)]
    assert len(errors) == 1 and "b/bad.txt: encrypted" in errors[0][1]

    (tmp_path / "cut.tar.gz").write_bytes(_tar_bytes({"x.txt": _text("cut") * 2000}, "w:gz")[:300])
    findings, errors = _scan(tmp_path / "cut.tar.gz")
    assert findings == [] and [name for name, _ in errors] == ["cut.tar.gz"]


def test_not_an_archive_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "fake.zip").write_bytes(b"this is not a zip file at all\n")
    findings, errors = _scan(tmp_path / "fake.zip")
    assert findings == [] and [name for name, _ in errors] == ["fake.zip"]


def test_member_paths_drive_path_scoped_rules(tmp_path: Path) -> None:
    """A rule limited to config files (.env) runs on a .env member inside a zip."""
    env_line = "API_KEY=" + hf_token("env")[3:] + "x9"
    (tmp_path / "cfg.zip").write_bytes(_zip_bytes({"app/.env": (env_line + "\n").encode()}))
    findings, _ = _scan(tmp_path / "cfg.zip")
    assert findings == [("cfg.zip!app/.env", 1, None)]
