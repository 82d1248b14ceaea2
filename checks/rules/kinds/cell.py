"""Per-cell kinds: a condition on one cell at a time (its state, value, raw text and flags).

A kind gives its predicate twice — :meth:`CellKind.bad_sql` over the cell ``c`` and its rule row ``k``
(flags ``money``, ``signed``, parameter ``p_max``), and :meth:`CellKind.bad_frame` over the
structure frame for pandera — and which cells it looks at (:meth:`CellKind.targets`, default the
rule's ``target.cells``). All rules of one kind run as one query.

A kind with a structure-frame check gives GX the same judgement as built-in expectations on that frame
(:attr:`CellKind.gx_checks`, made into suite entries by :func:`frame_expectations`): each expectation is
restricted by a ``row_condition`` to the structure rows (``frame == "structure"``) of one template and
the cells the predicate is about, and GX itself tests the values. A kind that needs a column the frame
does not carry derives it from the frame (:meth:`CellKind.gx_columns`, e.g. a value rounded to a whole
number, so that GX compares it with the value).
"""

from __future__ import annotations

from checks.rules import catalogue as C
from checks.rules import messages as M
from checks.rules.kinds import Kind, register
from checks.tables import FINDINGS

CELL_RULE_COLS = [("sid", "INTEGER"), ("code", "VARCHAR"), ("name", "VARCHAR"), ("severity", "VARCHAR"),
                  ("template", "VARCHAR"), ("variant", "VARCHAR"), ("item", "VARCHAR"), ("column", "VARCHAR"),
                  ("tbl", "VARCHAR"), ("section", "VARCHAR"), ("money", "BOOLEAN"), ("signed", "BOOLEAN"),
                  ("p_max", "DOUBLE"), ("msg_zh", "VARCHAR"), ("msg_en", "VARCHAR")]


GX_FRAME = "structure"
"""The ``frame`` column's value on the structure rows of the frame GX validates (:mod:`checks.gx`)."""

GXCheck = tuple[str, dict, tuple[tuple[str, str, object], ...]]
"""(GX expectation type, its kwargs, row conditions (column, operator, parameter)) on the structure frame."""


def _condition(column: str, operator: str, parameter) -> dict:
    if operator in ("IS NULL", "IS NOT NULL"):
        return {"type": "nullity", "column": {"name": column}, "is_null": operator == "IS NULL"}
    return {"type": "comparison", "column": {"name": column}, "operator": operator, "parameter": parameter}


def frame_expectations(rule, template: str, checks: tuple[GXCheck, ...]) -> list[dict]:
    """Suite entries of ``checks`` for one rule and template: each restricted to the structure rows of the
    template (and its own conditions); ``meta`` names the rule and the frame its failing rows come from."""
    if template not in rule.templates:
        return []
    out = []
    for i, (kind, kwargs, where) in enumerate(checks):
        cond = [_condition("frame", "==", GX_FRAME), _condition("template", "==", template),
                *(_condition(*w) for w in where)]
        out.append({"type": kind, "kwargs": {**kwargs, "row_condition": {"type": "and", "conditions": cond}},
                    "meta": {"code": rule.code, "name": rule.name, "kind": rule.kind, "severity": rule.severity,
                             "frame": GX_FRAME, "check": i + 1}})
    return out


NUMBER_CELL = (("known", "==", True), ("heading", "==", False))
"""Row conditions: a cell of the template that is not a heading (as ``_number_cell``)."""


class StructureFrameGX:
    """Mixin of the kinds judged on the structure frame: their GX expectations are
    :attr:`gx_checks` restricted to the rule's cells of one template (:func:`frame_expectations`)."""

    frame: str | None = None
    gx_checks: tuple[GXCheck, ...] = ()

    @classmethod
    def gx_columns(cls) -> dict:
        """{column: function of the structure frame} the kind's GX expectations need beyond the frame."""
        return {}

    @classmethod
    def gx_expectations(cls, rule, template: str) -> list[dict]:
        if cls.frame != "structure":
            return []
        return frame_expectations(rule, template, cls.gx_checks)


