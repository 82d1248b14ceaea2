"""An independent layout generator for the extractor's accuracy tests.

Writes whole 政府信息公开工作年度报告 texts (title, narrative, the statistics tables of a template,
closing sections) in the layouts seen on real pages, and returns the ground truth of every cell: the
(state, value) that :func:`checks.cells.parse_cell` gives for the text that was actually written.
It is written from descriptions of real pages, not from the extractor: it imports nothing from
``checks.extract``. Values come from the fault-free generators of :mod:`checks.synth` (all sums hold),
topped up so that most tables carry at least one non-zero number.

Layouts (name: what a real page looks like; templates)

* ``merged_label``: pipe rows where a rowspan group label is glued to the first row's label in one
  cell, ``| 三、本年度办理结果 （一）予以公开 | 5 | 0 | … |``, ``| （三）不予公开 1.属于国家秘密 | …``
  (v2019, v2021).
* ``group_col``: compact pipe rows, the group in a column of its own filled only on the group's first
  row, ``|三、本年度办理结果|（一）予以公开|5|…|`` then ``||（二）部分公开|0|…|`` (v2019, v2021).
* ``cell_lines_pipe``: one cell per line, each ending in `` |``; an empty cell is a bare `` |`` (all).
* ``cell_lines_blank``: one cell per line with a blank line between cells (Word text export); column
  headers broken over two lines (``本年新`` / ``制作数量``); an empty cell is a line holding only a
  no-break space (``<p>&nbsp;</p>`` copied as text) (all).
* ``cell_lines_bar``: one cell per line with ``|`` alone on the line after each cell (seed 004); an
  empty cell is just its ``|`` line (all).
* ``tab_cells``: one cell per line after a tab, a blank line between rows, empty cells ``\\t`` or
  ``\\t\\xa0``, headers broken over two lines (seeds 001 and 003) (all).
* ``markdown``: markdown tables, full grid width (merged cells repeated as empty cells), a
  ``|---|---|`` line under the first row (all).
* ``tsv``: tab-separated rows (seed 000 ``label<TAB>unit<TAB>value``; the v2021 fixture) (all).
* ``pipe_compact``: compact ``|a|b|c|`` rows (all).
* ``pipe_padded``: ``| a | b | c |`` rows padded with extra empty cells at the end, ``| ||||`` (all).
* ``pdf_text``: text copied from a PDF: a label and its values on one line separated by spaces
  (``一、本年新收政府信息公开申请数量 12 3 - - 1 0 16``), long labels wrapped with the values after the
  wrap, ``-`` for an empty cell (so the ``blank`` style writes ``-``, truth NA), section 四's three
  header rows flattened into plain lines followed by one line of 15 values; old form
  ``label unit value`` with ``—— ——`` on heading rows (all).
* ``html``: a full HTML page, ``<table>`` with ``<tr><td>``, the official rowspans/colspans (三、本年度
  办理结果 and （三）不予公开 … as rowspan group labels, 申请人情况 / 法人或其他组织 colspans, section 四's
  行政复议 / 行政诉讼 / 未经复议直接起诉 / 复议后起诉 header rows), blank cells ``&nbsp;`` or ``<td></td>``,
  cell text sometimes wrapped in ``<p><span>``; section 二 as one table or one per 第二十条 item (all).
* ``html_colspan_mismatch``: as ``html`` but in section 二 the header puts a double width on its
  second column (``本年新公开数量`` colspan 2) while the data rows put it on their first value (v2019, v2021).

Zero styles: ``zero`` (``0``), ``blank`` (left empty; ``-`` where the layout cannot show an empty
cell), ``slash`` (``/``). Sprinkled per report: ``—``/``——``/``-`` in not-applicable cells,
full-width digits, ``1,234``, a unit in the cell (``12件``), ``251000元`` for the v2019 procurement amount,
``+3``/``增3``/``减2`` for v2019 本年增/减.
"""

from __future__ import annotations

import html as _html
import random
import re
from dataclasses import dataclass, field, replace

from checks import synth
from checks import templates as T
from checks.cells import State, parse_cell

ZERO_STYLES = ("zero", "blank", "slash")
ALL = ("old", "v2019", "v2021")
MODERN = ("v2019", "v2021")
LAYOUTS: dict[str, tuple[str, ...]] = {
    "merged_label": MODERN,
    "group_col": MODERN,
    "cell_lines_pipe": ALL,
    "cell_lines_blank": ALL,
    "cell_lines_bar": ALL,
    "tab_cells": ALL,
    "markdown": ALL,
    "tsv": ALL,
    "pipe_compact": ALL,
    "pipe_padded": ALL,
    "pdf_text": ALL,
    "html": ALL,
    "html_colspan_mismatch": MODERN,
}
TEMPLATE_VARIANTS = (("old", ""), ("old", "ningbo"), ("v2019", ""), ("v2021", ""))
CAN_EMPTY = {name: name != "pdf_text" for name in LAYOUTS}
YEARS = {"old": (2014, 2018), "v2019": (2019, 2020), "v2021": (2021, 2024)}

Key = tuple[str, str]


@dataclass
class Rendered:
    text: str
    truth: dict            # (item, column) -> (state, value: float | None)
    template: str
    variant: str
    layout: str
    zero_style: str
    agency: str
    year: int
    name: str = ""
    raw: dict = field(default_factory=dict)        # (item, column) -> the text written for the cell
    cell_pos: dict = field(default_factory=dict)   # (item, column) -> (line index, field) where it is written
    marks: dict = field(default_factory=dict)      # tables: [(table id, first cell line, last cell line)], s2_header_end
    cut_line: int | None = None                    # set by truncate(): lines [0, cut_line) were kept

    @property
    def is_html(self) -> bool:
        return self.layout.startswith("html")

    def blank_tables(self) -> set[str]:
        """Table ids whose every (non-heading) written cell is EMPTY or NA (rules B-02/B-03 fire on them)."""
        tpl = T.load(self.template)
        states: dict[str, list[str]] = {}
        for c in tpl.cells_for(self.variant or None):
            if c.heading or (c.item, c.column) not in self.truth:
                continue
            states.setdefault(c.table, []).append(self.truth[(c.item, c.column)][0])
        return {t for t, st in states.items() if all(s in ("EMPTY", "NA") for s in st)}


# ------------------------------------------------------------------------------------ values

