"""The README's first set-up command writes a demo project and scans it: exit 1, whatever an
earlier run left in the folder (a baseline there would hide every finding)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
MAKE_DEMO = CHECKOUT / "examples" / "make_demo.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, check=False, timeout=300)


def test_demo_run_again_after_a_baseline_still_blocks(tmp_path: Path) -> None:
    demo = tmp_path / "hfguard-demo"
    assert _run(str(MAKE_DEMO), str(demo)).returncode == 0
    assert _run("-m", "hfguard", "scan", str(demo)).returncode == 1
    assert _run("-m", "hfguard", "baseline", str(demo), "-o", str(demo / ".hfguard-baseline.json")).returncode == 0
    assert _run("-m", "hfguard", "scan", str(demo)).returncode == 0  # the baseline accepts them
    assert _run(str(MAKE_DEMO), str(demo)).returncode == 0  # run again: a fresh demo
    assert _run("-m", "hfguard", "scan", str(demo)).returncode == 1


def test_demo_refuses_a_folder_that_is_not_a_demo(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me\n")
    result = _run(str(MAKE_DEMO), str(tmp_path))
    assert result.returncode == 2 and "not an earlier demo" in result.stderr
    assert (tmp_path / "mine.txt").read_text() == "keep me\n"
