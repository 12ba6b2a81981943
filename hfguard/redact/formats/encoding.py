"""The text encoding of a file, kept on the way out: the scan's own choice (readers.text.
detect_encoding: a BOM, UTF-16 with or without one, else UTF-8), decoded so that every byte
round-trips (UTF-8 with surrogateescape: undecodable bytes come back as they were)."""
from __future__ import annotations

import codecs

from hfguard.readers.text import detect_encoding


def sniff(head: bytes) -> str:
    """The scan's encoding for a file starting with `head`; UTF-16 with a BOM is named by its
    byte order, so the BOM is read as a character and written back as it was."""
    encoding = detect_encoding(head)
    if encoding == "utf-16":
        return "utf-16-be" if head.startswith(codecs.BOM_UTF16_BE) else "utf-16-le"
    return encoding


def errors_for(encoding: str) -> str:
    """How undecodable bytes are read and written back (UTF-8: as they were)."""
    return "surrogateescape" if encoding.startswith("utf-8") else "strict"


def newline_of(head: bytes, encoding: str = "utf-8") -> str:
    text = head.decode(encoding, "ignore")
    return "\r\n" if "\r\n" in text else "\n"