def make_values(template: str, variant: str, rng: random.Random, p_fill: float = 0.9) -> dict:
    """Clean values for every cell of the template (variant): synth's fault-free generation, then most
    all-zero tables get a consistent non-zero number (so that blank/slash styles rarely blank a table)."""
    rep = synth.Report("x", 2000, template, variant)
    (synth._old if template == "old" else synth._modern)(rng, rep)
    v = dict(rep.values)
    tpl = T.load(template)
    cells = tpl.cells_for(variant or None)
    for c in cells:
        v.setdefault((c.item, c.column), 0)
    if template == "old":
        return v
    t = template
    by_table: dict[str, list[Key]] = {}
    for c in cells:
        by_table.setdefault(c.table, []).append((c.item, c.column))

    def g(code):
        return (f"{t}.{code}", "value")
    for tid, keys in by_table.items():
        if any(v[k] for k in keys) or rng.random() > p_fill:
            continue
        k = rng.randint(1, 12)
        if tid == "s2.art20_1":
            v[g("s2.art20_1.normative_docs." + ("total_published" if t == "v2019" else "in_force"))] = k
        elif tid in ("s2.art20_5", "s2.art20_6"):
            row = "licensing" if tid == "s2.art20_5" else "penalty"
            v[g(f"s2.{tid[3:]}.{row}." + ("prev_count" if t == "v2019" else "decisions"))] = k
        elif tid == "s2.art20_8":
            if t == "v2019":
                v[g("s2.art20_8.fees.prev_count")] = k
            else:
                v[g("s2.art20_8.fees.amount_wan_yuan")] = round(rng.uniform(0.1, 20), 2)
        elif tid == "s2.art20_9":
            v[g("s2.art20_9.procurement.projects")] = k
            v[g("s2.art20_9.procurement.amount")] = round(rng.uniform(1, 500), 2)
        elif tid == "s3":
            for row in ("new_received", "result.public", "result.total"):
                for col in ("natural", "total"):
                    v[(f"{t}.s3.{row}", col)] += k
        elif tid == "s4":
            v[g("s4.review.upheld")] += 1
            v[g("s4.review.total")] += 1
    return v


# ------------------------------------------------------------------------------- cell text

_FW = str.maketrans("0123456789", "０１２３４５６７８９")
_NA_CANDIDATES = {
    "old": ["old.s1.channel.gazette", "old.s7.fees", "old.s8.budget", "old.s6.complaints"],
    "v2019": ["v2019.s2.art20_9.procurement.projects", "v2019.s2.art20_9.procurement.amount",
              "v2019.s2.art20_8.fees.prev_count", "v2019.s2.art20_8.fees.change",
              "v2019.s2.art20_5.other_services.prev_count", "v2019.s2.art20_5.other_services.change",
              "v2019.s2.art20_5.other_services.decisions"],
    "v2021": ["v2021.s2.art20_8.fees.amount_wan_yuan", "v2021.s2.art20_6.coercion.decisions"],
}
_PARSE_UNITS = {"万元", "元", "人次", "件", "条", "次", "篇", "个", "人", "项"}


def _num(x: float) -> str:
    s = f"{x:.6f}".rstrip("0").rstrip(".")
    return s or "0"


class _Fmt:
    """How one report writes its cells (style and sprinkles), drawn once per report."""

    def __init__(self, rng: random.Random, template: str, style: str, can_empty: bool, values: dict):
        self.rng, self.template, self.style, self.can_empty = rng, template, style, can_empty
        self.fw = rng.random() < 0.12
        self.units = rng.random() < 0.12
        self.thousands = rng.random() < 0.5
        self.signed = rng.choice(["plus", "plus", "bare", "word"])
        self.yuan = rng.random() < 0.35
        self.na_token = rng.choice(["—", "——", "-"])
        self.na_cells: set[Key] = set()
        if rng.random() < 0.25:
            cands = [k for k in _NA_CANDIDATES[template] if values.get((k, "value"), 1) == 0]
            for k in rng.sample(cands, min(len(cands), rng.randint(1, 3))):
                self.na_cells.add((k, "value"))
        self.heading = rng.choices(["——", "—", ""], [6, 2, 2])[0]
        if not can_empty and not self.heading:
            self.heading = "——"

    def raw(self, spec, val) -> str:
        rng = self.rng
        key = (spec.item, spec.column)
        if spec.heading:
            return self.heading
        if key in self.na_cells:
            return self.na_token
        if val == 0:
            s = {"zero": "0", "blank": "", "slash": "/"}[self.style]
            if self.style == "zero" and self.units and spec.unit in _PARSE_UNITS and not spec.money \
                    and rng.random() < 0.2:
                s = "0" + spec.unit
            if not s and not self.can_empty:
                s = "-"
            return s
        if spec.money:
            if spec.item.endswith("procurement.amount") and self.yuan:
                return f"{int(round(val * 10000))}元"
            s = _num(val)
            if self.units and rng.random() < 0.4:
                s += "万元"
            return s
        ival = int(val)
        if spec.signed:
            if ival > 0:
                return {"plus": f"+{ival}", "bare": str(ival), "word": f"增{ival}"}[self.signed]
            return f"减{-ival}" if self.signed == "word" else f"-{-ival}"
        s = f"{ival:,}" if ival >= 1000 and self.thousands else str(ival)
        if self.fw and rng.random() < 0.4:
            s = s.translate(_FW)
        if self.units and spec.unit in _PARSE_UNITS and rng.random() < 0.4:
            s += spec.unit
        return s


# ------------------------------------------------------------------------------ table model

@dataclass
class C:
    """One cell of the official form: text, spans, the data key it holds, a two-line spelling."""

    text: str = ""
    cs: int = 1
    rs: int = 1
    key: Key | None = None
    split: str | None = None      # the same text broken over two lines ("本年新\n制作数量")


@dataclass
class Tab:
    tid: str
    title: str                    # 第二十条第（一）项 (a caption row / line), or ''
    head: list                    # rows of C
    body: list                    # rows of C
    width: int


_HALF = str.maketrans({"（": "(", "）": ")", "．": ".", "：": ":", "“": '"', "”": '"'})


def _lab(text: str, half: bool) -> str:
    return text.translate(_HALF) if half else text


def _note_split(label: str) -> str | None:
    """A label with a parenthesised note, broken before the note (seed 004's two-line labels)."""
    m = re.match(r"^(.{4,}?)([（(][^（(]{6,}[)）])$", label)
    return f"{m.group(1)}\n{m.group(2)}" if m else None


def _header_split(label: str) -> str | None:
    for a in ("本年新", "本年制发", "本年废止", "现行有效", "对外公开", "上一年", "本年处理", "采购项目", "采购总",
              "处理决定", "本年收费"):
        if label.startswith(a) and len(label) > len(a) + 1:
            return f"{a}\n{label[len(a):]}"
    return None