class CellKind(StructureFrameGX, Kind):
    """Base of the per-cell kinds."""

    family = "cell"
    placeholders = frozenset({"label", "domain", "value", "raw", "state"})
    exact = True
    """False: the finding is about a cell without a number (its ``exact`` is false)."""
    needs_status = False

    bad: str = ""
    """SQL over ``c`` (the cell) and ``k`` (the rule × cell row): the cell fails."""

    @classmethod
    def bad_sql(cls) -> str:
        """SQL over ``c`` (the cell) and ``k`` (the rule × cell row): the cell fails (default :attr:`bad`)."""
        return cls.bad

    @classmethod
    def bad_frame(cls, df, rule):
        """pandas over the structure frame (known template cells, no headings unless asked): the cell fails."""
        raise NotImplementedError

    gx_checks: tuple[GXCheck, ...] = ()
    """The GX expectations that together judge what :meth:`bad_frame` judges (a row fails the rule when
    it fails any of them)."""

    @classmethod
    def targets(cls, b, rule, template: str, variant: str):
        """(Cell, Row, Column, CellSpec) of the cells the rule looks at in one template and variant."""
        return C.cell_targets(rule, C.T.load(template), variant)

    @classmethod
    def validate(cls, rule) -> None:
        for tid in rule.templates:
            C.cell_targets(rule, C.T.load(tid), "")

    @classmethod
    def pandera_check(cls, rule):
        if cls.frame is None:
            return None
        import pandera.pandas as pa

        def fn(df):
            return ~(df["template"].isin(rule.templates) & cls.bad_frame(df, rule))
        return pa.Check(fn, name=rule.code, error=rule.code)

    @classmethod
    def sql(cls, b, rules) -> list[tuple[str, str]]:
        from checks.rules.sql import lit, spec_lookup

        rows = []
        specs = spec_lookup()
        for r in rules:
            for tid in r.templates:
                for v in C.variants_of(tid):
                    for cell, _row, _col, _spec in cls.targets(b, r, tid, v):
                        s = specs[(tid, v, cell.item, cell.column)]
                        zh = M.fill(r.message["zh"], {"label": cell.label, "domain": s["domain"]})
                        en = M.fill(r.message["en"], {"label": cell.label_en, "domain": s["domain_en"]})
                        rows.append((int(s["sid"]), r.code, r.name, r.severity, tid, v, cell.item, cell.column,
                                     cell.tbl, cell.section, bool(s["money"]), bool(s["signed"]),
                                     float(r.params.get("max", 0) or 0), zh, en))
        cr = b.table("cr", CELL_RULE_COLS, rows)
        ctes = b.prelude({"status"} if cls.needs_status else set()) + [cr]
        join_b = ("LEFT JOIN blocked b ON b.report_id = r.report_id AND b.tbl = k.tbl AND b.section = k.section"
                  if cls.needs_status else "")
        values = {"value": M.number_sql("c.value"), "raw": "c.raw"}
        select = FINDINGS.select({
            "run_id": lit(b.run_id), "code": "k.code", "name": "k.name", "severity": "k.severity",
            "agency": "r.agency", "year": "r.year", "template": "r.template", "item": "k.item",
            "column": 'k."column"', "actual": "c.value",
            "message": M.fill_sql("k.msg_zh", {**values, "state": M.state_text_sql("c", "zh")}),
            "message_en": M.fill_sql("k.msg_en", {**values, "state": M.state_text_sql("c", "en")}),
            "source_file": "coalesce(c.source_file, r.source_file)", "source_line": "c.source_line",
            "report_id": "r.report_id", "exact": lit(cls.exact)})
        body = f"""{select}
FROM cx c
JOIN cr k ON k.sid = c.sid
JOIN reps r ON r.report_id = c.report_id
{join_b}
WHERE {cls.bad_sql()}"""
        return [(",".join(r.code for r in rules), b.wrap(ctes, body))]


def _number_cell(df):
    return df["known"] & ~df["heading"]


