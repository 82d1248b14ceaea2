"""One report's text → cells, narrative counts and issues.

decode (the caller) → tokens (:mod:`.tokens`; HTML parsed by :mod:`.html`) → template detection
from content (:mod:`.detect`; without markers every template's rows are tried) → alignment and
assembly against the template's lexicon (:mod:`.grammar`, :mod:`.lexicon`) → cells, state and
value from :func:`checks.cells.parse_cell` → narrative counts (:mod:`.narrative`) → agency and year
(:mod:`.metadata`). ``ReportResult.layout`` names what the separators looked like: a diagnostic,
never a branch.

Guarantees: a cell's ``raw`` is its text exactly as the page delimits it; a blank stays blank (never
0); a report without a table gives ``X-01`` and no cells; a table that stops early gives ``X-02``
naming the last row read and is never padded; values under no row of the template are an ``X-03``
with their line; a heading row's value stays a cell of the heading (L-01).
"""

from __future__ import annotations

from checks.cells import clean, parse_cell
from checks.extract import detect as _detect
from checks.extract import html as _html
from checks.extract import metadata as _metadata
from checks.extract import narrative as _narrative
from checks.extract.grammar import Alignment, Grammar, map_values, split_list
from checks.extract.lexicon import lexicon
from checks.extract.model import Issue, ReportResult
from checks.extract.tokens import BAR, BLANKS, CELL, GLUE, PIPE, ROW, SPACE, SPACES, TAB, html_tokens, text_tokens
from checks.templates import TEMPLATE_IDS, cell_key

_GRAMMARS: dict[str, Grammar] = {}


def grammar(template_id: str) -> Grammar:
    g = _GRAMMARS.get(template_id)
    if g is None:
        g = _GRAMMARS[template_id] = Grammar(lexicon(template_id))
    return g


def _fmt(v: float | None) -> str:
    if v is None:
        return ""
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def extract_text(text: str, source_file: str, *, html: bool | None = None, agency: str | None = None,
                 year: int | str | None = None, encoding: str = "") -> ReportResult:
    """Extract one report's text (already decoded). ``source_file`` is what provenance records."""
    res = ReportResult(source_file=source_file, encoding=encoding)
    is_html = _html.looks_like_html(text) if html is None else html
    if is_html:
        doc = _html.parse(text)
        grids = [_html.grid(t) for t in doc.tables]
        toks = html_tokens(doc, grids)
        det_lines = [c.text for rows in grids for r in rows for c in r.cells if not c.span] + [t for _, t in doc.texts]
        narr_items = sorted(doc.texts)
        meta_items = sorted([*doc.texts, *((r.line, " ".join(c.text for c in r.cells if not c.span and
                                                               c.text.strip(BLANKS))) for rows in grids for r in rows)])
    else:
        doc = None
        lines = text.split("\n")
        toks = text_tokens(lines)
        det_lines = lines
        narr_items = meta_items = list(enumerate(lines, 1))
    det, candidates = _detection(res, _detect.table_text(det_lines))
    best: tuple[str, Alignment] | None = None
    scores: dict[str, int] = {}
    for tid in candidates:
        al = grammar(tid).align(toks)
        n = len(al.rows)
        valued = any(clean(v.text) for r in al.rows.values() for v in r.values)
        if n >= 3 or (n and det.template == tid) or (n == 2 and valued):
            scores[tid] = n
            if best is None or (n, al.score) > (len(best[1].rows), best[1].score):
                best = (tid, al)
    if best is None:
        if det.template in TEMPLATE_IDS:
            res.template = det.template         # the markers tell the template even with no row read
            header = grammar(det.template).header_cut(toks)
            if header is not None:
                res.issue("X-02", f"表格被截断 / the page stops inside the table, after its header (line {header}): "
                                  "no row was read and nothing was filled in", header)
            else:
                _no_table(res, det)
        elif candidates:
            _no_table(res, det)
        _finish_meta(res, meta_items, None, agency, year, doc)
        _narr(res, narr_items, det.template if det.template in TEMPLATE_IDS else "")
        return res
    tid, al = best
    if det.template is None:
        _by_labels(res, tid, scores)
    if doc is not None:
        for ti in al.tables:
            t = doc.tables[ti]
            al.closed = al.closed or t.closed and (t.end_line or 0) >= al.last_line
        layout_text = [p for ti, t in enumerate(doc.tables) if ti not in al.tables for p in _html.paragraphs(t)]
        narr_items = sorted([*doc.texts, *layout_text])
    res.template, res.layout = tid, _layout_name(al, doc is not None)
    _finish_meta(res, meta_items, al, agency, year, doc)
    _cells(al, res, tid)
    if doc is None:
        narr_items = [(n, t) for n, t in narr_items if not (al.first_line <= n <= al.last_line)]
    _narr(res, narr_items, tid)
    return res


