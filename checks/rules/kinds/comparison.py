"""Comparison kinds: ``lhs OP rhs`` over sums of cells, expanded into instances from the templates.

Every comparison rule is expanded (:func:`checks.rules.catalogue.expand`) into instances (terms on
the left and right); all comparison rules of a run are evaluated in one query. A kind says only
what its comparison means — the SQL predicate, the pandas predicate, the GX expectation — and how
its operator reads in a message (when it holds, when it fails).
"""

from __future__ import annotations

from typing import ClassVar

from checks.rules import catalogue as C
from checks.rules import messages as M
from checks.rules.kinds import Kind, register
from checks.tables import FINDINGS


class Comparison(Kind):
    """Base of the comparison kinds: ``ok`` of an instance from its evaluated sides ``lhs``, ``rhs``."""

    family = "comparison"
    frame = "evaluation"
    placeholders = frozenset({"lhs", "rhs", "where", "op", "lhs_values", "rhs_values"})
    ops: ClassVar[dict[str, tuple[str, str]]] = {}
    """{lang: (operator when it holds, when it fails)}"""
    reports_sides: ClassVar[bool] = True
    """False: the finding's expected/delta are empty and actual is the right side (a condition, not a balance)."""

    @classmethod
    def batch(cls) -> object:
        return Comparison

    ok: ClassVar[str] = ""
    """SQL: the comparison holds, with {lhs}, {rhs} and {tol} for the evaluated sides and the tolerance."""
    ok_frame: ClassVar = None
    """pandas: (lhs, rhs, tol) Series → boolean Series, the comparison holds row by row."""
    gx: ClassVar[tuple[str, dict]] = ("", {})
    """(GX expectation type, kwargs) comparing the frame's ``lhs`` and ``rhs`` columns."""
    gx_where: ClassVar[tuple[tuple[str, str, object], ...]] = ()
    """Further row conditions (column, operator, parameter) of the expectation."""

    @classmethod
    def ok_sql(cls, lhs: str, rhs: str, tol: str) -> str:
        """SQL: the comparison holds (within ``tol``)."""
        return cls.ok.format(lhs=lhs, rhs=rhs, tol=tol)

    @classmethod
    def validate(cls, rule) -> None:
        for tid in rule.templates:
            if not C.expand_rule(rule, C.T.load(tid), ""):
                raise C.CatalogueError(f"rule {rule.code}: expands to no instance for template {tid}")

    @classmethod
    def gx_expectations(cls, rule, template: str) -> list[dict]:
        kind, kwargs = cls.gx
        where = [_condition("template", "==", template), _condition("code", "==", rule.code),
                 *(_condition(*w) for w in cls.gx_where)]
        return [{"type": kind, "kwargs": {**kwargs, "row_condition": {"type": "and", "conditions": where}},
                 "meta": {"code": rule.code, "name": rule.name, "kind": rule.kind, "severity": rule.severity}}]

    @classmethod
    def pandera_check(cls, rule):
        import pandera.pandas as pa

        def fn(df):
            mine = df["code"] == rule.code
            return ~mine | cls.ok_frame(df["lhs"], df["rhs"], df["tol"])
        return pa.Check(fn, name=rule.code, error=rule.code)

    @classmethod
    def fold(cls, rule, rows):
        return rows[["report_id", "item", "column"]]

    @classmethod
    def sql(cls, b, rules) -> list[tuple[str, str]]:
        return [(",".join(r.code for r in rules), comparison_sql(b, rules))]


def _condition(column: str, operator: str, parameter) -> dict:
    return {"type": "comparison", "column": {"name": column}, "operator": operator, "parameter": parameter}


@register
class SumEquals(Comparison):
    """The left side equals the right side (a 总计 and its parts)."""

    name, ops = "sum-equals", {"zh": ("=", "≠"), "en": ("=", "≠")}
    ok = "abs({lhs} - {rhs}) <= {tol}"
    ok_frame = staticmethod(lambda lhs, rhs, tol: (lhs - rhs).abs() <= tol)
    gx = ("expect_column_pair_values_to_be_equal", {"column_A": "lhs", "column_B": "rhs"})


