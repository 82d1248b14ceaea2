"""Exports of a check run an office can use: CSV, XLSX, JSON, JUnit XML and Markdown — one module.

Everything starts from one :class:`FindingSet` (``collect(db, run_id)``): the run, one summary row
per agency and year, and the findings in one shape (:data:`EXPORT_COLUMNS`; the same keys in every
format and in ``--json`` of ``gongkai report`` and ``gongkai show``). Every finding carries its
stable ``fingerprint`` (rule, agency, year, cell), the full source path and line, the cell's raw
text, its labels and messages in Chinese and in English, and ``new`` (not in the previous run).
Info findings are left out unless ``show_info=True``.

Strings from reports are untrusted: CSV and XLSX neutralise cells that begin with ``=``, ``+``,
``-``, ``@`` (or a tab/CR) by prefixing ``'`` (:func:`neutralise`); XML and Markdown escape them;
JSON is JSON. Nothing here prints.

Signatures (stable; :mod:`checks.gate` and the flows import them)::

    collect(db: str | Path, run_id: str | None = None, *, show_info: bool = False) -> FindingSet
    write_csv(fs: FindingSet, path: str | Path) -> Path           # UTF-8 with BOM
    write_xlsx(fs: FindingSet, path: str | Path) -> Path          # a summary sheet, then one sheet per agency
    write_json(fs: FindingSet, path: str | Path) -> Path          # fs.as_dict()
    junit_xml(fs: FindingSet, *, fail_on: str = "error") -> str   # one <testcase> per agency and year
    markdown_summary(fs: FindingSet, *, limit: int = 20, report: str | None = None,
                     lang: str = "zh") -> str                     # a CI comment / Prefect artifact
    write_all(fs, out_dir, *, xlsx=True) -> list[Path]            # findings.csv/.xlsx/.json, junit.xml, summary.md
"""

from __future__ import annotations

import csv
import functools
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checks import atomic
from checks.inert import json_dumps, reveal

SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}

EXPORT_COLUMNS = ("fingerprint", "code", "name", "severity", "agency", "year", "template", "region", "cell",
                  "item", "column", "label", "label_en", "raw", "expected", "actual", "delta", "message",
                  "message_en", "source_file", "source_path", "source_line", "exact", "lenient", "waived",
                  "waiver_reason", "new")
"""The keys of one exported finding, in column order."""

REPORT_COLUMNS = ("agency", "year", "template", "variant", "region", "errors", "warnings", "infos", "waived",
                  "worst", "codes", "new", "source_file", "report_id")
"""The keys of one per-agency-year summary row."""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def fingerprint(code: str, agency: str | None, year: int | None, item: str | None, column: str | None) -> str:
    """The stable id of a finding across runs: rule, agency, year and cell (16 hex digits).
    Same as :data:`FINGERPRINT_SQL` over a findings row."""
    key = f"{code}|{agency or ''}|{'' if year is None else int(year)}|{item or ''}@{column or ''}"
    return hashlib.md5(key.encode("utf-8")).hexdigest()[:16]


FINGERPRINT_SQL = ("substr(md5(f.code || '|' || coalesce(f.agency, '') || '|' || coalesce(CAST(f.year AS VARCHAR), '')"
                   " || '|' || coalesce(f.item, '') || '@' || coalesce(f.\"column\", '')), 1, 16)")
""":func:`fingerprint` in SQL over a findings row ``f``."""


