"""The report as a document: percentages in the text (T-02) and its structure (S-01 … S-04).

What the extractor knows about the text is loaded as narrative rows (:mod:`checks.extract.narrative`,
:mod:`checks.extract.metadata`): ``pct:…`` keys for percentages tied to table counts, ``doc:…`` keys
for the section headings, section 五's body, what section 六 says about fees and the report year as
the title, the table heading and the narrative state it. A report loaded without its narrative
(cells only) has none of these rows and is not judged by these rules: absent is not "missing".

Every kind here is judged on the cross-year *pair frame* (:mod:`checks.rules.kinds.crossyear`): one row
per (rule × report × fact) with ``value``, ``ref``, ``score`` and ``gate``; a gated row fails when
``score`` leaves the rule's bounds. So the SQL backend, pandera and GX (the ``gongkai-crossyear``
suite) apply the same bounds to the same rows, and agree. ``hist_key`` holds the narrative row the
pair-frame row was made from (its key, line and position), so the SQL findings quote its sentence.

* ``narrative-percent`` (T-02): a percentage stated in the text against the one computed from the
  table, ``score`` = |stated − computed| − tolerance (the rule's ``params.tolerance`` in percentage
  points, or half a unit of the last digit written when that is more: "85%" may round 85.4 %).
  A share (予以公开…占办结总数的85.3%) is computed for each documented base (办结 = 办理结果总计; 收到 =
  新收, or 新收 + 上年结转; no base named: any of them) and the closest counts; the denominator must
  be a number > 0. A year-over-year change (收到申请120件，同比增长20%) is judged only when the count
  stated before it equals this year's table value of its series (:mod:`checks.crossyear`) and last
  year's value is a number > 0 — otherwise the percentage cannot be tied to the table unambiguously.
* ``section-order`` (S-01): each of the six sections of a v2019/v2021 report (score 1: no heading
  found; 2: its heading comes after a later section's).
* ``section-filled`` (S-02): section 五 (存在的主要问题及改进情况) says at least ``params.min_chars``
  characters beyond its heading ("无" counts as nothing).
* ``fee-reported`` (S-03): a fee charged according to the table (``params.fee_cells``: the old form's
  依申请公开信息收取的费用, v2021's 逾期未按收费通知要求缴纳费用 — a fee notice was issued) is stated in section 六
  (old: anywhere in the narrative); saying none or nothing fails.
* ``year-consistent`` (S-04): the title, the table heading and the narrative name the same report year.
"""

from __future__ import annotations

import functools
import math

from checks import templates as T
from checks.rules import messages as M
from checks.rules.kinds import register
from checks.rules.kinds.crossyear import CrossYear, _row
from checks.rules.kinds.narrative import alternatives
from checks.tables import FINDINGS

PLACEHOLDERS = frozenset({"raw", "sentence", "label", "value", "ref", "detail"})

NF_SQL = """nf AS MATERIALIZED (
  SELECT n.report_id, n.key, n.value, n.raw, n.sentence, n.source_file, n.source_line, n.char_start, n.char_end,
         n.key || '@' || coalesce(CAST(n.source_line AS VARCHAR), '') || ':' || coalesce(CAST(n.char_start AS VARCHAR), '')
           AS fid,
         y.xno, y.year, y.template
  FROM narrative n JOIN yr y USING (report_id)
  WHERE starts_with(n.key, 'doc:') OR starts_with(n.key, 'pct:'))"""
"""The text facts of the current reports (one per agency and year), with a stable id ``fid``."""


def _tpl(rule) -> str:
    return ", ".join(f"'{t}'" for t in rule.templates)


