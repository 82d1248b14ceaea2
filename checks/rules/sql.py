"""The SQL backend: the catalogue compiled to DuckDB queries over every report in the warehouse at once.

One query per rule *kind* (all enabled rules of that kind together) returns the findings of every
current report; :func:`run_check` inserts them into ``findings`` under a new run id. The rule
instances (checks.rules.catalogue) travel inside the SQL text as ``VALUES`` lists, so every query
is self-contained: :func:`rule_sql` gives the exact text for one rule (``gongkai rules show``).

Blank cells (domain.md §1, §6.2), strict mode (default):

* an instance whose cells all hold numbers is evaluated exactly;
* an instance with EMPTY/NA/TEXT or absent cells is evaluated with those as 0 and reported with
  ``exact = false``: severity ``info`` when it holds even so, the rule's severity when it fails;
  the message says how many cells held no number and shows the arithmetic (空 = blank);
* every blank cell that takes part in a comparison is a ``B-01`` finding (info);
* a table left entirely blank is one ``B-02`` finding (a whole report: one ``B-03``), and its
  cells and instances give no other finding; a missing table/section is ``L-03`` likewise.

``--lenient`` (``lenient=True``): blanks count as 0, no ``B-01``, and only failures are reported;
every failure that involved a blank has ``lenient = true`` and says so in its message.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
import uuid
from dataclasses import dataclass, field
from typing import Iterable

import duckdb
import pandas as pd

from checks import templates as T
from checks.rules import catalogue as C
from checks.rules.catalogue import Catalogue, Rule
from checks.rules.findings import FINDING_COLUMNS, ensure_tables

NUMBER_STATES = ("NUMERIC", "ZERO")
BLANK_STATES = ("EMPTY", "NA")

# --------------------------------------------------------------------------------- SQL literals


def lit(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


def values_cte(name: str, cols: list[tuple[str, str]], rows: Iterable[tuple]) -> str:
    """``name AS (SELECT CAST(..) .. FROM (VALUES ..))``: a typed inline table."""
    names = ", ".join(f'"{c}"' for c, _ in cols)
    casts = ", ".join(f'CAST(v."{c}" AS {t}) AS "{c}"' for c, t in cols)
    body = ",\n    ".join("(" + ", ".join(lit(x) for x in r) + ")" for r in rows)
    if not body:
        nulls = ", ".join(f'CAST(NULL AS {t}) AS "{c}"' for c, t in cols)
        return f"{name} AS (SELECT {nulls} WHERE FALSE)"
    return f"{name} AS (SELECT {casts} FROM (VALUES\n    {body}\n  ) AS v({names}))"


def num(e: str) -> str:
    """A number as text: 3, 0.5, 716.86 (no trailing .0)."""
    return (f"CASE WHEN {e} IS NULL THEN '' WHEN {e} = round({e}) AND abs({e}) < 1e15 "
            f"THEN CAST(CAST({e} AS BIGINT) AS VARCHAR) ELSE CAST(round({e}, 4) AS VARCHAR) END")


def cell_text(c: str, lang: str) -> str:
    """How a cell shows in a message: its number, 空/blank, 缺/missing, or its text in quotes."""
    if lang == "zh":
        return (f"CASE WHEN {c}.value IS NOT NULL THEN {num(c + '.value')} WHEN {c}.state IS NULL THEN '缺' "
                f"WHEN {c}.state = 'EMPTY' THEN '空' ELSE '「' || {c}.raw || '」' END")
    return (f"CASE WHEN {c}.value IS NOT NULL THEN {num(c + '.value')} WHEN {c}.state IS NULL THEN 'missing' "
            f"WHEN {c}.state = 'EMPTY' THEN 'blank' ELSE '\"' || {c}.raw || '\"' END")


def state_text(c: str, lang: str) -> str:
    if lang == "zh":
        return f"CASE WHEN {c}.state = 'EMPTY' THEN '空白' ELSE '填写为「' || {c}.raw || '」' END"
    return f"CASE WHEN {c}.state = 'EMPTY' THEN 'blank' ELSE 'written \"' || {c}.raw || '\"' END"


def replace_all(expr: str, mapping: dict[str, str]) -> str:
    for k, v in mapping.items():
        expr = f"replace({expr}, '{{{k}}}', {v})"
    return expr


# ----------------------------------------------------------------------------- the shared parts

def variant_expr(alias: str = "r") -> str:
    arms = [f"WHEN {alias}.template = {lit(t.id)} AND {alias}.variant = {lit(v)} THEN {lit(v)}"
            for t in T.all_templates() for v in t.variants]
    return f"CASE {' '.join(arms)} ELSE '' END" if arms else "''"


def reps_sql() -> str:
    ids = ", ".join(lit(t) for t in T.TEMPLATE_IDS)
    return (f"SELECT r.report_id, r.agency, r.year, r.template, {variant_expr()} AS variant, r.source_file\n"
            f"  FROM current_reports r WHERE r.template IN ({ids})")


SPEC_COLS = [("sid", "INTEGER"), ("template", "VARCHAR"), ("variant", "VARCHAR"), ("item", "VARCHAR"), ("column", "VARCHAR"),
             ("row_code", "VARCHAR"), ("tbl", "VARCHAR"), ("section", "VARCHAR"), ("heading", "BOOLEAN"),
             ("row_cells", "INTEGER"), ("label", "VARCHAR"), ("label_en", "VARCHAR"), ("row_label", "VARCHAR"),
             ("section_label", "VARCHAR"), ("tbl_label", "VARCHAR")]


@functools.cache
def spec_rows() -> tuple[tuple, ...]:
    f = C.spec_frame().copy()
    f["row_cells"] = f.groupby(["template", "variant", "row_code"])["item"].transform("size")
    f["sid"] = range(1, len(f) + 1)
    return tuple(f[[c for c, _ in SPEC_COLS]].itertuples(index=False, name=None))


@functools.cache
def _spec_lookup() -> dict[tuple, dict]:
    f = C.spec_frame().copy()
    f["sid"] = range(1, len(f) + 1)
    return {(r["template"], r["variant"], r["item"], r["column"]): r for r in f.to_dict("records")}


def sid(template: str, variant: str, item: str, column: str) -> int:
    """The spec id of a template cell (same numbering as spec_rows)."""
    return int(_spec_lookup()[(template, variant, item, column)]["sid"])


CX_SQL = """SELECT c.report_id, c.item, c."column", c.state, c.value, c.raw, c.raw_unit, c.label,
         c.source_file, c.source_line, s.sid
  FROM cells c JOIN reps r ON r.report_id = c.report_id
  LEFT JOIN specs s ON s.template = r.template AND s.variant = r.variant AND s.item = c.item
                    AND s."column" = c."column\""""


