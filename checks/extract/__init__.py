"""Extract the statistics tables from report files (text and HTML), in every layout, with provenance.

Public API (the loader, the CLI and the nightly flow call these)::

    from checks.extract import extract_paths, extract_file, write_extraction, Extraction, REPORT_SUFFIXES
    ext = extract_paths([Path("reports/")], agency=None, year=None)
    ext.cells       # checks.formats.COLUMNS, one row per template cell the report's table contains
    ext.narrative   # counts stated in the text (checks.extract.narrative)
    ext.issues      # what extraction noticed (codes X-01 … in checks.extract.model.ISSUE_CODES)
    ext.errors      # InputError for files that could not be read at all
    write_extraction(ext, Path("out/cells.csv"), None)   # + cells.narrative.csv, cells.issues.csv

Per report: decode (:mod:`.decode`) → HTML tables (:mod:`.html`) or text regions and layouts
(:mod:`.layouts`) → template detection from content (:mod:`.detect`) → label matching and
template-order alignment (:mod:`.align`) → cells (state/value from :func:`checks.cells.parse_cell`)
→ narrative counts (:mod:`.narrative`) → agency and year (:mod:`.metadata`).

Guarantees: a cell's ``raw`` is its text exactly as the layout delimits it; a blank stays blank
(never 0); a report without a table gives ``X-01`` and no cells; a table that stops early gives
``X-02`` naming the last row read and is never padded; every table line that is not a cell is an
``X-03`` with its line and reason; a heading row's value stays a cell of the heading (L-01).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from checks.cells import clean, parse_cell
from checks.extract import detect as _detect
from checks.extract import html as _html
from checks.extract import metadata as _metadata
from checks.extract import narrative as _narrative
from checks.extract.align import BLANKS, STRUCT, TEXT, VALUE, Aligner, Matcher, split_list_cells
from checks.extract.decode import decode
from checks.extract.layouts import detect_layout, find_regions, read_region
from checks.extract.model import ISSUE_CODES, Issue, ReportResult
from checks.formats import COLUMNS, EXTENSIONS, InputError, write_extracted
from checks.templates import TEMPLATE_IDS, VALUE as VALUE_COLUMN, load

__all__ = ["extract_paths", "extract_file", "extract_text", "write_extraction", "Extraction", "REPORT_SUFFIXES",
           "NARRATIVE_COLUMNS", "ISSUE_COLUMNS", "ISSUE_CODES"]

REPORT_SUFFIXES = {".txt", ".htm", ".html"}
NARRATIVE_COLUMNS = ("agency", "year", "source_file", "key", "value", "raw", "sentence", "source_line",
                     "char_start", "char_end")
ISSUE_COLUMNS = ("agency", "year", "source_file", "code", "severity", "message", "source_line", "raw")
REPORT_COLUMNS = ("source_file", "agency", "year", "template", "variant", "layout", "encoding", "cells",
                  "errors", "warnings")


@dataclass
class Extraction:
    """What :func:`extract_paths` read: cells, narrative counts, issues, and the files it could not read."""

    cells: pd.DataFrame
    narrative: pd.DataFrame
    issues: pd.DataFrame
    errors: list[InputError] = field(default_factory=list)
    reports: pd.DataFrame | None = None       # one row per report: file, agency, year, template, layout …


@functools.cache
def matcher(template_id: str) -> Matcher:
    return Matcher(load(template_id))


def _fmt(v: float | None) -> str:
    if v is None:
        return ""
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


# ---------------------------------------------------------------- one report
def extract_text(text: str, source_file: str, *, html: bool | None = None, agency: str | None = None,
                 year: int | str | None = None, encoding: str = "") -> ReportResult:
    """Extract one report's text (already decoded). ``source_file`` is what provenance records."""
    res = ReportResult(source_file=source_file, encoding=encoding)
    is_html = _html.looks_like_html(text) if html is None else html
    if is_html:
        doc = _html.parse(text)
        _extract_html(doc, res, agency, year)
    else:
        _extract_lines(text.split("\n"), None, res, agency, year)
    return res


