"""Pickle-based files (`*.bin`, `*.pt`, `*.pth`, `*.ckpt`, `*.pkl`, `*.pickle`, `*.joblib`,
`*.npy`/`*.npz` with object arrays, pickles inside zip-based PyTorch files, gzip/bz2/xz/zlib-
compressed pickles such as joblib's): which callables loading them would import.

The imports are listed and judged by picklescan, the scanner the Hugging Face Hub runs on
uploads (its lists of dangerous and safe globals), not by a disassembler of our own. What is ours
is the dispatch (zip members, .npy headers) and the limits: picklescan keeps every opcode of a
pickle in memory (about 50 bytes per byte of pickle, ~0.5 s per MB), so at most
MAX_PICKLE_BYTES of pickle data are read per file; a file cut short says so in its finding and
in a note. A file that is not a pickle after all (a `.bin` of raw weights) gives no finding.
"""
from __future__ import annotations

import bz2
import io
import logging
import lzma
import re
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

from hfguard.hygiene.registry import make_match
from hfguard.models import Blob, Chunk, ChunkKind, Match

PICKLE_EXTENSIONS = frozenset({"bin", "pt", "pth", "ckpt", "pkl", "pickle", "joblib", "npy", "npz"})
# Pickles by name, whatever their first bytes (protocol 0 and 1 pickles have no magic). PyTorch's
# files (*.pt, *.pth, *.ckpt, *.bin) are a zip or a protocol-2 pickle: checked when their bytes say
# so (a *.pth may also be a site-packages path file, a *.bin raw weights).
_PICKLE_BY_NAME = frozenset({"pkl", "pickle", "joblib"})
_PYTORCH = frozenset({"bin", "pt", "pth", "ckpt"})  # legacy (non-zip) torch.save layout possible
_MEMBER_PICKLE_EXTENSIONS = (".pkl", ".pickle", ".joblib", ".dat", ".data")  # as picklescan
_PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_NUMPY_MAGIC = b"\x93NUMPY"
# joblib's compressed pickles (compress=...), *.pkl.gz and the like: decompressed as they are read.
_COMPRESSED_MAGIC = (
    (b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"), (b"\x5d\x00\x00", "lzma"),
    (b"\x78\x01", "zlib"), (b"\x78\x5e", "zlib"), (b"\x78\x9c", "zlib"), (b"\x78\xda", "zlib"),
)
COMPRESSED_SUFFIXES = frozenset({"gz", "bz2", "xz"})  # model.pkl.gz: the inner name decides
MAX_PICKLE_BYTES = 8 * 1024 * 1024  # pickle data read per file, all pickles in it together
MAX_ZIP_MEMBERS = 100_000
SPOOL_MEMORY = 16 * 1024 * 1024  # a stream that cannot seek is copied; past this, to a temp file
_SAFE_NAME = re.compile(r"[^\w./<>-]")
_SHOWN_IMPORTS = 3
# Imports picklescan (1.0) leaves "suspicious" that hand a pickle any module, and so any callable:
# dangerous here too.
_ALSO_DANGEROUS = frozenset({
    ("builtins", "__import__"), ("__builtin__", "__import__"), ("importlib", "import_module"),
    ("importlib", "__import__"),
})

logging.getLogger("picklescan").addHandler(logging.NullHandler())  # its warnings are our findings


@dataclass
class _Verdict:
    """One pickle stream: the file itself or a member of its zip."""

    member: str | None
    dangerous: list[str] = field(default_factory=list)
    suspicious: list[str] = field(default_factory=list)
    problem: str | None = None  # why it could not be read in full
    truncated: bool = False


class _Window(io.RawIOBase):
    """The next `limit` bytes of a seekable stream, seekable within them. `hit` turns true when
    a read wanted more than the window holds while the stream had more (or was cut short)."""

    def __init__(self, raw: IO[bytes], limit: int, cut: bool = False) -> None:
        super().__init__()
        self.raw = raw
        self.start = raw.tell()
        self.limit = max(0, limit)
        self.cut = cut
        self.pos = 0
        self.furthest = 0
        self.hit = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        """At most what the window holds: a pickle opcode that announces a 2 GB argument does not
        get a 2 GB buffer."""
        room = self.limit - self.pos
        wanted = room + 1 if size is None or size < 0 else size
        data = self.raw.read(min(wanted, room)) if room > 0 else b""
        self.pos += len(data)
        self.furthest = max(self.furthest, self.pos)
        if len(data) < wanted:
            if len(data) >= room and self.raw.read(1):
                self.hit = True
                self.raw.seek(self.start + self.pos)
            elif self.cut:
                self.hit = True
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            target = offset
        elif whence == io.SEEK_CUR:
            target = self.pos + offset
        else:
            self.raw.seek(0, io.SEEK_END)
            target = min(self.limit, self.raw.tell() - self.start) + offset
        self.pos = max(0, min(target, self.limit))
        self.raw.seek(self.start + self.pos)
        return self.pos

    def tell(self) -> int:
        return self.pos


class _Budget:
    def __init__(self, total: int) -> None:
        self.left = total

    def spend(self, window: _Window) -> None:
        self.left -= max(window.furthest, 1)


def _name(text: str) -> str:
    return _SAFE_NAME.sub("?", text)[:120]


def _scanner() -> Any:
    """picklescan's scanner module, or None where it is not installed (Python 3.10)."""
    try:
        from picklescan import scanner  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        return None
    return scanner


def _judge(result: Any, scanner: Any, verdict: _Verdict) -> None:
    for g in result.globals:
        shown = _name(f"{g.module}.{g.name}")
        if g.safety is scanner.SafetyLevel.Dangerous or (g.module, g.name) in _ALSO_DANGEROUS:
            verdict.dangerous.append(shown)
        elif g.safety is scanner.SafetyLevel.Suspicious:
            verdict.suspicious.append(shown)
    if result.scan_err and verdict.problem is None:
        verdict.problem = "the pickle stream is malformed after some opcodes"


def _scan_pickle(stream: IO[bytes], member: str | None, ext: str | None, budget: _Budget, scanner: Any,
                 cut: bool = False) -> _Verdict:
    verdict = _Verdict(member)
    if budget.left <= 0:
        verdict.truncated = True
        return verdict
    window = _Window(stream, budget.left, cut)
    try:
        if ext in _PYTORCH and member is None:
            result = scanner.scan_bytes(window, member or "file", "." + ext)
        else:
            result = scanner.scan_pickle_bytes(window, member or "file")
        _judge(result, scanner, verdict)
    except Exception as exc:  # noqa: BLE001 - a third-party parser on hostile bytes: any failure is a verdict
        verdict.problem = f"it could not be parsed ({type(exc).__name__})"
    finally:
        budget.spend(window)
    verdict.truncated = window.hit
    return verdict


def _scan_numpy(stream: IO[bytes], member: str | None, budget: _Budget, scanner: Any) -> _Verdict | None:
    """An .npy: a pickle only when its array holds Python objects (None otherwise)."""
    import numpy as np

    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            _, _, dtype = np.lib.format.read_array_header_1_0(stream)
        else:
            _, _, dtype = np.lib.format.read_array_header_2_0(stream)
    except Exception:  # noqa: BLE001 - not a readable .npy: np.load would refuse it too
        return None
    if not dtype.hasobject:
        return None
    return _scan_pickle(stream, member, None, budget, scanner)


def _scan_zip(stream: IO[bytes], budget: _Budget, scanner: Any) -> list[_Verdict]:
    from picklescan.relaxed_zipfile import RelaxedZipFile  # type: ignore[import-untyped,unused-ignore]

    verdicts: list[_Verdict] = []
    try:
        archive = RelaxedZipFile(stream, "r")
    except Exception as exc:  # noqa: BLE001 - not a zip after all, or a broken one
        return [_Verdict(None, problem=f"its zip directory could not be read ({type(exc).__name__})")]
    with archive:
        for number, info in enumerate(archive.infolist()):
            if number >= MAX_ZIP_MEMBERS:
                verdicts.append(_Verdict(None, truncated=True))
                break
            if info.is_dir():
                continue
            member = _name(info.filename)
            try:
                with archive.open(info, "r") as handle:
                    magic = handle.read(8)
                    handle.seek(0)
                    lowered = info.filename.lower()
                    if lowered.endswith(_MEMBER_PICKLE_EXTENSIONS) or magic.startswith(_PICKLE_MAGIC):
                        verdicts.append(_scan_pickle(handle, member, None, budget, scanner))
                    elif lowered.endswith(".npy") or magic.startswith(_NUMPY_MAGIC):
                        found = _scan_numpy(handle, member, budget, scanner)
                        if found is not None:
                            verdicts.append(found)
            except Exception as exc:  # noqa: BLE001 - encrypted, corrupt, unsupported compression
                verdicts.append(_Verdict(member, problem=f"it could not be read ({type(exc).__name__})"))
    return verdicts


@contextmanager
def _seekable(blob: Blob, whole: bool) -> Iterator[tuple[IO[bytes], bool]]:
    """(a seekable stream of the blob, whether it was cut). Streams that cannot seek (git, uploads)
    are copied: whole for a zip (its directory is at the end), else the part that is read."""
    with blob.open() as raw:
        if raw.seekable():
            yield raw, False
            return
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY) as spool:
            if whole:
                shutil.copyfileobj(raw, spool, 1024 * 1024)
                cut = False
            else:
                left = MAX_PICKLE_BYTES + 1
                while left > 0 and (piece := raw.read(min(left, 1024 * 1024))):
                    spool.write(piece)
                    left -= len(piece)
                cut = left <= 0
            spool.seek(0)
            yield spool, cut


