"""Narrative kinds: the text against the table (domain.md §5.4, T-01 … T-04).

The narrative counts are extracted and loaded (table ``narrative``, :mod:`checks.extract.narrative`):
a key (an item code, or a category / litigation key), the number, the sentence and its line. A
count is compared with the table cells it names, allowing for the documented ways narratives quote
a table (:func:`alternatives`): the 总计 column or one applicant column; "收到申请" as new or new +
carried over; litigation as direct + after review (or either); a category (不予公开, 无法提供,
不予处理) as its sum or one of its sub-rows (T-04). Every alternative is a sum of cells; blank
cells count as 0 here (a narrative "0" or "没有" agrees with a blank cell), but a stated number
against a table with no number at all is a contradiction.

* ``narrative-count`` (T-01): a number stated in the text matches no alternative. When the same
  sentence states several numbers for the same key (two websites, two platforms) it is ambiguous
  and reported with ``params.ambiguous_severity``.
* ``narrative-quotes-part`` (T-04): it matches only a part (one column, one sub-row), not the whole.
* ``narrative-claim`` (T-03): a statement of *none* (没有收到申请, 无行政复议) while the table has some.
* ``narrative-percent`` (T-02) and the report-structure kinds (S-01 … S-04) are judged on the pair
  frame: :mod:`checks.rules.kinds.report_text` (keys ``pct:…`` and ``doc:…``, which T-01 … T-04 ignore).

Each finding quotes the sentence. One query per rule, set-based over every report.
"""

from __future__ import annotations

import functools

from checks import templates as T
from checks.rules import messages as M
from checks.rules.kinds import PerRule, register
from checks.tables import FINDINGS

COLS7 = ("total", "natural", "commercial", "research", "social", "legal", "other")
ALT_COLS = [("key", "VARCHAR"), ("alt", "INTEGER"), ("primary", "BOOLEAN"), ("how_zh", "VARCHAR"),
            ("how_en", "VARCHAR"), ("item", "VARCHAR"), ("column", "VARCHAR"), ("whole", "BOOLEAN")]
COL_ZH = {"total": "总计列", "natural": "自然人列", "commercial": "商业企业列", "research": "科研机构列",
          "social": "社会公益组织列", "legal": "法律服务机构列", "other": "其他列"}


@functools.cache
def alternatives() -> tuple[tuple, ...]:
    """(key, alt, primary, how_zh, how_en, item, column, whole): each way a narrative key may quote the table.

    An alternative is the sum of its (item, column) rows; alt 0 is the whole (primary); ``whole`` marks
    alternatives that are the whole too, read another documented way (收到申请 = new + carried over),
    as opposed to a part (one column, one sub-row: T-04)."""
    out: list[tuple] = []
    spec = T.spec_frame()
    spec = spec[(spec["variant"] == "") & ~spec["heading"]]
    items = {t: set(zip(g["item"], g["column"])) for t, g in spec.groupby("template")}

    def add(key, alts):
        for i, (primary, zh, en, cells) in enumerate(alts):
            for item, col in cells:
                out.append((key, i, primary, zh, en, item, col, primary or zh.startswith("新收 + 上年结转（总计")))
    for item, col in sorted(items["old"]):
        add(item, [(True, "", "", [(item, col)])])
    for t in ("v2019", "v2021"):
        P = t + "."
        for row in ("s3.new_received", "s3.carried_over", "s3.carry_forward", "s3.result.public",
                    "s3.result.partial", "s3.result.total"):
            alts = [(True, "", "", [(P + row, "total")])]
            alts += [(False, COL_ZH[c], f"column {c}", [(P + row, c)]) for c in COLS7[1:]]
            if row == "s3.new_received":
                alts += [(False, f"新收 + 上年结转（{COL_ZH[c]}）", f"new + carried over ({c})",
                          [(P + "s3.new_received", c), (P + "s3.carried_over", c)]) for c in ("total", "natural")]
                alts[0] = (True, "", "", [(P + row, "total")])
            add(P + row, alts)
        for cat in ("withheld", "unable", "not_processed"):
            subs = sorted({i for i, c in items[t] if i.startswith(f"{P}s3.result.{cat}.")})
            alts = [(True, "", "", [(s, "total") for s in subs]),
                    (False, COL_ZH["natural"], "column natural", [(s, "natural") for s in subs])]
            for s in subs:
                label = spec[(spec["template"] == t) & (spec["item"] == s)]["row_label"].iloc[0]
                alts += [(False, f"仅「{label}」一行", f"only row {s}", [(s, "total")]),
                         (False, f"仅「{label}」一行（自然人列）", f"only row {s} (natural)", [(s, "natural")])]
            add(f"{P}s3.result.{cat}", alts)
        for grp in ("review", "lit_direct", "lit_after_review"):
            add(f"{P}s4.{grp}.total", [(True, "", "", [(f"{P}s4.{grp}.total", "value")])])
        add(f"{P}s4.litigation.total", [
            (True, "", "", [(f"{P}s4.lit_direct.total", "value"), (f"{P}s4.lit_after_review.total", "value")]),
            (False, "仅未经复议直接起诉", "direct only", [(f"{P}s4.lit_direct.total", "value")]),
            (False, "仅复议后起诉", "after review only", [(f"{P}s4.lit_after_review.total", "value")])])
    return tuple(out)


