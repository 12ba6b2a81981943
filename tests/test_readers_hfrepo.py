"""Compressed files, Hugging Face repo files (cards, tokenizers, safetensors headers), the
registry, and the progress bar."""
from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import struct
import tarfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

import hfguard.readers.compressed as compressed
from hfguard.cli import main
from hfguard.models import Blob, ChunkKind
from hfguard.readers import READERS, choose_reader
from hfguard.report.progress import Progress
from hfguard.scanner import ScanOptions, scan_disk
from secretgen import hf_token


def scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["scan", *args, "--format", "json", "--no-pii"])
    return code, json.loads(capsys.readouterr().out)


def test_each_compression_reaches_the_inner_reader(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv_text = "id,comment\n1,ok\n2," + hf_token("bz2") + "\n"
    (tmp_path / "a.csv.bz2").write_bytes(bz2.compress(csv_text.encode()))
    (tmp_path / "notes.txt.xz").write_bytes(lzma.compress(("x\n" * 5 + hf_token("xz") + "\n").encode()))
    sink = io.BytesIO()
    pq.write_table(pa.table({"t": ["a", "b", hf_token("zst")]}), sink, row_group_size=1)
    (tmp_path / "d.parquet.zst").write_bytes(zstandard.ZstdCompressor().compress(sink.getvalue()))
    (tmp_path / "r.jsonl.gz").write_bytes(gzip.compress(b'{"a": "' + hf_token("gz").encode() + b'"}\n'))
    code, report = scan(capsys, str(tmp_path))
    got = {Path(f["path"]).name: (f["line"], f["row"], f["field"]) for f in report["findings"]}
    assert got == {"a.csv.bz2": (3, 2, "comment"), "notes.txt.xz": (6, None, None),
                   "d.parquet.zst": (None, 3, "t"), "r.jsonl.gz": (1, 1, "a")}
    assert code == 1 and report["errors"] == []


def test_decompression_limit_and_corrupt_streams_are_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compressed, "MAX_DECOMPRESSED_FLOOR", 4 * 1024 * 1024)
    bomb = tmp_path / "bomb.txt.gz"
    bomb.write_bytes(gzip.compress(b"a" * (64 * 1024 * 1024), compresslevel=9))
    corrupt = tmp_path / "cut.jsonl.gz"
    packed = gzip.compress(b"".join(b'{"a": "%d"}\n' % i for i in range(100000)))
    corrupt.write_bytes(packed[: len(packed) // 2])
    code, report = scan(capsys, str(tmp_path))
    errors = {Path(e["path"]).name: e["message"] for e in report["errors"]}
    assert code == 2 and set(errors) == {"bomb.txt.gz", "cut.jsonl.gz"}
    assert "decompression bomb" in errors["bomb.txt.gz"]
    assert errors["cut.jsonl.gz"] == "corrupt or truncated gzip data"


def test_archives_and_weights_are_skipped_fast() -> None:
    for name in ("model.bin", "w.pt", "m.onnx", "q.gguf", "img.png", "a.wav", "model.bin.gz"):
        assert choose_reader(name, None) is None, name
    assert choose_reader("train.jsonl.gz", None) == "compressed"
    assert choose_reader("README.md", None) == "card"
    assert choose_reader("sub/tokenizer.json", None) == "tokenizer"
    assert choose_reader("config.json", None) == "json-metadata"


def test_tar_gz_members_are_scanned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with tarfile.open(tmp_path / "src.tar.gz", "w:gz") as archive:
        data = hf_token("tar").encode()
        info = tarfile.TarInfo("inner.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    code, report = scan(capsys, str(tmp_path))
    assert code == 1 and [f["path"] for f in report["findings"]] == [str(tmp_path / "src.tar.gz!inner.txt")]


def test_model_card_front_matter_and_body(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    card = tmp_path / "README.md"
    card.write_text(f"---\nlicense: mit\nwidget:\n  - text: {hf_token('front')}\n---\n\n# Model\n\nUse {hf_token('body')}.\n")
    code, report = scan(capsys, str(card))
    secrets = [f for f in report["findings"] if f["category"] == "secret"]  # hygiene: tests/test_hygiene_cards.py
    assert sorted(f["line"] for f in secrets) == [4, 9]
    chunks = list(READERS["card"](Blob("README.md", lambda: open(card, "rb")), card.read_bytes()[:8192]))
    assert [c.kind for c in chunks] == [ChunkKind.METADATA, ChunkKind.PROSE]


def test_tokenizer_files_are_never_entropy_scanned(tmp_path: Path) -> None:
    vocab = tmp_path / "tokenizer.json"
    vocab.write_text(json.dumps({"model": {"vocab": {f"tok{i}": i for i in range(100)}}}))
    chunks = list(READERS["tokenizer"](Blob(str(vocab), lambda: open(vocab, "rb")), vocab.read_bytes()[:64]))
    assert chunks and all(c.no_entropy for c in chunks)


def _safetensors(metadata: dict[str, str], tensor_bytes: bytes) -> bytes:
    header = {"__metadata__": metadata, "w": {"dtype": "U8", "shape": [len(tensor_bytes)],
                                              "data_offsets": [0, len(tensor_bytes)]}}
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + tensor_bytes


def test_safetensors_metadata_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "model.safetensors"
    good.write_bytes(_safetensors({"format": "pt", "pushed_with": hf_token("st-meta")}, hf_token("st-data").encode()))
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(struct.pack("<Q", 1 << 40) + b"{}")
    code, report = scan(capsys, str(tmp_path))
    (finding,) = report["findings"]
    assert (finding["path"], finding["field"], finding["line"], finding["row"]) == (
        str(good), "__metadata__.pushed_with", None, None)
    assert finding["location"] == "safetensors header __metadata__.pushed_with"
    assert report["errors"] == [{"path": str(bad), "message": "not a safetensors file: header length out of range"}]


def test_progress_bar_draws_and_clears(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hfguard.report.progress as progress

    monkeypatch.setattr(progress, "SHOW_AFTER_SECONDS", 0.0)
    monkeypatch.setattr(progress, "REDRAW_SECONDS", 0.0)
    for i in range(3):
        (tmp_path / f"f{i}.csv").write_text("a,b\n" + "1,2\n" * 1000)
    stream = io.StringIO()
    scan_disk([str(tmp_path)], ScanOptions(pii=False, jobs=1), progress=Progress(stream))
    out = stream.getvalue()
    assert "3/3 files" in out and "f2.csv" in out and out.endswith("\r\x1b[K")


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.csv").write_text("a,b\n1,2\n")
    assert main(["scan", str(tmp_path), "--no-pii"]) == 0
    assert "\r" not in capsys.readouterr().err