def _meta(res: ReportResult, lines, linenos, mask, agency, year) -> None:
    meta = _metadata.find(lines, linenos, mask, agency=agency, year=year)
    res.agency, res.year = meta.agency, meta.year
    res.issues[:0] = meta.issues


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


def _extract_lines(lines: list[str], linenos: list[int] | None, res: ReportResult, agency, year,
                   det_text: str | None = None) -> None:
    det, candidates = _detection(res, det_text if det_text is not None else _detect.table_text(lines))
    best = None
    scores: dict[str, int] = {}
    for tid in candidates:
        m = matcher(tid)
        regions, n = find_regions(lines, m)
        if regions:
            scores[tid] = n
        if regions and (best is None or n > best[2]):
            best = (tid, regions, n)
    mask = [True] * len(lines)
    if best is None:
        if candidates:
            _no_table(res, det)
        _meta(res, lines, linenos, mask, agency, year)
        _narr(res, lines, linenos, mask, det.template if det.template in TEMPLATE_IDS else "")
        return
    tid, regions, _ = best
    if det.template is None:
        _by_labels(res, tid, scores)
    m = matcher(tid)
    al = Aligner(m)
    layouts = []
    for reg in regions:
        reg.layout = detect_layout(lines, reg, m)
        layouts.append(reg.layout)
        al.feed(read_region(lines, linenos, reg, reg.layout, m, al))
        for i in range(reg.start, reg.end):
            mask[i] = False
    end = regions[-1].end
    closed = al.footer_seen or any(len(l.strip(BLANKS)) >= 15 for l in lines[end:])
    res.template, res.layout = tid, "+".join(dict.fromkeys(layouts))
    _meta(res, lines, linenos, mask, agency, year)
    _finish(al, res, closed)
    _narr(res, lines, linenos, mask, tid)


def _extract_html(doc: _html.HtmlDoc, res: ReportResult, agency, year) -> None:
    grids = [_html.grid(t) for t in doc.tables]
    compact = _detect.table_text([c.text for rows in grids for r in rows for c in r.cells if not c.span] +
                                 [t for _, t in doc.texts])
    det, candidates = _detection(res, compact)
    best = None
    scores: dict[str, int] = {}
    for tid in candidates:
        m = matcher(tid)
        keep, n = [], 0
        for gi, rows in enumerate(grids):
            k = sum(1 for r in rows for c in r.cells if not c.span and m.is_row_label(c.text))
            s = sum(1 for r in rows for c in r.cells if not c.span and m.kind(c.text)[0] == STRUCT
                    and m.kind(c.text)[1][0])
            if (k >= 1 and k + s >= 2) or s >= 3:      # s >= 3: the header of 四 (its row has no label)
                keep.append(gi)
                n += k
        if keep and n >= 3:
            scores[tid] = n
            if best is None or n > best[2]:
                best = (tid, keep, n)
    kept = set(best[1]) if best else set()
    # text of page-layout tables counts as narrative (reports are often laid out in one big table)
    layout_text = [p for gi, t in enumerate(doc.tables) if gi not in kept for p in _html.paragraphs(t)]
    narr_lines = sorted([*doc.texts, *layout_text])
    items = [(ln, 0, t, True) for ln, t in narr_lines]
    for gi in sorted(kept):
        for r in grids[gi]:
            items.append((r.line, 1, " ".join(c.text for c in r.cells if not c.span and c.text.strip(BLANKS)),
                          False))
    items.sort(key=lambda x: (x[0], x[1]))
    lines = [t for _, _, t, _ in items]
    linenos = [ln for ln, _, _, _ in items]
    mask = [narr for _, _, _, narr in items]
    if best is None:
        # no markup table with labels: the table may be written as text (one <p> per line)
        text_lines = [t for _, t in narr_lines]
        text_nos = [ln for ln, _ in narr_lines]
        if text_lines and candidates:
            sub = ReportResult(res.source_file, encoding=res.encoding)
            _extract_lines(text_lines, text_nos, sub, agency, year, det_text=compact)
            if sub.cells:
                res.__dict__.update({k: v for k, v in sub.__dict__.items() if k != "encoding"})
                res.layout = "html-text/" + sub.layout
                return
        if candidates:
            _no_table(res, det)
        _meta(res, lines, linenos, mask, agency, year)
        _narr_items(res, narr_lines, det.template if det.template in TEMPLATE_IDS else "")
        return
    tid, keep, _ = best
    if det.template is None:
        _by_labels(res, tid, scores)
    m = matcher(tid)
    al = Aligner(m)
    for gi in keep:
        al.feed(grids[gi])
    last = doc.tables[keep[-1]]
    closed = last.closed or any(len(t) >= 15 for ln, t in doc.texts if ln > (last.end_line or last.line))
    res.template, res.layout = tid, "html"
    _meta(res, lines, linenos, mask, agency, year)
    _finish(al, res, closed)
    _narr_items(res, narr_lines, tid)


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