def neutralise(value: Any) -> Any:
    """A string that a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, tab, CR first)
    gets a leading ``'``; anything else is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


@dataclass(frozen=True)
class FindingSet:
    """One check run, ready to export: ``run`` (id, time, counts), ``reports`` (one row per current
    agency and year, :data:`REPORT_COLUMNS`, most severe first) and ``findings`` (:data:`EXPORT_COLUMNS`,
    by report, most severe first). ``show_info``: whether info findings are included."""

    run: dict
    reports: tuple[dict, ...]
    findings: tuple[dict, ...]
    show_info: bool = False
    db: str = ""
    previous_run: str | None = None

    def as_dict(self) -> dict:
        """The one JSON shape: run, summary, reports, findings."""
        return {"run": self.run, "summary": self.summary, "reports": list(self.reports),
                "findings": list(self.findings)}

    @property
    def summary(self) -> dict:
        r = self.run
        return {"reports": r.get("reports", len(self.reports)), "error": r.get("errors", 0),
                "warning": r.get("warnings", 0), "info": r.get("infos", 0), "waived": r.get("waived", 0),
                "new": sum(1 for f in self.findings if f.get("new") and f["severity"] != "info"),
                "show_info": self.show_info}

    def for_report(self, agency: str, year: int | None = None) -> "FindingSet":
        """The same set restricted to one agency (and year)."""
        def keep(d):
            return d["agency"] == agency and (year is None or d["year"] == year)
        return FindingSet(self.run, tuple(r for r in self.reports if keep(r)),
                          tuple(f for f in self.findings if keep(f)), self.show_info, self.db, self.previous_run)


# --------------------------------------------------------------------------------------- collect

def _labels() -> dict[tuple, tuple[str, str]]:
    """(template, variant, item, column) → (zh, en) labels of every template cell; (template, variant,
    section, None) → the section's (for findings about a table)."""
    from checks.rules.sql import spec_lookup

    out: dict[tuple, tuple[str, str]] = {}
    for (t, v, item, column), s in spec_lookup().items():
        out[(t, v, item, column)] = (s["label"], s["label_en"])
        out.setdefault((t, v, s["section"], None), (s["section_label"], s["section_label_en"]))
        out.setdefault((t, v, s["tbl"], None), (s["tbl_label"], s["tbl_label_en"]))
        out.setdefault((t, v, s["row_code"], None), (s["row_label"], s["row_label_en"]))
    return out


def _series_labels() -> dict[str, tuple[str, str]]:
    """Series id → (zh, en) label, for cross-year findings whose item is a series
    (checks/templates/series.yaml); empty when the series mapping is not available."""
    try:
        from checks.crossyear import load_series
        return {s.id: (s.label, s.label_en) for s in load_series()}
    except Exception:  # noqa: BLE001 - optional: findings then show the series id
        return {}


def _source_path(source_file: str | None, submission: str | None, kind: str | None) -> str | None:
    """The full path of the report a finding points at: the report file itself when it was loaded
    directly, else the recorded file next to the extracted-statistics file that named it."""
    if not source_file and not submission:
        return None
    if kind == "report" and submission:
        return str(Path(submission).resolve())
    if source_file and Path(source_file).is_absolute():
        return source_file
    if submission and source_file:
        beside = Path(submission).resolve().parent / source_file
        return str(beside) if beside.exists() else source_file
    return str(Path(submission).resolve()) if submission else source_file


