"""Hygiene: code that pulls unpinned or remote code from the Hub (.py files, notebook code cells):
`trust_remote_code=True`, and loaders without `revision=`. Read with `ast`: strings and comments
do not count."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest

from hfguard.cli import main


def scan_findings(capsys: pytest.CaptureFixture[str], path: Path) -> list[dict[str, Any]]:
    code = main(["scan", str(path), "--format", "json", "--no-pii"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0  # low: reported, never blocking
    return [f for f in report["findings"] if f["category"] == "hygiene"]


def found_in(tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str) -> list[tuple[str, int, int]]:
    path = tmp_path / "train.py"
    path.write_text(source, encoding="utf-8")
    return sorted((f["rule"], f["line"], f["column"]) for f in scan_findings(capsys, path))


@pytest.mark.parametrize("line", [
    'model = AutoModel.from_pretrained("org/model")',
    'tok = transformers.AutoTokenizer.from_pretrained(name)',
    'ds = load_dataset("org/reviews", split="train")',
    'p = hf_hub_download(repo_id="org/model", filename="w.safetensors")',
    'p = hf_hub_download("org/model", "w.safetensors")',
    'folder = snapshot_download("org/model")',
    'model = AutoModel.from_pretrained("org/model", revision=None)',
    'model = AutoModel.from_pretrained("org/model", revision="main")',
    'model = AutoModel.from_pretrained("gpt2")',
])
def test_unpinned_loaders(tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str) -> None:
    found = found_in(tmp_path, capsys, "import os\n\n" + line + "\n")
    assert [(rule, ln) for rule, ln, _ in found] == [("code-unpinned-revision", 3)]
    name = next(n for n in ("from_pretrained", "load_dataset", "hf_hub_download", "snapshot_download") if n in line)
    assert found[0][2] == line.index(name) + 1  # the column of the loader's name


@pytest.mark.parametrize("line", [
    'model = AutoModel.from_pretrained("org/model", revision="4f2e7c1")',
    'ds = load_dataset("org/reviews", revision=REVISION)',
    'model = AutoModel.from_pretrained("./checkpoints/last")',
    'model = AutoModel.from_pretrained("/models/bert")',
    'ds = load_dataset("csv", data_files="train.csv")',
    'ds = load_dataset("parquet", data_files={"train": "a.parquet"})',
    'model = AutoModel.from_pretrained(name, **kwargs)',
    '# model = AutoModel.from_pretrained("org/model")',
    'doc = "call from_pretrained(\'org/model\') with trust_remote_code=True"',
    'model = AutoModel.from_pretrained("org/model", revision="v1.0", trust_remote_code=False)',
])
def test_pinned_local_or_not_code(tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str) -> None:
    assert found_in(tmp_path, capsys, line + "\n") == []


def test_trust_remote_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = ('model = AutoModel.from_pretrained(\n    "org/model",\n    revision="0a1b2c3",\n'
              "    trust_remote_code=True,\n)\n")
    assert found_in(tmp_path, capsys, source) == [("code-trust-remote-code", 4, 5)]


def test_previews_show_the_call_not_a_mask(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "load.py"
    path.write_text('m = AutoModel.from_pretrained("org/model", trust_remote_code=True)\n'
                    "n = AutoModel.from_pretrained(model_name)\n")
    previews = sorted(f["preview"] for f in scan_findings(capsys, path))
    assert previews == ["from_pretrained('org/model')", "from_pretrained(...)", "trust_remote_code=True"]


def test_code_that_does_not_parse_is_searched_by_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = ('print "python 2"\n'
              'model = AutoModel.from_pretrained("org/model")\n'
              '# model = AutoModel.from_pretrained("org/old")\n'
              'other = AutoModel.from_pretrained("org/model", revision="abc")\n'
              "x = f(trust_remote_code=True)\n")
    assert found_in(tmp_path, capsys, source) == [("code-trust-remote-code", 5, 7),
                                                   ("code-unpinned-revision", 2, 19)]


def test_inline_allow_and_config_allow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = ('a = AutoModel.from_pretrained("org/model")  # hfguard: allow code-unpinned-revision\n'
              'b = AutoModel.from_pretrained("org/model", trust_remote_code=True)  # hfguard: allow code-unpinned-revision\n')
    assert found_in(tmp_path, capsys, source) == [("code-trust-remote-code", 2, 44)]
    (tmp_path / ".hfguard.toml").write_text('[[allow]]\npath = "train.py"\ncategories = ["hygiene"]\n')
    assert found_in(tmp_path, capsys, source) == []


def _notebook(path: Path, cells: list[Any]) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = cells
    nbformat.validate(notebook)
    path.write_text(nbformat.writes(notebook), encoding="utf-8")


def test_notebook_code_cells(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "explore.ipynb"
    loading = nbformat.v4.new_code_cell(
        "!pip install transformers\n%time x = 1\n"
        'model = AutoModel.from_pretrained("org/model", trust_remote_code=True)\n'
        "note = \"a string: load_dataset('org/docs')\"  # parsed once the magics are blanked out\n")
    loading.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                              text='Loading from_pretrained("org/other") ...\n')]
    _notebook(path, [
        nbformat.v4.new_markdown_cell('Load it with `load_dataset("org/reviews")`.'),
        loading,
        nbformat.v4.new_code_cell('ds = load_dataset("org/reviews", revision="9c1d2e3")\n'),
        nbformat.v4.new_code_cell('# snapshot_download("org/model")\nfolder = snapshot_download("org/model")\n'),
    ])
    found = scan_findings(capsys, path)
    assert sorted((f["rule"], f["cell"]) for f in found) == [
        ("code-trust-remote-code", 2), ("code-unpinned-revision", 2), ("code-unpinned-revision", 4)]
    lines = path.read_text().splitlines()
    for f in found:  # the line of the notebook's JSON on disk, where the call is
        text = lines[f["line"] - 1]
        assert ("trust_remote_code=True" if f["rule"] == "code-trust-remote-code" else "_download(\\\"org" if
                f["cell"] == 4 else "from_pretrained") in text
        assert f["location"] == f"cell {f['cell']}"


def test_notebook_cell_allow_tag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nb.ipynb"
    cell = nbformat.v4.new_code_cell('model = AutoModel.from_pretrained("org/model")\n')
    cell.metadata["tags"] = ["hfguard-allow"]
    _notebook(path, [cell])
    assert scan_findings(capsys, path) == []


def test_a_credential_in_a_loader_call_is_never_shown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Hygiene previews are not masked (a call, an id), but a secret found in the same file is."""
    from secretgen import hf_token

    token = hf_token("loader-arg")
    (tmp_path / "load.py").write_text(f'model = AutoModel.from_pretrained("{token}")\n')
    code = main(["scan", str(tmp_path), "--format", "json", "--no-pii"])
    out = capsys.readouterr().out
    assert code == 1
    assert token not in out
    rules = {f["rule"]: f for f in json.loads(out)["findings"]}
    assert rules["code-unpinned-revision"]["preview"].startswith("from_pretrained('hf_")
    assert "\u2026" in rules["code-unpinned-revision"]["preview"]