def _layout_name(al: Alignment, is_html: bool) -> str:
    """What separated the table's cells (a diagnostic for the reports listing, never a branch)."""
    seps = al.seps
    n = sum(seps.values()) or 1
    if is_html and seps[CELL] + seps[ROW] >= 0.5 * n:
        return "html"
    prefix = "html-text/" if is_html else ""
    for sep, name, share in ((BAR, "pipe-vertical", 0.15), (PIPE, "pipe-rows", 0.3), (TAB, "tab-rows", 0.3),
                             (GLUE, "glued", 0.05), (SPACES, "spaces", 0.3), (SPACE, "space-values", 0.3)):
        if seps[sep] >= share * n:
            return prefix + name
    return prefix + "cell-per-line"


def _detection(res: ReportResult, compact: str):
    det = _detect.detect(compact)
    if det.template == "early":
        res.issue("X-04", "模板不受支持 / an early local form (markers: " + ", ".join(det.hits["early"]) +
                  "): only the national templates old, v2019 and v2021 are extracted; no cells")
        return det, []
    if det.template is None:
        return det, list(TEMPLATE_IDS)
    if det.mixed:
        res.issue("X-05", f"模板混用 / markers of more than one template ({det.describe()}); the table was "
                          f"read as {det.template}: check its rows and columns")
    return det, [det.template]


def _finish_meta(res: ReportResult, items, al: Alignment | None, agency, year, doc) -> None:
    lines = [t for _, t in items]
    nos = [n for n, _ in items]
    if al is None:
        mask = [True] * len(lines)
    else:
        mask = [not (al.first_line <= n <= al.last_line) for n in nos]
    meta = _metadata.find(lines, nos, mask, agency=agency, year=year)
    res.agency, res.year = meta.agency, meta.year
    res.issues[:0] = meta.issues
    for h in [*meta.facts, *_narrative.structure(items, mask, res.template)]:   # S-01 … S-04
        res.narrative.append((h.key, _fmt(h.value), h.raw, h.sentence, h.line, h.start, h.end))


def _by_labels(res: ReportResult, tid: str, scores: dict[str, int]) -> None:
    tied = [t for t, n in scores.items() if t != tid and n == scores[tid]]
    also = (f"; its rows match {', '.join(tied)} equally well (the rows present do not tell them apart), "
            f"{tid} was used") if tied else ""
    res.issue("X-09", f"模板由行标签判定 / no template marker (domain.md §0) in the report; its row labels "
                      f"match template {tid}{also}")


def _no_table(res: ReportResult, det) -> None:
    why = ("template markers found: " + det.describe()) if det.template else "no template marker either"
    res.issue("X-01", "未找到统计表 / no statistics table in the report (it may be an image or an attachment); "
                      f"no cells were extracted, nothing is read as 0 ({why})")


def _narr(res: ReportResult, items, template: str) -> None:
    for h in _narrative.extract(items, template):
        res.narrative.append((h.key, _fmt(h.value), h.raw, h.sentence, h.line, h.start, h.end))


# ---------------------------------------------------------------- rows read → cells
def _variant(al: Alignment, lex) -> str:
    tmpl = lex.template
    if tmpl.id != "old" or "ningbo" not in tmpl.variants:
        return ""
    drop = tmpl.variants["ningbo"].drop
    codes = {lex.slots[s].code for s in al.rows}
    if "old.s1.channel.gazette" not in codes and "old.s1.channel.website" in codes and not codes & drop:
        return "ningbo"
    return ""


