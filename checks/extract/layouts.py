"""Text layouts → rows of cells.

A text report is narrative with one or more tables in it. :func:`find_regions` finds the tables
(dense clusters of lines that hold a template label), :func:`detect_layout` tells how a table is
laid out, and :func:`read_region` turns its lines into :class:`~checks.extract.model.Row` s:

============== ======================================================= ==========================
layout         what it looks like                                      seen in
============== ======================================================= ==========================
tab-rows       ``label<TAB>unit<TAB>value`` one row per line           seed 000
tab-cells      one cell per line after a TAB, rows separated by blank  seeds 001, 003
               lines; a line without the leading TAB continues the
               cell above (a wrapped label)
glued          ``政府网站公开政府信息数426``: label, unit and value in   seed 002
               one string; a label wrapped onto the next line
pipe-vertical  ``label`` / ``|`` / ``unit`` / ``|`` / ``value`` / ``|``  seed 004
pipe-rows      ``| a | b | c |`` or compact ``|a|b|c|`` (also ``a | b |``)
line-blocks    one cell per line, no TAB, rows separated by blank lines
line-stream    one cell per line with no row separators (rows found by
               their labels)
============== ======================================================= ==========================

A cell's text is kept exactly as the layout delimits it (leading and trailing spaces, no-break
spaces, tabs inside); only the label of a wrapped row is joined (each line stripped, no
separator).
"""

from __future__ import annotations

import re

from checks.extract.align import _is_continuation, BLANKS, BLANK, FOOTER, ROW, BOTH, STRUCT, TEXT, UNIT, VALUE, Aligner, Matcher, split_glued
from checks.extract.model import Cell, Region, Row

GAP = 25          # non-empty lines allowed between two label lines of one table


def _empty(line: str) -> bool:
    """A separator line: nothing but spaces (a line holding only a TAB is an empty *cell*)."""
    return "\t" not in line and not line.strip(BLANKS)


def _sentence(line: str) -> bool:
    s = line.strip(BLANKS)
    return len(s) >= 60 or (len(s) >= 25 and "。" in s)


def find_regions(lines: list[str], m: Matcher) -> tuple[list[Region], int]:
    """The table regions of a text report, and how many lines hold a row label of this template."""
    anchors: list[tuple[int, int]] = []
    filled = [0] * (len(lines) + 1)         # filled[i]: non-empty lines before line i
    sentences: list[int] = []               # lines of narrative sentences
    n = 0
    for i, line in enumerate(lines):
        filled[i] = n
        if _empty(line):
            continue
        n += 1
        a = m.line_anchor(line)
        if a:
            anchors.append((i, a))
        elif len(line) >= 25 and _sentence(line):
            sentences.append(i)
    filled[len(lines)] = n
    if not anchors:
        return [], 0
    clusters: list[list[tuple[int, int]]] = [[anchors[0]]]
    si = 0
    for (i, a) in anchors[1:]:
        prev = clusters[-1][-1][0]
        while si < len(sentences) and sentences[si] <= prev:
            si += 1
        if filled[i] - filled[prev + 1] > GAP or (si < len(sentences) and sentences[si] < i):
            clusters.append([])
        clusters[-1].append((i, a))
    scores = [sum(1 for _, a in c if a == 2) for c in clusters]
    best = max(scores)
    total = sum(scores)
    if best < 3:
        return [], total
    keep = [c for c, s in zip(clusters, scores) if s >= max(3, 0.2 * best)]
    regions = []
    for c in keep:
        start, end = c[0][0], c[-1][0] + 1
        # rows above the first label line that carry the layout's marks (a misspelt first row)
        while start > 0 and _marked(lines[start - 1]):
            start -= 1
        while start < end and _empty(lines[start]):
            start += 1
        while end < len(lines) and _tableish(lines[end], m):
            end += 1
            if FOOTER_LINE(lines[end - 1], m):
                # the footer may span two lines (负责人 / 联系电话 …)
                while end < len(lines) and FOOTER_LINE(lines[end], m):
                    end += 1
                break
        while end > start and _empty(lines[end - 1]):
            end -= 1
        regions.append(Region(start, end))
    return regions, total


