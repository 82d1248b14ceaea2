"""Cell text → state, value and unit, keeping the raw text.

A report's cell is one of five states (domain.md §1), and the difference matters to every rule:

========  ======================================  ===============================================
state     typical raw text                        value
========  ======================================  ===============================================
NUMERIC   ``123``, ``1,234``, ``１２３``, ``251000元``   the number (money in 万元)
ZERO      ``0``, ``0件``, ``零``                    0
EMPTY     ``''``, spaces, ``&nbsp;``               none: *missing*, never silently 0
NA        ``/``, ``-``, ``—``, ``——``, ``无``, ``不适用``  none: "not applicable"
TEXT      ``详见附表``, ``略``, a date                none: not a number where one belongs
========  ======================================  ===============================================

:func:`parse_cell` is the only place that reads cell text. It accepts full-width digits,
thousands separators, spaces and no-break spaces inside numbers, a unit suffix (``件``, ``条``,
``元``, ``万元`` …) and, for signed cells, ``+3``, ``-2``, ``增2``, ``减1``. Money cells are
normalised to 万元 (``251000元`` → 25.1) and the note says so; the raw text is never changed.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    NUMERIC = "NUMERIC"
    ZERO = "ZERO"
    EMPTY = "EMPTY"
    NA = "NA"
    TEXT = "TEXT"


STATES = tuple(s.value for s in State)

_BLANK_CHARS = "\u00a0\u3000\u2002\u2003\u2009\u200b\ufeff\t\r\n "
_NA_TOKENS = {"/", "-", "--", "—", "——", "―", "――", "─", "──", "－", "-", "无", "不适用", "n/a", "na", "\\",
              "/ ", "—-", "-—", "─-"}
_ZERO_WORDS = {"零", "〇"}
_UNITS = ("万元", "亿元", "元", "人次", "件", "条", "次", "篇", "个", "人", "项", "期", "家", "份", "场", "天")
_MONEY_SCALE = {"万元": 1.0, "元": 1e-4, "亿元": 1e4}
_SIGN_WORDS = (("增加", 1), ("减少", -1), ("增", 1), ("减", -1), ("+", 1), ("-", -1))
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_GROUPED = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


@dataclass(frozen=True)
class ParsedCell:
    """What a cell's text means. ``unit`` is the unit written in the text itself ('' if none)."""

    state: State
    value: float | None
    unit: str = ""
    note: str = ""

    @property
    def is_number(self) -> bool:
        return self.state in (State.NUMERIC, State.ZERO)


@functools.lru_cache(maxsize=131072)
def clean(raw: str | None) -> str:
    """The text with surrounding white space (incl. no-break and full-width spaces) and ``&nbsp;`` removed."""
    if raw is None:
        return ""
    s = str(raw).replace("&nbsp;", " ").replace("&#160;", " ")
    return s.strip(_BLANK_CHARS)


@functools.lru_cache(maxsize=65536)
def parse_cell(raw: str | None, money: bool = False, signed: bool = False) -> ParsedCell:
    """Read one cell's text.

    >>> parse_cell("１,２３４件")
    ParsedCell(state=<State.NUMERIC: 'NUMERIC'>, value=1234.0, unit='件', note='')
    >>> parse_cell("251000元", money=True).value
    25.1
    >>> parse_cell("减1", signed=True).value
    -1.0
    >>> parse_cell("——").state, parse_cell("  ").state
    (<State.NA: 'NA'>, <State.EMPTY: 'EMPTY'>)
    """
    s = clean(raw)
    if not s:
        return ParsedCell(State.EMPTY, None)
    t = unicodedata.normalize("NFKC", s)
    compact = re.sub(r"[\s\u00a0\u3000]+", "", t)
    if compact.lower() in _NA_TOKENS or set(compact) <= set("-—―─/\\－"):
        return ParsedCell(State.NA, None)
    if compact in _ZERO_WORDS:
        return ParsedCell(State.ZERO, 0.0)

    sign, body = 1, compact
    for word, sgn in _SIGN_WORDS:
        if body.startswith(word) and len(body) > len(word):
            sign, body = sgn, body[len(word):]
            break
    unit = ""
    for u in _UNITS:
        if body.endswith(u) and len(body) > len(u):
            unit, body = u, body[: -len(u)]
            break
    if _GROUPED.match(body):
        body = body.replace(",", "")
    if not _NUMBER.match(body):
        return ParsedCell(State.TEXT, None)

    value = float(body) * sign
    note = ""
    if money and unit in _MONEY_SCALE and unit != "万元":
        value = round(value * _MONEY_SCALE[unit], 6)
        note = f"{s} → {value:g}万元"
    if value == 0:
        return ParsedCell(State.ZERO, 0.0, unit, note)
    if sign < 0 and not signed:
        note = (note + "; " if note else "") + "negative value in a cell that cannot be negative"
    return ParsedCell(State.NUMERIC, value, unit, note)
