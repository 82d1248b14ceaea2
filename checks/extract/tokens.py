"""Source step: a report's text or HTML → one stream of tokens.

A token is one piece of text as the page delimits it, with its line (and HTML grid column) and the
separator that came before it. Text lines are split on the separators real pages use, as evidence
of where one cell ends and the next begins:

* ``|``: ``| a | b |``, ``|a|b|``, ``a | b |``, a cell per line ending in `` |``, ``|`` alone on a
  line between cells; the field between two ``|`` is a token even when empty (an EMPTY cell), a
  markdown ``|---|---|`` line is skipped;
* TAB: ``label<TAB>unit<TAB>value``; a leading TAB is a line prefix (one cell per line after a TAB),
  a line holding only a TAB is an EMPTY cell;
* runs of two or more spaces (PDF text with aligned columns);
* a single space before trailing values (PDF text: ``一、本年新收…数量 12 3 - - 1 0 16``): the
  value-like words at the end of a line are tokens of their own;
* blank lines: where a table puts each cell on its own line with one blank line between cells,
  each further pair of blank lines is an EMPTY cell.

HTML: every ``<td>``/``<th>`` of every table is a token (span copies are not; their grid column is
kept), text outside tables is split like text lines. A token's ``text`` is never stripped: it is
the cell's raw text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from checks.cells import State, clean, parse_cell

BLANKS = " \t\u3000\u00a0\r\n\u200b\ufeff\u2002\u2003\u2009"

# separator before a token
NL, TAB, PIPE, BAR, SPACES, SPACE, CELL, ROW, GLUE = "nl", "tab", "pipe", "bar", "spaces", "space", "cell", "row", "glue"

UNIT_WORDS = frozenset({"条", "件", "次", "篇", "个", "人", "人次", "万元", "元", "项", "期", "份", "场", "家",
                        "件次", "天", "亿元"})
_MD_RULE = re.compile(r"^\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?$")
_SPACES = re.compile(r"[ \u3000\u00a0]{2,}")


@dataclass(slots=True)
class Token:
    text: str               # raw text, as delimited
    line: int               # 1-based source line (HTML: the line of its <tr>)
    sep: str = NL           # separator before it
    col: int = -1           # HTML grid column (span-expanded), -1 for text
    table: int = -1         # HTML table index, -1 for text
    own: bool = True        # False: a placeholder with no text of its own


def value_like(text: str) -> bool:
    """A cell that reads as a number, zero or not-applicable (what a value place may hold)."""
    s = clean(text)
    if not s or len(s) > 24:
        return False
    return _state(s) in (State.NUMERIC, State.ZERO, State.NA)


_STATE_CACHE: dict[str, State] = {}


def _state(s: str) -> State:
    st = _STATE_CACHE.get(s)
    if st is None:
        if len(_STATE_CACHE) > 200_000:
            _STATE_CACHE.clear()
        st = _STATE_CACHE[s] = parse_cell(s, False, True).state
    return st


def _trailing_values(field: str) -> list[str]:
    """``label 12 3 - 0`` → [``label``, ``12``, ``3``, ``-``, ``0``]; other text → [field]."""
    s = field.rstrip(BLANKS)
    if " " not in s.strip(BLANKS):
        return [field]
    words = s.split()
    k = len(words)
    while k > 0 and (value_like(words[k - 1]) or words[k - 1] in UNIT_WORDS):
        k -= 1
    if k == 0 and len(words) >= 2:
        return words                # a line of values only (PDF: section 四's one data row)
    if k == len(words) or k == 0:
        return [field]
    head = " ".join(words[:k])
    if value_like(head):
        return [field]
    return [head, *words[k:]]


@functools.lru_cache(maxsize=65536)
def _split_line(line: str) -> tuple[tuple[str, str], ...] | None:
    """A line → ((separator, field), …), or None for a line that is not content (a markdown rule).
    Memoised: the same lines (labels, headers, rules) recur in every report."""
    s = line.rstrip("\r\n")
    if "｜" in s:
        s = s.replace("｜", "|")           # a full-width bar separates cells as ``|`` does
    st = s.strip(BLANKS)
    if "|" in st:
        if _MD_RULE.match(st):
            return None
        fields = s.split("|")
        if st.startswith("|"):
            fields = fields[1:]
        if st.endswith("|"):
            fields = fields[:-1]
        if fields and fields[0].startswith("\t"):
            fields[0] = fields[0][1:]
        return tuple((PIPE if i else NL, f) for i, f in enumerate(fields))
    if "\t" in s:
        # a leading TAB is a line prefix on a one-cell line (a cell per line after a TAB); on a line with
        # more TABs it ends an empty first cell
        t = s[1:] if s.startswith("\t") and s.count("\t") == 1 else s
        return tuple((TAB if i else NL, f) for i, f in enumerate(t.split("\t")))
    core = st
    if _SPACES.search(core):
        parts = [p for p in _SPACES.split(core) if p]
        out: list[tuple[str, str]] = []
        for i, p in enumerate(parts):
            for j, q in enumerate(_trailing_values(p)):
                out.append((NL if i == j == 0 else (SPACES if j == 0 else SPACE), q))
        return tuple(out)
    return tuple((NL if j == 0 else SPACE, q) for j, q in enumerate(_trailing_values(s)))


def text_tokens(lines: list[str], linenos: list[int] | None = None) -> list[Token]:
    """Tokens of text lines (a text report, or the text blocks of an HTML page)."""
    nos = range(1, len(lines) + 1) if linenos is None else linenos
    blank_gap = None            # _blank_cell_gap(lines), worked out when a run of blank lines asks
    out: list[Token] = []
    add = out.append
    split = _split_line
    after_bar = False
    closed = True               # the last cell was closed by a ``|`` (a lone ``|`` now is an EMPTY cell)
    blanks = 0
    for no, line in zip(nos, lines):
        st = line.strip(BLANKS)
        if not st and "\t" not in line:
            if line.strip(" \r\n"):
                # a line of only no-break or full-width spaces (``<p>&nbsp;</p>`` copied): an EMPTY cell
                add(Token(line.rstrip("\r\n"), no, NL))
                blanks = 0
                continue
            blanks += 1
            continue
        if blanks >= 3 and out and (blank_gap if blank_gap is not None else (blank_gap := _blank_cell_gap(lines))):
            for _ in range((blanks - 1) // 2):
                add(Token("", no, NL, own=False))
        blanks = 0
        if st in ("|", "｜"):
            if closed:
                add(Token("", no, BAR, own=False))
            closed = after_bar = True
            continue
        fields = split(line)
        if fields is None:
            continue
        closed = st.endswith("|")
        if after_bar:
            for sep, f in fields:
                add(Token(f, no, BAR if sep == NL else sep))
            after_bar = False
        else:
            for sep, f in fields:
                add(Token(f, no, sep))
    return out


def _blank_cell_gap(lines: list[str]) -> bool:
    """True when short one-cell lines are mostly separated by exactly one blank line (a cell per
    line with blank lines between cells): then extra blank lines stand for EMPTY cells."""
    one = two = 0
    prev_short = False
    gap = 0
    for line in lines:
        st = line.strip(BLANKS)
        if not st and "\t" not in line:
            gap += 1
            continue
        short = len(st) <= 40 and "\t" not in line and "|" not in st and not _SPACES.search(st)
        if short and prev_short:
            if gap == 1:
                one += 1
            elif gap == 0:
                two += 1
        prev_short = short
        gap = 0
    return one >= 20 and one > 2 * two


def html_tokens(doc, grid_rows) -> list[Token]:
    """Tokens of an HTML page: table cells (no span copies) and the text outside tables."""
    items: list[tuple[int, int, list[Token]]] = []
    seq = 0
    for ti, rows in enumerate(grid_rows):
        for r in rows:
            toks = []
            first = True
            for c in r.cells:
                if c.span:
                    continue
                toks.append(Token(c.text, c.line, ROW if first else CELL, c.col, ti))
                first = False
            items.append((r.line, seq, toks))
            seq += 1
    for line, text in doc.texts:
        for sub in text.split("\n"):
            items.append((line, seq, text_tokens([sub], [line])))
            seq += 1
    items.sort(key=lambda x: (x[0], x[1]))
    return [t for _, _, toks in items for t in toks]