def collect(db: str | Path, run_id: str | None = None, *, show_info: bool = False) -> FindingSet:
    """The findings of one check run (default: the latest) with everything the exports need.

    Raises :class:`~checks.errors.UserError` when the warehouse has no such run.
    """
    from checks import warehouse
    from checks.errors import UserError
    from checks.templates import cell_code

    con = warehouse.connect(db, read_only=True)
    try:
        runs = con.execute("SELECT run_id, started_at, finished_at, lenient, reports, errors, warnings, infos, waived "
                           "FROM check_runs ORDER BY started_at").fetchall() if _has(con, "check_runs") else []
        if not runs:
            raise UserError(f"{db}: no check run yet (run `gongkai check` or `gongkai run` first)")
        ids = [r[0] for r in runs]
        run_id = run_id or ids[-1]
        if run_id not in ids:
            raise UserError(f"{db}: no check run {run_id!r}")
        pos = ids.index(run_id)
        previous = ids[pos - 1] if pos > 0 else None
        r = runs[pos]
        run = {"run_id": r[0], "started_at": str(r[1]), "finished_at": str(r[2]) if r[2] else None,
               "lenient": bool(r[3]), "reports": r[4], "errors": r[5], "warnings": r[6], "infos": r[7],
               "waived": r[8], "previous_run": previous, "db": str(db)}
        prev = set()
        if previous:
            prev = {x[0] for x in con.execute(f"SELECT DISTINCT {FINGERPRINT_SQL} FROM findings f WHERE run_id = ?",
                                              [previous]).fetchall()}
        where = "" if show_info else " AND (f.severity IN ('error', 'warning') OR f.waived)"
        cur = con.execute(f"""
            SELECT f.code, f.name, f.severity, f.agency, f.year, f.template, coalesce(r.variant, '') AS variant,
                   r.region, f.item, f."column", c.raw, f.expected, f.actual, f.delta, f.message, f.message_en,
                   coalesce(f.source_file, r.source_file) AS source_file, s.file AS submission, s.kind,
                   f.source_line, f.exact, f.lenient, f.waived, f.waiver_reason, f.report_id,
                   {FINGERPRINT_SQL} AS fingerprint
            FROM findings f
            LEFT JOIN reports r ON r.report_id = f.report_id
            LEFT JOIN submissions s ON s.submission_id = r.submission_id
            LEFT JOIN cells c ON c.report_id = f.report_id AND c.item = f.item AND c."column" = f."column"
            WHERE f.run_id = ?{where}
            ORDER BY f.agency, f.year, f.report_id,
                     CASE f.severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, f.code, f.item, f."column"
        """, [run_id])
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, x)) for x in cur.fetchall()]
        reps = con.execute("""
            SELECT r.report_id, r.agency, r.year, r.template, coalesce(r.variant, '') AS variant, r.region,
                   r.source_file FROM current_reports r""").fetchall()
    finally:
        con.close()
    labels = _labels()
    series = _series_labels()
    findings = []
    paths: dict[tuple, str | None] = {}        # a report's findings all point at the same file
    for x in rows:
        where_key = (x["source_file"], x["submission"], x["kind"])
        if where_key not in paths:
            paths[where_key] = _source_path(*where_key)
        key = (x["template"], x["variant"], x["item"], x["column"])
        zh, en = labels.get(key) or labels.get((x["template"], x["variant"], x["item"], None)) \
            or series.get(x["item"]) or ("", "")
        findings.append({
            "fingerprint": x["fingerprint"], "code": x["code"], "name": x["name"], "severity": x["severity"],
            "agency": x["agency"], "year": x["year"], "template": x["template"], "region": x["region"],
            "cell": cell_code(x["item"], x["column"]) if x["item"] else None, "item": x["item"],
            "column": x["column"], "label": zh, "label_en": en, "raw": x["raw"],
            "expected": _num(x["expected"]), "actual": _num(x["actual"]), "delta": _num(x["delta"]),
            "message": x["message"], "message_en": x["message_en"], "source_file": x["source_file"],
            "source_path": paths[where_key],
            "source_line": x["source_line"], "exact": bool(x["exact"]), "lenient": bool(x["lenient"]),
            "waived": bool(x["waived"]), "waiver_reason": x["waiver_reason"],
            "new": (x["fingerprint"] not in prev) if previous else None,
            "_report_id": x["report_id"]})
    reports = _summaries(reps, findings)
    for f in findings:
        f.pop("_report_id")
    return FindingSet(run, tuple(reports), tuple(findings), show_info, str(db), previous)


def _has(con, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table])
                .fetchall()[0][0])


def _num(v):
    if v is None or v != v:
        return None
    return int(v) if float(v).is_integer() else float(v)


def _summaries(reps: list[tuple], findings: list[dict]) -> list[dict]:
    by: dict[int, list[dict]] = {}
    for f in findings:
        by.setdefault(f["_report_id"], []).append(f)
    out = []
    for report_id, agency, year, template, variant, region, source_file in reps:
        fs = [f for f in by.get(report_id, []) if not f["waived"]]
        n = {s: sum(f["severity"] == s for f in fs) for s in ("error", "warning", "info")}
        counted: dict[tuple, int] = {}
        for f in fs:
            counted[(SEVERITY_RANK[f["severity"]], f["code"])] = counted.get((SEVERITY_RANK[f["severity"]], f["code"]), 0) + 1
        worst = min(counted, key=lambda k: (k[0], -counted[k], k[1]))[1] if counted else None
        codes = " ".join(sorted({f["code"] for f in fs if f["severity"] != "info"}))
        out.append({"agency": agency, "year": year, "template": template, "variant": variant, "region": region,
                    "errors": n["error"], "warnings": n["warning"], "infos": n["info"],
                    "waived": sum(f["waived"] for f in by.get(report_id, [])), "worst": worst, "codes": codes,
                    "new": sum(1 for f in fs if f["new"] and f["severity"] != "info"),
                    "source_file": source_file, "report_id": report_id})
    out.sort(key=lambda r: (-r["errors"], -r["warnings"], -r["infos"], r["agency"], r["year"]))
    return out