def _decompressor(kind: str) -> Any:
    if kind == "gzip":
        return zlib.decompressobj(wbits=31)
    if kind == "zlib":
        return zlib.decompressobj()
    if kind == "bz2":
        return bz2.BZ2Decompressor()
    return lzma.LZMADecompressor(lzma.FORMAT_XZ if kind == "xz" else lzma.FORMAT_ALONE)


def _inflate(stream: IO[bytes], kind: str, limit: int) -> tuple[bytes, bool]:
    """The first `limit` decompressed bytes, and whether there were more."""
    decompressor = _decompressor(kind)
    out = bytearray()
    while len(out) <= limit:
        room = limit + 1 - len(out)
        if hasattr(decompressor, "unconsumed_tail"):  # zlib
            data = decompressor.unconsumed_tail or stream.read(1024 * 1024)
        else:
            data = stream.read(1024 * 1024) if decompressor.needs_input else b""
        if not data and (hasattr(decompressor, "unconsumed_tail") or decompressor.needs_input):
            break
        out += decompressor.decompress(data, room)
        if decompressor.eof:
            break
    return bytes(out[:limit]), len(out) > limit


def _scan_compressed(blob: Blob, kind: str, budget: _Budget, scanner: Any) -> _Verdict:
    try:
        with blob.open() as stream:
            data, more = _inflate(stream, kind, budget.left)
    except (zlib.error, lzma.LZMAError, OSError, EOFError, ValueError):
        return _Verdict(None, problem=f"it is {kind}-compressed and could not be decompressed")
    return _scan_pickle(io.BytesIO(data), None, None, budget, scanner, cut=more)


