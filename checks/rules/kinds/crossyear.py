"""Cross-year kinds: year-over-year anomalies, carry-over chains, stock and flow, copied tables.

Every kind here is judged on one frame DuckDB prepares, set-based over every agency at once — the
*pair frame* (:func:`pair_frame_sql`): one row per (rule × agency-year × series or cell) with

====================  ===========================================================================
``value``             this year's number (NULL: blank)
``ref``               what it is compared with (last year's value, the chain's other end, …)
``score``             the measure the rule bounds (a ratio, a robust z-score, a difference, a count)
``gate``              the rule applies to the row (enough history, a minimum absolute change, …)
``sub``               which bound applies (appear/vanish), '' otherwise
====================  ===========================================================================

A row fails when ``gate`` and ``score`` lies outside the rule's bounds (:meth:`CrossYear.bounds`:
``lo`` < score < ``hi``, strict or not). The SQL backend, pandera (:meth:`CrossYear.pandera_check`)
and GX (``expect_column_values_to_be_between`` on ``score``, restricted to the rule's gated rows)
apply the same bounds to the same frame, so they agree. The SQL findings add the history the row
was judged on (values by year) and which year's report is suspect.

Agencies are identified across years by their stable id (:mod:`checks.agencies`); series continue
across templates by :mod:`checks.crossyear` (checks/templates/series.yaml).
"""

from __future__ import annotations

import math

import pandas as pd

from checks.rules import messages as M
from checks.rules.kinds import Kind, register
from checks.tables import FINDINGS

PAIR_COLS = ("code", "sub", "report_id", "xno", "year", "template", "item", "column", "label",
             "value", "ref", "score", "gate", "hist_key", "hist_kind", "other", "prev_year", "suspect_year")
"""Columns of the pair frame, in order."""

PLACEHOLDERS = frozenset({"label", "value", "ref", "score", "history", "suspect", "other", "year", "prev_year"})


def _p(rule, key: str, default: float) -> float:
    return float(rule.params.get(key, default))


def _num(e: str, lang: str = "zh") -> str:
    return f"CASE WHEN {e} IS NULL THEN {M.sql_text(M.WORDS[lang]['blank'])} ELSE {M.number_sql(e)} END"


