"""The one message renderer: catalogue templates (zh and en) filled with a finding's parameters.

A rule's message is a template with ``{name}`` placeholders (``checks/rules/catalogue.yaml``); each
rule kind says which placeholders it fills (:class:`checks.rules.kinds.Kind`). Filling happens at
two times with the same words:

* :func:`fill` — in Python: what is known from the catalogue and the templates (labels of the
  terms, the column or row, a cell's value domain) when a rule is expanded, and whole messages
  that are not computed per report (an expired waiver);
* :func:`fill_sql` — in SQL, per report and set-based: the report's numbers and texts, as
  DuckDB expressions built by :func:`cell_text_sql`, :func:`state_text_sql`, :func:`number_sql`
  and :func:`blank_note_sql`.

Every word a message uses for a cell without a number (空/blank, 缺/missing, 「text」), for a
long sum and for the strict/lenient notes lives in :data:`WORDS`, nowhere else.
"""

from __future__ import annotations

LANGS = ("zh", "en")

WORDS = {
    "zh": {
        "blank": "空", "missing": "缺", "text": "「{raw}」",
        "state_blank": "空白", "state_written": "填写为「{raw}」",
        "long_sum": "{first} + … + {last}（共 {n} 项）",
        "all_rest": "{rest} 项均为 0 或空", "more_rest": "{listed} + 其余 {rest} 项（0 或空）",
        "side_total": "（={total}）", "child_sum": "{children}（合计 {total}）",
        "strict_ok": "（{n} 个单元格未填数字，按 0 计算成立，无法精确校验）",
        "strict_fail": "（{n} 个单元格未填数字，按 0 计算仍不成立，结果不精确）",
        "lenient": "（宽松模式：{n} 个未填数字的单元格按 0 计）",
        "where_column": "（{label}列）", "where_row": "（{label}）",
        "more_cells": "；……（共 {n} 个，列出前 {k} 个）",
    },
    "en": {
        "blank": "blank", "missing": "missing", "text": "\"{raw}\"",
        "state_blank": "blank", "state_written": "written \"{raw}\"",
        "long_sum": "{first} + … + {last} ({n} terms)",
        "all_rest": "all {rest} terms 0 or blank", "more_rest": "{listed} + {rest} more (0 or blank)",
        "side_total": " (={total})", "child_sum": "{children} (sum {total})",
        "strict_ok": " ({n} cell(s) hold no number; taken as 0 it holds, but cannot be checked exactly)",
        "strict_fail": " ({n} cell(s) hold no number; taken as 0 it still fails; inexact)",
        "lenient": " (lenient: {n} cell(s) without a number counted as 0)",
        "where_column": " (column {label})", "where_row": " (row {label})",
        "more_cells": "; … ({n} in all, the first {k} listed)",
    },
}
"""The words of every message, by language."""

LISTED_CELLS = 10
"""A message that lists cells (B-01's blank cells of a table) names at most this many, in the table's
order, and then says how many there are in all (``more_cells``); the report page shows every cell."""


def fill(template: str, params: dict[str, object]) -> str:
    """``template`` with the placeholders named in ``params`` replaced; others are left for later.

    >>> fill("{label} 未填数字（{state}）", {"label": "（一）维持具体行政行为数"})
    '（一）维持具体行政行为数 未填数字（{state}）'
    """
    for k, v in params.items():
        template = template.replace("{" + k + "}", str(v))
    return template


def word(lang: str, key: str, **params: object) -> str:
    """One entry of :data:`WORDS`, filled: ``word("zh", "lenient", n=2)``."""
    return fill(WORDS[lang][key], params)


def join_terms(labels: list[str], lang: str, long: int) -> str:
    """Term labels joined with ``+``; more than ``long`` of them: first and last and how many."""
    if len(labels) <= long:
        return " + ".join(labels)
    return word(lang, "long_sum", first=labels[0], last=labels[-1], n=len(labels))


# ------------------------------------------------------------------------------ SQL expressions

