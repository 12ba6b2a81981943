"""The fix hint for a value in a data file is an [[allow]] entry that works when pasted into the
config of the scanned folder, however the folder was named on the command line."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from secretgen import hf_token

from hfguard.cli import main


def _hinted_allow(out: str) -> str:
    match = re.search(r'\[\[allow\]\] with (path = "[^"]*"(?:, field = "[^"]*")?, rules = \["[^"]*"\])', out)
    assert match, out
    return "[[allow]]\n" + match.group(1).replace(", ", "\n") + "\n"


@pytest.mark.parametrize("named", ["absolute", "relative"])
def test_allow_hint_for_a_data_value_works_when_pasted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str], named: str) -> None:
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "data" / "keys.csv").write_text(f"name,key\nalpha,{hf_token('hint')}\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere if named == "absolute" else tmp_path)
    target = str(project) if named == "absolute" else "project"
    assert main(["scan", target, "--no-pii"]) == 1
    out = capsys.readouterr().out
    assert "mark its line" not in out  # a CSV cell cannot carry a pragma
    (project / ".hfguard.toml").write_text(_hinted_allow(out))
    assert main(["scan", target, "--no-pii"]) == 0, capsys.readouterr().out


class _RunsCode:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        import os

        return (os.system, ("true",))  # never loaded: the test only writes and scans the bytes


def test_allow_hint_for_a_binary_file_is_not_a_line_pragma(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    import pickle

    (tmp_path / "model.pkl").write_bytes(pickle.dumps(_RunsCode()))
    monkeypatch.chdir(tmp_path)
    assert main(["scan", ".", "--no-pii"]) == 1
    out = capsys.readouterr().out
    assert "pickle-dangerous-import" in out and "mark its line" not in out
    (tmp_path / ".hfguard.toml").write_text(_hinted_allow(out))
    assert main(["scan", ".", "--no-pii"]) == 0, capsys.readouterr().out
