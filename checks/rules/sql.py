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
from checks.rules.findings import ensure_tables
from checks.tables import FINDINGS

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
             ("section_label", "VARCHAR"), ("tbl_label", "VARCHAR"), ("section_label_en", "VARCHAR"),
             ("tbl_label_en", "VARCHAR"), ("row_label_en", "VARCHAR")]


@functools.cache
def spec_rows() -> tuple[tuple, ...]:
    f = C.spec_frame().copy()
    f["row_cells"] = f.groupby(["template", "variant", "row_code"])["item"].transform("size")
    f["sid"] = range(1, len(f) + 1)
    return tuple(f[[c for c, _ in SPEC_COLS]].itertuples(index=False, name=None))


@functools.cache
def spec_lookup() -> dict[tuple, dict]:
    """(Cached: do not modify.) (template, variant, item, column) → the cell's row of the spec frame, with ``sid``."""
    f = C.spec_frame().copy()
    f["sid"] = range(1, len(f) + 1)
    return {(r["template"], r["variant"], r["item"], r["column"]): r for r in f.to_dict("records")}


def sid(template: str, variant: str, item: str, column: str) -> int:
    """The spec id of a template cell (same numbering as spec_rows)."""
    return int(spec_lookup()[(template, variant, item, column)]["sid"])


CX_SQL = """SELECT c.report_id, CASE WHEN s.sid IS NULL THEN c.item END AS item,
         CASE WHEN s.sid IS NULL THEN c."column" END AS "column", c.state, c.value, c.raw, c.raw_unit,
         CASE WHEN s.sid IS NULL THEN c.label END AS label,
         CASE WHEN c.source_file IS DISTINCT FROM r.source_file THEN c.source_file END AS source_file,
         c.source_line, s.sid
  FROM cells c JOIN reps r ON r.report_id = c.report_id
  LEFT JOIN specs s ON s.template = r.template AND s.variant = r.variant AND s.item = c.item
                    AND s."column" = c."column\""""


STATUS_SQL = """SELECT r.report_id, p.tbl, p.section, coalesce(n.n_present, 0) AS n_present,
         coalesce(n.n_filled, 0) AS n_filled
  FROM reps r
  JOIN (SELECT DISTINCT template, variant, tbl, section FROM specs WHERE NOT heading) p
    ON p.template = r.template AND p.variant = r.variant
  LEFT JOIN (SELECT c.report_id, s.tbl, s.section, count(*) AS n_present,
                    count(*) FILTER (WHERE c.state IN ('NUMERIC', 'ZERO', 'TEXT')) AS n_filled
             FROM cx c JOIN specs s ON s.sid = c.sid WHERE NOT s.heading
             GROUP BY c.report_id, s.tbl, s.section) n
    ON n.report_id = r.report_id AND n.tbl = p.tbl AND n.section = p.section"""