class CrossYear(Kind):
    """Base: a rule's rows of the pair frame (:meth:`rows_sql`), bounds on ``score``, findings with history."""

    family = "crossyear"
    frame = "pairs"
    placeholders = PLACEHOLDERS
    series = True          # needs the series values (sv) CTE
    needs: tuple[str, ...] = ()   # extra shared CTEs (names of functions below)

    @classmethod
    def batch(cls):
        return ("crossyear", cls.name)

    @classmethod
    def rows_sql(cls, b, rule) -> tuple[list[str], str]:
        """(extra CTEs, SELECT of this rule's pair-frame rows: the columns of :data:`PAIR_COLS`)."""
        raise NotImplementedError

    @classmethod
    def bounds(cls, rule) -> dict[str, tuple[float, float, bool]]:
        """sub → (lo, hi, strict): a gated row passes when lo < score < hi (strict) or lo ≤ score ≤ hi."""
        raise NotImplementedError

    @classmethod
    def hist_sql(cls) -> str:
        """SELECT xno, hist_key, year, v: the values a failing row's history shows (default: its series)."""
        return ("SELECT s.xno, m.series AS hist_key, s.year, CASE WHEN s.n_num > 0 THEN s.value END AS v "
                "FROM sv s JOIN sm m USING (sno)")

    @classmethod
    def suspect_sql(cls, lang: str) -> str:
        """SQL text naming the report that is suspect (over the failing row ``x``)."""
        if lang == "zh":
            return "CAST(x.suspect_year AS VARCHAR) || ' 年报告'"
        return "'the ' || CAST(x.suspect_year AS VARCHAR) || ' report'"

    # -- the decision, three ways ---------------------------------------------------------------
    @classmethod
    def bad_sql(cls, rule, x: str = "x") -> str:
        arms = []
        for sub, (lo, hi, strict) in cls.bounds(rule).items():
            lt, gt = ("<=", ">=") if strict else ("<", ">")
            conds = []
            if lo is not None and not math.isinf(lo):
                conds.append(f"{x}.score {lt} {lo!r}")
            if hi is not None and not math.isinf(hi):
                conds.append(f"{x}.score {gt} {hi!r}")
            arms.append(f"({x}.sub = '{sub}' AND ({' OR '.join(conds) or 'FALSE'}))")
        return f"{x}.gate AND {x}.code = '{rule.code}' AND ({' OR '.join(arms)})"

    @classmethod
    def bad_frame(cls, df: pd.DataFrame, rule) -> pd.Series:
        bad = pd.Series(False, index=df.index)
        for sub, (lo, hi, strict) in cls.bounds(rule).items():
            s = df["score"].astype(float)
            out = pd.Series(False, index=df.index)
            if lo is not None and not math.isinf(lo):
                out |= (s <= lo) if strict else (s < lo)
            if hi is not None and not math.isinf(hi):
                out |= (s >= hi) if strict else (s > hi)
            bad |= (df["sub"] == sub) & out.fillna(False)
        return bad & df["gate"].astype(bool) & (df["code"] == rule.code)

    @classmethod
    def pandera_check(cls, rule):
        import pandera.pandas as pa

        def fn(df):
            return ~cls.bad_frame(df, rule)
        return pa.Check(fn, name=rule.code, error=rule.code)

    @classmethod
    def gx_expectations(cls, rule, template: str) -> list[dict]:
        if template != "crossyear":
            return []
        out = []
        for sub, (lo, hi, strict) in cls.bounds(rule).items():
            kw = {"column": "score", "strict_min": strict, "strict_max": strict}
            if lo is not None and not math.isinf(lo):
                kw["min_value"] = lo
            if hi is not None and not math.isinf(hi):
                kw["max_value"] = hi
            cond = [{"type": "comparison", "column": {"name": c}, "operator": "==", "parameter": v}
                    for c, v in (("code", rule.code), ("sub", sub), ("gate", True))]
            out.append({"type": "expect_column_values_to_be_between",
                        "kwargs": {**kw, "row_condition": {"type": "and", "conditions": cond}},
                        "meta": {"code": rule.code, "name": rule.name, "kind": rule.kind, "severity": rule.severity,
                                 "sub": sub}})
        return out

    @classmethod
    def fold(cls, rule, rows):
        return rows[["report_id", "item", "column"]]

    # -- SQL ----------------------------------------------------------------------------------
    @classmethod
    def frame_ctes(cls, b, rules) -> tuple[list[str], list[str]]:
        """(CTEs, one SELECT per rule) — the pair-frame rows of ``rules`` of this kind."""
        from checks.crossyear import base_ctes

        ctes, selects = [], []
        for r in rules:
            extra, sel = cls.rows_sql(b, r)
            ctes = _merge(ctes, extra)
            selects.append(sel)
        return base_ctes(b, cls.series) + ctes, selects

    @classmethod
    def sql(cls, b, rules) -> list[tuple[str, str]]:
        out = []
        for r in rules:
            ctes, sels = cls.frame_ctes(b, [r])
            out.append((r.code, b.wrap(ctes + [f"fr AS ({sels[0]})"] + _finding_ctes(cls, r), _finding_select(b, cls, r))))
        return out


def _finding_ctes(cls, rule) -> list[str]:
    """bad (failing rows) and hist (their history: values by year of the series or cell)."""
    return [f"bad AS MATERIALIZED (SELECT * FROM fr x WHERE {cls.bad_sql(rule)})",
            f"""hist AS (
  SELECT h.xno, h.hist_key,
         string_agg(CAST(h.year AS VARCHAR) || ': ' || {_num('h.v')}, ' · ' ORDER BY h.year) AS history_zh,
         string_agg(CAST(h.year AS VARCHAR) || ': ' || {_num('h.v', 'en')}, ' · ' ORDER BY h.year) AS history_en
  FROM ({cls.hist_sql()}) h SEMI JOIN bad k ON k.xno = h.xno AND k.hist_key = h.hist_key
  GROUP BY ALL)"""]


