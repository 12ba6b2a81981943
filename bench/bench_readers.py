"""Readers benchmark: secrets-only scan throughput of CSV / JSONL / Parquet against the same text
as a plain file, and peak memory scanning a large Parquet file.

    python bench/bench_readers.py                 # 50 MB datasets + a 1 GB Parquet file
    python bench/bench_readers.py --mb 20 --parquet-gb 0   # quick, no big file

Throughput is measured in-process (`scan_disk`, one job, PII off), best of `--repeat` runs.
"MB" is the size of the plain-text twin: the same values as the dataset holds, so the ratio says
what the reader costs on top of scanning that text. Peak memory is measured on a separate
`hfguard scan` process (`/usr/bin/time -v` when present, else getrusage of the child).
Data is generated under /tmp (or --dir) and removed afterwards unless --keep.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hfguard.scanner import ScanOptions, scan_disk

WORDS_SEED = 7


def _words(rng: random.Random) -> list[str]:
    return ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 10))) for _ in range(20000)]


def _record(rng: random.Random, words: list[str], i: int) -> dict[str, str]:
    text = " ".join(rng.choice(words) for _ in range(rng.randint(8, 40)))
    return {
        "id": f"r{i:08d}",
        "title": " ".join(rng.choice(words) for _ in range(4)),
        "text": text,
        "email": f"{rng.choice(words)}@example.com",
        "lang": rng.choice(["en", "fr", "de"]),
    }


def generate(folder: Path, megabytes: float) -> dict[str, tuple[Path, Path]]:
    """CSV, JSONL and Parquet of the same records, each with its plain-text twin."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(WORDS_SEED)
    words = _words(rng)
    records = []
    size = 0
    while size < megabytes * 1e6:
        record = _record(rng, words, len(records))
        records.append(record)
        size += sum(len(v) for v in record.values()) + len(record)
    out: dict[str, tuple[Path, Path]] = {}
    csv_path = folder / "data.csv"
    with open(csv_path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    out["csv"] = (csv_path, _twin(csv_path))
    jsonl_path = folder / "data.jsonl"
    with open(jsonl_path, "w") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")
    out["jsonl"] = (jsonl_path, _twin(jsonl_path))
    parquet_path = folder / "data.parquet"
    table = pa.table({k: [r[k] for r in records] for k in records[0]})
    pq.write_table(table, parquet_path, row_group_size=100_000)
    values = folder / "data-parquet-values.txt"  # what the Parquet file holds, as text
    with open(values, "w") as handle:
        for name in table.column_names:
            handle.write("\n".join(table.column(name).to_pylist()))
            handle.write("\n")
    out["parquet"] = (parquet_path, values)
    return out


def _twin(path: Path) -> Path:
    twin = path.with_name(path.name + ".txt")
    shutil.copyfile(path, twin)
    return twin


def timed_scan(path: Path, repeat: int) -> tuple[float, int]:
    best = float("inf")
    scanned = 0
    for _ in range(repeat):
        started = time.perf_counter()
        report = scan_disk([str(path)], ScanOptions(pii=False, jobs=1))
        best = min(best, time.perf_counter() - started)
        scanned = report.stats.bytes
        assert not report.errors, report.errors
    return best, scanned


def big_parquet(folder: Path, gigabytes: float) -> Path:
    """A Parquet file of about `gigabytes` on disk, written batch by batch (bounded memory)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(WORDS_SEED)
    words = _words(rng)
    path = folder / "big.parquet"
    schema = pa.schema([("id", pa.int64()), ("title", pa.string()), ("text", pa.string()),
                        ("email", pa.string()), ("score", pa.float64())])
    rows = 200_000
    with pq.ParquetWriter(path, schema, compression="snappy") as writer:
        start = 0
        # Random words compress poorly, as real text does; a pool of rows keeps generation quick.
        pool = [" ".join(rng.choice(words) for _ in range(rng.randint(20, 120))) for _ in range(50_000)]
        while path.stat().st_size < gigabytes * 1e9 if path.exists() else True:
            text = [pool[rng.randrange(len(pool))] + f" {start + i}" for i in range(rows)]
            batch = pa.table({
                "id": pa.array(range(start, start + rows), pa.int64()),
                "title": [t[:40] for t in text],
                "text": text,
                "email": [f"user{start + i}@example.com" for i in range(rows)],
                "score": pa.array([rng.random() for _ in range(rows)]),
            }, schema=schema)
            writer.write_table(batch, row_group_size=rows)
            start += rows
            if start * 400 > gigabytes * 4e9:  # safety stop if the size check lags
                break
    return path


def peak_rss_of_scan(path: Path) -> tuple[float, float, int]:
    """(peak RSS in MB, seconds, exit code) of `hfguard scan PATH --no-pii --jobs 1` in a child."""
    # The report goes to a file next to the data: --output replaces its target atomically (a
    # rename), which must never be pointed at /dev/null.
    command = [sys.executable, "-m", "hfguard", "scan", str(path), "--no-pii", "--jobs", "1", "--format", "json",
               "--output", str(path.with_suffix(".report.json"))]
    started = time.perf_counter()
    if os.path.exists("/usr/bin/time"):
        done = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        for line in done.stderr.splitlines():
            if "Maximum resident set size" in line:
                return int(line.rsplit(":", 1)[1]) / 1024, seconds, done.returncode
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run(command, capture_output=True, check=False)
    seconds = time.perf_counter() - started
    return max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024, seconds, done.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=50.0, help="size of the CSV/JSONL/Parquet datasets (text MB)")
    parser.add_argument("--parquet-gb", type=float, default=1.0, help="size of the big Parquet file (0: skip)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--dir", default=None, help="where to write the data (default: a temp folder in /tmp)")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="hfguard-bench-readers-", dir=args.dir))
    try:
        print(f"generating {args.mb:.0f} MB datasets in {folder} ...", file=sys.stderr)
        datasets = generate(folder, args.mb)
        print(f"{'format':<8} {'text MB':>8} {'plain s':>8} {'plain MB/s':>10} {'reader s':>9} {'reader MB/s':>11} {'ratio':>6}")
        for name, (data, twin) in datasets.items():
            plain_s, _ = timed_scan(twin, args.repeat)
            reader_s, _ = timed_scan(data, args.repeat)
            mb = twin.stat().st_size / 1e6
            print(f"{name:<8} {mb:8.1f} {plain_s:8.2f} {mb / plain_s:10.1f} {reader_s:9.2f} {mb / reader_s:11.1f} "
                  f"{reader_s / plain_s:6.2f}")
        if args.parquet_gb > 0:
            print(f"generating a {args.parquet_gb:.1f} GB Parquet file ...", file=sys.stderr)
            big = big_parquet(folder, args.parquet_gb)
            peak, seconds, code = peak_rss_of_scan(big)
            size = big.stat().st_size / 1e9
            print(f"big parquet: {size:.2f} GB on disk, scan {seconds:.1f} s, peak RSS {peak:.0f} MB, exit {code}")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
