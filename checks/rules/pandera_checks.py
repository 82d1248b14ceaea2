"""The per-report structural checks as pandera dataframe checks, generated from the catalogue.

The rules that are about a report's *shape* rather than its arithmetic — a table or section
missing (L-03), a row missing or unknown (L-04), a heading with a value (L-01), text where a
number belongs (L-06), a count that is not a non-negative integer (N-07, O-17), a table or report
left entirely blank (B-02, B-03) — are natural as checks over one frame with one row per
(report × template cell): :func:`structure_frame` builds it with DuckDB (every expected cell of
every current report, present or not, plus the cells the template does not have), and
:func:`build_schema` turns each such catalogue rule into a ``pa.Check`` named by its code.

:func:`pandera_findings` validates the frame and folds the failing rows into findings the way the
SQL backend reports them (a wholly missing row is one finding, a missing section one finding, a
blank table one finding), so the two backends can be compared finding by finding.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pandera.pandas as pa

from checks.rules import catalogue as C
from checks.rules.catalogue import Catalogue, Rule
from checks.rules.sql import Builder, _spec_lookup, values_cte

PANDERA_KINDS = ("required-section", "required-row", "heading-has-value", "not-text", "value-domain",
                 "blank-table", "blank-report")

def structure_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per (current report × cell of its template and variant) and per cell the template lacks."""
    flags = values_cte("flags", [("sid", "INTEGER"), ("money", "BOOLEAN"), ("signed", "BOOLEAN")],
                       [(int(r["sid"]), bool(r["money"]), bool(r["signed"])) for r in _spec_lookup().values()])
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

def _applies(df: pd.DataFrame, rule: Rule) -> pd.Series:
    return df["template"].isin(rule.templates)


def _check_fn(rule: Rule):
    """The row-wise predicate (True = passes) of one structural rule."""
    kind = rule.kind

    def fn(df: pd.DataFrame) -> pd.Series:
        present = df["state"].notna()
        state = df["state"].fillna("")
        if kind == "required-section":
            ok = ~df["known"] | df["heading"] | df["section_present"]
        elif kind == "required-row":
            ok = df["known"] & (present | df["heading"] | ~df["section_present"])
        elif kind == "heading-has-value":
            digits = df["raw"].fillna("").str.contains(r"[0-9０-９]", regex=True)
            bad = state.isin(["NUMERIC", "ZERO"]) | (state.eq("TEXT") & digits)
            ok = ~(df["heading"] & bad)
        elif kind == "not-text":
            ok = ~(df["known"] & ~df["heading"] & state.eq("TEXT"))
        elif kind == "value-domain":
            v = df["value"]
            bad = v.notna() & (((v < 0) & ~df["signed"]) | (~df["money"] & (v != v.round())))
            ok = ~(df["known"] & ~df["heading"] & bad)
        elif kind == "blank-table":
            ok = ~(df["known"] & df["tbl_blank"] & ~df["report_blank"])
        elif kind == "blank-report":
            ok = ~df["report_blank"]
        else:  # pragma: no cover - PANDERA_KINDS is closed
            raise AssertionError(kind)
        return ok | ~_applies(df, rule)
    return fn


def build_schema(catalogue: Catalogue | None = None) -> pa.DataFrameSchema:
    """The pandera schema of :func:`structure_frame`: column types plus one check per structural rule."""
    catalogue = catalogue or C.load_catalogue()
    checks = [pa.Check(_check_fn(r), name=r.code, error=r.code)
              for r in catalogue.enabled() if r.kind in PANDERA_KINDS]
    return pa.DataFrameSchema(
        columns={
            "report_id": pa.Column("int64"),
            "template": pa.Column(str, pa.Check.isin(list(C.T.TEMPLATE_IDS))),
            "item": pa.Column(str),
            "column": pa.Column(str),
            "state": pa.Column(str, pa.Check.isin(["NUMERIC", "ZERO", "EMPTY", "NA", "TEXT"]), nullable=True),
            "value": pa.Column(float, nullable=True),
            "heading": pa.Column(bool),
            "known": pa.Column(bool),
        },
        checks=checks, strict=False, coerce=True, name="report structure")


def failing_rows(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """(check, index) of every failing row, from pandera's lazy validation (one row per failure)."""
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as e:
        fc = e.failure_cases
        fc = fc[fc["index"].notna()]
        return fc[["check", "index"]].drop_duplicates().astype({"index": "int64"}).reset_index(drop=True)
    return pd.DataFrame({"check": pd.Series(dtype=str), "index": pd.Series(dtype="int64")})


def pandera_findings(con: duckdb.DuckDBPyConnection, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Structural findings found by pandera: code, report_id, agency, year, item, column (as the SQL backend)."""
    catalogue = catalogue or C.load_catalogue()
    frame = structure_frame(con)
    fails = failing_rows(frame, build_schema(catalogue))
    out = []
    for code, grp in fails.groupby("check"):
        rows = frame.loc[grp["index"].to_numpy()]
        kind = catalogue.rule(str(code)).kind
        if kind == "required-section":
            keys = rows[["report_id", "section"]].drop_duplicates().rename(columns={"section": "item"})
            keys["column"] = None
        elif kind == "blank-table":
            keys = rows[["report_id", "tbl"]].drop_duplicates().rename(columns={"tbl": "item"})
            keys["column"] = None
        elif kind == "blank-report":
            keys = rows[["report_id"]].drop_duplicates()
            keys["item"], keys["column"] = None, None
        elif kind == "required-row":
            unknown = rows[~rows["known"]][["report_id", "item", "column"]]
            known = rows[rows["known"]]
            n = known.groupby(["report_id", "row_code"])["item"].transform("size")
            whole = known[n == known["row_cells"]][["report_id", "row_code"]].drop_duplicates()
            whole = whole.rename(columns={"row_code": "item"})
            whole["column"] = None
            part = known[n < known["row_cells"]][["report_id", "item", "column"]]
            keys = pd.concat([whole, part, unknown], ignore_index=True)
        else:
            keys = rows[["report_id", "item", "column"]]
        keys = keys.copy()
        keys["code"] = code
        out.append(keys)
    cols = ["code", "report_id", "item", "column"]
    if not out:
        return pd.DataFrame(columns=["code", "report_id", "agency", "year", "item", "column"])
    res = pd.concat(out, ignore_index=True)[cols]
    meta = frame[["report_id", "agency", "year"]].drop_duplicates("report_id")
    return res.merge(meta, on="report_id", how="left")[["code", "report_id", "agency", "year", "item", "column"]]


def sql_codes() -> tuple[str, ...]:
    """The rule codes pandera covers (for comparisons with the SQL backend)."""
    return tuple(r.code for r in C.load_catalogue().rules if r.kind in PANDERA_KINDS)


__all__ = ["structure_frame", "build_schema", "pandera_findings", "failing_rows", "PANDERA_KINDS", "sql_codes"]