@register
class AtMost(Comparison):
    """The left side is at most the right side (其中 ≤ its parent, a channel ≤ the total)."""

    name, ops = "at-most", {"zh": ("≤", ">"), "en": ("≤", ">")}
    ok = "{lhs} <= {rhs} + {tol}"
    ok_frame = staticmethod(lambda lhs, rhs, tol: lhs <= rhs + tol)
    gx = ("expect_column_pair_values_a_to_be_greater_than_b", {"column_A": "rhs", "column_B": "lhs", "or_equal": True})


@register
class AtLeast(Comparison):
    """The left side is at least the right side."""

    name, ops = "at-least", {"zh": ("≥", "<"), "en": ("≥", "<")}
    ok = "{lhs} >= {rhs} - {tol}"
    ok_frame = staticmethod(lambda lhs, rhs, tol: lhs >= rhs - tol)
    gx = ("expect_column_pair_values_a_to_be_greater_than_b", {"column_A": "lhs", "column_B": "rhs", "or_equal": True})


@register
class ImpliesPositive(Comparison):
    """When the left side is positive, so is the right side (training sessions → trainees)."""

    name, ops = "implies-positive", {"zh": ("，", "，但"), "en": (", and ", ", but ")}
    reports_sides = False
    ok = "NOT ({lhs} > {tol}) OR {rhs} > {tol}"
    ok_frame = staticmethod(lambda lhs, rhs, tol: ~(lhs > tol) | (rhs > tol))
    gx = ("expect_column_values_to_be_between", {"column": "rhs", "min_value": 0, "strict_min": True})
    gx_where = (("lhs", ">", 0),)


# ------------------------------------------------------------------------------------------ SQL

def _ok_case(rules) -> str:
    kinds = {r.kind: C.kind_of(r) for r in rules}
    arms = " ".join(f"WHEN {M.sql_text(n)} THEN {k.ok_sql('e.lhs', 'e.rhs', 'i.tol')}" for n, k in kinds.items())
    return f"CASE i.kind {arms} END"


