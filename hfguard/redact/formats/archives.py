"""Zip and tar archives (`.tar.gz` and the like through the compressed wrapper): members the
scan found something blocking in are redacted by the handler of their own format, the others
copied as they are; member order, names, dates, modes and compression are kept. A finding in a
member of a nested archive, or in a member no handler writes, makes the archive an error."""
from __future__ import annotations

import functools
import os
import shutil
import tarfile
import tempfile
import zipfile
import zlib
from typing import IO

from hfguard.redact.formats import FormatError, Job, Outcome, detail

COPY = 1024 * 1024
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def redact_archive(job: Job) -> Outcome:
    if job.redactor.plan.rules is None:  # the scan reported errors: a member unread, a bomb
        raise FormatError("the archive could not be scanned whole, so it is not redacted (extract it first)")
    with job.src() as stream:
        head = stream.read(4)
    if head.startswith(_ZIP_MAGIC):
        if not job.seekable:
            raise FormatError("a compressed zip archive cannot be redacted (decompress it first)")
        return _zip(job)
    return _tar(job)


def _members(job: Job) -> set[str]:
    """The members the scan found something blocking in (nested archives: an error)."""
    from hfguard.readers.archive import SEPARATOR

    prefix = job.redactor.path + SEPARATOR
    names: set[str] = set()
    for finding in job.redactor.findings:
        if not finding.blocking:
            continue
        if not finding.path.startswith(prefix):
            raise FormatError("a finding outside the archive's members")
        name = finding.path[len(prefix):]
        if SEPARATOR in name:
            raise FormatError(f"{name.split(SEPARATOR)[0]}: a nested archive holds a finding (extract it first)")
        names.add(name)
    return names


def _redact_member(job: Job, name: str, src: IO[bytes], outcome: Outcome) -> IO[bytes]:
    """The member redacted into a temporary file (rewound; the caller closes it)."""
    from hfguard.readers import choose_reader
    from hfguard.readers.archive import SEPARATOR
    from hfguard.redact.formats import handlers

    path = job.redactor.path + SEPARATOR + name
    fd, spool = tempfile.mkstemp(prefix="hfguard-redact-member-")
    out = tempfile.TemporaryFile()  # noqa: SIM115 (returned open; the caller closes it)
    try:
        with os.fdopen(fd, "wb") as raw:
            shutil.copyfileobj(src, raw, COPY)
        with open(spool, "rb") as head:
            reader = choose_reader(path, head.read(8192))
        handler = handlers().get(reader or "binary")
        if handler is None or reader in ("archive", "compressed"):
            raise FormatError(f"{name}: {reader or 'binary'} members cannot be redacted (extract the archive first)")
        member = job.redactor.member(path)
        part = handler(Job(functools.partial(_open, spool), out, member, True, job.notebook_outputs))
        job.redactor.absorb(member, name)
        outcome.dropped_columns.extend(f"{name}: {c}" for c in part.dropped_columns)
        outcome.cleared_outputs += part.cleared_outputs
        outcome.notes.extend(f"{name}: {n}" for n in part.notes)
    except BaseException:
        out.close()
        raise
    finally:
        os.unlink(spool)
    out.seek(0)
    return out


def _open(path: str) -> IO[bytes]:
    return open(path, "rb")  # the handler closes it


def _zip(job: Job) -> Outcome:
    outcome = Outcome()
    todo = _members(job)
    with job.src() as stream:
        try:
            zin = zipfile.ZipFile(stream)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise FormatError(f"not a readable zip archive: {detail(exc)}") from None
        try:
            with zin, zipfile.ZipFile(job.dst, "w") as zout:  # type: ignore[arg-type,unused-ignore]
                zout.comment = zin.comment
                for info in zin.infolist():
                    new = zipfile.ZipInfo(info.filename, info.date_time)
                    new.compress_type, new.comment = info.compress_type, info.comment
                    new.external_attr, new.create_system = info.external_attr, info.create_system
                    if info.is_dir():
                        zout.writestr(new, b"")
                        continue
                    if info.flag_bits & 0x1:
                        raise FormatError(f"{info.filename}: encrypted member")
                    with zin.open(info) as src:
                        if info.filename in todo:
                            with _redact_member(job, info.filename, src, outcome) as body, \
                                    zout.open(new, "w", force_zip64=True) as dst:
                                shutil.copyfileobj(body, dst, COPY)
                        else:
                            with zout.open(new, "w", force_zip64=info.file_size >= 2**31) as dst:
                                shutil.copyfileobj(src, dst, COPY)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, zlib.error) as exc:
            raise FormatError(f"zip archive could not be rewritten: {detail(exc)}") from None
    return outcome


def _tar(job: Job) -> Outcome:
    outcome = Outcome()
    todo = _members(job)
    with job.src() as stream:
        try:
            tin = tarfile.open(fileobj=stream, mode="r|")  # noqa: SIM115 (closed below)
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise FormatError(f"not a readable tar archive: {detail(exc)}") from None
        try:
            with tarfile.open(fileobj=job.dst, mode="w|", format=tin.format or tarfile.PAX_FORMAT) as tout:
                for info in tin:
                    source = tin.extractfile(info) if info.isfile() else None
                    if source is not None and info.name in todo:
                        with _redact_member(job, info.name, source, outcome) as body:
                            body.seek(0, 2)
                            info.size = body.tell()
                            body.seek(0)
                            tout.addfile(info, body)
                    else:
                        tout.addfile(info, source)
        except (tarfile.TarError, EOFError, zlib.error) as exc:
            raise FormatError(f"tar archive could not be rewritten: {detail(exc)}") from None
        finally:
            tin.close()
    return outcome