class TextFact(CrossYear):
    """Base: pair-frame rows made from the text facts ``nf``; findings quote the fact's sentence."""

    family = "narrative"
    series = False
    placeholders = PLACEHOLDERS

    @classmethod
    def batch(cls):
        return ("text", cls.name)

    @classmethod
    def rows_sql(cls, b, rule):
        extra, sel = cls.fact_rows(b, rule)
        return [NF_SQL, *extra], sel

    @classmethod
    def fact_rows(cls, b, rule) -> tuple[list[str], str]:
        """(CTEs after ``nf``, SELECT of the rule's pair-frame rows)."""
        raise NotImplementedError

    @classmethod
    def message_exprs(cls, lang: str) -> dict[str, str]:
        """SQL for the placeholders over the failing row ``x`` and its fact ``f`` (may be NULL)."""
        return {"label": "coalesce(x.label, '')", "detail": "coalesce(x.other, '')"}

    @classmethod
    def sql(cls, b, rules):
        from checks.rules.sql import lit

        out = []
        for rule in rules:
            ctes, sels = cls.frame_ctes(b, [rule])

            def msg(lang, rule=rule):
                ex = {"raw": "coalesce(f.raw, '')", "sentence": "coalesce(f.sentence, '')",
                      "value": _num("x.value", lang), "ref": _num("x.ref", lang), **cls.message_exprs(lang)}
                return M.fill_sql(M.sql_text(rule.message[lang]), ex)
            select = FINDINGS.select({
                "run_id": lit(b.run_id), "code": lit(rule.code), "name": lit(rule.name),
                "severity": lit(rule.severity), "agency": "y.agency", "year": "x.year", "template": "x.template",
                "item": "x.item", "column": 'x."column"', "expected": "round(x.ref, 6)",
                "actual": "round(x.value, 6)", "delta": "round(x.value - x.ref, 6)",
                "message": msg("zh"), "message_en": msg("en"),
                "source_file": "coalesce(f.source_file, y.source_file)", "source_line": "f.source_line",
                "report_id": "x.report_id", "exact": "x.value IS NOT NULL AND x.ref IS NOT NULL"})
            body = f"""{select}
FROM bad x JOIN yr y ON y.report_id = x.report_id
LEFT JOIN nf f ON f.fid = x.hist_key AND f.report_id = x.report_id"""
            bad = f"bad AS MATERIALIZED (SELECT * FROM fr x WHERE {cls.bad_sql(rule)})"
            out.append((rule.code, b.wrap(ctes + [f"fr AS ({sels[0]})", bad], body)))
        return out


def _num(e: str, lang: str) -> str:
    return f"CASE WHEN {e} IS NULL THEN {M.sql_text(M.WORDS[lang]['blank'])} ELSE {M.number_sql(e)} END"


# ----------------------------------------------------------------------------------- T-02

RATIO_COLS = [("key", "VARCHAR"), ("alt", "INTEGER"), ("part", "VARCHAR"), ("item", "VARCHAR"),
              ("column", "VARCHAR"), ("zh", "VARCHAR"), ("en", "VARCHAR")]


@functools.cache
def ratio_rows() -> tuple[tuple, ...]:
    """(key, alt, part, item, column, zh, en): for each ``pct:<numerator>/<base>`` key, its alternatives —
    the numerator cells (part ``num``) and the denominator cells (``den``) of each documented base."""
    prim = {}
    for key, alt, primary, _zh, _en, item, col, _whole in alternatives():
        if primary and alt == 0:
            prim.setdefault(key, []).append((item, col))
    out: list[tuple] = []
    for t in ("v2019", "v2021"):
        P = t + "."
        nums = {P + "s3.result.public": [(P + "s3.result.public", "total")],
                P + "s3.result.partial": [(P + "s3.result.partial", "total")],
                P + "s3.result.public+partial": [(P + "s3.result.public", "total"), (P + "s3.result.partial", "total")],
                **{P + f"s3.result.{c}": prim[P + f"s3.result.{c}"] for c in ("withheld", "unable", "not_processed")}}
        bases = {"result": [("办理结果总计", "results (total)", [(P + "s3.result.total", "total")])],
                 "received": [("本年新收申请", "new applications", [(P + "s3.new_received", "total")]),
                              ("本年新收 + 上年结转申请", "new + carried over",
                               [(P + "s3.new_received", "total"), (P + "s3.carried_over", "total")])]}
        bases["any"] = bases["result"] + bases["received"]
        nl = {P + "s3.result.public": "予以公开", P + "s3.result.partial": "部分公开",
              P + "s3.result.public+partial": "予以公开 + 部分公开", P + "s3.result.withheld": "不予公开",
              P + "s3.result.unable": "无法提供", P + "s3.result.not_processed": "不予处理"}
        _ratios(out, nums, bases, nl)
    P = "old."
    nums = {P + "s3.replied.agree": [(P + "s3.replied.agree", "value")],
            P + "s3.replied.agree_partial": [(P + "s3.replied.agree_partial", "value")],
            P + "s3.replied.disagree.total": [(P + "s3.replied.disagree.total", "value")]}
    bases = {"result": [("申请答复数", "replies", [(P + "s3.replied.total", "value")]),
                        ("申请办结数", "closed", [(P + "s3.closed.total", "value")])],
             "received": [("收到申请数", "received", [(P + "s3.received.total", "value")])]}
    bases["any"] = bases["result"] + bases["received"]
    _ratios(out, nums, bases, {k: {"agree": "同意公开", "agree_partial": "同意部分公开", "total": "不同意公开"}[k.rsplit(".", 1)[-1]]
                               for k in nums})
    return tuple(out)