def _file_verdicts(blob: Blob, ext: str, scanner: Any) -> list[_Verdict]:
    budget = _Budget(MAX_PICKLE_BYTES)
    with blob.open() as probe:
        head = probe.read(8)
    kind = next((k for magic, k in _COMPRESSED_MAGIC if head.startswith(magic)), None)
    if kind is not None and ext in _PICKLE_BY_NAME:
        return [_scan_compressed(blob, kind, budget, scanner)]
    if head.startswith(_ZIP_MAGIC):
        with _seekable(blob, whole=True) as (stream, _):
            return _scan_zip(stream, budget, scanner)
    with _seekable(blob, whole=False) as (stream, cut):
        if head.startswith(_NUMPY_MAGIC):
            found = _scan_numpy(stream, None, budget, scanner)
            return [found] if found is not None else []
        if ext in _PICKLE_BY_NAME or head.startswith(_PICKLE_MAGIC):
            return [_scan_pickle(stream, None, ext, budget, scanner, cut)]
    return []


def check_pickle_file(blob: Blob, ext: str) -> tuple[list[Match], list[str]]:
    """(matches, notes) for one pickle-type file. Reading errors raise OSError."""
    scanner = _scanner()
    if scanner is None:
        with blob.open() as probe:
            head = probe.read(8)
        if ext not in _PICKLE_BY_NAME and not head.startswith(_PICKLE_MAGIC + _ZIP_MAGIC):
            return [], []
        note = f"{blob.path}: pickle imports not checked (picklescan is not installed; it needs Python 3.11)"
        chunk = Chunk("pickle", ChunkKind.METADATA, line=None)
        return [make_match("pickle-unsafe-format", chunk, 0, 6, "pickle",
                           "pickle-based format: loading it can run code; prefer safetensors")], [note]
    verdicts = _file_verdicts(blob, ext, scanner)
    if not verdicts:
        return [], []
    notes = []
    if any(v.truncated for v in verdicts):
        notes.append(f"{blob.path}: only the first {MAX_PICKLE_BYTES // (1024 * 1024)} MB of pickle data were "
                     "checked for imports")
    matches = [_dangerous(v) for v in verdicts if v.dangerous]
    if not matches:
        matches = [_plain(verdicts, zipped=any(v.member is not None for v in verdicts))]
    return matches, notes


