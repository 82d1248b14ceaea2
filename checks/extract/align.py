"""Label matching and template-order alignment: rows of cells → template cells.

A :class:`Matcher` knows one template: every row label (official, variants, local relabels),
every structural text (table titles, section headings, column headers, matrix row groups, the
generic ``统计指标 | 单位 | 统计数`` header) and the footer lines of the form. It classifies a
piece of text once (results are memoised: labels repeat across reports).

An :class:`Aligner` takes the rows a layout produced, finds each row's *leaf* label (the
rightmost cell that names a template row), maps it to the first unread template row at or after
the current position (so a missing or extra row never shifts the rest), reads the cells after
the label column-true, and reports everything it could not map (X-03). Matching is done on
``normalize_label`` (NFKC, no spaces, no numbering, no 其中：) first, then on a looser form
without punctuation, then by similarity against the next few expected rows (typos such as
``涉及国家秘(密)``).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from checks.cells import State, clean, parse_cell
from checks.extract.model import Cell, Issue, Row
from checks.templates import Table, Template, normalize_label

BLANKS = " \t\u3000\u00a0\r\n\u200b\ufeff\u2002\u2003\u2009"

# kinds of text
BLANK, VALUE, UNIT, ROW, STRUCT, BOTH, TEXT, FOOTER = range(8)

UNIT_WORDS = frozenset({"条", "件", "次", "篇", "个", "人", "人次", "万元", "元", "项", "期", "份", "场", "家",
                        "件次", "天", "亿元"})
GLUE_UNITS = ("人次", "万元", "亿元", "件次", "条", "件", "次", "篇", "个", "人", "元", "项", "期", "份", "场")
NUMBERED = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+[、.．]|\d+\s*[、.．])")
_LOOSE = re.compile(r"[\W_]+")
GENERIC_HEADER = re.compile(r"^(?:统计指标|指标名称|指标|单位|计量单位|统计数|合计|数量|数值|序号|项目|备注|本年度|本年)+$")
TABLE_TITLE = re.compile(r"(?:政府信息公开|政务公开).{0,12}统计(?:报)?表$|^附表\d*[:：]?$|^附件\d*[:：]?$"
                         r"|^[(（]?\d{4}年度?[)）]?$|^[(（]\d{4}年\d{1,2}月\d{1,2}日?[至到\-—~]+\d{4}年\d{1,2}月\d{1,2}日?[)）]$"
                         r"|^填报单位")
FOOTER_RE = re.compile(r"^(?:单位负责人|审核人|填报人|联系电话|填报日期|制表人|统计负责人|负责人|制表日期|报送日期)")


def loose(n: str) -> str:
    """A normalised label without any punctuation, brackets or quotes (and no leading 其中)."""
    s = _LOOSE.sub("", n)
    return s[2:] if s.startswith("其中") and len(s) > 4 else s


@dataclass(frozen=True)
class Slot:
    id: int
    table: int
    row: int
    code: str
    heading: bool
    label: str
    n_values: int            # cells after the label: list → unit + value (2); grid/matrix → columns


class Matcher:
    """Everything extraction needs to know about one template's labels."""

    def __init__(self, template: Template):
        self.template = template
        self.tables: tuple[Table, ...] = template.tables
        self.slots: list[Slot] = []
        self.index: dict[str, list[int]] = {}
        self.loose_index: dict[str, list[int]] = {}
        self.struct: dict[str, tuple[frozenset[int], bool]] = {}   # text → (tables, is a row group)
        self.loose_struct: dict[str, tuple[frozenset[int], bool]] = {}
        self.slot_labels: dict[int, list[str]] = {}                 # slot → loose labels (for fuzzy)
        self.valueonly: set[int] = set()                            # tables whose one row has no label (四)
        relabels: dict[str, list[str]] = {}
        for v in template.variants.values():
            for code, lab in v.labels.items():
                relabels.setdefault(code, []).append(lab)
        for ti, table in enumerate(self.tables):
            ncols = 2 if table.layout == "list" else len(table.columns)
            for ri, row in enumerate(table.rows):
                sid = len(self.slots)
                self.slots.append(Slot(sid, ti, ri, row.code, row.heading, row.label, ncols))
                labels = [row.label, *row.variants, *relabels.get(row.code, ())]
                if not row.label:
                    self.valueonly.add(ti)
                looses = []
                for lab in dict.fromkeys(labels):
                    n = normalize_label(lab)
                    if not n:
                        continue
                    self.index.setdefault(n, []).append(sid)
                    lo = loose(n)
                    self.loose_index.setdefault(lo, []).append(sid)
                    looses.append(lo)
                self.slot_labels[sid] = list(dict.fromkeys(looses))
                if row.group:
                    for g in row.group.split("/"):
                        self._add_struct(g, ti, True)
            for text in (table.title, table.section, table.corner, table.header):
                self._add_struct(text, ti, False)
            for col in table.columns:
                for lab in (col.label, *col.variants):
                    self._add_struct(lab, ti, False)
                for g in col.group.split("/") if col.group else ():
                    self._add_struct(g, ti, False)
        for d in (self.index, self.loose_index):
            for k in d:
                d[k] = sorted(set(d[k]))
        # column label (normalised, and loose) → column index, per grid/matrix table
        self.column_looks: dict[int, dict[str, int]] = {}
        for ti, table in enumerate(self.tables):
            looks: dict[str, int] = {}
            for ci, col in enumerate(table.columns):
                for lab in (col.label, *col.variants):
                    n = normalize_label(lab)
                    looks[n] = looks[loose(n)] = ci
            self.column_looks[ti] = looks
        self._norm_cache: dict[str, str] = {}
        self.table_slots: dict[int, list[int]] = {}
        for s in self.slots:
            self.table_slots.setdefault(s.table, []).append(s.id)
        self._cache: dict[str, tuple[int, object]] = {}
        self._anchor_cache: dict[str, int] = {}

    def _add_struct(self, text: str, ti: int, group: bool) -> None:
        n = normalize_label(text)
        if not n:
            return
        for d, key in ((self.struct, n), (self.loose_struct, loose(n))):
            tables, g = d.get(key, (frozenset(), False))
            d[key] = (tables | {ti}, g or group)

    def norm(self, text: str) -> str:
        """``normalize_label`` of a text, memoised (header words repeat in every report)."""
        hit = self._norm_cache.get(text)
        if hit is None:
            if len(self._norm_cache) > 100_000:
                self._norm_cache.clear()
            hit = self._norm_cache[text] = normalize_label(text)
        return hit

    def kind(self, text: str) -> tuple[int, object]:
        """Classify a cell text: (kind, payload). Payload: ROW → slot ids; STRUCT → (tables, group);
        BOTH → (slot ids, (tables, group), numbered)."""
        hit = self._cache.get(text)
        if hit is not None:
            return hit
        if len(self._cache) > 200_000:
            self._cache.clear()
        res = self._kind(text)
        self._cache[text] = res
        return res

    def _kind(self, text: str) -> tuple[int, object]:
        s = clean(text)
        if not s:
            return BLANK, None
        if len(s) <= 40:
            st = parse_cell(s).state
            if st in (State.NUMERIC, State.ZERO, State.NA):
                return VALUE, None
        if FOOTER_RE.match(s):
            return FOOTER, None
        n = normalize_label(s)
        if n in UNIT_WORDS or s in UNIT_WORDS:
            return UNIT, None
        if len(n) > 160:
            return TEXT, n
        lo = loose(n)
        slots = self.index.get(n) or self.loose_index.get(lo)
        st = self.struct.get(n) or self.loose_struct.get(lo)
        if st is None and (GENERIC_HEADER.match(lo) or TABLE_TITLE.search(n)):
            st = (frozenset(), False)
        if slots and st:
            return BOTH, (slots, st, bool(NUMBERED.match(s)))
        if slots:
            return ROW, slots
        if st:
            return STRUCT, st
        return TEXT, n

    def is_row(self, text: str) -> bool:
        return self.kind(text)[0] in (ROW, BOTH)

    def is_row_label(self, text: str) -> bool:
        """A row label for sure: not also a column header word (``总计``, ``其他`` without numbering)."""
        k, p = self.kind(text)
        return k == ROW or (k == BOTH and p[2])

    def line_anchor(self, line: str) -> int:
        """2 if the line holds a row label of this template, 1 if a structural text, else 0."""
        hit = self._anchor_cache.get(line)
        if hit is None:
            if len(self._anchor_cache) > 200_000:
                self._anchor_cache.clear()
            hit = self._anchor_cache[line] = self._line_anchor(line)
        return hit

    def _line_anchor(self, line: str) -> int:
        s = line.strip(BLANKS + "|")
        if not s or len(s) > 220 or "。" in s:
            return 0
        best = 0
        cands = [s]
        if "\t" in s:
            cands += [f for f in s.split("\t")[:3] if f.strip(BLANKS)]
        if "|" in s:
            cands += [f for f in s.split("|")[:3] if f.strip(BLANKS)]
        for c in cands:
            k, p = self.kind(c)
            if k == ROW or (k == BOTH and p[2]):
                return 2
            if k in (STRUCT, BOTH):
                best = 1
        if best == 0 and (s[-1:].isdigit() or s.endswith(("—", "-", *GLUE_UNITS))):
            label, _, _ = split_glued(s, self)
            if label != s:
                k = self.kind(label)[0]
                if k in (ROW, BOTH):
                    return 2
                if k == STRUCT:
                    best = 1
        return best


