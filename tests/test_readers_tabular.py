"""CSV and TSV: every finding names its row (header excluded), column and line on disk; broken
CSV is scanned on as plain text with a note, never a traceback."""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from hfguard.cli import main
from hfguard.masking import mask
from secretgen import hf_token


def scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["scan", *args, "--format", "json", "--no-pii"])
    return code, json.loads(capsys.readouterr().out)


def line_of(path: Path, needle: str) -> int:
    raw = path.read_text()
    return raw.count("\n", 0, raw.index(needle)) + 1


def test_quoted_multiline_fields_keep_rows_and_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tickets.csv"
    rows = [["id", "subject", "body", "api_key"]]
    for i in range(1, 3001):
        body = f"line one\nline two of ticket {i}" if i % 7 == 0 else f"ticket {i}"
        rows.append([str(i), f"subject {i}", body, hf_token("row") if i == 2345 else ""])
    rows[1500][2] = f"pasted: \"{hf_token('body')}\"\nthanks"  # inside a quoted multi-line field
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    code, report = scan(capsys, str(path))
    assert code == 1 and report["errors"] == []
    found = {f["preview"]: f for f in report["findings"]}
    key = found[mask(hf_token("row"))]
    assert (key["row"], key["field"], key["location"]) == (2345, "api_key", "row 2345, column api_key")
    assert key["line"] == line_of(path, hf_token("row")) and key["cell"] is None
    body = found[mask(hf_token("body"))]
    assert (body["row"], body["field"]) == (1500, "body")
    assert body["line"] == line_of(path, hf_token("body"))


def test_tsv_and_sniffed_semicolon_dialect(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tsv = tmp_path / "data.tsv"
    tsv.write_text("name\ttoken\nalice\tnone\nbob\t" + hf_token("tsv") + "\n")
    semi = tmp_path / "export.csv"
    semi.write_text("name;comment;score\n" + "".join(f"user{i};fine;{i}\n" for i in range(50))
                    + f"eve;see {hf_token('semi')};3\n")
    code, report = scan(capsys, str(tsv), str(semi))
    got = {f["path"]: (f["row"], f["field"], f["line"]) for f in report["findings"]}
    assert got == {str(semi): (51, "comment", 52), str(tsv): (2, "token", 3)}


def test_headerless_csv_numbers_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "raw.csv"
    path.write_text("1,2.5,hello\n2,3.5," + hf_token("nohead") + "\n")
    code, report = scan(capsys, str(path))
    (finding,) = report["findings"]
    assert (finding["row"], finding["field"], finding["line"], finding["location"]) == (2, "3", 2, "row 2, column 3")


def test_max_rows_samples_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "big.csv"
    path.write_text("a,b\n" + "".join(f"{i},x\n" for i in range(100)) + "101," + hf_token("late") + "\n")
    code, report = scan(capsys, str(path), "--max-rows", "10")
    assert code == 0 and report["findings"] == []
    assert any("big.csv" in n and "first 10 rows" in n for n in report["stats"]["notes"])
    code, report = scan(capsys, str(path))
    assert code == 1 and report["findings"][0]["row"] == 101 and "notes" not in report["stats"]
    assert main(["scan", str(path), "--max-rows", "0"]) == 2


def test_unbalanced_quote_is_scanned_as_text_with_a_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.csv"
    lines = ["id,text"] + [f"{i},fine" for i in range(1, 40)] + ['40,"never closed'] + [f"{hf_token('after')}"] + ["41,x"]
    path.write_text("\n".join(lines) + "\n")
    code, report = scan(capsys, str(path))
    assert code == 1 and report["errors"] == []
    (finding,) = report["findings"]
    assert finding["line"] == line_of(path, hf_token("after"))
    (note,) = report["stats"]["notes"]
    assert "could not be parsed" in note and "plain text" in note


def test_fifty_megabyte_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "huge-field.csv"
    with open(path, "w") as handle:
        handle.write('id,blob,next\n1,"')
        handle.write("lorem ipsum " * (50 * 1024 * 1024 // 12))
        handle.write(f'{hf_token("huge")}",{hf_token("next")}\n2,x,y\n')
    code, report = scan(capsys, str(path))
    assert code == 1 and report["errors"] == []
    assert sorted((f["row"], f["field"], f["line"]) for f in report["findings"]) == [(1, "blob", 2), (1, "next", 2)]


def test_binary_junk_and_invalid_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x00\x01\x02\x03PK\x00\x00" * 2048)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"name,token\nJos\xe9,none\nRen\xe9e," + hf_token("latin").encode() + b"\n")
    code, report = scan(capsys, str(junk), str(latin))
    assert report["errors"] == [{"path": str(junk), "message": "not a CSV file: binary content"}]
    (finding,) = report["findings"]
    assert (finding["path"], finding["row"], finding["field"], finding["line"]) == (str(latin), 2, "token", 3)
    assert any("latin.csv" in n and "invalid UTF-8" in n for n in report["stats"]["notes"])
    assert code == 1