def _cells(al: Alignment, res: ReportResult, tid: str) -> None:
    lex = lexicon(tid)
    tmpl = lex.template
    variant = _variant(al, lex)
    res.variant = variant
    dropped = tmpl.variants[variant].drop if variant else frozenset()
    expected = [s.id for s in lex.slots if s.code not in dropped]
    if not al.rows:
        res.issue("X-01", "未找到统计表 / the table's labels were found but no row could be read; no cells")
        return
    issues: list[Issue] = list(al.issues)
    last = al.rows[max(al.rows)]
    lslot = lex.slots[last.slot]
    last_table = lex.tables[lslot.table]
    last_n = len(map_values(last.values, lslot.n_values)[0])
    last_short = last_table.layout != "list" and last_n < lslot.n_values
    truncated = (last.slot < expected[-1] or last_short) and not al.closed
    for sid in sorted(al.rows):
        rr = al.rows[sid]
        slot = lex.slots[sid]
        table = lex.tables[slot.table]
        row = table.rows[slot.row]
        if table.layout == "list":
            unit, val, extra = split_list(rr.values, rr.unit, slot.heading)
            for c in extra:
                issues.append(Issue("X-03", f"line {c.line}: extra cell «{clean(c.text)[:40]}» after the value of "
                                            f"«{rr.label[:40]}» — not mapped to a cell", c.line, c.text))
            spec = _specs(tid, sid)[0]
            raw = val.text if val is not None else ""
            line = val.line if (val is not None and val.own) else rr.line
            _emit(res, spec, raw, line, rr.label, clean(unit.text) if unit is not None else "", variant,
                  val.col if val is not None else -1)
            continue
        cols = table.columns
        n = len(cols)
        cmap = al.col_map.get(slot.table)
        vals, extra = map_values(rr.values, len(cmap) if cmap and len(cmap) < n else n)
        short_ok = truncated and sid == last.slot
        if extra or (len(vals) < (len(cmap) if cmap else n) and not short_ok):
            issues.append(Issue("X-13", f"line {rr.line}: row «{(rr.label or table.title)[:40]}» has "
                                        f"{len(vals) + len(extra)} cells, the table has {n} columns"
                                        + (" (missing cells are left blank)" if len(vals) < n else
                                           " (extra cells not mapped)"), rr.line, rr.text))
        order = cmap if (cmap and len(cmap) == len(vals) and cmap != list(range(len(vals)))) else list(range(n))
        by_col = {ci: (vals[i] if i < len(vals) else None) for i, ci in enumerate(order)}
        labels = al.col_labels.get(slot.table, [])
        fields = _spec_fields(tid, sid)
        add = res.cells.append
        get = _READ.get
        row_label = rr.label.strip(BLANKS) if rr.label else None
        by_labels = len(labels) == n
        for ci in range(n):
            c = by_col.get(ci, _NO)
            if c is _NO:
                continue
            template, item, column, money, signed = fields[ci]
            if c is None:
                if short_ok:
                    continue
                raw, line, hcol = "", rr.line, -1
            else:
                raw, line, hcol = c.text, (c.line if c.own else rr.line), c.col
            label = row_label if row_label is not None else (
                labels[ci] if by_labels else cols[ci].label).strip(BLANKS)
            # _emit, inline (once per cell)
            hit = get((raw, money, signed))
            state, value = hit if hit is not None else _read(raw, money, signed)
            add((template, item, column, raw, line, variant, label, "", state, value, hcol + 1 if hcol >= 0 else ""))
    if truncated:
        nxt = next((s for s in expected if s > last.slot), None)
        missing = sum(1 for s in expected if s > last.slot)
        short = f", its row has only {last_n} of {lslot.n_values} cells" if last_short else ""
        nxt_txt = ""
        if nxt is not None:
            ns = lex.slots[nxt]
            nxt_txt = f" (next: «{ns.label or lex.tables[ns.table].title}»)"
        what = last.label or last_table.title
        res.issue("X-02", f"表格被截断 / the table stops after «{what}» (line {last.line}){short}: "
                          f"{missing} template rows after it are missing{nxt_txt}; the page may be truncated. "
                          "Nothing was filled in.", last.line, last.text)
    res.issues.extend(sorted(issues, key=lambda i: (i.line or 0)))
    if not res.cells:
        res.issue("X-01", "未找到统计表 / the table's labels were found but no cell could be read; no cells")


_SPECS: dict[tuple[str, int], list] = {}


def _specs(tid: str, sid: int) -> list:
    """The cell specs of a template row (slot), per column (one for a list row): looked up once."""
    hit = _SPECS.get((tid, sid))
    if hit is None:
        lex = lexicon(tid)
        slot = lex.slots[sid]
        table = lex.tables[slot.table]
        row = table.rows[slot.row]
        index = lex.template.cell_index
        if table.layout == "list":
            hit = [index[cell_key(table.layout, row.code)]]
        else:
            hit = [index[cell_key(table.layout, row.code, col.code)] for col in table.columns]
        _SPECS[(tid, sid)] = hit
    return hit


_FIELDS: dict[tuple[str, int], list[tuple]] = {}
_NO = object()


def _spec_fields(tid: str, sid: int) -> list[tuple]:
    """Per column of a template row: (template, item, column, money, signed) of its cell spec."""
    hit = _FIELDS.get((tid, sid))
    if hit is None:
        hit = _FIELDS[(tid, sid)] = [(s.template, s.item, s.column, s.money, s.signed) for s in _specs(tid, sid)]
    return hit


_READ: dict[tuple[str, bool, bool], tuple[str, str]] = {}


def _read(raw: str, money: bool, signed: bool) -> tuple[str, str]:
    """(state, value as text) of a cell: checks.cells.parse_cell, memoised with the formatting."""
    k = (raw, money, signed)
    hit = _READ.get(k)
    if hit is None:
        if len(_READ) > 100_000:
            _READ.clear()
        p = parse_cell(raw, money, signed)
        hit = _READ[k] = (p.state.value, _fmt(p.value))
    return hit


def _emit(res: ReportResult, spec, raw: str, line: int, label: str, unit: str, variant: str, col: int = -1) -> None:
    hit = _READ.get((raw, spec.money, spec.signed))
    state, value = hit if hit is not None else _read(raw, spec.money, spec.signed)
    res.cells.append((spec.template, spec.item, spec.column, raw, line, variant, label.strip(BLANKS), unit,
                      state, value, col + 1 if col >= 0 else ""))