def comparison_ctes(b, rules) -> list[str]:
    """inst, terms, iparts (inline tables); ev (numbers per report × instance) and res (+ ok), blocked ones left out.
    The cells' file is not aggregated here (a string aggregate over every term doubled this step): see
    :func:`_with_files`, only for the rows that become findings.

    The cells are joined with the (small) terms table on their codes, so the big side of every
    join is the cells table read once; instances whose cells are all absent still get a row.
    """
    from checks.rules.sql import sid

    codes = {r.code for r in rules}
    by_code = {r.code: r for r in rules}
    insts = [i for i in b.instances() if i.code in codes]
    inst_rows, term_rows, part_rows = [], [], set()
    for i in insts:
        r = by_code[i.code]
        k = C.kind_of(r)
        inst_rows.append((i.iid, r.code, r.name, r.kind, r.severity, i.template, i.variant, i.anchor.item,
                          i.anchor.column, r.tolerance, len(i.terms), len(i.lhs), len(i.rhs), i.msg_zh, i.msg_en,
                          *k.ops["zh"], *k.ops["en"], len(i.lhs) > C.LONG_SUM, len(i.rhs) > C.LONG_SUM,
                          k.reports_sides))
        for t in i.terms:
            term_rows.append((i.iid, sid(i.template, i.variant, t.cell.item, t.cell.column), t.side, t.pos,
                              t.cell.item, t.cell.column, t.coef, t.anchor, t.label_zh, t.label_en,
                              len(i.lhs if t.side == "lhs" else i.rhs) > C.LONG_SUM))
            part_rows.add((i.iid, t.cell.tbl, t.cell.section))
    inst = b.table("inst", [("iid", "INTEGER"), ("code", "VARCHAR"), ("name", "VARCHAR"),
                            ("kind", "VARCHAR"), ("severity", "VARCHAR"), ("template", "VARCHAR"),
                            ("variant", "VARCHAR"), ("item", "VARCHAR"), ("column", "VARCHAR"),
                            ("tol", "DOUBLE"), ("n_terms", "INTEGER"), ("n_lhs", "INTEGER"),
                            ("n_rhs", "INTEGER"), ("msg_zh", "VARCHAR"),
                            ("msg_en", "VARCHAR"), ("ok_zh", "VARCHAR"), ("fail_zh", "VARCHAR"),
                            ("ok_en", "VARCHAR"), ("fail_en", "VARCHAR"), ("long_lhs", "BOOLEAN"),
                            ("long_rhs", "BOOLEAN"), ("sides", "BOOLEAN")], inst_rows)
    terms = b.table("terms", [("iid", "INTEGER"), ("sid", "INTEGER"), ("side", "VARCHAR"), ("pos", "INTEGER"),
                              ("item", "VARCHAR"), ("column", "VARCHAR"), ("coef", "DOUBLE"), ("anchor", "BOOLEAN"),
                              ("lab_zh", "VARCHAR"), ("lab_en", "VARCHAR"), ("long", "BOOLEAN")], term_rows)
    iparts = b.table("iparts", [("iid", "INTEGER"), ("tbl", "VARCHAR"), ("section", "VARCHAR")], sorted(part_rows))
    tc = """tc AS (
  SELECT c.report_id, t.iid,
         sum(t.coef * coalesce(c.value, 0)) FILTER (WHERE t.side = 'lhs') AS lhs,
         sum(t.coef * coalesce(c.value, 0)) FILTER (WHERE t.side = 'rhs') AS rhs,
         count(c.value) AS n_num, count(*) AS n_present,
         coalesce(max(c.source_line) FILTER (WHERE t.anchor), min(c.source_line)) AS source_line
  FROM cx c JOIN terms t ON t.sid = c.sid
  GROUP BY c.report_id, t.iid)"""
    bl = """bl AS (SELECT DISTINCT b.report_id, p.iid FROM blocked b
  JOIN iparts p ON p.tbl = b.tbl AND p.section = b.section)"""
    ev = """ev AS (
  SELECT r.report_id, i.iid, coalesce(a.lhs, 0) AS lhs, coalesce(a.rhs, 0) AS rhs,
         i.n_terms - coalesce(a.n_num, 0) AS n_blank, i.n_terms - coalesce(a.n_present, 0) AS n_absent,
         a.source_line
  FROM reps r
  JOIN inst i ON i.template = r.template AND i.variant = r.variant
  LEFT JOIN tc a ON a.report_id = r.report_id AND a.iid = i.iid
  ANTI JOIN bl ON bl.report_id = r.report_id AND bl.iid = i.iid)"""
    res = f"""res AS (
  SELECT e.*, i.code, i.name, i.kind, i.severity, i.item, i."column", i.tol, i.n_lhs, i.n_rhs, i.sides,
         {_ok_case(rules)} AS ok
  FROM ev e JOIN inst i USING (iid))"""
    return [inst, terms, iparts, tc, bl, ev, res]


@register
class BlankSums(Kind):
    """Comparisons that hold only when blank cells count as 0, folded: one information finding per
    report (strict mode), ``actual`` = how many such comparisons, the message names the rules and how
    many of each (``{rules}``). It runs in the comparison batch (one evaluation for both). With the rule
    switched off, each such comparison is an information finding of its own rule, as before."""

    name, family = "blank-sums", "cell"
    placeholders = frozenset({"n", "rules"})

    @classmethod
    def batch(cls) -> object:
        return Comparison

    @classmethod
    def sql(cls, b, rules) -> list[tuple[str, str]]:
        return Comparison.sql(b, rules)