def sql_text(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def fill_sql(template: str, exprs: dict[str, str]) -> str:
    """A SQL expression: ``template`` (itself a SQL expression yielding text) with ``{name}``
    replaced by the SQL expression ``exprs[name]`` in every row."""
    for k, v in exprs.items():
        template = f"replace({template}, '{{{k}}}', {v})"
    return template


def _sql_word(lang: str, key: str, **exprs: str) -> str:
    """A word of :data:`WORDS` as SQL, its placeholders filled with SQL expressions."""
    return fill_sql(sql_text(WORDS[lang][key]), exprs)


def number_sql(e: str) -> str:
    """A number as text: 3, 0.5, 716.86 (no trailing .0); '' for NULL."""
    return (f"CASE WHEN {e} IS NULL THEN '' WHEN {e} = round({e}) AND abs({e}) < 1e15 "
            f"THEN CAST(CAST({e} AS BIGINT) AS VARCHAR) ELSE CAST(round({e}, 4) AS VARCHAR) END")


def cell_text_sql(c: str, lang: str) -> str:
    """How cell ``c`` (value, state, raw; state NULL = absent) shows in arithmetic: its number,
    空/blank, 缺/missing, or its text in quotes."""
    return (f"CASE WHEN {c}.value IS NOT NULL THEN {number_sql(c + '.value')} "
            f"WHEN {c}.state IS NULL THEN {sql_text(WORDS[lang]['missing'])} "
            f"WHEN {c}.state = 'EMPTY' THEN {sql_text(WORDS[lang]['blank'])} "
            f"ELSE {_sql_word(lang, 'text', raw=c + '.raw')} END")


def state_text_sql(c: str, lang: str) -> str:
    """How a cell without a number is described: 空白/blank, or 填写为「/」/written "/"."""
    return (f"CASE WHEN {c}.state = 'EMPTY' THEN {sql_text(WORDS[lang]['state_blank'])} "
            f"ELSE {_sql_word(lang, 'state_written', raw=c + '.raw')} END")


def blank_note_sql(lang: str, lenient: bool, n_blank: str, ok: str) -> str:
    """The note a comparison with ``n_blank`` cells without a number gets ('' when there are none)."""
    n = f"CAST({n_blank} AS VARCHAR)"
    if lenient:
        note = _sql_word(lang, "lenient", n=n)
    else:
        note = f"CASE WHEN {ok} THEN {_sql_word(lang, 'strict_ok', n=n)} ELSE {_sql_word(lang, 'strict_fail', n=n)} END"
    return f"CASE WHEN {n_blank} > 0 THEN {note} ELSE '' END"


def side_sql(lang: str, listed: str, rest: str, total: str, long: str, n_terms: str) -> str:
    """One side of a comparison's arithmetic: the listed terms (a long side lists only its non-zero
    cells and says how many it left out), then its total when it has more than two terms."""
    n_rest, rest = rest, f"CAST({rest} AS VARCHAR)"
    short = (f"CASE WHEN {listed} IS NULL THEN {_sql_word(lang, 'all_rest', rest=rest)} "
             f"WHEN {n_rest} > 0 THEN {_sql_word(lang, 'more_rest', listed=listed, rest=rest)} ELSE {listed} END")
    return (f"CASE WHEN {long} THEN {short} ELSE {listed} END || "
            f"CASE WHEN {n_terms} > 2 THEN {_sql_word(lang, 'side_total', total=number_sql(total))} ELSE '' END")


def cell_list_sql(lang: str, ids: str, text: str, sep: str) -> str:
    """The cells of list ``ids`` (SQL, in order) as text, joined with ``sep``: at most
    :data:`LISTED_CELLS` of them (``text``: the SQL of one cell's text, of ``x``, an element of
    ``ids``), then ``more_cells`` saying how many there are in all."""
    k = LISTED_CELLS
    head = f"array_to_string(list_transform({ids}[1:{k}], lambda x: {text}), {sql_text(sep)})"
    more = _sql_word(lang, "more_cells", n=f"CAST(len({ids}) AS VARCHAR)", k=sql_text(str(k)))
    return f"{head} || CASE WHEN len({ids}) > {k} THEN {more} ELSE '' END"


def child_sum_sql(lang: str, children: str, total: str) -> str:
    """The filled parts of a blank total and their sum."""
    return _sql_word(lang, "child_sum", children=children, total=number_sql(total))