def _narr(res, lines, linenos, mask, template) -> None:
    ln = (lambda i: i + 1) if linenos is None else (lambda i: linenos[i])
    _narr_items(res, [(ln(i), l) for i, l in enumerate(lines) if mask[i]], template)


def _narr_items(res, items, template) -> None:
    for h in _narrative.extract(items, template):
        res.narrative.append((h.key, _fmt(h.value), h.raw, h.sentence, h.line, h.start, h.end))


def _finish(al: Aligner, res: ReportResult, closed: bool) -> None:
    """Rows read → cells in template order; variant; truncation; issues."""
    m = al.m
    tmpl = m.template
    read = al.read
    variant = ""
    if tmpl.id == "old" and "ningbo" in tmpl.variants:
        drop = tmpl.variants["ningbo"].drop
        codes = {m.slots[s].code for s in read}
        if ("old.s1.channel.gazette" not in codes and "old.s1.channel.website" in codes
                and not any(c in drop for c in codes)):
            variant = "ningbo"
    res.variant = variant
    dropped = tmpl.variants[variant].drop if variant else frozenset()
    expected = [s.id for s in m.slots if s.code not in dropped]
    if not read:
        res.issue("X-01", "未找到统计表 / the table's labels were found but no row could be read; no cells")
        return
    issues = al.issues
    last = al.last_row()
    final = expected[-1]
    last_short = (m.tables[last.slot.table].layout != "list" and len(last.cells) < last.slot.n_values)
    truncated = (last.slot.id < final or last_short) and not closed
    for sid in sorted(read):
        rr = read[sid]
        slot = rr.slot
        table = m.tables[slot.table]
        row = table.rows[slot.row]
        if table.layout == "list":
            unit, val, extra = split_list_cells(rr.cells, slot.heading)
            if unit is not None and val is not None and m.kind(unit.text)[0] == VALUE and \
                    parse_cell(unit.text).is_number:
                extra, val, unit = [val, *extra], unit, None
            for c in extra:
                if clean(c.text):
                    issues.append(Issue("X-03", f"line {c.line}: extra cell «{c.text.strip(BLANKS)[:40]}» after the "
                                                f"value of «{rr.label[:40]}» — not mapped to a cell", c.line, c.text))
            raw = val.text if val is not None else ""
            line = val.line if (val is not None and val.own) else rr.line
            spec = tmpl.cell_index[(row.code, VALUE_COLUMN)]
            _emit(res, spec, raw, line, rr.label, unit.text.strip(BLANKS) if unit is not None else "", variant,
                  val.col if val is not None else -1)
            continue
        cols = table.columns
        cells = list(rr.cells)
        n = len(cols)
        cmap = al.col_map.get(slot.table)
        if cmap is not None and cmap != list(range(n)):
            # the header names the columns: read by header, emit in template order
            by_col = {ci: (cells[i] if i < len(cells) else None) for i, ci in enumerate(cmap)}
            if len(cells) > len(cmap) and any(clean(c.text) for c in cells[len(cmap):]):
                issues.append(Issue("X-13", f"line {rr.line}: row «{rr.label[:40]}» has {len(cells)} cells, its "
                                            f"header names {len(cmap)} columns (extra cells not mapped)",
                                    rr.line, rr.text))
            for ci, col in enumerate(cols):
                if ci not in by_col:
                    continue
                c = by_col[ci]
                spec = tmpl.cell_index[(f"{row.code}.{col.code}", VALUE_COLUMN)]
                raw, line = (c.text, c.line if c.own else rr.line) if c is not None else ("", rr.line)
                _emit(res, spec, raw, line, rr.label, "", variant, c.col if c is not None else -1)
            continue
        if slot.row == 0 and not rr.label:          # 四: a row without a label; leading text is not a value
            while len(cells) > n and (m.kind(cells[0].text)[0] == TEXT or not clean(cells[0].text)):
                cells.pop(0)
        if len(cells) != n and not (truncated and sid == last.slot.id and len(cells) < n):
            nonblank_extra = [c for c in cells[n:] if clean(c.text)]
            if len(cells) < n or nonblank_extra:
                issues.append(Issue("X-13", f"line {rr.line}: row «{(rr.label or table.title)[:40]}» has "
                                            f"{len(cells)} cells, the table has {n} columns"
                                            + (" (missing cells are left blank)" if len(cells) < n else
                                               " (extra cells not mapped)"), rr.line, rr.text))
        labels = al.col_labels.get(slot.table, [])
        for ci, col in enumerate(cols):
            if table.layout == "grid":
                spec = tmpl.cell_index[(f"{row.code}.{col.code}", VALUE_COLUMN)]
            else:
                spec = tmpl.cell_index[(row.code, col.code)]
            html_col = -1
            if ci < len(cells):
                c = cells[ci]
                raw, line, html_col = c.text, (c.line if c.own else rr.line), c.col
            elif truncated and sid == last.slot.id:
                break
            else:
                raw, line = "", rr.line
            label = rr.label if rr.label else (labels[ci] if len(labels) == n else col.label)
            _emit(res, spec, raw, line, label, "", variant, html_col)
    if truncated:
        nxt = next((s for s in expected if s > last.slot.id), None)
        missing = sum(1 for s in expected if s > last.slot.id)
        short = (f", its row has only {len(last.cells)} of {last.slot.n_values} cells" if last_short else "")
        nxt_txt = f" (next: «{m.slots[nxt].label or m.tables[m.slots[nxt].table].title}»)" if nxt is not None else ""
        what = last.label or m.tables[last.slot.table].title
        res.issue("X-02", f"表格被截断 / the table stops after «{what}» (line {last.line}){short}: "
                          f"{missing} template rows after it are missing{nxt_txt}; the page may be truncated. "
                          "Nothing was filled in.", last.line, last.text)
    res.issues.extend(sorted(issues, key=lambda i: (i.line or 0)))


