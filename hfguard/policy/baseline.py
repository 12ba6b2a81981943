"""Baseline: findings a team has accepted, so that only new ones block.

Identity. An entry is a finding's fingerprint (rule + hash of the value + path; see
masking.fingerprint), never its line or a commit: moving code, inserting lines or rebasing keeps
it valid. Paths are written relative to the root of the git repository the file is in (else to
the current folder), so `hfguard scan .`, `hfguard scan src/` and `hfguard scan /abs/repo` agree.

No reversible secret. The baseline is committed and published with the repository, and outlives
the value it accepts. The report fingerprint is a fast hash: fine for a 40-character token (no one
enumerates 2^200 values), but a short password, a phone number or an SSN (10^9 values) falls to
brute force in seconds, because rule and path are public. So the file stores
scrypt(fingerprint, salt) instead (n=2048, r=8: 2 MiB and ~4 ms per hash; the salt is random per
baseline file, so no table can be precomputed). That turns seconds into GPU-hours per entry for
a 10^9 space: enough to stop harvesting, not a vault; do not baseline real personal data, remove
it. No previews, no line numbers, no timestamps.

Cost. Scans only hash findings whose rule and path have an entry, once per distinct value.

Git. One entry a line, sorted by path, rule and hash; the list ends with a constant line, so
every entry line ends with a comma wherever it sits. Additions from two branches at different
places merge as usual; additions at the same place merge with `merge=union`, which
`hfguard baseline` adds to .gitattributes. The result is always valid JSON (order is restored by
the next write).

    {
      "findings": [
        {"hash": "<32 hex>", "path": "src/settings.py", "rule": "huggingface-access-token"},
        "<constant end line>"
      ],
      "hashing": {"algorithm": "scrypt", "n": 2048, "p": 1, "r": 8, "salt": "<32 hex>"},
      "version": 1
    }
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import stat
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hfguard.errors import HfguardError
from hfguard.models import Finding
from hfguard.policy.discover import repo_root
from hfguard.policy.paths import hub_repo_path

BASELINE_VERSION = 1
DEFAULT_NAME = ".hfguard-baseline.json"
END_LINE = "end: one accepted finding a line, sorted; this line stays last so that git merges additions cleanly"
_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_SALT = re.compile(r"^[0-9a-f]{32,128}$")
# Bounds on what a baseline file may ask for: a hostile file must not cost a GiB per hash.
_N_RANGE = (2**10, 2**16)
_R_RANGE = (1, 16)
_P_RANGE = (1, 4)
_MAX_MEM = 64 * 1024 * 1024


class BaselineError(HfguardError):
    """The baseline file is missing or invalid: the message names the file."""


@dataclass(frozen=True)
class Hashing:
    salt: str
    n: int = 2048
    r: int = 8
    p: int = 1

    def key(self, fingerprint: str) -> str:
        return hashlib.scrypt(
            fingerprint.encode("utf-8"), salt=bytes.fromhex(self.salt), n=self.n, r=self.r, p=self.p,
            dklen=16, maxmem=129 * self.n * self.r * self.p + 1024 * 1024,
        ).hex()

    def keys(self, fingerprints: Iterable[str]) -> dict[str, str]:
        """fingerprint -> key; scrypt releases the GIL, so threads use every core."""
        unique = sorted(set(fingerprints))
        if len(unique) < 8:
            return {fp: self.key(fp) for fp in unique}
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            return dict(zip(unique, pool.map(self.key, unique)))

    def to_dict(self) -> dict[str, Any]:
        return {"algorithm": "scrypt", "n": self.n, "p": self.p, "r": self.r, "salt": self.salt}


def new_hashing() -> Hashing:
    return Hashing(salt=secrets.token_hex(16))


@dataclass(frozen=True, order=True)
class Entry:
    path: str
    rule: str
    hash: str

    def to_dict(self) -> dict[str, str]:
        return {"hash": self.hash, "path": self.path, "rule": self.rule}


@dataclass(frozen=True)
class Baseline:
    hashing: Hashing
    entries: frozenset[Entry]
    path: str | None = None  # the file it was read from

    def index(self) -> dict[tuple[str, str], frozenset[str]]:
        """(rule, path) -> entry hashes: only findings with a candidate entry get hashed."""
        grouped: dict[tuple[str, str], set[str]] = {}
        for e in self.entries:
            grouped.setdefault((e.rule, e.path), set()).add(e.hash)
        return {k: frozenset(v) for k, v in grouped.items()}


# --- paths as the baseline knows them -----------------------------------------------------------


class IdentityPaths:
    """The path a finding is known by in fingerprints and baselines: relative to the root of the
    git repository the file is in, else to the current folder, `/`-separated; absolute only when
    the file is outside both. A relative path is taken from the current folder when that file
    exists; otherwise it names a blob from git (staged, a commit), already relative to the root."""

    def __init__(self) -> None:
        self._paths: dict[tuple[str, str], str] = {}
        self._roots: dict[str, str | None] = {}

    def _repo_root(self, folder: str) -> str | None:
        if folder not in self._roots:
            parent = os.path.dirname(folder)
            if os.path.exists(os.path.join(folder, ".git")):
                self._roots[folder] = folder
            else:
                self._roots[folder] = None if parent == folder else self._repo_root(parent)
        return self._roots[folder]

    def __call__(self, path: str) -> str:
        cwd = os.getcwd()
        cached = self._paths.get((cwd, path))
        if cached is not None:
            return cached
        inner = hub_repo_path(path)
        if inner is not None:  # a Hub repository's file: the same entry whatever revision was scanned
            self._paths[(cwd, path)] = inner
            return inner
        absolute = os.path.abspath(path)
        if not os.path.isabs(path) and not os.path.lexists(absolute):
            result = os.path.normpath(path).replace(os.sep, "/")
            self._paths[(cwd, path)] = result
            return result
        result = absolute.replace(os.sep, "/")
        for root in (self._repo_root(os.path.dirname(absolute)), cwd):
            if root is None:
                continue
            rel = os.path.relpath(absolute, root)
            if rel != ".." and not rel.startswith(".." + os.sep):
                result = rel.replace(os.sep, "/")
                break
        self._paths[(cwd, path)] = result
        return result


# --- reading and writing ----------------------------------------------------------------------


def _fail(path: Path, problem: str) -> BaselineError:
    return BaselineError(f"{path}: {problem}")


def _int_in(value: Any, bounds: tuple[int, int]) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and bounds[0] <= value <= bounds[1]


def load_baseline(path: Path | str) -> Baseline:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _fail(path, "baseline file not found (create it with `hfguard baseline -o FILE`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, f"cannot read baseline: {exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        hint = " (it has git conflict markers: resolve them, or re-run `hfguard baseline`)" if "<<<<<<<" in text else ""
        raise _fail(path, f"baseline is not valid JSON: {exc}{hint}") from None
    if not isinstance(data, dict) or data.get("version") != BASELINE_VERSION:
        raise _fail(path, f"not an hfguard baseline (version {BASELINE_VERSION})")
    unknown = sorted(set(data) - {"findings", "hashing", "version"})
    if unknown:
        raise _fail(path, f"unknown baseline key '{unknown[0]}'")
    h = data.get("hashing")
    if (
        not isinstance(h, dict)
        or set(h) != {"algorithm", "n", "p", "r", "salt"}
        or h["algorithm"] != "scrypt"
        or not (_int_in(h["n"], _N_RANGE) and h["n"] & (h["n"] - 1) == 0)
        or not _int_in(h["r"], _R_RANGE)
        or not _int_in(h["p"], _P_RANGE)
        or 128 * h["n"] * h["r"] * h["p"] > _MAX_MEM
        or not isinstance(h["salt"], str)
        or not _SALT.match(h["salt"])
    ):
        raise _fail(path, "baseline 'hashing' is missing or invalid (scrypt with n a power of 2 from 2^10 to 2^16, r <= 16, p <= 4, a hex salt)")
    hashing = Hashing(salt=h["salt"], n=h["n"], r=h["r"], p=h["p"])
    findings = data.get("findings")
    if not isinstance(findings, list):
        raise _fail(path, "baseline 'findings' must be a list")
    entries = set()
    for i, item in enumerate(findings):
        if isinstance(item, str):  # the end line (or a note a person added)
            continue
        if (
            not isinstance(item, dict)
            or set(item) != {"hash", "path", "rule"}
            or not all(isinstance(v, str) for v in item.values())
            or not _HEX32.match(item["hash"])
        ):
            raise _fail(path, f"baseline 'findings[{i}]' must be {{\"hash\": <32 hex>, \"path\": ..., \"rule\": ...}}")
        entries.add(Entry(path=item["path"], rule=item["rule"], hash=item["hash"]))
    return Baseline(hashing, frozenset(entries), str(path))


def dumps(baseline: Baseline) -> str:
    """Stable text: sorted keys, one entry a line, no timestamps."""
    lines = ["{", '  "findings": [']
    for entry in sorted(baseline.entries):
        lines.append("    " + json.dumps(entry.to_dict(), sort_keys=True) + ",")
    lines.append("    " + json.dumps(END_LINE))
    lines.append("  ],")
    lines.append('  "hashing": ' + json.dumps(baseline.hashing.to_dict(), sort_keys=True) + ",")
    lines.append(f'  "version": {BASELINE_VERSION}')
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_atomically(path: Path, text: str) -> None:
    """Write to a temp file in the same folder, then rename: never a half-written file. Keeps the
    mode of the file it replaces (new files: 0644)."""
    try:
        st = path.stat()
    except OSError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        # /dev/null, /dev/stdout, a FIFO: write through it; a rename would replace the device.
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = st.st_mode & 0o7777 if st is not None else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def save_baseline(baseline: Baseline, path: Path) -> None:
    try:
        write_atomically(path, dumps(baseline))
    except OSError as exc:
        raise _fail(path, f"cannot write baseline: {exc.strerror or exc}") from None


# --- recording --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    baseline: Baseline
    kept: int  # old entries that still occur (or were outside the scan)
    dropped: int  # old entries that no longer occur
    added: int  # new entries
    not_added: int  # current findings left out (--update adds none)


def record(
    old: Baseline | None,
    findings: Iterable[Finding],
    identity: Callable[[str], str],
    in_scope: Callable[[str], bool],
    add_new: bool,
) -> Change:
    """The next baseline: old entries inside the scanned scope are kept only if they still occur;
    entries outside it are kept as they are; current findings are added when `add_new`.

    `findings` must come from a scan that did not apply this baseline."""
    hashing = old.hashing if old is not None else new_hashing()
    old_entries = old.entries if old is not None else frozenset()
    index = old.index() if old is not None else {}
    found = {(f.rule, identity(f.path), f.fingerprint) for f in findings}
    unmatched = 0
    if not add_new:  # only candidates for an existing entry need hashing
        candidates = {item for item in found if (item[0], item[1]) in index}
        unmatched = len(found) - len(candidates)
        found = candidates
    keys = hashing.keys(fp for _, _, fp in found)
    current = {Entry(path=path, rule=rule, hash=keys[fp]) for rule, path, fp in found}
    kept = {e for e in old_entries if e in current or not in_scope(e.path)}
    new = current - old_entries
    entries = kept | new if add_new else kept
    return Change(
        baseline=Baseline(hashing, frozenset(entries), old.path if old is not None else None),
        kept=len(kept),
        dropped=len(old_entries) - len(kept),
        added=len(new) if add_new else 0,
        not_added=0 if add_new else len(new) + unmatched,
    )


def scope_of(paths: list[str], identity: Callable[[str], str]) -> Callable[[str], bool]:
    """Which baseline paths a scan of `paths` covers (entries elsewhere are left alone)."""
    prefixes = [identity(p) for p in paths]

    def covered(entry_path: str) -> bool:
        for prefix in prefixes:
            if prefix in (".", "") or entry_path == prefix or entry_path.startswith(prefix.rstrip("/") + "/"):
                return True
        return False

    return covered


def find_baseline_file(start: Path) -> Path | None:
    """`.hfguard-baseline.json` in `start` (the scanned folder), else at the root of its git
    repository: used when neither --baseline nor the config's `baseline` names one."""
    start = Path(os.path.abspath(start))
    for folder in (start, repo_root(start)):
        if folder is not None and (folder / DEFAULT_NAME).is_file():
            return folder / DEFAULT_NAME
    return None


def ensure_union_merge(baseline_path: Path) -> str | None:
    """Make git merge the baseline with `merge=union` (see the module docstring), by adding a line
    to the .gitattributes next to it. Returns what was done, or None (not in a git work tree,
    or already set)."""
    folder = Path(os.path.abspath(baseline_path)).parent
    if repo_root(folder) is None:
        return None
    name = baseline_path.name
    if re.search(r"[\s*?\[\]\\!#\"]", name):
        return f"set `merge=union` for {name} in .gitattributes yourself (its name needs quoting)"
    attributes = folder / ".gitattributes"
    try:
        text = attributes.read_text(encoding="utf-8") if attributes.exists() else ""
    except (OSError, UnicodeDecodeError):
        return f"could not read {attributes}; add `/{name} merge=union` to it yourself"
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0] in (name, "/" + name) and any(f.startswith("merge") for f in fields[1:]):
            return None
    block = (
        "# hfguard baseline: one accepted finding a line; union merge keeps both branches' additions\n"
        f"/{name} merge=union\n"
    )
    if text and not text.endswith("\n"):
        block = "\n" + block
    write_atomically(attributes, text + block)
    return f"added `/{name} merge=union` to {attributes} so that branches that each add findings merge cleanly"