def _modern_tables(tpl: T.Template, raws: dict, half: bool) -> list[Tab]:
    out = []
    for table in tpl.tables:
        if table.id.startswith("s2."):
            head = [[C(table.corner or "信息内容")] + [C(_lab(c.label, half), split=_header_split(_lab(c.label, half)))
                                                      for c in table.columns]]
            body = []
            for r in table.rows:
                row = [C(_lab(r.label, half))]
                for c in table.columns:
                    k = (f"{r.code}.{c.code}", "value")
                    row.append(C(raws[k], key=k))
                body.append(row)
            out.append(Tab(table.id, _lab(table.title, half), head, body, 1 + len(table.columns)))
        elif table.id == "s3":
            corner = _lab(table.corner, half)
            head = [[C(corner, cs=3, rs=3, split=_corner_split(corner)), C("申请人情况", cs=7)],
                    [C("自然人", rs=2), C("法人或其他组织", cs=5), C("总计", rs=2)],
                    [C(c.label) for c in table.columns if c.group]]
            body = []
            rows = table.rows
            groups = [tuple(r.group.split("/")) if r.group else () for r in rows]
            for i, r in enumerate(rows):
                g = groups[i]
                row: list[C] = []
                label = _lab(r.label, half)
                lsplit = _note_split(label)
                if not g:
                    row.append(C(label, cs=3, split=lsplit))
                else:
                    for depth in range(len(g)):
                        prefix = g[:depth + 1]
                        first = i == 0 or groups[i - 1][:depth + 1] != prefix
                        if first:
                            n = sum(1 for gg in groups if gg[:depth + 1] == prefix)
                            row.append(C(_lab(prefix[-1], half), rs=n))
                    row.append(C(label, cs=3 - len(g), split=lsplit))
                for c in table.columns:
                    k = (r.code, c.code)
                    row.append(C(raws[k], key=k))
                body.append(row)
            out.append(Tab("s3", "", head, body, 10))
        elif table.id == "s4":
            cols = table.columns
            head = [[C("行政复议", cs=5), C("行政诉讼", cs=10)],
                    [C(c.label, rs=2) for c in cols[:5]] + [C("未经复议直接起诉", cs=5), C("复议后起诉", cs=5)],
                    [C(c.label) for c in cols[5:]]]
            body = [[C(raws[(f"{table.rows[0].code}.{c.code}", "value")],
                       key=(f"{table.rows[0].code}.{c.code}", "value")) for c in cols]]
            out.append(Tab("s4", "", head, body, 15))
    return out


def _corner_split(corner: str) -> str | None:
    i = corner.find("等于")
    return corner[:i] + "\n" + corner[i:] if i > 0 else None


def _old_table(tpl: T.Template, variant: str, raws: dict, fmt: _Fmt, half: bool, rng) -> Tab:
    labels = tpl.row_labels(variant or None)
    cells = {c.item: c for c in tpl.cells_for(variant or None)}
    head = [[C(rng.choice(["统计指标", "统 计 指 标"])), C("单位"), C(rng.choice(["统计数", "统计数", "合计"]))]]
    body = []
    for r in tpl.table("main").rows:
        if r.code not in cells:
            continue
        label = _lab(labels[r.code][0], half)
        k = (r.code, "value")
        unit = fmt.heading if r.heading else r.unit
        body.append([C(label, split=_note_split(label)), C(unit), C(raws[k], key=k)])
    return Tab("main", "", head, body, 3)


# ---------------------------------------------------------------- grid and text conventions

def _grid(rows: list, width: int) -> list[list]:
    """Each row as ``width`` slots (cell, origin row?, origin column?) or None."""
    carry: list = [None] * width
    grid = []
    for row in rows:
        slots: list = [None] * width
        for c in range(width):
            if carry[c] and carry[c][1] > 0:
                cell, left, oc = carry[c]
                slots[c] = (cell, False, oc == c)
                carry[c] = (cell, left - 1, oc)
        c = 0
        for cell in row:
            while c < width and slots[c] is not None:
                c += 1
            for j in range(cell.cs):
                if c + j < width:
                    slots[c + j] = (cell, True, j == 0)
                    carry[c + j] = (cell, cell.rs - 1, c) if cell.rs > 1 else None
            c += cell.cs
        grid.append(slots)
    return grid


def _text_rows(rows: list, width: int, conv: str, body: bool) -> list[list[C]]:
    """Rows of a table as text cells.

    ``grid``: full width, spanned places as empty cells; ``placeholders``: colspans collapsed, an empty
    cell where a rowspan continues (seed 001, the v2021 tab fixture); ``omit``: colspans collapsed,
    rowspan continuations left out; ``merged``: as ``omit`` with the row's labels glued into one cell.
    """
    out = []
    for slots in _grid(rows, width):
        cells: list[C] = []
        for s in slots:
            if s is None:
                if conv == "grid":
                    cells.append(C(""))
                continue
            cell, orow, ocol = s
            if conv == "grid":
                cells.append(cell if orow and ocol else C(""))
            elif not ocol:
                continue
            elif not orow:
                if conv == "placeholders":
                    cells.append(C(""))
            else:
                cells.append(cell)
        if conv == "merged" and body:
            labels = [c for c in cells if c.key is None]
            rest = [c for c in cells if c.key is not None]
            if labels:
                text = " ".join(c.text for c in labels if c.text)
                cells = [C(text)] + rest
        out.append(cells)
    return out


class _Doc:
    def __init__(self):
        self.lines: list[str] = []
        self.pos: dict = {}
        self.marks: dict = {"tables": []}

    def add(self, line: str = "", keys=()):
        for k, f in keys:
            self.pos[k] = (len(self.lines), f)
        self.lines.append(line)

    def table_span(self, tid: str, start_keys: int):
        keys = list(self.pos.values())[start_keys:]
        if keys:
            self.marks["tables"].append((tid, min(k[0] for k in keys), max(k[0] for k in keys)))

    @property
    def n(self) -> int:
        return len(self.lines)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


# ------------------------------------------------------------------------------ text layouts

def _pipe_line(texts: list[str], style: str) -> str:
    if style == "compact":
        return "|" + "|".join(texts) + "|"
    return "| " + " | ".join(texts) + " |"


def _split_pipe(line: str) -> list[str]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    return [x.strip() for x in s.split("|")]


def _emit_rows_layout(doc: _Doc, layout: str, rows: list[list[C]], header_rows: int, rng, opts) -> None:
    """Write rows (header rows first) in a row-per-line layout (tsv, pipes, markdown)."""
    for i, row in enumerate(rows):
        texts = [c.text.replace("\n", "") for c in row]
        if layout == "tsv":
            line = "\t".join(texts)
            fields = list(range(len(texts)))
        elif layout in ("pipe_compact", "group_col"):
            line = _pipe_line(texts, "compact")
            fields = list(range(len(texts)))
        elif layout == "pipe_padded":
            pad = opts["pad"]
            line = _pipe_line(texts, "spaced") + " " + "|" * pad
            fields = list(range(len(texts)))
        else:   # markdown, merged_label
            line = _pipe_line(texts, "spaced")
            fields = list(range(len(texts)))
        doc.add(line, [(c.key, f) for c, f in zip(row, fields) if c.key])
        if layout == "markdown" and i == 0:
            doc.add("|" + "|".join(["---"] * len(row)) + "|")


