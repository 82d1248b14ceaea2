"""The audit site: static HTML pages an oversight officer opens from disk (no server, no network).

:func:`build_site` writes into ``out``:

* ``index.html`` — every current agency and year with its counts by severity and worst rule;
  filter by region, year, template, rule and severity, search by name, sort by any column. The
  rows travel as inert JSON inside the page and are drawn by ``assets/site.js`` (text only, never
  HTML), which keeps the index small (10,000 agency-years ≈ 1 MB);
* ``r/<id>.html`` — one page per agency and year: the statistical table redrawn in the official
  layout of its template (rows and columns of ``checks/templates``, the raw text as written, blank
  cells visibly blank), failing cells highlighted with the rule and its arithmetic beside them,
  source file and line; the narrative statements quoted where narrative rules found something;
  a small inline-SVG chart of the agency's history for items with cross-year findings;
* ``rules/<code>.html`` — one page per rule listing every agency and year that fails it;
* ``assets/site.css``, ``assets/site.js`` — shipped in this package (``checks/site/static``).

Pages are rendered with jinja2 (``checks/site/templates``, autoescaped: every string from a
report is text). Rebuilding is incremental: each page's inputs are hashed together with the
templates, a page whose hash is unchanged is neither rendered nor rewritten, and pages of reports
that are gone are removed (``.site-manifest.json``). Chinese by default, ``lang="en"`` for English.
Nothing here prints.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = ".site-manifest.json"

WORDS = {
    "zh": {"title": "政府信息公开工作年度报告审核", "agency": "单位", "year": "年度", "template": "表格",
           "region": "地区", "errors": "错误", "warnings": "警告", "infos": "提示", "worst": "最主要规则",
           "rule": "规则", "severity": "严重程度", "search": "按单位名称搜索", "all": "全部",
           "has_error": "有错误", "has_warning": "有警告", "clean": "无问题", "shown": "显示",
           "more": "显示更多", "of": "共", "source": "来源文件", "line": "行", "findings": "审核结果",
           "cell": "单元格", "message": "说明（含计算）", "blank": "空白", "na": "不适用", "text": "文字",
           "back": "返回总览", "history": "历年数据", "narrative": "正文与表格不符", "sentence": "原文",
           "rules": "规则", "failing": "不通过的单位", "no_findings": "未发现错误或警告。",
           "gx": "GX 数据文档（Great Expectations）",
           "gx_note": "GX 按“期望”计数：一个期望（一条规则在一种表格中的全部实例）只要有一个单元格不通过就记为失败，"
                      "因此 GX 的失败数通常小于这里的错误和警告数；这里每个单位、每个单元格的问题各计一次。"
                      "GX 只覆盖勾稽关系类规则，空白、文字、缺表等问题只在本站列出。",
           "generated": "检查批次", "legend": "图例", "leg_error": "错误", "leg_warning": "警告",
           "leg_blank": "空白单元格", "leg_info": "提示", "rows_total": "份报告", "severity_error": "错误",
           "severity_warning": "警告", "severity_info": "提示", "lang_other": "English",
           "new": "新增", "nojs": "此页面的筛选和排序需要 JavaScript；下面是问题最多的单位。"},
    "en": {"title": "Government information disclosure reports: audit", "agency": "agency", "year": "year",
           "template": "template", "region": "region", "errors": "errors", "warnings": "warnings",
           "infos": "info", "worst": "worst rule", "rule": "rule", "severity": "severity",
           "search": "search agency names", "all": "all", "has_error": "with errors", "has_warning": "with warnings",
           "clean": "clean", "shown": "shown", "more": "show more", "of": "of", "source": "source file",
           "line": "line", "findings": "findings", "cell": "cell", "message": "message (with arithmetic)",
           "blank": "blank", "na": "not applicable", "text": "text", "back": "back to the index",
           "history": "history", "narrative": "narrative contradicts the table", "sentence": "sentence",
           "rules": "rules", "failing": "agencies failing this rule", "no_findings": "No errors or warnings.",
           "gx": "GX Data Docs (Great Expectations)",
           "gx_note": "GX counts expectations: one expectation (a rule over every instance in one template) fails "
                      "as soon as one cell fails, so GX usually reports fewer failures than the errors and "
                      "warnings here, where each agency and cell counts once. GX covers the arithmetic rules "
                      "only; blank, text and missing-table findings are listed here alone.",
           "generated": "run", "legend": "legend", "leg_error": "error", "leg_warning": "warning",
           "leg_blank": "blank cell", "leg_info": "info", "rows_total": "reports", "severity_error": "error",
           "severity_warning": "warning", "severity_info": "info", "lang_other": "中文",
           "new": "new", "nojs": "Filtering and sorting need JavaScript; the agencies with most findings follow."},
}

SEV_RANK = {"error": 0, "warning": 1, "info": 2}
CROSS_YEAR_CODES = {"N-11", "N-12", "C-01"}
"""Rules judged on an agency's history (domain.md §5.3); any finding with a history parameter or a
series item is charted too."""


@dataclass(frozen=True)
class SiteResult:
    """What :func:`build_site` did."""

    out: Path
    index: Path
    pages: int
    written: int
    unchanged: int
    removed: int
    seconds: float

    def as_dict(self) -> dict:
        return {"out": str(self.out), "index": str(self.index), "pages": self.pages, "written": self.written,
                "unchanged": self.unchanged, "removed": self.removed, "seconds": round(self.seconds, 2)}


def page_name(agency: str, year) -> str:
    """The stable file name of an agency-year page (relative to the site root)."""
    return "r/" + hashlib.md5(f"{agency}|{year}".encode("utf-8")).hexdigest()[:12] + ".html"


@functools.cache
def _env():
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined, finalize=_finalize)
    return env


def _finalize(value):
    """Every ``{{ … }}`` of the templates: a plain string (from a report, untrusted) gets its invisible
    and reordering characters shown (:func:`checks.inert.reveal`) before autoescaping; markup built
    here (``Markup``) is already made of revealed, escaped text."""
    if value.__class__ is str:
        return _revealed(value)
    from markupsafe import Markup

    from checks.inert import reveal
    return value if isinstance(value, Markup) or not isinstance(value, str) else reveal(value)


@functools.lru_cache(maxsize=1 << 16)
def _revealed(text: str) -> str:
    """:func:`checks.inert.reveal` of a plain string, cached (pages repeat labels, codes, names)."""
    from checks.inert import reveal

    return reveal(text)


@functools.cache
def _templates_hash() -> str:
    h = hashlib.md5(b"inert-reveal-1")      # bump when the rendering in Python changes what pages hold
    for p in sorted((HERE / "templates").iterdir()) + sorted((HERE / "static").iterdir()):
        h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


# ------------------------------------------------------------------------------- table layouts

@functools.cache
def layout(template: str, variant: str, lang: str) -> tuple:
    """The official layout of a template (and local variant) as data for the page template:
    a tuple of tables, each ``{"title", "kind", "head": [[(text, colspan, rowspan)]], "rows":
    [{"label", "group", "heading", "unit", "cells": [(item, column)]}]}``."""
    from checks import templates as T

    tpl = T.load(template)
    drop = tpl.variant(variant).drop if variant else frozenset()
    relabel = tpl.variant(variant).labels if variant else {}
    en = lang == "en"
    out = []
    for table in tpl.tables:
        rows = [r for r in table.rows if r.code not in drop]
        if not rows:
            continue
        title = T.table_label_en(table.id) if en else (
            table.section if table.section and table.title in table.section
            else " ".join(p for p in (table.section, table.title) if p))
        if table.layout == "list":
            head = [[(("item" if en else "指标"), 1, 1), (("unit" if en else "单位"), 1, 1),
                     (("value" if en else (table.value_label or "统计数")), 1, 1)]]
            body = [{"label": T.row_label_en(r.code) if en else relabel.get(r.code, r.label), "group": "",
                     "heading": r.heading, "unit": r.unit, "cells": [T.cell_key("list", r.code)]} for r in rows]
        else:
            cols = table.columns
            groups = [[g for g in (c.group.split("/") if c.group else [])] for c in cols]
            depth = max(len(g) for g in groups)
            head = []
            corner = ("" if en else (table.corner or ""))
            for level in range(depth):
                row = [(corner if level == 0 else "", 1, 1)] if level == 0 else []
                i = 0
                while i < len(cols):
                    name = groups[i][level] if level < len(groups[i]) else None
                    if name is None:
                        if level == 0:
                            row.append((T.col_label_en(cols[i].code) if en else cols[i].label, 1, depth + 1))
                        i += 1
                        continue
                    j = i
                    while j < len(cols) and level < len(groups[j]) and groups[j][level] == name \
                            and groups[j][:level] == groups[i][:level]:
                        j += 1
                    row.append((name if not en else _group_en(name), j - i, 1))
                    i = j
                head.append(row)
            last = [(T.col_label_en(c.code) if en else c.label, 1, 1) for c, g in zip(cols, groups) if g]
            if depth == 0:
                head = [[(corner, 1, 1)] + [(T.col_label_en(c.code) if en else c.label, 1, 1) for c in cols]]
            else:
                head[0][0] = (corner, 1, depth + 1)
                head.append(last)
            body = []
            for r in rows:
                group = "" if en else (r.group.replace("/", " ") if r.group else "")
                label = T.row_label_en(r.code) if en else relabel.get(r.code, r.label)
                body.append({"label": label, "group": group, "heading": r.heading, "unit": "",
                             "cells": [T.cell_key(table.layout, r.code, c.code) for c in cols]})
        out.append({"title": title, "kind": table.layout, "head": head, "rows": body,
                    "section": f"{template}.{table.id}"})
    return tuple(out)


def _group_en(name: str) -> str:
    return {"法人或其他组织": "legal persons and other organisations", "行政复议": "administrative review",
            "行政诉讼": "administrative litigation", "未经复议直接起诉": "sued directly",
            "复议后起诉": "sued after review", "申请人情况": "applicants"}.get(name, name)


# ------------------------------------------------------------------------------------ building

def _json_inert(data) -> str:
    """JSON that is safe inside ``<script>``: ``<``, ``>``, ``&`` and line separators escaped."""
    from checks.inert import reveal_all

    s = json.dumps(reveal_all(data), ensure_ascii=False, separators=(",", ":"), default=str)
    return (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _write(path: Path, text: str) -> bool:
    """Write ``text`` unless the file already holds exactly it; True when written."""
    data = text.encode("utf-8")
    if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)       # a kill never leaves half a page in place of a whole one
    return True


def _load(db, fs, reports: list[dict]):
    """Per report id of the reports shown: (agency key, submission file, kind); narrative statements
    and histories where findings need them. The cells are not read here: each chunk of pages reads
    its own (:func:`_cells`), so a build never holds the cells of every report at once."""
    from checks import warehouse

    ids = [r["report_id"] for r in reports]
    con = warehouse.connect(db, read_only=True)
    try:
        con.register("gk_site_ids", __import__("pandas").DataFrame({"report_id": ids}))
        meta = {r[0]: r[1:] for r in con.execute("""
            SELECT r.report_id, r.agency_key, s.file, s.kind FROM reports r
            JOIN gk_site_ids USING (report_id) LEFT JOIN submissions s USING (submission_id)""").fetchall()}
        narr_ids = sorted({f["_rid"] for f in fs if f["code"].startswith("T-")})
        narrative: dict[int, list] = {}
        if narr_ids:
            for rid, key, value, raw, sentence, line in con.execute(
                    "SELECT report_id, key, value, raw, sentence, source_line FROM narrative "
                    f"WHERE report_id IN ({','.join(str(int(i)) for i in narr_ids)}) ORDER BY report_id, source_line"
            ).fetchall():
                narrative.setdefault(rid, []).append({"key": key, "value": value, "raw": raw, "sentence": sentence,
                                                      "line": line})
        hist_keys = {(meta[f["_rid"]][0], f["item"], f["column"] or "value") for f in fs if _charted(f) and f["_rid"] in meta}
        history: dict[tuple, list] = {}
        names = {meta[f["_rid"]][0]: f["agency"] for f in fs if f["_rid"] in meta}
        fallbacks = []
        found = _histories(con, hist_keys)
        for key in hist_keys:
            history[key] = found.get(key) or _history(con, *key, cells=False)
            if len(history[key]) < 2 and len(fallbacks) < MAX_SERIES_LOOKUPS:
                fallbacks.append(key)
        resolved = _series_histories(con, [(names.get(k[0], k[0]), k[1], k[2]) for k in fallbacks])
        for key, pts in zip(fallbacks, resolved):
            history[key] = pts or history[key]
        con.unregister("gk_site_ids")
    finally:
        con.close()
    return meta, narrative, history


def _cells(con, ids: list[int]) -> dict[int, dict]:
    """The cells of the reports ``ids``: report id → {(item, column): (raw, state, source line)}; a
    cell twice in a report: the later row (in the table's order) wins. Reports without cells are left
    out. The ids of one chunk are close together (pages are chunked in report id order), so the range
    lets DuckDB skip the rest of the cells table."""
    if not ids:
        return {}
    rows = con.execute(f"""
        SELECT report_id, item, "column", raw, state, source_line FROM cells
        WHERE report_id BETWEEN ? AND ? AND report_id IN ({','.join(str(int(i)) for i in ids)})
        ORDER BY report_id, rowid""", [min(ids), max(ids)]).fetchall()
    by: dict[int, dict] = {}
    cur_id, cur = None, None
    for rid, item, column, raw, state, line in rows:
        if rid != cur_id:
            cur_id, cur = rid, by.setdefault(rid, {})
        cur[(item, column)] = (raw, state, line)
    return by


@functools.cache
def history_codes() -> frozenset[str]:
    """Codes of the rules whose findings carry a history (their message shows ``{history}``), and the
    cross-year codes of domain.md §5.3."""
    try:
        from checks.rules.catalogue import kind_of, load_catalogue
        codes = {r.code for r in load_catalogue().rules
                 if "history" in kind_of(r).placeholders and "{history}" in (r.message or {}).get("zh", "")}
    except Exception:  # noqa: BLE001 - a catalogue that does not load is reported by the check itself
        codes = set()
    return frozenset(codes | CROSS_YEAR_CODES)


def _charted(f: dict) -> bool:
    return f["code"] in history_codes() or bool(f.get("history"))


def _history(con, agency_key: str, item: str, column: str, *, cells: bool = True) -> list[tuple]:
    """(year, value or None) of one cell — or, for a series id, the sum of its member cells — for
    every year of one agency in the warehouse (current reports). ``cells=False``: the cell itself is
    known to have no rows (:func:`_histories` found none), only a series' members are looked up."""
    rows = con.execute("""
        SELECT r.year, sum(c.value) AS v, bool_and(c.value IS NULL) AS blank
        FROM current_reports r JOIN cells c USING (report_id)
        WHERE r.agency_key = ? AND c.item = ? AND c."column" = ? GROUP BY r.year ORDER BY r.year""",
                       [agency_key, item, column]).fetchall() if cells else []
    if not rows:
        try:
            from checks.crossyear import load_series
            members = [m for s in load_series() if s.id == item for m in s.members]
        except Exception:  # noqa: BLE001 - the series mapping is optional here
            members = []
        if members:
            vals = " OR ".join("(r.template = ? AND c.item = ? AND c.\"column\" = ?)" for _ in members)
            rows = con.execute(f"""
                SELECT r.year, sum(c.value), bool_and(c.value IS NULL) FROM current_reports r JOIN cells c USING (report_id)
                WHERE r.agency_key = ? AND ({vals}) GROUP BY r.year ORDER BY r.year""",
                               [agency_key, *[x for m in members for x in m]]).fetchall()
    return [(int(y), None if blank else float(v)) for y, v, blank in rows]


def _histories(con, keys) -> dict[tuple, list[tuple]]:
    """:func:`_history` of many (agency key, item, column) at once, for the keys that are cells (one
    query instead of one per chart); series ids and keys with no cells are left out."""
    if not keys:
        return {}
    import pandas as pd

    ks = sorted(keys)
    con.register("gk_site_hist", pd.DataFrame({"agency_key": [k[0] for k in ks], "item": [k[1] for k in ks],
                                               "col": [k[2] for k in ks]}))
    try:
        rows = con.execute("""
            SELECT k.agency_key, k.item, k.col, r.year, sum(c.value) AS v, bool_and(c.value IS NULL) AS blank
            FROM gk_site_hist k JOIN current_reports r ON r.agency_key = k.agency_key
            JOIN cells c ON c.report_id = r.report_id AND c.item = k.item AND c."column" = k.col
            GROUP BY ALL ORDER BY k.agency_key, k.item, k.col, r.year""").fetchall()
    finally:
        con.unregister("gk_site_hist")
    out: dict[tuple, list[tuple]] = {}
    for a, item, col, y, v, blank in rows:
        out.setdefault((a, item, col), []).append((int(y), None if blank else float(v)))
    return out


MAX_SERIES_LOOKUPS = 200
"""At most this many charts per build resolve the agency through the registry (checks.crossyear)."""


def _series_history(con, agency: str, item: str, column: str) -> list[tuple]:
    """(year, value) of a series or cell for an agency resolved like the cross-year rules do
    (names, aliases, ids: :func:`checks.crossyear.history`); [] when that is not available."""
    try:
        from checks import templates as T
        from checks.crossyear import history, load_series
        key = item if any(s.id == item for s in load_series()) else \
            T._short(item) + ("" if column in (None, "", "value") else f"@{column}")
        h = history(con, agency, key)
    except Exception:  # noqa: BLE001 - no registry or series: the chart uses the warehouse's own cells
        return []
    vals = h["rows"][0]["values"] if h.get("rows") else {}
    return sorted((int(y), None if v is None else float(v)) for y, v in vals.items())


def _series_histories(con, wanted: list[tuple]) -> list[list[tuple]]:
    """:func:`_series_history` of many (agency, item, column), in order: the registry's agency table
    is read once and each kind of history (series, cell) is one query over every agency wanted (the
    queries of :func:`checks.crossyear.history`, for many agencies at once). Should that fail, each is
    looked up on its own."""
    if not wanted:
        return []
    try:
        return _series_batch(con, wanted)
    except Exception:  # noqa: BLE001 - the one-by-one lookup says [] where a lookup cannot be made
        return [_series_history(con, *w) for w in wanted]


def _series_batch(con, wanted: list[tuple]) -> list[list[tuple]]:
    import pandas as pd

    from checks import templates as T
    from checks.agencies import agency_table
    from checks.crossyear import base_ctes, load_series
    from checks.rules.catalogue import load_catalogue
    from checks.rules.sql import Builder

    series = {s.id for s in load_series()}
    names = agency_table(con)
    xids: dict[str, object] = {}
    by_series, by_cell = [], []           # (position, xid, series) / (position, xid, row, column)
    for i, (agency, item, column) in enumerate(wanted):
        if agency not in xids:
            hit = [r for r in names if r["years"] and agency in (r["agency"], r["xid"], r["reg_name"])]
            xids[agency] = hit[0]["xid"] if hit else None
        xid = xids[agency]
        if xid is None:
            continue                      # no reports of that agency: no history
        if item in series:
            by_series.append((i, xid, item))
        else:
            key = T._short(item) + ("" if column in (None, "", "value") else f"@{column}")
            row, _, col = key.partition("@")
            by_cell.append((i, xid, row, col or "value"))
    out: list[list[tuple]] = [[] for _ in wanted]
    ctes = base_ctes(Builder(load_catalogue()), series=True)
    if by_cell:
        con.register("gk_site_xy", pd.DataFrame({"i": [k[0] for k in by_cell], "xid": [k[1] for k in by_cell],
                                                 "row": [k[2] for k in by_cell], "col": [k[3] for k in by_cell]}))
        try:
            rows = con.execute(Builder.wrap(ctes, """SELECT k.i, y.year, c.state, c.value FROM gk_site_xy k
JOIN yr y ON y.xid = k.xid
LEFT JOIN cells c ON c.report_id = y.report_id AND c.item = y.template || '.' || k.row AND c."column" = k.col
ORDER BY k.i, y.year""")).fetchall()
        finally:
            con.unregister("gk_site_xy")
        values: dict[int, dict] = {}
        for i, y, st, v in rows:
            values.setdefault(i, {})[int(y)] = v if st is not None else "absent"
        for i, vals in values.items():
            out[i] = sorted((y, None if v is None else float(v)) for y, v in vals.items() if v != "absent")
    if by_series:
        con.register("gk_site_xy", pd.DataFrame({"i": [k[0] for k in by_series], "xid": [k[1] for k in by_series],
                                                 "series": [k[2] for k in by_series]}))
        try:
            rows = con.execute(Builder.wrap(ctes, """SELECT k.i, s.year, CASE WHEN s.n_num > 0 THEN s.value END
FROM gk_site_xy k JOIN yr y ON y.xid = k.xid JOIN sv s ON s.report_id = y.report_id
JOIN sm m ON m.sno = s.sno AND m.series = k.series
ORDER BY k.i, s.year""")).fetchall()
        finally:
            con.unregister("gk_site_xy")
        found: dict[int, dict] = {}
        for i, y, v in rows:
            found.setdefault(i, {})[int(y)] = v
        for i, vals in found.items():
            out[i] = sorted((y, None if v is None else float(v)) for y, v in vals.items())
    return out


def sparkline(points: list[tuple], highlight: int | None = None, width: int = 220, height: int = 60) -> str:
    """A small inline SVG line chart of (year, value or None) — blank years are gaps, never 0."""
    from markupsafe import Markup, escape

    pts = [(y, v) for y, v in points]
    vals = [v for _, v in pts if v is not None]
    if len(pts) < 2 or not vals:
        return Markup("")
    lo, hi = min(vals + [0.0]), max(vals)
    span = (hi - lo) or 1.0
    years = [y for y, _ in pts]
    y0, y1 = min(years), max(years)
    dx = (width - 40) / ((y1 - y0) or 1)

    def xy(y, v):
        return 30 + (y - y0) * dx, height - 14 - (v - lo) / span * (height - 24)
    parts = [f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'role="img" xmlns="http://www.w3.org/2000/svg">']
    seg: list[str] = []
    for y, v in pts + [(None, None)]:
        if v is None:
            if len(seg) > 1:
                parts.append(f'<polyline fill="none" stroke="#555" stroke-width="1.5" points="{" ".join(seg)}"/>')
            seg = []
            continue
        x, yy = xy(y, v)
        seg.append(f"{x:.1f},{yy:.1f}")
    for y, v in pts:
        x = 30 + (y - y0) * dx
        if v is None:
            parts.append(f'<text x="{x:.1f}" y="{height - 16}" font-size="9" text-anchor="middle" fill="#999">空</text>')
        else:
            _, yy = xy(y, v)
            cls = "hl" if y == highlight else ""
            parts.append(f'<circle class="{cls}" cx="{x:.1f}" cy="{yy:.1f}" r="{3.5 if cls else 2.5}" '
                         f'fill="{"#c0392b" if cls else "#555"}"><title>{y}: {escape(_fmt(v))}</title></circle>')
        parts.append(f'<text x="{x:.1f}" y="{height - 2}" font-size="9" text-anchor="middle">{y}</text>')
    parts.append(f'<text x="2" y="10" font-size="9">{escape(_fmt(hi))}</text></svg>')
    return Markup("".join(parts))


def _fmt(v) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


_PAGES: dict | None = None
"""What :func:`_report_pages` needs, set by :func:`build_site` for the time of one build (forked
workers inherit it; nothing large is sent to them). It holds no cells: each chunk of pages reads
its own from the warehouse (:func:`_cells`), through one read-only connection per process."""

_CON: tuple | None = None
"""(process id, database, read-only connection) of the process rendering pages (:func:`_span_con`);
a forked worker never uses its parent's."""
_INHERITED: list = []
"""Connections a forked worker inherited: kept referenced so that they are never destroyed there."""

PARALLEL_FROM = 2000
"""Report pages from which ``workers=None`` renders them in forked processes."""

CHUNK = 500
"""Report pages per chunk: the cells of one chunk are read (and held) at a time."""


def _workers(pages: int, workers: int | None) -> int:
    """How many processes render the report pages: ``workers`` when given, else ``GONGKAI_SITE_WORKERS``
    or, from :data:`PARALLEL_FROM` pages on, the CPUs available (at most 4); 1 where fork is missing, and
    1 (unless asked) while other Python threads run — a Prefect flow's, say: a fork then copies locks
    those threads may hold, and a worker could wait on one forever."""
    import multiprocessing
    import threading

    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if workers is None:
        env = os.environ.get("GONGKAI_SITE_WORKERS", "").strip()
        if env.isdigit():
            workers = int(env)
        elif pages < PARALLEL_FROM or threading.active_count() > 1:
            return 1
        else:
            try:
                workers = len(os.sched_getaffinity(0))
            except AttributeError:
                workers = os.cpu_count() or 1
            workers = min(4, workers)
    return max(1, min(int(workers), pages))


def _report_pages(span: tuple[int, int]) -> list[tuple[str, str, bool]]:
    """The report pages ``jobs[span[0]:span[1]]`` of the build in :data:`_PAGES`: each page's key,
    rendered and written unless the old manifest holds the same key and the page exists. Returns
    (name, key, written) per page, in order. Pages are separate files, so the order they are written
    in (or the process writing them) changes nothing."""
    from checks import exports

    P = _PAGES
    meta, narrative, history = P["meta"], P["narrative"], P["history"]
    w, lang, th, old, out = P["w"], P["lang"], P["th"], P["old"], P["out"]
    msg_key, label_key, report_tpl, run = P["msg_key"], P["label_key"], P["tpl"], P["run"]
    jobs = P["jobs"][span[0]:span[1]]
    cells = _cells(_span_con(P["db"]), [r["report_id"] for r, _, _ in jobs])
    done = []
    for r, fl, name in jobs:
        rid = r["report_id"]
        rc = cells.get(rid, {})
        agency_key, submission, kind = meta.get(rid, (r["agency"], None, None))
        source_path = exports._source_path(r["source_file"], submission, kind)
        charts = []
        for f in fl:
            if _charted(f):
                pts = history.get((agency_key, f["item"], f["column"] or "value"), [])
                charts.append({"f": f, "svg": sparkline(pts, r["year"]), "points": pts})
        key_data = [r, fl, sorted(zip(map("@".join, rc), rc.values())), source_path,
                    narrative.get(rid), [c["points"] for c in charts]]
        key = hashlib.md5((th + lang + json.dumps(key_data, ensure_ascii=False, default=str,
                                                  sort_keys=True)).encode("utf-8")).hexdigest()
        if old.get(name) == key and (out / name).is_file():
            done.append((name, key, False))
            continue
        marks: dict[tuple, list[dict]] = {}
        for f in fl:
            if f["item"]:
                marks.setdefault((f["item"], f["column"] or "value"), []).append(f)
        tables = layout(r["template"], r["variant"] or "", lang)
        tables_html = fill_tables(r["template"], r["variant"] or "", lang, rc, marks, msg_key)
        sections: dict[str, list[dict]] = {}
        for t in tables:
            sections[t["section"]] = []
        for f in fl:
            sec = _section_of(f, tables)
            sections.setdefault(sec, []).append(f)
        text = report_tpl.render(w=w, lang=lang, r=r, tables_html=tables_html, findings=fl,
                                 sections=sections, source_path=source_path, charts=charts,
                                 narrative=narrative.get(rid, []), msg_key=msg_key, label_key=label_key,
                                 run=run, root="../", sev_rank=SEV_RANK)
        done.append((name, key, _write(out / name, text)))
    return done


def _span_con(db):
    """This process's read-only connection to ``db`` for :func:`_cells` (opened on first use)."""
    global _CON
    if _CON is not None and _CON[0] != os.getpid():
        _INHERITED.append(_CON)     # the parent's: never closed nor destroyed here (warehouse.forkable)
        _CON = None
    if _CON is None or _CON[1] != db:
        from checks import warehouse

        _close_span_con()
        _CON = (os.getpid(), db, warehouse.connect(db, read_only=True))
    return _CON[2]


def _close_span_con() -> None:
    """Close this process's :func:`_span_con` connection, if it has one."""
    global _CON
    if _CON is not None and _CON[0] == os.getpid():
        _CON[2].close()
    _CON = None


def build_site(db: str | Path, out: str | Path, *, run_id: str | None = None, lang: str = "zh",
               show_info: bool = False, gx_docs: str | Path | None = None,
               workers: int | None = None) -> SiteResult:
    """Build (or update) the audit site of one check run (default: the latest) in ``out``.

    ``gx_docs``: the GX Data Docs index to link (default: ``out/../gx-docs/index.html`` when it
    exists). ``workers``: processes rendering the report pages (:func:`_workers`; the pages are the
    same whichever). Raises :class:`~checks.errors.UserError` when the warehouse has no check run.
    """
    from checks import exports
    from checks.errors import UserError

    if lang not in WORDS:
        raise UserError(f"--lang must be one of {', '.join(WORDS)}, not {lang!r}")
    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fs = exports.collect(db, run_id, show_info=show_info)
    rid_of = {(r["agency"], r["year"]): r["report_id"] for r in fs.reports}
    findings = []
    for f in fs.findings:
        f = dict(f)
        f["_rid"] = rid_of.get((f["agency"], f["year"]))
        findings.append(f)
    meta, narrative, history = _load(db, findings, list(fs.reports))
    w = WORDS[lang]
    env = _env()
    th = _templates_hash()
    old = {}
    mp = out / MANIFEST
    if mp.is_file():
        try:
            old = json.loads(mp.read_text(encoding="utf-8"))
        except ValueError:
            old = {}
    new_manifest: dict[str, str] = {}
    written = unchanged = 0

    def emit(name: str, key_data, render) -> None:
        nonlocal written, unchanged
        key = hashlib.md5((th + lang + json.dumps(key_data, ensure_ascii=False, default=str,
                                                  sort_keys=True)).encode("utf-8")).hexdigest()
        new_manifest[name] = key
        if old.get(name) == key and (out / name).is_file():
            unchanged += 1
            return
        if _write(out / name, render()):
            written += 1
        else:
            unchanged += 1

    for src in ("site.css", "site.js"):
        text = (HERE / "static" / src).read_text(encoding="utf-8")
        emit(f"assets/{src}", text, lambda text=text: text)

    by_report: dict[int, list[dict]] = {}
    for f in findings:
        by_report.setdefault(f["_rid"], []).append(f)
    msg_key = "message_en" if lang == "en" else "message"
    label_key = "label_en" if lang == "en" else "label"
    report_tpl = env.get_template("report.html.j2")
    rules_seen: dict[str, list[dict]] = {}
    index_rows = []
    jobs = []
    for r in fs.reports:
        name = page_name(r["agency"], r["year"])
        rid = r["report_id"]
        fl = sorted(by_report.get(rid, []), key=lambda f: (SEV_RANK[f["severity"]], f["code"], f["item"] or ""))
        for f in fl:
            rules_seen.setdefault(f["code"], []).append({**f, "page": name})
        jobs.append((r, fl, name))
        index_rows.append([name, r["agency"], r["year"], r["template"] + (f"/{r['variant']}" if r["variant"] else ""),
                           r["region"] or "", r["errors"], r["warnings"], r["infos"], r["worst"] or "",
                           r["codes"], r["new"]])
    # chunks of pages in report id order: the cells of a chunk lie together in the warehouse
    # (the order pages are written in changes nothing: each is its own file)
    jobs.sort(key=lambda j: j[0]["report_id"])
    global _PAGES
    _PAGES = {"jobs": jobs, "db": db, "meta": meta, "narrative": narrative, "history": history, "w": w,
              "lang": lang, "th": th, "old": old, "out": out, "msg_key": msg_key, "label_key": label_key,
              "tpl": report_tpl, "run": fs.run}
    try:
        n = len(jobs)
        procs = _workers(n, workers)
        if procs > 1:
            import multiprocessing

            from checks.warehouse import forkable

            step = max(1, min(CHUNK, -(-n // (procs * 4))))
            with forkable(), multiprocessing.get_context("fork").Pool(procs) as pool:
                done = [x for part in pool.imap(_report_pages, [(i, min(n, i + step)) for i in range(0, n, step)])
                        for x in part]
        else:
            done = [x for i in range(0, n, CHUNK) for x in _report_pages((i, min(n, i + CHUNK)))]
    finally:
        _PAGES = None
        _close_span_con()
    for name, key, wrote in done:
        new_manifest[name] = key
        if wrote:
            written += 1
        else:
            unchanged += 1

    from checks.rules.catalogue import load_catalogue
    catalogue = load_catalogue()
    rule_tpl = env.get_template("rule.html.j2")
    rules_info = {}
    for rule in catalogue.rules:
        rows = rules_seen.get(rule.code, [])
        rules_info[rule.code] = {"code": rule.code, "name": rule.name, "severity": rule.severity,
                                 "count": len(rows), "agencies": len({(x["agency"], x["year"]) for x in rows})}
        emit(f"rules/{rule.code}.html", [rule.as_dict(), rows],
             lambda rule=rule, rows=rows: rule_tpl.render(w=w, lang=lang, rule=rule, rows=rows, msg_key=msg_key,
                                                           label_key=label_key, run=fs.run, root="../"))
    gx = Path(gx_docs) if gx_docs else out.parent / "gx-docs" / "index.html"
    gx_link = None
    if gx.is_file():
        import os
        gx_link = os.path.relpath(gx, out)
    index_tpl = env.get_template("index.html.j2")
    index_rows.sort(key=lambda x: (-x[5], -x[6], -x[7], x[1], x[2]))
    rules_list = [v for v in rules_info.values() if v["count"]]
    emit("index.html", [index_rows, rules_list, fs.run, gx_link],
         lambda: index_tpl.render(w=w, lang=lang, data=_json_inert(index_rows), top=index_rows[:50],
                                  rules=rules_list, run=fs.run, summary=fs.summary, gx_link=gx_link, root=""))
    removed = 0
    for name in set(old) - set(new_manifest):
        p = out / name
        if p.is_file():
            p.unlink()
            removed += 1
    _write(mp, json.dumps(new_manifest, indent=0, sort_keys=True))
    return SiteResult(out, out / "index.html", len(new_manifest), written, unchanged, removed,
                      time.perf_counter() - t0)


SLOT = "\x00"


@functools.cache
def skeleton(template: str, variant: str, lang: str) -> tuple[str, ...]:
    """The tables of a template (and variant) rendered once by ``tables.html.j2``, split at the
    places a report fills (:func:`fill_tables`)."""
    from markupsafe import Markup

    html = _env().get_template("tables.html.j2").render(tables=layout(template, variant, lang), w=WORDS[lang],
                                                        S=Markup(SLOT))
    return tuple(html.split(SLOT))


@functools.lru_cache(maxsize=1 << 16)
def _escaped(text: str) -> str:
    """``text`` made inert (:func:`checks.inert.reveal`) and HTML-escaped; cached: a corpus's cells
    hold few distinct raw texts (every page escapes the same numbers again)."""
    from markupsafe import escape

    from checks.inert import reveal

    return str(escape(reveal(text)))


@functools.cache
def _plan(template: str, variant: str, lang: str) -> tuple[tuple, ...]:
    """The cell keys of each row of a layout, in document order (what :func:`fill_tables` walks)."""
    return tuple(tuple(row["cells"]) for t in layout(template, variant, lang) for row in t["rows"])


_CELLS: dict[str, dict] = {}
"""Per language: a cell's (raw, state, line) -> its (class, title, text) without findings (pages repeat
the same cells again and again)."""


def _cell_parts(c, lang: str) -> tuple[str, str, str]:
    w = WORDS[lang]
    cls = "cell"
    if c[1] == "EMPTY":
        cls += " blank"
    elif c[1] == "NA":
        cls += " na"
    elif c[1] == "TEXT":
        cls += " text"
    title = f' title="{_escaped(str(w["line"]))} {c[2]}"' if c[2] is not None else ""
    text = (f'<span class="blank-mark" aria-label="{_escaped(str(w["blank"]))}"></span>' if c[1] == "EMPTY"
            else _escaped(str(c[0])))
    return cls, title, text


_MISSING = ("cell missing", "", '<span class="absent">—</span>')


def fill_tables(template: str, variant: str, lang: str, cells: dict, marks: dict, msg_key: str) -> str:
    """One report's tables: the skeleton with, per row, ``has-finding`` and the findings on its cells
    (rule and arithmetic, source line), per cell its state classes (blank, not applicable, text,
    missing, f-error/f-warning/f-info), its source line and its raw text — every string escaped."""
    from markupsafe import Markup

    def esc(text):
        return _escaped(str(text))

    w = WORDS[lang]
    parts = skeleton(template, variant, lang)
    line = esc(w["line"])
    memo = _CELLS.setdefault(lang, {})
    if len(memo) > 1 << 20:
        memo.clear()
    get = cells.get
    values: list[str] = []
    append = values.append
    extend = values.extend
    for keys in _plan(template, variant, lang):
        at = len(values)
        append("")
        rowmarks = []
        for key in keys:
            c = get(key)
            if c is None:
                t = _MISSING
            else:
                t = memo.get(c)
                if t is None:
                    t = memo[c] = _cell_parts(c, lang)
            m = marks.get(key) if marks else None
            if m:
                sevs = {f["severity"] for f in m}
                t = (t[0] + " f-" + ("error" if "error" in sevs else "warning" if "warning" in sevs else "info"),
                     t[1], t[2])
                rowmarks.extend(m)
            extend(t)
        if rowmarks:
            values[at] = " has-finding"
            append("".join(
                f'<div class="finding sev-{f["severity"]}"><b class="code"><a href="../rules/{esc(f["code"])}.html">'
                f'{esc(f["code"])}</a></b> <span class="arith">{esc(f[msg_key])}</span>'
                + (f' <span class="src">{line} {int(f["source_line"])}</span>' if f["source_line"] else "")
                + "</div>" for f in rowmarks))
        else:
            append("")
    if len(values) != len(parts) - 1:
        raise AssertionError(f"skeleton of {template}/{variant} has {len(parts) - 1} places, filled {len(values)}")
    out = [""] * (len(parts) + len(values))
    out[0::2] = parts
    out[1::2] = values
    return Markup("".join(out))


def _section_of(f: dict, tables: tuple) -> str:
    item = f["item"] or ""
    for t in tables:
        if item == t["section"] or item.startswith(t["section"] + "."):
            return t["section"]
        for row in t["rows"]:
            if any(c[0] == item for c in row["cells"]):
                return t["section"]
    return ""