def _blank_sums_sql(b, rule) -> tuple[list[str], str]:
    """CTEs and SELECT of the folded finding of ``rule`` (kind blank-sums) over ``res``."""
    from checks.rules.sql import lit

    held = f"""held AS (
  SELECT report_id, code, count(*) AS k, min(source_line) AS line, any_value(source_file) AS file
  FROM resf WHERE ok AND n_blank > 0 GROUP BY report_id, code),
heldr AS (
  SELECT report_id, sum(k) AS n, string_agg(code || ' ×' || k, '、' ORDER BY code) AS rules_zh,
         string_agg(code || ' ×' || k, ', ' ORDER BY code) AS rules_en,
         min(line) AS source_line, any_value(file) AS source_file
  FROM held GROUP BY report_id)"""

    def msg(lang: str) -> str:
        return M.fill_sql(M.sql_text(rule.message[lang]), {"n": "CAST(h.n AS VARCHAR)", "rules": f"h.rules_{lang}"})
    select = FINDINGS.select({
        "run_id": lit(b.run_id), "code": lit(rule.code), "name": lit(rule.name), "severity": lit(rule.severity),
        "agency": "r.agency", "year": "r.year", "template": "r.template", "item": "NULL", "column": "NULL",
        "actual": "h.n", "message": msg("zh"), "message_en": msg("en"),
        "source_file": "coalesce(h.source_file, r.source_file)", "source_line": "h.source_line",
        "report_id": "h.report_id", "exact": "FALSE", "lenient": "FALSE"})
    return [held], f"{select}\nFROM heldr h JOIN reps r ON r.report_id = h.report_id"


def _with_files(where: str) -> str:
    """resf: the rows of res that ``where`` keeps, with the file of their cells (the anchor cell's,
    else the first of the files its cells name; NULL: the report's). Only reports with a cell read
    from another file than the report's (``mf``, few) are looked up: elsewhere every cell's file is
    the report's, which NULL already means."""
    return f"""need AS MATERIALIZED (SELECT * FROM res WHERE {where}),
mf AS MATERIALIZED (SELECT DISTINCT report_id FROM cx WHERE source_file IS NOT NULL),
nf AS (
  SELECT n.report_id, n.iid, coalesce(max(coalesce(c.source_file, r.source_file)) FILTER (WHERE t.anchor),
                                      min(coalesce(c.source_file, r.source_file))) AS source_file
  FROM need n JOIN terms t ON t.iid = n.iid JOIN cx c ON c.report_id = n.report_id AND c.sid = t.sid
  JOIN reps r ON r.report_id = n.report_id
  WHERE n.report_id IN (SELECT report_id FROM mf)
  GROUP BY n.report_id, n.iid),
resf AS (SELECT n.*, f.source_file FROM need n LEFT JOIN nf f ON f.report_id = n.report_id AND f.iid = n.iid)"""


