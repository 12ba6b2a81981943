"""Ray benchmark (issue 18): the overhead of `hfguard scan --ray` on one machine against the local
multi-process scan, and the scaling from one to two nodes of a local Ray cluster.

Not a test. Generates (or reuses) a dataset of Parquet and JSONL shards (tickets with names,
emails, phone numbers and a planted token per shard, built at run time), then times, each as a
fresh `hfguard scan DATA --format json` process (start-up included):

  local   --jobs N (the local multi-process scan; N = the CPU count)
  ray     --ray (a local Ray instance started and stopped by the scan)
  1 node  --ray ADDRESS of a ray.cluster_utils.Cluster with one node of N/2 CPUs
  2 nodes the same cluster after a second node of N/2 CPUs is added

and checks that every run reports the same findings and errors as the local scan.

    python bench/bench_ray.py --mb 1024            # the issue's 1 GB
    python bench/bench_ray.py --mb 200 --no-pii    # quicker: secrets and hygiene only
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WORDS = ("the parcel arrived late and the box was damaged so please send a replacement order soon "
         "thanks for the quick reply my account shows the wrong address again").split()
FIRST = "Anna Ben Carla Dario Elif Femi Grace Hiro Ines Jonas Kemal Lea Mona Nils".split()
LAST = "Smith Okafor Rossi Tanaka Novak Silva Haddad Berg Kowalski Moreau".split()


def token(seed: int) -> str:
    rng = random.Random(seed)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return "hf" + "_" + "".join(rng.choice(alphabet) for _ in range(34))


def make_dataset(root: Path, mb: int, shards: int) -> Path:
    """`shards` Parquet and `shards` JSONL files, about `mb` MB in all (on disk)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    marker = root / f".done-{mb}-{shards}"
    if marker.exists():
        return root
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(18)
    per_pair = mb * 1024 * 1024 // shards  # a Parquet shard and a JSONL shard
    row_bytes = 300  # about: ~255 bytes of JSONL, ~45 of zstd Parquet per ticket
    rows = max(100, per_pair // row_bytes)
    for s in range(shards):
        names = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rows)]
        text = [" ".join(rng.choices(WORDS, k=24)) for _ in range(rows)]
        text[rng.randrange(rows)] = f"my token is {token(s)} please help"
        emails = [f"{n.split()[0].lower()}.{i}@example{s % 7}.org" for i, n in enumerate(names)]
        phones = [f"+1 415 555 {1000 + (i * 7) % 9000:04d}" for i in range(rows)]
        table = pa.table({"id": list(range(rows)), "name": names, "email": emails, "phone": phones, "text": text})
        pq.write_table(table, root / f"train-{s:05d}.parquet", row_group_size=20_000, compression="zstd")
        with open(root / f"chat-{s:05d}.jsonl", "w") as fh:
            fh.writelines(json.dumps({"id": i, "user": names[i], "email": emails[i], "msg": text[i]}) + "\n" for i in range(rows))
    marker.write_text("")
    return root


def run_scan(data: Path, extra: list[str], no_pii: bool) -> tuple[float, dict[str, Any]]:
    cmd = [sys.executable, "-m", "hfguard", "scan", str(data), "--format", "json", *extra]
    if no_pii:
        cmd.append("--no-pii")
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1, 2):
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr[-2000:]}")
    doc = json.loads(done.stdout)
    doc["stats"].pop("seconds", None)
    return seconds, doc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=1024, help="dataset size in MB (default: 1024)")
    parser.add_argument("--shards", type=int, default=16, help="Parquet shards (and as many JSONL)")
    parser.add_argument("--work", type=Path, default=HERE / "_work" / "ray")
    parser.add_argument("--no-pii", action="store_true", help="secrets and hygiene only")
    parser.add_argument("--skip-cluster", action="store_true", help="no two-node cluster runs")
    args = parser.parse_args()
    cpus = os.cpu_count() or 1
    started = time.perf_counter()
    data = make_dataset(args.work / f"data-{args.mb}mb-{args.shards}", args.mb, args.shards)
    size = sum(p.stat().st_size for p in data.iterdir() if p.is_file())
    print(f"dataset: {size / 1e6:.0f} MB in {2 * args.shards} shards ({time.perf_counter() - started:.0f} s to make or find)"
          f"; {cpus} CPUs; load average {os.getloadavg()[0]:.2f}; pii={'off' if args.no_pii else 'on'}", flush=True)
    results: list[tuple[str, float, dict[str, Any]]] = []

    def record(name: str, seconds: float, doc: dict[str, Any]) -> None:
        results.append((name, seconds, doc))
        print(f"{name:<28} {seconds:8.1f} s  {size / 1e6 / seconds:7.1f} MB/s  findings {len(doc['findings'])}"
              f"  errors {len(doc['errors'])}  load {os.getloadavg()[0]:.2f}", flush=True)

    record(f"local --jobs {cpus}", *run_scan(data, ["--jobs", str(cpus)], args.no_pii))
    record("--ray (local instance)", *run_scan(data, ["--ray"], args.no_pii))
    if not args.skip_cluster:
        from ray.cluster_utils import Cluster

        half = max(1, cpus // 2)
        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": half, "include_dashboard": False})
        try:
            record(f"--ray cluster, 1 node x {half} CPU", *run_scan(data, ["--ray", cluster.address], args.no_pii))
            cluster.add_node(num_cpus=half)
            cluster.wait_for_nodes()
            record(f"--ray cluster, 2 nodes x {half} CPU", *run_scan(data, ["--ray", cluster.address], args.no_pii))
        finally:
            cluster.shutdown()
    base_name, base, base_doc = results[0]
    print()
    for name, seconds, doc in results[1:]:
        same = "same report" if doc == base_doc else "REPORT DIFFERS"
        print(f"{name} / {base_name}: {seconds / base:.2f}x  ({same})")
    if len(results) == 4:
        print(f"scaling 1 -> 2 nodes: {results[2][1] / results[3][1]:.2f}x faster")
    return 0 if all(doc == base_doc for _, _, doc in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
