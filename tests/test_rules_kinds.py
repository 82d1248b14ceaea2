"""Each rule kind on small inline reports: the exact findings (code, cell, severity, expected, actual, message)."""

from __future__ import annotations

import pandas as pd
import pytest

from checks.rules import catalogue as C
from checks.rules import sql as S
from checks.synth import inline_warehouse, template_rows

V19, V21, OLD = "v2019", "v2021", "old"


def run(con, *, lenient=False, catalogue=None, waivers=None, today=None) -> pd.DataFrame:
    res = S.run_check(con, catalogue or C.load_catalogue(), lenient=lenient, waivers=waivers, today=today)
    df = con.execute("SELECT * FROM findings WHERE run_id = ? ORDER BY code, item, \"column\"", [res.run_id]).df()
    df["column"] = df["column"].fillna("")
    df["item"] = df["item"].fillna("")
    return df


def keys(df: pd.DataFrame, *, with_info: bool = False) -> set[tuple]:
    """{(code, item, column, severity, exact)} of the findings (info only when asked)."""
    if not with_info:
        df = df[df["severity"] != "info"]
    return {(r.code, r.item, r.column, r.severity, bool(r.exact)) for r in df.itertuples()}


def one(df: pd.DataFrame, code: str, item: str, column: str = "value"):
    sel = df[(df["code"] == code) & (df["item"] == item) & (df["column"] == column)]
    assert len(sel) == 1, f"expected one {code} {item}@{column}, got {len(sel)}:\n{df[['code', 'item', 'column']]}"
    return sel.iloc[0]


def check(*reports, **kw) -> pd.DataFrame:
    return run(inline_warehouse(*reports), **kw)


# ---------------------------------------------------------------------------- baseline

@pytest.mark.parametrize("template,variant", [(OLD, ""), (OLD, "ningbo"), (V19, ""), (V21, "")])
def test_a_table_of_zeros_has_no_finding(template, variant):
    assert check(template_rows(template, variant=variant)).empty


# ---------------------------------------------------------------------------- comparisons

def test_sum_equals_per_column_and_per_row():
    df = check(template_rows(V19, {("v2019.s3.new_received", "natural"): "3"}))
    assert keys(df, with_info=True) == {
        ("N-01", "v2019.s3.new_received", "natural", "error", True),
        ("N-03", "v2019.s3.new_received", "total", "error", True),
    }
    f = one(df, "N-01", "v2019.s3.new_received", "natural")
    assert (f.actual, f.expected, f.delta) == (3, 0, 3)
    assert f.message == ("一、本年新收政府信息公开申请数量 + 二、上年结转政府信息公开申请数量 ≠ （七）总计 + "
                         "四、结转下年度继续办理（自然人列）：3 + 0 ≠ 0 + 0")
    assert f.message_en == ("I. New applications this year + II. Applications carried over from last year ≠ "
                            "III.(7) Total handled + IV. Carried forward to next year (column natural persons): "
                            "3 + 0 ≠ 0 + 0")
    n3 = one(df, "N-03", "v2019.s3.new_received", "total")
    assert (n3.actual, n3.expected) == (0, 3)
    assert n3.message.endswith("（一、本年新收政府信息公开申请数量）：0 ≠ 3 + 0 + 0 + 0 + 0 + 0（=3）")


def test_grid_sum_and_long_sum_message():
    df = check(template_rows(V21, {
        "v2021.s4.lit_direct.total": "5", "v2021.s4.lit_direct.upheld": "4",
        ("v2021.s3.result.total", "natural"): "2", ("v2021.s3.result.public", "natural"): "1",
        ("v2021.s3.result.total", "total"): "2", ("v2021.s3.result.public", "total"): "1",
        ("v2021.s3.new_received", "natural"): "2", ("v2021.s3.new_received", "total"): "2"}))
    assert keys(df) == {("N-05", "v2021.s4.lit_direct.total", "value", "error", True),
                        ("N-02b", "v2021.s3.result.total", "natural", "error", True),
                        ("N-02b", "v2021.s3.result.total", "total", "error", True)}
    n5 = one(df, "N-05", "v2021.s4.lit_direct.total")
    assert n5.message == "总计 ≠ 结果维持 + 结果纠正 + 其他结果 + 尚未审结（行政诉讼/未经复议直接起诉）：5 ≠ 4 + 0 + 0 + 0（=4）"
    n2 = one(df, "N-02b", "v2021.s3.result.total", "natural")
    assert (n2.actual, n2.expected, n2.delta) == (2, 1, 1)
    assert n2.message == ("（七）总计 ≠ （一）予以公开 + … + （六）其他处理 3．其他（共 21 项）（自然人列）："
                          "2 ≠ （一）予以公开 1 + 其余 20 项（0 或空）（=1）")