# ------------------------------------------------------------------------------------ writers

def _cell_out(v: Any) -> Any:
    """A value for a CSV or XLSX cell: invisible characters shown (:func:`checks.inert.reveal`),
    formula prefixes neutralised."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return _text_out(v)
    return "" if v is None else neutralise(reveal(v))


@functools.lru_cache(maxsize=1 << 16)
def _text_out(v: str) -> str:
    """:func:`_cell_out` of a string, cached: exports repeat the same codes, labels and names."""
    return neutralise(reveal(v))


def write_csv(fs: FindingSet, path: str | Path) -> Path:
    """The findings as CSV: UTF-8 with a BOM (Excel on a Chinese desktop reads it), a header row of
    :data:`EXPORT_COLUMNS`, formula prefixes neutralised."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic.target(path) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(EXPORT_COLUMNS)
        for row in fs.findings:
            w.writerow([_cell_out(row[c]) for c in EXPORT_COLUMNS])
    return path


_SHEET_BAD = str.maketrans({c: "_" for c in "[]:*?/\\'"})


def _sheet_titles(agencies: list[str]) -> dict[str, str]:
    """A valid, unique sheet title (≤ 31 characters, no []:*?/\\) per agency."""
    out, used = {}, {"汇总"}
    for a in agencies:
        base = reveal(a or "?").translate(_SHEET_BAD)[:28] or "_"
        t, i = base, 2
        while t.lower() in used:
            t, i = f"{base[:26]}~{i}", i + 1
        used.add(t.lower())
        out[a] = t
    return out


XLSX_COLUMNS = ("severity", "code", "year", "label", "raw", "message", "message_en", "source_path", "source_line",
                "cell", "expected", "actual", "delta", "new", "waived", "waiver_reason", "fingerprint")


XLSX_MAX_SHEETS = 500
"""Up to this many agencies with findings, one sheet each; beyond it (a sheet costs ~10 ms to write)
one sheet 全部 with the agency as the first column."""


def write_xlsx(fs: FindingSet, path: str | Path, *, max_sheets: int = XLSX_MAX_SHEETS) -> Path:
    """An XLSX workbook for sending back to agencies: a summary sheet (汇总, one row per agency and
    year), then one sheet per agency with its findings (more than ``max_sheets`` agencies: one sheet
    全部 with an agency column). Every string is written as text, formula prefixes neutralised.

    openpyxl writes the workbook around the rows (styles, sheet list, properties); the rows themselves
    are written here as the XML openpyxl's write-only cells give (inline strings), about 20× faster
    than a cell object per value: the files are the same (``tests/test_exports_fast.py`` compares
    them with :func:`_write_xlsx_openpyxl`)."""
    import zipfile

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    sheets = [(wb.create_sheet(title), rows) for title, rows in _xlsx_sheets(fs, max_sheets)]
    probe = WriteOnlyCell(sheets[0][0], value="")
    probe.font = Font(bold=True)                # registers the header style as openpyxl would
    header_style = f' s="{probe.style_id}"'
    with atomic.target(path) as tmp:
        wb.save(tmp)
        members = []
        with zipfile.ZipFile(tmp) as z:
            for info in z.infolist():
                members.append((info, z.read(info)))
        data = {f"xl/worksheets/sheet{i}.xml": rows for i, (_, rows) in enumerate(sheets, 1)}
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as z:
            for info, body in members:
                rows = data.get(info.filename)
                if rows is not None:
                    head, sep, tail = body.partition(b"<sheetData></sheetData>")
                    if not sep:
                        raise AssertionError(f"{info.filename}: no empty <sheetData> to fill")
                    body = b"".join([head, b"<sheetData>", _xlsx_rows(rows, header_style).encode("ascii"),
                                     b"</sheetData>", tail])
                z.writestr(info, body)
    return path


