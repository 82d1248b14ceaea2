"""The per-report structural checks as pandera dataframe checks, generated from the catalogue.

The rules that are about a report's *shape* rather than its arithmetic — a table or section
missing (L-03), a row missing or unknown (L-04), a heading with a value (L-01), text where a
number belongs (L-06), a count that is not a non-negative integer (N-07, O-17), a table or report
left entirely blank (B-02, B-03) — are natural as checks over one frame with one row per
(report × template cell): :func:`structure_frame` builds it with DuckDB (every expected cell of
every current report, present or not, plus the cells the template does not have), and
:func:`build_schema` turns each such catalogue rule into a ``pa.Check`` named by its code. The
comparison rules are checks on the evaluation frame (:func:`build_evaluation_schema`). Each check
comes from the rule's kind (:mod:`checks.rules.kinds`): nothing here knows a kind by name.

:func:`pandera_findings` validates the frame and folds the failing rows into findings the way the
SQL backend reports them (a wholly missing row is one finding, a missing section one finding, a
blank table one finding), so the two backends can be compared finding by finding.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pandera.pandas as pa

from checks.cells import STATES
from checks.rules import catalogue as C
from checks.rules.catalogue import Catalogue, Rule
from checks.rules.sql import Builder, spec_lookup, values_cte


def structure_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per (current report × cell of its template and variant) and per cell the template lacks."""
    flags = values_cte("flags", [("sid", "INTEGER"), ("money", "BOOLEAN"), ("signed", "BOOLEAN")],
                       [(int(r["sid"]), bool(r["money"]), bool(r["signed"])) for r in spec_lookup().values()])
    ctes = Builder(C.load_catalogue()).prelude({"status"}) + [flags]
    sql = "WITH\n" + ",\n".join(ctes) + """,
parts AS (SELECT DISTINCT report_id, tbl, section, sec_present > 0 AS section_present,
                 tbl_present > 0 AND tbl_filled = 0 AS tbl_blank,
                 rep_present > 0 AND rep_filled = 0 AS report_blank FROM tstat),
known AS (
  SELECT r.report_id, r.agency, r.year, r.template, r.variant, s.tbl, s.section, s.row_code, s.item, s."column",
         s.heading, f.money, f.signed, s.row_cells, TRUE AS known, c.state, c.value, c.raw
  FROM reps r JOIN specs s ON s.template = r.template AND s.variant = r.variant
  JOIN flags f ON f.sid = s.sid
  LEFT JOIN cx c ON c.report_id = r.report_id AND c.sid = s.sid),
unknown AS (
  SELECT r.report_id, r.agency, r.year, r.template, r.variant, NULL, NULL, c.item, c.item, c."column",
         FALSE, FALSE, FALSE, 0, FALSE, c.state, c.value, c.raw
  FROM reps r JOIN cx c ON c.report_id = r.report_id
  WHERE c.sid IS NULL)
SELECT k.*, coalesce(p.section_present, TRUE) AS section_present, coalesce(p.tbl_blank, FALSE) AS tbl_blank,
       coalesce(rb.report_blank, FALSE) AS report_blank
FROM (SELECT * FROM known UNION ALL SELECT * FROM unknown) k
LEFT JOIN parts p ON p.report_id = k.report_id AND p.tbl = k.tbl AND p.section = k.section
LEFT JOIN (SELECT DISTINCT report_id, report_blank FROM parts) rb ON rb.report_id = k.report_id
ORDER BY k.report_id, k.item, k."column\""""
    df = con.execute(sql).df()
    for c in ("heading", "money", "signed", "known", "section_present", "tbl_blank", "report_blank"):
        df[c] = df[c].astype(bool)
    return df


# ------------------------------------------------------------------------------------ checks

def _rules(catalogue: Catalogue, frame: str) -> list[Rule]:
    return [r for r in catalogue.enabled() if C.kind_of(r).frame == frame and C.kind_of(r).pandera_check(r)]