def FOOTER_LINE(line: str, m: Matcher) -> bool:
    s = line.strip(BLANKS + "|")
    return bool(s) and m.kind(s.split("\t")[0].split("|")[0])[0] == FOOTER


def _marked(line: str) -> bool:
    """A line laid out as table cells: empty, TAB-led or with TABs inside, a ``|`` row or separator."""
    s = line.strip(BLANKS)
    return not s or line.startswith("\t") or "\t" in s or s == "|" or s.count("|") >= 2


def _tableish(line: str, m: Matcher) -> bool:
    s = line.strip(BLANKS)
    if not s or s == "|" or line.startswith("\t") or "\t" in s or s.count("|") >= 2:
        return True
    if FOOTER_LINE(line, m) or _is_continuation(s):
        return True
    k = m.kind(s)[0]
    return k in (VALUE, UNIT, BLANK) or len(s) <= 6


def detect_layout(lines: list[str], reg: Region, m: Matcher) -> str:
    ne = [l for l in lines[reg.start:reg.end] if not _empty(l)]
    n = len(ne) or 1
    bar = sum(1 for l in ne if l.strip(BLANKS) == "|")
    if bar / n >= 0.15:
        return "pipe-vertical"
    if sum(1 for l in ne if l.count("|") >= 2) / n >= 0.3:
        return "pipe-rows"
    if sum(1 for l in ne if "\t" in l.strip(BLANKS.replace("\t", "")).lstrip("\t")) / n >= 0.3:
        return "tab-rows"
    if sum(1 for l in ne if l.startswith("\t")) / n >= 0.3:
        return "tab-cells"
    labelish = sum(1 for l in ne if m.kind(l.strip(BLANKS))[0] in (TEXT, ROW, BOTH, STRUCT))
    if labelish / n >= 0.6:
        return "glued"
    blocks = _blocks(lines, reg)
    if len(blocks) >= 3 and sum(1 for b in blocks if len(b) >= 2) >= 0.5 * len(blocks):
        return "line-blocks"
    return "line-stream"


def _blocks(lines: list[str], reg: Region) -> list[list[int]]:
    out: list[list[int]] = []
    cur: list[int] = []
    for i in range(reg.start, reg.end):
        if _empty(lines[i]):
            if cur:
                out.append(cur)
                cur = []
        else:
            cur.append(i)
    if cur:
        out.append(cur)
    return out