def _ratios(out, nums, bases, labels) -> None:
    for nk, ncells in nums.items():
        for base, alts in bases.items():
            key = f"pct:{nk}/{base}"
            for i, (zh, en, dcells) in enumerate(alts):
                for item, col in ncells:
                    out.append((key, i, "num", item, col, labels[nk], nk.split(".", 1)[1]))
                for item, col in dcells:
                    out.append((key, i, "den", item, col, zh, en))


@functools.cache
def yoy_rows() -> tuple[tuple[str, str], ...]:
    """(``pct:yoy:<count key>``, series id): the count keys whose table value is exactly one series'
    value in the template (:mod:`checks.crossyear`), so a year-over-year change can be computed."""
    from checks.crossyear import load_series
    from checks.extract.narrative import YOY_KEYS

    prim: dict[str, set] = {}
    for key, alt, primary, _zh, _en, item, col, _whole in alternatives():
        if primary and alt == 0:
            prim.setdefault(key, set()).add((item, col))
    out = []
    for k in YOY_KEYS:
        for t in (("old",) if k.startswith("old.") else ("v2019", "v2021")):
            key = k.format(t=t)
            cells = prim.get(key, {(key, "value")})
            for s in load_series():
                if {(i, c) for tt, i, c in s.members if tt == t} == cells:
                    out.append((f"pct:yoy:{key}", s.id))
                    break
    return tuple(out)


