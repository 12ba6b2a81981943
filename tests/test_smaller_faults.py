"""Issue 11, fault 7 (the smaller ones): macOS metadata is skipped as metadata, `.geojson` is
JSON with key paths, `--quiet` prints nothing on success."""
from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest
from hubserver import HubServer
from secretgen import hf_token

from hfguard import safe_upload
from hfguard.cli import main

TOKEN = hf_token("smaller")
HUB_TOKEN = "hf_" + "Q" * 34


def apple_double(attributes: bytes = b"com.apple.quarantine\0q/0081;00000000;Safari;") -> bytes:
    """An AppleDouble file as macOS writes it (`._name`): magic 0x00051607, version 2, one Finder
    info entry, then extended attributes."""
    header = struct.pack(">II16sH", 0x00051607, 0x00020000, b"Mac OS X        ", 1)
    header += struct.pack(">III", 9, 50, 32)
    body = header.ljust(50, b"\0") + b"TEXTttxt" + b"\0" * 24
    return body.ljust(4096, b"\0") + attributes


def _mac_tree(root: Path) -> Path:
    (root / "__MACOSX" / "data").mkdir(parents=True)
    for name in ("._train.csv", "._notes.ipynb", "._model.py", "._meta.json", "._weights.parquet"):
        (root / name).write_bytes(apple_double())
    (root / "__MACOSX" / "data" / "._train.csv").write_bytes(apple_double())
    (root / "__MACOSX" / "._README.md").write_bytes(apple_double())
    (root / "train.csv").write_text("a,b\n1,2\n")
    return root


def scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["scan", *args, "--format", "json", "--no-pii"])
    return code, json.loads(capsys.readouterr().out)


# --- macOS metadata -----------------------------------------------------------------------------------


def test_macos_metadata_is_skipped_not_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _mac_tree(tmp_path / "unzipped")
    code, report = scan(capsys, str(root))
    assert code == 0, report["errors"]
    assert report["errors"] == [] and report["stats"]["files"] == 1
    assert report["stats"]["skipped_binary"] == 7


def test_a_text_file_named_like_metadata_is_still_scanned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Only real AppleDouble content (its magic number) is skipped: a name is not enough."""
    (tmp_path / "__MACOSX").mkdir()
    (tmp_path / "__MACOSX" / "._settings.py").write_text(f'TOKEN = "{TOKEN}"\n')
    (tmp_path / "._env").write_text(f"HF_TOKEN={TOKEN}\n")
    code, report = scan(capsys, str(tmp_path))
    assert code == 1
    assert sorted(Path(f["path"]).name for f in report["findings"]) == ["._env", "._settings.py"]


def test_upload_with_macos_metadata_goes_through(hub: HubServer, tmp_path: Path) -> None:
    root = _mac_tree(tmp_path / "out")
    (root / "._weights.parquet").unlink()  # an LFS upload: not what this test is about
    safe_upload(folder_path=root, repo_id="user/data", repo_type="dataset", token=HUB_TOKEN)
    assert "train.csv" in hub.commits()[-1].files


# --- .geojson ---------------------------------------------------------------------------------------------


def test_geojson_has_key_paths_and_allow_field_applies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [2.35, 48.85]},
         "properties": {"name": "depot", "api_key": TOKEN}},
    ]}
    (tmp_path / "sites.geojson").write_text(json.dumps(doc, indent=2))
    code, report = scan(capsys, str(tmp_path))
    assert code == 1
    (finding,) = report["findings"]
    assert finding["field"] == "features[0].properties.api_key"
    (tmp_path / ".hfguard.toml").write_text(
        '[[allow]]\npath = "sites.geojson"\nfield = "features[*].properties.api_key"\nreason = "public demo key"\n')
    code, report = scan(capsys, str(tmp_path))
    assert code == 0 and report["findings"] == []


# --- --quiet ----------------------------------------------------------------------------------------------


def test_quiet_prints_nothing_on_success(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / "data.csv").write_text("a,b\n" + "".join(f"{i},ok\n" for i in range(50)))
    assert main(["scan", str(tmp_path), "--quiet", "--max-rows", "10"]) == 0  # a note, not printed
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_quiet_on_failure_prints_findings_and_errors_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app.py").write_text(f'TOKEN = "{TOKEN}"\n')
    (tmp_path / "data.csv").write_text("a,b\n" + "".join(f"{i},ok\n" for i in range(50)))
    assert main(["scan", str(tmp_path), "--quiet", "--no-pii", "--max-rows", "10"]) == 1
    out = capsys.readouterr().out
    assert "app.py:1:10" in out and "huggingface-access-token" in out and TOKEN not in out
    assert "note:" not in out
    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / "broken.ipynb").write_text("{not json")
    assert main(["scan", str(tmp_path), "--quiet", "--no-pii"]) == 2
    out = capsys.readouterr().out
    assert "broken.ipynb: error:" in out
