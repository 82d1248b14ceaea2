"""Structure kinds: the shape of a report — parts present, tables filled, totals filled over their parts.

They read the table status (``tstat``: per report and table/section, how many of its cells are
present and hold something) that the SQL prelude makes once per run; pandera reads the same facts
from the structure frame (``section_present``, ``tbl_blank``, ``report_blank``, ``known``), and so does GX:
each kind's :attr:`Structure.gx_checks` are built-in expectations on those columns, restricted to the
structure rows of one template (:func:`checks.rules.kinds.cell.frame_expectations`). A missing section or
row is a row of the frame (every expected cell of a report is one, present or not), so GX sees it.
"""

from __future__ import annotations

import pandas as pd

from checks.rules import catalogue as C
from checks.rules import messages as M
from checks.rules.kinds import PerRule, register
from checks.rules.kinds.cell import NUMBER_CELL, GXCheck, StructureFrameGX
from checks.tables import FINDINGS


class Structure(StructureFrameGX, PerRule):
    """Base of the structure kinds; each rule is one query."""

    family = "structure"
    frame = "structure"

    gx_checks: tuple[GXCheck, ...] = ()
    """The GX expectations that together judge what :meth:`ok_frame` judges (a row fails the rule when it
    fails any of them)."""

    @classmethod
    def ok_frame(cls, df):
        """pandas over the structure frame: the row passes."""
        raise NotImplementedError

    @classmethod
    def pandera_check(cls, rule):
        if cls.frame is None:
            return None
        import pandera.pandas as pa

        def fn(df):
            return cls.ok_frame(df) | ~df["template"].isin(rule.templates)
        return pa.Check(fn, name=rule.code, error=rule.code)


def _select(b, rule, exprs: dict[str, str]) -> str:
    from checks.rules.sql import lit

    return FINDINGS.select({"run_id": lit(b.run_id), "code": lit(rule.code), "name": lit(rule.name),
                            "severity": lit(rule.severity), "agency": "r.agency", "year": "r.year",
                            "template": "r.template", "report_id": "r.report_id", **exprs})


def _templates(rule) -> str:
    from checks.rules.sql import lit

    return ", ".join(lit(t) for t in rule.templates)


# ----------------------------------------------------------------------------- coverage kinds

class Coverage(Structure):
    """A part of the report (section, table, the whole report) judged from its cell counts."""

    placeholders = frozenset({"label"})
    where: str = ""         # SQL over tstat t
    key: str = ""           # the finding's item
    label: str = ""         # the part's label (from specs s)
    label_en: str = ""      # its English label
    key_column: str | None = None   # structure frame column naming the part

    @classmethod
    def rule_sql(cls, b, rule) -> str:
        part = f"""part AS (
  SELECT t.report_id, {cls.key} AS item, any_value({cls.label}) AS label,
         any_value({cls.label_en or cls.label}) AS label_en
  FROM tstat t JOIN reps r USING (report_id)
  JOIN specs s ON s.template = r.template AND s.variant = r.variant AND s.tbl = t.tbl AND s.section = t.section
  WHERE {cls.where} AND r.template IN ({_templates(rule)})
  GROUP BY ALL)"""
        select = _select(b, rule, {
            "item": "p.item", "message": M.fill_sql(M.sql_text(rule.message["zh"]), {"label": "p.label"}),
            "message_en": M.fill_sql(M.sql_text(rule.message["en"]), {"label": "coalesce(p.label_en, p.item, '')"}),
            "source_file": "r.source_file"})
        return b.wrap(b.prelude({"status"}) + [part], f"{select}\nFROM part p JOIN reps r USING (report_id)")

    @classmethod
    def fold(cls, rule, rows):
        keys = rows[["report_id"]].assign(item=rows[cls.key_column] if cls.key_column else None)
        return keys.drop_duplicates().assign(column=None)


@register
class RequiredSection(Coverage):
    """A section (table) of the form is missing altogether: one finding, never read as zeros."""

    name = "required-section"
    where = "t.sec_present = 0 AND t.rep_present > 0"
    key, label, key_column = "t.section", "s.section_label", "section"
    label_en = "s.section_label_en"
    gx_checks = (("expect_column_values_to_be_in_set", {"column": "section_present", "value_set": [True]},
                  NUMBER_CELL),)

    @classmethod
    def ok_frame(cls, df):
        return ~df["known"] | df["heading"] | df["section_present"]