_SUMMARY_COLUMNS = ("agency", "year", "template", "region", "errors", "warnings", "infos", "waived", "worst", "codes",
                    "new", "source_file")


def _xlsx_sheets(fs: FindingSet, max_sheets: int):
    """(title, rows) of every sheet in order; a row is (styled, values)."""
    out = [("汇总", [(True, _SUMMARY_COLUMNS)] + [(False, [r[c] for c in _SUMMARY_COLUMNS]) for r in fs.reports])]
    by: dict[str, list[dict]] = {}
    for f in fs.findings:
        by.setdefault(f["agency"], []).append(f)
    if len(by) > max_sheets:
        rows = [(True, ("agency",) + XLSX_COLUMNS)]
        for agency in sorted(by):
            rows += [(False, [agency] + [f[c] for c in XLSX_COLUMNS]) for f in by[agency]]
        out.append(("全部", rows))
        by = {}
    titles = _sheet_titles(sorted(by))
    for agency in sorted(by):
        out.append((titles[agency], [(False, [agency]), (True, XLSX_COLUMNS)]
                    + [(False, [f[c] for c in XLSX_COLUMNS]) for f in by[agency]]))
    return out


@functools.lru_cache(maxsize=1 << 16)
def _xlsx_text(v: str) -> str:
    """The ``t="inlineStr"`` content of a string cell as openpyxl (lxml) writes it: the text as in CSV
    (:func:`_cell_out`), at most 32,767 characters, XML-escaped, non-ASCII as character references."""
    v = _text_out(v)[:32767]
    if not v:
        return ""
    t = (v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
         .encode("ascii", "xmlcharrefreplace").decode("ascii"))
    return f'<is><t xml:space="preserve">{t}</t></is>' if v != v.strip() else f"<is><t>{t}</t></is>"


def _xlsx_rows(rows, header_style: str) -> str:
    """The ``<row>`` elements of one sheet."""
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(i) for i in range(1, 1 + max((len(v) for _, v in rows), default=0))]
    out = []
    for n, (styled, values) in enumerate(rows, 1):
        s = header_style if styled else ""
        out.append(f'<row r="{n}">')
        for col, v in zip(letters, values):
            if v is None or v.__class__ is str or isinstance(v, (str, bool)):
                text = _xlsx_text("" if v is None else ("true" if v else "false") if isinstance(v, bool) else v)
                out.append(f'<c r="{col}{n}"{s} t="inlineStr">{text}</c>')
            elif isinstance(v, (int, float)):
                num = "" if isinstance(v, float) and (math.isnan(v) or math.isinf(v)) else "%.16g" % v
                out.append(f'<c r="{col}{n}"{s} t="n"><v>{num}</v></c>')
            else:
                raise TypeError(f"XLSX cell value of type {type(v).__name__}: {v!r}")
        out.append("</row>")
    return "".join(out)


def _write_xlsx_openpyxl(fs: FindingSet, path: str | Path, *, max_sheets: int = XLSX_MAX_SHEETS) -> Path:
    """:func:`write_xlsx` with a cell object per value (openpyxl's own write-only rows): the reference
    the fast writer is tested against."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    bold = Font(bold=True)

    def header(ws, names):
        cells = []
        for n in names:
            c = WriteOnlyCell(ws, value=n)
            c.font = bold
            cells.append(c)
        ws.append(cells)

    def text(ws, v):
        v = _cell_out(v) if not isinstance(v, (int, float)) or isinstance(v, bool) else v
        c = WriteOnlyCell(ws, value=v)
        if isinstance(v, str):
            c.data_type = "s"
        return c

    summary = wb.create_sheet("汇总")
    cols = ("agency", "year", "template", "region", "errors", "warnings", "infos", "waived", "worst", "codes", "new",
            "source_file")
    header(summary, cols)
    for r in fs.reports:
        summary.append([text(summary, r[c]) for c in cols])
    by: dict[str, list[dict]] = {}
    for f in fs.findings:
        by.setdefault(f["agency"], []).append(f)
    if len(by) > max_sheets:
        ws = wb.create_sheet("全部")
        header(ws, ("agency",) + XLSX_COLUMNS)
        for agency in sorted(by):
            for f in by[agency]:
                ws.append([text(ws, agency)] + [text(ws, f[c]) for c in XLSX_COLUMNS])
        by = {}
    titles = _sheet_titles(sorted(by))
    for agency in sorted(by):
        ws = wb.create_sheet(titles[agency])
        ws.append([text(ws, agency)])
        header(ws, XLSX_COLUMNS)
        for f in by[agency]:
            ws.append([text(ws, f[c]) for c in XLSX_COLUMNS])
    with atomic.target(path) as tmp:
        wb.save(tmp)
    return path


def write_json(fs: FindingSet, path: str | Path) -> Path:
    """:meth:`FindingSet.as_dict` as UTF-8 JSON (Chinese kept readable)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, json_dumps(fs.as_dict(), indent=1) + "\n")
    return path