@register
class NarrativePercent(TextFact):
    """T-02: a percentage in the text disagrees with the table counts it describes."""

    name = "narrative-percent"

    @classmethod
    def bounds(cls, rule):
        return {"": (-math.inf, 0.0, False)}

    @classmethod
    def fact_rows(cls, b, rule):
        tol = float(rule.params.get("tolerance", 0.1))
        ratios = b.table("t02a", RATIO_COLS, ratio_rows())
        yoys = b.table("t02y", [("key", "VARCHAR"), ("series", "VARCHAR")], yoy_rows())
        items = ", ".join(sorted({f"'{r[3]}'" for r in ratio_rows()}))
        tol_sql = (f"greatest({tol!r}, 0.5 * power(10, -length(regexp_extract(f.raw, '[.．]([0-9]+)', 1))))")
        ctes = [ratios, yoys, f"""t02c AS (
  SELECT c.report_id, c.item, c."column", c.value FROM cells c
  WHERE c.item IN ({items}) AND c.report_id IN (SELECT report_id FROM nf WHERE starts_with(key, 'pct:')))""", """t02v AS (
  SELECT f.fid, f.report_id, a.alt, any_value(a.zh) FILTER (WHERE a.part = 'num') AS num_zh,
         any_value(a.zh) FILTER (WHERE a.part = 'den') AS den_zh, any_value(a.en) FILTER (WHERE a.part = 'num') AS num_en,
         any_value(a.en) FILTER (WHERE a.part = 'den') AS den_en,
         coalesce(sum(c.value) FILTER (WHERE a.part = 'num'), 0) AS num, sum(c.value) FILTER (WHERE a.part = 'den') AS den
  FROM nf f JOIN t02a a ON a.key = f.key
  LEFT JOIN t02c c ON c.report_id = f.report_id AND c.item = a.item AND c."column" = a."column"
  GROUP BY f.fid, f.report_id, a.alt)""", """t02s AS (
  SELECT v.fid, v.report_id,
         arg_min(struct_pack(pct := 100.0 * v.num / v.den, num := v.num, den := v.den, num_zh := v.num_zh,
                             den_zh := v.den_zh, num_en := v.num_en, den_en := v.den_en),
                 abs(f.value - 100.0 * v.num / v.den)) AS best
  FROM t02v v JOIN nf f USING (fid, report_id) WHERE v.den > 0
  GROUP BY v.fid, v.report_id)""", """t02y2 AS (
  SELECT f.fid, f.report_id, m.series, m.label, cur.value AS cur, prv.value AS prv, prv.year AS prev_year,
         (SELECT arg_max(c.value, c.char_end) FROM narrative c
          WHERE c.report_id = f.report_id AND c.key = substr(f.key, 9) AND c.source_line = f.source_line
            AND c.char_end <= f.char_start) AS stated
  FROM nf f JOIN t02y k ON k.key = f.key JOIN sm m ON m.series = k.series
  JOIN sv cur ON cur.xno = f.xno AND cur.year = f.year AND cur.sno = m.sno AND cur.n_num > 0
  LEFT JOIN sv prv ON prv.xno = f.xno AND prv.year = f.year - 1 AND prv.sno = m.sno AND prv.n_num > 0)"""]
        common = dict(report_id="f.report_id", xno="f.xno", year="f.year", template="f.template",
                      column="'value'", value="f.value", hist_key="f.fid", hist_kind="'narrative'")
        share = _row(rule.code, **common, item="split_part(substr(f.key, 5), '/', 1)",
                     label="s.best.num_zh || ' / ' || s.best.den_zh",
                     ref="s.best.pct", score=f"round(abs(f.value - s.best.pct) - {tol_sql}, 6)",
                     gate="s.best.pct IS NOT NULL",
                     other=("s.best.num_zh || ' ' || " + M.number_sql("s.best.num") + " || ' ÷ ' || s.best.den_zh"
                            " || ' ' || " + M.number_sql("s.best.den")
                            + " || ' = ' || CAST(round(s.best.pct, 1) AS VARCHAR) || '%'"))
        ref = "100.0 * (k.cur - k.prv) / k.prv"
        yoy = _row(rule.code, **common, item="substr(f.key, 9)", label="k.label", ref=ref,
                   prev_year="k.prev_year",
                   score=f"round(abs(f.value - ({ref})) - {tol_sql}, 6)",
                   gate="k.prv > 0 AND k.stated IS NOT NULL AND abs(k.stated - k.cur) < 0.001",
                   other=("k.label || '：' || CAST(f.year AS VARCHAR) || ' 年 ' || " + M.number_sql("k.cur")
                          + " || '，' || CAST(k.prev_year AS VARCHAR) || ' 年 ' || " + M.number_sql("k.prv")
                          + f" || ' → ' || CASE WHEN k.prv > 0 THEN CAST(round({ref}, 1) AS VARCHAR) || '%' ELSE '' END"))
        tpl = _tpl(rule)
        return ctes, (f"{share}\nFROM nf f JOIN t02s s USING (fid, report_id) WHERE f.template IN ({tpl})"
                      f"\nUNION ALL\n{yoy}\nFROM nf f JOIN t02y2 k USING (fid, report_id) WHERE f.template IN ({tpl})")

    @classmethod
    def message_exprs(cls, lang):
        return {"label": "coalesce(x.label, '')", "detail": "coalesce(x.other, '')"}


# ---------------------------------------------------------------------------------- S-01 … S-04

SECTION_ROWS_COLS = [("n", "INTEGER"), ("title_zh", "VARCHAR"), ("title_en", "VARCHAR")]
SECTION_EN = ("overview", "proactive disclosure", "applications received and handled",
              "administrative review and litigation", "main problems and improvements", "other matters to report")
NUM_ZH = "一二三四五六"