_READ: dict[tuple[str, bool, bool], tuple[str, str]] = {}


def _read(raw: str, money: bool, signed: bool) -> tuple[str, str]:
    """(state, value as text) of a cell: checks.cells.parse_cell, memoised with the formatting."""
    key = (raw, money, signed)
    hit = _READ.get(key)
    if hit is None:
        if len(_READ) > 100_000:
            _READ.clear()
        p = parse_cell(raw, money, signed)
        hit = _READ[key] = (p.state.value, _fmt(p.value))
    return hit


def _emit(res: ReportResult, spec, raw: str, line: int, label: str, unit: str, variant: str,
          col: int = -1) -> None:
    state, value = _read(raw, spec.money, spec.signed)
    res.cells.append((spec.template, spec.item, spec.column, raw, line, variant, label.strip(BLANKS), unit,
                      state, value, col + 1 if col >= 0 else ""))


# ---------------------------------------------------------------- files
def extract_bytes(data: bytes, path: str | Path, agency: str | None = None, year: int | str | None = None) -> ReportResult:
    text, enc = decode(data, path)
    # HTML or text is decided by the content: pages are saved as .txt and text as .htm
    return extract_text(text, Path(path).name, agency=agency, year=year, encoding=enc)


def _report_files(paths: list[Path]) -> tuple[list[Path], list[InputError]]:
    files, errors = [], []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in REPORT_SUFFIXES
                           and not any(part.startswith(".") for part in q.relative_to(p).parts))
            if not found:
                errors.append(InputError(p, f"no report files ({', '.join(sorted(REPORT_SUFFIXES))}) in this folder"))
            files.extend(found)
        elif p.is_file():
            if p.suffix.lower() not in REPORT_SUFFIXES:
                errors.append(InputError(p, f"not a report file: expected {', '.join(sorted(REPORT_SUFFIXES))}"))
            else:
                files.append(p)
        else:
            errors.append(InputError(p, "no such file or folder"))
    return files, errors


