"""`hfguard redact` on notebooks follows what the scan found where it found it: DataFrame outputs
read as tables (names found from a column header), every text form of an output (text/plain,
text/html, image/svg+xml), and only what blocks (a lone email in a markdown cell stays)."""
from __future__ import annotations

import json
import random
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from hfguard.redact import redact_paths

AT = "@"  # addresses are put together at run time
FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Susan"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Wilson", "Moore"]


def _notebook(path: Path) -> dict[str, list[str]]:
    import pandas as pd

    rng = random.Random(4)
    people = pd.DataFrame({"first_name": [rng.choice(FIRST) for _ in range(12)],
                           "last_name": [rng.choice(LAST) for _ in range(12)],
                           "plan": [["free", "pro"][i % 2] for i in range(12)]})
    contacts = pd.DataFrame({"name": [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(10)],
                             "email": [f"{rng.choice(FIRST).lower()}.q{i}{AT}gmail.com" for i in range(10)],
                             "score": list(range(10))})
    plotted = [f"user{i}.x{AT}yahoo.com" for i in range(12)]
    svg = ('<svg xmlns="http://www.w3.org/2000/svg"><text x="1" y="2">' + " ".join(plotted) + "</text></svg>")
    nb = new_notebook()
    nb.cells.append(new_markdown_cell(f"Questions to ann.lee{AT}gmail.com please."))
    nb.cells.append(new_code_cell("people", execution_count=1, outputs=[new_output(
        "execute_result", execution_count=1,
        data={"text/plain": people.to_string(), "text/html": people.to_html()})]))
    nb.cells.append(new_code_cell("print(contacts)", outputs=[
        new_output("stream", name="stdout", text=contacts.to_string() + "\n")]))
    nb.cells.append(new_code_cell("plot()", outputs=[
        new_output("display_data", data={"image/svg+xml": svg, "text/plain": "<Figure size 640x480>"})]))
    nb.cells.append(new_code_cell("print(2)", outputs=[new_output("stream", name="stdout", text="2\n")]))
    nbformat.write(nb, path)
    return {"names": list(people.first_name) + list(people.last_name) + list(contacts.name),
            "emails": list(contacts.email) + plotted}


def _left(text: str, values: list[str]) -> list[str]:
    return [v for v in set(values) if v in text]


@pytest.mark.parametrize("mode", ["clear", "redact"])
def test_dataframe_and_svg_outputs_come_out_clean(tmp_path: Path, mode: str) -> None:
    src = tmp_path / "explore.ipynb"
    values = _notebook(src)
    report = redact_paths([src], tmp_path / "out", notebook_outputs=mode)
    assert report.exit_code == 0, report.remaining.to_dict()
    back = nbformat.read(tmp_path / "out" / "explore.ipynb", as_version=nbformat.NO_CONVERT)
    nbformat.validate(back)
    text = json.dumps(back)
    assert not _left(text, values["names"]) and not _left(text, values["emails"])
    assert back.cells[0].source == f"Questions to ann.lee{AT}gmail.com please."  # low: it does not block
    assert back.cells[4].outputs[0].text == "2\n"  # nothing found there: kept
    if mode == "clear":
        assert [len(c.get("outputs", [])) for c in back.cells[1:4]] == [0, 0, 0]
        assert report.files[0].cleared_outputs == 3
        return
    table = back.cells[1].outputs[0].data
    assert "&lt;PERSON&gt;" in table["text/html"] and "<td>&lt;PERSON&gt;</td>" in table["text/html"]
    assert table["text/plain"].splitlines()[1].split()[1:] == ["<PERSON>", "<PERSON>", "free"]
    assert "<EMAIL_ADDRESS>" in back.cells[2].outputs[0].text and "<PERSON>" in back.cells[2].outputs[0].text
    svg = back.cells[3].outputs[0].data["image/svg+xml"]
    assert ET.fromstring(svg).find("{http://www.w3.org/2000/svg}text").text.split()[0] == "<EMAIL_ADDRESS>"
    counts = {(c.field, c.entity): c.count for c in report.files[0].changes}
    assert counts[("cell 2, output 1, text/html, field first_name", "PERSON")] == 12
    assert counts[("cell 4, output 1, image/svg+xml", "EMAIL_ADDRESS")] == 12
    assert not any(c.field == "cell 1" for c in report.files[0].changes)