def _cell_lines(text: str, use_split: bool, split: str | None) -> list[str]:
    return (split if use_split and split else text).split("\n")


def _emit_cell_lines(doc: _Doc, layout: str, rows: list[list[C]], rng, opts) -> None:
    use_split = opts["splits"]
    for row in rows:
        for c in row:
            parts = _cell_lines(c.text, use_split, c.split) if c.text else [""]
            if layout == "cell_lines_pipe":
                for p in parts[:-1]:
                    doc.add(p)
                doc.add(f"{parts[-1]} |" if parts[-1] else " |", [(c.key, None)] if c.key else ())
            elif layout == "cell_lines_bar":
                if c.text:
                    for j, p in enumerate(parts):
                        doc.add(p, [(c.key, None)] if c.key and j == len(parts) - 1 else ())
                    doc.add("|")
                else:
                    doc.add("|", [(c.key, None)] if c.key else ())
            elif layout == "cell_lines_blank":
                if c.text:
                    for j, p in enumerate(parts):
                        doc.add(p, [(c.key, None)] if c.key and j == len(parts) - 1 else ())
                else:
                    doc.add("\xa0", [(c.key, None)] if c.key else ())
                doc.add("")
            elif layout == "tab_cells":
                if c.text:
                    doc.add("\t" + parts[0], [(c.key, None)] if c.key and len(parts) == 1 else ())
                    for j, p in enumerate(parts[1:], start=1):
                        doc.add(p, [(c.key, None)] if c.key and j == len(parts) - 1 else ())
                else:
                    doc.add(rng.choice(["\t", "\t", "\t\xa0"]), [(c.key, None)] if c.key else ())
        if layout in ("tab_cells",) or (layout == "cell_lines_pipe" and opts["row_gap"]):
            doc.add("")


_CONV = {
    "tsv": ("placeholders", "omit"), "markdown": ("grid",), "pipe_compact": ("placeholders", "merged", "omit"),
    "pipe_padded": ("placeholders",), "group_col": ("placeholders",), "merged_label": ("merged",),
    "cell_lines_pipe": ("placeholders", "omit"), "cell_lines_blank": ("omit",),
    "cell_lines_bar": ("omit", "placeholders"), "tab_cells": ("placeholders",),
}


def _emit_table_text(doc: _Doc, layout: str, tab: Tab, rng, opts) -> None:
    conv = opts["conv"]
    head = _text_rows(tab.head, tab.width, "omit" if conv == "merged" else conv, body=False)
    body = _text_rows(tab.body, tab.width, conv, body=True)
    if opts["flat_header"] and tab.tid == "s3" and layout not in ("markdown",):
        # one header row of leaf labels (a common re-typed form)
        head = [[C(tab.head[0][0].text)] + [C("自然人")] + [C(x.text) for x in tab.head[2]] + [C("总计")]]
    start = len(doc.pos)
    if tab.title:
        if layout == "tab_cells":
            doc.add("\t" + tab.title)
            doc.add("")
        elif layout == "markdown" or rng.random() < 0.7:
            doc.add(tab.title)
        else:
            row = [C(tab.title)]
            _emit_rows_layout(doc, layout, [row], 0, rng, opts) if layout not in _CELL_LINE else \
                _emit_cell_lines(doc, layout, [row], rng, opts)
    if layout in _CELL_LINE:
        _emit_cell_lines(doc, layout, head + body, rng, opts)
    else:
        _emit_rows_layout(doc, layout, head + body, len(head), rng, opts)
    doc.table_span(tab.tid, start)


_CELL_LINE = ("cell_lines_pipe", "cell_lines_bar", "cell_lines_blank", "tab_cells")


# --------------------------------------------------------------------------------- pdf text

def _wrap_point(label: str, width: int) -> int | None:
    if len(label) <= width:
        return None
    for cut in range(width, 4, -1):
        a, b = label[cut - 1], label[cut]
        if not (a.isascii() or b.isascii() or a in "．（(" or b in "）)．" or a.isdigit() or b.isdigit()):
            return cut
    return None


def _pdf_row(doc: _Doc, label: str, values: list[C], sep: str, width: int, lead: str = "") -> None:
    cut = _wrap_point(label, width)
    tail = sep.join(c.text for c in values)
    n = len(values)
    keys = [(c.key, -(n - j)) for j, c in enumerate(values) if c.key]
    if cut:
        doc.add(lead + label[:cut])
        doc.add(label[cut:] + sep + tail, keys)
    else:
        doc.add(lead + label + sep + tail, keys)


def _emit_pdf_modern(doc: _Doc, tab: Tab, rng, opts) -> None:
    sep, width = opts["sep"], opts["wrap"]
    start = len(doc.pos)
    if tab.tid.startswith("s2."):
        doc.add(tab.title)
        hdr = tab.head[0]
        if opts["pdf_split_header"] and any(c.split for c in hdr):
            doc.add(sep.join(c.split.split("\n")[0] if c.split else c.text for c in hdr))
            doc.add(sep.join(c.split.split("\n")[1] for c in hdr if c.split))
        else:
            doc.add(sep.join(c.text for c in hdr))
        if tab.tid == "s2.art20_1":
            doc.marks["s2_header_end"] = doc.n
        for row in tab.body:
            _pdf_row(doc, row[0].text, row[1:], sep, width)
    elif tab.tid == "s3":
        corner = tab.head[0][0]
        for part in (corner.split.split("\n") if corner.split and opts["splits"] else [corner.text]):
            doc.add(part)
        doc.add("申请人情况")
        doc.add(sep.join(["自然人", "法人或其他组织", "总计"]))
        doc.add(sep.join(c.text for c in tab.head[2]))
        for row in tab.body:
            labels = [c for c in row if c.key is None]
            values = [c for c in row if c.key is not None]
            groups, leaf = labels[:-1], labels[-1]
            if groups and opts["pdf_group_line"]:
                for g in groups:
                    doc.add(g.text)
                _pdf_row(doc, leaf.text, values, sep, width)
            elif groups:
                prefix = " ".join(g.text for g in groups) + " "
                cut = _wrap_point(leaf.text, width)
                n = len(values)
                keys = [(c.key, -(n - j)) for j, c in enumerate(values)]
                tail = sep.join(c.text for c in values)
                if cut:
                    doc.add(prefix + leaf.text[:cut])
                    doc.add(leaf.text[cut:] + sep + tail, keys)
                else:
                    doc.add(prefix + leaf.text + sep + tail, keys)
            else:
                _pdf_row(doc, leaf.text, values, sep, width)
    elif tab.tid == "s4":
        doc.add(sep.join(["行政复议", "行政诉讼"]))
        doc.add(sep.join([c.text for c in tab.head[1]]))
        doc.add(sep.join(c.text for c in tab.head[2]))
        vals = tab.body[0]
        doc.add(sep.join(c.text for c in vals), [(c.key, -(15 - j)) for j, c in enumerate(vals)])
    doc.table_span(tab.tid, start)


