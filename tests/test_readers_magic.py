"""A file named as a text format whose content is a binary format (a gzip, a zip or a PNG named
`data.csv`, a gzip named `notes.txt`): an error naming the file (exit 2), never read as text with
its bytes kept nor skipped as binary; uploads block on it and redact writes nothing for it. Text
that merely begins with such letters is read as text."""
from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import pytest

from hfguard.cli import main
from hfguard.redact import redact_paths

ROWS = "name,email,ssn\n" + "".join(f"Ann Lee{i},ann{i}.lee" + "@" + f"gmail.com,219-09-{1000 + i}\n" for i in range(40))


def _zip(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("customers.csv", text)
    return buffer.getvalue()


CASES = {
    "data.csv": lambda: gzip.compress(ROWS.encode()),
    "zipped.csv": lambda: _zip(ROWS),
    "image.csv": lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
    "notes.txt": lambda: gzip.compress(ROWS.encode()),
    "rows.jsonl": lambda: gzip.compress(b'{"email": "x"}\n'),
    "script.py": lambda: gzip.compress(b"print('hello')\n"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_binary_content_under_a_text_name_is_an_error(tmp_path: Path, name: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / name).write_bytes(CASES[name]())
    assert main(["scan", str(tmp_path), "--format", "json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert [Path(e["path"]).name for e in doc["errors"]] == [name]
    report = redact_paths([tmp_path / name], tmp_path / "out")
    assert report.exit_code == 2
    assert not (tmp_path / "out" / name).exists()


def test_text_that_begins_like_a_magic_number_is_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "formats.md").write_text("GIF89a is the format of animated images.\nPK\x03\x04 starts a zip.\n")
    (tmp_path / "ids.csv").write_text("BZh,value\nBZh1,2\n")
    assert main(["scan", str(tmp_path), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["errors"] == []