@register
class SectionOrder(TextFact):
    """S-01: each of the six sections of a v2019/v2021 report has its heading, in order."""

    name = "section-order"

    @classmethod
    def bounds(cls, rule):
        return {"": (-math.inf, 0.0, False)}

    @classmethod
    def fact_rows(cls, b, rule):
        from checks.extract.narrative import SECTIONS

        secs = b.table("s01t", SECTION_ROWS_COLS, [(n, t, SECTION_EN[n - 1]) for n, t, _ in SECTIONS])
        ctes = [secs, f"""s01 AS (
  SELECT h.report_id, h.xno, h.year, h.template, h.fid AS hfid, t.n, t.title_zh, t.title_en, s.fid, s.source_line,
         (SELECT min(CAST(substr(o.key, 13) AS INTEGER)) FROM nf o
          WHERE o.report_id = h.report_id AND o.key LIKE 'doc:section._' AND CAST(substr(o.key, 13) AS INTEGER) > t.n
            AND (o.source_line < s.source_line OR (o.source_line = s.source_line AND o.char_start < s.char_start)))
           AS after_n
  FROM nf h CROSS JOIN s01t t
  LEFT JOIN nf s ON s.report_id = h.report_id AND s.key = 'doc:section.' || CAST(t.n AS VARCHAR)
  WHERE h.key = 'doc:sections' AND h.template IN ({_tpl(rule)}))"""]
        sel = _row(rule.code, report_id="k.report_id", xno="k.xno", year="k.year", template="k.template",
                   item="'doc:section.' || CAST(k.n AS VARCHAR)", column="'value'",
                   label="k.title_zh", value="k.n", ref="k.after_n",
                   score="CASE WHEN k.fid IS NULL THEN 1 WHEN k.after_n IS NOT NULL THEN 2 ELSE 0 END",
                   gate="TRUE", hist_key="coalesce(k.fid, k.hfid)", hist_kind="'narrative'", other="k.title_en")
        return ctes, f"{sel}\nFROM s01 k"

    @classmethod
    def message_exprs(cls, lang):
        num = "substr('" + NUM_ZH + "', CAST(x.value AS INTEGER), 1)"
        after = "substr('" + NUM_ZH + "', CAST(x.ref AS INTEGER), 1)"
        if lang == "zh":
            detail = (f"CASE WHEN x.score = 1 THEN '缺少第' || {num} || '部分「' || x.label || '」（未找到其标题）' "
                      f"ELSE '第' || {num} || '部分「' || x.label || '」出现在第' || {after} || '部分之后（第 ' "
                      "|| CAST(f.source_line AS VARCHAR) || ' 行）' END")
        else:
            detail = ("CASE WHEN x.score = 1 THEN 'section ' || CAST(CAST(x.value AS INTEGER) AS VARCHAR) || ' (' || x.other "
                      "|| ') is missing: no heading found' ELSE 'section ' || CAST(CAST(x.value AS INTEGER) AS VARCHAR) "
                      "|| ' (' || x.other || ') comes after section ' || CAST(CAST(x.ref AS INTEGER) AS VARCHAR) "
                      "|| ' (line ' || CAST(f.source_line AS VARCHAR) || ')' END")
        return {"label": "x.label" if lang == "zh" else "x.other", "detail": detail}


@register
class SectionFilled(TextFact):
    """S-02: section 五 (存在的主要问题及改进情况) is not empty: at least ``params.min_chars`` characters."""

    name = "section-filled"

    @classmethod
    def bounds(cls, rule):
        return {"": (float(rule.params.get("min_chars", 10)), math.inf, False)}

    @classmethod
    def fact_rows(cls, b, rule):
        sel = _row(rule.code, report_id="f.report_id", xno="f.xno", year="f.year", template="f.template",
                   item="'doc:section.5'", column="'value'", label="'存在的主要问题及改进情况'",
                   value="f.value", ref=repr(float(rule.params.get("min_chars", 10))), score="f.value", gate="TRUE",
                   hist_key="f.fid", hist_kind="'narrative'", other="'main problems and improvements'")
        return [], f"{sel}\nFROM nf f WHERE f.key = 'doc:section.5.body' AND f.template IN ({_tpl(rule)})"

    @classmethod
    def message_exprs(cls, lang):
        return {"label": "x.label" if lang == "zh" else "x.other", "detail": "''"}