def _finding_select(b, cls, rule) -> str:
    from checks.rules.sql import lit

    def msg(lang):
        return M.fill_sql(M.sql_text(rule.message[lang]), {
            "label": "coalesce(x.label, x.item, '')", "value": _num("x.value", lang), "ref": _num("x.ref", lang),
            "score": "CAST(round(x.score, 1) AS VARCHAR)", "year": "CAST(x.year AS VARCHAR)",
            "prev_year": "coalesce(CAST(x.prev_year AS VARCHAR), '')", "other": "coalesce(x.other, '')",
            "history": f"coalesce(h.history_{lang}, '')", "suspect": cls.suspect_sql(lang)})
    select = FINDINGS.select({
        "run_id": lit(b.run_id), "code": lit(rule.code), "name": lit(rule.name), "severity": lit(rule.severity),
        "agency": "y.agency", "year": "x.year", "template": "x.template", "item": "x.item", "column": 'x."column"',
        "expected": "round(x.ref, 6)", "actual": "round(x.value, 6)", "delta": "round(x.value - x.ref, 6)",
        "message": msg("zh"), "message_en": msg("en"), "source_file": "y.source_file",
        "report_id": "x.report_id", "exact": "x.value IS NOT NULL AND x.ref IS NOT NULL"})
    return f"""{select}
FROM bad x JOIN yr y ON y.report_id = x.report_id
LEFT JOIN hist h ON h.xno = x.xno AND h.hist_key = x.hist_key"""


def _row(code: str, **exprs: str) -> str:
    """A SELECT list in :data:`PAIR_COLS` order (missing columns NULL)."""
    types = {"code": "VARCHAR", "sub": "VARCHAR", "report_id": "BIGINT", "xno": "BIGINT",
             "year": "INTEGER", "template": "VARCHAR", "item": "VARCHAR", "column": "VARCHAR",
             "label": "VARCHAR", "value": "DOUBLE", "ref": "DOUBLE", "score": "DOUBLE", "gate": "BOOLEAN",
             "hist_key": "VARCHAR", "hist_kind": "VARCHAR", "other": "VARCHAR", "prev_year": "INTEGER",
             "suspect_year": "INTEGER"}
    exprs = {"code": f"'{code}'", "sub": "''", "suspect_year": exprs.get("year", "NULL"), **exprs}
    return "SELECT " + ", ".join(f'CAST({exprs.get(c, "NULL")} AS {types[c]}) AS "{c}"' for c in PAIR_COLS)


def _lags(n: int) -> str:
    v = "CASE WHEN s.n_num > 0 THEN s.value END"
    return ",\n         ".join(f"lag({v}, {i}) OVER w AS p{i}" for i in range(1, n + 1))


SP_SQL = """
  SELECT s.*, CASE WHEN s.n_num > 0 THEN s.value END AS v,
         lag(s.year) OVER w AS prev_year, lag(s.year, 2) OVER w AS prev2_year, lag(s.year, {k}) OVER w AS year_k,
         lead(CASE WHEN s.n_num > 0 THEN s.value END) OVER w AS next, lead(s.year) OVER w AS next_year,
         {lags}
  FROM sv s WINDOW w AS (PARTITION BY s.xno, s.sno ORDER BY s.year)"""
"""Plain lags (one window pass), not framed list aggregates: p1 = last year's value … p6."""
HISTORY_YEARS = 6     # the robust outlier looks at up to this many earlier years
STEADY_YEARS = 3      # appear/vanish: this many consecutive earlier years