def test_at_most_includes_and_per_term():
    df = check(template_rows(OLD, {"old.s1.proactive.total": "10", "old.s1.channel.website": "10",
                                   "old.s1.channel.wechat": "12", "old.s2.interview.principal": "1"}))
    assert keys(df) == {("O-03", "old.s1.channel.wechat", "value", "warning", True),
                        ("O-06", "old.s2.interview.principal", "value", "error", True)}
    o3 = one(df, "O-03", "old.s1.channel.wechat")
    assert o3.message == "4．政务微信公开政府信息数 > （一）主动公开政府信息数（不同渠道和方式公开相同信息计1条）：12 > 10"
    assert (o3.actual, o3.expected, o3.delta) == (12, 10, 2)


def test_at_least_and_implies_positive():
    df = check(template_rows(OLD, {"old.s1.proactive.total": "100", "old.s1.channel.website": "60",
                                   "old.s1.channel.other": "30", "old.s9.training_sessions": "2"}))
    assert keys(df) == {("O-04", "old.s1.proactive.total", "value", "warning", True),
                        ("O-16", "old.s9.trainees", "value", "warning", True)}
    o4 = one(df, "O-04", "old.s1.proactive.total")
    assert (o4.actual, o4.expected, o4.delta) == (90, 100, -10)
    assert o4.message.endswith("：0 + 60 + 0 + 0 + 30（=90） < 100")
    o16 = one(df, "O-16", "old.s9.trainees")
    assert (o16.actual, o16.expected) == (0, None) or pd.isna(o16.expected)
    assert o16.message == "（二）举办各类培训班数为 2，但（三）接受培训人员数为 0"


def test_variant_drops_rows_from_rules():
    # 宁波 form: no gazette row, no section 九 — not missing, and O-04 sums four channels
    df = check(template_rows(OLD, {"old.s1.proactive.total": "10", "old.s1.channel.website": "9"},
                             variant="ningbo"))
    assert keys(df) == {("O-04", "old.s1.proactive.total", "value", "warning", True)}
    assert one(df, "O-04", "old.s1.proactive.total").message.startswith("1．政府网站公开政府信息数 + 2．政务微博")


# ---------------------------------------------------------------------------- blank semantics

BLANK_N01 = {("v2019.s3.new_received", "natural"): "3", ("v2019.s3.new_received", "total"): "3",
             ("v2019.s3.carried_over", "natural"): ""}


def test_strict_blank_in_a_failing_sum():
    df = check(template_rows(V19, BLANK_N01))
    assert keys(df, with_info=True) == {
        ("N-01", "v2019.s3.new_received", "natural", "error", False),   # fails even with blank = 0
        ("N-01", "v2019.s3.new_received", "total", "error", True),
        ("B-04", "", "", "info", False),            # N-03 and N-08 hold with blank = 0: one info per report
        ("B-01", "v2019.s3", "", "info", False),    # the table with its blank cell listed
    }
    assert one(df, "B-04", "", "").message.endswith("：N-03 ×1、N-08 ×1")
    f = one(df, "N-01", "v2019.s3.new_received", "natural")
    assert (f.actual, f.expected, bool(f.lenient)) == (3, 0, False)
    assert f.message.endswith("：3 + 空 ≠ 0 + 0（1 个单元格未填数字，按 0 计算仍不成立，结果不精确）")
    assert f.message_en.endswith(": 3 + blank ≠ 0 + 0 (1 cell(s) hold no number; taken as 0 it still fails; inexact)")
    # with B-04 off, each comparison that holds only with blanks as 0 is an info finding of its own rule
    off = check(template_rows(V19, BLANK_N01), catalogue=C.load_catalogue().configured(disabled=["B-04"]))
    assert keys(off, with_info=True) - keys(df, with_info=True) == {
        ("N-03", "v2019.s3.carried_over", "total", "info", False), ("N-08", "v2019.s3.result.total", "natural", "info", False)}
    i = one(off, "N-03", "v2019.s3.carried_over", "total")
    assert i.message.endswith("：0 = 空 + 0 + 0 + 0 + 0 + 0（=0）（1 个单元格未填数字，按 0 计算成立，无法精确校验）")
    b = one(df, "B-01", "v2019.s3", "")
    assert b.message == ("「三、收到和处理政府信息公开申请情况」有 1 个参与合计校验的单元格未填数字："
                         "二、上年结转政府信息公开申请数量 / 自然人（空白）")
    assert b.message_en == ("III. Applications received and handled: 1 cell(s) that take part in sum checks hold no "
                            "number: II. Applications carried over from last year / natural persons (blank)")


