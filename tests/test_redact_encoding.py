"""`hfguard redact` reads a file in the encoding the scan reads it in (UTF-16 with or without a
BOM, UTF-8 with undecodable bytes) and writes it back in the same one."""
from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from hfguard.redact import redact_paths

DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "proton.me"]


def _csv_text(n: int = 40) -> str:
    return "id,email,city\r\n" + "".join(f"{i},member.number{i}@{DOMAINS[i % 4]},Zürich\r\n" for i in range(n))


@pytest.mark.parametrize(("encoding", "bom"), [
    ("utf-16-le", b""), ("utf-16-be", b""), ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
])
def test_utf16_csv_and_jsonl_stay_utf16(tmp_path: Path, encoding: str, bom: bytes) -> None:
    text = _csv_text()
    (tmp_path / "c.csv").write_bytes(bom + text.encode(encoding))
    records = [{"id": i, "email": f"member.number{i}@{DOMAINS[i % 4]}", "city": "Zürich"} for i in range(40)]
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    (tmp_path / "c.jsonl").write_bytes(bom + lines.encode(encoding))
    report = redact_paths([tmp_path / "c.csv", tmp_path / "c.jsonl"], tmp_path / "out")
    assert report.exit_code == 0, report.remaining.to_dict()
    expected_csv = text.replace("\r\n", "\n").splitlines()
    raw = (tmp_path / "out" / "c.csv").read_bytes()
    assert raw.startswith(bom)
    out = raw[len(bom):].decode(encoding).splitlines()
    assert len(out) == len(expected_csv) and out[0] == expected_csv[0]
    assert [line.split(",") for line in out[1:]] == [[str(i), "<EMAIL_ADDRESS>", "Zürich"] for i in range(40)]
    raw = (tmp_path / "out" / "c.jsonl").read_bytes()
    assert raw.startswith(bom)
    back = [json.loads(line) for line in raw[len(bom):].decode(encoding).splitlines()]
    assert back == [{**r, "email": "<EMAIL_ADDRESS>"} for r in records]
    counts = {(c.field, c.entity): c.count for f in report.files for c in f.changes}
    assert counts == {("email", "EMAIL_ADDRESS"): 40}  # each file has 40 (same key for both)


def test_undecodable_bytes_come_back_as_they_were(tmp_path: Path) -> None:
    body = _csv_text().encode("utf-8").replace("Zürich".encode(), "Z\xfcrich".encode("latin-1"))
    (tmp_path / "c.csv").write_bytes(body)
    report = redact_paths([tmp_path / "c.csv"], tmp_path / "out")
    assert report.exit_code == 0, report.remaining.to_dict()
    out = (tmp_path / "out" / "c.csv").read_bytes()
    assert out.count(b"Z\xfcrich") == 40 and b"@" not in out