def _sp(b) -> str:
    """sp: the series with last year, the year before, next year and the earlier values (made once per run)."""
    from checks.crossyear import base_ctes, shared_cte
    hist = ", ".join(f"p{i}" for i in range(1, HISTORY_YEARS + 1))
    last = ", ".join(f"p{i}" for i in range(1, STEADY_YEARS + 1))
    body = (f"SELECT *, p1 AS prev, p2 AS prev2, [{hist}] AS hist_vals, [{last}] AS last_k FROM ("
            + SP_SQL.format(k=STEADY_YEARS, lags=_lags(HISTORY_YEARS)) + ")")
    return shared_cte(b, "sp", body, base_ctes(b, True))


def _series_common() -> dict:
    return {"report_id": "s.report_id", "xno": "s.xno", "year": "s.year",
            "template": "s.template", "item": "m.series", "column": "'value'", "label": "m.label",
            "hist_key": "m.series", "hist_kind": "'series'"}


SM_JOIN = "JOIN sm m ON m.sno = s.sno"


@register
class YoyRatio(CrossYear):
    """This year / last year ≥ ``params.high`` or ≤ ``params.low``, when |change| ≥ ``params.min_change``."""

    name = "yoy-ratio"

    @classmethod
    def bounds(cls, rule):
        return {"": (_p(rule, "low", 0.2), _p(rule, "high", 5.0), True)}

    @classmethod
    def rows_sql(cls, b, rule):
        m = _p(rule, "min_change", 20)
        lo, hi = cls.bounds(rule)[""][:2]

        def within(a, b_):
            return f"({b_} > 0 AND {a} / {b_} > {lo!r} AND {a} / {b_} < {hi!r})"
        # the year that stands out: this one when next year is back at last year's level; last year when
        # this year is back at the level of the year before; else this one
        suspect = (f"CASE WHEN s.next_year = s.year + 1 AND {within('s.next', 's.prev')} THEN s.year "
                   f"WHEN s.prev2_year = s.year - 2 AND {within('s.v', 's.prev2')} THEN s.prev_year ELSE s.year END")
        sel = _row(rule.code, **_series_common(), value="s.v", ref="s.prev", prev_year="s.prev_year",
                   suspect_year=suspect, score="CASE WHEN s.prev > 0 THEN s.v / s.prev END",
                   gate=f"s.prev > 0 AND s.v > 0 AND abs(s.v - s.prev) >= {m!r}")
        return [_sp(b)], sel + f"\nFROM sp s {SM_JOIN} WHERE s.prev_year = s.year - 1"



@register
class HistoryOutlier(CrossYear):
    """Robust z against the agency's own earlier years: |x − median| / (1.4826·MAD) ≥ ``params.max_score``
    over at least ``params.min_years`` earlier values, when |x − median| ≥ ``params.min_change``. The
    scale has a floor (``params.floor``, and ``params.floor_rel`` × median) so a flat history is not
    a zero divisor."""

    name = "history-outlier"

    @classmethod
    def bounds(cls, rule):
        return {"": (-math.inf, _p(rule, "max_score", 6.0), True)}

    @classmethod
    def rows_sql(cls, b, rule):
        n, m = int(_p(rule, "min_years", 3)), _p(rule, "min_change", 20)
        fl, rel = _p(rule, "floor", 2.0), _p(rule, "floor_rel", 0.25)
        stats = """hx AS (
  SELECT s.*, list_filter(s.hist_vals, lambda q: q IS NOT NULL) AS hv FROM sp s),
hm AS (SELECT *, list_median(hv) AS med FROM hx WHERE len(hv) >= 1),
hs AS (SELECT *, list_median(list_transform(hv, lambda q: abs(q - med))) AS mad FROM hm)"""
        score = f"abs(s.v - s.med) / greatest(1.4826 * s.mad, {fl!r}, {rel!r} * s.med)"
        sel = _row(rule.code, **_series_common(), value="s.v", ref="s.med", score=score,
                   gate=f"len(s.hv) >= {n} AND s.v IS NOT NULL AND abs(s.v - s.med) >= {m!r}",
                   other="'MAD ' || CAST(round(s.mad, 1) AS VARCHAR)")
        return [_sp(b), stats], sel + f"\nFROM hs s {SM_JOIN}"


