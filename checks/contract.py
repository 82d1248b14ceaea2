"""The load contract: a pandera schema every cell row must pass before it enters the warehouse.

:func:`prepare` reads each row's raw text with :func:`checks.cells.parse_cell` (knowing from the
template whether the cell holds money or may be negative) and :func:`validate` runs the schema
lazily, so that *every* problem of *every* row is collected in one pass. Rows that fail go to
quarantine with the reasons, the others load. The checks:

* ``agency`` is not empty; ``year`` is a whole number in [2008, next year];
* ``template`` is ``old``, ``v2019`` or ``v2021`` and ``variant`` one it knows;
* ``item`` / ``column`` name a cell of that template;
* a count is a whole number and not negative (only v2019 ``本年增/减`` may be); money is not negative;
* the row itself was well formed in the file, and no cell appears twice in one report.

The schema is declared here; pandera is its backend (declaration apart from execution).
"""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np
import pandas as pd
import pandera.pandas as pa

from checks import templates
from checks.cells import STATES, parse_cell
from checks.formats import ERROR

MIN_YEAR = 2008
MAX_YEAR = dt.date.today().year + 1
INT32 = 2**31 - 1
"""Lines and columns are stored as INTEGER: a larger one is not a line number (the row is quarantined)."""


def _groups(*columns: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The rows grouped by equal values in ``columns``: each row's group number, and the first row
    of each group (groups numbered in order of first appearance). Per-row work done once per group."""
    # each row's codes as the digits of one number (renumbered first when it would not fit 62 bits),
    # renumbered once at the end in order of first appearance
    combined, span = None, 1
    for col in columns:
        codes, uniques = pd.factorize(col, use_na_sentinel=False)
        codes, n = codes.astype(np.int64), len(uniques) + 1
        if combined is None:
            combined, span = codes, n
            continue
        if span * n >= 1 << 62:
            combined = pd.factorize(combined)[0].astype(np.int64)
            span = int(combined.max()) + 1 if len(combined) else 1
        combined, span = combined * n + codes, span * n
    if len(columns) > 1:
        combined = pd.factorize(combined)[0]
    codes = np.asarray(combined, dtype=np.int64)
    if not len(codes):
        return codes, np.zeros(0, dtype=np.int64)
    # factorize numbers groups in order of first appearance: a group's first row is where the running
    # maximum of the codes goes up (no sort)
    top = np.maximum.accumulate(codes)
    first = np.flatnonzero(np.r_[True, top[1:] != top[:-1]])
    return codes, first


def _number(text: pd.Series) -> pd.Series:
    """Numbers from text ('' and anything not a finite number: NA); never raises. Each distinct text
    is read once (a chunk holds few: years, line numbers)."""
    text = text.fillna("").astype("string")
    codes, first = _groups(text)
    distinct = text.iloc[first].reset_index(drop=True)
    num = pd.to_numeric(distinct.str.strip().replace("", None), errors="coerce")
    num = num.astype("float64")
    num = num.where(num.abs() < float("inf")).to_numpy()
    return pd.Series(num[codes], index=text.index, dtype="float64")


@functools.cache
def cell_specs() -> pd.DataFrame:
    """One row per (template, item, column) of every template's national form, with its unit and flags."""
    f = templates.spec_frame()
    return f.loc[f["variant"] == "", ["template", "item", "column", "unit", "money", "signed", "heading"]] \
        .reset_index(drop=True)


@functools.cache
def _variants() -> frozenset[tuple[str, str]]:
    return frozenset((t.id, v) for t in templates.all_templates() for v in t.variants)


def prepare(df: pd.DataFrame) -> pd.DataFrame:
    """Normalise the string columns, attach the template's cell spec and read every raw text."""
    out = pd.DataFrame(index=df.index)
    for col in ("agency", "agency_id", "region", "template", "variant", "item", "column",
                "label", "printed_unit", "source_file"):
        out[col] = df[col].fillna("").astype("string").str.strip()
    out["raw"] = df["raw"].fillna("").astype("string")
    out["year_text"] = df["year"].fillna("").astype("string").str.strip()
    year = _number(out["year_text"])
    whole = year.notna() & (year % 1 == 0)
    # a whole number far out of range stays a (failing) year, not "not a whole number"; never overflows
    out["year"] = year.where(whole & (year.abs() < 1e6), -1).where(whole).astype("Int64")
    line = _number(df["source_line"].fillna("").astype("string").str.strip())
    out["source_line"] = line.where(line.notna() & (line % 1 == 0) & line.between(0, INT32)).astype("Int64")
    out["line_text"] = df["source_line"].fillna("").astype("string")
    out["col_text"] = df["source_col"].fillna("").astype("string")
    col = _number(df["source_col"].fillna("").astype("string").str.strip())
    out["source_col"] = col.where(col.notna() & (col % 1 == 0) & col.between(0, INT32)).astype("Int64")
    out["_line"] = df["_line"].to_numpy()
    out[ERROR] = df[ERROR].fillna("").astype("str").array     # the dtype a column of Python str gets
    out["agency_key"] = out["agency_id"].where(out["agency_id"] != "", out["agency"])

    # the template's spec of each distinct (template, item, column), looked up once
    codes, first = _groups(out["template"], out["item"], out["column"])
    keys = out[["template", "item", "column"]].iloc[first].reset_index(drop=True)
    spec = keys.merge(cell_specs(), on=["template", "item", "column"], how="left", validate="many_to_one")
    out["known"] = spec["unit"].notna().to_numpy()[codes]
    out["unit"] = pd.array(spec["unit"].fillna(""), dtype="string").take(codes)
    out["money"] = spec["money"].fillna(False).astype(bool).to_numpy()[codes]
    out["signed"] = spec["signed"].fillna(False).astype(bool).to_numpy()[codes]

    # a report set holds few distinct raw texts (about 1 in 150 cells): read each one once
    codes, first = _groups(out["raw"], out["money"], out["signed"])
    parsed = [parse_cell(r, m, s) for r, m, s in zip(out["raw"].iloc[first].tolist(),
                                                      out["money"].to_numpy()[first].tolist(),
                                                      out["signed"].to_numpy()[first].tolist())]
    out["state"] = pd.array([p.state.value for p in parsed], dtype="string").take(codes)
    out["value"] = pd.array([p.value for p in parsed], dtype="Float64").take(codes)
    out["raw_unit"] = pd.array([p.unit for p in parsed], dtype="string").take(codes)
    out["note"] = pd.array([p.note for p in parsed], dtype="string").take(codes)
    return out


def _row_ok(fn, error: str) -> pa.Check:
    return pa.Check(fn, error=error, name=error)


def _rows_ok(fn, error: str) -> pa.Check:
    """A check of whole rows. ``ignore_na`` off: it lets a row whose every column is NA pass, and a
    prepared row never is (``known``, ``money``, ``signed`` are never NA), so it changes nothing but
    cost pandera an ``isna`` of the whole frame per check."""
    return pa.Check(fn, error=error, name=error, ignore_na=False)


def _variant_ok(df: pd.DataFrame) -> pd.Series:
    empty = df["variant"] == ""
    if empty.fillna(False).all():         # no variant named (the usual case): no text joined per row
        return empty
    return empty | (df["template"] + "\x1f" + df["variant"]).isin([f"{t}\x1f{v}" for t, v in _variants()])


def _whole_or_blank(number: str, text: str):
    def check(df: pd.DataFrame) -> pd.Series:
        ok = df[number].notna()
        if ok.all():                      # every row has its number: the text need not be stripped
            return ok
        return ok | (df[text].str.strip() == "")
    return check


SCHEMA = pa.DataFrameSchema(
    {
        "agency": pa.Column("string", _row_ok(lambda s: s.str.len() > 0, "agency is empty")),
        "year": pa.Column("Int64", pa.Check.in_range(MIN_YEAR, MAX_YEAR, error=f"year not in {MIN_YEAR}–{MAX_YEAR}"),
                          nullable=True),
        "template": pa.Column("string", pa.Check.isin(templates.TEMPLATE_IDS,
                                                      error="template is not old, v2019 or v2021")),
        "state": pa.Column("string", pa.Check.isin(STATES)),
    },
    checks=[
        _rows_ok(lambda df: df["year"].notna(), "year is not a whole number"),
        _rows_ok(lambda df: df[ERROR] == "", "malformed row"),
        _rows_ok(lambda df: ~df["template"].isin(templates.TEMPLATE_IDS) | df["known"],
                 "unknown item/column code for the template"),
        _rows_ok(_variant_ok, "unknown variant for the template"),
        _rows_ok(lambda df: df["money"] | df["value"].isna() | (df["value"] % 1 == 0).fillna(True),
                 "count is not a whole number"),
        _rows_ok(lambda df: df["signed"] | df["value"].isna() | (df["value"] >= 0).fillna(True),
                 "negative value in a cell that cannot be negative"),
        _rows_ok(_whole_or_blank("source_line", "line_text"), "source_line is not a whole number"),
        _rows_ok(_whole_or_blank("source_col", "col_text"), "source_col is not a whole number"),
        _rows_ok(lambda df: ~df.duplicated(["agency_key", "year_text", "item", "column"], keep="first"),
                 "the same cell appears twice in one report"),
    ],
    coerce=False,
    strict=False,
)


def _describe(case: pd.Series, frame: pd.DataFrame) -> str:
    check = str(case["check"])
    idx = case["index"]
    row = frame.loc[idx]
    if check.startswith("year"):
        return f"{check} (got {str(row['year_text'])[:40]!r})"
    if check == "malformed row":
        return f"malformed row: {row[ERROR]}"
    if check.startswith("template"):
        return f"{check} (got {row['template']!r})"
    if check.startswith("unknown item"):
        return f"unknown item/column code for template {row['template']}: {row['item']}@{row['column']}"
    if check.startswith("unknown variant"):
        return f"unknown variant {row['variant']!r} for template {row['template']}"
    if check.startswith(("count", "negative")):
        return f"{check} (raw {row['raw']!r})"
    if check.startswith("source_line"):
        return f"{check} from 0 to {INT32} (got {str(row['line_text'])[:40]!r})"
    if check.startswith("source_col"):
        return f"{check} from 0 to {INT32} (got {str(row['col_text'])[:40]!r})"
    return check


_ORDER = ("malformed row", "agency", "year", "template", "unknown", "count", "negative", "source_line", "source_col",
          "the same")


def _rank(reason: str) -> int:
    return next((i for i, p in enumerate(_ORDER) if reason.startswith(p)), len(_ORDER))


def validate(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split prepared rows into (good, bad); ``bad`` has a ``reason`` column listing every failed check."""
    try:
        SCHEMA.validate(frame, lazy=True, inplace=True)      # nothing is coerced: no copy needed
        return frame, frame.iloc[0:0].assign(reason=pd.Series(dtype="string"))
    except pa.errors.SchemaErrors as e:
        cases = e.failure_cases
    cases = cases[cases["index"].notna()].drop_duplicates(["index", "check"])
    reasons: dict = {}
    for _, case in cases.iterrows():
        reasons.setdefault(case["index"], []).append(_describe(case, frame))
    bad_index = list(reasons)
    bad = frame.loc[bad_index].copy()
    bad["reason"] = ["; ".join(sorted(dict.fromkeys(reasons[i]), key=_rank)) for i in bad_index]
    good = frame.drop(index=bad_index)
    return good, bad