@register
class ValueDomain(CellKind):
    """A count is a whole number ≥ 0 (money: any number ≥ 0; a signed cell may be negative)."""

    name, frame = "value-domain", "structure"
    bad = "c.value IS NOT NULL AND ((c.value < 0 AND NOT k.signed) OR (NOT k.money AND c.value <> round(c.value)))"
    gx_checks = (
        ("expect_column_values_to_be_between", {"column": "value", "min_value": 0},
         (*NUMBER_CELL, ("signed", "==", False))),
        ("expect_column_pair_values_to_be_equal", {"column_A": "value", "column_B": "value_whole"},
         (*NUMBER_CELL, ("money", "==", False), ("value", "IS NOT NULL", None))))

    @classmethod
    def gx_columns(cls) -> dict:
        return {"value_whole": lambda df: df["value"].round()}

    @classmethod
    def bad_frame(cls, df, rule):
        v = df["value"]
        return _number_cell(df) & v.notna() & (((v < 0) & ~df["signed"]) | (~df["money"] & (v != v.round())))


@register
class NotText(CellKind):
    """A number cell holds text (详见附表, 略, a date)."""

    name, frame = "not-text", "structure"
    bad = "c.state = 'TEXT'"
    gx_checks = (("expect_column_values_to_not_be_in_set", {"column": "state", "value_set": ["TEXT"]}, NUMBER_CELL),)
    bad_frame = classmethod(lambda cls, df, rule: _number_cell(df) & df["state"].fillna("").eq("TEXT"))


@register
class HeadingHasValue(CellKind):
    """A heading row carries a number (it may belong to a neighbouring row); never moved."""

    name, frame = "heading-has-value", "structure"
    bad = "(c.state IN ('NUMERIC', 'ZERO') OR (c.state = 'TEXT' AND regexp_matches(c.raw, '[0-9０-９]')))"
    gx_checks = (
        ("expect_column_values_to_not_be_in_set", {"column": "state", "value_set": ["NUMERIC", "ZERO"]},
         (("heading", "==", True),)),
        ("expect_column_values_to_not_match_regex", {"column": "raw_words", "regex": "[0-9０-９]"},
         (("heading", "==", True), ("state", "==", "TEXT"))))

    @classmethod
    def gx_columns(cls) -> dict:
        # the raw text GX tests (and may show in Data Docs): its words and digits, every other character
        # (markup, quotes, invisible and right-to-left characters) a space, so nothing in it is live
        return {"raw_words": lambda df: df["raw"].str.replace(r"[^\w]+", " ", regex=True)}

    @classmethod
    def bad_frame(cls, df, rule):
        state = df["state"].fillna("")
        digits = df["raw"].fillna("").str.contains(r"[0-9０-９]", regex=True)
        return df["heading"] & (state.isin(["NUMERIC", "ZERO"]) | (state.eq("TEXT") & digits))


@register
class MoneyUnit(CellKind):
    """A 万元 cell written in 元, or implausibly large (``params.max``)."""

    name = "money-unit"
    bad = ("c.value IS NOT NULL AND (coalesce(c.raw_unit, '') = '元' "
           "OR (c.raw LIKE '%元%' AND c.raw NOT LIKE '%万元%') OR c.value > k.p_max)")


