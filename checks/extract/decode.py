"""Report bytes → text: UTF-8 (with or without BOM), UTF-16 (with or without BOM), GB18030/GBK.

Line ends are normalised to ``\\n`` so that line numbers match what an editor shows; nothing
else in the text is changed (tabs, full-width and no-break spaces are part of the layout).

A file cut off inside a multi-byte character (a download that stopped, a page truncated by
bytes) is read up to the cut and the cut is reported (:attr:`Decoded.cut`: line and byte
offset); the extractor flags it as X-15. A file that is not text in any of these encodings is
refused with the line and byte where it stops being text in the encoding it got furthest in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from checks.formats import InputError

_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_TAIL = 4
"""A multi-byte character is at most 4 bytes: an error this close to the end is a cut, not bad bytes."""


@dataclass
class Decoded:
    text: str
    encoding: str
    cut: tuple[int, int] | None = None     # (line, byte offset in the file) where the file was cut off mid-character


def _cut_at_end(data: bytes, enc: str) -> int | None:
    """Where a cut inside the last character starts, if decoding fails only there."""
    try:
        data.decode(enc)
        return None
    except UnicodeDecodeError as e:
        if e.start >= len(data) - _TAIL and e.end >= len(data) - 1:
            try:
                data[: e.start].decode(enc)
                return e.start
            except UnicodeDecodeError:
                return None
        return None


def _try(data: bytes, enc: str) -> tuple[str | None, int | None, UnicodeDecodeError | None]:
    """(text, cut offset or None, error): text when ``data`` decodes, allowing a cut at the very end."""
    try:
        return data.decode(enc), None, None
    except UnicodeDecodeError as e:
        cut = _cut_at_end(data, enc)
        if cut is not None:
            return data[:cut].decode(enc), cut, None
        return None, None, e


def _utf16_without_bom(data: bytes) -> tuple[str, int | None] | None:
    """UTF-16 text without a BOM: every other byte is NUL in CJK/ASCII-heavy text."""
    if len(data) < 4 or data.count(0) < len(data) // 8:
        return None
    even, odd = data[0::2].count(0), data[1::2].count(0)
    enc = "utf-16-le" if odd > even else "utf-16-be"
    text, cut, _ = _try(data, enc)
    return None if text is None else (text, cut)


def _where(data: bytes, offset: int) -> tuple[int, int]:
    """(1-based line, 1-based byte in that line) of ``offset``."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


def decode_report(data: bytes, path: str | Path = "") -> Decoded:
    """Decode a report file's bytes; raises InputError if it is not text."""
    if not data.strip(b" \t\r\n\x00"):
        raise InputError(path, "the file is empty")
    text = enc = None
    cut = None
    for bom, name in _BOMS:
        if data.startswith(bom):
            text, c, err = _try(data[len(bom):], name)
            if text is None:
                line, col = _where(data, err.start + len(bom))
                raise InputError(path, f"the file starts with a {name} byte-order mark but is not {name} "
                                       f"(bad byte 0x{data[err.start + len(bom)]:02x} at line {line}, byte {col}; "
                                       f"offset {err.start + len(bom)})", line) from None
            cut = None if c is None else c + len(bom)
            enc = name + ("-sig" if name == "utf-8" else "")
            break
    if text is None:
        got = _utf16_without_bom(data)
        if got is not None:
            (text, cut), enc = got, "utf-16"
    if text is None:
        if b"\x00" in data:
            line, col = _where(data, data.index(b"\x00"))
            raise InputError(path, f"not a text file (it contains NUL bytes, the first at line {line}, byte {col}): "
                                   "save the report as text or HTML", line)
        errors = []
        for name in ("utf-8", "gb18030"):
            text, cut, err = _try(data, name)
            if text is not None:
                enc = name
                break
            errors.append((err.start, name))
        else:
            # name the place where the file stops being text in the encoding it is most likely in
            offset, name = max(errors)
            line, col = _where(data, offset)
            raise InputError(path, f"not UTF-8, UTF-16 or GB18030 text: byte 0x{data[offset]:02x} at line {line}, "
                                   f"byte {col} (offset {offset}) is not {name}", line)
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    bad = len(_CONTROL.findall(text, 0, 4000))
    if bad > 20:
        raise InputError(path, f"not a text file ({bad} control characters in its first 4000 characters)")
    return Decoded(text, enc, None if cut is None else (_where(data, cut)[0], cut))


def decode(data: bytes, path: str | Path = "") -> tuple[str, str]:
    """Decode a report file's bytes. Returns (text, encoding name); raises InputError if it is not text."""
    d = decode_report(data, path)
    return d.text, d.encoding
