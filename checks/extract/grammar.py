"""Alignment of a token stream to a template's rows, and assembly of the values into cells.

1. **Classify** each token once: EMPTY, VALUE (a number, zero or not-applicable), UNIT (``件``),
   STRUCT (a title, heading, column header, row group or footer of the template), LABEL (text that
   may name a row), NARRATIVE (a sentence). A LABEL that names no row but ends in a value glued to
   it (``政府网站公开政府信息数426``, ``一、主动公开情况——492``) is split there.
2. **Candidates**: every LABEL token, and every run of two or three adjacent label tokens (a label
   wrapped over lines or cells, a group cell before its row), scored against the rows by
   :meth:`~checks.extract.lexicon.Lexicon.match`. A table without row labels (section 四) is
   anchored at its header.
3. **Alignment**: the chain of candidates increasing in both stream position and template order
   with the best total score (dynamic programming); consecutive rows earn a bonus, skipped rows and
   long gaps cost. So a missing, extra, misspelt or repeated row never shifts the rest, and a label
   that also occurs in the narrative is not taken for the table's.
4. **Assembly**: the values of a row are the value tokens between its label and the next row
   (or the first heading, unknown label or sentence). A row with as many values as the table has
   columns maps them in order (after dropping padding EMPTYs beyond that count); a grid whose header
   names its columns in another order maps by header. What cannot be mapped is an issue with its
   line: X-03 (values under no row of the template), X-13 (a row with too few or too many cells),
   X-02 (the table stops before its last row and the page ends: the page was cut off).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from checks.cells import clean
from checks.extract.lexicon import FOOTER, Lexicon, Struct, key, numbered
from checks.extract.model import Issue
from checks.extract.tokens import BAR, BLANKS, CELL, GLUE, PIPE, SPACES, TAB, UNIT_WORDS, Token, value_like

EMPTY, VALUE, UNIT, STRUCT, LABEL, NARR = range(6)
_TRAIL_NUM = re.compile(r"[0-9０-９][0-9０-９,，.．]*$")
_CONT_VALUE = re.compile(r"^([(（].*[)）])\s*([0-9０-９][0-9０-９,，.．]*)$")
_TRAIL_DASH = re.compile(r"[—\-－―─]+$")
_GLUE_UNITS = ("人次", "万元", "亿元", "件次", "条", "件", "次", "篇", "个", "人", "元", "项", "期", "份", "场")
_SAME_ROW = frozenset({TAB, PIPE, CELL, SPACES})
_SUBTOTALS = frozenset({"小计", "合计", "共计", "总计", "其中", "备注"})
_FAR, _FAR_COST = 60, 0.5   # a row more than 60 tokens after the previous one costs (narrative between)
_SHORT_TEXT = 6            # a text this short after a label is a value (详见附表, 略), not a row


@dataclass(slots=True)
class Anchor:
    start: int
    end: int                # inclusive
    slot: int
    score: float
    label: str


@dataclass
class RowRead:
    """One template row as read: its label as written, its line and its value tokens."""

    slot: int
    label: str
    line: int
    values: list[Token]
    unit: Token | None = None
    source: str | list[Token] = ""      # the row's text as read, or its tokens (joined when asked for)

    @property
    def text(self) -> str:
        """The row's tokens as read, `` | ``-joined (for the messages of its issues)."""
        if not isinstance(self.source, str):
            self.source = " | ".join(clean(x.text) for x in self.source)
        return self.source


@dataclass
class Alignment:
    rows: dict[int, RowRead] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    score: float = 0.0
    closed: bool = False            # the table ends before the page does (footer or text after it)
    first_line: int = 0
    last_line: int = 0
    last_token: int = -1
    col_labels: dict[int, list[str]] = field(default_factory=dict)
    col_map: dict[int, list[int]] = field(default_factory=dict)
    tables: set[int] = field(default_factory=set)       # HTML tables the rows were read from
    seps: Counter = field(default_factory=Counter)     # separators seen in the table (layout diagnostic)


def _is_continuation(s: str) -> bool:
    return bool(s) and s[0] in "(（" and not numbered(s) and len(s) <= 60