@register
class AppearVanish(CrossYear):
    """A series non-zero (≥ ``params.min_level``) in each of the last 3 consecutive years becomes blank
    or 0 (sub ``vanish``), or one blank/0 in each of them becomes ≥ ``params.min_change`` (``appear``)."""

    name = "appear-vanish"

    @classmethod
    def bounds(cls, rule):
        return {"vanish": (0.0, math.inf, True), "appear": (-math.inf, _p(rule, "min_change", 20), True)}

    @classmethod
    def rows_sql(cls, b, rule):
        lv = _p(rule, "min_level", 3)
        k = STEADY_YEARS
        steady_on = f"list_min(list_transform(s.last_k, lambda q: coalesce(q, 0))) >= {lv!r}"
        steady_off = "list_max(list_transform(s.last_k, lambda q: coalesce(q, 0))) = 0"
        base = dict(_series_common(), value="s.v", score="coalesce(s.v, 0)", prev_year="s.prev_year",
                    ref="list_median(list_transform(s.last_k, lambda q: coalesce(q, 0)))")
        consecutive = f"s.year_k = s.year - {k}"
        vanish = _row(rule.code, **base, sub="'vanish'", gate=steady_on) + f"\nFROM sp s {SM_JOIN} WHERE {consecutive}"
        appear = _row(rule.code, **base, sub="'appear'", gate=steady_off) + f"\nFROM sp s {SM_JOIN} WHERE {consecutive}"
        return [_sp(b)], f"{vanish}\nUNION ALL\n{appear}"


@register
class PeerOutlier(CrossYear):
    """Robust z against agencies of the same level and region in the same year (at least
    ``params.min_peers`` of them): |x − median| / (1.4826·MAD) ≥ ``params.max_score``."""

    name = "peer-outlier"

    @classmethod
    def bounds(cls, rule):
        return {"": (-math.inf, _p(rule, "max_score", 10.0), True)}

    @classmethod
    def rows_sql(cls, b, rule):
        n, m, fl = int(_p(rule, "min_peers", 8)), _p(rule, "min_change", 50), _p(rule, "floor", 2.0)
        peers = f"""pv AS (SELECT * FROM sv WHERE n_num > 0 AND gno IS NOT NULL),
pg AS (SELECT gno, year, sno, median(value) AS med, count(*) AS n FROM pv GROUP BY ALL HAVING count(*) >= {n}),
pm AS (SELECT p.gno, p.year, p.sno, any_value(g.med) AS med, any_value(g.n) AS n,
              median(abs(p.value - g.med)) AS mad
       FROM pv p JOIN pg g USING (gno, year, sno) GROUP BY ALL)"""
        sel = _row(rule.code, **_series_common(), value="s.value", ref="g.med",
                   score=f"abs(s.value - g.med) / greatest(1.4826 * g.mad, {fl!r})",
                   gate=f"g.n >= {n} AND abs(s.value - g.med) >= {m!r}",
                   other="y.level || ' · ' || y.reg_region || ' · ' || CAST(g.n AS VARCHAR)")
        return [peers], sel + f"\nFROM pv s JOIN pm g USING (gno, year, sno) {SM_JOIN} JOIN yr y ON y.report_id = s.report_id"


# ----------------------------------------------------------------------------- cell pairs

CELL_PAIR = """{name} AS MATERIALIZED (
  SELECT y.xno, y.year, y.template, y.report_id, p.year AS prev_year, p.report_id AS prev_report,
         p.template AS prev_template
  FROM yr y JOIN yr p ON p.xno = y.xno AND p.year = y.year - 1
  WHERE y.template IN ({tpl}) AND p.template IN ({ptpl}))"""