def extract_paths(paths: list[Path], agency: str | None = None, year: int | None = None) -> Extraction:
    """Extract every report file in ``paths`` (files, or folders searched recursively)."""
    files, errors = _report_files(list(paths))
    results = []
    for f in files:
        try:
            data = f.read_bytes()
        except OSError as e:
            errors.append(InputError(f, f"cannot read the file ({e.strerror or e})"))
            continue
        try:
            results.append(extract_bytes(data, f, agency, year))
        except InputError as e:
            errors.append(e)
    return to_extraction(results, errors)


def extract_file(path: Path, agency: str | None = None, year: int | None = None) -> Extraction:
    """Extract one report file (an unreadable file ends up in ``errors``, not raised)."""
    return extract_paths([Path(path)], agency, year)


def to_extraction(results: list[ReportResult], errors: list[InputError] | None = None) -> Extraction:
    """Report results → the three DataFrames (built once, at the end)."""
    cells, narr, issues, reports = [], [], [], []
    for r in results:
        head = (r.agency, r.year)
        for (template, item, column, raw, line, variant, label, unit, state, value, col) in r.cells:
            cells.append((r.agency, r.year, template, item, column, raw, r.source_file, line, variant, "", "",
                          label, unit, state, value, col))
        for n in r.narrative:
            narr.append((*head, r.source_file, *n))
        for i in r.issues:
            issues.append((*head, r.source_file, i.code, i.severity, i.message, i.line, i.raw))
        sev = [i.severity for i in r.issues]
        reports.append((r.source_file, r.agency, r.year, r.template, r.variant, r.layout, r.encoding, len(r.cells),
                        sev.count("error"), sev.count("warning")))
    cdf = pd.DataFrame(cells, columns=list(COLUMNS))
    cdf["source_line"] = cdf["source_line"].astype("int64")
    ndf = pd.DataFrame(narr, columns=list(NARRATIVE_COLUMNS))
    for c in ("source_line", "char_start", "char_end"):
        ndf[c] = ndf[c].astype("int64")
    idf = pd.DataFrame(issues, columns=list(ISSUE_COLUMNS))
    idf["source_line"] = idf["source_line"].astype("Int64")
    rdf = pd.DataFrame(reports, columns=list(REPORT_COLUMNS))
    return Extraction(cdf, ndf, idf, list(errors or []), rdf)


def write_extraction(ext: Extraction, out: Path, fmt: str | None = None) -> list[Path]:
    """Cells to ``out``; narrative to ``<stem>.narrative.<ext>``; issues to ``<stem>.issues.<ext>``."""
    out = Path(out)
    fmt = fmt or EXTENSIONS.get(out.suffix.lower(), "csv")
    if fmt not in ("csv", "jsonl", "parquet"):
        raise ValueError(f"unknown format {fmt!r} (csv, jsonl or parquet)")
    ext_suffix = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}[fmt]
    paths = [write_extracted(ext.cells, out, fmt)]
    stem = out.name[: -len(out.suffix)] if out.suffix else out.name
    for name, df in (("narrative", ext.narrative), ("issues", ext.issues)):
        p = out.with_name(f"{stem}.{name}{ext_suffix}")
        p.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            df.to_csv(p, index=False, encoding="utf-8", lineterminator="\n")
        elif fmt == "jsonl":
            df.to_json(p, orient="records", lines=True, force_ascii=False)
        else:
            df.to_parquet(p, index=False)
        paths.append(p)
    return paths