@register
class BlankTable(Coverage):
    """A table whose every cell is blank or not applicable: one finding for the table."""

    name = "blank-table"
    where = "t.tbl_present > 0 AND t.tbl_filled = 0 AND t.rep_filled > 0"
    key, label, key_column = "t.tbl", "s.tbl_label", "tbl"
    label_en = "s.tbl_label_en"
    gx_checks = (("expect_column_values_to_be_in_set", {"column": "tbl_blank", "value_set": [False]},
                  (("known", "==", True), ("report_blank", "==", False))),)

    @classmethod
    def ok_frame(cls, df):
        return ~(df["known"] & df["tbl_blank"] & ~df["report_blank"])


@register
class BlankReport(Coverage):
    """A report with no number in any table: one finding for the report."""

    name = "blank-report"
    placeholders = frozenset()
    where = "t.rep_present > 0 AND t.rep_filled = 0"
    key, label = "CAST(NULL AS VARCHAR)", "''"
    gx_checks = (("expect_column_values_to_be_in_set", {"column": "report_blank", "value_set": [False]}, ()),)

    @classmethod
    def ok_frame(cls, df):
        return ~df["report_blank"]


# ------------------------------------------------------------------------------ rows and cells

@register
class RequiredRow(Structure):
    """A row (or one cell of a row) of a present section is missing, or a row the template lacks is there."""

    name = "required-row"
    placeholders = frozenset({"label", "item", "column", "raw_label", "raw"})
    gx_checks = (
        ("expect_column_values_to_be_in_set", {"column": "known", "value_set": [True]}, ()),
        ("expect_column_values_to_not_be_null", {"column": "state"},
         (*NUMBER_CELL, ("section_present", "==", True))))

    @classmethod
    def ok_frame(cls, df):
        return df["known"] & (df["state"].notna() | df["heading"] | ~df["section_present"])

    @classmethod
    def fold(cls, rule, rows):
        unknown = rows[~rows["known"]][["report_id", "item", "column"]]
        known = rows[rows["known"]]
        n = known.groupby(["report_id", "row_code"])["item"].transform("size")
        whole = known[n == known["row_cells"]][["report_id", "row_code"]].drop_duplicates()
        whole = whole.rename(columns={"row_code": "item"}).assign(column=None)
        part = known[n < known["row_cells"]][["report_id", "item", "column"]]
        return pd.concat([whole, part, unknown], ignore_index=True)

    @classmethod
    def rule_sql(cls, b, rule) -> str:
        mz, me = rule.message["zh"], rule.message["en"]
        miss = f"""present AS (
  SELECT c.report_id, s.row_code, count(*) AS n
  FROM cx c JOIN specs s ON s.sid = c.sid
  WHERE NOT s.heading
  GROUP BY ALL),
srows AS (SELECT DISTINCT template, variant, row_code, row_label, row_label_en, row_cells, tbl, section FROM specs
          WHERE NOT heading),
short AS MATERIALIZED (
  SELECT r.report_id, r.template, r.variant, w.row_code, w.row_label, w.row_label_en, coalesce(p.n, 0) AS n_present
  FROM reps r JOIN srows w ON w.template = r.template AND w.variant = r.variant
  LEFT JOIN present p ON p.report_id = r.report_id AND p.row_code = w.row_code
  JOIN tstat t ON t.report_id = r.report_id AND t.tbl = w.tbl AND t.section = w.section
  WHERE coalesce(p.n, 0) < w.row_cells AND t.sec_present > 0 AND r.template IN ({_templates(rule)}))"""
        unknown = {"item": "c.item", "column": 'c."column"', "raw_label": "coalesce(c.label, '')", "raw": "c.raw"}

        def msg(m: dict, which: str, exprs: dict) -> str:
            return M.fill_sql(M.sql_text(m[which]), exprs)
        found = f"""found AS (
  SELECT report_id, row_code AS item, CAST(NULL AS VARCHAR) AS "column",
         {msg(mz, 'row', {'label': 'row_label'})} AS message, {msg(me, 'row', {'label': 'row_label_en'})} AS message_en,
         CAST(NULL AS INTEGER) AS source_line, CAST(NULL AS VARCHAR) AS source_file
  FROM short WHERE n_present = 0
  UNION ALL
  SELECT w.report_id, s.item, s."column", {msg(mz, 'cell', {'label': 's.label'})},
         {msg(me, 'cell', {'label': 's.label_en'})}, NULL, NULL
  FROM short w
  JOIN specs s ON s.template = w.template AND s.variant = w.variant AND s.row_code = w.row_code
  ANTI JOIN cx c ON c.report_id = w.report_id AND c.sid = s.sid
  WHERE w.n_present > 0
  UNION ALL
  SELECT r.report_id, c.item, c."column", {msg(mz, 'unknown', unknown)}, {msg(me, 'unknown', unknown)},
         c.source_line, c.source_file
  FROM cx c JOIN reps r ON r.report_id = c.report_id
  WHERE c.sid IS NULL AND r.template IN ({_templates(rule)}))"""
        select = _select(b, rule, {"item": "f.item", "column": 'f."column"', "message": "f.message",
                                   "message_en": "f.message_en",
                                   "source_file": "coalesce(f.source_file, r.source_file)",
                                   "source_line": "f.source_line"})
        return b.wrap(b.prelude({"status"}) + [miss, found], f"{select}\nFROM found f JOIN reps r USING (report_id)")


