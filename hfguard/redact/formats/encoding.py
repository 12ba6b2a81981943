"""The text encoding of a file, kept on the way out: a BOM says it, else UTF-8 if the head
decodes as UTF-8, else Latin-1 (every byte round-trips)."""
from __future__ import annotations

import codecs

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def sniff(head: bytes) -> str:
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


def newline_of(head: bytes) -> str:
    return "\r\n" if b"\r\n" in head else "\n"