_TRAIL_NUM = re.compile(r"[0-9０-９][0-9０-９,，.．]*$")
_TRAIL_DASH = re.compile(r"[—\-－―─]+$")


def split_glued(s: str, m: Matcher) -> tuple[str, str, str]:
    """``政府网站公开政府信息数426`` → (label, unit, value); ``一、主动公开情况——492`` → (…, '——', '492')."""
    if not (_TRAIL_NUM.search(s) or _TRAIL_DASH.search(s)) and m.kind(s)[0] in (ROW, BOTH, STRUCT):
        return s, "", ""
    value = ""
    rest = s
    mv = _TRAIL_NUM.search(rest)
    if mv:
        value, rest = mv.group(), rest[: mv.start()]
    unit = ""
    body = rest.rstrip(BLANKS)
    md = _TRAIL_DASH.search(body)
    if md:
        unit, body = md.group(), body[: md.start()].rstrip(BLANKS)
    elif m.kind(body)[0] not in (ROW, BOTH):
        for u in GLUE_UNITS:
            if body.endswith(u) and m.kind(body[: -len(u)].rstrip(BLANKS))[0] in (ROW, BOTH):
                unit, body = u, body[: -len(u)].rstrip(BLANKS)
                break
    if not body:
        return s, "", ""
    if unit and not value and _TRAIL_DASH.fullmatch(unit):
        k, payload = m.kind(body)
        slots = payload if k == ROW else payload[0] if k == BOTH else ()
        if slots and not any(m.slots[i].heading for i in slots):
            value, unit = unit, ""          # a dash in the value place of a data row: NA
    return body, unit, value