def _indent(label: str) -> int:
    if re.match(r"^[一二三四五六七八九]、", label):
        return 0
    if re.match(r"^[（(][一二三四五六七八九][)）]", label):
        return 1
    if label.startswith("其中"):
        return 4
    return 4 if not re.match(r"^\d", label) else 3


def _emit_pdf_old(doc: _Doc, tab: Tab, rng, opts) -> None:
    sep, width = opts["sep"], opts["wrap"] + 6
    start = len(doc.pos)
    doc.add(sep.join(c.text for c in tab.head[0]))
    for label, unit, val in tab.body:
        lead = " " * _indent(label.text) if opts["indent"] else ""
        _pdf_row(doc, label.text, [unit, val], sep, width, lead)
    doc.table_span(tab.tid, start)


# ------------------------------------------------------------------------------------- html

def _td(c: C, opts, rng, tag: str = "td") -> str:
    attrs = ""
    if c.cs > 1:
        attrs += f' colspan="{c.cs}"'
    if c.rs > 1:
        attrs += f' rowspan="{c.rs}"'
    if c.text:
        if c.split and opts["splits"]:
            inner = "<br/>".join(_html.escape(p, quote=False) for p in c.split.split("\n"))
        else:
            inner = _html.escape(c.text, quote=False)
        wrap = opts["wrap_td"]
        if wrap == "p":
            inner = f"<p>{inner}</p>"
        elif wrap == "span":
            inner = f'<p style="text-align:center"><span style="font-size:14px">{inner}</span></p>'
    else:
        inner = rng.choice(["", "&nbsp;", "<p>&nbsp;</p>"]) if opts["empty_td"] == "mixed" else opts["empty_td"]
    return f"<{tag}{attrs}>{inner}</{tag}>"


def _emit_html_table(doc: _Doc, tabs: list[Tab], rng, opts) -> None:
    """One <table>; every <td> is counted in document order (doc.marks['td']) so the self-check can find it."""
    doc.add('<table border="1" cellspacing="0" cellpadding="0" style="border-collapse:collapse">')
    doc.add("<tbody>")
    start = len(doc.pos)
    width = max(t.width for t in tabs)

    def emit_row(r: list[C]) -> None:
        if opts["td_lines"]:
            doc.add("<tr>")
            for c in r:
                doc.add(_td(c, opts, rng), [(c.key, doc.marks["td"])] if c.key else ())
                doc.marks["td"] += 1
            doc.add("</tr>")
        else:
            line, keys = "<tr>", []
            for c in r:
                line += _td(c, opts, rng)
                if c.key:
                    keys.append((c.key, doc.marks["td"]))
                doc.marks["td"] += 1
            doc.add(line + "</tr>", keys)

    for tab in tabs:
        if tab.title:
            emit_row([C(tab.title, cs=width)])
        for r in tab.head:
            emit_row(r)
        if tab.tid == "s2.art20_1":
            doc.marks["s2_header_end"] = doc.n
        for r in tab.body:
            emit_row(r)
    doc.add("</tbody>")
    doc.add("</table>")
    doc.table_span("+".join(t.tid for t in tabs), start)


def _s2_fill_width(tab: Tab, width: int) -> Tab:
    """Section 二 sub-table inside one 4-column table: its last header and value cells widen (official form)."""
    extra = width - tab.width
    if extra <= 0:
        return tab
    head = [r[:-1] + [replace(r[-1], cs=r[-1].cs + extra)] for r in tab.head]
    body = [r[:-1] + [replace(r[-1], cs=r[-1].cs + extra)] for r in tab.body]
    return Tab(tab.tid, tab.title, head, body, width)


def _colspan_mismatch(tab: Tab) -> Tab:
    """Header: second column two wide; data rows: the first value two wide instead."""
    if len(tab.head[0]) < 4:
        return tab
    head = [[r[0], r[1], replace(r[2], cs=2), *r[3:]] for r in tab.head]
    body = [[r[0], replace(r[1], cs=2), *r[2:]] for r in tab.body]
    return Tab(tab.tid, tab.title, head, body, tab.width + 1)


# ------------------------------------------------------------------------------------ prose

_REGIONS = ["嘉兴市", "嘉善县", "海宁市", "平湖市", "桐乡市", "海盐县", "台州市", "温岭市", "临海市", "玉环市",
            "安康市", "汉滨区", "湖州市", "德清县", "长兴县", "安吉县", "绍兴市", "诸暨市", "上虞区", "金华市",
            "义乌市", "东阳市", "衢州市", "江山市", "丽水市", "龙泉市", "舟山市", "岱山县", "温州市", "瑞安市",
            "乐清市", "杭州市", "余杭区", "萧山区", "富阳区", "秀洲区", "南湖区", "椒江区", "黄岩区", "路桥区"]
_NINGBO = ["宁波市", "宁波市镇海区", "宁波市北仑区", "宁波市鄞州区", "宁波市奉化区", "余姚市", "慈溪市", "宁海县",
           "象山县", "宁波市江北区", "宁波市海曙区"]
_DEPTS = ["经济和信息化局", "财政局", "教育局", "民政局", "司法局", "人力资源和社会保障局", "自然资源和规划局",
          "生态环境局", "住房和城乡建设局", "交通运输局", "水利局", "农业农村局", "商务局", "文化广电旅游局",
          "卫生健康委员会", "应急管理局", "审计局", "市场监督管理局", "统计局", "医疗保障局", "档案局",
          "人民政府办公室", "发展和改革局", "科学技术局", "公安局", "退役军人事务局", "林业局", "体育局",
          "综合行政执法局", "行政审批局", "经济合作局", "供销合作社", "信访局", "人民政府", "民族宗教事务局"]
_PEOPLE = ["费丽飞", "周九", "吴十", "赵六", "钱七", "孙八", "李四", "王五", "陈三", "冯二", "郑一", "褚十一"]


def agency_name(rng: random.Random, ningbo: bool = False) -> str:
    return rng.choice(_NINGBO if ningbo else _REGIONS) + rng.choice(_DEPTS)


