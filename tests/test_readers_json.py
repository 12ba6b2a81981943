"""JSON and JSON Lines: key paths as `field`, the line and column on disk, JSONL rows; malformed
lines, deep nesting and huge records are scanned in a degraded mode that the report names."""
from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from secretgen import github_pat, hf_token, rand

from hfguard.cli import main
from hfguard.masking import mask


def scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["scan", *args, "--format", "json", "--no-pii"])
    return code, json.loads(capsys.readouterr().out)


def position(raw: str, needle: str) -> tuple[int, int]:
    at = raw.index(needle)
    return raw.count("\n", 0, at) + 1, at - raw.rfind("\n", 0, at)


def test_json_key_paths_lines_and_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    token, other = hf_token("users"), github_pat("nested")
    document = {
        "version": 2,
        "users": [
            {"name": "ann", "email": "ann@example.com"},
            {"name": "bo", "tags": ["x"]},
            {"name": "cy"},
            {"name": "dee", "email": "dee@example.com", "token": token},
        ],
        "deploy": {"steps": [{"env": {"GITHUB_TOKEN": other}}]},
    }
    path = tmp_path / "users.json"
    raw = json.dumps(document, indent=2)
    path.write_text(raw)
    _code, report = scan(capsys, str(path))
    found = {f["preview"]: f for f in report["findings"]}
    first = found[mask(token)]
    assert (first["field"], first["row"], first["location"]) == ("users[3].token", None, "key users[3].token")
    assert (first["line"], first["column"]) == position(raw, token)
    second = found[mask(other)]
    assert second["field"] == "deploy.steps[0].env.GITHUB_TOKEN"
    assert (second["line"], second["column"]) == position(raw, other)


def test_json_escapes_are_decoded_and_columns_stay_on_disk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    token = hf_token("escaped")
    raw = '{"cmd": "curl -H \\"Authorization: Bearer ' + token + '\\" https:\\/\\/x"}\n'
    path = tmp_path / "escaped.json"
    path.write_text(raw)
    _code, report = scan(capsys, str(path))
    (finding,) = report["findings"]
    assert (finding["line"], finding["column"], finding["field"]) == (*position(raw, token), "cmd")


def test_gzipped_jsonl_rows_lines_malformed_and_blank_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    token, nested = hf_token("jsonl"), hf_token("jsonl-nested")
    lines = [json.dumps({"id": i, "text": f"review {i}"}) for i in range(1, 1201)]
    lines[799] = json.dumps({"id": 800, "text": f"my token is {token}", "meta": {"lang": "en"}})
    lines[1100] = json.dumps({"id": 1101, "turns": [{"role": "user", "content": "hi"},
                                                     {"role": "assistant", "content": nested}]})
    lines.insert(10, "")  # blank line: no record
    lines.insert(500, '{"id": 500, "text": "cut')  # malformed: reported, scanned as text
    raw = "\n".join(lines) + "\n"
    path = tmp_path / "reviews.jsonl.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(raw)
    code, report = scan(capsys, str(path))
    assert code == 1 and report["errors"] == []
    found = {f["preview"]: f for f in report["findings"]}
    first = found[mask(token)]
    assert (first["row"], first["field"], first["location"]) == (801, "text", "row 801, key text")
    assert (first["line"], first["column"]) == position(raw, token)
    second = found[mask(nested)]
    assert (second["row"], second["field"]) == (1102, "turns[1].content")
    assert (second["line"], second["column"]) == position(raw, nested)
    (note,) = report["stats"]["notes"]
    assert "1 line(s) not valid JSON" in note and "line 501" in note


def test_malformed_jsonl_line_is_still_scanned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    token = hf_token("bad-line")
    path = tmp_path / "bad.ndjson"
    path.write_text('{"a": "ok"}\n{"a": "' + token + '", oops}\n{"a": "fine"}\n')
    _code, report = scan(capsys, str(path))
    (finding,) = report["findings"]
    assert (finding["line"], finding["row"], finding["column"]) == (2, 2, 8)


def test_json_that_is_really_jsonl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "records.json"
    path.write_text('{"q": "a"}\n{"q": "' + hf_token("json-lines") + '"}\n')
    _code, report = scan(capsys, str(path))
    (finding,) = report["findings"]
    assert (finding["row"], finding["field"], finding["line"]) == (2, "q", 2)