@dataclass
class RowRead:
    slot: Slot
    label: str
    line: int
    cells: list[Cell]
    text: str


def _is_continuation(text: str) -> bool:
    s = text.strip(BLANKS)
    return bool(s) and s[0] in "(（" and not NUMBERED.match(s) and len(s) <= 60


class Aligner:
    """Feeds rows (or a stream of cells) of one report through a template; collects rows read and issues."""

    FUZZY_WINDOW = 10

    def __init__(self, matcher: Matcher):
        self.m = matcher
        self.read: dict[int, RowRead] = {}
        self.pos = 0
        self.ctx: int | None = None
        self.last: RowRead | None = None
        self.prev_mapped = False
        self.footer_seen = False
        self.issues: list[Issue] = []
        self.col_labels: dict[int, list[str]] = {}
        self.col_map: dict[int, list[int]] = {}

    # ---- grouping a stream of cells into rows (layouts without row delimiters) ----
    def group_stream(self, cells: list[Cell]) -> list[Row]:
        m = self.m
        rows: list[Row] = []
        cur: list[Cell] = []
        exp: int | None = None      # cells expected after the label; None = open-ended
        after = 0
        group_only = False

        def flush():
            if cur:
                rows.append(Row(list(cur), cur[0].line, " | ".join(c.text.strip(BLANKS) for c in cur)))
            cur.clear()

        header = False             # the current row holds only structural cells (a header row)
        vo_next = False            # a header of a label-less table (四) was read: its values come next
        for c in cells:
            k, p = m.kind(c.text)
            if k in (ROW, BOTH, STRUCT, FOOTER):
                is_row = k == ROW or (k == BOTH and p[2])
                is_struct = k == STRUCT or (k == BOTH and not p[2])
                if cur and header and is_struct and not (k == STRUCT and p[1]):
                    cur.append(c)
                    if k == STRUCT and p[0] & m.valueonly:
                        vo_next = True
                    continue
                if is_struct and k == STRUCT and p[0] & m.valueonly:
                    vo_next = True
                elif not is_struct:
                    vo_next = False
                if not (cur and group_only and after == 0 and is_row):
                    flush()
                header = is_struct and not (k == STRUCT and p[1])
                cur.append(c)
                after = 0
                if is_row or k == BOTH:
                    slots = p if k == ROW else p[0]
                    exp, group_only = m.slots[slots[0]].n_values, False
                elif k == STRUCT and p[1]:
                    exp, group_only = None, True
                else:
                    exp, group_only = 0, False
                continue
            if k == TEXT and cur and after == 0 and not group_only:
                joined = cur[-1].text.strip(BLANKS) + c.text.strip(BLANKS)
                if _is_continuation(c.text) or m.is_row(joined):
                    cur[-1] = Cell(joined, cur[-1].line, cur[-1].own)
                    continue
            if not cur or (exp is not None and after >= exp) or group_only:
                flush()
                cur.append(c)
                group_only = header = False
                if vo_next:
                    exp, after, vo_next = None, 1, False
                elif k == TEXT:
                    exp, after = 2, 0
                else:
                    exp, after = None, 1
                continue
            cur.append(c)
            after += 1
        flush()
        return rows

    # ---- rows ----
    def feed(self, rows: list[Row]) -> None:
        for row in rows:
            self.feed_row(row)

    def _issue(self, code: str, message: str, line: int | None, raw: str = "") -> None:
        self.issues.append(Issue(code, message, line, raw))

    def _unmapped(self, row: Row, reason: str) -> None:
        raw = row.text or " | ".join(c.text for c in row.cells)
        self._issue("X-03", f"line {row.line}: {reason} — 未映射的表格行 / table line not mapped to a cell",
                    row.line, raw)
        self.prev_mapped = False

    def feed_row(self, row: Row) -> None:
        m = self.m
        cells = row.cells
        kinds = [m.kind(c.text) for c in cells]
        nonblank = [i for i, (k, _) in enumerate(kinds) if k != BLANK]
        if not nonblank:
            return
        if kinds[nonblank[0]][0] == FOOTER:
            self.footer_seen = True
            return
        n_struct = 0
        row_pos: list[int] = []
        both_pos: list[int] = []
        votes: dict[int, int] = {}
        for i, (k, p) in enumerate(kinds):
            if k == ROW or (k == BOTH and p[2]):
                row_pos.append(i)
            elif k in (STRUCT, BOTH):
                n_struct += 1
                st = p if k == STRUCT else p[1]
                for t in st[0]:
                    votes[t] = votes.get(t, 0) + 1
                if k == BOTH:
                    both_pos.append(i)
        n_text = sum(1 for k, _ in kinds if k == TEXT)
        if not row_pos and n_struct and (n_struct >= 2 or not both_pos) and n_struct >= n_text:
            numbers = [c.text.strip(BLANKS) for c, (k, _) in zip(cells, kinds)
                       if k == VALUE and parse_cell(c.text).is_number]
            if numbers:     # 合计 | 12: a total the form does not have, or a header holding numbers
                label = next(c.text.strip(BLANKS) for c, (k, _) in zip(cells, kinds) if k in (STRUCT, BOTH))
                self._unmapped(row, f"«{label[:40]}» is not a row of the form but holds values "
                                    f"({', '.join(numbers[:4])})")
                return
            self._structure(cells, kinds, votes)
            return
        if not row_pos and both_pos:
            row_pos = both_pos[-1:]
        if row_pos:
            leaf = row_pos[-1]
            payload = kinds[leaf][1]
            slots = payload if kinds[leaf][0] == ROW else payload[0]
            label = cells[leaf].text.strip(BLANKS)
            self._map(row, slots, leaf, label)
            return
        texts = [i for i, (k, _) in enumerate(kinds) if k == TEXT]
        vt = self._valueonly_slot()
        if texts and vt is not None and len(cells) - len(texts) >= max(2, vt.n_values // 2):
            texts = []          # the label-less row of 四 with a TEXT value (详见附表) in it
        if texts:
            first = texts[0]
            # a label wrapped over two cells
            if first + 1 < len(cells) and kinds[first + 1][0] in (TEXT, ROW, BOTH, STRUCT):
                joined = cells[first].text.strip(BLANKS) + cells[first + 1].text.strip(BLANKS)
                k, p = m.kind(joined)
                if k in (ROW, BOTH):
                    merged = Cell(joined, cells[first].line)
                    row2 = Row(cells[:first] + [merged] + cells[first + 2:], row.line, row.text)
                    self._map(row2, p if k == ROW else p[0], first, joined)
                    return
            # the second line of the previous row's label
            if self.last is not None and self.prev_mapped and first == nonblank[0]:
                joined = self.last.label + cells[first].text.strip(BLANKS)
                k, p = m.kind(joined)
                if _is_continuation(cells[first].text) or (k in (ROW, BOTH) and self.last.slot.id in
                                                          (p if k == ROW else p[0])):
                    self._continue(row, first)
                    return
            slot = self._fuzzy(kinds[first][1])
            if slot is not None:
                self._map(row, [slot], first, cells[first].text.strip(BLANKS))
                return
            self._unmapped(row, f"unknown label «{cells[first].text.strip(BLANKS)[:60]}» "
                                f"(not a row of template {m.template.id})")
            return
        # values without a label: the one data row of section 四, or stray values
        if vt is not None:
            self._store(vt, "", row.line, [c for c in cells], row.text)
            return
        if all(kinds[i][0] == UNIT for i in nonblank):
            self._unmapped(row, "a unit without a row")
            return
        self._unmapped(row, "values without a row label")

    def _structure(self, cells, kinds, votes) -> None:
        if votes:
            # ties (shared column labels of the 二 sub-tables) go to the table just named by its title,
            # then to the first table not read yet
            here = self.m.slots[self.pos].table if self.pos < len(self.m.slots) else len(self.m.tables)
            t = max(votes, key=lambda k: (votes[k], k == self.ctx, k >= here, -k))
            self.ctx = t
            table = self.m.tables[t]
            if table.layout == "grid" and t not in self.m.valueonly:
                self._header_map(t, table, cells)
            if t in self.m.valueonly:
                looks = self.m.column_looks[t]
                for c, (k, _) in zip(cells, kinds):
                    if k in (STRUCT, BOTH) and not c.span and self.m.norm(c.text) in looks:
                        self.col_labels.setdefault(t, []).append(c.text.strip(BLANKS))
        self.prev_mapped = False

    def _header_map(self, t: int, table: Table, cells: list[Cell]) -> None:
        """A grid's header row → the template column of each value position (``col_map``), when every
        header cell names a column of the table (so a report that prints fewer or other columns, e.g. a
        v2021 column under a v2019 sub-table, is read by its header, not by position)."""
        corner = self.m.norm(table.corner)
        looks = self.m.column_looks[t]
        out = []
        for c in cells:
            if c.span or not clean(c.text):
                continue
            n = self.m.norm(c.text)
            if n == corner or GENERIC_HEADER.match(loose(n)):
                continue
            ci = looks.get(n, looks.get(loose(n)))
            if ci is None or ci in out:
                self.col_map.pop(t, None)
                return
            out.append(ci)
        if out:
            self.col_map[t] = out

    def _valueonly_slot(self) -> Slot | None:
        m = self.m
        for t in m.valueonly:
            sid = m.table_slots[t][0]
            if sid in self.read:
                continue
            if self.ctx == t or self.pos == sid:
                return m.slots[sid]
        return None

    def _fuzzy(self, n: str | None) -> int | None:
        if not n:
            return None
        lo = loose(n)
        if len(lo) < 4:
            return None
        m = self.m
        best, best_r = None, 0.0
        sm = difflib.SequenceMatcher(None, autojunk=False)
        sm.set_seq2(lo)
        checked = 0
        for sid in range(self.pos, len(m.slots)):
            if sid in self.read:
                continue
            checked += 1
            if checked > self.FUZZY_WINDOW:
                break
            for lab in m.slot_labels.get(sid, ()):
                sm.set_seq1(lab)
                if sm.quick_ratio() < 0.8:
                    continue
                r = sm.ratio()
                if r > best_r:
                    best, best_r = sid, r
        return best if best_r >= 0.8 else None

    def _choose(self, slots) -> int | None:
        for s in slots:
            if s >= self.pos and s not in self.read:
                return s
        for s in slots:
            if s not in self.read:
                return s
        return None

    def _map(self, row: Row, slots, leaf: int, label: str) -> None:
        sid = self._choose(slots)
        if sid is None:
            first = self.read[slots[0]]
            self._unmapped(row, f"duplicate row «{label[:60]}» (already read at line {first.line})")
            return
        cells = row.cells
        after = []
        j = leaf + 1
        lead = cells[leaf]
        while j < len(cells) and cells[j].span and cells[j].text == lead.text:
            j += 1
        rest = cells[j:]
        # a label wrapped into the next cell (layouts that put each line in its own cell)
        while rest and self.m.kind(rest[0].text)[0] == TEXT:
            nxt = rest[0].text.strip(BLANKS)
            if _is_continuation(rest[0].text) or self.m.is_row(label + nxt):
                label += nxt
                rest = rest[1:]
            else:
                break
        for c in rest:
            if c.span:
                self._issue("X-14", f"line {c.line}: a merged (spanning) cell covers «{label[:40]}»; "
                                    "the covered place is left blank", c.line, c.text)
                c = Cell("", c.line, own=False, col=c.col)
            after.append(c)
        self._store(self.m.slots[sid], label, lead.line, after, row.text)

    def _store(self, slot: Slot, label: str, line: int, cells: list[Cell], text: str) -> None:
        rr = RowRead(slot, label, line, cells, text)
        self.read[slot.id] = rr
        self.pos = max(self.pos, slot.id + 1)
        self.ctx = slot.table
        self.last = rr
        self.prev_mapped = True

    def _continue(self, row: Row, first: int) -> None:
        rr = self.last
        rr.label += row.cells[first].text.strip(BLANKS)
        extra = row.cells[first + 1:]
        has_own = any(c.own and clean(c.text) for c in rr.cells)
        if extra and not has_own and any(c.own and clean(c.text) for c in extra):
            rr.cells = extra
        self.prev_mapped = True

    # ---- results ----
    def last_row(self) -> RowRead | None:
        return self.read[max(self.read)] if self.read else None


def split_list_cells(cells: list[Cell], heading: bool) -> tuple[Cell | None, Cell | None, list[Cell]]:
    """The cells after a list row's label → (unit, value, extra cells)."""
    if not cells:
        return None, None, []
    if len(cells) == 1:
        c = cells[0]
        t = clean(c.text)
        if t in UNIT_WORDS or (heading and t and _TRAIL_DASH.fullmatch(t)):
            return c, None, []
        return None, c, []
    return cells[0], cells[1], cells[2:]
