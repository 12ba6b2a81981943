"""A progress bar on stderr for long scans: bytes done, files done, the current file.

Drawn by `tqdm` (what huggingface_hub uses for its own bars), only where the caller decides a
person is watching (the CLI: stderr is a terminal), after SHOW_AFTER_SECONDS so quick scans
never show one, and cleared when the scan ends so the report starts on a clean line.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from tqdm import tqdm

REDRAW_SECONDS = 0.2
SHOW_AFTER_SECONDS = 0.5  # quick scans never show a bar


class Progress:
    """Told by the scanner what is done; `start` before the first file, `close` at the end."""

    def __init__(self, stream: TextIO, total_files: int = 0, total_bytes: int = 0) -> None:
        self.stream = stream
        self.total_files = total_files
        self.total_bytes = total_bytes
        self.files = 0
        self.current = ""
        self._counted = 0  # bytes of the current file already given to the bar
        self._bar: tqdm[Any] | None = None

    def start(self, total_files: int, total_bytes: int) -> None:
        from tqdm import tqdm  # here, not at import: importing the scanner does not pay for tqdm

        self.total_files, self.total_bytes = total_files, total_bytes
        self._bar = tqdm(total=total_bytes, unit="B", unit_scale=True, unit_divisor=1000,
                         file=self.stream, delay=SHOW_AFTER_SECONDS, mininterval=REDRAW_SECONDS,
                         leave=False, dynamic_ncols=True, miniters=1,
                         bar_format="{percentage:3.0f}%|{bar:20}|{postfix}")
        self._describe()

    def _describe(self) -> None:
        if self._bar is not None:
            name = self.current if len(self.current) <= 60 else "\u2026" + self.current[-59:]
            self._bar.set_postfix_str(f"{self.files}/{self.total_files} files  {name}", refresh=False)

    def file_started(self, path: str) -> None:
        self.current = path
        self._counted = 0
        self._describe()

    def advance(self, nbytes: int) -> None:
        """More bytes of the current file were read."""
        self._counted += nbytes
        if self._bar is not None:
            self._bar.update(nbytes)

    def file_done(self, path: str, size: int, files: int = 1) -> None:
        self.files += files
        self.current = path
        self._describe()
        if self._bar is not None:
            self._bar.update(max(0, size - self._counted))
        self._counted = 0

    def close(self) -> None:
        if self._bar is not None:
            shown = self._bar.n > 0 and not getattr(self._bar, "disable", True) and self._bar.last_print_t > self._bar.start_t
            self._bar.close()
            self._bar = None
            if shown:  # tqdm cleared its line (leave=False); make sure the cursor is at its start
                self.stream.write("\r\x1b[K")
                self.stream.flush()
