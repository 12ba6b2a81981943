"""A one-line progress bar on stderr for long scans: files and bytes done, the current file.

Drawn at most a few times a second, only where the CLI decides a person is watching (stderr is a
terminal); cleared when the scan ends so the report starts on a clean line.
"""
from __future__ import annotations

import shutil
import time
from typing import TextIO

REDRAW_SECONDS = 0.2
SHOW_AFTER_SECONDS = 0.5  # quick scans never show a bar


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


class Progress:
    def __init__(self, stream: TextIO, total_files: int = 0, total_bytes: int = 0) -> None:
        self.stream = stream
        self.total_files = total_files
        self.total_bytes = total_bytes
        self.files = 0
        self.bytes = 0
        self.current = ""
        self.current_bytes = 0
        self._started = time.monotonic()
        self._last = 0.0
        self._shown = False

    def start(self, total_files: int, total_bytes: int) -> None:
        self.total_files, self.total_bytes = total_files, total_bytes

    def file_started(self, path: str) -> None:
        self.current = path
        self.current_bytes = 0
        self._draw()

    def advance(self, nbytes: int) -> None:
        """More bytes of the current file were read."""
        self.current_bytes += nbytes
        self._draw()

    def file_done(self, path: str, size: int, files: int = 1) -> None:
        self.files += files
        self.bytes += size
        self.current = path
        self.current_bytes = 0
        self._draw()

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and (now - self._started < SHOW_AFTER_SECONDS or now - self._last < REDRAW_SECONDS):
            return
        self._last = now
        done = min(self.bytes + self.current_bytes, self.total_bytes) if self.total_bytes else self.bytes
        share = done / self.total_bytes if self.total_bytes else 0.0
        width = 20
        filled = int(share * width)
        bar = "#" * filled + "-" * (width - filled)
        line = (f"[{bar}] {share:4.0%} {self.files}/{self.total_files} files, "
                f"{_mb(done)}/{_mb(self.total_bytes)}")
        columns = shutil.get_terminal_size((100, 20)).columns
        if self.current:
            room = columns - len(line) - 3
            if room > 10:
                name = self.current if len(self.current) <= room else "\u2026" + self.current[-(room - 1):]
                line += f"  {name}"
        self.stream.write("\r" + line[: columns - 1] + "\x1b[K")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