def junit_xml(fs: FindingSet, *, fail_on: str = "error", load=None) -> str:
    """JUnit XML: one ``<testsuite>`` for the run, one ``<testcase>`` per agency and year (classname
    the template, name ``agency year``). Errors fail it (``fail_on="warning"``: warnings too); the
    failure's text lists the findings with their arithmetic and source line; warnings of a passing
    case go to ``<system-out>``. Waived and info findings never fail a case.

    ``load`` (a :class:`checks.warehouse.LoadResult`): a second ``<testsuite>`` with one failing case
    per file that was not loaded (its ``file:line: problem``) or had rows quarantined (how many, why),
    so a CI page shows lost input as failures too."""
    import xml.etree.ElementTree as ET

    by: dict[tuple, list[dict]] = {}
    for f in fs.findings:
        if f["severity"] != "info" and not f["waived"]:
            by.setdefault((f["agency"], f["year"]), []).append(f)
    failing = {"error"} if fail_on == "error" else {"error", "warning"}
    suites = ET.Element("testsuites", name="gongkai-audit")
    suite = ET.SubElement(suites, "testsuite", name=f"gongkai-audit run {fs.run.get('run_id')}",
                          timestamp=str(fs.run.get("started_at") or ""))
    n_fail = 0
    for r in sorted(fs.reports, key=lambda r: (r["agency"], r["year"])):
        case = ET.SubElement(suite, "testcase", classname=f"gongkai.{r['template']}",
                             name=reveal(f"{r['agency']} {r['year']}"))
        fs_ = by.get((r["agency"], r["year"]), [])
        bad = [f for f in fs_ if f["severity"] in failing]
        body = reveal("\n".join(f"{f['severity'].upper()} {f['code']} {f['cell'] or ''} "
                                f"{f['source_path'] or f['source_file'] or ''}:{f['source_line'] or ''}\n"
                                f"  {f['message']}\n  {f['message_en']}" for f in fs_))
        if bad:
            n_fail += 1
            codes = " ".join(sorted({f["code"] for f in bad}))
            el = ET.SubElement(case, "failure", message=f"{r['errors']} error(s), {r['warnings']} warning(s): {codes}",
                               type=bad[0]["severity"])
            el.text = body
        elif fs_:
            ET.SubElement(case, "system-out").text = body
    suite.set("tests", str(len(fs.reports)))
    suite.set("failures", str(n_fail))
    suite.set("errors", "0")
    n_files = _junit_files(suites, load)
    suites.set("tests", str(len(fs.reports) + n_files))
    suites.set("failures", str(n_fail + n_files))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _junit_files(suites, load) -> int:
    """The files of ``load`` that lost input, one failing ``<testcase>`` each; returns how many."""
    import xml.etree.ElementTree as ET

    bad = [f for f in (load.files if load is not None else []) if f.status == "error" or f.rows_quarantined]
    if not bad:
        return 0
    suite = ET.SubElement(suites, "testsuite", name="gongkai-audit input files", tests=str(len(bad)),
                          failures=str(len(bad)), errors="0")
    for f in bad:
        case = ET.SubElement(suite, "testcase", classname="gongkai.load", name=reveal(f.file))
        if f.status == "error":
            el = ET.SubElement(case, "failure", type="not-loaded", message=reveal(f"not loaded: {f.message}"))
            el.text = reveal(f.message)
        else:
            reasons = "; ".join(f"{n} × {r}" for r, n in f.reasons.most_common())
            el = ET.SubElement(case, "failure", type="quarantined",
                               message=reveal(f"{f.rows_quarantined} row(s) quarantined"))
            el.text = reveal(f"{f.file}: {f.rows_quarantined} of {f.rows_total} row(s) quarantined: {reasons}")
    return len(bad)


