"""Fuzzing with hypothesis: every registered reader and the rule engine, on random bytes and on
structured junk (notebook-ish JSON, CSV-ish text, JSON lines, broken Parquet, compressed junk).

Whatever the input: no exception escapes the scanner, the JSON report stays valid (and the
text report encodable), match offsets are consistent, and a planted token never shows in full.
Derandomized with a bounded number of examples so CI is stable.
"""
from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hfguard.cli import main
from hfguard.secrets.engine import SecretEngine
from hfguard.masking import mask
from hfguard.models import Blob, Chunk, ChunkKind, Report
from hfguard.readers import EXTENSION_READERS, READERS
from hfguard.report.text import format_text
from hfguard.secrets.rules import load_default_rules
from hfguard.scanner import FileScanner, ScanOptions, _merge
from secretgen import hf_token

try:
    from hfguard.readers import FILENAME_READERS
except ImportError:  # pragma: no cover - older registry
    FILENAME_READERS = {}

EXAMPLES = 60  # per target in the default run; the `slow` run goes deeper
FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
TOKEN = hf_token("fuzz")

# --- structured junk ----------------------------------------------------------------------------------

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                         st.text(max_size=30), st.just(TOKEN))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=20)


@st.composite
def notebookish(draw: st.DrawFn) -> bytes:
    cell = st.fixed_dictionaries({
        "cell_type": st.sampled_from(["code", "markdown", "raw", "", 3]),
        "source": st.one_of(st.text(max_size=60), st.lists(st.text(max_size=30), max_size=4), json_values),
    }, optional={
        "outputs": st.lists(st.fixed_dictionaries({
            "output_type": st.sampled_from(["stream", "execute_result", "display_data", "error", "bogus"]),
        }, optional={"text": json_values, "data": json_values, "traceback": json_values, "name": json_values}),
            max_size=3),
        "metadata": json_values, "execution_count": json_values, "attachments": json_values,
    })
    doc = draw(st.fixed_dictionaries({"cells": st.one_of(st.lists(cell, max_size=4), json_values)},
                                     optional={"metadata": json_values, "nbformat": json_values,
                                               "nbformat_minor": json_values}))
    data = json.dumps(doc).encode()
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]  # cut mid-write
    return data


@st.composite
def csvish(draw: st.DrawFn) -> bytes:
    field = st.one_of(st.text(max_size=12), st.just(TOKEN), st.just('"'), st.just('""x"'),
                      st.just("a@b.co"), st.just("\r"), st.just("=cmd|x"))
    rows = draw(st.lists(st.lists(field, max_size=6), max_size=8))
    sep = draw(st.sampled_from([",", "\t", ";", "|", ""]))
    end = draw(st.sampled_from(["\n", "\r\n", "\r", ""]))
    text = end.join(sep.join(row) for row in rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "latin-1", "utf-8-sig"]))
    return text.encode(encoding, "replace")


@st.composite
def jsonlines(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(st.one_of(json_values.map(json.dumps), st.text(max_size=20)), max_size=6))
    return "\n".join(lines).encode("utf-8", "surrogatepass")


@st.composite
def compressed_junk(draw: st.DrawFn) -> bytes:
    inner = draw(st.one_of(st.binary(max_size=300), csvish(), jsonlines()))
    kind = draw(st.sampled_from(["gz", "bz2", "xz", "zip", "raw-gz-header"]))
    if kind == "gz":
        data = gzip.compress(inner, mtime=0)
    elif kind == "bz2":
        data = bz2.compress(inner)
    elif kind == "xz":
        data = lzma.compress(inner)
    elif kind == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(draw(st.sampled_from(["a.txt", "../../evil.csv", "b.jsonl", "c.bin"])), inner)
        data = buffer.getvalue()
    else:
        data = b"\x1f\x8b\x08\x00" + inner
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return data


@st.composite
def parquetish(draw: st.DrawFn) -> bytes:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover
        return b"PAR1" + draw(st.binary(max_size=200)) + b"PAR1"
    names = draw(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=3, unique=True))
    n = draw(st.integers(0, 5))
    columns = {name: [draw(st.one_of(st.text(max_size=20), st.just(TOKEN))) for _ in range(n)] for name in names}
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    data = buffer.getvalue()
    if draw(st.booleans()):  # flip bytes or cut it
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.binary(max_size=20)) + data[cut + 20:]
    return data


JUNK = st.one_of(
    st.binary(max_size=2048),
    notebookish(),
    csvish(),
    jsonlines(),
    compressed_junk(),
    parquetish(),
    st.text(max_size=500).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=64).map(lambda b: b"\xef\xbb\xbf" + b),
    st.binary(max_size=64).map(lambda b: b"\xff\xfe" + b),
)


def _paths_for(reader_name: str) -> list[str]:
    paths = [f"fuzz/data.{ext}" for ext, name in sorted(EXTENSION_READERS.items()) if name == reader_name][:3]
    paths += [f"fuzz/{fname}" for fname, name in sorted(FILENAME_READERS.items()) if name == reader_name][:2]
    return paths or (["fuzz/data.py"] if reader_name == "text" else [])