def test_blank_cell_lists_the_first_ten_cells_and_how_many_in_all():
    # 12 blank cells in table 三: the first ten in the table's order, then the count (a report that left
    # a whole block blank gets a readable finding, not a list of 160 cells; the report page shows all)
    cols = ("commercial", "research", "social", "legal", "other", "natural")
    blanks = {(row, col): "" for row in ("v2019.s3.new_received", "v2019.s3.carried_over") for col in cols}
    df = check(template_rows(V19, blanks))
    b = one(df, "B-01", "v2019.s3", "")
    assert b.actual == 12
    listed = b.message.split("：", 1)[1].split("；")
    assert listed[0] == "一、本年新收政府信息公开申请数量 / 自然人（空白）"
    assert listed[9] == "二、上年结转政府信息公开申请数量 / 社会公益组织（空白）"
    assert listed[10:] == ["……（共 12 个，列出前 10 个）"]
    assert b.message_en.endswith("II. Applications carried over from last year / social welfare organisations (blank)"
                                 "; … (12 in all, the first 10 listed)")
    # exactly ten: all listed, no count
    ten = dict(list(blanks.items())[:10])
    b = one(check(template_rows(V19, ten)), "B-01", "v2019.s3", "")
    assert b.actual == 10 and len(b.message.split("：", 1)[1].split("；")) == 10
    assert "……" not in b.message and "listed" not in b.message_en


def test_lenient_counts_blanks_as_zero_and_says_so():
    df = check(template_rows(V19, BLANK_N01), lenient=True)
    assert keys(df, with_info=True) == {("N-01", "v2019.s3.new_received", "natural", "error", False),
                                        ("N-01", "v2019.s3.new_received", "total", "error", True)}
    f = one(df, "N-01", "v2019.s3.new_received", "natural")
    assert bool(f.lenient) and f.message.endswith("（宽松模式：1 个未填数字的单元格按 0 计）")
    assert not bool(one(df, "N-01", "v2019.s3.new_received", "total").lenient)


def test_na_and_text_cells_in_sums():
    df = check(template_rows(OLD, {"old.s4.review.total": "2", "old.s4.review.upheld": "/",
                                   "old.s4.review.other": "详见附表", "old.s6.complaints": "略"}))
    assert keys(df, with_info=True) == {
        ("O-13", "old.s4.review.total", "value", "error", False),
        ("B-01", "old.s4", "", "info", False),
        ("L-06", "old.s4.review.other", "value", "error", True),
        ("L-06", "old.s6.complaints", "value", "error", True),
    }
    assert one(df, "O-13", "old.s4.review.total").message.endswith(
        "：2 ≠ 「/」 + 0 + 「详见附表」（=0）（2 个单元格未填数字，按 0 计算仍不成立，结果不精确）")
    assert one(df, "B-01", "old.s4", "").message == ("「四、行政复议数量」有 1 个参与合计校验的单元格未填数字："
                                                 "（一）维持具体行政行为数（填写为「/」）")
    assert one(df, "L-06", "old.s6.complaints").message == "六、举报投诉数量 应填数字，实际为文字「略」"


def test_blank_total_over_filled_parts():
    df = check(template_rows(OLD, {"old.s8.staff.total": "", "old.s8.staff.part_time": "2",
                                   "old.s2.press_conf.total": "/", "old.s2.press_conf.principal": "1"}))
    assert keys(df) == {
        ("L-02", "old.s8.staff.total", "value", "error", True),        # 总计 (sum_of): error
        ("O-15", "old.s8.staff.total", "value", "error", False),
        ("L-02", "old.s2.press_conf.total", "value", "warning", True),  # 其中 parent (includes): warning
        ("O-05", "old.s2.press_conf.principal", "value", "error", False),
    }
    l2 = one(df, "L-02", "old.s8.staff.total")
    assert l2.expected == 2
    assert l2.message == ("（三）从事政府信息公开工作人员数 未填写（空白），但其组成项已填数字："
                          "1．专职人员数（不包括政府公报及政府网站工作人员数） 0 + 2．兼职人员数 2（合计 2）")


def test_blank_total_over_zero_parts_is_only_info():
    df = check(template_rows(OLD, {"old.s8.staff.total": ""}))
    assert keys(df, with_info=True) == {("B-04", "", "", "info", False),
                                        ("B-01", "old.s8", "", "info", False)}
    assert one(df, "B-04", "", "").message == "有 1 条勾稽关系仅在空白单元格按 0 计算时成立，无法精确校验：O-15 ×1"