def _modern_prose(agency: str, year: int, v: dict, t: str, rng) -> tuple[list[str], list[str]]:
    new = v.get((f"{t}.s3.new_received", "total"), 0)
    carried = v.get((f"{t}.s3.carried_over", "total"), 0)
    done = v.get((f"{t}.s3.result.total", "total"), 0)
    cf = v.get((f"{t}.s3.carry_forward", "total"), 0)
    rev = v.get((f"{t}.s4.review.total", "value"), 0)
    lit = v.get((f"{t}.s4.lit_direct.total", "value"), 0) + v.get((f"{t}.s4.lit_after_review.total", "value"), 0)
    pub = rng.randint(30, 2000)
    head = [
        "一、总体情况",
        f"{year}年，{agency}深入贯彻落实《中华人民共和国政府信息公开条例》，坚持“公开为常态、不公开为例外”，"
        f"围绕中心工作扎实推进政府信息公开，各项工作有序开展。现将有关情况报告如下：",
        f"（一）主动公开情况。全年通过门户网站、政务新媒体等渠道主动公开政府信息{pub}条，"
        f"及时发布政策文件、工作动态、通知公告等信息。",
        f"（二）依申请公开情况。全年新收政府信息公开申请{new}件，上年结转{carried}件，办结{done}件，"
        f"结转下年度继续办理{cf}件，均在法定期限内答复。",
        "（三）政府信息管理情况。严格落实信息发布审查制度，做好公开属性源头认定，动态调整主动公开目录。",
        "（四）平台建设情况。持续优化政府信息公开专栏，加强政务新媒体管理，提升平台便民服务水平。",
        "（五）监督保障情况。将政务公开工作纳入年度目标考核，开展业务培训，主动接受社会监督。",
    ]
    if rev or lit:
        head.append(f"全年因政府信息公开引发行政复议{rev}件、行政诉讼{lit}件。")
    tail = [
        "五、存在的主要问题及改进情况",
        "（一）存在的主要问题。一是政策解读形式还不够丰富；二是公开内容的及时性和规范性有待提升；"
        "三是依申请公开办理水平需进一步提高。",
        "（二）改进措施。下一步，我们将加强业务培训，规范公开流程，丰富解读形式，不断提升政府信息公开质量。",
        "六、其他需要报告的事项",
        rng.choice(["本年度未收取信息处理费。", "无。",
                    f"依据《政府信息公开信息处理费管理办法》，本年度实际收取信息处理费共计{rng.randint(1, 9) * 100}元。"
                    if t == "v2021" else "本机关无其他需要报告的事项。"]),
    ]
    return head, tail


def _old_prose(agency: str, year: int, v: dict, rng) -> tuple[list[str], list[str]]:
    tot = v.get(("old.s1.proactive.total", "value"), 0)
    rec = v.get(("old.s3.received.total", "value"), 0)
    head = [
        f"根据《中华人民共和国政府信息公开条例》规定，特向社会公布{year}年度{agency}政府信息公开工作年度报告。"
        f"本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。",
        "一、概述",
        f"{year}年，我局认真贯彻落实上级关于政府信息公开工作的部署要求，明确责任分工，健全工作机制，"
        "政府信息公开工作有序推进。",
        "二、主动公开政府信息情况",
        f"全年主动公开政府信息{tot}条，主要包括机构职能、政策文件、工作动态、人事信息、财政预决算等内容。",
        "三、依申请公开政府信息情况",
        f"全年共收到政府信息公开申请{rec}件，均已按规定时限答复。" if rec else "全年未收到政府信息公开申请。",
        "四、政府信息公开的收费及减免情况",
        f"{year}年度未收取政府信息公开相关费用。",
        "五、因政府信息公开申请行政复议、提起行政诉讼的情况",
        f"{year}年度未发生因政府信息公开申请行政复议、提起行政诉讼的情况。",
    ]
    tail = [
        "六、政府信息公开工作存在的主要问题及改进情况",
        "一是公开内容的深度和广度有待拓展；二是信息更新的及时性需进一步加强。下一步，我局将进一步加强组织领导，"
        "完善工作制度，提高政府信息公开工作水平。",
    ]
    return head, tail


# ------------------------------------------------------------------------------------ render

