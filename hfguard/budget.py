"""Per-file time budget: a pathological file is stopped and reported, never hangs the scan.

Two layers. The scanner checks `Deadline.expired()` between chunks (works everywhere, threads
included). Where it is safe, the main thread of a process with no SIGALRM handler or timer of its
own, a real-time timer also interrupts a single call that runs far too long (`hard_stop`; CPython's
regex engine checks for signals, so even a catastrophic custom rule is stopped). Either way the
findings made before the stop are kept.
"""
from __future__ import annotations

# _signal: the C functions behind `signal.signal`/`getsignal`, the same handlers without the
# module's conversions to and from its Handlers enum (which go through a ValueError for a function
# handler): a file's timer cost ~7 us, ~20 ms of CPU over the 2,996 files of the 32 MB tree.
import _signal  # type: ignore[import-not-found,unused-ignore]
import signal
import threading
import time
from typing import Any

BASE_SECONDS = 120.0  # every file gets this much...
SECONDS_PER_MB = 2.0  # ...plus this much per MB of its size (a floor of 0.5 MB/s)


class BudgetExceeded(BaseException):
    """Raised inside the scan of one file when its budget is spent.

    A BaseException so that a reader's broad `except Exception` fallback cannot swallow it.
    """


def file_budget(size: int | None, base: float = BASE_SECONDS) -> float:
    return base + SECONDS_PER_MB * (size or 0) / 1e6


class Deadline:
    """`end`: the budget; `hard_end`: the hard stop (see hard_stop), also between chunks."""

    def __init__(self, seconds: float | None) -> None:
        now = time.monotonic()
        self.end = None if seconds is None else now + seconds
        self.hard_end = None if seconds is None else now + hard_stop(seconds)

    def expired(self) -> bool:
        return self.end is not None and time.monotonic() >= self.end

    def check(self, guaranteed: bool = False) -> None:
        """Raise BudgetExceeded when the budget is spent; `guaranteed`: the caller is still in the
        part of a file that is scanned whatever the load, so only the hard stop counts."""
        limit = self.hard_end if guaranteed else self.end
        if limit is not None and time.monotonic() >= limit:
            raise BudgetExceeded()


def hard_stop(seconds: float) -> float:
    """When the timer interrupts a single call: later than the deadline checked between chunks
    (twice it, at least half a second more), so a slow but sane file ends at a chunk boundary with
    its findings so far, and only a runaway call is cut."""
    return max(2 * seconds, seconds + 0.5)


def _can_use_alarm() -> bool:
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return False
    handler = _signal.getsignal(signal.SIGALRM)
    if not isinstance(handler, int) or handler != _signal.SIG_DFL:
        return False  # someone else's handler: leave it alone
    return signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def _on_alarm(signum: int, frame: Any) -> None:
    raise BudgetExceeded()


def time_budget(seconds: float | None) -> _TimeBudget:
    """A Deadline for the block (`with time_budget(s) as deadline`); also a hard stop by SIGALRM
    where that is safe."""
    return _TimeBudget(seconds)


class _TimeBudget:
    """time_budget's context manager (a class: less per file than a generator's)."""

    __slots__ = ("armed", "previous", "seconds")

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.previous: Any = None
        self.armed = False

    def __enter__(self) -> Deadline:
        deadline = Deadline(self.seconds)
        if self.seconds is None or not _can_use_alarm():
            return deadline
        self.previous = _signal.signal(signal.SIGALRM, _on_alarm)
        self.armed = True
        signal.setitimer(signal.ITIMER_REAL, hard_stop(self.seconds))
        return deadline

    def __exit__(self, *exc: object) -> None:
        if not self.armed:
            return
        self.armed = False
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:  # an alarm already pending may raise here: still restore the handler
            _signal.signal(signal.SIGALRM, self.previous)
