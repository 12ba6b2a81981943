from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # tests/secretgen.py and other helpers

from gitutil import git_env, repo  # noqa: E402,F401  git fixtures: isolated HOME, a real repository in tmp_path