STATUS_SQL = """SELECT r.report_id, s.tbl, s.section,
         count(c.report_id) AS n_present,
         count(c.report_id) FILTER (WHERE c.state IN ('NUMERIC', 'ZERO', 'TEXT')) AS n_filled
  FROM reps r
  JOIN specs s ON s.template = r.template AND s.variant = r.variant AND NOT s.heading
  LEFT JOIN cx c ON c.report_id = r.report_id AND c.sid = s.sid
  GROUP BY ALL"""

TSTAT_SQL = """SELECT report_id, tbl, section, n_present, n_filled,
         sum(n_present) OVER (PARTITION BY report_id, tbl) AS tbl_present,
         sum(n_filled) OVER (PARTITION BY report_id, tbl) AS tbl_filled,
         sum(n_present) OVER (PARTITION BY report_id, section) AS sec_present,
         sum(n_present) OVER (PARTITION BY report_id) AS rep_present,
         sum(n_filled) OVER (PARTITION BY report_id) AS rep_filled
  FROM status"""

BLOCKED_SQL = """SELECT DISTINCT report_id, tbl, section FROM tstat
  WHERE (tbl_present > 0 AND tbl_filled = 0) OR sec_present = 0 OR rep_filled = 0"""


@dataclass
class Builder:
    """Builds the SQL of each rule kind. ``shared=True``: read reps/specs/tstat from temp tables made once per run."""

    catalogue: Catalogue
    lenient: bool = False
    run_id: str = "$run_id"
    shared: bool = False
    con: duckdb.DuckDBPyConnection | None = field(default=None, repr=False)
    templates: tuple[str, ...] | None = None   # self-contained SQL of one rule: only its templates' cells in specs
    _instances: list | None = field(default=None, repr=False)
    _temp: list = field(default_factory=list, repr=False)

    def table(self, name: str, cols: list[tuple[str, str]], rows: Iterable[tuple]) -> str:
        """A CTE over a small inline table: VALUES in the SQL text, or (shared, with a connection) a temp
        table made once from the same rows — same columns and types, far less SQL to parse."""
        if self.con is None:
            return values_cte(name, cols, rows)
        tmp = f"gk_{name}_{len(self._temp)}"
        frame = pd.DataFrame(list(rows), columns=[c for c, _ in cols])
        casts = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in cols)
        self.con.register("gk_frame", frame)
        try:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {tmp} AS SELECT {casts} FROM gk_frame")
        finally:
            self.con.unregister("gk_frame")
        self._temp.append(tmp)
        return f"{name} AS (SELECT * FROM {tmp})"

    def drop_temp(self) -> None:
        if self.con is not None:
            for t in self._temp:
                self.con.execute(f"DROP TABLE IF EXISTS {t}")
        self._temp.clear()

    # -- prelude -------------------------------------------------------------------------------
    def prelude(self, needs: set[str]) -> list[str]:
        """reps (current reports), specs (template cells, with ``sid``), cx (their cells, with ``sid``;
        NULL for a cell the template lacks) and, when ``status`` is needed, tstat/blocked."""
        if self.shared:
            ctes = ["reps AS (SELECT * FROM gk_reps)", "specs AS (SELECT * FROM gk_specs)",
                    "cx AS (SELECT * FROM gk_cells)"]
            if "status" in needs:
                ctes += ["tstat AS (SELECT * FROM gk_tstat)", f"blocked AS ({BLOCKED_SQL})"]
            return ctes
        specs = [r for r in spec_rows() if self.templates is None or r[1] in self.templates]
        ctes = [f"reps AS ({reps_sql()})", values_cte("specs", SPEC_COLS, specs), f"cx AS ({CX_SQL})"]
        if "status" in needs:
            ctes += [f"status AS ({STATUS_SQL})", f"tstat AS ({TSTAT_SQL})", f"blocked AS ({BLOCKED_SQL})"]
        return ctes

    def _select_head(self, severity: str) -> str:
        return f"SELECT {lit(self.run_id)} AS run_id, x.code, x.name, {severity} AS severity"

    @staticmethod
    def _wrap(ctes: list[str], body: str) -> str:
        return "WITH\n" + ",\n".join(ctes) + "\n" + body

    def instances(self) -> list[C.Instance]:
        if self._instances is None:
            self._instances = C.expand(self.catalogue)
        return self._instances

    # -- comparisons -----------------------------------------------------------------------------
    def comparison_ctes(self, rules: list[Rule]) -> list[str]:
        """inst, terms, iparts (VALUES); ev (numbers per report × instance) and res (+ ok), blocked ones left out.

        The cells are joined with the (small) terms table on their codes, so the big side of every
        join is the cells table read once; instances whose cells are all absent still get a row.
        """
        codes = {r.code for r in rules}
        by_code = {r.code: r for r in rules}
        insts = [i for i in self.instances() if i.code in codes]
        inst_rows, term_rows, part_rows = [], [], set()
        for i in insts:
            r = by_code[i.code]
            ok_zh, fail_zh = C.OPS[r.kind]
            ok_en, fail_en = C.OPS_EN.get(r.kind, C.OPS[r.kind])
            inst_rows.append((i.iid, r.code, r.name, r.kind, r.severity, i.template, i.variant, i.anchor.item,
                              i.anchor.column, r.tolerance, len(i.terms), len(i.lhs), len(i.rhs), i.msg_zh, i.msg_en, ok_zh, fail_zh,
                              ok_en, fail_en, len(i.lhs) > C.LONG_SUM, len(i.rhs) > C.LONG_SUM))
            for t in i.terms:
                term_rows.append((i.iid, sid(i.template, i.variant, t.cell.item, t.cell.column), t.side, t.pos,
                                  t.cell.item, t.cell.column, t.coef, t.anchor, t.label_zh, t.label_en,
                                  len(i.lhs if t.side == "lhs" else i.rhs) > C.LONG_SUM))
                part_rows.add((i.iid, t.cell.tbl, t.cell.section))
        inst = self.table("inst", [("iid", "INTEGER"), ("code", "VARCHAR"), ("name", "VARCHAR"),
                                   ("kind", "VARCHAR"), ("severity", "VARCHAR"), ("template", "VARCHAR"),
                                   ("variant", "VARCHAR"), ("item", "VARCHAR"), ("column", "VARCHAR"),
                                   ("tol", "DOUBLE"), ("n_terms", "INTEGER"), ("n_lhs", "INTEGER"),
                                   ("n_rhs", "INTEGER"), ("msg_zh", "VARCHAR"),
                                   ("msg_en", "VARCHAR"), ("ok_zh", "VARCHAR"), ("fail_zh", "VARCHAR"),
                                   ("ok_en", "VARCHAR"), ("fail_en", "VARCHAR"), ("long_lhs", "BOOLEAN"),
                                   ("long_rhs", "BOOLEAN")], inst_rows)
        terms = self.table("terms", [("iid", "INTEGER"), ("sid", "INTEGER"), ("side", "VARCHAR"), ("pos", "INTEGER"), ("item", "VARCHAR"),
                                     ("column", "VARCHAR"), ("coef", "DOUBLE"), ("anchor", "BOOLEAN"),
                                     ("lab_zh", "VARCHAR"), ("lab_en", "VARCHAR"), ("long", "BOOLEAN")],
                           term_rows)
        iparts = self.table("iparts", [("iid", "INTEGER"), ("tbl", "VARCHAR"), ("section", "VARCHAR")],
                            sorted(part_rows))
        tc = """tc AS (
  SELECT c.report_id, t.iid,
         sum(t.coef * coalesce(c.value, 0)) FILTER (WHERE t.side = 'lhs') AS lhs,
         sum(t.coef * coalesce(c.value, 0)) FILTER (WHERE t.side = 'rhs') AS rhs,
         count(c.value) AS n_num, count(*) AS n_present,
         coalesce(max(c.source_line) FILTER (WHERE t.anchor), min(c.source_line)) AS source_line,
         coalesce(max(c.source_file) FILTER (WHERE t.anchor), min(c.source_file)) AS source_file
  FROM cx c JOIN terms t ON t.sid = c.sid
  GROUP BY c.report_id, t.iid)"""
        bl = """bl AS (SELECT DISTINCT b.report_id, p.iid FROM blocked b
  JOIN iparts p ON p.tbl = b.tbl AND p.section = b.section)"""
        ev = """ev AS (
  SELECT r.report_id, i.iid, coalesce(a.lhs, 0) AS lhs, coalesce(a.rhs, 0) AS rhs,
         i.n_terms - coalesce(a.n_num, 0) AS n_blank, i.n_terms - coalesce(a.n_present, 0) AS n_absent,
         a.source_line, a.source_file
  FROM reps r
  JOIN inst i ON i.template = r.template AND i.variant = r.variant
  LEFT JOIN tc a ON a.report_id = r.report_id AND a.iid = i.iid
  ANTI JOIN bl ON bl.report_id = r.report_id AND bl.iid = i.iid)"""
        res = """res AS (
  SELECT e.*, i.code, i.name, i.kind, i.severity, i.item, i."column", i.tol, i.n_lhs, i.n_rhs,
         CASE i.kind WHEN 'sum-equals' THEN abs(e.lhs - e.rhs) <= i.tol
                     WHEN 'at-most' THEN e.lhs <= e.rhs + i.tol
                     WHEN 'at-least' THEN e.lhs >= e.rhs - i.tol
                     ELSE NOT (e.lhs > i.tol) OR e.rhs > i.tol END AS ok
  FROM ev e JOIN inst i USING (iid))"""
        return [inst, terms, iparts, tc, bl, ev, res]

    def comparison_sql(self, rules: list[Rule]) -> str:
        L = lit(self.lenient)
        ctes = self.prelude({"status"}) + self.comparison_ctes(rules)
        shown = "(coalesce(c.value, 0) <> 0 OR coalesce(c.state, '') = 'TEXT')"
        txt = f"""sel AS MATERIALIZED (SELECT * FROM res WHERE NOT ok OR (n_blank > 0 AND NOT {L})),
pt AS (
  SELECT c.report_id, t.iid, t.side, t.pos, t.long, t.lab_zh, t.lab_en,
         {cell_text("c", "zh")} AS t_zh, {cell_text("c", "en")} AS t_en
  FROM cx c JOIN terms t ON t.sid = c.sid
  SEMI JOIN sel s ON s.report_id = c.report_id AND s.iid = t.iid
  WHERE NOT t.long OR {shown}
  UNION ALL
  SELECT s.report_id, t.iid, t.side, t.pos, t.long, t.lab_zh, t.lab_en, '缺', 'missing'
  FROM sel s JOIN terms t ON t.iid = s.iid
  ANTI JOIN cx c ON c.report_id = s.report_id AND c.sid = t.sid
  WHERE s.n_absent > 0 AND NOT t.long),
txt AS (
  SELECT p.report_id, p.iid,
         string_agg(CASE WHEN p.long THEN p.lab_zh || ' ' || p.t_zh ELSE p.t_zh END, ' + ' ORDER BY p.pos)
             FILTER (WHERE p.side = 'lhs') AS lhs_zh,
         string_agg(CASE WHEN p.long THEN p.lab_zh || ' ' || p.t_zh ELSE p.t_zh END, ' + ' ORDER BY p.pos)
             FILTER (WHERE p.side = 'rhs') AS rhs_zh,
         string_agg(CASE WHEN p.long THEN p.lab_en || ' ' || p.t_en ELSE p.t_en END, ' + ' ORDER BY p.pos)
             FILTER (WHERE p.side = 'lhs') AS lhs_en,
         string_agg(CASE WHEN p.long THEN p.lab_en || ' ' || p.t_en ELSE p.t_en END, ' + ' ORDER BY p.pos)
             FILTER (WHERE p.side = 'rhs') AS rhs_en,
         count(*) FILTER (WHERE p.long AND p.side = 'lhs') AS lhs_shown,
         count(*) FILTER (WHERE p.long AND p.side = 'rhs') AS rhs_shown
  FROM pt p GROUP BY p.report_id, p.iid)"""

        def side(lang: str, s: str) -> str:
            listed, rest = f"y.{s}_{lang}", f"(x.n_{s} - coalesce(y.{s}_shown, 0))"
            if lang == "zh":
                text = (f"CASE WHEN {listed} IS NULL THEN {rest} || ' 项均为 0 或空' "
                        f"WHEN {rest} > 0 THEN {listed} || ' + 其余 ' || {rest} || ' 项（0 或空）' "
                        f"ELSE {listed} END")
                total = "'（=' || " + num(f"x.{s}") + " || '）'"
            else:
                text = (f"CASE WHEN {listed} IS NULL THEN 'all ' || {rest} || ' terms 0 or blank' "
                        f"WHEN {rest} > 0 THEN {listed} || ' + ' || {rest} || ' more (0 or blank)' "
                        f"ELSE {listed} END")
                total = "' (=' || " + num(f"x.{s}") + " || ')'"
            text = f"CASE WHEN i.long_{s} THEN {text} ELSE {listed} END"
            return f"{text} || CASE WHEN x.n_{s} > 2 THEN {total} ELSE '' END"

        def msg(lang: str) -> str:
            op = f"CASE WHEN x.ok THEN i.ok_{lang} ELSE i.fail_{lang} END"
            base = replace_all(f"i.msg_{lang}", {"op": op, "lhs_values": side(lang, "lhs"),
                                                "rhs_values": side(lang, "rhs")})
            if lang == "zh":
                strict = ("CASE WHEN x.n_blank > 0 THEN '（' || x.n_blank || ' 个单元格未填数字，按 0 计算' || "
                          "CASE WHEN x.ok THEN '成立，无法精确校验）' ELSE '仍不成立，结果不精确）' END ELSE '' END")
                lenient = ("CASE WHEN x.n_blank > 0 THEN '（宽松模式：' || x.n_blank || "
                           "' 个未填数字的单元格按 0 计）' ELSE '' END")
            else:
                strict = ("CASE WHEN x.n_blank > 0 THEN ' (' || x.n_blank || ' cell(s) hold no number; taken as 0 "
                          "it ' || CASE WHEN x.ok THEN 'holds, but cannot be checked exactly)' "
                          "ELSE 'still fails; inexact)' END ELSE '' END")
                lenient = ("CASE WHEN x.n_blank > 0 THEN ' (lenient: ' || x.n_blank || ' cell(s) without a number "
                           "counted as 0)' ELSE '' END")
            return f"{base} || {lenient if self.lenient else strict}"

        body = f"""{self._select_head("CASE WHEN x.ok THEN 'info' ELSE x.severity END")},
       r.agency, r.year, r.template, x.item, x."column",
       CASE WHEN x.kind = 'implies-positive' THEN NULL ELSE round(x.rhs, 6) END AS expected,
       round(CASE WHEN x.kind = 'implies-positive' THEN x.rhs ELSE x.lhs END, 6) AS actual,
       CASE WHEN x.kind = 'implies-positive' THEN NULL ELSE round(x.lhs - x.rhs, 6) END AS delta,
       {msg("zh")} AS message,
       {msg("en")} AS message_en,
       coalesce(x.source_file, r.source_file) AS source_file, x.source_line, x.report_id,
       x.n_blank = 0 AS exact, {L} AND x.n_blank > 0 AS lenient, FALSE AS waived,
       CAST(NULL AS VARCHAR) AS waiver_reason
FROM sel x JOIN inst i ON i.iid = x.iid JOIN reps r ON r.report_id = x.report_id
LEFT JOIN txt y ON y.report_id = x.report_id AND y.iid = x.iid"""
        return self._wrap(ctes + [txt], body)

    def evaluation_sql(self, rules: list[Rule]) -> str:
        ctes = self.prelude({"status"}) + self.comparison_ctes(rules)
        body = f"""SELECT r.agency, r.year, r.template, x.report_id, x.code, x.kind, x.iid AS instance_id,
       x.item, x."column", x.lhs, x.rhs, x.tol, x.n_blank, x.n_blank = 0 AS exact, x.ok,
       {lit(self.lenient)} AND x.n_blank > 0 AS lenient
FROM res x JOIN reps r USING (report_id)"""
        return self._wrap(ctes, body)

    # -- per-cell kinds ----------------------------------------------------------------------------
    def cell_sql(self, rules: list[Rule]) -> str:
        kind = rules[0].kind
        assert all(r.kind == kind for r in rules)
        in_cmp = self._comparison_cells() if kind == "blank-cell" else None
        rows = []
        specs = _spec_lookup()
        for r in rules:
            for tid in r.templates:
                for v in C.variants_of(tid):
                    if kind == "blank-cell":
                        g = C.geometry(tid, v)
                        targets = [x for x in g.cells() if (tid, v, x[0].item, x[0].column) in in_cmp]
                    else:
                        targets = C.cell_targets(r, T.load(tid), v)
                    for cell, row, col, _spec in targets:
                        s = specs[(tid, v, cell.item, cell.column)]
                        zh = C._fill_static(r.message["zh"], {"label": cell.label, "domain": s["domain"]})
                        en = C._fill_static(r.message["en"], {"label": cell.code, "domain": s["domain_en"]})
                        rows.append((int(s["sid"]), r.code, r.name, r.severity, tid, v, cell.item, cell.column, cell.tbl,
                                     cell.section, bool(s["money"]), bool(s["signed"]),
                                     float(r.params.get("max", 0) or 0), zh, en))
        cr = self.table("cr", [("sid", "INTEGER"), ("code", "VARCHAR"), ("name", "VARCHAR"), ("severity", "VARCHAR"),
                               ("template", "VARCHAR"), ("variant", "VARCHAR"), ("item", "VARCHAR"),
                               ("column", "VARCHAR"), ("tbl", "VARCHAR"), ("section", "VARCHAR"),
                               ("money", "BOOLEAN"), ("signed", "BOOLEAN"), ("p_max", "DOUBLE"),
                               ("msg_zh", "VARCHAR"), ("msg_en", "VARCHAR")], rows)
        pred = {
            "value-domain": "c.value IS NOT NULL AND ((c.value < 0 AND NOT k.signed) "
                            "OR (NOT k.money AND c.value <> round(c.value)))",
            "not-text": "c.state = 'TEXT'",
            "heading-has-value": "(c.state IN ('NUMERIC', 'ZERO') OR (c.state = 'TEXT' "
                                 "AND regexp_matches(c.raw, '[0-9０-９]')))",
            "money-unit": "c.value IS NOT NULL AND (coalesce(c.raw_unit, '') = '元' "
                          "OR (c.raw LIKE '%元%' AND c.raw NOT LIKE '%万元%') OR c.value > k.p_max)",
            "blank-cell": "c.state IN ('EMPTY', 'NA') AND b.report_id IS NULL",
        }[kind]
        needs = {"status"} if kind == "blank-cell" else set()  # noqa: F841 (kept for clarity)
        ctes = self.prelude(needs) + [cr]
        join_b = ("LEFT JOIN blocked b ON b.report_id = r.report_id AND b.tbl = k.tbl AND b.section = k.section"
                  if kind == "blank-cell" else "")
        msg_zh = replace_all("k.msg_zh", {"value": num("c.value"), "raw": "c.raw", "state": state_text("c", "zh")})
        msg_en = replace_all("k.msg_en", {"value": num("c.value"), "raw": "c.raw", "state": state_text("c", "en")})
        body = f"""SELECT {lit(self.run_id)} AS run_id, k.code, k.name, k.severity,
       r.agency, r.year, r.template, k.item, k."column",
       CAST(NULL AS DOUBLE) AS expected, c.value AS actual, CAST(NULL AS DOUBLE) AS delta,
       {msg_zh} AS message, {msg_en} AS message_en,
       coalesce(c.source_file, r.source_file) AS source_file, c.source_line, r.report_id,
       {lit(kind != "blank-cell")} AS exact, FALSE AS lenient, FALSE AS waived,
       CAST(NULL AS VARCHAR) AS waiver_reason
FROM cx c
JOIN cr k ON k.sid = c.sid
JOIN reps r ON r.report_id = c.report_id
{join_b}
WHERE {pred}"""
        return self._wrap(ctes, body)

    def _comparison_cells(self) -> set[tuple[str, str, str, str]]:
        return {(i.template, i.variant, t.cell.item, t.cell.column) for i in self.instances() for t in i.terms}

    # -- structure kinds ---------------------------------------------------------------------------
    def structure_sql(self, rule: Rule) -> str:
        head = f"SELECT {lit(self.run_id)} AS run_id, {lit(rule.code)} AS code, {lit(rule.name)} AS name"
        tail = ("FALSE AS lenient, FALSE AS waived, CAST(NULL AS VARCHAR) AS waiver_reason")
        tmpl = ", ".join(lit(t) for t in rule.templates)
        zh, en = rule.message["zh"], rule.message["en"]
        if rule.kind == "parent-filled":
            f = C.parent_pairs().copy()
            f = f[f["template"].isin(rule.templates)]
            f["p_sid"] = [sid(*k) for k in zip(f["template"], f["variant"], f["p_item"], f["p_column"])]
            f["c_sid"] = [sid(*k) for k in zip(f["template"], f["variant"], f["c_item"], f["c_column"])]
            inc_sev = rule.params.get("includes_severity", "warning")
            if rule.severity_overridden:
                inc_sev = rule.severity
            pairs = self.table("pairs", [("p_sid", "INTEGER"), ("c_sid", "INTEGER"), ("p_item", "VARCHAR"),
                                         ("p_column", "VARCHAR"), ("c_item", "VARCHAR"), ("c_column", "VARCHAR"),
                                         ("relation", "VARCHAR"), ("pos", "INTEGER"), ("label", "VARCHAR"),
                                         ("label_en", "VARCHAR"), ("child_label", "VARCHAR"),
                                         ("child_code", "VARCHAR")],
                               f[["p_sid", "c_sid", "p_item", "p_column", "c_item", "c_column", "relation",
                                  "pos", "label", "label_en", "child_label", "child_code"]]
                               .itertuples(index=False, name=None))
            kid_zh = f"p.child_label || ' ' || {num('cc.value')}"
            kid_en = f"p.child_code || ' ' || {num('cc.value')}"
            cand = """cand AS (
  SELECT DISTINCT pc.report_id, p.p_sid, p.relation
  FROM cx pc JOIN pairs p ON p.p_sid = pc.sid
  JOIN cx cc ON cc.report_id = pc.report_id AND cc.sid = p.c_sid
  WHERE pc.state IN ('EMPTY', 'NA') AND cc.value <> 0)"""
            grp = f"""grp AS (
  SELECT r.report_id, p.p_item, p.p_column, p.relation, any_value(p.label) AS label,
         any_value(p.label_en) AS label_en, any_value(pc.state) AS state, any_value(pc.raw) AS raw,
         any_value(pc.source_line) AS source_line, any_value(pc.source_file) AS source_file,
         sum(coalesce(cc.value, 0)) AS child_sum,
         string_agg({kid_zh}, ' + ' ORDER BY p.pos) FILTER (WHERE cc.value IS NOT NULL) AS kids_zh,
         string_agg({kid_en}, ' + ' ORDER BY p.pos) FILTER (WHERE cc.value IS NOT NULL) AS kids_en
  FROM cand r
  JOIN pairs p ON p.p_sid = r.p_sid AND p.relation = r.relation
  JOIN cx pc ON pc.report_id = r.report_id AND pc.sid = p.p_sid
  LEFT JOIN cx cc ON cc.report_id = r.report_id AND cc.sid = p.c_sid
  GROUP BY r.report_id, p.p_item, p.p_column, p.relation
  QUALIFY row_number() OVER (PARTITION BY r.report_id, p.p_item, p.p_column ORDER BY p.relation DESC) = 1)"""
            mz = replace_all(lit(zh), {"label": "g.label", "state": state_text("g", "zh"),
                                       "child_values": "g.kids_zh || '（合计 ' || " + num("g.child_sum") + " || '）'"})
            me = replace_all(lit(en), {"label": "g.label_en", "state": state_text("g", "en"),
                                       "child_values": "g.kids_en || ' (sum ' || " + num("g.child_sum") + " || ')'"})
            body = f"""{head},
       CASE WHEN g.relation = 'includes' THEN {lit(inc_sev)} ELSE {lit(rule.severity)} END AS severity,
       r.agency, r.year, r.template, g.p_item AS item, g.p_column AS "column",
       g.child_sum AS expected, CAST(NULL AS DOUBLE) AS actual, CAST(NULL AS DOUBLE) AS delta,
       {mz} AS message, {me} AS message_en,
       coalesce(g.source_file, r.source_file) AS source_file, g.source_line, r.report_id, TRUE AS exact, {tail}
FROM grp g JOIN reps r USING (report_id)"""
            return self._wrap(self.prelude(set()) + [pairs, cand, grp], body)

        if rule.kind in ("required-section", "blank-table", "blank-report"):
            if rule.kind == "required-section":
                where = "t.sec_present = 0 AND t.rep_present > 0"
                key, lab = "t.section", "s.section_label"
            elif rule.kind == "blank-table":
                where = "t.tbl_present > 0 AND t.tbl_filled = 0 AND t.rep_filled > 0"
                key, lab = "t.tbl", "s.tbl_label"
            else:
                where = "t.rep_present > 0 AND t.rep_filled = 0"
                key, lab = "CAST(NULL AS VARCHAR)", "''"
            part = f"""part AS (
  SELECT t.report_id, {key} AS item, any_value({lab}) AS label
  FROM tstat t JOIN reps r USING (report_id)
  JOIN specs s ON s.template = r.template AND s.variant = r.variant AND s.tbl = t.tbl AND s.section = t.section
  WHERE {where} AND r.template IN ({tmpl})
  GROUP BY ALL)"""
            mz = replace_all(lit(zh), {"label": "p.label"})
            me = replace_all(lit(en), {"label": "coalesce(p.item, '')"})
            body = f"""{head}, {lit(rule.severity)} AS severity,
       r.agency, r.year, r.template, p.item, CAST(NULL AS VARCHAR) AS "column",
       CAST(NULL AS DOUBLE) AS expected, CAST(NULL AS DOUBLE) AS actual, CAST(NULL AS DOUBLE) AS delta,
       {mz} AS message, {me} AS message_en,
       r.source_file, CAST(NULL AS INTEGER) AS source_line, r.report_id, TRUE AS exact, {tail}
FROM part p JOIN reps r USING (report_id)"""
            return self._wrap(self.prelude({"status"}) + [part], body)

        if rule.kind == "required-row":
            mz, me = rule.message["zh"], rule.message["en"]
            miss = f"""present AS (
  SELECT c.report_id, s.row_code, count(*) AS n
  FROM cx c JOIN specs s ON s.sid = c.sid
  WHERE NOT s.heading
  GROUP BY ALL),
srows AS (SELECT DISTINCT template, variant, row_code, row_label, row_cells, tbl, section FROM specs
          WHERE NOT heading),
short AS MATERIALIZED (
  SELECT r.report_id, r.template, r.variant, w.row_code, w.row_label, coalesce(p.n, 0) AS n_present
  FROM reps r JOIN srows w ON w.template = r.template AND w.variant = r.variant
  LEFT JOIN present p ON p.report_id = r.report_id AND p.row_code = w.row_code
  JOIN tstat t ON t.report_id = r.report_id AND t.tbl = w.tbl AND t.section = w.section
  WHERE coalesce(p.n, 0) < w.row_cells AND t.sec_present > 0 AND r.template IN ({tmpl}))"""
            found = f"""found AS (
  SELECT report_id, row_code AS item, CAST(NULL AS VARCHAR) AS "column",
         {replace_all(lit(mz['row']), {'label': 'row_label'})} AS message,
         {replace_all(lit(me['row']), {'label': 'row_code'})} AS message_en,
         CAST(NULL AS INTEGER) AS source_line, CAST(NULL AS VARCHAR) AS source_file
  FROM short WHERE n_present = 0
  UNION ALL
  SELECT w.report_id, s.item, s."column",
         {replace_all(lit(mz['cell']), {'label': 's.label'})},
         {replace_all(lit(me['cell']), {'label': 's.label_en'})}, NULL, NULL
  FROM short w
  JOIN specs s ON s.template = w.template AND s.variant = w.variant AND s.row_code = w.row_code
  ANTI JOIN cx c ON c.report_id = w.report_id AND c.sid = s.sid
  WHERE w.n_present > 0
  UNION ALL
  SELECT r.report_id, c.item, c."column",
         {replace_all(lit(mz['unknown']), {'item': 'c.item', 'column': 'c."column"',
                                           'raw_label': "coalesce(c.label, '')", 'raw': 'c.raw'})},
         {replace_all(lit(me['unknown']), {'item': 'c.item', 'column': 'c."column"',
                                           'raw_label': "coalesce(c.label, '')", 'raw': 'c.raw'})},
         c.source_line, c.source_file
  FROM cx c JOIN reps r ON r.report_id = c.report_id
  WHERE c.sid IS NULL AND r.template IN ({tmpl}))"""
            body = f"""{head}, {lit(rule.severity)} AS severity,
       r.agency, r.year, r.template, f.item, f."column",
       CAST(NULL AS DOUBLE) AS expected, CAST(NULL AS DOUBLE) AS actual, CAST(NULL AS DOUBLE) AS delta,
       f.message, f.message_en, coalesce(f.source_file, r.source_file) AS source_file, f.source_line,
       r.report_id, TRUE AS exact, {tail}
FROM found f JOIN reps r USING (report_id)"""
            return self._wrap(self.prelude({"status"}) + [miss, found], body)
        raise AssertionError(rule.kind)

    # -- surfaced from load and extraction ----------------------------------------------------------
    def surfaced_sql(self, rule: Rule) -> str | None:
        head = f"SELECT {lit(self.run_id)} AS run_id, {lit(rule.code)} AS code, {lit(rule.name)} AS name"
        tail = "TRUE AS exact, FALSE AS lenient, FALSE AS waived, CAST(NULL AS VARCHAR) AS waiver_reason"
        zh, en = rule.message["zh"], rule.message["en"]
        if rule.kind == "quarantined-row":
            subs = {"file": "q.file", "line": "coalesce(CAST(q.line AS VARCHAR), '?')", "reason": "q.reason"}
            return f"""{head}, {lit(rule.severity)} AS severity,
       q.agency, TRY_CAST(q.year AS INTEGER) AS year, q.template, q.item, q."column",
       CAST(NULL AS DOUBLE) AS expected, CAST(NULL AS DOUBLE) AS actual, CAST(NULL AS DOUBLE) AS delta,
       {replace_all(lit(zh), subs)} AS message, {replace_all(lit(en), subs)} AS message_en,
       q.file AS source_file, q.line AS source_line, CAST(NULL AS BIGINT) AS report_id, {tail}
FROM quarantine q"""
        if rule.kind == "extraction-issue":
            subs = {"issue": "e.code", "text": "e.message"}
            sev = (lit(rule.severity) if rule.severity_overridden else
                   f"CASE WHEN lower(e.severity) IN ('error', 'warning', 'info') THEN lower(e.severity) "
                   f"ELSE {lit(rule.severity)} END")
            return f"""{head}, {sev} AS severity,
       r.agency, r.year, r.template, CAST(NULL AS VARCHAR) AS item, CAST(NULL AS VARCHAR) AS "column",
       CAST(NULL AS DOUBLE) AS expected, CAST(NULL AS DOUBLE) AS actual, CAST(NULL AS DOUBLE) AS delta,
       {replace_all(lit(zh), subs)} AS message, {replace_all(lit(en), subs)} AS message_en,
       coalesce(e.source_file, r.source_file) AS source_file, e.source_line, e.report_id, {tail}
FROM extraction_issues e LEFT JOIN reports r USING (report_id)
WHERE e.report_id IS NULL OR r.superseded_by IS NULL"""
        return None  # waiver-expired: written by checks.rules.findings.apply_waivers

    # -- all ---------------------------------------------------------------------------------------
    def queries(self, rules: list[Rule] | None = None) -> list[tuple[str, str]]:
        """(label, SQL) for the given rules (default: every enabled rule), one query per kind or rule."""
        rules = [r for r in (rules if rules is not None else self.catalogue.enabled())]
        out: list[tuple[str, str]] = []
        comp = [r for r in rules if r.family == "comparison"]
        if comp:
            out.append((",".join(r.code for r in comp), self.comparison_sql(comp)))
        for kind in C.CELL:
            if kind == "blank-cell" and self.lenient:
                continue
            ks = [r for r in rules if r.kind == kind]
            if ks:
                out.append((",".join(r.code for r in ks), self.cell_sql(ks)))
        for r in rules:
            if r.family == "structure":
                out.append((r.code, self.structure_sql(r)))
            elif r.family == "surfaced":
                q = self.surfaced_sql(r)
                if q:
                    out.append((r.code, q))
        return out


