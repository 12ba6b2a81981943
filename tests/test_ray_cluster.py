"""The Ray engine on a two-node local cluster (ray.cluster_utils.Cluster: a head and a worker
node of one CPU each on this machine): the distributed report equals the local report."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_ray import comparable, make_shards

from hfguard.scanner import ScanOptions, scan_disk


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    ray = pytest.importorskip("ray", reason="Ray is not installed: pip install '.[ray]'")
    from ray.cluster_utils import Cluster

    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    nodes.add_node(num_cpus=1)
    try:
        ray.init(address=nodes.address, log_to_driver=False, configure_logging=False)
        nodes.wait_for_nodes()
        yield ray
    finally:
        ray.shutdown()
        nodes.shutdown()


def test_two_node_report_equals_local(cluster: Any, tmp_path: Path) -> None:
    from hfguard.distributed import scan_paths_ray

    assert len([n for n in cluster.nodes() if n["Alive"]]) == 2
    assert cluster.cluster_resources()["CPU"] == 2
    root = make_shards(tmp_path / "shards")
    options = ScanOptions(jobs=2)
    local = scan_disk([str(root)], options)
    distributed = scan_paths_ray([str(root)], options)
    expected = comparable(local)
    assert len(expected["findings"]) > 20 and len(expected["errors"]) == 2
    assert comparable(distributed) == expected
