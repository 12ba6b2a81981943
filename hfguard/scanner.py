"""The pipeline: blobs -> readers -> detectors -> policy -> Report.

Disk files are scanned in worker processes when there is enough to do (`--jobs`); blobs that
live in memory (git index, uploads) are scanned in this process.
"""
from __future__ import annotations

import functools
import io
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from hfguard.budget import BASE_SECONDS, BudgetExceeded, file_budget, time_budget
from hfguard.masking import longest_first, mask, redact, redact_ordered
from hfguard.models import (
    Blob,
    Category,
    Chunk,
    Detector,
    FileDetector,
    FileError,
    Finding,
    Match,
    Occurrence,
    Report,
    Severity,
)
from hfguard.policy.baseline import Baseline
from hfguard.policy.config import DEFAULT_CONFIG, Config
from hfguard.policy.judge import Policy
from hfguard.readers import READERS, LocatedChunk, ReadContext, Reader, ReaderError, choose_reader
from hfguard.readers.jsondata import JsonlState
from hfguard.report.progress import Progress
from hfguard.secrets.engine import SecretEngine, drop_covered
from hfguard.secrets.engine import preload as preload_secret_engine
from hfguard.secrets.rules import RuleSet, load_default_rules, parse_rule
from hfguard.sources.lfs import parse_pointer as parse_lfs_pointer
from hfguard.sources.lfs import pointer_note as lfs_pointer_note
from hfguard.sources.walk import open_regular, walk_and_stat, walk_in_background, walk_paths

if TYPE_CHECKING:
    # (imported where a pool is made: a scan in one process, the choice on a busy machine, does
    # without multiprocessing, ~4-8 ms of imports)
    from concurrent.futures import Future, ProcessPoolExecutor

    from hfguard.hygiene import HygieneDetector
from hfguard.split import Piece, PieceResult, plan, read_piece, using

HEAD_BYTES = 8192
MAX_MATCHES_PER_RULE = 1000  # per file; more are counted in a note, not kept in memory
PARALLEL_MIN_BYTES = 4 * 1024 * 1024  # below this, worker start-up costs more than it saves
# Characters of every file scanned whatever the budget says (only budget.hard_stop, meant for a
# runaway call, cuts them short): a small file's result does not depend on machine load.
GUARANTEED_CHARS = 256 * 1024
FINISH_MIN_SECONDS = 30.0  # PII results are completed after a stop, within this much at least
# What replaying a piece a worker read costs this process, as a share of reading it (measured on
# JSONL support tickets: 0.08 s against 0.23 s of CPU for 4 MB).
REPLAY_COST = 0.35




@dataclass(frozen=True)
class ScanOptions:
    config: Config = DEFAULT_CONFIG
    pii: bool = True
    jobs: int | None = None
    baseline_fingerprints: frozenset[str] = frozenset()  # report fingerprints that do not block
    baseline: Baseline | None = None  # a baseline file (hfguard.policy.baseline.load_baseline)
    max_rows: int | None = None
    # Seconds one file may take (plus budget.SECONDS_PER_MB per MB); None: no limit.
    file_time_budget: float | None = BASE_SECONDS


@dataclass
class FileResult:
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    bytes: int = 0
    binary: bool = False
    excluded: bool = False  # left out by the policy (the baseline file itself)
    notes: list[str] = field(default_factory=list)


_RULESETS: dict[tuple[object, ...], RuleSet] = {}


def build_ruleset(config: Config) -> RuleSet:
    """Default rules (unless extend_default = false), then the config's [[rules]]; a custom rule
    with the id of a default one replaces it (as in gitleaks). Disabled rules do not run.

    Cached by what it depends on: the scan, each forked worker (they inherit the parent's cache)
    and the report (SARIF rules, hints) compile custom rules once."""
    key = (config.extend_default, config.disable, config.source, repr(config.custom_rules))
    cached = _RULESETS.get(key)
    if cached is None:
        if len(_RULESETS) >= 32:  # a long-lived process (protect() in a notebook) with many configs
            _RULESETS.clear()
        cached = _RULESETS[key] = _build_ruleset(config)
    return cached


_ENGINES: dict[tuple[int, frozenset[Category]], tuple[RuleSet, SecretEngine]] = {}


def secret_engine(config: Config) -> SecretEngine:
    """The secret engine of this config's rules and categories, built once per process (its
    keyword automaton: ~20 us a rule) and inherited by forked workers, which built their own."""
    ruleset = build_ruleset(config)
    key = (id(ruleset), config.categories)
    cached = _ENGINES.get(key)
    if cached is None or cached[0] is not ruleset:
        if len(_ENGINES) >= 32:
            _ENGINES.clear()
        cached = _ENGINES[key] = (ruleset, SecretEngine(ruleset, config.categories))
    return cached[1]


def _build_ruleset(config: Config) -> RuleSet:
    base = load_default_rules()
    by_id = {r.id: r for r in base.rules} if config.extend_default else {}
    for entry in config.custom_rules:  # validated when the config was loaded
        rule = parse_rule(entry, config.source or "config", require_examples=False)
        by_id[rule.id] = rule
    rules = [r for r in by_id.values() if r.id not in config.disable]
    return RuleSet(tuple(rules), base.global_allowlist)


