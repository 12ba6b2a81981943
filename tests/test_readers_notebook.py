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


# --- an output's representations: text/plain beside text/html (every DataFrame) ----------------


def scan_pii(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, dict[str, Any]]:
    code = main(["scan", str(path), "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def people(n: int, seed: int = 5) -> list[dict[str, str]]:
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(seed)
    return [{"name": fake.name(), "ssn": fake.ssn(), "city": fake.city()} for _ in range(n)]


def frame_notebook(path: Path, bundles: list[dict[str, str]]) -> None:
    """One code cell whose outputs are these mime bundles (execute_result, then display_data)."""
    outputs = [new_output("execute_result", data=bundles[0], execution_count=1)]
    outputs += [new_output("display_data", data=bundle) for bundle in bundles[1:]]
    nb = new_notebook(cells=[new_code_cell("df", outputs=outputs, execution_count=1)])
    nbformat.validate(nb)
    nbformat.write(nb, str(path))


def counts(report: dict[str, Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for f in report["findings"]:
        found[f["rule"]] = found.get(f["rule"], 0) + int(f.get("count") or 1)
    return found


def html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    cells = ["".join(f"<td>{v}</td>" for v in row) for row in rows]
    body = "".join(f"<tr><th>{i}</th>{row}</tr>" for i, row in enumerate(cells))
    return f'<table border="1" class="dataframe">\n<thead><tr><th></th>{head}</tr></thead>\n<tbody>{body}</tbody>\n</table>'


def text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[k]) for r in rows)) for k, h in enumerate(header)]
    lines = ["   " + "  ".join(h.rjust(w) for h, w in zip(header, widths))]
    lines += [f"{i:<3}" + "  ".join(v.rjust(w) for v, w in zip(row, widths)) for i, row in enumerate(rows)]
    return "\n".join(lines)


def test_clean_html_table_beside_a_dirty_text_plain_is_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A user's notebook: the HTML table is harmless, the text/plain of the same output holds
    names and SSNs (and a token): what text/plain holds is published as well."""
    plans = [["free", "Paris"], ["pro", "Lyon"], ["free", "Nice"], ["pro", "Lille"], ["free", "Metz"]]
    dirty = people(5)
    plain = text_table(["name", "ssn"], [[p["name"], p["ssn"]] for p in dirty])
    path = tmp_path / "plain.ipynb"
    frame_notebook(path, [{"text/html": html_table(["plan", "city"], plans), "text/plain": plain}])
    code, report = scan_pii(capsys, path)
    assert code == 1 and report["errors"] == []
    by_rule = {f["rule"]: f for f in report["findings"]}
    ssn = by_rule["pii-us-ssn"]
    assert (ssn["count"], ssn["field"], ssn["row"], ssn["severity"]) == (5, "ssn", 1, "high")
    assert ssn["location"] == "cell 1, output 1, text/plain"
    assert (ssn["line"], ssn["column"]) == disk_position(path, dirty[0]["ssn"])
    assert [o["row"] for o in ssn["occurrences"]] == [1, 2, 3, 4, 5]
    assert by_rule["pii-person"]["field"] == "name" and by_rule["pii-person"]["count"] == 5
    assert {f["location"] for f in report["findings"]} == {"cell 1, output 1, text/plain"}

    token = hf_token("plain-beside-html")
    secret = tmp_path / "secret.ipynb"
    frame_notebook(secret, [{"text/html": "<b>Logged in</b>", "text/plain": f"Login(token='{token}')"}])
    code, report = scan(capsys, secret)
    (finding,) = report["findings"]
    assert code == 1 and finding["location"] == "cell 1, output 1, text/plain"
    assert (finding["line"], finding["column"]) == disk_position(secret, token)


def test_dirty_html_table_beside_a_clean_text_plain_is_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dirty = people(5)
    plain = text_table(["plan", "city"], [["free", "Paris"], ["pro", "Lyon"], ["free", "Nice"], ["pro", "Lille"],
                                          ["free", "Metz"]])
    path = tmp_path / "html.ipynb"
    frame_notebook(path, [{"text/html": html_table(["name", "ssn"], [[p["name"], p["ssn"]] for p in dirty]),
                           "text/plain": plain}])
    code, report = scan_pii(capsys, path)
    assert code == 1
    by_rule = {f["rule"]: f for f in report["findings"]}
    ssn = by_rule["pii-us-ssn"]
    assert (ssn["count"], ssn["field"], ssn["location"]) == (5, "ssn", "cell 1, output 1, text/html")
    assert (ssn["line"], ssn["column"]) == disk_position(path, dirty[0]["ssn"])
    assert {f["location"] for f in report["findings"]} == {"cell 1, output 1, text/html"}


def test_the_same_table_in_html_and_text_plain_is_reported_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each value once: from the HTML table; text/plain adds only what the HTML does not hold
    (here one more row, and a row whose SSN differs)."""
    rows = people(6)
    table = [[p["name"], p["ssn"], p["city"]] for p in rows]
    path = tmp_path / "same.ipynb"
    frame_notebook(path, [{"text/html": html_table(["name", "ssn", "city"], table),
                           "text/plain": text_table(["name", "ssn", "city"], table)}])
    code, report = scan_pii(capsys, path)
    assert code == 1 and counts(report)["pii-us-ssn"] == 6 and counts(report)["pii-person"] == 6
    assert {f["location"] for f in report["findings"]} == {"cell 1, output 1, text/html"}

    extra = people(2, seed=6)
    changed = [*table[:2], [table[2][0], extra[0]["ssn"], table[2][2]], *table[3:], [extra[1]["name"], extra[1]["ssn"], "Rome"]]
    more = tmp_path / "more.ipynb"
    frame_notebook(more, [{"text/html": html_table(["name", "ssn", "city"], table),
                           "text/plain": text_table(["name", "ssn", "city"], changed)}])
    code, report = scan_pii(capsys, more)
    assert counts(report)["pii-us-ssn"] == 6 + 2
    # each value at one place: the six of the HTML table there, the two others in text/plain
    html_places = [disk_position(more, p["ssn"]) for p in rows]
    plain_places = [disk_position(more, p["ssn"]) for p in extra]
    assert sorted(places(report, "pii-us-ssn")) == sorted(html_places + plain_places)
    raw = more.read_text()
    assert all(raw.index(p["ssn"]) > raw.index('"text/plain"') > raw.index("<table") for p in extra)

    # two outputs that each show the table: each is published, each is reported
    twice = tmp_path / "twice.ipynb"
    bundle = {"text/html": html_table(["name", "ssn", "city"], table), "text/plain": text_table(["name", "ssn", "city"], table)}
    frame_notebook(twice, [bundle, bundle])
    code, report = scan_pii(capsys, twice)
    assert counts(report)["pii-us-ssn"] == 12
    assert len(set(places(report, "pii-us-ssn"))) == 12