def _pivot(b, name: str, cells: list[tuple[str, str, str, str]]) -> list[str]:
    """``{name}``: one row per (report, key) with a column per role — the cells ``(item, column, key,
    role)`` among the cross-year cells ``xc`` (:data:`checks.crossyear.XC_SQL`)."""
    roles = sorted({r for *_, r in cells})
    t = b.table(f"{name}_cells", [("item", "VARCHAR"), ("column", "VARCHAR"), ("key", "VARCHAR"), ("role", "VARCHAR")],
                cells)
    cols = ",\n         ".join(f"max(c.value) FILTER (WHERE w.role = '{r}') AS {r}" for r in roles)
    return [t, f"""{name}_w AS (
  SELECT w.*, t.wid,
         (SELECT any_value(s.label) FROM specs s WHERE s.item = w.item AND s."column" = w."column") AS label
  FROM {name}_cells w JOIN want t ON t.item = w.item AND t."column" = w."column")""", f"""{name} AS MATERIALIZED (
  SELECT c.report_id, w.key, any_value(w.label) FILTER (WHERE w.role = '{roles[0]}') AS label,
         {cols}
  FROM xc c JOIN {name}_w w ON w.wid = c.wid
  GROUP BY c.report_id, w.key)"""]


@register
class CarryChain(CrossYear):
    """C-01: 上年结转 this year = 结转下年度继续办理 last year, per column (both years v2019/v2021).
    A side that is blank counts as 0 (and the finding is marked inexact); both blank: not judged."""

    name = "carry-chain"
    series = False

    @classmethod
    def bounds(cls, rule):
        return {"": (-math.inf, _p(rule, "tolerance", 0.001), False)}

    @classmethod
    def rows_sql(cls, b, rule):
        cols = ("natural", "commercial", "research", "social", "legal", "other", "total")
        cells = [(f"{t}.s3.{row}", c, c, role) for t in ("v2019", "v2021") for c in cols
                 for row, role in (("carried_over", "a_co"), ("carry_forward", "b_cf"))]
        vals = ", ".join(f"('{c}')" for c in cols)
        sel = _row(rule.code, report_id="k.report_id", xno="k.xno", year="k.year",
                   template="k.template", item="k.template || '.s3.carried_over'", column="col.c",
                   # this year's cell may be absent (judged as 0): its label comes from the template
                   label="coalesce(a.label, (SELECT any_value(s.label) FROM specs s "
                         "WHERE s.item = k.template || '.s3.carried_over' AND s.\"column\" = col.c))",
                   value="a.a_co", ref="z.b_cf", prev_year="k.prev_year",
                   score="abs(coalesce(a.a_co, 0) - coalesce(z.b_cf, 0))",
                   gate="a.a_co IS NOT NULL OR z.b_cf IS NOT NULL",
                   hist_key="col.c", hist_kind="'cell'")
        pair = CELL_PAIR.format(name="cp", tpl="'v2019', 'v2021'", ptpl="'v2019', 'v2021'")
        return [pair, *_pivot(b, "chainv", cells)], f"""{sel}
FROM cp k CROSS JOIN (VALUES {vals}) col(c)
LEFT JOIN chainv a ON a.report_id = k.report_id AND a.key = col.c
LEFT JOIN chainv z ON z.report_id = k.prev_report AND z.key = col.c"""

    @classmethod
    def hist_sql(cls):
        return "SELECT y.xno, c.key AS hist_key, y.year, c.b_cf AS v FROM chainv c JOIN yr y USING (report_id)"

    @classmethod
    def suspect_sql(cls, lang):
        if lang == "zh":
            return "CAST(x.year AS VARCHAR) || ' 年的上年结转或 ' || CAST(x.prev_year AS VARCHAR) || ' 年的结转下年度'"
        return ("'the ' || CAST(x.year AS VARCHAR) || ' carried-over or the ' || CAST(x.prev_year AS VARCHAR) "
                "|| ' carried-forward figure'")