def render(template: str, variant: str, layout: str, zero_style: str, values: dict, *, agency: str, year: int,
           rng: random.Random, name: str = "") -> Rendered:
    """One whole report of ``template`` (and variant) in ``layout`` with ``zero_style``, and its truth."""
    if template not in LAYOUTS[layout]:
        raise ValueError(f"layout {layout} does not apply to template {template}")
    if zero_style not in ZERO_STYLES:
        raise ValueError(zero_style)
    tpl = T.load(template)
    specs = tpl.cells_for(variant or None)
    can_empty = CAN_EMPTY[layout]
    fmt = _Fmt(rng, template, zero_style, can_empty, values)
    raws = {(c.item, c.column): fmt.raw(c, values.get((c.item, c.column), 0)) for c in specs}
    half = rng.random() < 0.3
    opts = {
        "conv": rng.choice([c for c in _CONV.get(layout, ("placeholders",))
                            if not (template == "old" and c == "merged")] or ["placeholders"]),
        "splits": layout in ("cell_lines_blank", "tab_cells") or rng.random() < 0.5,
        "row_gap": rng.random() < 0.5,
        "pad": rng.randint(1, 4),
        "flat_header": layout in ("tsv", "pipe_compact", "merged_label", "pipe_padded") and rng.random() < 0.25,
        "sep": rng.choice([" ", " ", " ", "  "]),
        "wrap": rng.choice([12, 14, 16, 18]),
        "pdf_group_line": rng.random() < 0.5,
        "pdf_split_header": rng.random() < 0.3,
        "indent": rng.random() < 0.5,
        "wrap_td": rng.choice(["", "", "p", "span"]),
        "empty_td": rng.choice(["", "&nbsp;", "mixed"]),
        "td_lines": rng.random() < 0.3,
        "one_s2_table": rng.random() < 0.5,
    }
    doc = _Doc()
    doc.marks["td"] = 0
    is_html = layout.startswith("html")
    yr = f"{year}年" if rng.random() < 0.5 else f"{year}年度"
    title = f"{agency}{yr}政府信息公开工作年度报告"
    if is_html:
        doc.add("<!DOCTYPE html>")
        doc.add('<html><head><meta charset="utf-8">')
        doc.add(f"<title>{title}</title>")
        doc.add("</head><body>")
        doc.add('<div class="nav">首页 &gt; 政务公开 &gt; 政府信息公开年报</div>')
        doc.add(f"<h1>{title}</h1>")
    else:
        if rng.random() < 0.3:
            doc.add("当前位置：首页 > 政务公开 > 政府信息公开年报")
            doc.add(f"发布机构：{agency}　发布日期：{year + 1}-01-{rng.randint(10, 31)}")
        doc.add(title)
        doc.add("")

    def para(text: str, heading: bool = False):
        if is_html:
            doc.add(f"<p><strong>{text}</strong></p>" if heading and rng.random() < 0.5 else f"<p>{text}</p>")
        else:
            doc.add(text)
            if rng.random() < 0.6:
                doc.add("")

    if template == "old":
        head, tail = _old_prose(agency, year, values, rng)
        tab = _old_table(tpl, variant, raws, fmt, half, rng)
        at_end = rng.random() < 0.5
        for p in head:
            para(p, heading=bool(re.match(r"^[一二三四五六七八九]、", p)))
        if at_end:
            for p in tail:
                para(p)
        para("附表：" if at_end else "七、关于统计数据附表及其说明")
        para("政府信息公开情况统计表")
        para(f"（{year}年度）")
        para(f"填报单位（盖章）：{agency}")
        _emit_tables(doc, layout, [tab], rng, opts, template)
        person = rng.choice(_PEOPLE)
        if layout == "tsv":
            doc.add(f"单位负责人：\t审核人：\t填报人： {person}")
        else:
            para(f"单位负责人：　　审核人：　　填报人：{person}")
        para(f"联系电话：0573-8{rng.randint(1000000, 9999999)}　填报日期：{year + 1}年1月{rng.randint(5, 28)}日")
        if not at_end:
            for p in tail:
                para(p)
    else:
        head, tail = _modern_prose(agency, year, values, template, rng)
        for p in head:
            para(p, heading=p.startswith("一、"))
        tabs = _modern_tables(tpl, raws, half)
        para("二、主动公开政府信息情况", heading=True)
        _emit_tables(doc, layout, [t for t in tabs if t.tid.startswith("s2.")], rng, opts, template)
        para("三、收到和处理政府信息公开申请情况", heading=True)
        _emit_tables(doc, layout, [t for t in tabs if t.tid == "s3"], rng, opts, template)
        para("四、政府信息公开行政复议、行政诉讼情况", heading=True)
        _emit_tables(doc, layout, [t for t in tabs if t.tid == "s4"], rng, opts, template)
        for p in tail:
            para(p, heading=bool(re.match(r"^[五六]、", p)))
    if is_html:
        doc.add('<div class="foot">打印本页　关闭窗口</div>')
        doc.add("</body></html>")

    truth = {}
    for c in specs:
        k = (c.item, c.column)
        p = parse_cell(raws[k], c.money, c.signed)
        truth[k] = (p.state.value, p.value)
        _check_intent(c, raws[k], p, values.get(k, 0), fmt, can_empty)
    missing = set(truth) - set(doc.pos)
    if missing:
        raise AssertionError(f"{layout}: cells not written: {sorted(missing)[:5]}")
    ext = "html" if is_html else "txt"
    return Rendered(doc.text(), truth, template, variant, layout, zero_style, agency, year,
                    name=name or f"{template}_{layout}_{zero_style}.{ext}", raw=raws, cell_pos=dict(doc.pos),
                    marks={k: v for k, v in doc.marks.items() if k != "td"})


def _check_intent(spec, raw: str, p, val, fmt: _Fmt, can_empty: bool) -> None:
    """The truth (parse_cell of what was written) must match what the generator meant to write."""
    key = (spec.item, spec.column)
    if spec.heading:
        want = {"": State.EMPTY}.get(raw, State.NA)
        assert p.state == want, (key, raw, p)
        return
    if key in fmt.na_cells:
        assert p.state == State.NA, (key, raw, p)
        return
    if val == 0:
        want = {"zero": State.ZERO, "blank": State.EMPTY if can_empty else State.NA, "slash": State.NA}[fmt.style]
        assert p.state == want, (key, raw, p, fmt.style)
        return
    assert p.state == State.NUMERIC and abs(p.value - val) < 1e-6, (key, raw, p, val)


def _emit_tables(doc: _Doc, layout: str, tabs: list[Tab], rng, opts, template: str) -> None:
    if layout.startswith("html"):
        if template != "old" and tabs[0].tid.startswith("s2."):
            if layout == "html_colspan_mismatch":
                for t in tabs:
                    t = _colspan_mismatch(t)
                    doc.add(f"<p>{t.title}</p>")
                    _emit_html_table(doc, [replace(t, title="")], rng, opts)
            elif opts["one_s2_table"]:
                _emit_html_table(doc, [_s2_fill_width(t, 4) for t in tabs], rng, opts)
            else:
                for t in tabs:
                    _emit_html_table(doc, [t], rng, opts)
        else:
            for t in tabs:
                if template == "old":
                    doc.add("<p>政府信息公开情况统计表</p>" if rng.random() < 0.3 else "")
                _emit_html_table(doc, [t], rng, opts)
        return
    for t in tabs:
        if layout == "pdf_text":
            (_emit_pdf_old if template == "old" else _emit_pdf_modern)(doc, t, rng, opts)
        else:
            if t.tid == "s2.art20_1":
                _emit_table_text_marked(doc, layout, t, rng, opts)
            else:
                _emit_table_text(doc, layout, t, rng, opts)
            if layout not in ("tab_cells", "cell_lines_blank") and rng.random() < 0.5:
                doc.add("")


def _emit_table_text_marked(doc: _Doc, layout: str, tab: Tab, rng, opts) -> None:
    """Section 二's first table, remembering the line where its header row ends."""
    body, tab_nobody = tab.body, replace(tab, body=[])
    # header part
    start = len(doc.pos)
    _emit_table_text(doc, layout, tab_nobody, rng, opts)
    doc.marks["tables"] = [t for t in doc.marks["tables"] if t[0] != tab.tid]
    doc.marks["s2_header_end"] = doc.n
    conv = opts["conv"]
    rows = _text_rows(tab.head + body, tab.width, conv, body=True)[len(tab.head):]
    if layout in _CELL_LINE:
        _emit_cell_lines(doc, layout, rows, rng, opts)
    else:
        _emit_rows_layout(doc, layout, rows, 0, rng, opts)
    doc.table_span(tab.tid, start)


# ---------------------------------------------------------------------------------- corpus

def corpus(seed: int = 0, per_combo: int = 8) -> list[Rendered]:
    """Every template (+ningbo) × applicable layout × zero style, ``per_combo`` reports each."""
    crng = random.Random(seed)
    used: set = set()
    out = []
    i = 0
    for tid, variant in TEMPLATE_VARIANTS:
        for layout, tids in LAYOUTS.items():
            if tid not in tids:
                continue
            for style in ZERO_STYLES:
                for j in range(per_combo):
                    rng = random.Random(f"{seed}/{tid}/{variant}/{layout}/{style}/{j}")
                    year = crng.randint(*YEARS[tid])
                    while True:
                        agency = agency_name(crng, ningbo=variant == "ningbo")
                        if (agency, year) not in used:
                            used.add((agency, year))
                            break
                        year = crng.randint(*YEARS[tid])
                    values = make_values(tid, variant, rng)
                    ext = "html" if layout.startswith("html") else "txt"
                    out.append(render(tid, variant, layout, style, values, agency=agency, year=year, rng=rng,
                                      name=f"{i:05d}_{tid}{'-' + variant if variant else ''}_{layout}_{style}.{ext}"))
                    i += 1
    return out