def _select(b, rule, exprs: dict[str, str]) -> str:
    from checks.rules.sql import lit

    return FINDINGS.select({"run_id": lit(b.run_id), "code": lit(rule.code), "name": lit(rule.name),
                            "severity": lit(rule.severity), "agency": "r.agency", "year": "r.year",
                            "template": "r.template", "report_id": "r.report_id", **exprs})


class Narrative(PerRule):
    """Base: narrative rows of current reports compared with their alternatives (``ev``)."""

    family = "narrative"
    placeholders = frozenset({"raw", "sentence", "label", "table", "matched", "stated", "computed"})

    @classmethod
    def ctes(cls, b) -> list[str]:
        """prelude + ``ev``: one row per narrative count of a current report with what the table says
        (made once per run as a temp table when the builder has a connection)."""
        from checks.crossyear import shared_cte

        deps = cls.ev_ctes(b)
        if b.con is None:
            return deps
        return b.prelude(set()) + [shared_cte(b, "nev", "SELECT * FROM ev", deps).replace("nev AS", "ev AS", 1)]

    @classmethod
    def ev_ctes(cls, b) -> list[str]:
        alts = b.table("alts", ALT_COLS, alternatives())
        items = ", ".join(sorted({f"'{a[5]}'" for a in alternatives()}))
        return b.prelude(set()) + [alts, """nv AS (
  SELECT n.*, row_number() OVER () AS nid,
         count(*) OVER (PARTITION BY n.report_id, n.key, n.sentence) AS n_same
  FROM narrative n JOIN reps r USING (report_id))""", """ac AS (
  SELECT c.report_id, c.item, c."column", c.value FROM cells c
  SEMI JOIN (SELECT DISTINCT n.report_id, a.item, a."column" FROM nv n JOIN alts a ON a.key = n.key) w
    ON w.report_id = c.report_id AND w.item = c.item AND w."column" = c."column"
  WHERE c.item IN (""" + items + """))""", """av AS (
  SELECT n.nid, a.alt, any_value(a."primary") AS "primary", any_value(a.whole) AS whole, any_value(a.how_zh) AS how_zh,
         any_value(a.how_en) AS how_en, sum(c.value) AS v, count(c.value) AS n_num, count(c.report_id) AS n_cells
  FROM nv n JOIN alts a ON a.key = n.key
  LEFT JOIN ac c ON c.report_id = n.report_id AND c.item = a.item AND c."column" = a."column"
  GROUP BY n.nid, a.alt)""", """ev AS (
  SELECT n.nid, n.report_id, n.key, n.value, n.raw, n.sentence, n.source_file, n.source_line, n.n_same,
         regexp_matches(coalesce(n.raw, ''), '^[0-9０-９]') AS is_number,
         g.present, g.v_primary, g.primary_has_number, g.ok_primary, g.ok_any, g.matched_zh, g.matched_en
  FROM nv n JOIN (
    -- grouped by the narrative row's id alone (not by its sentence and other texts)
    SELECT a.nid,
           bool_or(a.n_cells > 0) AS present,
           max(a.v) FILTER (WHERE a."primary") AS v_primary,
           bool_or(a."primary" AND a.n_num > 0) AS primary_has_number,
           bool_or(abs(coalesce(a.v, 0) - x.value) < 0.001 AND (a.n_num > 0 OR x.value = 0) AND a.whole) AS ok_primary,
           bool_or(abs(coalesce(a.v, 0) - x.value) < 0.001 AND (a.n_num > 0 OR x.value = 0)) AS ok_any,
           string_agg(a.how_zh, '；' ORDER BY a.alt) FILTER (WHERE NOT a.whole AND abs(coalesce(a.v, 0) - x.value) < 0.001
                                                              AND a.n_num > 0) AS matched_zh,
           string_agg(a.how_en, '; ' ORDER BY a.alt) FILTER (WHERE NOT a.whole AND abs(coalesce(a.v, 0) - x.value) < 0.001
                                                              AND a.n_num > 0) AS matched_en
    FROM av a JOIN (SELECT nid, value FROM nv) x USING (nid)
    GROUP BY a.nid) g USING (nid))"""]

    @classmethod
    def label_sql(cls) -> str:
        return ("coalesce((SELECT any_value(s.row_label) FROM specs s WHERE s.item = e.key), "
                "(SELECT any_value(s.row_label) FROM specs s WHERE starts_with(s.item, e.key || '.')), e.key)")

    @classmethod
    def finding(cls, b, rule, where: str, severity: str | None = None) -> str:
        """The findings query: rows of ``ev`` (``e``) where ``where`` holds; ``severity`` SQL (default the rule's)."""
        from checks.rules.sql import lit

        def msg(lang):
            blank = M.sql_text(M.WORDS[lang]["blank"])
            return M.fill_sql(M.sql_text(rule.message[lang]), {
                "raw": "coalesce(e.raw, '')", "sentence": "coalesce(e.sentence, '')",
                "label": cls.label_sql() if lang == "zh" else "e.key",
                "table": f"CASE WHEN e.primary_has_number THEN {M.number_sql('e.v_primary')} ELSE {blank} END",
                "matched": f"coalesce(e.matched_{lang}, '')", "stated": "''", "computed": "''"})
        sel = _select(b, rule, {"severity": severity or lit(rule.severity), "item": "e.key", "column": "'value'",
                                "expected": "e.v_primary", "actual": "e.value", "delta": "e.value - e.v_primary",
                                "message": msg("zh"), "message_en": msg("en"),
                                "source_file": "coalesce(e.source_file, r.source_file)", "source_line": "e.source_line",
                                "exact": "coalesce(e.primary_has_number, FALSE)"})
        return b.wrap(cls.ctes(b), f"{sel}\nFROM ev e JOIN reps r USING (report_id)\nWHERE e.present AND {where}")


