"""Report bytes → text: UTF-8 (with or without BOM), UTF-16 (with or without BOM), GB18030/GBK.

Line ends are normalised to ``\\n`` so that line numbers match what an editor shows; nothing
else in the text is changed (tabs, full-width and no-break spaces are part of the layout).
"""

from __future__ import annotations

import re
from pathlib import Path

from checks.formats import InputError

_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without a BOM: every other byte is NUL in CJK/ASCII-heavy text."""
    if len(data) < 4 or data.count(0) < len(data) // 8:
        return None
    even, odd = data[0::2].count(0), data[1::2].count(0)
    enc = "utf-16-le" if odd > even else "utf-16-be"
    try:
        return data.decode(enc)
    except UnicodeDecodeError:
        return None


def decode(data: bytes, path: str | Path = "") -> tuple[str, str]:
    """Decode a report file's bytes. Returns (text, encoding name); raises InputError if it is not text."""
    if not data.strip(b" \t\r\n\x00"):
        raise InputError(path, "the file is empty")
    text = enc = None
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                text, enc = data[len(bom):].decode(name), name + ("-sig" if name == "utf-8" else "")
            except UnicodeDecodeError as e:
                raise InputError(path, f"the file starts with a {name} byte-order mark but is not {name} "
                                       f"(bad bytes at offset {e.start + len(bom)})") from None
            break
    if text is None:
        text = _utf16_without_bom(data)
        enc = "utf-16" if text is not None else None
    if text is None:
        if b"\x00" in data:
            raise InputError(path, "not a text file (it contains NUL bytes): save the report as text or HTML")
        for name in ("utf-8", "gb18030"):
            try:
                text, enc = data.decode(name), name
                break
            except UnicodeDecodeError as e:
                err = e
        else:
            line = data[: err.start].count(b"\n") + 1
            raise InputError(path, f"not UTF-8, UTF-16 or GB18030 text (byte 0x{data[err.start]:02x} at "
                                   f"offset {err.start})", line)
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    bad = len(_CONTROL.findall(text, 0, 4000))
    if bad > 20:
        raise InputError(path, f"not a text file ({bad} control characters in its first 4000 characters)")
    return text, enc