@pytest.mark.parametrize("mode", ["clear", "redact"])
def test_secrets_in_tracebacks_json_and_notebooks_inside_a_zip(tmp_path: Path, mode: str) -> None:
    """An archive member's redactor had none of the scan's findings: a notebook in a zip was left
    as it was. Secrets in an error's traceback (with ANSI colours) and a JSON output are replaced."""
    import zipfile

    from secretgen import hf_token

    token = hf_token()
    nb = new_notebook()
    nb.metadata["kernel_info"] = {"token": token}
    nb.cells.append(new_code_cell(f'login("{token}")\n', outputs=[new_output(
        "error", ename="ValueError", evalue=f"bad token {token}",
        traceback=[f"\x1b[0;31mValueError\x1b[0m: bad token {token}"])]))
    nb.cells.append(new_code_cell("cfg", execution_count=1, outputs=[new_output(
        "execute_result", execution_count=1, data={"text/plain": f"'{token}'", "application/json": {"token": token}})]))
    nbformat.write(nb, tmp_path / "sec.ipynb")
    values = _notebook(tmp_path / "explore.ipynb")
    with zipfile.ZipFile(tmp_path / "bundle.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.write(tmp_path / "sec.ipynb", "sec.ipynb")
        z.write(tmp_path / "explore.ipynb", "nb/explore.ipynb")
    report = redact_paths([tmp_path / "sec.ipynb", tmp_path / "bundle.zip"], tmp_path / "out", notebook_outputs=mode)
    assert report.exit_code == 0, report.remaining.to_dict()
    with zipfile.ZipFile(tmp_path / "out" / "bundle.zip") as z:
        texts = {name: z.read(name).decode() for name in z.namelist()}
    texts["direct"] = (tmp_path / "out" / "sec.ipynb").read_text()
    for text in texts.values():
        assert token not in text and not _left(text, values["names"] + values["emails"])
        nbformat.validate(nbformat.reads(text, as_version=nbformat.NO_CONVERT))
    back = nbformat.reads(texts["direct"], as_version=nbformat.NO_CONVERT)
    assert back.cells[0].source == 'login("<REDACTED:huggingface-access-token>")\n'
    if mode == "redact":
        error = back.cells[0].outputs[0]
        assert error.traceback == ["\x1b[0;31mValueError\x1b[0m: bad token <REDACTED:huggingface-access-token>"]
        assert back.cells[1].outputs[0].data["application/json"] == {"token": "<REDACTED:huggingface-access-token>"}


def test_a_patient_dataframe_is_redacted_in_place(tmp_path: Path) -> None:
    """Health columns of a DataFrame output are cleared as in a CSV file: a tag left there is
    still reported (health-column), and the copy would block."""
    import pandas as pd
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(3)
    rng = random.Random(3)
    codes = [("type 2 diabetes", "E11.9"), ("hypertension", "I10"), ("asthma", "J45.909"), ("depression", "F32.9")]
    rows = []
    for i in range(10):
        text, code = rng.choice(codes)
        rows.append({"name": fake.name(), "email": f"p{i}.z{AT}gmail.com", "diagnosis": text, "icd10": code,
                     "visits": i})
    df = pd.DataFrame(rows)
    nb = new_notebook()
    nb.cells.append(new_code_cell("df", execution_count=1, outputs=[new_output(
        "execute_result", execution_count=1, data={"text/plain": df.to_string(), "text/html": df.to_html()})]))
    nbformat.write(nb, tmp_path / "patients.ipynb")
    report = redact_paths([tmp_path / "patients.ipynb"], tmp_path / "out", notebook_outputs="redact")
    assert report.exit_code == 0, report.remaining.to_dict()
    back = nbformat.read(tmp_path / "out" / "patients.ipynb", as_version=nbformat.NO_CONVERT)
    data = back.cells[0].outputs[0].data
    for text in (data["text/plain"], data["text/html"]):
        assert not _left(text, [str(v) for r in rows for k, v in r.items() if k != "visits"])
    counts = {(c.field, c.operator): c.count for c in report.files[0].changes}
    assert counts[("cell 1, output 1, text/html, field diagnosis", "clear")] == 10
    assert counts[("cell 1, output 1, text/html, field icd10", "clear")] == 10