def comparison_sql(b, rules) -> str:
    """Findings of every comparison rule: failures, and (strict) instances that hold only with blanks as 0
    — one finding each, or folded into one per report when a ``blank-sums`` rule is in the batch."""
    from checks.rules.sql import lit

    L = lit(b.lenient)
    fold = [r for r in rules if r.kind == BlankSums.name] if not b.lenient else []
    rules = [r for r in rules if r.family == "comparison"]
    # B-04 on: comparisons that hold only with blanks as 0 are its finding, not their rule's (also when
    # one rule's SQL is asked for alone); B-04 alone still evaluates every comparison
    folded = not b.lenient and any(r.kind == BlankSums.name for r in b.catalogue.enabled())
    evaluated = b.catalogue.enabled("comparison") if fold else rules
    ctes = b.prelude({"status"}) + comparison_ctes(b, evaluated)
    shown = "(coalesce(c.value, 0) <> 0 OR coalesce(c.state, '') = 'TEXT')"
    mine = "TRUE" if evaluated is rules else (
        "code IN (" + ", ".join(lit(r.code) for r in rules) + ")" if rules else "FALSE")
    keep = "FALSE" if folded else f"(n_blank > 0 AND NOT {L})"
    wanted = f"{mine} AND (NOT ok OR {keep})"
    files = _with_files(f"({wanted}) OR (ok AND n_blank > 0)" if fold else wanted)
    terms_text = f"""{files},
sel AS MATERIALIZED (SELECT * FROM resf WHERE {wanted}),
cxs AS MATERIALIZED (SELECT * FROM cx WHERE report_id IN (SELECT report_id FROM sel)),
pt AS (
  SELECT c.report_id, t.iid, t.side, t.pos, t.long, t.lab_zh, t.lab_en,
         {M.cell_text_sql("c", "zh")} AS t_zh, {M.cell_text_sql("c", "en")} AS t_en
  FROM cxs c JOIN terms t ON t.sid = c.sid
  SEMI JOIN sel s ON s.report_id = c.report_id AND s.iid = t.iid
  WHERE NOT t.long OR {shown}
  UNION ALL
  SELECT s.report_id, t.iid, t.side, t.pos, t.long, t.lab_zh, t.lab_en,
         {M.sql_text(M.WORDS["zh"]["missing"])}, {M.sql_text(M.WORDS["en"]["missing"])}
  FROM sel s JOIN terms t ON t.iid = s.iid
  ANTI JOIN cxs c ON c.report_id = s.report_id AND c.sid = t.sid
  WHERE s.n_absent > 0 AND NOT t.long),
txt AS (
  SELECT p.report_id, p.iid, {", ".join(
        f"string_agg(CASE WHEN p.long THEN p.lab_{lang} || ' ' || p.t_{lang} ELSE p.t_{lang} END, ' + ' "
        f"ORDER BY p.pos) FILTER (WHERE p.side = '{s}') AS {s}_{lang}" for lang in M.LANGS for s in ("lhs", "rhs"))},
         count(*) FILTER (WHERE p.long AND p.side = 'lhs') AS lhs_shown,
         count(*) FILTER (WHERE p.long AND p.side = 'rhs') AS rhs_shown
  FROM pt p GROUP BY p.report_id, p.iid)"""

    def msg(lang: str) -> str:
        sides = {f"{s}_values": M.side_sql(lang, f"y.{s}_{lang}", f"(x.n_{s} - coalesce(y.{s}_shown, 0))",
                                           f"x.{s}", f"i.long_{s}", f"x.n_{s}") for s in ("lhs", "rhs")}
        op = f"CASE WHEN x.ok THEN i.ok_{lang} ELSE i.fail_{lang} END"
        base = M.fill_sql(f"i.msg_{lang}", {"op": op, **sides})
        return f"{base} || {M.blank_note_sql(lang, b.lenient, 'x.n_blank', 'x.ok')}"

    select = FINDINGS.select({
        "run_id": lit(b.run_id), "code": "x.code", "name": "x.name",
        "severity": "CASE WHEN x.ok THEN 'info' ELSE x.severity END",
        "agency": "r.agency", "year": "r.year", "template": "r.template", "item": "x.item", "column": 'x."column"',
        "expected": "CASE WHEN x.sides THEN round(x.rhs, 6) END",
        "actual": "round(CASE WHEN x.sides THEN x.lhs ELSE x.rhs END, 6)",
        "delta": "CASE WHEN x.sides THEN round(x.lhs - x.rhs, 6) END",
        "message": msg("zh"), "message_en": msg("en"),
        "source_file": "coalesce(x.source_file, r.source_file)", "source_line": "x.source_line",
        "report_id": "x.report_id", "exact": "x.n_blank = 0", "lenient": f"{L} AND x.n_blank > 0"})
    body = f"""{select}
FROM sel x JOIN inst i ON i.iid = x.iid JOIN reps r ON r.report_id = x.report_id
LEFT JOIN txt y ON y.report_id = x.report_id AND y.iid = x.iid"""
    if fold:
        extra, fold_body = _blank_sums_sql(b, fold[0])
        return b.wrap(ctes + [terms_text] + extra, f"{body}\nUNION ALL\n{fold_body}")
    return b.wrap(ctes + [terms_text], body)


def evaluation_sql(b, rules) -> str:
    """One row per (current report × comparison instance): the frame the GX and pandera backends validate."""
    from checks.rules.sql import lit

    ctes = b.prelude({"status"}) + comparison_ctes(b, rules)
    body = f"""SELECT r.agency, r.year, r.template, x.report_id, x.code, x.kind, x.iid AS instance_id,
       x.item, x."column", x.lhs, x.rhs, x.tol, x.n_blank, x.n_blank = 0 AS exact, x.ok,
       {lit(b.lenient)} AND x.n_blank > 0 AS lenient
FROM res x JOIN reps r USING (report_id)"""
    return b.wrap(ctes, body)