class StockFlow(CrossYear):
    """Base of N-11/N-12: a stock this year against last year's stock and the flows.

    :attr:`columns` are the grid columns read (``a_`` roles), :meth:`expected` the SQL of the expected
    stock over ``a`` (this year's row) and ``z`` (last year's)."""

    series = False
    template = ""
    stock = ""
    columns: tuple[str, ...] = ()

    @classmethod
    def bounds(cls, rule):
        return {"": (-math.inf, _p(rule, "tolerance", 0.001), False)}

    @classmethod
    def rows_sql(cls, b, rule):
        rows = list(rule.target.get("rows") or [])
        t = cls.template
        cells = [(f"{t}.{r}.{c}", "value", r, f"{'a' if c == cls.stock else 'b'}_{c}") for r in rows for c in cls.columns]
        vals = ", ".join(f"('{r}')" for r in rows)
        expect = cls.expected()
        sel = _row(rule.code, report_id="k.report_id", xno="k.xno", year="k.year",
                   template="k.template", item=f"k.template || '.' || rw.r || '.{cls.stock}'", column="'value'",
                   label="a.label", value=f"a.a_{cls.stock}", ref=expect, prev_year="k.prev_year",
                   score=f"abs(a.a_{cls.stock} - ({expect}))",
                   gate=f"a.a_{cls.stock} IS NOT NULL AND z.a_{cls.stock} IS NOT NULL",
                   hist_key="rw.r", hist_kind="'cell'")
        pair = CELL_PAIR.format(name=f"cp_{t}", tpl=f"'{t}'", ptpl=f"'{t}'")
        return [pair, *_pivot(b, f"stock_{t}", cells)], f"""{sel}
FROM cp_{t} k CROSS JOIN (VALUES {vals}) rw(r)
LEFT JOIN stock_{t} a ON a.report_id = k.report_id AND a.key = rw.r
LEFT JOIN stock_{t} z ON z.report_id = k.prev_report AND z.key = rw.r"""

    @classmethod
    def hist_sql(cls):
        t = cls.template
        return f"SELECT y.xno, c.key AS hist_key, y.year, c.a_{cls.stock} AS v FROM stock_{t} c JOIN yr y USING (report_id)"


@register
class CountCarries(StockFlow):
    """N-11 (v2019): 上一年项目数量 this year = 上一年项目数量 + 本年增/减 of last year."""

    name = "count-carries"
    template, stock, columns = "v2019", "prev_count", ("prev_count", "change")

    @classmethod
    def expected(cls):
        return "z.a_prev_count + coalesce(z.b_change, 0)"


@register
class StockBalance(StockFlow):
    """N-12 (v2021): 现行有效件数 this year ≈ last year's + 本年制发 − 本年废止 (within ``params.tolerance``)."""

    name = "stock-balance"
    template, stock, columns = "v2021", "in_force", ("in_force", "issued", "repealed")

    @classmethod
    def expected(cls):
        return "z.a_in_force + coalesce(a.b_issued, 0) - coalesce(a.b_repealed, 0)"