def places(report: dict[str, Any], rule: str) -> list[tuple[int, int]]:
    """(line, column) on disk of every value the findings of a rule count."""
    return [(o["line"], o["column"]) for f in report["findings"] if f["rule"] == rule
            for o in (f.get("occurrences") or [f])]


@pytest.mark.parametrize("shape", ["simple", "named-index", "multiindex-rows", "multiindex-columns"])
def test_a_real_pandas_dataframe_output_as_jupyter_writes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shape: str
) -> None:
    """text/html is the frame's _repr_html_(), text/plain its to_string() (what its repr, the
    text IPython stores, prints): every SSN and name once, in the HTML table's columns."""
    pd = pytest.importorskip("pandas")
    rows = people(8, seed=7)
    frame = pd.DataFrame(rows)
    if shape == "named-index":
        frame.index.name = "customer"
    elif shape == "multiindex-rows":
        frame.index = pd.MultiIndex.from_tuples([("east" if i < 4 else "west", i) for i in range(8)])
    elif shape == "multiindex-columns":
        frame.columns = pd.MultiIndex.from_tuples([("who", "name"), ("who", "ssn"), ("where", "city")])
    assert repr(frame) == frame.to_string()
    path = tmp_path / "frame.ipynb"
    frame_notebook(path, [{"text/html": frame._repr_html_(), "text/plain": frame.to_string()}])
    code, report = scan_pii(capsys, path)
    assert code == 1 and report["errors"] == []
    assert counts(report)["pii-us-ssn"] == 8 and counts(report)["pii-person"] == 8, report["findings"]
    by_rule = {f["rule"]: f for f in report["findings"]}
    ssn = by_rule["pii-us-ssn"]
    assert (ssn["field"], ssn["location"], ssn["severity"]) == ("ssn", "cell 1, output 1, text/html", "high")
    assert [o["row"] for o in ssn["occurrences"]] == list(range(1, 9))
    assert (ssn["line"], ssn["column"]) == disk_position(path, rows[0]["ssn"])


def test_svg_text_is_scanned_without_its_markup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    token = hf_token("svg")
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg"><image href="data:image/png;base64,{png_base64()}"/>'
           f'<text x="1" y="2">token: {token}</text></svg>')
    path = tmp_path / "svg.ipynb"
    frame_notebook(path, [{"image/svg+xml": svg, "text/plain": "<Figure size 640x480 with 1 Axes>"}])
    code, report = scan(capsys, path)
    (finding,) = report["findings"]
    assert code == 1 and finding["location"] == "cell 1, output 1, image/svg+xml"
    assert (finding["line"], finding["column"]) == disk_position(path, token)


def test_text_plain_columns_one_space_apart_under_wider_headers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """pandas puts one space between headers wider than their values ("first_name last_name")
    and after the index: still columns; a value's own space (a phone's "+1 ") splits nothing."""
    pd = pytest.importorskip("pandas")
    rows = people(5, seed=8)
    phones = ["+1 " + "-".join(("415", "555", f"01{30 + i}")) for i in range(5)]  # (built: no number in the source)
    frame = pd.DataFrame({"first_name": [p["name"].split()[0][:4] for p in rows],
                          "last_name": [p["name"].split()[-1][:5] for p in rows],
                          "phone_number": phones})
    text = frame.to_string()
    assert " first_name last_name" in text.splitlines()[0]
    clean = pd.DataFrame({"plan": ["free", "pro", "free", "pro", "free"]})
    path = tmp_path / "narrow.ipynb"
    frame_notebook(path, [{"text/html": clean._repr_html_(), "text/plain": text}])
    code, report = scan_pii(capsys, path)
    assert code == 1
    found = {(f["rule"], f["field"]): f for f in report["findings"]}
    assert found[("pii-person", "first_name")]["count"] == 5 and found[("pii-person", "last_name")]["count"] == 5
    phone = found[("pii-phone", "phone_number")]
    assert phone["count"] == 5 and phone["location"] == "cell 1, output 1, text/plain"
    assert (phone["line"], phone["column"]) == disk_position(path, phones[0])

    first = pd.DataFrame({"phone_number": frame["phone_number"], "first_name": frame["first_name"]}).to_string()
    assert "0  " + phones[0] in first  # the index, then the value's own space under the header
    alone = tmp_path / "phone-first.ipynb"
    frame_notebook(alone, [{"text/plain": first}])
    code, report = scan_pii(capsys, alone)
    phone = next(f for f in report["findings"] if f["rule"] == "pii-phone")
    assert (phone["field"], phone["count"]) == ("phone_number", 5)
    assert (phone["line"], phone["column"]) == disk_position(alone, phones[0])
