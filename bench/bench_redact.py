"""Peak memory and time of `hfguard redact` on a large generated Parquet file (issue 16: a 1 GB
file redacts with peak memory under 500 MB). Not a test: nothing in tests/ runs it.

    python bench/bench_redact.py --mb 1024            # generate (once) and redact
    python bench/bench_redact.py --mb 200 --rows-per-group 250000

The file holds a customer table (id, name, email, phone, ssn, address, plan, amount, notes):
names and addresses from small pools, emails and SSNs unique per row. Peak memory is the child
process's maximum resident set size (os.wait4's rusage of that child alone), so it includes Python
and pyarrow themselves. `--scan` also times `hfguard scan` of the file: redact scans it first, then
scans the copy it wrote (which takes longer: see bench/README.md, Redact).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

WORK = Path(__file__).parent / "_work" / "redact"
FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Susan"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Wilson", "Moore"]
STREETS = ["Oak St", "Maple Ave", "Pine Rd", "Cedar Ln", "Elm St", "Lake Dr", "Hill Rd", "Park Ave"]
DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "proton.me"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--rows-per-group", type=int, default=500_000)
    parser.add_argument("--scan", action="store_true", help="also time `hfguard scan` of the same file")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    src = WORK / f"customers-{args.mb}mb.parquet"
    if not src.exists():
        t = time.perf_counter()
        _generate_sized(src, args.mb, args.rows_per_group)
        print(f"generated {src.stat().st_size / 2**20:.0f} MB in {time.perf_counter() - t:.0f} s", flush=True)
    out = WORK / f"out-{args.mb}mb"
    size = src.stat().st_size / 2**20
    report = WORK / f"report-{args.mb}mb.json"
    seconds, peak, code = _run([sys.executable, "-m", "hfguard", "redact", str(src), "-o", str(out),
                                "--format", "json", "--report", str(report)])
    print(f"redact: {size:.0f} MB Parquet in {seconds:.0f} s ({size / seconds:.2f} MB/s), exit {code}, "
          f"peak RSS {peak:.0f} MB", flush=True)
    if args.scan:
        # the scan alone (redact runs it twice: on the original, and on the copy it wrote)
        scan_s, scan_peak, scan_code = _run([sys.executable, "-m", "hfguard", "scan", str(src), "--format", "json"],
                                            quiet=True)
        print(f"scan alone: {scan_s:.0f} s ({size / scan_s:.2f} MB/s), exit {scan_code}, peak RSS {scan_peak:.0f} MB")
    return 0


def _run(argv: list[str], quiet: bool = False) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MB, this child's own, from wait4) and exit code of one run."""
    t = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL if quiet else None)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - t, usage.ru_maxrss / 1024, proc.returncode


def _generate_sized(path: Path, target_mb: int, rows_per_group: int) -> None:
    """Row groups of `rows_per_group` until the file reaches target_mb (one writer, size read
    from the bytes written so far)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(16)
    sink = pa.OSFile(str(path), "wb")
    writer = None
    row = 0
    try:
        while sink.tell() < target_mb * 1024 * 1024:
            n = rows_per_group
            ids = np.arange(row, row + n)
            first = np.array(FIRST)[rng.integers(0, len(FIRST), n)]
            last = np.array(LAST)[rng.integers(0, len(LAST), n)]
            name = np.char.add(np.char.add(first, " "), last)
            email = [f"{f.lower()}.{l.lower()}{i}@{DOMAINS[i % 4]}" for f, l, i in zip(first, last, ids)]
            ssn = [f"{a:03d}-{b:02d}-{c:04d}" for a, b, c in zip(rng.integers(1, 665, n), rng.integers(1, 99, n),
                                                                 rng.integers(1, 9999, n))]
            phone = [f"({a}) 555-{b:04d}" for a, b in zip(rng.integers(201, 990, n), rng.integers(100, 199, n))]
            address = [f"{h} {STREETS[h % 8]}, Springfield" for h in rng.integers(10, 9999, n)]
            notes = [f"Order {i} shipped in {d} days; customer satisfied" for i, d in zip(ids, rng.integers(1, 9, n))]
            table = pa.table({"id": ids, "name": name, "email": email, "phone": phone, "ssn": ssn,
                              "address": address, "plan": np.array(["free", "pro", "team"])[ids % 3],
                              "amount": rng.random(n) * 100, "notes": notes})
            if writer is None:
                writer = pq.ParquetWriter(sink, table.schema, compression="snappy")
            writer.write_table(table, row_group_size=n)
            row += n
    finally:
        if writer is not None:
            writer.close()
        sink.close()


if __name__ == "__main__":
    raise SystemExit(main())