# ------------------------------------------------------------------------------ truncation

def cut_points(r: Rendered) -> list[int]:
    """Line indexes k (keep lines [0, k)) that fall strictly inside a table: at least one of its
    non-heading cells before the cut, some of its cells after."""
    heading = {(c.item, c.column) for c in T.load(r.template).cells if c.heading}
    pts = set()
    for _tid, first, last in r.marks["tables"]:
        data = [ln for k, (ln, _f) in r.cell_pos.items() if k not in heading and first <= ln <= last]
        if data:
            pts.update(range(min(data) + 1, last + 1))
    return sorted(pts)


def truncate(r: Rendered, fraction: float | None = None, *, line: int | None = None) -> Rendered:
    """The report cut between two lines inside a table (``fraction`` of the way through the possible
    cuts), or at ``line``; the truth keeps only the cells written entirely before the cut."""
    if line is None:
        pts = cut_points(r)
        line = pts[min(len(pts) - 1, int(fraction * len(pts)))]
    lines = r.text.split("\n")
    text = "\n".join(lines[:line]) + "\n"
    truth = {k: v for k, v in r.truth.items() if r.cell_pos[k][0] < line}
    return replace(r, text=text, truth=truth, cut_line=line,
                   name=r.name.replace(".", f".cut{line}.", 1))


# ------------------------------------------------------------------------------- prose only

def prose_only(kind: str, rng: random.Random) -> tuple[str, str]:
    """(text, name) of a document without any statistics table: ``report`` (a report whose tables are
    images), ``narrative`` (numbers only in sentences), ``news`` (a news page), ``report_html``."""
    agency = agency_name(rng)
    year = rng.randint(2015, 2024)
    title = f"{agency}{year}年政府信息公开工作年度报告"
    if kind == "report":
        text = "\n\n".join([title, "一、总体情况", f"{year}年，本机关政府信息公开工作按照上级要求有序开展。",
                            "二、主动公开政府信息情况", "（详见附件图片）", "三、收到和处理政府信息公开申请情况",
                            "（详见附件图片）", "四、政府信息公开行政复议、行政诉讼情况", "（详见附件图片）",
                            "五、存在的主要问题及改进情况", "下一步将加强培训，提高公开质量。"]) + "\n"
        return text, "prose_report.txt"
    if kind == "narrative":
        n = rng.randint(3, 40)
        text = "\n".join([title, "", "一、总体情况",
                          f"{year}年，本机关共主动公开政府信息{rng.randint(50, 900)}条，其中规范性文件{rng.randint(1, 9)}件。",
                          f"全年新收政府信息公开申请{n}件，上年结转1件，予以公开{n - 1}件，部分公开1件，结转下年度继续办理1件。",
                          "因政府信息公开引发行政复议1件、行政诉讼0件。",
                          "二、存在的主要问题及改进情况", "公开的及时性和规范性有待提升。",
                          "三、其他需要报告的事项", "无。"]) + "\n"
        return text, "prose_narrative.txt"
    if kind == "news":
        text = "\n".join([f"{agency}召开{year}年政务公开工作推进会", f"发布时间：{year}-03-{rng.randint(10, 28)}　来源：{agency}",
                          f"近日，{agency}召开政务公开工作推进会，总结上一年度政府信息公开工作，部署本年度重点任务。",
                          "会议指出，要坚持以公开为常态、不公开为例外，进一步做好政策解读和回应关切，"
                          "规范依申请公开办理，确保政府信息公开工作年度报告按时发布。",
                          f"会议要求，各科室要于{year}年1月31日前报送本科室政府信息公开工作情况。",
                          "【打印本页】【关闭窗口】"]) + "\n"
        return text, "news.txt"
    if kind == "report_html":
        text = (f"<html><head><meta charset=\"utf-8\"><title>{title}</title></head><body><h2>{title}</h2>"
                f"<p>一、总体情况</p><p>本机关认真贯彻落实政府信息公开条例，全年工作平稳有序。</p>"
                f"<p>二、主动公开政府信息情况</p><p><img src=\"t2.png\" alt=\"统计表\"></p>"
                f"<p>三、收到和处理政府信息公开申请情况</p><p><img src=\"t3.png\"></p>"
                f"<p>四、政府信息公开行政复议、行政诉讼情况</p><p><img src=\"t4.png\"></p></body></html>\n")
        return text, "prose_report.html"
    raise ValueError(kind)


# -------------------------------------------------------------------------------- self-check

def self_check(r: Rendered) -> None:
    """The truth claims hold for the text: every cell's raw stands where the generator says it is
    (re-split for row layouts, re-tokenised for PDF text, re-parsed with lxml for HTML)."""
    lines = r.text.split("\n")
    assert set(r.truth) <= set(r.cell_pos)
    if r.is_html:
        import lxml.html
        root = lxml.html.fromstring(r.text)
        tds = list(root.iter("td"))
        for k in r.truth:
            idx = r.cell_pos[k][1]
            got = tds[idx].text_content().replace("\xa0", " ").strip()
            assert got == r.raw[k].strip(), (r.name, k, got, r.raw[k])
        return
    for k in r.truth:
        ln, f = r.cell_pos[k]
        line, raw = lines[ln], r.raw[k]
        if r.layout == "tsv":
            assert line.split("\t")[f] == raw, (r.name, k, line, raw)
        elif r.layout in ("pipe_compact", "group_col", "markdown", "merged_label"):
            assert _split_pipe(line)[f] == raw, (r.name, k, line, raw)
        elif r.layout == "pipe_padded":
            assert _split_pipe(line)[f] == raw, (r.name, k, line, raw)
        elif r.layout == "pdf_text":
            assert line.split()[f] == raw, (r.name, k, line, raw)
        elif r.layout == "cell_lines_pipe":
            assert line == f"{raw} |", (r.name, k, line, raw)
        elif r.layout == "cell_lines_bar":
            assert line == (raw or "|"), (r.name, k, line, raw)
            if raw:
                assert lines[ln + 1] == "|"
        elif r.layout == "cell_lines_blank":
            assert line == (raw or "\xa0") and lines[ln + 1] == "", (r.name, k, line, raw)
        elif r.layout == "tab_cells":
            assert line.lstrip("\t").replace("\xa0", "") == raw and line.startswith("\t"), (r.name, k, line, raw)
        else:
            raise AssertionError(r.layout)