class Grammar:
    def __init__(self, lex: Lexicon):
        self.lex = lex
        self._kinds: dict[str, tuple[int, object]] = {}
        self._glue: dict[str, tuple[str, str, str] | None] = {}

    # ------------------------------------------------------------------ 1. classify
    def kind(self, text: str) -> tuple[int, object]:
        hit = self._kinds.get(text)
        if hit is None:
            if len(self._kinds) > 200_000:
                self._kinds.clear()
            hit = self._kinds[text] = self._kind(text)
        return hit

    def _kind(self, text: str) -> tuple[int, object]:
        s = clean(text)
        if not s:
            return EMPTY, None
        if value_like(s):
            return VALUE, None
        if s in UNIT_WORDS:
            return UNIT, None
        if len(s) > 150 or ("。" in s and len(s) > 20):
            return NARR, None
        m = self.lex.match(s)
        st = self.lex.structure(s)
        if st is not None and not m:
            return STRUCT, st
        if len(s) >= 40 and not m:
            return NARR, None
        return LABEL, st

    def refine(self, toks: list[Token]) -> list[Token]:
        """Split values glued to a label (``…信息数426``, ``…情况——492``, ``…费用万元0``)."""
        return self._refine(toks)[0]

    def _refine(self, toks: list[Token]) -> tuple[list[Token], list[tuple[int, object]]]:
        """:meth:`refine`, and the kind of each token it returns."""
        out: list[Token] = []
        kinds: list[tuple[int, object]] = []
        cache = self._kinds
        for t in toks:
            kt = cache.get(t.text)
            if kt is None:
                kt = self.kind(t.text)
            if kt[0] == LABEL:
                parts = self._glue.get(t.text, 0)
                if parts == 0:
                    if len(self._glue) > 200_000:
                        self._glue.clear()
                    parts = self._glue[t.text] = self._glued(clean(t.text))
                if parts:
                    head, unit, value = parts
                    out.append(Token(head, t.line, t.sep, t.col, t.table))
                    kinds.append(self.kind(head))
                    if unit:
                        out.append(Token(unit, t.line, GLUE, t.col, t.table))
                        kinds.append(self.kind(unit))
                    if value:
                        out.append(Token(value, t.line, GLUE, t.col, t.table))
                        kinds.append(self.kind(value))
                    continue
            out.append(t)
            kinds.append(kt)
        return out, kinds

    def _glued(self, s: str) -> tuple[str, str, str] | None:
        mc = _CONT_VALUE.match(s)
        if mc and _is_continuation(mc.group(1)):
            return mc.group(1), "", mc.group(2)     # (…计1条)35: the wrapped end of a label, then its value
        if not (_TRAIL_NUM.search(s) or _TRAIL_DASH.search(s) or s.endswith(_GLUE_UNITS)):
            return None
        value, rest = "", s
        mv = _TRAIL_NUM.search(rest)
        if mv:
            value, rest = mv.group(), rest[: mv.start()]
        body = rest.rstrip(BLANKS)
        unit = ""
        md = _TRAIL_DASH.search(body)
        if md:
            unit, body = md.group(), body[: md.start()].rstrip(BLANKS)
        elif not any(m.score >= 1.0 for m in self.lex.match(body, fuzzy=False)):
            for u in _GLUE_UNITS:
                if body.endswith(u) and self.lex.match(body[: -len(u)], fuzzy=False):
                    unit, body = u, body[: -len(u)].rstrip(BLANKS)
                    break
        if not body or not (unit or value):
            return None
        whole = max((m.score for m in self.lex.match(s)), default=0.0)
        if max((m.score for m in self.lex.match(body, fuzzy=False)), default=0.0) < max(whole, 0.6):
            return None
        return body, unit, value

    # ------------------------------------------------------------------ 2. candidates
    def candidates(self, toks: list[Token], kinds: list[tuple[int, object]]) -> list[Anchor]:
        lex = self.lex
        out: list[Anchor] = []
        n = len(toks)
        vo_prev = False
        for i in range(n):
            k, p = kinds[i]
            if k == STRUCT:
                st: Struct = p
                vo = [t for t in st.tables if t in lex.valueonly]
                if vo and not st.group and not vo_prev:
                    out.append(Anchor(i, i, lex.valueonly[vo[0]], 0.4, ""))
                vo_prev = bool(vo)
                continue
            if k != EMPTY:
                vo_prev = False
            if k != LABEL:
                continue
            text = clean(toks[i].text)
            for m in lex.match(text):
                out.append(Anchor(i, i, m.slot, m.score, text))
            joined = text
            for j in range(i + 1, min(n, i + 3)):
                kj = kinds[j][0]
                if kj not in (LABEL, STRUCT) or toks[j].line - toks[j - 1].line > 2:
                    break
                joined += clean(toks[j].text)
                for m in lex.match(joined, fuzzy=False):
                    out.append(Anchor(i, j, m.slot, m.score - 0.02 * (j - i), joined))
        return out

    # ------------------------------------------------------------------ 3. alignment
    @staticmethod
    def chain(cands: list[Anchor]) -> tuple[list[Anchor], float]:
        """The best chain (see the module docstring), in O(K·(W + log S)): predecessors whose label ends
        more than ``_FAR`` tokens before are kept in a prefix-max tree over template rows."""
        if not cands:
            return [], 0.0
        cands = sorted(cands, key=lambda a: (a.start, a.end, a.slot))
        size = max(c.slot for c in cands) + 2
        tree = [(-1e18, -1)] * (size + 1)          # Fenwick prefix max of best + 0.02·(slot + 1)
        far_at = [(-1e18, -1)] * size               # best of the far predecessors per slot (adjacency)
        best = [0.0] * len(cands)
        back = [-1] * len(cands)
        ends = [c.end for c in cands]
        slots = [c.slot for c in cands]
        fi = 0
        for ci, c in enumerate(cands):
            cst, cs = c.start, c.slot
            while fi < ci and cands[fi].start < cst - _FAR - 2:
                v = best[fi] + 0.02 * (slots[fi] + 1)
                i = slots[fi] + 1
                while i <= size:
                    if v > tree[i][0]:
                        tree[i] = (v, fi)
                    i += i & -i
                if best[fi] > far_at[slots[fi]][0]:
                    far_at[slots[fi]] = (best[fi], fi)
                fi += 1
            b, bj = 0.0, -1
            i = cs                                   # far: slots < c.slot
            while i > 0:
                v, j = tree[i]
                if j >= 0:
                    v = v - 0.02 * cs - _FAR_COST
                    if v > b:
                        b, bj = v, j
                i -= i & -i
            if cs > 0:
                v, j = far_at[cs - 1]
                if j >= 0 and v + 0.3 - _FAR_COST > b:
                    b, bj = v + 0.3 - _FAR_COST, j
            for pj in range(ci - 1, fi - 1, -1):     # near: exact
                pe, ps = ends[pj], slots[pj]
                if pe >= cst or ps >= cs:
                    continue
                v = best[pj]
                if cs == ps + 1:
                    v += 0.3
                else:
                    v -= 0.02 * (cs - ps - 1)
                if cst - pe > _FAR:
                    v -= _FAR_COST
                if v > b:
                    b, bj = v, pj
            best[ci] = c.score + b
            back[ci] = bj
        i = max(range(len(cands)), key=lambda k: best[k])
        total = best[i]
        out = []
        while i >= 0:
            out.append(cands[i])
            i = back[i]
        return out[::-1], total

    # ------------------------------------------------------------------ 4. assembly
    def align(self, toks: list[Token]) -> Alignment:
        toks, kinds = self._refine(toks)
        anchors, score = self.chain(self.candidates(toks, kinds))
        al = Alignment(score=score)
        if not anchors:
            return al
        lex = self.lex
        al.first_line = toks[anchors[0].start].line
        for ai, a in enumerate(anchors):
            nxt = anchors[ai + 1].start if ai + 1 < len(anchors) else len(toks)
            slot = lex.slots[a.slot]
            table = slot.table
            if toks[a.start].table >= 0:
                al.tables.add(toks[a.start].table)
            if not a.label:
                self._valueonly(toks, kinds, a, nxt, al)
                continue
            if slot.row == 0 or ai == 0 or lex.slots[anchors[ai - 1].slot].table != table:
                self._header(toks, kinds, anchors[ai - 1].end + 1 if ai else 0, a.start, table, al)
            label = a.label
            vals: list[Token] = []
            unit = None
            i = a.end + 1
            while i < nxt:
                k, p = kinds[i]
                t = toks[i]
                if k in (EMPTY, VALUE):
                    vals.append(t)
                elif k == UNIT:
                    if lex.tables[table].layout == "list" and unit is None and not any(clean(v.text) for v in vals):
                        unit = t
                    else:
                        vals.append(t)
                elif k == LABEL and _is_continuation(clean(t.text)) and self._continues(label, t.text, a.slot):
                    label += clean(t.text)
                elif k == LABEL and self._text_value(t.text) and len(vals) < (2 if slot.n_values == 1 and unit is None
                                                                             else slot.n_values):
                    vals.append(t)          # 详见附表, 略: text where a value belongs (the row is not full yet)
                elif k == LABEL and t.sep in _SAME_ROW and t.line == toks[i - 1].line and not lex.match(t.text):
                    vals.append(t)          # more text in the row's own line: an extra cell (reported)
                else:
                    break
                i += 1
            al.rows[a.slot] = RowRead(a.slot, label, toks[a.start].line, vals, unit, toks[a.start:i])
            al.last_token = max(al.last_token, i - 1)
            self._stray(toks, kinds, i, nxt, al)
        self._closure(toks, kinds, al)
        al.seps = Counter([t.sep for t in toks[anchors[0].start:al.last_token + 1]])
        return al

    def _header(self, toks, kinds, lo: int, hi: int, table: int, al: Alignment) -> None:
        """Column headers printed before a table's first row → the column of each value position."""
        lex = self.lex
        if lex.tables[table].layout != "grid" or table in lex.valueonly:
            return                  # a matrix header has two levels: its order is not the columns' order
        cols: list[int] = []
        for i in range(lo, hi):
            k, p = kinds[i]
            if k == STRUCT and p.column:
                ci = lex.column_of(table, toks[i].text)
                if ci is not None:
                    cols.append(ci)
                else:
                    cols = []           # a header of another table (二's sub-tables share words)
            elif k == LABEL:
                return                  # a header word we cannot read (split over lines): map in order
        if cols and len(set(cols)) == len(cols):
            al.col_map[table] = cols

    def _valueonly(self, toks, kinds, a: Anchor, nxt: int, al: Alignment) -> None:
        """The one row of a table without row labels (四): the values after its header."""
        lex = self.lex
        slot = lex.slots[a.slot]
        n = slot.n_values
        best = None
        i = a.start
        while i < nxt:
            # a run of this table's headers, then its values
            if kinds[i][0] == STRUCT and slot.table in kinds[i][1].tables:
                j, last = i, i
                names: list[str] = []
                while j < nxt:
                    kj, pj = kinds[j]
                    if kj == STRUCT and slot.table in pj.tables:
                        last = j
                        if pj.column:
                            names.extend(w for w in clean(toks[j].text).split()
                                         if lex.column_of(slot.table, w) is not None)
                    elif not (kj == EMPTY or (kj == LABEL and j - last <= 2 and not self._text_value(toks[j].text))):
                        break
                    j += 1
                # the values start after the header's last heading; blank cells on that heading's own line
                # (not a ``|`` line of their own) pad the header
                start = last + 1
                while start < nxt and kinds[start][0] == EMPTY and toks[start].line == toks[last].line \
                        and toks[start].sep != BAR:
                    start += 1
                vals = []
                k = start
                while k < nxt and kinds[k][0] in (EMPTY, VALUE, UNIT) or (
                        k < nxt and kinds[k][0] == LABEL and self._text_value(toks[k].text) and len(vals) < n):
                    vals.append(toks[k])
                    k += 1
                rank = (sum(1 for v in vals if clean(v.text)), min(len(vals), n))
                if vals and (best is None or rank > best[0]):
                    best = (rank, vals, names, k)
                i = max(k, i + 1)
                continue
            i += 1
        if best is None:
            return
        _, vals, names, end = best
        if len(names) == n:
            al.col_labels[slot.table] = names
        al.rows[a.slot] = RowRead(a.slot, "", vals[0].line, vals, None, " | ".join(clean(v.text) for v in vals))
        al.last_token = max(al.last_token, end - 1)

    def _continues(self, label: str, text: str, slot: int) -> bool:
        """A bracketed line after a row's label is its wrapped end, unless it is itself a better row."""
        own = self.lex.match(text)
        if not own:
            return True
        joined = {m.slot: m.score for m in self.lex.match(label + clean(text), fuzzy=False)}
        return joined.get(slot, 0.0) >= own[0].score

    def _text_value(self, text: str) -> bool:
        s = clean(text)
        return (len(s) <= _SHORT_TEXT and s not in _SUBTOTALS and not self.lex.match(s) and not numbered(s))

    def _stray(self, toks, kinds, i: int, nxt: int, al: Alignment) -> None:
        """Values between a row's end and the next row: a row of no template row (X-03)."""
        lex = self.lex
        label, label_line = None, 0
        vals: list[Token] = []

        def flush():
            if vals and label is not None:
                al.issues.append(Issue("X-03", f"line {label_line}: {self._why(label, al)} — 未映射的表格行 / "
                                               f"table line not mapped to a cell "
                                               f"(values {', '.join(clean(v.text) for v in vals[:6])})",
                                       label_line, label))
            elif vals:
                al.issues.append(Issue("X-03", f"line {vals[0].line}: values without a row label — 未映射的表格行 / "
                                               f"table line not mapped to a cell "
                                               f"(values {', '.join(clean(v.text) for v in vals[:6])})",
                                       vals[0].line, " | ".join(v.text for v in vals)))

        for j in range(i, nxt):
            k, p = kinds[j]
            if k == VALUE:
                vals.append(toks[j])
            elif k in (LABEL, STRUCT, NARR):
                if k == STRUCT and p.footer:
                    break
                flush()
                vals = []
                label, label_line = (clean(toks[j].text), toks[j].line) if k != NARR else (None, 0)
        if vals and (nxt < len(toks) or label is not None):
            flush()

    def _why(self, label: str, al: Alignment) -> str:
        for m in self.lex.match(label):
            if m.slot in al.rows and m.score >= 0.95:
                return f"duplicate row «{label[:60]}» (already read at line {al.rows[m.slot].line})"
        st = self.lex.structure(label)
        if st is not None or label in _SUBTOTALS:
            return f"«{label[:40]}» is not a row of the form but holds values"
        return f"unknown label «{label[:60]}» (not a row of template {self.lex.template.id})"

    def header_cut(self, toks: list[Token]) -> int | None:
        """The line of a table header the page ends in (no row, no text after it), or None."""
        last = None
        for i, t in enumerate(toks):
            k, p = self.kind(t.text)
            if k == STRUCT and p.tables and not p.footer:
                last = i
            elif last is not None and len(clean(t.text)) >= 15:
                last = None
        return toks[last].line if last is not None else None

    def _closure(self, toks, kinds, al: Alignment) -> None:
        end = al.last_token
        al.last_line = toks[end].line if end >= 0 else 0
        for j in range(end + 1, len(toks)):
            k, p = kinds[j]
            s = clean(toks[j].text)
            if (k == STRUCT and p.footer) or FOOTER.match(s) or len(s) >= 15:
                al.closed = True
                return


def map_values(vals: list[Token], n: int) -> tuple[list[Token], list[Token]]:
    """A row's value tokens → (n tokens or fewer, in column order; the non-empty extras)."""
    vals = list(vals)
    while len(vals) > n and not clean(vals[-1].text):
        vals.pop()
    while len(vals) > n and not clean(vals[0].text):
        vals.pop(0)
    return vals[:n], [v for v in vals[n:] if clean(v.text)]


def split_list(vals: list[Token], unit: Token | None, heading: bool) -> tuple[Token | None, Token | None, list[Token]]:
    """A list row's tokens after the label → (unit, value, extra non-empty tokens)."""
    vals = list(vals)
    while len(vals) > 2 and not clean(vals[-1].text):
        vals.pop()
    if unit is None and len(vals) >= 2:
        unit = vals.pop(0)
    if unit is None and len(vals) == 1 and heading and _TRAIL_DASH.fullmatch(clean(vals[0].text) or "x"):
        return vals[0], None, []
    value = vals[0] if vals else None
    return unit, value, [v for v in vals[1:] if clean(v.text)]


__all__ = ["Grammar", "Alignment", "RowRead", "map_values", "split_list", "key"]