_MD = {"zh": {"title": "政府信息公开年报审核", "summary": "{reports} 份报告：{errors} 个错误，{warnings} 个警告",
              "new": "（本次新增 {new} 个）", "agency": "单位", "year": "年度", "errors": "错误",
              "warnings": "警告", "worst": "最主要规则", "more": "另有 {n} 个单位", "full": "完整报告：{report}",
              "clean": "没有错误或警告。", "run": "检查批次"},
       "en": {"title": "Disclosure report audit", "summary": "{reports} report(s): {errors} error(s), {warnings} warning(s)",
              "new": " ({new} new since the last run)", "agency": "agency", "year": "year", "errors": "errors",
              "warnings": "warnings", "worst": "worst rule", "more": "and {n} more", "full": "Full report: {report}",
              "clean": "No errors or warnings.", "run": "run"}}


def md_escape(text: Any) -> str:
    """A string as inert Markdown text: HTML and Markdown syntax escaped, one line."""
    s = "" if text is None else reveal(str(text))
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for ch in "\\`*_[]{}()#+!|~":
        s = s.replace(ch, "\\" + ch)
    return " ".join(s.split())


def markdown_summary(fs: FindingSet, *, limit: int = 20, report: str | None = None, lang: str = "zh") -> str:
    """A short Markdown summary (CI comment, Prefect artifact): the totals, then one table row per
    agency and year with errors or warnings, most severe first, at most ``limit`` rows and
    "and N more"; ``report`` (a path or URL of the full report) is linked at the end."""
    w = _MD[lang]
    s = fs.summary
    lines = [f"## {w['title']}", "",
             w["summary"].format(reports=s["reports"], errors=s["error"], warnings=s["warning"])
             + (w["new"].format(new=s["new"]) if fs.previous_run else "")
             + f" · {w['run']} `{md_escape(fs.run.get('run_id'))}`", ""]
    bad = [r for r in fs.reports if r["errors"] or r["warnings"]]
    if not bad:
        lines.append(w["clean"])
    else:
        lines += [f"| {w['agency']} | {w['year']} | {w['errors']} | {w['warnings']} | {w['worst']} |",
                  "| --- | ---: | ---: | ---: | --- |"]
        for r in bad[:limit] if limit else bad:
            lines.append(f"| {md_escape(r['agency'])} | {r['year']} | {r['errors']} | {r['warnings']} | "
                         f"{md_escape(r['worst'] or '')} |")
        if limit and len(bad) > limit:
            lines += ["", w["more"].format(n=len(bad) - limit)]
    if report:
        lines += ["", w["full"].format(report=md_escape(report))]
    return "\n".join(lines) + "\n"