@register
class BlankCell(CellKind):
    """Blank (空, 不适用) cells that take part in a comparison: recorded, never silently 0 (strict mode only).

    One finding per report and table (section): item = the section code, column NULL, ``actual`` =
    how many of its cells are blank, the message lists them (``{cells}``: label and state; the first
    :data:`~checks.rules.messages.LISTED_CELLS` in the table's order, then how many in all), so a
    blank-heavy report gives a handful of rows instead of one per cell. Cells of a table that is
    blank altogether are left to ``B-02``/``B-03``.
    """

    name, exact, needs_status = "blank-cell", False, True
    placeholders = frozenset({"label", "n", "cells"})
    bad = "c.state IN ('EMPTY', 'NA') AND b.report_id IS NULL"

    @classmethod
    def targets(cls, b, rule, template, variant):
        cells = b.comparison_cells()
        return [x for x in C.geometry(template, variant).cells() if (template, variant, *x[0].key) in cells]

    @classmethod
    def sql(cls, b, rules):
        from checks.rules.sql import lit, spec_lookup

        if b.lenient:
            return []
        rows = []
        specs = spec_lookup()
        for r in rules:
            for tid in r.templates:
                for v in C.variants_of(tid):
                    for cell, _row, _col, _spec in cls.targets(b, r, tid, v):
                        s = specs[(tid, v, cell.item, cell.column)]
                        rows.append((int(s["sid"]), r.code, r.name, r.severity, tid, v, cell.item, cell.column,
                                     cell.tbl, cell.section, bool(s["money"]), bool(s["signed"]), 0.0,
                                     cell.label, cell.label_en))
        cr = b.table("cr", CELL_RULE_COLS, rows)
        msgs = {r.code: r.message for r in rules}
        # The cell list of a finding is built once per distinct pattern of blank cells (which cells, in
        # what state), not once per report: reports repeat patterns (at 100,000 reports: 167,000
        # sections with blanks, 7,000 patterns), and building the text was most of this rule's time.
        grp = f"""bc AS (
  SELECT c.report_id, k.code, k.section, c.sid, c.state, c.raw, c.source_line, c.source_file
  FROM cx c
  JOIN cr k ON k.sid = c.sid
  LEFT JOIN blocked b ON b.report_id = c.report_id AND b.tbl = k.tbl AND b.section = k.section
  WHERE {cls.bad_sql()}),
frag AS MATERIALIZED (
  SELECT row_number() OVER () AS fid, f.*,
         k.msg_zh || '（' || {M.state_text_sql("f", "zh")} || '）' AS zh,
         k.msg_en || ' (' || {M.state_text_sql("f", "en")} || ')' AS en
  FROM (SELECT DISTINCT code, sid, state, raw FROM bc) f JOIN cr k ON k.code = f.code AND k.sid = f.sid),
grp AS MATERIALIZED (
  SELECT c.report_id, c.code, c.section, list(f.fid ORDER BY c.sid) AS fids, any_value(c.sid) AS a_sid,
         count(*) AS n, min(c.source_line) AS source_line, any_value(c.source_file) AS source_file
  FROM bc c JOIN frag f ON f.code = c.code AND f.sid = c.sid AND f.state = c.state AND f.raw = c.raw
  GROUP BY c.report_id, c.code, c.section),
fz AS (SELECT list(zh ORDER BY fid) AS zh, list(en ORDER BY fid) AS en FROM frag),
pats AS MATERIALIZED (
  SELECT d.fids, {M.cell_list_sql("zh", "d.fids", "fz.zh[x]", "；")} AS cells_zh,
         {M.cell_list_sql("en", "d.fids", "fz.en[x]", "; ")} AS cells_en
  FROM (SELECT DISTINCT fids FROM grp) d, fz),
named AS (
  SELECT g.report_id, g.code, g.section, g.n, g.source_line, g.source_file, p.cells_zh, p.cells_en,
         s.section_label AS label, s.section_label_en AS label_en
  FROM grp g JOIN pats p ON p.fids = g.fids JOIN specs s ON s.sid = g.a_sid)"""

        def msg(lang: str) -> str:
            exprs = {"label": "g.label" if lang == "zh" else "g.label_en", "n": "CAST(g.n AS VARCHAR)",
                     "cells": f"g.cells_{lang}"}
            arms = " ".join(f"WHEN {lit(code)} THEN {M.fill_sql(M.sql_text(m[lang]), exprs)}"
                            for code, m in msgs.items())
            return f"CASE g.code {arms} END"
        select = FINDINGS.select({
            "run_id": lit(b.run_id), "code": "g.code",
            "name": "CASE g.code " + " ".join(f"WHEN {lit(r.code)} THEN {lit(r.name)}" for r in rules) + " END",
            "severity": "CASE g.code " + " ".join(f"WHEN {lit(r.code)} THEN {lit(r.severity)}" for r in rules) + " END",
            "agency": "r.agency", "year": "r.year", "template": "r.template", "item": "g.section",
            "column": "NULL", "actual": "g.n", "message": msg("zh"), "message_en": msg("en"),
            "source_file": "coalesce(g.source_file, r.source_file)", "source_line": "g.source_line",
            "report_id": "r.report_id", "exact": lit(False)})
        ctes = b.prelude({"status"}) + [cr, grp]
        return [(",".join(r.code for r in rules), b.wrap(ctes, f"{select}\nFROM named g JOIN reps r USING (report_id)"))]