def test_matrix_total_column_blank():
    df = check(template_rows(V19, {("v2019.s3.new_received", "natural"): "4",
                                   ("v2019.s3.new_received", "total"): "",
                                   ("v2019.s3.result.total", "natural"): "4", ("v2019.s3.result.total", "total"): "4",
                                   ("v2019.s3.result.public", "natural"): "4",
                                   ("v2019.s3.result.public", "total"): "4"}))
    assert keys(df) == {("L-02", "v2019.s3.new_received", "total", "error", True),
                        ("N-03", "v2019.s3.new_received", "total", "error", False),
                        ("N-01", "v2019.s3.new_received", "total", "error", False),
                        ("N-08", "v2019.s3.result.total", "total", "error", False)}  # 4 ≤ 空 + 0 fails too


def test_blank_table_is_one_finding():
    cells = {(c.item, c.column): "" for c in C.T.load(V19).cells if c.table == "s4"}
    df = check(template_rows(V19, cells))
    assert keys(df, with_info=True) == {("B-02", "v2019.s4", "", "warning", True)}
    assert one(df, "B-02", "v2019.s4", "").message == "「四、政府信息公开行政复议、行政诉讼情况」整表未填任何数字（全部为空或不适用）"


def test_blank_report_is_one_finding():
    cells = {(c.item, c.column): "" for c in C.T.load(OLD).cells if not c.heading}
    df = check(template_rows(OLD, cells))
    assert keys(df, with_info=True) == {("B-03", "", "", "warning", True)}


# ---------------------------------------------------------------------------- per cell

def test_value_domain():
    df = check(template_rows(V19, {"v2019.s2.art20_5.licensing.decisions": "-3",
                                    "v2019.s2.art20_5.licensing.change": "-3",          # signed: fine
                                    "v2019.s2.art20_9.procurement.amount": "251000元",  # money: 25.1 万元, fine
                                    "v2019.s2.art20_1.regulations.new_made": "2.5"}),
               template_rows(OLD, {"old.s8.budget": "1.5", "old.s8.inspection_points": "1.5"}, agency="旧表局"))
    assert keys(df) == {("N-07", "v2019.s2.art20_5.licensing.decisions", "value", "error", True),
                        ("N-07", "v2019.s2.art20_1.regulations.new_made", "value", "error", True),
                        ("O-17", "old.s8.inspection_points", "value", "error", True)}
    f = one(df, "N-07", "v2019.s2.art20_5.licensing.decisions")
    assert f.actual == -3
    assert f.message == "第二十条第（五）项 行政许可 处理决定数量 应为非负整数，实际为 -3（原文「-3」）"


def test_heading_with_value():
    df = check(template_rows(OLD, {"old.s1": "492", "old.s9": "——2", "old.s3": "——", "old.s8": ""}))
    assert keys(df) == {("L-01", "old.s1", "value", "warning", True), ("L-01", "old.s9", "value", "warning", True)}
    assert one(df, "L-01", "old.s1").message == "标题行「一、主动公开情况」填有数值「492」：该值可能属于相邻行或是小计，未作移动"


def test_money_unit():
    df = check(template_rows(V21, {"v2021.s2.art20_8.fees.amount_wan_yuan": "5000元"}),
               template_rows(V21, {"v2021.s2.art20_8.fees.amount_wan_yuan": "2000"}, agency="乙局"),
               template_rows(V21, {"v2021.s2.art20_8.fees.amount_wan_yuan": "0.35"}, agency="丙局"))
    got = {(r.agency, r.code, r.actual) for r in df.itertuples()}
    assert got == {("测试局", "N-13", 0.5), ("乙局", "N-13", 2000.0)}
    assert one(df[df.agency == "测试局"], "N-13", "v2021.s2.art20_8.fees.amount_wan_yuan").message == (
        "第二十条第（八）项 行政事业性收费 本年收费金额（单位：万元） 的单位是万元，填写为「5000元」（按万元计为 0.5）：请核对单位")


# ---------------------------------------------------------------------------- structure

