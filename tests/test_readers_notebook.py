"""Notebooks are read the way a person sees them: decoded cell sources and text outputs, with the
JSON line and column on disk, the cell and the output of every finding."""
from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from hfguard.cli import main
from hfguard.masking import mask
from secretgen import hf_token


def scan(capsys: pytest.CaptureFixture[str], *paths: Path, extra: tuple[str, ...] = ()) -> tuple[int, dict[str, Any]]:
    code = main(["scan", *map(str, paths), "--format", "json", "--no-pii", *extra])
    return code, json.loads(capsys.readouterr().out)


def disk_position(path: Path, needle: str) -> tuple[int, int]:
    """Line and column (1-based) where `needle` is in the file as stored."""
    raw = path.read_text()
    at = raw.index(needle)
    return raw.count("\n", 0, at) + 1, at - raw.rfind("\n", 0, at)


def png_base64(extra: bytes = b"") -> str:
    """A real (tiny) PNG, base64 encoded as notebooks store it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = chunk(b"IHDR", (1).to_bytes(4, "big") * 2 + b"\x08\x02\x00\x00\x00")
    pixels = chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + header + pixels + extra + chunk(b"IEND", b"")).decode()


def test_sources_and_outputs_with_exact_locations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, out, result, trace = hf_token("src"), hf_token("stream"), hf_token("result"), hf_token("trace")
    nb = new_notebook()
    nb.cells = [
        new_markdown_cell("# Explore\nLoad the data."),
        new_code_cell(f'from huggingface_hub import login\nlogin(token="{src}")'),
        new_code_cell("print(secrets)", outputs=[
            new_output("stream", name="stdout", text=f"loading...\ntoken is {out}\n"),
            new_output("display_data", data={"image/png": png_base64(b"hf_" + b"Q" * 40), "text/plain": "<Figure>"}),
            new_output("execute_result", data={"text/plain": f"'{result}'"}, execution_count=3),
            new_output("error", ename="HTTPError", evalue="401",
                       traceback=["\x1b[0;31m---------\x1b[0m", f"\x1b[0;31mHTTPError\x1b[0m: 401 for token {trace}"]),
        ]),
    ]
    nbformat.validate(nb)
    path = tmp_path / "explore.ipynb"
    nbformat.write(nb, str(path))
    code, report = scan(capsys, path)
    assert code == 1 and report["errors"] == []
    found = {f["preview"]: f for f in report["findings"]}
    assert len(report["findings"]) == 4, report["findings"]
    expected = [(src, 2, "cell 2"), (out, 3, "cell 3, output 1"), (result, 3, "cell 3, output 3, text/plain"),
                (trace, 3, "cell 3, output 4")]
    for token, cell, location in expected:
        f = found[mask(token)]
        assert (f["line"], f["column"]) == disk_position(path, token), location
        assert (f["cell"], f["location"], f["row"]) == (cell, location, None)
        assert f["rule"] == "huggingface-access-token"
    assert src not in json.dumps(report)


def test_escaped_quotes_do_not_hide_a_secret_and_single_string_sources(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    token = hf_token("escaped")
    document = {
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},
        "cells": [
            {"cell_type": "code", "id": "a1", "metadata": {}, "execution_count": None, "outputs": [],
             # one string with escaped newlines and quotes: the whole cell on one JSON line
             "source": f'x = 1\nconfig = {{"token": "{token}"}}\n'},
        ],
    }
    path = tmp_path / "one-line.ipynb"
    path.write_text(json.dumps(document, indent=1))
    code, report = scan(capsys, path)
    (finding,) = report["findings"]
    assert code == 1 and finding["cell"] == 1 and finding["location"] == "cell 1"
    assert (finding["line"], finding["column"]) == disk_position(path, token)


def test_plots_and_placeholders_only_give_no_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb = new_notebook()
    nb.cells = [
        new_markdown_cell("Set `HF_TOKEN=hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` or paste `<your token>` below."),
        new_code_cell('import os\ntoken = os.environ["HF_TOKEN"]\nplt.plot(xs, ys)', outputs=[
            new_output("display_data", data={
                "image/png": png_base64(b"tEXt" + b"hf_" + b"Abc" * 12),
                "image/jpeg": base64.b64encode(b"\xff\xd8\xff" + b"hf_" + b"Z" * 60).decode(),
                "image/svg+xml": "<svg><text>hf_" + "Q" * 34 + "</text></svg>",
                "text/plain": "<Figure size 640x480 with 1 Axes>",
            }),
            new_output("execute_result", data={"text/plain": "[<matplotlib.lines.Line2D at 0x7f2b>]"},
                       execution_count=1),
        ]),
    ]
    nbformat.validate(nb)
    path = tmp_path / "plots.ipynb"
    nbformat.write(nb, str(path))
    code, report = scan(capsys, path)
    assert (code, report["findings"], report["errors"]) == (0, [], [])


def test_inline_allow_in_a_cell_covers_its_outputs_and_the_allow_tag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb = new_notebook()
    nb.cells = [
        new_code_cell(f'print("{hf_token("a")}")  # hfguard: allow', outputs=[
            new_output("stream", name="stdout", text=hf_token("a") + "\n")]),
        new_code_cell("show()", metadata={"tags": ["hfguard-allow"]}, outputs=[
            new_output("stream", name="stdout", text=hf_token("b") + "\n")]),
        new_code_cell("show()", outputs=[new_output("stream", name="stdout", text=hf_token("c") + "\n")]),
    ]
    nbformat.validate(nb)
    path = tmp_path / "allow.ipynb"
    nbformat.write(nb, str(path))
    code, report = scan(capsys, path, extra=("--show-suppressed",))
    assert [(f["cell"], f["location"]) for f in report["findings"]] == [(3, "cell 3, output 1")]
    assert sorted(f["cell"] for f in report["suppressed"]) == [1, 1, 2]
    assert {f["suppressed"] for f in report["suppressed"]} == {"inline"}


def test_notebook_and_cell_metadata_are_scanned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb = new_notebook()
    nb.metadata["colab"] = {"provenance": [], "secrets": {"hub": hf_token("colab")}}
    nb.cells = [new_code_cell("x = 1", metadata={"note": hf_token("cellmeta")})]
    nbformat.validate(nb)
    path = tmp_path / "meta.ipynb"
    nbformat.write(nb, str(path))
    code, report = scan(capsys, path)
    by_location = {f["location"]: f for f in report["findings"]}
    assert set(by_location) == {"notebook metadata", "cell 1, metadata"}
    top = by_location["notebook metadata"]
    assert top["field"] == "colab.secrets.hub" and top["cell"] is None
    assert (top["line"], top["column"]) == disk_position(path, hf_token("colab"))
    cell = by_location["cell 1, metadata"]
    assert cell["cell"] == 1 and cell["field"] == "note"
    assert (cell["line"], cell["column"]) == disk_position(path, hf_token("cellmeta"))


def test_nbformat3_notebook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    token = hf_token("v3")
    document = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "old"}, "worksheets": [{"cells": [
        {"cell_type": "markdown", "source": ["Intro"], "metadata": {}},
        {"cell_type": "code", "language": "python", "input": ["print(1)"], "metadata": {}, "prompt_number": 1,
         "outputs": [{"output_type": "pyout", "prompt_number": 1, "metadata": {},
                      "html": [f"<b>{token}</b>"], "png": "iVBORw0KGgohf_" + "Q" * 40}]},
    ], "metadata": {}}]}
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(document, indent=1))
    code, report = scan(capsys, path)
    (finding,) = report["findings"]
    assert (finding["cell"], finding["location"]) == (2, "cell 2, output 1, text/html")
    assert (finding["line"], finding["column"]) == disk_position(path, token)


def test_invalid_notebook_is_an_error_but_its_text_is_scanned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    token = hf_token("broken")
    path = tmp_path / "broken.ipynb"
    path.write_text('{\n "cells": [\n  {"source": ["login(\\"' + token + '\\")"]\n')  # cut short
    code, report = scan(capsys, path)
    (finding,) = report["findings"]
    assert code == 1 and (finding["line"], finding["cell"]) == (3, None)
    (error,) = report["errors"]
    assert "not a valid notebook" in error["message"] and "plain text" in error["message"]
    assert token not in error["message"]


def test_binary_junk_named_ipynb_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "junk.ipynb"
    path.write_bytes(b"\x00\x01\x02\xff\x00PK" * 4096)
    code, report = scan(capsys, path)
    assert code == 2 and report["findings"] == []
    assert report["errors"] == [{"path": str(path), "message": "not a notebook: binary content"}]
