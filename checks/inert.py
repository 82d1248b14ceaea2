"""Invisible characters from report text made visible: the one neutralisation every output uses.

Report text comes from outside websites. Right-to-left overrides and isolates (U+202A–202E,
U+2066–2069, U+200E/F, U+061C), zero-width characters (U+200B–200D, U+2060, U+FEFF), other
invisible format characters and control characters can reorder or hide what a reader sees (an
agency name that displays as something else, a number that reads backwards). Every output applies
the same rule, defined here once:

* human-facing outputs (our HTML site, the GX Data Docs we build, the console, CSV, XLSX, JUnit,
  Markdown) show each such character as a visible escape, ``‹U+202E›`` (:func:`reveal`);
* JSON keeps the data exactly, with these characters written as ``\\u202e`` escapes so that no
  viewer renders them raw (:func:`json_dumps`).

Line feeds and tabs are left alone (each output has its own rule for line breaks).
"""

from __future__ import annotations

import json
import re
from typing import Any

INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]")
"""Control characters (but tab and line feed), soft hyphen, bidi marks, embeddings, overrides and
isolates, zero-width characters, line/paragraph separators, word joiner and invisible operators,
the byte-order mark, interlinear annotation and tag characters."""


def _visible(m: re.Match) -> str:
    return f"‹U+{ord(m.group()):04X}›"


def reveal(text: Any) -> Any:
    """``text`` with every invisible or reordering character shown as ``‹U+XXXX›``; anything that is
    not a string is returned as it is."""
    if not isinstance(text, str):
        return text
    return INVISIBLE.sub(_visible, text)


def reveal_all(data: Any) -> Any:
    """:func:`reveal` applied to every string in nested dicts, lists and tuples."""
    if isinstance(data, str):
        return reveal(data)
    if isinstance(data, dict):
        return {reveal_all(k): reveal_all(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [reveal_all(v) for v in data]
    return data


def _escaped(m: re.Match) -> str:
    c = ord(m.group())
    if c <= 0xFFFF:
        return f"\\u{c:04x}"
    c -= 0x10000                                    # a tag character: a UTF-16 surrogate pair, as JSON spells it
    return f"\\u{0xD800 + (c >> 10):04x}\\u{0xDC00 + (c & 0x3FF):04x}"


def json_dumps(data: Any, **kwargs: Any) -> str:
    """``json.dumps`` with Chinese kept readable (``ensure_ascii=False``) but every invisible or
    reordering character written as a ``\\uXXXX`` escape: the data stays exact when parsed back.

    With only ``indent`` (an int) given, the text is built by :func:`_indented` (the same text as
    ``json.dumps``, whose indented output runs in pure Python and is several times slower)."""
    if kwargs.keys() <= {"indent"} and isinstance(kwargs.get("indent"), int) and kwargs["indent"] >= 0:
        parts: list[str] = []
        _indented(data, "\n" + " " * kwargs["indent"], "\n", parts)
        return INVISIBLE.sub(_escaped, "".join(parts))
    kwargs.setdefault("ensure_ascii", False)
    kwargs.setdefault("default", str)
    return INVISIBLE.sub(_escaped, json.dumps(data, **kwargs))


_encode_str = json.encoder.encode_basestring            # the C function when available, as json.dumps uses


def _scalar(v: Any) -> str | None:
    """A JSON scalar as ``json.dumps`` writes it (``ensure_ascii=False``), None for containers and others."""
    if isinstance(v, str):
        return _encode_str(v)
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return int.__repr__(v)
    if isinstance(v, float):
        if v != v:
            return "NaN"
        if v in (float("inf"), float("-inf")):
            return "Infinity" if v > 0 else "-Infinity"
        return float.__repr__(v)
    return None


def _key(k: Any) -> str:
    if isinstance(k, str):
        return _encode_str(k)
    if isinstance(k, (bool, int, float)) or k is None:
        return _encode_str(_scalar(k))
    raise TypeError(f"keys must be str, int, float, bool or None, not {k.__class__.__name__}")


def _indented(v: Any, step: str, nl: str, out: list[str]) -> None:
    """Append ``json.dumps(v, ensure_ascii=False, default=str, indent=…)`` to ``out``: ``step`` is a
    newline and one indent, ``nl`` a newline and the current indent."""
    s = _scalar(v)
    if s is not None:
        out.append(s)
        return
    inner = nl + step[1:]
    if isinstance(v, dict):
        items = [_key(k) + ": " + _value(x, step, inner) for k, x in v.items()]
        out.append("{" + inner + ("," + inner).join(items) + nl + "}" if items else "{}")
    elif isinstance(v, (list, tuple)):
        items = [_value(x, step, inner) for x in v]
        out.append("[" + inner + ("," + inner).join(items) + nl + "]" if items else "[]")
    else:
        _indented(str(v), step, nl, out)


def _value(x: Any, step: str, nl: str) -> str:
    s = _scalar(x)
    if s is None:
        parts: list[str] = []
        _indented(x, step, nl, parts)
        s = "".join(parts)
    return s