"""Per current report × table and section of its template: cells present and filled. The cells are
counted per part first and then joined with every part a report should have (reports × parts, not
reports × template cells: 3–4× faster at 10,000 reports, the same rows)."""

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
    spec_cells: frozenset | None = None        # … and only the (template, variant, item, column) it reads
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
        NULL for a cell the template lacks: only such a cell keeps its item, column and label, the
        others have them in specs; ``source_file`` only where it is not the report's, so a query names
        ``coalesce(c.source_file, r.source_file)``) and, when ``status`` is needed, tstat/blocked."""
        if self.shared:
            # NOT MATERIALIZED: a CTE read more than once is otherwise copied per query (cx: 17 M rows at 100,000 reports)
            ctes = ["reps AS NOT MATERIALIZED (SELECT * FROM gk_reps)", "specs AS NOT MATERIALIZED (SELECT * FROM gk_specs)",
                    "cx AS NOT MATERIALIZED (SELECT * FROM gk_cells)"]
            if "status" in needs:
                ctes += ["tstat AS NOT MATERIALIZED (SELECT * FROM gk_tstat)", f"blocked AS ({BLOCKED_SQL})"]
            return ctes
        specs = [r for r in spec_rows() if (self.templates is None or r[1] in self.templates)
                 and (self.spec_cells is None or r[1:5] in self.spec_cells)]
        ctes = [f"reps AS ({reps_sql()})", values_cte("specs", SPEC_COLS, specs), f"cx AS ({CX_SQL})"]
        if "status" in needs:
            ctes += [f"status AS ({STATUS_SQL})", f"tstat AS ({TSTAT_SQL})", f"blocked AS ({BLOCKED_SQL})"]
        return ctes

    @staticmethod
    def wrap(ctes: list[str], body: str) -> str:
        """``WITH`` the CTEs, then the body."""
        return "WITH\n" + ",\n".join(ctes) + "\n" + body

    def instances(self) -> list[C.Instance]:
        """The comparison instances of the catalogue (expanded once per builder)."""
        if self._instances is None:
            self._instances = C.expand(self.catalogue)
        return self._instances

    def comparison_cells(self) -> set[tuple[str, str, str, str]]:
        """(template, variant, item, column) of every cell some comparison instance reads."""
        return {(i.template, i.variant, t.cell.item, t.cell.column) for i in self.instances() for t in i.terms}

    def queries(self, rules: list[Rule] | None = None) -> list[tuple[str, str]]:
        """(label, SQL) for the given rules (default: every enabled rule): each kind's own queries,
        rules of one batch (e.g. every comparison) together."""
        rules = list(rules if rules is not None else self.catalogue.enabled())
        batches: dict[object, list[Rule]] = {}
        for r in rules:
            batches.setdefault(C.kind_of(r).batch(), []).append(r)
        return [q for rs in batches.values() for q in C.kind_of(rs[0]).sql(self, rs)]

    def evaluation_sql(self, rules: list[Rule]) -> str:
        """One row per (current report × comparison instance) of ``rules``."""
        from checks.rules.kinds.comparison import evaluation_sql
        return evaluation_sql(self, rules)


# ------------------------------------------------------------------------------------- running

def new_run_id() -> str:
    return dt.datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def rule_sql(catalogue: Catalogue, code: str, lenient: bool = False) -> str:
    """The self-contained SQL that finds every failure of one rule in the warehouse."""
    rule = catalogue.rule(code)
    cells = None
    if rule.family == "comparison":      # only the cells its instances read: the SQL stays readable
        cells = frozenset((i.template, i.variant, t.cell.item, t.cell.column) for i in C.expand(catalogue, [rule])
                          for t in i.terms)
    b = Builder(catalogue, lenient=lenient, templates=None if rule.kind == "required-row" else rule.templates,
                spec_cells=cells)
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
    """Run every enabled rule over every current report; write one new run into ``findings``.

    The rules write into a temporary staging table outside any transaction (inside one, DuckDB plans
    the rule joins without the tables' statistics: at 100,000 reports a check took 18 GB instead of
    about 2); the run then enters ``check_runs`` and ``findings`` in one short transaction, so a run
    killed or failing halfway leaves no trace and "the latest run" is always whole."""
    from checks.rules.findings import apply_waivers
    from checks.warehouse import fault_point, rollback

    t0 = time.perf_counter()
    ensure_tables(con)
    run_id = run_id or new_run_id()
    started = dt.datetime.now()
    stage = "gk_findings_stage"
    con.execute(FINDINGS.ddl(stage, temp=True))
    try:
        timings = []
        _materialize(con)
        try:
            b = Builder(catalogue, lenient=lenient, run_id=run_id, shared=True, con=con)
            try:
                for label, q in b.queries():
                    t = time.perf_counter()
                    con.execute(f"INSERT INTO {stage} BY NAME\n{q}")
                    timings.append((label, time.perf_counter() - t))
            finally:
                b.drop_temp()
            n_reports = con.execute("SELECT count(*) FROM gk_reps").fetchall()[0][0]
        finally:
            _drop_temp(con)
        apply_waivers(con, run_id, list(waivers or []), catalogue, today or dt.date.today(), table=stage)
        counts = dict.fromkeys(("error", "warning", "info"), 0)
        waived = 0
        for sev, w, n in con.execute(f"SELECT severity, waived, count(*) FROM {stage} GROUP BY ALL").fetchall():
            if w:
                waived += n
            else:
                counts[sev] = counts.get(sev, 0) + n
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("INSERT INTO check_runs (run_id, started_at, finished_at, lenient, reports, errors, "
                        "warnings, infos, waived, config, waivers_file, disabled) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [run_id, started, dt.datetime.now(), lenient, n_reports, counts["error"],
                         counts["warning"], counts["info"], waived, config_source, waivers_file,
                         ",".join(r.code for r in catalogue.rules if not r.enabled)])
            con.execute(f"INSERT INTO {FINDINGS.name} SELECT * FROM {stage}")
            fault_point("check")
            con.execute("COMMIT")
        except BaseException:
            rollback(con)
            raise
    finally:
        con.execute(f"DROP TABLE IF EXISTS {stage}")
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