def write_all(fs: FindingSet, out: str | Path, *, xlsx: bool = True, fail_on: str = "error",
              report: str | None = None, load=None) -> list[Path]:
    """findings.csv, findings.xlsx (``xlsx``), findings.json, junit.xml and summary.md in ``out``;
    ``load`` (the run's :class:`~checks.warehouse.LoadResult`) adds its lost files to junit.xml."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [write_csv(fs, out / "findings.csv")]
    if xlsx:
        paths.append(write_xlsx(fs, out / "findings.xlsx"))
    paths.append(write_json(fs, out / "findings.json"))
    atomic.write_text(out / "junit.xml", junit_xml(fs, fail_on=fail_on, load=load))
    atomic.write_text(out / "summary.md", markdown_summary(fs, report=report))
    return paths + [out / "junit.xml", out / "summary.md"]


# ---------------------------------------------------------------------------- the one JSON shape

JSON_KEYS = ("run", "summary", "reports", "findings", "exit_code")
"""The keys every command's ``--json`` has (check, run, show, gate): ``run`` (the check run: id,
times, counts; None when nothing was recorded), ``summary`` (``reports``, ``error``, ``warning``,
``info``, ``waived`` …), ``reports`` (one row per agency and year, :data:`REPORT_COLUMNS`),
``findings`` (:data:`EXPORT_COLUMNS`) and ``exit_code``; a command adds its own keys beside them
(``load``, ``status``, ``files``, ``backend`` …), never the same thing under another name."""


def document(fs: FindingSet | None, *, exit_code: int, summary: dict | None = None, **extra: Any) -> dict:
    """The one JSON shape (:data:`JSON_KEYS`) of ``fs``, with a command's own keys ``extra``;
    ``summary`` adds to (or, without ``fs``, is) the summary."""
    base = fs.as_dict() if fs is not None else {"run": None, "summary": {}, "reports": [], "findings": []}
    base["summary"] = {**base["summary"], **(summary or {})}
    return {**base, **extra, "exit_code": exit_code}


def _as_export(row: dict) -> dict:
    """A finding of another shape (a backend's failing rule instance) in :data:`EXPORT_COLUMNS` keys."""
    from checks.templates import cell_code

    out = {c: row.get(c) for c in EXPORT_COLUMNS}
    if out["cell"] is None and row.get("item"):
        out["cell"] = cell_code(row["item"], row.get("column"))
    out["fingerprint"] = fingerprint(row.get("code") or "", row.get("agency"), row.get("year"), row.get("item"),
                                     row.get("column"))
    return out


def check_document(report) -> dict:
    """``gongkai check --json`` (:class:`checks.pipeline.CheckReport`) in the one JSON shape: for the SQL
    backend the run it recorded, every finding (info too); for ``gx`` and ``pandera`` (nothing recorded)
    ``run`` is None and the failing rule instances they found are the findings."""
    o = report.outcome
    extra = {"db": report.db, "backend": report.backend, "lenient": o.lenient, "fail_on": o.fail_on,
             "config": o.config, "waivers": o.waivers}
    if report.backend == "sql" and o.run_id:
        return document(collect(report.db, o.run_id, show_info=True), exit_code=o.exit_code, **extra)
    summary = {"reports": o.reports, "error": o.errors, "warning": o.warnings, "info": o.infos, "waived": o.waived}
    doc = document(None, exit_code=o.exit_code, summary=summary, **extra)
    doc["findings"] = [_as_export(f) for f in report.findings]
    return doc


def run_document(outcome, *, show_info: bool = False) -> dict:
    """``gongkai run --json`` (:class:`checks.pipeline.RunOutcome`) in the one JSON shape, with the
    load, the warehouse status, the files written, GX, the site and the retention beside it."""
    c = outcome.check
    fs = collect(outcome.db, c.run_id, show_info=show_info)
    return document(fs, exit_code=outcome.exit_code, load=outcome.load.as_dict(), status=outcome.status,
                    files=[str(p) for p in outcome.files], gx=outcome.gx, site=outcome.site,
                    pruned=outcome.pruned, db=outcome.db, fail_on=c.fail_on, config=c.config, waivers=c.waivers)


def agency_findings(db: str | Path, agency: str, year: int | None = None, *, run_id: str | None = None,
                    show_info: bool = False) -> FindingSet:
    """:func:`collect` restricted to one agency (its exact name, else the one name containing ``agency``)
    and optionally one year. Raises :class:`~checks.errors.UserError` when no or several agencies match."""
    from checks.errors import UserError

    fs = collect(db, run_id, show_info=show_info)
    names = sorted({r["agency"] for r in fs.reports})
    if agency not in names:
        hits = [n for n in names if agency in n]
        if len(hits) != 1:
            raise UserError(f"no agency named {agency!r}" if not hits else
                            f"{agency!r} matches {len(hits)} agencies: {', '.join(hits[:5])}{' …' if len(hits) > 5 else ''}")
        agency = hits[0]
    sub = fs.for_report(agency, year)
    if not sub.reports:
        raise UserError(f"{agency}: no report for {year}")
    return sub