@register
class ParentFilled(Structure):
    """A blank 总计 (sum_of) or 其中 parent (includes) over parts that hold numbers."""

    name = "parent-filled"
    placeholders = frozenset({"label", "state", "child_values"})
    frame = None

    @classmethod
    def rule_sql(cls, b, rule) -> str:
        from checks.rules.sql import lit, sid

        f = C.parent_pairs().copy()
        f = f[f["template"].isin(rule.templates)]
        f["p_sid"] = [sid(*k) for k in zip(f["template"], f["variant"], f["p_item"], f["p_column"])]
        f["c_sid"] = [sid(*k) for k in zip(f["template"], f["variant"], f["c_item"], f["c_column"])]
        inc_sev = rule.severity if rule.severity_overridden else rule.params.get("includes_severity", "warning")
        cols = ["p_sid", "c_sid", "p_item", "p_column", "c_item", "c_column", "relation", "pos", "label",
                "label_en", "child_label", "child_code"]
        pairs = b.table("pairs", [(c, "INTEGER" if c in ("p_sid", "c_sid", "pos") else "VARCHAR") for c in cols],
                        f[cols].itertuples(index=False, name=None))
        # blank parents and non-zero children are each filtered from the cells first, then matched; the
        # few candidate reports' cells (sub) are all the message needs: no join of the whole cells with itself
        cand = """bp AS MATERIALIZED (
  SELECT pc.report_id, p.p_sid, p.c_sid, p.relation
  FROM cx pc JOIN pairs p ON p.p_sid = pc.sid
  WHERE pc.state IN ('EMPTY', 'NA')),
nz AS MATERIALIZED (
  SELECT cc.report_id, cc.sid FROM cx cc
  WHERE cc.value <> 0 AND cc.sid IN (SELECT c_sid FROM pairs) AND cc.report_id IN (SELECT report_id FROM bp)),
cand AS MATERIALIZED (
  SELECT DISTINCT bp.report_id, bp.p_sid, bp.relation
  FROM bp JOIN nz ON nz.report_id = bp.report_id AND nz.sid = bp.c_sid),
sub AS MATERIALIZED (SELECT * FROM cx WHERE report_id IN (SELECT report_id FROM cand))"""
        kids = ",\n         ".join(
            f"string_agg(p.child_{n} || ' ' || {M.number_sql('cc.value')}, ' + ' ORDER BY p.pos) "
            f"FILTER (WHERE cc.value IS NOT NULL) AS kids_{lang}" for lang, n in (("zh", "label"), ("en", "code")))
        grp = f"""grp AS (
  SELECT r.report_id, p.p_item, p.p_column, p.relation, any_value(p.label) AS label,
         any_value(p.label_en) AS label_en, any_value(pc.state) AS state, any_value(pc.raw) AS raw,
         any_value(pc.source_line) AS source_line, any_value(pc.source_file) AS source_file,
         sum(coalesce(cc.value, 0)) AS child_sum,
         {kids}
  FROM cand r
  JOIN pairs p ON p.p_sid = r.p_sid AND p.relation = r.relation
  JOIN sub pc ON pc.report_id = r.report_id AND pc.sid = p.p_sid
  LEFT JOIN sub cc ON cc.report_id = r.report_id AND cc.sid = p.c_sid
  GROUP BY r.report_id, p.p_item, p.p_column, p.relation
  QUALIFY row_number() OVER (PARTITION BY r.report_id, p.p_item, p.p_column ORDER BY p.relation DESC) = 1)"""

        def msg(lang: str, label: str) -> str:
            return M.fill_sql(M.sql_text(rule.message[lang]), {
                "label": label, "state": M.state_text_sql("g", lang),
                "child_values": M.child_sum_sql(lang, f"g.kids_{lang}", "g.child_sum")})
        select = _select(b, rule, {
            "severity": f"CASE WHEN g.relation = 'includes' THEN {lit(inc_sev)} ELSE {lit(rule.severity)} END",
            "item": "g.p_item", "column": "g.p_column", "expected": "g.child_sum",
            "message": msg("zh", "g.label"), "message_en": msg("en", "g.label_en"),
            "source_file": "coalesce(g.source_file, r.source_file)", "source_line": "g.source_line"})
        return b.wrap(b.prelude(set()) + [pairs, cand, grp], f"{select}\nFROM grp g JOIN reps r USING (report_id)")
