"""The one error type users see, and the exit codes it maps to (see DESIGN.md)."""
from __future__ import annotations

EXIT_OK = 0
EXIT_BLOCKING = 1
EXIT_USAGE = 2  # usage or config error, or a file that could not be scanned
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


class HfguardError(Exception):
    """A problem the user can fix (bad flag, bad config, missing model): exit code 2.

    Messages must never contain a secret value.
    """

    exit_code = EXIT_USAGE
