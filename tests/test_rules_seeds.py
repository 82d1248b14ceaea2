"""The five seed reports (data/samples, loaded with checks.warehouse): every problem of domain.md §7 that
lies within one report's tables is found, with no false error; pandera and the GX frame agree with SQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks import warehouse
from checks.rules import catalogue as C
from checks.rules import pandera_checks as P
from checks.rules import sql as S

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
A000, A001, A002, A003, A004 = "嘉善县经济和信息化局", "嘉兴市经信局", "台州市经信委", "镇海区经济合作局", "安康市工信局"


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    db = tmp_path_factory.mktemp("seeds") / "w.duckdb"
    warehouse.load_paths(sorted(SAMPLES.glob("*.csv")), db)
    con = warehouse.connect(db)
    strict = S.run_check(con, C.load_catalogue())
    lenient = S.run_check(con, C.load_catalogue(), lenient=True)
    yield con, strict, lenient
    con.close()


def _findings(con, run_id):
    df = con.execute("SELECT * FROM findings WHERE run_id = ?", [run_id]).df()
    df["item"] = df["item"].fillna("")
    df["column"] = df["column"].fillna("")
    return df


def _problems(df, agency):
    d = df[(df.agency == agency) & (df.severity != "info")]
    return {(r.code, r.severity, r.item, bool(r.exact)) for r in d.itertuples()}


def test_each_seed_gets_exactly_its_known_problems(seeds):
    con, strict, _ = seeds
    df = _findings(con, strict.run_id)
    assert strict.reports == 5
    # 000: 政务微信 2218 > 主动公开 61
    assert _problems(df, A000) == {("O-03", "warning", "old.s1.channel.wechat", True)}
    # 001 (v2019): N-01/N-02/N-03 hold; nothing to report but blanks
    assert _problems(df, A001) == set()
    # 002: five headings with values; 其中 2 under a blank 新闻发布会总次数; blank 从事人员数 over 兼职 1
    assert _problems(df, A002) == {
        ("L-01", "warning", "old.s1", True), ("L-01", "warning", "old.s2", True),
        ("L-01", "warning", "old.s2.channel", True), ("L-01", "warning", "old.s3", True),
        ("L-01", "warning", "old.s9", True),
        ("L-02", "warning", "old.s2.press_conf.total", True),
        ("O-05", "error", "old.s2.press_conf.principal", False),
        ("L-02", "error", "old.s8.staff.total", True),
        ("O-15", "error", "old.s8.staff.total", False),
    }
    # 003 (宁波 variant): no gazette row, no section 九 — and nothing else wrong
    assert df[df.agency == A003].empty
    # 004: channel sum 1231 < 1267; 36 > 0; blank 从事人员数 over 0 + 2
    assert _problems(df, A004) == {
        ("O-04", "warning", "old.s1.proactive.total", True),
        ("O-02", "warning", "old.s1.proactive.normative_docs", True),
        ("L-02", "error", "old.s8.staff.total", True),
        ("O-15", "error", "old.s8.staff.total", False),
    }
    assert strict.errors == 5 and strict.warnings == 9


def test_seed_values_and_arithmetic(seeds):
    con, strict, _ = seeds
    df = _findings(con, strict.run_id)

    def get(agency, code, item):
        sel = df[(df.agency == agency) & (df.code == code) & (df.item == item) & (df.severity != "info")]
        assert len(sel) == 1
        return sel.iloc[0]
    o3 = get(A000, "O-03", "old.s1.channel.wechat")
    assert (o3.actual, o3.expected, o3.source_line) == (2218, 61, 80)
    o4 = get(A004, "O-04", "old.s1.proactive.total")
    assert (o4.actual, o4.expected) == (1231, 1267)
    assert o4.message.endswith("：0 + 588 + 264 + 0 + 379（=1231） < 1267")
    o2 = get(A004, "O-02", "old.s1.proactive.normative_docs")
    assert (o2.actual, o2.expected) == (36, 0)
    assert get(A002, "L-01", "old.s1").actual == 492
    assert [get(A002, "L-01", h).actual for h in ("old.s2", "old.s2.channel", "old.s3", "old.s9")] == [12, 10, 5, 2]
    o5 = get(A002, "O-05", "old.s2.press_conf.principal")
    assert (o5.actual, o5.expected) == (2, 0)
    assert o5.message.endswith("：2 > 空（1 个单元格未填数字，按 0 计算仍不成立，结果不精确）")
    l2 = get(A004, "L-02", "old.s8.staff.total")
    assert l2.expected == 2 and l2.source_file == "004_1779f513d25e1c56.txt"


def test_seed_blanks_are_visible_but_not_errors(seeds):
    con, strict, _ = seeds
    df = _findings(con, strict.run_id)
    info = df[df.severity == "info"]
    # comparisons that hold only with blanks as 0: one B-04 per report naming the rules, not one row each
    b04 = info[info.code == "B-04"].set_index("agency")
    assert b04.loc[A001, "actual"] == 47 and b04.loc[A001, "message"] == (
        "有 47 条勾稽关系仅在空白单元格按 0 计算时成立，无法精确校验：N-01 ×7、N-02 ×7、N-03 ×23、N-04 ×1、N-05 ×1、"
        "N-06 ×1、N-08 ×7")
    assert "O-14 ×1" in b04.loc[A000, "message"] and "O-14 ×1" in b04.loc[A000, "message_en"]
    assert not set(info.code) - {"B-01", "B-04"}
    assert (info[info.agency == A001].code.value_counts().to_dict() == {"B-01": 2, "B-04": 1})
    assert set(df[df.agency == A001].severity) == {"info"}


def test_seed_blank_comparisons_one_by_one_with_b04_off(seeds):
    """With B-04 switched off, each comparison that holds only with blanks as 0 is its own info finding."""
    con, _, _ = seeds
    run = S.run_check(con, C.load_catalogue().configured(disabled=["B-04"]))
    df = _findings(con, run.run_id)
    info = df[df.severity == "info"]
    # 000: 行政诉讼数量 total blank with blank children: inexact, holds as 0, each blank cell listed
    o14 = info[(info.agency == A000) & (info.code == "O-14")]
    assert len(o14) == 1 and not o14.iloc[0].exact
    assert o14.iloc[0].message.endswith("：空 = 空 + 空 + 空（=0）（4 个单元格未填数字，按 0 计算成立，无法精确校验）")
    b01 = info[(info.agency == A000) & (info.code == "B-01")]      # one per table, listing its blank cells
    s5 = b01[b01.item == "old.s5"].iloc[0]
    assert s5.actual == 4 and "五、行政诉讼数量（空白）" in s5.message and "（一）维持具体行政行为或者驳回原告诉讼请求数（空白）" in s5.message
    # 001: N-01 natural column 3 + 空 = 3 + 空
    n1 = info[(info.agency == A001) & (info.code == "N-01") & (info.column == "natural")].iloc[0]
    assert n1.message.endswith("（自然人列）：3 + 空 = 3 + 空（2 个单元格未填数字，按 0 计算成立，无法精确校验）")
    assert (info[info.agency == A001].code.value_counts().to_dict()
            == {"B-01": 2, "N-03": 23, "N-01": 7, "N-02": 7, "N-08": 7, "N-04": 1, "N-05": 1, "N-06": 1})
    assert set(df[df.agency == A001].severity) == {"info"}


def test_seeds_lenient(seeds):
    con, strict, lenient = seeds
    df = _findings(con, lenient.run_id)
    assert "B-01" not in set(df.code) and "info" not in set(df.severity)
    assert {(r.agency, r.code, r.item, bool(r.lenient)) for r in df.itertuples() if r.severity == "error"} == {
        (A002, "O-05", "old.s2.press_conf.principal", True), (A002, "O-15", "old.s8.staff.total", True),
        (A002, "L-02", "old.s8.staff.total", False), (A004, "O-15", "old.s8.staff.total", True),
        (A004, "L-02", "old.s8.staff.total", False)}
    assert lenient.warnings == strict.warnings
    # both runs are kept: history
    runs = con.execute("SELECT count(DISTINCT run_id) FROM findings").fetchall()[0][0]
    assert runs >= 2


def test_pandera_agrees_with_sql_on_seeds(seeds):
    con, strict, _ = seeds
    codes = P.sql_codes()
    assert set(codes) == {"L-01", "L-03", "L-04", "L-06", "N-07", "O-17", "B-02", "B-03"}
    df = _findings(con, strict.run_id)
    sql = {(r.code, r.report_id, r.item, r.column) for r in df.itertuples() if r.code in codes}
    pf = P.pandera_findings(con)
    pan = {(r.code, r.report_id, r.item or "", r.column or "") for r in pf.itertuples()}
    assert pan == sql
    assert {c for c, *_ in sql} == {"L-01"}  # the seeds' only structural problem: 002's headings


def test_evaluation_frame_agrees_with_findings(seeds):
    con, strict, _ = seeds
    ev = S.evaluation_frame(con)
    comp = {r.code for r in C.load_catalogue().enabled("comparison")}
    df = _findings(con, strict.run_id)
    failing = {(r.report_id, r.code, r.item, r.column) for r in ev.itertuples() if not r.ok}
    found = {(r.report_id, r.code, r.item, r.column) for r in df.itertuples()
             if r.code in comp and r.severity != "info"}
    assert failing == found
    # comparisons that hold only with blanks as 0: counted per report and rule in B-04's message
    inexact_ok = ev[ev.ok & ~ev.exact].groupby("report_id")["code"].value_counts()
    b04 = df[df.code == "B-04"].set_index("report_id")
    assert set(b04.index) == set(inexact_ok.index.get_level_values(0))
    for rid, msg in b04["message"].items():
        assert msg.split("：", 1)[1] == "、".join(f"{c} ×{n}" for c, n in sorted(inexact_ok.loc[rid].items()))
    assert set(ev.columns) >= {"agency", "year", "template", "report_id", "code", "instance_id", "item", "column",
                               "lhs", "rhs", "n_blank", "exact", "ok"}