SCANNER = FileScanner(ScanOptions(pii=False))


def _check_result(path: str, data: bytes, scanner: FileScanner = SCANNER) -> None:
    result = scanner.scan_blob(Blob(path, lambda: io.BytesIO(data), len(data)))
    report = Report()
    _merge(report, result)
    document = json.loads(json.dumps(report.to_dict(show_suppressed=True), allow_nan=False))
    text = format_text(report, show_suppressed=True)
    text.encode("utf-8")  # no lone surrogates reach the terminal
    assert TOKEN not in json.dumps(document) and TOKEN not in text
    for finding in result.findings + result.suppressed:
        assert finding.preview.isprintable() or finding.preview == ""


DEPTH = [pytest.param(EXAMPLES, id="quick"), pytest.param(400, id="deep", marks=pytest.mark.slow)]


@pytest.mark.parametrize("examples", DEPTH)
# ("mislabeled" is chosen by content, binary magic bytes under a text name, not by a file name:
# tests/test_readers_magic.py)
@pytest.mark.parametrize("reader_name", sorted(set(READERS) - {"mislabeled"}))
def test_fuzz_every_reader_through_the_scanner(reader_name: str, examples: int) -> None:
    """Each reader, reached by its file names, on junk of every kind (a CSV reader gets notebook
    junk too): whatever a reader raises must be caught by the scanner as a per-file error."""
    paths = _paths_for(reader_name)
    if not paths:
        pytest.skip(f"reader {reader_name!r} is not reachable by a file name (used by other readers)")

    @settings(FUZZ, max_examples=examples)
    @given(data=JUNK, path=st.sampled_from(paths))
    def run(data: bytes, path: str) -> None:
        _check_result(path, data)

    run()


# --- the rule engine -------------------------------------------------------------------------------------

RULESET = load_default_rules()
ENGINE = SecretEngine(RULESET)
KEYWORDS = sorted({k for r in RULESET.rules for k in r.keywords}) or ["hf_"]
FRAGMENTS = KEYWORDS + [TOKEN, TOKEN[:-5], "=", ": ", '"', "'", "\n", " ", "\\n", "-----BEGIN", "-----END", "KEY-----",
                        "A" * 40, "a1" * 20, "\u00e9", "\u200b", "\x00", "\udcff"]


@FUZZ
@given(pieces=st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=40),
       kind=st.sampled_from(list(ChunkKind)))
def test_fuzz_rule_engine_offsets_are_consistent(pieces: list[str], kind: ChunkKind) -> None:
    text = "".join(pieces)
    for match in ENGINE.scan(Chunk(text, kind), "fuzz/file.py"):
        assert 0 <= match.start <= match.end <= len(text)
        assert text[match.start:match.end] == match.secret
        assert mask(match.secret).isprintable()


@FUZZ
@given(text=st.text(max_size=3000))
def test_fuzz_rule_engine_random_text(text: str) -> None:
    ENGINE.scan(Chunk(text), "fuzz/file.txt")


# --- the whole pipeline, PII included -----------------------------------------------------------------------


@settings(FUZZ, max_examples=10)
@given(files=st.lists(st.tuples(st.sampled_from(["py", "txt", "md", "csv", "json", "jsonl", "ipynb", "parquet",
                                                 "gz", "tsv", "yaml", ""]), JUNK), min_size=1, max_size=4))
def test_fuzz_cli_json_report_is_always_valid(tmp_path_factory: pytest.TempPathFactory, files: list[tuple[str, bytes]]) -> None:
    root = tmp_path_factory.mktemp("fuzz")
    for i, (ext, data) in enumerate(files):
        (root / (f"f{i}.{ext}" if ext else f"f{i}")).write_bytes(data)
    out = root.parent / f"{root.name}.json"
    code = main(["scan", str(root), "--format", "json", "--output", str(out), "--jobs", "1"])
    assert code in (0, 1, 2)
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["version"] == 1 and isinstance(document["findings"], list)
    assert TOKEN not in out.read_text(encoding="utf-8")
    if code == 2:
        assert document["errors"]


def _pii_scanner() -> Any:
    return FileScanner(ScanOptions(pii=True))


@settings(FUZZ, max_examples=50)
@given(data=st.one_of(csvish(), notebookish(), jsonlines(), st.text(max_size=400).map(str.encode)),
       ext=st.sampled_from(["csv", "ipynb", "jsonl", "md", "txt"]))
def test_fuzz_pii_detector_on_junk(data: bytes, ext: str) -> None:
    _check_result(f"fuzz/data.{ext}", data, PII_SCANNER)


PII_SCANNER = _pii_scanner()


def test_fuzz_targets_exist() -> None:
    assert READERS and RULESET.rules
    assert Path(__file__).exists()