def _chunk(evidence: str, member: str | None) -> Chunk:
    return Chunk(evidence, ChunkKind.METADATA, line=None, location=f"member {member}" if member else None)


def _listed(names: list[str]) -> str:
    unique = list(dict.fromkeys(names))
    shown = ", ".join(unique[:_SHOWN_IMPORTS])
    return shown + (f" (+{len(unique) - _SHOWN_IMPORTS} more)" if len(unique) > _SHOWN_IMPORTS else "")


def _dangerous(verdict: _Verdict) -> Match:
    evidence = _listed(verdict.dangerous)
    chunk = _chunk(evidence, verdict.member)
    return make_match("pickle-dangerous-import", chunk, 0, len(evidence), evidence,
                      f"loading this pickle imports {evidence}, which can run commands or code; do not publish "
                      "it: re-save the weights as safetensors")


def _plain(verdicts: list[_Verdict], zipped: bool) -> Match:
    evidence = "pickle in a zip (PyTorch)" if zipped else "pickle"
    suspicious = [name for v in verdicts for name in v.suspicious]
    parts = ["pickle-based format: loading it can run code; prefer safetensors"]
    if suspicious:
        parts.append(f"it imports {_listed(suspicious)}, which the Hub's scanner does not know as safe")
    problems = [v.problem for v in verdicts if v.problem]
    if problems:
        parts.append(f"{problems[0]}: imports after that point were not checked")
    if any(v.truncated for v in verdicts):
        parts.append(f"only its first {MAX_PICKLE_BYTES // (1024 * 1024)} MB of pickle data were checked")
    member = next((v.member for v in verdicts if v.member), None)
    chunk = _chunk(evidence, member)
    return make_match("pickle-unsafe-format", chunk, 0, len(evidence), evidence, "; ".join(parts))
