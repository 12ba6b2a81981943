"""Parquet and Arrow IPC / Feather: streamed by record batch, string columns only, nested columns
flattened to key paths; findings carry the 1-based row and the exact field, no line."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

from hfguard.cli import main
from hfguard.masking import mask
from secretgen import hf_token


def scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["scan", *args, "--format", "json", "--no-pii"])
    return code, json.loads(capsys.readouterr().out)


def table(rows: int = 5000) -> pa.Table:
    text = [f"review number {i}: fine product" for i in range(rows)]
    text[3210 % rows] = f"support asked for my key {hf_token('pq-text')} so here"
    users = [{"name": f"u{i}", "emails": [f"u{i}@example.com"]} for i in range(rows)]
    users[4321 % rows] = {"name": "x", "emails": ["x@example.com", "x2@example.com", f"key={hf_token('pq-list')}"]}
    notes: list[str | None] = [None if i % 3 else "n/a" for i in range(rows)]
    notes[77] = f"line one\nline two {hf_token('pq-multiline')}"
    return pa.table({
        "id": pa.array(range(rows), pa.int64()),
        "score": pa.array([i / 7 for i in range(rows)]),
        "text": pa.array(text, pa.large_string()),
        "users": pa.array(users),
        "notes": pa.array(notes),
        "label": pa.array(["pos", "neg"] * (rows // 2)).dictionary_encode(),
        "blob": pa.array([hf_token("in-binary").encode()] * rows, pa.binary()),  # not string-like
    })


def test_parquet_rows_fields_and_row_groups(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "train.parquet"
    pq.write_table(table(), path, row_group_size=700)
    assert pq.ParquetFile(path).metadata.num_row_groups == 8
    code, report = scan(capsys, str(path))
    assert code == 1 and report["errors"] == []
    got = {f["preview"]: (f["row"], f["field"], f["location"], f["line"], f["column"]) for f in report["findings"]}
    assert got == {
        mask(hf_token("pq-text")): (3211, "text", "row 3211, column text", None, None),
        mask(hf_token("pq-list")): (4322, "users.emails[2]", "row 4322, column users.emails[2]", None, None),
        mask(hf_token("pq-multiline")): (78, "notes", "row 78, column notes", None, None),
    }


def test_max_rows_on_parquet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "train.parquet"
    pq.write_table(table(), path, row_group_size=700)
    code, report = scan(capsys, str(path), "--max-rows", "1000")
    assert [f["row"] for f in report["findings"]] == [78]
    assert any("first 1000 rows" in n for n in report["stats"]["notes"])


def test_arrow_ipc_file_stream_and_feather(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = table(3000)
    with ipc.new_file(tmp_path / "data.arrow", data.schema) as writer:
        for batch in data.to_batches(max_chunksize=1000):
            writer.write_batch(batch)
    with ipc.new_stream(tmp_path / "data.arrows", data.schema) as writer:
        writer.write_table(data, max_chunksize=512)
    feather.write_feather(data, tmp_path / "data.feather", chunksize=1000)
    code, report = scan(capsys, str(tmp_path))
    assert code == 1 and report["errors"] == []
    rows = {(Path(f["path"]).name, f["row"], f["field"]) for f in report["findings"]}
    expected = {(78, "notes"), (211, "text"), (1322, "users.emails[2]")}
    assert rows == {(name, *where) for name in ("data.arrow", "data.arrows", "data.feather") for where in expected}


def test_truncated_and_junk_parquet_are_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.parquet"
    pq.write_table(table(2000), good, row_group_size=500)
    data = good.read_bytes()
    (tmp_path / "cut-footer.parquet").write_bytes(data[: len(data) // 2])
    (tmp_path / "junk.parquet").write_bytes(b"PAR1" + b"\x00garbage" * 100)
    (tmp_path / "empty.parquet").write_bytes(b"")
    good.unlink()
    code, report = scan(capsys, str(tmp_path))
    assert code == 2 and report["findings"] == []
    assert sorted(Path(e["path"]).name for e in report["errors"]) == ["cut-footer.parquet", "empty.parquet", "junk.parquet"]
    assert all("Parquet" in e["message"] for e in report["errors"])


def test_corrupt_page_data_is_an_error_after_what_was_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "corrupt.parquet"
    pq.write_table(table(5000), path, row_group_size=1000, compression="snappy")
    meta = pq.ParquetFile(path).metadata
    last = meta.row_group(meta.num_row_groups - 1).column(2)  # the text column, last row group
    data = bytearray(path.read_bytes())
    middle = last.data_page_offset + 40
    data[middle: middle + 200] = b"\xff" * 200
    path.write_bytes(bytes(data))
    code, report = scan(capsys, str(path))
    assert [e["path"] for e in report["errors"]] == [str(path)]
    assert "Parquet" in report["errors"][0]["message"]
    assert {f["row"] for f in report["findings"]} >= {78}  # found before the damage