# ------------------------------------------------------------------------------------- running

def new_run_id() -> str:
    return dt.datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def rule_sql(catalogue: Catalogue, code: str, lenient: bool = False) -> str:
    """The self-contained SQL that finds every failure of one rule in the warehouse."""
    rule = catalogue.rule(code)
    b = Builder(catalogue, lenient=lenient, templates=None if rule.kind == "required-row" else rule.templates)
    qs = b.queries([rule])
    if not qs:
        return f"-- {rule.code} ({rule.kind}) is written by checks.rules.findings, not by a query"
    return "\n;\n".join(q for _, q in qs) + "\n;"


def _materialize(con: duckdb.DuckDBPyConnection) -> None:
    """The shared parts, made once per run: current reports, template cells, their cells, table status."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE gk_reps AS {reps_sql()}")
    spec = pd.DataFrame(list(spec_rows()), columns=[c for c, _ in SPEC_COLS])
    con.register("gk_specs_df", spec)
    try:
        casts = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in SPEC_COLS)
        con.execute(f"CREATE OR REPLACE TEMP TABLE gk_specs AS SELECT {casts} FROM gk_specs_df")
    finally:
        con.unregister("gk_specs_df")
    con.execute("CREATE OR REPLACE TEMP TABLE gk_cells AS WITH reps AS (SELECT * FROM gk_reps), "
                f"specs AS (SELECT * FROM gk_specs) {CX_SQL}")
    con.execute("CREATE OR REPLACE TEMP TABLE gk_tstat AS WITH reps AS (SELECT * FROM gk_reps), "
                f"specs AS (SELECT * FROM gk_specs), cx AS (SELECT * FROM gk_cells), status AS ({STATUS_SQL}) "
                f"{TSTAT_SQL}")


def _drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    for t in ("gk_reps", "gk_specs", "gk_cells", "gk_tstat"):
        con.execute(f"DROP TABLE IF EXISTS {t}")


@dataclass
class RunResult:
    run_id: str
    reports: int
    counts: dict[str, int]       # error / warning / info (not waived)
    waived: int
    seconds: float
    timings: list[tuple[str, float]] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return self.counts.get("error", 0)

    @property
    def warnings(self) -> int:
        return self.counts.get("warning", 0)


def run_check(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, *, lenient: bool = False,
              waivers: list | None = None, run_id: str | None = None, config_source: str = "defaults",
              waivers_file: str | None = None, today: dt.date | None = None) -> RunResult:
    """Run every enabled rule over every current report; write one new run into ``findings``."""
    from checks.rules.findings import apply_waivers

    t0 = time.perf_counter()
    ensure_tables(con)
    run_id = run_id or new_run_id()
    started = dt.datetime.now()
    con.execute("INSERT INTO check_runs (run_id, started_at, lenient, config, waivers_file, disabled) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [run_id, started, lenient, config_source, waivers_file,
                 ",".join(r.code for r in catalogue.rules if not r.enabled)])
    timings = []
    _materialize(con)
    try:
        b = Builder(catalogue, lenient=lenient, run_id=run_id, shared=True, con=con)
        cols = ", ".join(f'"{c}"' for c in FINDING_COLUMNS)
        try:
            for label, q in b.queries():
                t = time.perf_counter()
                con.execute(f"INSERT INTO findings ({cols})\n{q}")
                timings.append((label, time.perf_counter() - t))
        finally:
            b.drop_temp()
        n_reports = con.execute("SELECT count(*) FROM gk_reps").fetchall()[0][0]
    finally:
        _drop_temp(con)
    apply_waivers(con, run_id, list(waivers or []), catalogue, today or dt.date.today())
    counts = dict.fromkeys(("error", "warning", "info"), 0)
    waived = 0
    for sev, w, n in con.execute("SELECT severity, waived, count(*) FROM findings WHERE run_id = ? GROUP BY ALL",
                                 [run_id]).fetchall():
        if w:
            waived += n
        else:
            counts[sev] = counts.get(sev, 0) + n
    con.execute("UPDATE check_runs SET finished_at = ?, reports = ?, errors = ?, warnings = ?, infos = ?, "
                "waived = ? WHERE run_id = ?",
                [dt.datetime.now(), n_reports, counts["error"], counts["warning"], counts["info"], waived, run_id])
    return RunResult(run_id, n_reports, counts, waived, time.perf_counter() - t0, timings)


def evaluation_frame(con: duckdb.DuckDBPyConnection, lenient: bool = False,
                     catalogue: Catalogue | None = None) -> pd.DataFrame:
    """One row per (current report × comparison rule instance), evaluated by DuckDB.

    Columns: agency, year, template, report_id, code, kind, instance_id, item, column (the anchor
    cell), lhs, rhs (blank cells counted as 0), tol, n_blank (cells without a number), exact
    (n_blank = 0), ok (the comparison of ``kind`` holds within ``tol``), lenient. Instances in a
    blank or missing table are left out, as in the findings. A rule instance fails in
    ``gongkai check`` exactly when ``ok`` is false here — the frame the Great Expectations backend
    validates (e.g. ``ExpectColumnPairValuesAToBeGreaterThanB`` on lhs/rhs per kind).
    """
    catalogue = catalogue or C.load_catalogue()
    _materialize(con)
    b = Builder(catalogue, lenient=lenient, shared=True, con=con)
    try:
        return con.execute(b.evaluation_sql(catalogue.enabled("comparison"))).df()
    finally:
        b.drop_temp()
        _drop_temp(con)