@register
class CopiedTable(CrossYear):
    """L-05: the same numeric vector (every cell: its number, blank and 不适用 as 0, text as written) as the
    agency's previous-year report, or as another agency's report of the same year; tables with fewer
    than ``params.min_nonzero`` non-zero numbers are not judged. ``score`` = how many such reports."""

    name = "copied-table"
    series = False

    @classmethod
    def bounds(cls, rule):
        return {"": (-math.inf, 1.0, True)}

    @classmethod
    def rows_sql(cls, b, rule):
        nz = int(_p(rule, "min_nonzero", 8))
        vec = """vec AS MATERIALIZED (
  SELECT y.report_id, y.xno, y.year, y.template, y.agency,
         sum(CAST(hash(c.item, c."column", CASE WHEN c.state = 'TEXT' THEN NULL ELSE coalesce(c.value, 0) END,
                       CASE WHEN c.state = 'TEXT' THEN c.raw END) AS HUGEINT)) AS h,
         count(*) FILTER (WHERE c.value <> 0) AS nz, count(*) AS n
  FROM yr y JOIN cells c ON c.report_id = y.report_id
  GROUP BY ALL)"""
        same = f"""vsame AS (
  SELECT v.report_id,
         count(*) AS n_same,
         string_agg(CASE WHEN o.xno = v.xno THEN CAST(o.year AS VARCHAR) || ' 年本机关报告'
                         ELSE o.agency || ' ' || CAST(o.year AS VARCHAR) || ' 年报告' END, '、' ORDER BY o.year, o.agency) AS other
  FROM vec v JOIN vec o ON o.h = v.h AND o.template = v.template AND o.report_id <> v.report_id
   AND ((o.xno = v.xno AND o.year = v.year - 1) OR (o.xno <> v.xno AND o.year = v.year))
  WHERE v.nz >= {nz}
  GROUP BY v.report_id)"""
        sel = _row(rule.code, report_id="v.report_id", xno="v.xno", year="v.year",
                   template="v.template", label="v.template", value="v.nz", ref="CAST(NULL AS DOUBLE)",
                   score="coalesce(s.n_same, 0)", gate=f"v.nz >= {nz}", other="s.other",
                   hist_key="'copied'", hist_kind="'none'")
        return [vec, same], f"{sel}\nFROM vec v LEFT JOIN vsame s USING (report_id)"

    @classmethod
    def hist_sql(cls):
        return "SELECT xno, 'copied' AS hist_key, year, nz AS v FROM vec"


def _name(cte: str) -> str:
    return cte.split(" AS", 1)[0].strip()


def _merge(ctes: list[str], more: list[str]) -> list[str]:
    """CTEs of several rules together: the first definition of each name wins."""
    have = {_name(c) for c in ctes}
    return ctes + [c for c in more if _name(c) not in have and not have.add(_name(c))]


def pair_frame_sql(b, rules) -> str:
    """The pair frame of every cross-year rule in ``rules``: one query, the union of each rule's rows."""
    from checks.rules import catalogue as C

    mine = [r for r in rules if C.kind_of(r).frame == "pairs"]
    if not mine:
        return ("SELECT NULL AS instance_id, " + ", ".join(f'NULL AS "{c}"' for c in PAIR_COLS)
                + ", NULL AS agency WHERE FALSE")
    ctes: list[str] = []
    sels: list[str] = []
    for r in mine:
        c, s = C.kind_of(r).frame_ctes(b, [r])
        ctes = _merge(ctes, c)
        sels += s
    body = "\nUNION ALL\n".join(f"SELECT * FROM ({s})" for s in sels)
    return b.wrap(ctes, f"SELECT row_number() OVER () AS instance_id, u.*, y.agency FROM ({body}) u "
                        "JOIN yr y ON y.report_id = u.report_id")


def pair_frame(con, catalogue=None):
    """The pair frame of every enabled cross-year rule (a pandas frame, :data:`PAIR_COLS` + ``instance_id``):
    what the GX and pandera backends validate. ``gate`` is boolean; ``score`` NaN where undefined."""
    from checks.rules import catalogue as C
    from checks.rules.sql import Builder

    catalogue = catalogue or C.load_catalogue()
    b = Builder(catalogue, con=con)
    try:
        df = con.execute(pair_frame_sql(b, catalogue.enabled())).df()
    finally:
        b.drop_temp()
    df["gate"] = df["gate"].fillna(False).astype(bool)
    for c in ("sub", "item", "column"):
        df[c] = df[c].astype(object).where(df[c].notna(), None)
    df["sub"] = df["sub"].fillna("")
    return df.astype({"report_id": "int64", "year": "int64", "instance_id": "int64", "score": "float64"})