def build_schema(catalogue: Catalogue | None = None) -> pa.DataFrameSchema:
    """The pandera schema of :func:`structure_frame`: column types plus each structural rule's check
    (every enabled rule whose kind checks the structure frame, :mod:`checks.rules.kinds`)."""
    catalogue = catalogue or C.load_catalogue()
    return pa.DataFrameSchema(
        columns={
            "report_id": pa.Column("int64"),
            "template": pa.Column(str, pa.Check.isin(list(C.T.TEMPLATE_IDS))),
            "item": pa.Column(str),
            "column": pa.Column(str),
            "state": pa.Column(str, pa.Check.isin(list(STATES)), nullable=True),
            "value": pa.Column(float, nullable=True),
            "heading": pa.Column(bool),
            "known": pa.Column(bool),
        },
        checks=[C.kind_of(r).pandera_check(r) for r in _rules(catalogue, "structure")],
        strict=False, coerce=True, name="report structure")


def build_evaluation_schema(catalogue: Catalogue | None = None) -> pa.DataFrameSchema:
    """The pandera schema of the evaluation frame (:func:`checks.rules.sql.evaluation_frame`): each
    comparison rule's check on its own rows."""
    catalogue = catalogue or C.load_catalogue()
    return pa.DataFrameSchema(
        columns={"report_id": pa.Column("int64"), "code": pa.Column(str), "lhs": pa.Column(float),
                 "rhs": pa.Column(float), "tol": pa.Column(float)},
        checks=[C.kind_of(r).pandera_check(r) for r in _rules(catalogue, "evaluation")],
        strict=False, coerce=True, name="rule instances")


def build_pairs_schema(catalogue: Catalogue | None = None) -> pa.DataFrameSchema:
    """The pandera schema of the cross-year pair frame (:func:`checks.rules.kinds.crossyear.pair_frame`):
    each cross-year rule's bounds on ``score`` over its gated rows."""
    catalogue = catalogue or C.load_catalogue()
    return pa.DataFrameSchema(
        columns={"report_id": pa.Column("int64"), "code": pa.Column(str), "score": pa.Column(float, nullable=True),
                 "gate": pa.Column(bool)},
        checks=[C.kind_of(r).pandera_check(r) for r in _rules(catalogue, "pairs")],
        strict=False, coerce=True, name="cross-year pairs")


def failing_rows(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """(check, index) of every failing row, from pandera's lazy validation (one row per failure)."""
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as e:
        fc = e.failure_cases
        fc = fc[fc["index"].notna()]
        return fc[["check", "index"]].drop_duplicates().astype({"index": "int64"}).reset_index(drop=True)
    return pd.DataFrame({"check": pd.Series(dtype=str), "index": pd.Series(dtype="int64")})


FOUND_COLUMNS = ["code", "report_id", "agency", "year", "item", "column"]


def findings_of(frame: pd.DataFrame, schema: pa.DataFrameSchema, catalogue: Catalogue) -> pd.DataFrame:
    """Validate ``frame`` and fold the failing rows into findings, each kind its own way."""
    fails = failing_rows(frame, schema)
    out = []
    for code, grp in fails.groupby("check"):
        rule = catalogue.rule(str(code))
        rows = frame.loc[grp["index"].to_numpy()]
        out.append(C.kind_of(rule).fold(rule, rows).assign(code=code))
    if not out:
        return pd.DataFrame(columns=FOUND_COLUMNS)
    res = pd.concat(out, ignore_index=True)[["code", "report_id", "item", "column"]]
    meta = frame[["report_id", "agency", "year"]].drop_duplicates("report_id")
    return res.merge(meta, on="report_id", how="left")[FOUND_COLUMNS]


def pandera_findings(con: duckdb.DuckDBPyConnection, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Structural findings found by pandera: code, report_id, agency, year, item, column (as the SQL backend)."""
    catalogue = catalogue or C.load_catalogue()
    return findings_of(structure_frame(con), build_schema(catalogue), catalogue)


def sql_codes(catalogue: Catalogue | None = None) -> tuple[str, ...]:
    """The codes of the rules pandera checks on the structure frame (for comparisons with the SQL backend)."""
    return tuple(r.code for r in _rules(catalogue or C.load_catalogue(), "structure"))


__all__ = ["structure_frame", "build_schema", "build_evaluation_schema", "build_pairs_schema", "pandera_findings",
           "findings_of",
           "failing_rows", "sql_codes"]