def test_missing_section_row_cell_and_unknown_row():
    df = check(template_rows(OLD, drop={"old.s9", "old.s9.meetings", "old.s9.training_sessions", "old.s9.trainees",
                                        "old.s2.interpretations"},
                             extra=[("old.s3.received.email", "value", "3")]),
               template_rows(V19, drop={("v2019.s3.carry_forward", "legal")}, agency="新表局"))
    assert {(r.agency, r.code, r.item, r.column, r.severity) for r in df.itertuples()} == {
        ("测试局", "L-03", "old.s9", "", "error"),                       # one finding for the section
        ("测试局", "L-04", "old.s2.interpretations", "", "warning"),      # one for the row
        ("测试局", "L-04", "old.s3.received.email", "value", "warning"),  # a row the template lacks
        ("新表局", "L-04", "v2019.s3.carry_forward", "legal", "warning"),  # one cell of a row
        ("新表局", "B-04", "", "", "info"),                               # its sums become inexact
    }
    assert one(df[df.agency == "新表局"], "B-04", "", "").message.endswith("：N-01 ×1、N-03 ×1")
    assert one(df, "L-03", "old.s9", "").message == "缺少「九、政府信息公开会议和培训情况」：报告中没有该部分的任何单元格（缺失不等于 0）"
    assert one(df, "L-04", "old.s3.received.email").message == "模板中没有的行：old.s3.received.email（value），原文标签「插入的行」，值「3」"
    off = check(template_rows(V19, drop={("v2019.s3.carry_forward", "legal")}, agency="新表局"),
                catalogue=C.load_catalogue().configured(disabled=["B-04"]))
    assert "缺" in one(off, "N-01", "v2019.s3.new_received", "legal").message


def test_missing_table_is_not_zeros():
    df = check(template_rows(V21, drop={(c.item, c.column) for c in C.T.load(V21).cells if c.table == "s4"}))
    assert keys(df, with_info=True) == {("L-03", "v2021.s4", "", "error", True)}


def test_quarantine_and_extraction_issues_are_surfaced():
    con = inline_warehouse(template_rows(OLD))
    con.execute("INSERT INTO quarantine VALUES (1, 'x.csv', 7, '某局', '2018', 'old', 'old.s6.complaints', 'value', "
                "'3', '{}', 'year out of range')")
    rid = con.execute("SELECT report_id FROM reports").fetchall()[0][0]
    con.execute("INSERT INTO extraction_issues VALUES (?, 1, 'X-01', 'error', '未找到第四部分表格', "
                "'r.txt', 12, NULL)", [rid])
    df = run(con)
    assert {(r.code, r.severity, r.agency, r.message) for r in df.itertuples()} == {
        ("Q-01", "warning", "某局", "加载时被隔离的行（x.csv 第 7 行）：year out of range"),
        ("Q-02", "error", "测试局", "提取问题 X-01：未找到第四部分表格"),   # one code per meaning: is a parameter
    }


# ---------------------------------------------------------------------------- configuration

def test_severity_override_and_disabled_rules():
    cat = C.load_catalogue().configured({"O-03": "error", "L-02": "info"}, ["O-15"])
    df = check(template_rows(OLD, {"old.s1.proactive.total": "1", "old.s1.channel.website": "2",
                                   "old.s8.staff.total": "", "old.s8.staff.part_time": "2"}), catalogue=cat)
    assert keys(df) == {("O-03", "old.s1.channel.website", "value", "error", True)}
    assert one(df, "L-02", "old.s8.staff.total").severity == "info"
    assert "O-15" not in set(df.code)


def test_catalogue_configuration_is_validated():
    cat = C.load_catalogue()
    with pytest.raises(C.CatalogueError, match="unknown rule code 'O-99'"):
        cat.configured({"O-99": "error"})
    with pytest.raises(C.CatalogueError, match="severity of O-03 must be one of"):
        cat.configured({"O-03": "fatal"})


def test_a_cell_read_from_another_file_is_named_by_its_own_file(tmp_path):
    """The per-run cells table keeps a cell's file only where it differs from its report's: a finding
    anchored at such a cell names that file, the other findings the report's."""
    from checks import formats, warehouse

    rows = template_rows(V19, {("v2019.s3.new_received", "natural"): "3"})
    for r in rows:
        if (r["item"], r["column"]) == ("v2019.s3.new_received", "natural"):
            r["source_file"] = "annex.html"
    path = formats.write_extracted(pd.DataFrame(rows), tmp_path / "cells.csv")
    db = tmp_path / "w.duckdb"
    assert warehouse.load_paths([path], db).exit_code == 0
    con = warehouse.connect(db)
    try:
        df = run(con)
    finally:
        con.close()
    assert one(df, "N-01", "v2019.s3.new_received", "natural").source_file == "annex.html"
    report_file = rows[0]["source_file"]
    # N-03 sums the row into its total cell: anchored there, so the report's file although a term is elsewhere
    assert one(df, "N-03", "v2019.s3.new_received", "total").source_file == report_file != "annex.html"
