"""Ray Data as the distributed engine, on a real local Ray instance (ray.init(num_cpus=2)): the
distributed report of a generated multi-shard dataset equals the local report; a corrupt shard is
an error, not a crash; scan_dataset() gives dataset row numbers; --ray on the CLI. Tests that
need Ray skip when it is not installed (pip install '.[ray]')."""
from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from secretgen import aws_key_id, aws_secret, hf_token

from hfguard.cli import main
from hfguard.distributed.engine import ScanUnits, merge
from hfguard.distributed.units import Unit, plan_units
from hfguard.models import FileError
from hfguard.scanner import FileResult, ScanOptions, scan_disk

FIRST = "Anna Ben Carla Dario Elif Femi Grace Hiro Ines Jonas".split()
LAST = "Smith Okafor Rossi Tanaka Novak Silva Haddad Berg".split()


def make_shards(root: Path, shards: int = 8, rows: int = 400, seed: int = 18) -> Path:
    """`shards` Parquet and `shards` JSONL files with secrets and personal data planted at run
    time, a truncated Parquet shard and a truncated gzipped JSONL shard; returns the folder."""
    rng = random.Random(seed)
    data = root / "data"
    data.mkdir(parents=True)
    for s in range(shards):
        names = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rows)]
        text = [f"ticket {s}-{i}: the parcel arrived late" for i in range(rows)]
        text[rng.randrange(rows)] = f"my token is {hf_token(f'ray-pq-{s}')} please help"
        emails = [f"{n.split()[0].lower()}.{i}@example{s}.org" for i, n in enumerate(names)]
        phones = [f"+1 415 555 {1000 + (i * 7) % 9000:04d}" for i in range(rows)]
        pq.write_table(pa.table({"id": list(range(rows)), "name": names, "email": emails, "phone": phones,
                                 "text": text}), data / f"train-{s:05d}-of-{shards:05d}.parquet", row_group_size=100)
        with open(data / f"chat-{s:05d}.jsonl", "w") as fh:
            for i in range(rows):
                record: dict[str, Any] = {"id": i, "user": names[i], "msg": f"hello number {i}"}
                if i == 17 * (s + 1) % rows:
                    record["msg"] = f"aws_access_key_id={aws_key_id(f'ray-j-{s}')} aws_secret_access_key={aws_secret(f'ray-j-{s}')}"
                if i == 5 + s:
                    record["msg"] = f"patient {names[i]} SSN 219-09-{1000 + s:04d} diagnosed with E11.9 type 2 diabetes"
                fh.write(json.dumps(record) + "\n")
            if s in (2, 5):  # a line that is not JSON: scanned as text, and a note says so
                fh.write('{"id": 9999, "msg": "cut off\n')
    good = (data / "train-00000-of-00008.parquet").read_bytes() if shards == 8 else b"PAR1"
    (data / "train-broken.parquet").write_bytes(good[: len(good) // 2])  # no footer: an error
    packed = gzip.compress((data / "chat-00000.jsonl").read_bytes())
    (data / "chat-broken.jsonl.gz").write_bytes(packed[: len(packed) // 2])  # truncated: an error
    (root / "README.md").write_text("---\nlicense: cc-by-4.0\n---\n# Tickets\n\nSupport tickets.\n")
    return root


def comparable(report: Any) -> dict[str, Any]:
    doc = report.to_dict(show_suppressed=True)
    doc["stats"].pop("seconds")
    return doc


@pytest.fixture(scope="module")
def ray_instance() -> Iterator[Any]:
    ray = pytest.importorskip("ray", reason="Ray is not installed: pip install '.[ray]'")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield ray
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_shards(tmp_path_factory.mktemp("shards"))


def test_distributed_report_equals_local(ray_instance: Any, shards: Path) -> None:
    from hfguard.distributed import scan_paths_ray

    options = ScanOptions(jobs=2)
    local = scan_disk([str(shards)], options)
    distributed = scan_paths_ray([str(shards)], options)

    expected = comparable(local)
    # The dataset is what the test says it is: secrets in both formats, personal and health
    # data, the corrupt shards as errors.
    rules = {f["rule"] for f in expected["findings"]}
    assert {"huggingface-access-token", "aws-access-key-id"} <= rules
    assert {f["category"] for f in expected["findings"]} >= {"secret", "pii", "health"}
    assert sum(f["rule"] == "huggingface-access-token" for f in expected["findings"]) == 8
    assert {Path(e["path"]).name for e in expected["errors"]} == {"train-broken.parquet", "chat-broken.jsonl.gz"}
    assert expected["stats"]["files"] == 19
    assert len(expected["stats"]["notes"]) == 2  # notes merged in the local scan's order too
    assert comparable(distributed) == expected


def test_cli_ray_matches_local_scan(ray_instance: Any, shards: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code_local = main(["scan", str(shards / "data"), "--format", "json", "--no-pii"])
    local = json.loads(capsys.readouterr().out)
    code_ray = main(["scan", str(shards / "data"), "--ray", "--format", "json", "--no-pii"])
    distributed = json.loads(capsys.readouterr().out)
    assert code_local == code_ray == 1
    for doc in (local, distributed):
        doc["stats"].pop("seconds")
    assert distributed == local
    assert len(distributed["errors"]) == 2


def test_scan_dataset_gives_dataset_row_numbers(ray_instance: Any) -> None:
    import ray.data

    from hfguard.distributed import scan_dataset

    rows = [{"id": i, "text": f"line {i} is fine", "note": f"n{i}"} for i in range(5000)]
    rows[3456]["text"] = f"leaked {hf_token('ray-ds')} here"
    rows[4999]["note"] = f"key {aws_key_id('ray-ds')}"
    dataset = ray.data.from_items(rows, override_num_blocks=7)

    report = scan_dataset(dataset, options=ScanOptions(pii=False), batch_size=1000)
    found = sorted((f.rule, f.row, f.field, f.location) for f in report.findings)
    assert found == [("aws-access-key-id", 5000, "note", "row 5000, column note"),
                     ("huggingface-access-token", 3457, "text", "row 3457, column text")]
    assert all(f.path == "dataset.arrow" for f in report.findings)
    assert not report.errors

    only_text = scan_dataset(dataset, columns=["text"], options=ScanOptions(pii=False), batch_size=1000)
    assert [(f.rule, f.row) for f in only_text.findings] == [("huggingface-access-token", 3457)]


def test_scan_dataset_of_filtered_and_sliced_dataframes(ray_instance: Any) -> None:
    """pandas blocks whose index does not start at 0 (a filtered frame, slices of one): every
    value is scanned, at its dataset row. (Pairing rows with Dataset.zip read such blocks as
    nulls: a clean report for data never scanned.)"""
    import pandas as pd
    import ray.data

    from hfguard.distributed import scan_dataset

    frame = pd.DataFrame({"id": range(3000), "text": [f"line {i} is fine" for i in range(3000)]})
    for i in (1200, 2999):
        frame.loc[i, "text"] = f"leaked {hf_token(f'ray-pd-{i}')} here"
    kept = frame[frame["id"] % 3 != 1]  # index 0, 2, 3, 5, ...: 2000 rows
    report = scan_dataset(ray.data.from_pandas(kept), options=ScanOptions(pii=False), batch_size=500)
    position = {int(index): n + 1 for n, index in enumerate(kept.index)}
    assert sorted(f.row for f in report.findings) == sorted(position[i] for i in (1200, 2999))
    assert not report.errors

    sliced = ray.data.from_pandas([frame.iloc[:1000], frame.iloc[1000:2600], frame.iloc[2600:]])
    report = scan_dataset(sliced, options=ScanOptions(pii=False), batch_size=700)
    assert sorted(f.row for f in report.findings) == [1201, 3000]


def test_scan_dataset_of_parquet_shards(ray_instance: Any, shards: Path) -> None:
    """A dataset of the Parquet shards, one block each: the planted tokens, each at its row in
    the concatenation of the shards (in file order). (ray.data.read_parquet itself fails in this
    environment: Ray 2.60 imports fsspec's HTTPFileSystem, which this fsspec cannot import without
    aiohttp; from_arrow over the same tables gives the same dataset.)"""
    import ray.data

    from hfguard.distributed import scan_dataset

    files = sorted(str(p) for p in (shards / "data").glob("train-0*.parquet"))
    dataset = ray.data.from_arrow([pq.read_table(f) for f in files])
    report = scan_dataset(dataset, columns=["text"], options=ScanOptions(pii=False), batch_size=256)
    expected = []
    offset = 0
    for path in files:
        texts = pq.read_table(path, columns=["text"]).column("text").to_pylist()
        expected += [offset + i + 1 for i, t in enumerate(texts) if "my token is" in t]
        offset += len(texts)
    assert sorted(f.row for f in report.findings if f.rule == "huggingface-access-token") == expected
    assert len(expected) == 8


# --- fail closed, without a cluster -------------------------------------------------------------


def test_a_unit_that_raises_on_a_worker_is_an_error(tmp_path: Path) -> None:
    scanner = ScanUnits(ScanOptions(jobs=1))
    bad = Unit(0, "no-such-kind", "data/x.parquet", str(tmp_path / "x.parquet"), 10)
    result = scanner.scan(bad)
    assert [e.path for e in result.errors] == ["data/x.parquet"]
    assert "could not be scanned on a Ray worker (ValueError)" in result.errors[0].message
    # A unit whose file vanished after planning: the local scan's error for that file.
    gone = Unit(1, "disk", "data/gone.jsonl", str(tmp_path / "gone.jsonl"), 10)
    assert scanner.scan(gone).errors[0].message.startswith("cannot read")


def test_units_without_a_result_are_errors(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(f"token {hf_token('ray-merge')}\n")
    (tmp_path / "b.txt").write_text("fine\n")
    plan = plan_units([str(tmp_path)], ScanOptions().config)
    assert [Path(u.shown).name for u in plan.units] == ["a.txt", "b.txt"]
    first = ScanUnits(ScanOptions(jobs=1)).scan(plan.units[0])
    report = merge(plan, {plan.units[0].index: first}, "RayTaskError", 0.0)
    assert [f.rule for f in report.findings] == ["huggingface-access-token"]
    assert report.errors == [FileError(plan.units[1].shown, "not scanned: the Ray job stopped (RayTaskError)")]
    assert report.stats.files == 2
    assert isinstance(first, FileResult)


def test_hf_paths_on_ray_equal_the_in_process_hf_scan(ray_instance: Any, lfs_hub: Any, tmp_path: Path) -> None:
    """Workers read hf:// files themselves (by range), from the Hub and with the token the driver
    uses (the workers' environment does not name the stand-in)."""
    from test_hf_source import REPO, make_dataset, upload

    from hfguard.distributed import scan_paths_ray
    from hfguard.sources.hf import scan_hf

    upload(lfs_hub, make_dataset(tmp_path / "repo"))
    options = ScanOptions(jobs=1)
    in_process = comparable(scan_hf([f"hf://datasets/{REPO}"], options))
    lfs_hub.clear()
    distributed = comparable(scan_paths_ray([f"hf://datasets/{REPO}"], options))
    assert in_process["findings"] and not in_process["errors"]
    assert distributed == in_process
    assert any(r.headers.get("range") for r in lfs_hub.requests if r.path.endswith(".parquet"))


def test_progress_counts_units_and_bytes(ray_instance: Any, shards: Path) -> None:
    import io

    from hfguard.distributed import scan_paths_ray
    from hfguard.report.progress import Progress

    class Recording(Progress):
        def __init__(self) -> None:
            super().__init__(io.StringIO())
            self.done: list[tuple[str, int]] = []

        def file_done(self, path: str, size: int, files: int = 1) -> None:
            super().file_done(path, size, files)
            self.done.append((path, size))

    progress = Recording()
    report = scan_paths_ray([str(shards / "data")], ScanOptions(pii=False), progress=progress)
    files = sorted(p for p in (shards / "data").iterdir())
    assert progress.total_files == len(files) == len(progress.done)
    assert progress.total_bytes == sum(p.stat().st_size for p in files) == sum(size for _, size in progress.done)
    assert sorted(path for path, _ in progress.done) == sorted(str(p) for p in files)
    assert report.stats.files == len(files)


def test_ray_option_without_ray_installed_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    (tmp_path / "a.txt").write_text("fine\n")
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    assert main(["scan", str(tmp_path), "--ray"]) == 2
    assert "pip install 'hfguard[ray]'" in capsys.readouterr().err
    assert main(["scan", "--staged", "--ray"]) == 2


def test_a_batch_that_cannot_be_scanned_is_an_error_naming_its_rows() -> None:
    from hfguard.distributed.dataset import _scan_table
    from hfguard.scanner import FileScanner

    result = _scan_table(FileScanner(ScanOptions(pii=False)), "dataset.arrow", object(), [99, 100, 101])
    assert result.errors == [FileError("dataset.arrow", "rows 100-102 could not be scanned (AttributeError)")]
    assert not result.findings


def test_an_unreachable_cluster_address_is_a_quick_usage_error(tmp_path: Path) -> None:
    """ray.init retries an unreachable head for minutes; hfguard says so at once (exit 2). A new
    process, as a user runs it: in this one a Ray instance may already be joined (then used)."""
    pytest.importorskip("ray")
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:  # a port nothing listens on: bound, then closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "a.txt").write_text("hello\n")
    done = subprocess.run([sys.executable, "-m", "hfguard", "scan", "--ray", f"127.0.0.1:{port}", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert f"cannot reach Ray at 127.0.0.1:{port}" in done.stderr