def _hygiene_detector(config: Config) -> HygieneDetector | None:
    """Imported only when the config wants hygiene checks (a secrets-only scan spares ~7 ms)."""
    if Category.HYGIENE not in config.categories:
        return None
    from hfguard.hygiene import make_detector

    return make_detector(config)


class FileScanner:
    """Everything needed to scan one blob; built once per process."""

    def __init__(self, options: ScanOptions) -> None:
        self.options = options
        self.config = options.config
        self.engine = secret_engine(options.config)
        self.policy = Policy(options.config, options.baseline_fingerprints, options.baseline)
        self._pii: Detector | None = None
        self._pii_loaded = False
        self.hygiene = _hygiene_detector(options.config)  # licence, cards, code, pickles
        # Told how many bytes of the current file were read (progress bar, in-process scans).
        self.on_progress: Callable[[int], None] | None = None
        # Processes (this one included) that scan one large file in pieces (hfguard.split); 1:
        # every file in one piece, in this process.
        self.split_jobs = 1
        self._pool: ProcessPoolExecutor | None = None
        self._workers = 0

    def close(self) -> None:
        """Stop the worker processes of split scans, if any were started."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def pii_detector(self) -> Detector | None:
        if not self._pii_loaded:
            self._pii_loaded = True
            wants = self.config.categories & {Category.PII, Category.HEALTH}
            if self.options.pii and wants:
                from hfguard.pii import make_detector

                self._pii = make_detector(self.config)
        return self._pii

    def scan_blob(self, blob: Blob) -> FileResult:
        result = FileResult()
        if self.policy.skips_path(blob.path):
            result.excluded = True
            return result
        reader_name = choose_reader(blob.path, None)
        if reader_name is None:
            result.binary = True
            self._check_pickles(blob, result)
            return result
        limit = self.config.max_file_size
        if limit is not None and blob.size is not None and blob.size > limit:
            # Fail closed: a file that was not read is an error (exit 2, uploads block), never a
            # note; leaving it out is a decision the config states (`exclude`).
            result.errors.append(FileError(blob.path, (
                f"{blob.size} bytes, larger than max_file_size ({limit} bytes): not scanned; raise "
                "max_file_size; to send it unscanned on purpose, add it to `exclude` in the config (that skips "
                "the scan, not the upload); to keep it out of an upload, use the upload's ignore_patterns / "
                "`hfguard upload --exclude`")))
            return result
        try:
            stream = blob.open()
            try:
                head = stream.read(HEAD_BYTES)
            except BaseException:
                stream.close()
                raise
        except OSError as exc:
            result.errors.append(FileError(blob.path, f"cannot read: {exc.strerror or type(exc).__name__}"))
            return result
        with stream:  # the reader's first open() gets it back at its start: one open per file
            return self._scan_head(blob, head, stream, result)

    def _scan_head(self, blob: Blob, head: bytes, stream: IO[bytes], result: FileResult) -> FileResult:
        pointer = parse_lfs_pointer(head)
        if pointer is not None:  # a clone made with GIT_LFS_SKIP_SMUDGE=1: not the format its name says
            result.notes.append(lfs_pointer_note(blob.path, pointer))
            return result
        reader_name = choose_reader(blob.path, head)
        if reader_name is None:
            result.binary = True
            return result
        reader = READERS[reader_name]
        pii = self.pii_detector()  # loaded before the clock starts: not this file's cost
        file_pii = pii.for_file(blob.path) if pii is not None else None
        file_pii = self.hygiene.along(blob.path, file_pii) if self.hygiene is not None else file_pii
        matches: list[Match] = []
        cap = _MatchCap(self.policy.blocks)
        budget = self.options.file_time_budget
        seconds = None if budget is None else file_budget(blob.size, budget)
        ctx = ReadContext(max_rows=self.options.max_rows, on_progress=self.on_progress)
        scan_secrets: Callable[[Chunk, str], list[Match]] = self.engine.scan
        pieces = self._plan(blob, reader_name, head)
        if pieces is not None:
            reader, scan_secrets = self._split_reader(reader_name, pieces, cap)
        read_from = blob if pieces is not None else _reopened(blob, stream, head)  # (pieces: a picklable blob)
        stopped = False
        try:
            with time_budget(seconds) as deadline:
                self._scan_chunks(read_from, head, reader, scan_secrets, file_pii, matches, cap, ctx, result,
                                  deadline.check)
        except BudgetExceeded:
            stopped = True
            # What was found before the stop is kept and reported (below); the file is listed as
            # not fully scanned, so the scan still fails closed.
            result.errors.append(FileError(blob.path, (
                f"scan stopped after {seconds or 0:.0f} s (per-file time budget) at {result.bytes} characters: "
                "not fully scanned; findings made before the stop are listed")))
        finally:
            if ctx.notes:
                ordered = longest_first(m.secret for m in matches)
                result.notes.extend(redact_ordered(note, ordered) or "" for note in ctx.notes)
        # stats.bytes counts bytes read from disk, as the upload guard logs them: a file read to its
        # end counts its size (its decoded text can be shorter: CSV's \r, quotes), else what was scanned.
        if not stopped and not result.errors and self.options.max_rows is None and blob.size is not None:
            result.bytes = blob.size
        if file_pii is not None:
            self._finish_pii(blob, file_pii, matches, cap, result, seconds)
        result.notes.extend(cap.notes(blob.path))
        self._to_findings(blob, matches, result)
        self._check_cap(blob, cap, result)
        return result

    def _scan_chunks(self, blob: Blob, head: bytes, reader: Reader, scan_secrets: Callable[[Chunk, str], list[Match]],
                     file_pii: FileDetector | None, matches: list[Match], cap: _MatchCap, ctx: ReadContext,
                     result: FileResult, check_time: Callable[[bool], None]) -> None:
        try:
            for chunk in reader(blob, head, ctx):
                result.bytes += len(chunk.text)
                cap.add(matches, scan_secrets(chunk, chunk.path or blob.path))
                if file_pii is not None:
                    cap.add(matches, file_pii.feed(chunk))
                # The clock is read after a chunk; in the part every file gets, only the hard stop
                # counts: what a scan finds at the start of a file does not depend on machine load.
                check_time(result.bytes < GUARANTEED_CHARS)
        except ReaderError as exc:
            result.errors.append(FileError(blob.path, redact(str(exc), (m.secret for m in matches)) or "unreadable"))
        except OSError as exc:
            result.errors.append(FileError(blob.path, f"cannot read: {exc.strerror or type(exc).__name__}"))
        except (UnicodeError, ValueError, RecursionError, MemoryError, OverflowError) as exc:
            result.errors.append(FileError(blob.path, f"could not be read ({type(exc).__name__})"))

    # --- one large file in pieces (hfguard.split) ----------------------------------------------

    def _plan(self, blob: Blob, reader_name: str, head: bytes) -> Iterator[Piece] | None:
        """Pieces when this file is large enough and worker processes are allowed (the detectors
        keep no state a piece could not be replayed into: no NER, whose budgets are per file)."""
        pii = self.pii_detector()
        if self.split_jobs < 2 or getattr(pii, "ner_enabled", False) or not isinstance(blob.open, functools.partial):
            return None
        try:
            stream = blob.open()
        except OSError:
            return None  # (the read says why)
        pieces = plan(reader_name, stream, head, blob.size, self.options.max_rows)
        # (no core to spare: a worker would only wait for one, and this process for the worker;
        # an explicit --jobs N is done as asked)
        if pieces is None or (self._pool is None and self.options.jobs is None and _spare_cores() < 1):
            stream.close()
            return None
        return _closing(pieces, stream)

    def _split_reader(
        self, reader_name: str, pieces: Iterator[Piece], cap: _MatchCap
    ) -> tuple[Reader, Callable[[Chunk, str], list[Match]]]:
        """A reader of the file's chunks in file order, and the secret scan to use on them: this
        process reads some pieces itself; worker processes read the others ahead (a few in
        flight: bounded memory), run the secret rules and rehearse the PII detector on them, and
        their chunks are replayed here with the matches and recogniser results they found. Which
        pieces are whose follows what each costs (REPLAY_COST), so all are done about together."""
        found: dict[int, list[Match]] = {}

        def scan_secrets(chunk: Chunk, path: str) -> list[Match]:
            known = found.pop(id(chunk), None)
            return self.engine.scan(chunk, path) if known is None else known

        def read(blob: Blob, head: bytes, ctx: ReadContext | None = None) -> Iterator[Chunk]:
            assert ctx is not None
            pool, workers = self._split_pool()
            total = JsonlState(blob.path, ctx)  # (JSON Lines: lines that were not JSON, ...)
            pending: deque[tuple[Piece, Future[PieceResult] | None]] = deque()  # None: read here
            # When this process would be done with the pieces so far, and each worker with its
            # own, in pieces' time: a piece is read here unless a worker would get it done (and
            # this process replay it) sooner.
            here, free = 0.0, [0.0] * workers
            try:
                for piece in pieces:
                    worker = free.index(min(free))
                    if max(here, free[worker] + 1.0) + REPLAY_COST < here + 1.0:
                        free[worker] += 1.0
                        here = max(here, free[worker]) + REPLAY_COST
                        pending.append((piece, pool.submit(_worker_piece, (reader_name, blob, head, piece))))
                    else:
                        here += 1.0
                        pending.append((piece, None))
                    while sum(future is not None for _, future in pending) >= 2 * workers:
                        yield from self._piece_chunks(reader_name, blob, head, ctx, total, *pending.popleft(), cap, found)
                while pending:
                    yield from self._piece_chunks(reader_name, blob, head, ctx, total, *pending.popleft(), cap, found)
                total.finish()
            finally:
                if pending:  # a stop (time budget, Ctrl-C, an error): workers may be mid-piece
                    self._discard_pool()

        return read, scan_secrets

    def _piece_chunks(self, reader_name: str, blob: Blob, head: bytes, ctx: ReadContext, total: JsonlState,
                      piece: Piece, future: Future[PieceResult] | None, cap: _MatchCap,
                      found: dict[int, list[Match]]) -> Iterator[Chunk]:
        if future is None:
            chunks, state = read_piece(reader_name, blob, head, piece, ctx)
            yield from chunks
            if state is not None:
                total.merge(state)
            return
        done = future.result()
        ctx.notes.extend(done.notes)
        if done.state is not None:
            total.merge(done.state)
        cap.count(done.dropped, done.unjudged)
        ctx.progress(sum(len(chunk.text) for chunk in done.chunks))
        with using(done.memo):
            for chunk, matches in zip(done.chunks, done.secrets):
                found[id(chunk)] = matches
                yield chunk
        if done.error is not None:
            raise done.error

    def scan_piece(self, reader_name: str, blob: Blob, head: bytes, piece: Piece) -> PieceResult:
        """A worker's part of a split scan: read the piece, run the secret rules on its chunks and
        feed them to a PII detector of its own, only to record what the recognisers return."""
        ctx = ReadContext()
        chunks, state = read_piece(reader_name, blob, head, piece, ctx)
        done = PieceResult(state=state, notes=ctx.notes)
        cap = _MatchCap(self.policy.blocks)
        pii = self.pii_detector()
        rehearsal = pii.for_file(blob.path) if pii is not None else None
        with using(done.memo):
            try:
                for chunk in chunks:
                    kept: list[Match] = []
                    cap.add(kept, self.engine.scan(chunk, chunk.path or blob.path))
                    done.chunks.append(chunk)
                    done.secrets.append(kept)
                    if rehearsal is not None:
                        try:
                            rehearsal.feed(chunk)
                        except (UnicodeError, ValueError, RecursionError, MemoryError, OverflowError, LookupError):
                            # the replay meets it again, and reports it
                            rehearsal = None
            except (ReaderError, OSError, UnicodeError, ValueError, RecursionError, MemoryError, OverflowError) as exc:
                done.error = exc
        done.dropped, done.unjudged = cap.dropped, cap.unjudged
        return done

    def _split_pool(self) -> tuple[ProcessPoolExecutor, int]:
        """The worker processes (and how many): split_jobs - 1 with an explicit --jobs, else one per
        core to spare, at most split_jobs - 1."""
        if self._pool is None:
            import multiprocessing

            if self.pii_detector() is not None:
                from hfguard.pii.recognizers import warm_up

                warm_up()  # here, once: the forked workers inherit it

            context = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
            asked = self.split_jobs - 1
            self._workers = asked if self.options.jobs is not None else max(1, min(asked, _spare_cores()))
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(
                self._workers, mp_context=context, initializer=_worker_init, initargs=(self.options,)
            )
        return self._pool, self._workers

    def _discard_pool(self) -> None:
        if self._pool is not None:
            _stop_pool(self._pool)
            self._pool = None

    def _finish_pii(self, blob: Blob, file_pii: FileDetector, matches: list[Match], cap: _MatchCap,
                    result: FileResult, seconds: float | None) -> None:
        """Flush the PII detector's pending and grouped results (columns, files full of emails),
        also after a stop: they are findings already made. Under a budget of its own."""
        grace = None if seconds is None else max(FINISH_MIN_SECONDS, seconds / 2)
        try:
            with time_budget(grace):
                cap.add(matches, file_pii.finish())
        except BudgetExceeded:
            result.errors.append(FileError(blob.path, (
                f"personal data results could not be completed within {grace or 0:.0f} s: not fully scanned")))
            return
        except (ValueError, RecursionError, MemoryError, LookupError) as exc:  # a stop left it half-fed
            result.errors.append(FileError(blob.path, f"personal data results could not be completed ({type(exc).__name__})"))
            return
        result.notes.extend(getattr(file_pii, "notes", list)())  # PII: how much text NER saw

    def _check_cap(self, blob: Blob, cap: _MatchCap, result: FileResult) -> None:
        """Matches over the cap were never judged: fail closed unless the file already blocks on
        that rule (then the kept ones say enough)."""
        blocking = {f.rule for f in result.findings if f.blocking}
        for rule, count in sorted(cap.unjudged.items()):
            if rule not in blocking:
                result.errors.append(FileError(blob.path, (
                    f"{count} match(es) of {rule} past the first {MAX_MATCHES_PER_RULE} were not checked "
                    "(the first ones were all allowed): not fully scanned")))

    def _check_pickles(self, blob: Blob, result: FileResult) -> None:
        """Pickle-type files are binary to the readers: the hygiene checks list what loading them
        would import (a bounded part of each file is read)."""
        if self.hygiene is None or not self.hygiene.checks_binary(blob.path):
            return
        try:
            matches, notes = self.hygiene.check_binary(blob)
        except OSError as exc:
            result.errors.append(FileError(blob.path, f"cannot read: {exc.strerror or type(exc).__name__}"))
            return
        result.notes.extend(notes)
        self._to_findings(blob, matches, result)

    def _to_findings(self, blob: Blob, matches: list[Match], result: FileResult) -> None:
        seen: set[tuple[str, int | None, int | None, int | None, str | None, str]] = set()
        # A value found anywhere in this file never shows in full in another field (a JSON key
        # path, a CSV column name, a message).
        secrets = longest_first(m.secret for m in matches if m.category is not Category.HYGIENE)
        for match in drop_covered(matches):  # an "email" that is part of a token: the token
            if not self.policy.wanted(match):
                continue
            line, column = locate(match.chunk, match.start)
            row, field_name, location = match.chunk.row, match.chunk.field, match.chunk.location
            if isinstance(match.chunk, LocatedChunk):  # a column of values, a notebook cell
                where = match.chunk.where(match.start)
                line, column, row, field_name, location = where.line, where.column, where.row, where.field, where.location
            path = match.chunk.path or blob.path  # an archive member: data.zip!train/notes.txt
            fp = self.policy.fingerprint(match.rule_id, match.secret, path)
            key = (match.rule_id, line, column, row, field_name, fp)
            if key in seen:  # overlap between streamed pieces
                continue
            seen.add(key)
            if blob.location_prefix:
                location = f"{blob.location_prefix}, {location}" if location else blob.location_prefix
            location = redact_ordered(location, secrets)
            reason = self.policy.suppression(match, path, fp)
            finding = Finding(
                rule=match.rule_id,
                category=match.category,
                severity=match.severity,
                path=path,
                line=line,
                column=column,
                cell=match.chunk.cell,
                row=row,
                field=redact_ordered(field_name, secrets),
                location=location,
                # Hygiene evidence (a licence id, a call, a pickle import) is not secret: shown as is.
                preview=(redact_ordered(match.secret, secrets) or "") if match.category is Category.HYGIENE
                else mask(match.secret),
                fingerprint=fp,
                blocking=reason is None and self.policy.blocks(match.severity),
                message=redact_ordered(match.message, secrets),
                suppressed=reason,
                count=match.count,
                occurrences=occurrences(match.places, secrets) if match.count is not None else None,
            )
            (result.suppressed if reason else result.findings).append(finding)


class _MatchCap:
    """Keep at most MAX_MATCHES_PER_RULE matches of one rule in one file: a file with millions of
    hits (a dump of credentials) must not exhaust memory; the rest are counted in a note."""

    def __init__(self, blocks: Callable[[Severity], bool]) -> None:
        self.blocks = blocks
        self.kept: dict[str, int] = {}
        self.dropped: dict[str, int] = {}
        self.unjudged: dict[str, int] = {}  # dropped matches whose severity would block

    def add(self, matches: list[Match], new: list[Match]) -> None:
        for match in new:
            kept = self.kept.get(match.rule_id, 0)
            if kept < MAX_MATCHES_PER_RULE:
                self.kept[match.rule_id] = kept + 1
                matches.append(match)
            else:
                self.dropped[match.rule_id] = self.dropped.get(match.rule_id, 0) + 1
                if self.blocks(match.severity):
                    self.unjudged[match.rule_id] = self.unjudged.get(match.rule_id, 0) + 1

    def count(self, dropped: dict[str, int], unjudged: dict[str, int]) -> None:
        """Matches another process dropped (a piece of this file, hfguard.split)."""
        for rule, n in dropped.items():
            self.dropped[rule] = self.dropped.get(rule, 0) + n
        for rule, n in unjudged.items():
            self.unjudged[rule] = self.unjudged.get(rule, 0) + n

    def notes(self, path: str) -> list[str]:
        return [
            f"{path}: {count} more match(es) of {rule} not listed (over {MAX_MATCHES_PER_RULE} in one file)"
            for rule, count in sorted(self.dropped.items())
        ]


def occurrences(places: tuple[tuple[Chunk, int], ...] | None, secrets: tuple[str, ...]) -> tuple[Occurrence, ...]:
    """Where each value of a grouped match is (as a finding's own fields say it). Places come in
    order, those of one chunk together and by offset: each chunk's text is walked once."""
    if not places:
        return ()
    found: list[Occurrence] = []
    fields: dict[str | None, str | None] = {}
    i = 0
    while i < len(places):
        chunk = places[i][0]
        j = i + 1
        while j < len(places) and places[j][0] is chunk:
            j += 1
        for line, column, row, field_name in _locate_all(chunk, [offset for _, offset in places[i:j]]):
            if field_name not in fields:
                fields[field_name] = redact_ordered(field_name, secrets)
            found.append(Occurrence(line, column, row, chunk.cell, fields[field_name]))
        i = j
    return tuple(found)


def _locate_all(chunk: Chunk, offsets: list[int]) -> Iterator[tuple[int | None, int | None, int | None, str | None]]:
    """(line, column, row, field) of each offset into one chunk, as `locate` and
    LocatedChunk.where give them, counting the chunk's newlines once (offsets ascending)."""
    text = chunk.text
    newlines, pos = 0, 0
    located = chunk if isinstance(chunk, LocatedChunk) else None
    for offset in offsets:
        if offset < pos:  # out of order: count afresh
            newlines, pos = 0, 0
        newlines += text.count("\n", pos, offset)
        pos = offset
        if located is not None:
            if located.index is not None and located.starts is None:
                begin = text.rfind("\n", 0, offset) + 1
                end = text.find("\n", offset)
                where = located.index.where(newlines, offset - begin, text[begin : end if end >= 0 else len(text)])
            else:
                where = located.where(offset)
            yield where.line, where.column, where.row, where.field
            continue
        yield *_line_column(chunk, offset, newlines), chunk.row, chunk.field


def locate(chunk: Chunk, offset: int) -> tuple[int | None, int | None]:
    """File line and column of chunk.text[offset]."""
    return _line_column(chunk, offset, chunk.text.count("\n", 0, offset))


def _line_column(chunk: Chunk, offset: int, newlines: int) -> tuple[int | None, int | None]:
    """File line and column of chunk.text[offset], `newlines` being the newlines before it."""
    if chunk.line is None:
        return None, None
    line_start = chunk.text.rfind("\n", 0, offset) + 1
    column = (offset - line_start + 1) if newlines else (chunk.column + offset)
    if chunk.line_map is not None:
        return chunk.line_map[min(newlines, len(chunk.line_map) - 1)], column
    return chunk.line + newlines, column


def disk_blob(shown: str, disk_path: str) -> Blob:
    try:
        size: int | None = os.stat(disk_path).st_size
    except OSError:
        size = None
    # open_regular never blocks on a FIFO, never reads a device; a partial can be sent to a
    # worker process (a piece of a large file, hfguard.split)
    return Blob(shown, functools.partial(open_regular, disk_path), size)


# --- orchestration --------------------------------------------------------------------------

_WORKER: FileScanner | None = None


def _worker_init(options: ScanOptions) -> None:
    global _WORKER
    # Ctrl-C is the parent's to handle: it stops the pool; workers print no tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER = FileScanner(options)


def _worker_piece(task: tuple[str, Blob, bytes, Piece]) -> PieceResult:
    assert _WORKER is not None
    return _WORKER.scan_piece(*task)


def _usable_cores() -> int:
    """The cores this process may run on (its CPU affinity), else the machine's."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _spare_cores() -> int:
    """Cores that no other process keeps busy, by the 1-minute load average (as `make -l` and
    `xargs -P` users judge it), besides the one this process runs on. A split scan replays the
    workers' pieces in order: on a machine with no core to spare it costs more than it saves
    (measured at load 5 on 2 cores: 3.8 s against 2.4 s in one process). The load average counts
    the last minute's work, a scan's own run before this one included: half a core of it is taken
    as free (on 2 cores at load 0.7, the 21 MB tickets file: 1.21 s split against 1.36 s; at load
    1.4-1.9, 1.10-1.31 s against 1.28-1.36 s)."""
    try:
        load = os.getloadavg()[0]
    except OSError:  # (not on every platform)
        return 1
    return int(_usable_cores() - load + 0.5)


# CPU a scan in several processes spends on top of one process's (forks, the walk's child,
# batches sent back and forth): on the 32 MB tree 0.75 s against 0.65 s at load 10.
PARALLEL_OVERHEAD = 0.15


def tree_jobs() -> int:
    """Processes for a scan of files and folders when --jobs is not given: as many as make it
    finish soonest on this machine now (choose_jobs), by what else is runnable now.

    Linux shares the CPU between sessions (autogroups) before processes: a session with one
    runnable process gets as much as one with ten. So a second process of ours helps only when a
    core would otherwise stay idle or our own session has other runnable work (a busy loop
    started beside the scan). On 2 cores, the 32 MB tree: at load 10 from other sessions, one
    process 1.63 s against two 2.26 s; with a busy loop in the scan's session on top, two 3.4 s
    against one 3.8 s; on an idle machine two 0.39 s against one ~0.6 s."""
    cores = _usable_cores()
    if cores < 2:
        return 1
    sampled_at, running = _RUNNING_AT_IMPORT
    if running == 0 and time.monotonic() - sampled_at < 1.0:
        # Nothing else ran when the command started (a moment ago): a process that is runnable
        # now and was not then is more likely a passing one (a shell's git status) than load.
        return cores
    own, others = runnable_elsewhere()
    return choose_jobs(cores, own, list(others.values()))


def _running_others() -> int | None:
    """Runnable tasks on the machine besides this process (/proc/loadavg), None if unknown."""
    try:
        with open("/proc/loadavg", "rb") as f:
            return int(f.read().split()[3].split(b"/")[0]) - 1  # (this process is running)
    except (OSError, ValueError, IndexError):
        return None


# When this module is imported (a command's start), for tree_jobs: two looks at the machine a
# few milliseconds apart tell sustained load from a process passing by.
_RUNNING_AT_IMPORT = (time.monotonic(), _running_others())


def runnable_elsewhere() -> tuple[int, dict[int, int]]:
    """(runnable processes in this session besides this one, session id -> its runnable
    processes for the other sessions), from /proc; (0, {}) when nothing else runs or /proc
    cannot tell; runnable threads or processes /proc does not list count as session -1."""
    running = _running_others()
    if running is None or running <= 0:
        return 0, {}
    me, session = os.getpid(), os.getsid(0)
    own = 0
    sessions: dict[int, int] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return 0, {-1: running}
    for name in names:
        if not name.isdigit() or int(name) == me:
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                data = f.read()
            fields = data[data.rindex(b")") + 2 :].split(b" ", 4)
            if fields[0] != b"R":
                continue
            sid = int(fields[3])
        except (OSError, ValueError, IndexError):  # gone meanwhile, or not ours to read
            continue
        if sid == session:
            own += 1
        else:
            sessions[sid] = sessions.get(sid, 0) + 1
    counted = own + sum(sessions.values())
    if running > counted:  # threads, or processes /proc does not show: one more session
        sessions[-1] = running - counted
    return own, sessions


def choose_jobs(cores: int, own: int, others: list[int], overhead: float = PARALLEL_OVERHEAD) -> int:
    """The number of processes (1..cores) that scans fastest when the CPU is shared fairly
    between sessions (each session's share split between its runnable processes), this session
    running `own` other runnable processes and each other session the number in `others`; more
    than one process costs `overhead` more CPU. Ties: fewer processes."""
    best, best_speed = 1, 0.0
    for jobs in range(1, cores + 1):
        share = _fair_share(cores, [min(cores, n) for n in others], own + jobs)
        speed = min(jobs, share * jobs / (own + jobs)) / (1 + overhead if jobs > 1 else 1)
        if speed > best_speed + 1e-9:
            best, best_speed = jobs, speed
    return best


def _fair_share(capacity: float, others: list[int], ours: int) -> float:
    """Our session's CPU when `capacity` cores are split evenly between sessions, a session
    that wants less than its part (one core a runnable process) leaving the rest to the others."""
    demands = sorted([*others, ours])
    mine = ours
    left, groups = capacity, len(demands)
    for demand in demands:
        part = left / groups
        if demand < part:
            left -= demand
            groups -= 1
            if demand == mine:
                return float(demand)
        else:
            break
    return min(float(mine), left / groups)


def _reopened(blob: Blob, stream: IO[bytes], head: bytes) -> Blob:
    """`blob`, whose first open() returns `stream` (opened to read the head) at its start instead
    of opening the file again (~6 us a file: 2,996 files of the 32 MB tree, 17 ms of CPU), or the
    head itself when a file's buffered read of it reached the end (2,182 of those files: no more
    system calls); later calls open afresh. A stream that cannot seek is not reused."""
    if len(head) < HEAD_BYTES and isinstance(stream, io.BufferedReader):
        kept: list[IO[bytes]] = [io.BytesIO(head)]  # (read(n) of a buffered file: n bytes or all)
    elif stream.seekable():
        kept = [stream]
    else:
        return blob

    def open_() -> IO[bytes]:
        if kept:
            again = kept.pop()
            again.seek(0)
            return again
        return blob.open()

    return Blob(blob.path, open_, blob.size, blob.location_prefix, blob.commit)


def _closing(pieces: Iterator[Piece], stream: IO[bytes]) -> Iterator[Piece]:
    with stream:
        yield from pieces


def _worker_scan(batch: list[tuple[str, str]]) -> list[FileResult]:
    assert _WORKER is not None
    return [_safe_scan(_WORKER, disk_blob(shown, disk)) for shown, disk in batch]


def _safe_scan(scanner: FileScanner, blob: Blob) -> FileResult:
    try:
        return scanner.scan_blob(blob)
    except ReaderError as exc:
        return FileResult(errors=[FileError(blob.path, str(exc))])
    except (OSError, UnicodeError, ValueError, RecursionError, MemoryError) as exc:
        return FileResult(errors=[FileError(blob.path, f"could not be scanned ({type(exc).__name__})")])


def _merge(report: Report, result: FileResult) -> None:
    report.findings.extend(result.findings)
    report.suppressed.extend(result.suppressed)
    report.errors.extend(result.errors)
    report.stats.bytes += result.bytes
    report.stats.notes.extend(result.notes)
    if result.binary:
        report.stats.skipped_binary += 1
    elif not result.excluded:
        report.stats.files += 1


def _batches(files: list[tuple[str, str]], sizes: list[int], target_bytes: int) -> Iterator[list[tuple[str, str]]]:
    batch: list[tuple[str, str]] = []
    total = 0
    for item, size in zip(files, sizes):
        batch.append(item)
        total += size
        if total >= target_bytes or len(batch) >= 256:
            yield batch
            batch, total = [], 0
    if batch:
        yield batch


def scan_disk(paths: list[str], options: ScanOptions, progress: Progress | None = None) -> Report:
    """Scan files and folders; `progress` (a bar on stderr) is told what is done as it goes."""
    started = time.perf_counter()
    try:
        return _scan_disk(paths, options, progress, started)
    finally:
        if progress is not None:
            progress.close()


def _scan_disk(paths: list[str], options: ScanOptions, progress: Progress | None, started: float) -> Report:
    config = options.config
    root = str(config.root or os.getcwd())
    jobs = options.jobs or tree_jobs()
    # A folder is walked by a child process while this one builds the rules and, when the walk
    # is still going (a large tree: workers to come), loads what they inherit (issue 15).
    walk = walk_in_background(paths, config.exclude, config.include, root, walk_paths) if jobs > 1 else None
    if walk is not None:
        try:
            engine = secret_engine(config)
            if Category.SECRET in config.categories and walk.running():
                preload_secret_engine()
                engine.precompile(walk.running)  # while the walk lasts: the worker inherits them
        finally:
            walked, sizes = walk.result()
    else:
        walked, sizes = walk_and_stat(paths, config.exclude, config.include, root, walk_paths)
    report = Report()
    report.errors.extend(walked.errors)
    report.stats.notes.extend(walked.notes)  # symlinks and special files inside folders, not read
    total = sum(sizes)
    if progress is not None:
        progress.start(len(walked.files), total)
    if jobs > 1 and total >= PARALLEL_MIN_BYTES and len(walked.files) > 1:
        # ~32 batches per worker: the last ones finish close together (a 2-core scan of 100 MB
        # otherwise waits ~0.1 s on one worker's last big batch); pickling them costs little.
        target = max(256 * 1024, min(4 * 1024 * 1024, total // (jobs * 32) + 1))
        import multiprocessing

        context = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
        # Rules compiled and detect-secrets imported once, here, before the fork: the workers
        # inherit them. (Building them in every process after the fork saves no time, this
        # process builds them before it scans either way, and cost ~0.09 s of CPU per worker.)
        secret_engine(config)
        if Category.SECRET in config.categories:
            preload_secret_engine()
        # This process scans too (jobs - 1 workers): it would otherwise wait idle, and each worker
        # costs a fork, imports and an engine of its own.
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(jobs - 1, mp_context=context, initializer=_worker_init, initargs=(options,))
        try:
            _scan_shared(pool, walked.files, sizes, target, options, report, progress)
        except BaseException:  # Ctrl-C or a dead worker: stop now, do not finish the queue
            _stop_pool(pool)
            raise
        pool.shutdown()
    else:
        scanner = FileScanner(options)
        scanner.split_jobs = jobs  # a large file is scanned in pieces by this many processes
        if progress is not None:
            scanner.on_progress = progress.advance
        try:
            for (shown, disk), size in zip(walked.files, sizes):
                if progress is not None:
                    progress.file_started(shown)
                _merge(report, _safe_scan(scanner, disk_blob(shown, disk)))
                if progress is not None:
                    progress.file_done(shown, size)
        finally:
            scanner.close()
    _finish(report, started)
    return report



def _scan_shared(pool: ProcessPoolExecutor, files: list[tuple[str, str]], sizes: list[int], target: int,
                 options: ScanOptions, report: Report, progress: Progress | None) -> None:
    """Every batch goes to the pool; this process takes batches from the end of the queue while
    no worker has started them (a cancelled future), so both ends meet in the middle. Results are
    merged in batch order whoever scanned them."""
    batches = list(_batches(files, sizes, target))
    size_of = dict(zip(files, sizes))
    futures = [pool.submit(_worker_scan, batch) for batch in batches]
    own: dict[int, list[FileResult]] = {}
    reported = 0  # batches before this one have been shown on the progress bar

    def show(upto: int) -> int:
        while upto < len(batches) and (upto in own or futures[upto].done()):
            if progress is not None:
                for item in batches[upto]:
                    progress.file_done(item[0], size_of[item])
            upto += 1
        return upto

    scanner = FileScanner(options)
    for i in range(len(batches) - 1, 0, -1):  # the first batch is always the pool's
        if not futures[i].cancel():
            break
        own[i] = [_safe_scan(scanner, disk_blob(shown, disk)) for shown, disk in batches[i]]
        reported = show(reported)
    for i, batch in enumerate(batches):
        results = own[i] if i in own else futures[i].result()
        for result in results:
            _merge(report, result)
        if progress is not None and i >= reported:
            for item in batch:
                progress.file_done(item[0], size_of[item])


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop the workers now (not after the batches they hold), then the pool."""
    terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14
    if terminate is not None:
        terminate()
    else:  # before shutdown(), which forgets the processes
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


def scan_blobs(blobs: Iterable[Blob], options: ScanOptions) -> Report:
    """Scan blobs that are not plain files on disk (git index, commits, uploads), in-process."""
    started = time.perf_counter()
    scanner = FileScanner(options)
    report = Report()
    for blob in blobs:
        _merge(report, _safe_scan(scanner, blob))
    _finish(report, started)
    return report


def _finish(report: Report, started: float) -> None:
    report.findings.sort(key=lambda f: (f.path, f.line or 0, f.row or 0, f.column or 0, f.rule))
    report.suppressed.sort(key=lambda f: (f.path, f.line or 0, f.row or 0, f.column or 0, f.rule))
    report.errors.sort(key=lambda e: e.path)
    report.stats.seconds = time.perf_counter() - started