def _joined(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "".join(p.strip(BLANKS) for p in parts)


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _labelish(line: str, m: Matcher) -> bool:
    """Text that can be (part of) a row label: Chinese text that is not a value or a unit."""
    s = line.strip(BLANKS)
    return bool(_CJK.search(s)) and m.kind(s)[0] not in (VALUE, UNIT, BLANK)


def _segment(lines: list[str], seg: list[int], ln, m: Matcher) -> list[Cell]:
    """The text between two ``|`` lines: one cell (a wrapped label is joined), except that a title,
    header or footer line standing on its own (``政府信息公开情况统计表``, ``填报单位：…``) is a cell by itself."""
    groups: list[list[int]] = []
    for j in seg:
        k = m.kind(lines[j].strip(BLANKS))[0]
        if k in (STRUCT, FOOTER):
            groups.append([j])
            groups.append([])
        elif k in (VALUE, UNIT) or not _labelish(lines[j], m) or (
                groups and groups[-1] and not _labelish(lines[groups[-1][0]], m)):
            groups.append([j])              # only label lines are joined; a value stays as written
        else:
            if not groups:
                groups.append([])
            groups[-1].append(j)
    out: list[Cell] = []
    for g in groups:
        if g:
            out.extend(_cells_of([lines[j] for j in g], [ln(j) for j in g], m))
    return out


def _cells_of(parts: list[str], nos: list[int], m: Matcher) -> list[Cell]:
    """Lines of one cell → one cell when they join into a known label (a wrapped label), else one cell
    per line: a cell's text is always text of the report."""
    if len(parts) == 1:
        return [Cell(parts[0], nos[0])]
    joined = _joined(parts)
    if m.kind(joined)[0] in (ROW, BOTH, STRUCT):
        return [Cell(joined, nos[0])]
    return [Cell(p, n) for p, n in zip(parts, nos)]


def read_region(lines: list[str], lno: list[int] | None, reg: Region, layout: str, m: Matcher,
                aligner: Aligner) -> list[Row]:
    """The rows of one table region in the given layout (stream layouts are grouped by their labels)."""
    ln = (lambda i: i + 1) if lno is None else (lambda i: lno[i])
    rows: list[Row] = []
    rng = range(reg.start, reg.end)
    if layout == "tab-rows":
        for i in rng:
            line = lines[i]
            if _empty(line):
                continue
            rows.append(Row([Cell(t, ln(i)) for t in line.split("\t")], ln(i), line))
    elif layout == "pipe-rows":
        for i in rng:
            line = lines[i]
            s = line.strip(BLANKS)
            if not s or s == "|" or not s.strip("|-:： +"):
                continue
            body = s
            if body.startswith("|"):
                body = body[1:]
            if body.endswith("|"):
                body = body[:-1]
            rows.append(Row([Cell(t, ln(i)) for t in body.split("|")], ln(i), line))
    elif layout == "glued":
        for i in rng:
            line = lines[i]
            s = line.strip(BLANKS)
            if not s:
                continue
            label, unit, value = split_glued(s, m)
            rows.append(Row([Cell(label, ln(i)), Cell(unit, ln(i), own=bool(unit)),
                             Cell(value, ln(i), own=bool(value))], ln(i), line))
    elif layout in ("tab-cells", "line-blocks", "line-stream"):
        tabbed = layout == "tab-cells"
        blocks = _blocks(lines, reg)
        block_cells: list[list[Cell]] = []
        for b in blocks:
            cells: list[tuple[list[str], list[int]]] = []
            for i in b:
                line = lines[i]
                if tabbed:
                    if line.startswith("\t"):
                        cells.append(([line[1:]], [ln(i)]))
                    elif cells and _labelish(line, m) and m.kind(cells[-1][0][0])[0] not in (VALUE, BLANK, UNIT):
                        cells[-1][0].append(line)           # the second line of a wrapped label
                        cells[-1][1].append(ln(i))
                    else:
                        cells.append(([line], [ln(i)]))
                else:
                    cells.append(([line], [ln(i)]))
            block_cells.append([c for p, nos in cells for c in _cells_of(p, nos, m)])
        n_labels = sum(1 for cs in block_cells for c in cs if m.is_row(c.text))
        if layout != "line-stream" and len(block_cells) >= 0.5 * n_labels:
            for b, cs in zip(blocks, block_cells):
                rows.append(Row(cs, cs[0].line, " | ".join(lines[i].strip(BLANKS) for i in b)))
        else:
            rows = aligner.group_stream([c for cs in block_cells for c in cs])
    elif layout == "pipe-vertical":
        cells = []
        seg: list[int] = []
        last_bar = ln(reg.start)
        for i in rng:
            line = lines[i]
            s = line.strip(BLANKS)
            if s == "|":
                if seg:
                    cells.extend(_segment(lines, seg, ln, m))
                else:
                    cells.append(Cell("", last_bar, own=False))
                seg = []
                last_bar = ln(i)
            elif s:
                seg.append(i)
        if seg:
            cells.extend(_segment(lines, seg, ln, m))
        rows = aligner.group_stream(cells)
    else:  # pragma: no cover - every layout above
        raise ValueError(layout)
    return rows
