"""The CLI contract: exit codes, formats, masking, paths as the user named them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from hfguard.cli import main
from secretgen import hf_token


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(f'import os\n\nTOKEN = "{hf_token("cli")}"\n')
    (tmp_path / "README.md").write_text("Set HF_TOKEN=hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx first.\n")
    return tmp_path


def test_json_report_has_contract_fields_and_masks(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(repo), "--format", "json", "--no-pii"]) == 1
    out = capsys.readouterr().out
    assert hf_token("cli") not in out
    report = json.loads(out)
    assert report["version"] == 1
    (finding,) = report["findings"]
    assert finding["rule"] == "huggingface-access-token"
    assert finding["path"] == str(repo / "src" / "app.py")
    assert (finding["line"], finding["column"]) == (3, 10)
    assert finding["severity"] == "critical" and finding["blocking"] is True
    assert finding["preview"].startswith("hf_") and "\u2026" in finding["preview"]
    assert set(finding) >= {"category", "cell", "row", "field", "location", "fingerprint"}
    assert report["stats"]["files"] == 2


def test_relative_paths_stay_relative(repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    assert main(["scan", "--format", "json", "--no-pii"]) == 1
    assert json.loads(capsys.readouterr().out)["findings"][0]["path"] == "src/app.py"
    assert main(["scan", "src", "--format", "json", "--no-pii"]) == 1
    assert json.loads(capsys.readouterr().out)["findings"][0]["path"] == "src/app.py"


def test_clean_tree_exits_zero(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("print('hello')\n")
    assert main(["scan", str(tmp_path), "--no-pii"]) == 0


def test_text_output_masks_and_hints(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(repo), "--no-pii"]) == 1
    out = capsys.readouterr().out
    assert hf_token("cli") not in out
    assert "app.py:3:10" in out and "huggingface-access-token" in out
    assert "hfguard: allow" in out  # how to suppress


def test_output_file(repo: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.json"
    assert main(["scan", str(repo / "src"), "--format", "json", "--output", str(target), "--no-pii"]) == 1
    assert json.loads(target.read_text())["findings"]


def test_missing_path_is_error_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(tmp_path / "nope"), "--no-pii"]) == 2
    assert "nope" in capsys.readouterr().out


def test_usage_error_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--format", "xml"]) == 2
    assert main(["frobnicate"]) == 2


def test_binary_files_skipped_and_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "weights.bin").write_bytes(b"\x00\x01" * 100 + hf_token("bin").encode())
    (tmp_path / "blob.dat").write_bytes(b"\x00junk\x00" + hf_token("bin").encode())
    assert main(["scan", str(tmp_path), "--format", "json", "--no-pii"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["stats"]["skipped_binary"] == 2 and report["errors"] == []


def test_utf16_and_bom_files_are_decoded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = f'token = "{hf_token("u16")}"\n'
    (tmp_path / "u16.txt").write_bytes(text.encode("utf-16"))
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf" + text.encode())
    (tmp_path / "latin.txt").write_bytes(b"caf\xe9 " + text.encode())
    assert main(["scan", str(tmp_path), "--format", "json", "--no-pii"]) == 1
    found = {Path(f["path"]).name for f in json.loads(capsys.readouterr().out)["findings"]}
    assert found == {"u16.txt", "bom.txt", "latin.txt"}


def test_git_folder_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text(f"token = {hf_token('git')}\n")
    assert main(["scan", str(tmp_path), "--no-pii"]) == 0


def test_rules_command_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--format", "json"]) == 0
    rules = json.loads(capsys.readouterr().out)["rules"]
    assert any(r["id"] == "huggingface-access-token" for r in rules)


def test_python_m_hfguard_runs() -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "hfguard", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and "hfguard" in proc.stdout


def test_output_to_a_device_writes_through_it(tmp_path: Path) -> None:
    """--output /dev/null must not replace the device with a file (atomic rename)."""
    import os
    import stat

    (tmp_path / "a.py").write_text(f'TOKEN = "{hf_token("dev")}"\n')
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    import threading

    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    try:
        code = main(["scan", str(tmp_path / "a.py"), "--format", "json", "--output", str(fifo), "--no-pii"])
    finally:
        reader.join(10)
        if reader.is_alive():  # the scan never opened the FIFO: unblock the reader
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
    assert code == 1
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert b'"findings"' in received[0]


def test_a_file_with_very_many_matches_is_capped_with_a_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from hfguard.scanner import MAX_MATCHES_PER_RULE

    lines = [f'token = "{hf_token(str(i))}"' for i in range(MAX_MATCHES_PER_RULE + 50)]
    (tmp_path / "dump.txt").write_text("\n".join(lines) + "\n")
    assert main(["scan", str(tmp_path), "--format", "json", "--no-pii"]) == 1
    report = json.loads(capsys.readouterr().out)
    by_rule = [f for f in report["findings"] if f["rule"] == "huggingface-access-token"]
    assert len(by_rule) == MAX_MATCHES_PER_RULE
    assert any("more match(es) of huggingface-access-token not listed" in n for n in report["stats"]["notes"])


def test_the_cli_does_not_import_huggingface_hub_until_an_upload() -> None:
    """`hfguard scan` is a hook that must feel instant: the Hub guard (huggingface_hub, httpx)
    loads only for uploads, although the upload command's parser is part of the CLI."""
    import subprocess
    import sys

    code = ("import sys, hfguard.cli\n"
            "assert hfguard.cli.main(['rules']) == 0\n"
            "print('huggingface_hub' in sys.modules)\n"
            "from hfguard.hub import protect\n"
            "print('huggingface_hub' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split()[-2:] == ["False", "True"]