@register
class NarrativeCount(Narrative):
    """T-01: a number stated in the narrative matches none of the ways it may quote the table."""

    name = "narrative-count"

    @classmethod
    def rule_sql(cls, b, rule) -> str:
        from checks.rules.sql import lit

        amb = rule.params.get("ambiguous_severity", "info")
        sev = rule.severity if rule.severity_overridden else None
        sev_sql = lit(sev) if sev else f"CASE WHEN e.n_same > 1 THEN {lit(amb)} ELSE {lit(rule.severity)} END"
        return cls.finding(b, rule, "e.is_number AND NOT coalesce(e.ok_any, FALSE)", sev_sql)


@register
class NarrativeQuotesPart(Narrative):
    """T-04: the number matches only a part of what it names (one column, one sub-row), not the whole."""

    name = "narrative-quotes-part"

    @classmethod
    def rule_sql(cls, b, rule) -> str:
        return cls.finding(b, rule, "e.is_number AND NOT coalesce(e.ok_primary, FALSE) AND e.ok_any "
                                    "AND e.matched_zh IS NOT NULL")


@register
class NarrativeClaim(Narrative):
    """T-03: the narrative says there was none (没有收到申请, 无行政复议) but the table has some."""

    name = "narrative-claim"

    @classmethod
    def rule_sql(cls, b, rule) -> str:
        return cls.finding(b, rule, "NOT e.is_number AND e.value = 0 AND e.v_primary > 0")