@register
class FeeReported(TextFact):
    """S-03: a fee charged according to the table is stated in section 六 (old: in the narrative)."""

    name = "fee-reported"

    @classmethod
    def validate(cls, rule):
        from checks.rules.catalogue import CatalogueError

        known = set(T.spec_frame()["item"])
        cells = rule.params.get("fee_cells") or []
        if not cells or any(c not in known for c in cells):
            raise CatalogueError(f"rule {rule.code}: params.fee_cells must list item codes of the templates")

    @classmethod
    def bounds(cls, rule):
        return {"": (0.5, math.inf, False)}

    @classmethod
    def fact_rows(cls, b, rule):
        cells = ", ".join(f"'{c}'" for c in rule.params["fee_cells"])
        ctes = [f"""s03c AS (
  SELECT c.report_id, any_value(c.item) AS item, max(c.value) AS fee FROM cells c
  WHERE c.item IN ({cells}) AND c.report_id IN (SELECT report_id FROM nf WHERE key = 'doc:fee')
  GROUP BY c.report_id)"""]
        sel = _row(rule.code, report_id="f.report_id", xno="f.xno", year="f.year", template="f.template",
                   item="c.item", column="'value'",
                   label="(SELECT any_value(s.row_label) FROM specs s WHERE s.item = c.item)",
                   value="c.fee", ref="CAST(NULL AS DOUBLE)", score="f.value", gate="c.fee > 0",
                   hist_key="f.fid", hist_kind="'narrative'", other="c.item")
        return ctes, (f"{sel}\nFROM nf f JOIN s03c c USING (report_id) "
                      f"WHERE f.key = 'doc:fee' AND f.template IN ({_tpl(rule)})")

    @classmethod
    def message_exprs(cls, lang):
        if lang == "zh":
            said = "CASE WHEN coalesce(f.raw, '') = '' THEN '未提及收费' ELSE '称「' || f.raw || '」' END"
        else:
            said = "CASE WHEN coalesce(f.raw, '') = '' THEN 'says nothing about fees' ELSE 'says \"' || f.raw || '\"' END"
        return {"label": "coalesce(x.label, '')" if lang == "zh" else "x.other", "detail": said}


@register
class YearConsistent(TextFact):
    """S-04: the report year in the title, the table heading and the narrative is the same."""

    name = "year-consistent"

    @classmethod
    def bounds(cls, rule):
        return {"": (-math.inf, 0.0, False)}

    @classmethod
    def fact_rows(cls, b, rule):
        ctes = [f"""s04 AS (
  SELECT f.report_id, any_value(f.xno) AS xno, any_value(f.year) AS year, any_value(f.template) AS template,
         count(DISTINCT f.value) - 1 AS n_other, count(*) AS n,
         arg_min(f.fid, CASE f.key WHEN 'doc:year.title' THEN 1 WHEN 'doc:year.table' THEN 2 ELSE 3 END) AS fid,
         max(f.value) FILTER (WHERE f.key = 'doc:year.title') AS y_title,
         max(f.value) FILTER (WHERE f.key = 'doc:year.table') AS y_table,
         max(f.value) FILTER (WHERE f.key = 'doc:year.narrative') AS y_narr,
         max(f.source_line) FILTER (WHERE f.key = 'doc:year.table') AS l_table,
         max(f.source_line) FILTER (WHERE f.key = 'doc:year.narrative') AS l_narr
  FROM nf f WHERE f.key IN ('doc:year.title', 'doc:year.table', 'doc:year.narrative') AND f.template IN ({_tpl(rule)})
  GROUP BY f.report_id)"""]

        def part(zh, col, line):
            y = f"CAST(CAST(k.{col} AS INTEGER) AS VARCHAR)"
            ln = f"CASE WHEN k.{line} IS NOT NULL THEN '（第 ' || CAST(k.{line} AS VARCHAR) || ' 行）' ELSE '' END" if line else "''"
            return f"CASE WHEN k.{col} IS NOT NULL THEN '{zh} ' || {y} || {ln} END"
        detail = ("concat_ws(' · ', " + ", ".join([part("标题", "y_title", None), part("统计表", "y_table", "l_table"),
                                                    part("正文", "y_narr", "l_narr")]) + ")")
        sel = _row(rule.code, report_id="k.report_id", xno="k.xno", year="k.year", template="k.template",
                   item="'doc:year'", column="'value'", label="'报告年度'",
                   value="coalesce(k.y_title, k.y_table)", ref="coalesce(k.y_narr, k.y_table)",
                   score="k.n_other", gate="k.n >= 2", hist_key="k.fid", hist_kind="'narrative'", other=detail)
        return ctes, f"{sel}\nFROM s04 k"

    @classmethod
    def message_exprs(cls, lang):
        if lang == "zh":
            return {"label": "x.label", "detail": "x.other"}
        en = ("replace(replace(replace(replace(replace(x.other, '标题', 'title'), '统计表', 'table heading'), "
              "'正文', 'narrative'), '（第 ', ' (line '), ' 行）', ')')")
        return {"label": "'report year'", "detail": en}