def test_deep_nesting_degrades_without_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    token = hf_token("deep")
    path = tmp_path / "deep.json"
    depth = 100_000
    path.write_text('{"a":' * depth + f'"{token}"' + "}" * depth)
    lines = tmp_path / "deep.jsonl"
    lines.write_text("[" * depth + f'"{token}"' + "]" * depth + '\n{"ok": "yes"}\n')
    code, report = scan(capsys, str(path), str(lines))
    assert code == 1
    assert sorted(f["path"] for f in report["findings"]) == [str(path), str(lines)]
    notes = " ".join(report["stats"].get("notes", []))
    assert "nested too deeply" in notes and "not valid JSON" in notes


def test_very_long_jsonl_line_is_scanned_as_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    token = hf_token("long-line")
    path = tmp_path / "long.jsonl"
    with open(path, "w") as handle:
        handle.write('{"a": "short"}\n{"blob": "')
        handle.write("x" * (40 * 1024 * 1024))
        handle.write(f' {token}"}}\n{{"b": "{hf_token("after-long")}"}}\n')
    code, report = scan(capsys, str(path))
    assert code == 1 and report["errors"] == []
    got = sorted((f["line"], f["row"]) for f in report["findings"])
    assert got == [(2, 2), (3, 3)]
    assert any("line 2 longer than" in n for n in report["stats"]["notes"])


def test_binary_junk_named_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "data.jsonl"
    path.write_bytes(b"\x00\x00\x01\x02\xff\xfe" * 4096)
    code, report = scan(capsys, str(path))
    assert code == 2 and report["errors"] == [{"path": str(path), "message": "not JSON Lines: binary content"}]


def test_records_after_a_too_long_line_at_the_end_keep_their_lines(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A too-long line (scanned as text) followed by several records in the last block: those
    records are lines of their own (rows, line numbers), not one line of bad JSON."""
    from hfguard.readers import jsondata

    monkeypatch.setattr(jsondata, "MAX_JSONL_LINE", 4096)  # as 32 MB to reads of 1 MB, batches of 4 MB
    monkeypatch.setattr(jsondata, "BLOCK_BYTES", 1024)
    monkeypatch.setattr(jsondata, "BATCH_BYTES", 4096)
    path = tmp_path / "tail.jsonl"
    after = [json.dumps({"b": f"{hf_token(f'after-{k}')}"}) for k in range(3)]
    path.write_text('{"a": "short"}\n' + json.dumps({"blob": "x" * 10_000}) + "\n" + "\n".join(after) + "\n")
    code, report = scan(capsys, str(path))
    assert code == 1 and report["errors"] == []
    assert sorted((f["line"], f["row"]) for f in report["findings"]) == [(3, 3), (4, 4), (5, 5)]
    assert not any("not valid JSON" in n for n in report["stats"].get("notes", []))


@pytest.mark.parametrize("ext", ["json", "jsonl"])
def test_key_rules_point_at_the_value_past_escapes(tmp_path: Path, capsys: pytest.CaptureFixture[str], ext: str) -> None:
    """A rule that needs the key (issue 15): its finding is at the value's exact key path, line
    and column on disk, with escaped text (\\u00e9, \\n, \\") before it on the same line; the
    same key repeated in another record is found there, each value once."""
    first, second = rand("hex", 40, "wandb-escapes-1"), rand("hex", 40, "wandb-escapes-2")
    records = [
        {"note": "caf\u00e9 \"quoted\"\nnext", "cfg": {"wandb_api_key": first}},
        {"note": "\u00e9\u00e9", "cfg": {"wandb_api_key": second}},
    ]
    path = tmp_path / f"runs.{ext}"
    if ext == "json":
        raw = json.dumps({"runs": records})  # one line: the escapes stand before both keys
    else:
        raw = "".join(json.dumps(r) + "\n" for r in records)
    path.write_text(raw, encoding="utf-8")
    code, report = scan(capsys, str(path))
    assert code == 1
    found = sorted((f["rule"], f["field"], f["line"], f["column"], f["row"]) for f in report["findings"])
    prefix = "runs[{}]." if ext == "json" else ""
    expected = []
    for n, value in enumerate((first, second)):
        line, column = position(raw, value)
        expected.append(("wandb-api-key", prefix.format(n) + "cfg.wandb_api_key", line, column,
                         None if ext == "json" else n + 1))
    assert found == sorted(expected)
