"""Across years and against the narrative, small and exact: the seeds' narrative contradictions
(domain.md §7), agency identity (renames, short forms, ambiguous names never merged), the documented
ways a narrative quotes the table, the carry-over chain, `gongkai agencies` and `gongkai history`."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from checks import agencies as A
from checks import crossyear, synth, warehouse
from checks.cli import app
from checks.rules import catalogue as C
from checks.rules import sql as S
from tests.conftest import SEEDS

NEW = ("Y-01", "Y-02", "Y-03", "Y-04", "C-01", "N-11", "N-12", "L-05", "T-01", "T-03", "T-04")


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    db = tmp_path_factory.mktemp("seedtxt") / "w.duckdb"
    warehouse.load_paths(sorted(SEEDS.glob("*.txt")), db)
    con = warehouse.connect(db)
    run = S.run_check(con, C.load_catalogue())
    df = con.execute("SELECT * FROM findings WHERE run_id = ?", [run.run_id]).df()
    con.close()
    return db, df


def test_seed_narratives_contradicting_their_tables_are_found(seeds):
    _, df = seeds
    new = df[df["code"].isin(NEW)]
    got = {(r.agency, r.code, r.severity, r.item, r.actual, r.expected if pd.notna(r.expected) else None)
           for r in new.itertuples()}
    assert got == {
        # 000: the narrative's 2279 = 61 + 2218 against 主动公开 61
        ("嘉善县经济和信息化局", "T-01", "warning", "old.s1.proactive.total", 2279, 61),
        # 002: 66 items on 微信 in the text; the table has 微信 blank (and 66 on 微博)
        ("台州市经信委", "T-01", "warning", "old.s1.channel.wechat", 66, None),
        # 002: two websites (329, 416) in one sentence against one 网站 row 426: ambiguous, information
        ("台州市经信委", "T-01", "info", "old.s1.channel.website", 329, 426),
        ("台州市经信委", "T-01", "info", "old.s1.channel.website", 416, 426),
        # 003: narrative total 649 against 260 (the table counts one platform only)
        ("镇海区经济合作局", "T-01", "warning", "old.s1.proactive.total", 649, 260),
        # 004: 微博 469 and 报纸报刊 340 against 264 and 379
        ("安康市工信局", "T-01", "warning", "old.s1.channel.weibo", 469, 264),
        ("安康市工信局", "T-01", "warning", "old.s1.channel.other", 340, 379),
    }
    # 001's narrative (收到依申请公开3件, 行政复议、行政诉讼各1件) agrees: nothing at all
    assert df[(df["agency"] == "嘉兴市经信局") & df["code"].isin(NEW)].empty
    w = new[(new["agency"] == "安康市工信局") & (new["item"] == "old.s1.channel.weibo")].iloc[0]
    assert "469条" in w.message and "「借助新媒体政务微博" in w.message and w.source_line == 4


def test_seed_findings_of_the_table_rules_are_unchanged(seeds):
    _, df = seeds
    old = df[~df["code"].isin(NEW) & (df["severity"] != "info") & (df["code"] != "Q-02")]
    assert {(r.agency, r.code) for r in old.itertuples()} == {
        ("嘉善县经济和信息化局", "O-03"), ("台州市经信委", "L-01"), ("台州市经信委", "L-02"), ("台州市经信委", "O-05"),
        ("台州市经信委", "O-15"), ("安康市工信局", "O-04"), ("安康市工信局", "O-02"), ("安康市工信局", "L-02"),
        ("安康市工信局", "O-15")}


# ------------------------------------------------------------------------------- agency identity

REGISTRY = """agency_id,name,aliases,region,level,note
A1,甲市经济和信息化局,甲市经济和信息化委员会,甲省,city,renamed 2019
B1,乙市经济和信息化局,,甲省,city,
C1,丙县统计局,,甲省,county,
"""


def _reports(*specs):
    """(agency, year, template, {cell: raw}) → an in-memory warehouse."""
    return synth.inline_warehouse(*[synth.template_rows(t, cells, agency=a, year=y) for a, y, t, cells in specs])


@pytest.fixture
def registry(tmp_path, monkeypatch):
    p = tmp_path / "agencies.csv"
    p.write_text(REGISTRY, encoding="utf-8")
    monkeypatch.setenv(A.REGISTRY_ENV, str(p))
    return p


def test_agency_names_resolve_across_renames_and_short_forms(registry):
    con = _reports(("甲市经济和信息化委员会", 2018, "old", {}), ("甲市经济和信息化局", 2019, "v2019", {}),
                   ("甲市经信局", 2020, "v2019", {}), ("市经信局", 2020, "v2019", {}),
                   ("丙县 统计局", 2021, "v2021", {}), ("丁镇人民政府", 2021, "v2021", {}))
    rows = {r["agency"]: r for r in A.agency_table(con)}
    assert {n: (rows[n]["how"], rows[n]["xid"]) for n in rows} == {
        "甲市经济和信息化委员会": ("name", "A1"), "甲市经济和信息化局": ("name", "A1"),
        "甲市经信局": ("normalised", "A1"),
        "市经信局": ("ambiguous", "市经信局"),          # 甲 or 乙: reported, never merged
        "丙县 统计局": ("normalised", "C1"), "丁镇人民政府": ("unmatched", "丁镇人民政府"),
        "乙市经济和信息化局": ("registered", "B1")}
    assert rows["市经信局"]["candidates"] == "A1, B1"
    assert rows["甲市经济和信息化局"]["years"] == [2019] and rows["甲市经济和信息化局"]["region"] == "甲省"
    assert A.normalise("甲市 经济和信息化委员会（盖章）") == "甲市经信委盖章"


def test_carry_over_chain_and_its_history(registry):
    con = _reports(
        ("甲市经济和信息化局", 2019, "v2019", {("v2019.s3.carry_forward", "natural"): "5",
                                         ("v2019.s3.carry_forward", "total"): "5"}),
        ("甲市经信局", 2020, "v2019", {("v2019.s3.carried_over", "natural"): "3",
                                  ("v2019.s3.carried_over", "total"): "3"}))
    S.run_check(con, C.load_catalogue())
    f = con.execute("SELECT agency, year, \"column\", actual, expected, message FROM findings WHERE code = 'C-01' "
                    "ORDER BY \"column\"").fetchall()
    assert [(a, y, c, v, e) for a, y, c, v, e, _ in f] == [("甲市经信局", 2020, "natural", 3, 5),
                                                          ("甲市经信局", 2020, "total", 3, 5)]
    assert "2019: 5 · 2020: 0" in f[0][5] and "2019 年报告的结转下年度继续办理为 5" in f[0][5]


def test_carry_over_chain_with_this_years_cell_missing_is_judged_not_a_crash(registry):
    """The 上年结转 cell absent (row dropped, or quarantined at load) while last year carried 5
    forward: C-01 judges it as 0 (inexact) and names the cell from the template; the check does not
    stop on a finding without a message."""
    con = synth.inline_warehouse(
        synth.template_rows("v2019", {("v2019.s3.carry_forward", "natural"): "5",
                                      ("v2019.s3.carry_forward", "total"): "5"}, agency="甲市经济和信息化局", year=2019),
        synth.template_rows("v2019", {}, agency="甲市经信局", year=2020,
                            drop=[("v2019.s3.carried_over", "natural"), ("v2019.s3.carried_over", "total")]))
    S.run_check(con, C.load_catalogue())
    f = con.execute("SELECT \"column\", actual, expected, exact, message, message_en FROM findings "
                    "WHERE code = 'C-01' ORDER BY \"column\"").fetchall()
    assert [(c, a, e, x) for c, a, e, x, _, _ in f] == [("natural", None, 5, False), ("total", None, 5, False)]
    assert f[0][4].startswith("二、上年结转政府信息公开申请数量 / 自然人 2020 年为 空，但 2019 年报告的结转下年度继续办理为 5")
    assert " is blank in 2020, but the 2019 report carried 5 forward" in f[0][5]


def _narrate(con, agency: str, rows: list[tuple[str, float, str]]) -> None:
    rid = con.execute("SELECT report_id FROM reports WHERE agency = ?", [agency]).fetchone()[0]
    for key, value, raw in rows:
        con.execute("INSERT INTO narrative (report_id, key, value, raw, sentence, source_line) VALUES (?, ?, ?, ?, ?, 1)",
                    [rid, key, value, raw, f"……{raw}……。"])


def test_narrative_quoting_patterns_are_allowed_before_flagging(registry):
    P = "v2019."
    con = _reports(("甲市经济和信息化局", 2019, "v2019", {
        (P + "s3.new_received", "natural"): "4", (P + "s3.new_received", "commercial"): "1",
        (P + "s3.new_received", "total"): "5", (P + "s3.carried_over", "natural"): "2",
        (P + "s3.carried_over", "total"): "2", (P + "s3.result.unable.not_held", "natural"): "3",
        (P + "s3.result.unable.not_held", "total"): "3", (P + "s3.result.unable.unclear", "total"): "1",
        (P + "s3.result.unable.unclear", "natural"): "1",
        P + "s4.lit_direct.upheld": "1", P + "s4.lit_direct.total": "1",
        P + "s4.lit_after_review.upheld": "1", P + "s4.lit_after_review.total": "1"}))
    _narrate(con, "甲市经济和信息化局", [
        (P + "s3.new_received", 5, "5件"),            # the 总计 column
        (P + "s3.new_received", 4, "4件"),            # the 自然人 column (T-04, information)
        (P + "s3.new_received", 7, "7件"),            # new + carried over
        (P + "s4.litigation.total", 2, "2件"),         # direct + after review
        (P + "s3.result.unable", 3, "3件"),            # one sub-row only (T-04, information)
        (P + "s4.review.total", 0, "没有发生行政复议"),     # agrees with 0
        (P + "s4.litigation.total", 0, "无行政诉讼"),       # says none: 2 in the table (T-03)
        (P + "s3.new_received", 9, "9件")])           # matches nothing (T-01)
    S.run_check(con, C.load_catalogue())
    f = con.execute("SELECT code, severity, actual, message FROM findings WHERE code LIKE 'T-%' ORDER BY code").fetchall()
    assert sorted((c, s, a) for c, s, a, _ in f) == [("T-01", "warning", 9), ("T-03", "warning", 0),
                                                    ("T-04", "info", 3), ("T-04", "info", 4)]
    part = {a: m for c, _, a, m in f if c == "T-04"}
    assert "本机关不掌握相关政府信息" in part[3] and "表中" in part[3] and "4" in part[3]
    assert "自然人列" in part[4]


# ------------------------------------------------------------------------------------- commands

def test_agencies_and_history_commands(registry, tmp_path):
    db = tmp_path / "w.duckdb"
    con = warehouse.connect(db)
    con.close()
    src = synth.template_rows("old", {"old.s3.received.total": "5", "old.s3.received.online": "5"},
                              agency="甲市经济和信息化委员会", year=2018)
    src += synth.template_rows("v2019", {("v2019.s3.new_received", "total"): "7",
                                         ("v2019.s3.new_received", "natural"): "7",
                                         ("v2019.s2.art20_1.normative_docs.new_made", "value"): "2"},
                               agency="甲市经济和信息化局", year=2019)
    src += synth.template_rows("v2021", {("v2021.s3.new_received", "total"): "40",
                                         ("v2021.s3.new_received", "natural"): "40"},
                               agency="甲市经信局", year=2021)
    csv = tmp_path / "in.csv"
    pd.DataFrame(src).to_csv(csv, index=False)
    warehouse.load_paths([csv], db)
    r = CliRunner().invoke(app, ["agencies", "--db", str(db), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert {a["agency"]: a["xid"] for a in out["agencies"] if a["years"]} == {
        "甲市经济和信息化委员会": "A1", "甲市经济和信息化局": "A1", "甲市经信局": "A1"}
    r = CliRunner().invoke(app, ["history", "甲市经信局", "applications.received", "--db", str(db), "--json"])
    assert r.exit_code == 0, r.output
    h = json.loads(r.stdout)
    assert h["xid"] == "A1" and h["years"] == [2018, 2019, 2021]
    assert h["rows"][0]["values"] == {"2018": 5.0, "2019": 7.0, "2021": 40.0}
    h = crossyear.history_of(db, "A1")
    made = next(x for x in h["rows"] if x["key"] == "normative_docs.new_made")
    assert made["values"] == {2019: 2.0}            # the series stops at the 2021 change
    r = CliRunner().invoke(app, ["history", "甲市经信局", "--db", str(db)])
    assert r.exit_code == 0 and "▁" in r.stdout and "applications.received" in r.stdout
    r = CliRunner().invoke(app, ["history", "nobody", "--db", str(db)])
    assert r.exit_code == 1 and "Traceback" not in r.output
    r = CliRunner().invoke(app, ["history", "A1", "no.such.series", "--db", str(db)])
    assert r.exit_code in (0, 3) and "Traceback" not in r.output


def test_a_narrative_sum_of_two_result_rows_is_neither_row():
    """"予以公开和部分公开共95件" states 予以公开 + 部分公开: it is not read as either row's count (no false T-01)."""
    from checks.extract import narrative as N
    read = lambda text: [(h.key, h.value) for h in N.extract([(1, text)], "v2019")]  # noqa: E731
    assert read("本年度予以公开和部分公开共95件，不予公开3件。") == [("v2019.s3.result.withheld", 3.0)]
    assert read("予以公开及部分公开的共95件。") == []
    assert read("本年度予以公开80件、部分公开15件。") == [("v2019.s3.result.public", 80.0),
                                                   ("v2019.s3.result.partial", 15.0)]
