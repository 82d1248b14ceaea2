"""Extraction: the five seeds cell for cell against the golden files, every layout, encodings, HTML
spans, truncated and missing tables, unmapped lines, template detection, metadata, narrative counts,
the output files and the `gongkai extract` command."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from checks.cells import clean
from checks.cli import app
from checks.extract import (ISSUE_CODES, REPORT_SUFFIXES, Extraction, extract_file, extract_paths, extract_text,
                            write_extraction)
from checks.extract.narrative import PATTERNS, ZERO_PATTERNS
from checks.formats import COLUMNS, REQUIRED, read_extracted
from checks.templates import load
from tests.conftest import SAMPLES, SEED_STEMS, SEEDS

FIX = Path(__file__).parent / "fixtures" / "extract"
GOLDEN_COLUMNS = ["agency", "year", "template", "variant", "item", "column", "raw", "source_file", "source_line",
                  "label", "printed_unit", "state", "value"]
runner = CliRunner()


@pytest.fixture(scope="module")
def seeds() -> Extraction:
    return extract_paths([SEEDS])


def _one(name: str, **kw) -> Extraction:
    ext = extract_file(FIX / name, **kw)
    assert not ext.errors, ext.errors
    return ext


def _cells(ext: Extraction) -> dict[tuple[str, str], tuple]:
    """(item, column) → (raw, source_line, label, printed_unit, state, value)."""
    return {(r.item, r.column): (r.raw, int(r.source_line), r.label, r.printed_unit, r.state, r.value)
            for r in ext.cells.itertuples()}


def _codes(ext: Extraction) -> list[str]:
    return list(ext.issues["code"])


# ------------------------------------------------------------------ the five seeds
@pytest.mark.parametrize("stem", SEED_STEMS)
def test_seed_equals_golden_cell_for_cell(seeds: Extraction, stem: str):
    gold = read_extracted(SAMPLES / f"{stem}.csv")[GOLDEN_COLUMNS].astype(str)
    mine = seeds.cells[seeds.cells["source_file"] == f"{stem}.txt"][GOLDEN_COLUMNS].astype(str)
    assert len(mine) == len(gold)
    for g, m in zip(gold.itertuples(index=False), mine.itertuples(index=False)):
        assert tuple(m) == tuple(g), f"{stem}: golden {tuple(g)} != extracted {tuple(m)}"


def test_seed_output_file_reads_back_as_golden(seeds: Extraction, tmp_path: Path):
    out = tmp_path / "cells.csv"
    write_extraction(seeds, out)
    back = read_extracted(out)
    gold = pd.concat([read_extracted(SAMPLES / f"{s}.csv") for s in SEED_STEMS])
    assert back[GOLDEN_COLUMNS].values.tolist() == gold[GOLDEN_COLUMNS].values.tolist()


SEED_META = {  # stem → (agency, year, template, variant, layout, issue codes)
    "000_ebde6dcd4a6dec74": ("嘉善县经济和信息化局", "2018", "old", "", "tab-rows", []),
    "001_f432b4650208066c": ("嘉兴市经信局", "2020", "v2019", "", "cell-per-line", ["X-08"]),
    "002_75ba8c7c95ed2a3b": ("台州市经信委", "2017", "old", "", "glued", []),
    "003_ac397f543ad98429": ("镇海区经济合作局", "2018", "old", "ningbo", "cell-per-line", []),
    "004_1779f513d25e1c56": ("安康市工信局", "2018", "old", "", "pipe-vertical", ["X-10"]),
}


@pytest.mark.parametrize("stem", SEED_STEMS)
def test_seed_metadata_layout_and_issues(seeds: Extraction, stem: str):
    agency, year, template, variant, layout, codes = SEED_META[stem]
    r = seeds.reports.set_index("source_file").loc[f"{stem}.txt"]
    assert (r.agency, r.year, r.template, r.variant, r.layout) == (agency, year, template, variant, layout)
    assert list(seeds.issues.loc[seeds.issues.source_file == f"{stem}.txt", "code"]) == codes


def test_seed_001_agency_completed_from_the_text_with_evidence(seeds: Extraction):
    i = seeds.issues[seeds.issues.code == "X-08"].iloc[0]
    assert i.severity == "info" and i.source_line == 1 and i.raw == "市经信局"
    assert "嘉兴市经信局" in i.message and "中国嘉兴 ×1" in i.message and "嘉兴经信 ×1" in i.message


def test_seed_004_year_from_the_narrative_is_flagged(seeds: Extraction):
    i = seeds.issues[seeds.issues.code == "X-10"].iloc[0]
    assert i.source_file.startswith("004") and i.source_line == 6 and "2018年度" in i.message


def _val(ext: Extraction, stem: str, item: str, column: str = "value") -> tuple[str, str]:
    c = ext.cells
    r = c[(c.source_file == f"{stem}.txt") & (c.item == item) & (c.column == column)].iloc[0]
    return r.state, r.value


def _narr(ext: Extraction, stem: str) -> list[tuple[str, str, int]]:
    """The counts the narrative states (not the document facts ``doc:`` nor the percentages ``pct:``)."""
    n = ext.narrative[ext.narrative.source_file == f"{stem}.txt"]
    return [(r.key, r.value, int(r.source_line)) for r in n.itertuples() if not r.key.startswith(("doc:", "pct:"))]


def test_seed_facts_000(seeds: Extraction):
    s = "000_ebde6dcd4a6dec74"
    assert _val(seeds, s, "old.s1.channel.wechat") == ("NUMERIC", "2218")
    assert _val(seeds, s, "old.s1.proactive.total") == ("NUMERIC", "61")
    assert _val(seeds, s, "old.s5.litigation.total") == ("EMPTY", "")          # blank, never 0
    assert _val(seeds, s, "old.s3.received.in_person") == ("EMPTY", "")
    n = _narr(seeds, s)
    assert ("old.s1.proactive.total", "2279", 37) in n                          # 2279 = 61 + 2218
    assert ("old.s3.received.total", "0", 41) in n                              # 没有收到信息公开申请


def test_seed_facts_001(seeds: Extraction):
    s = "001_f432b4650208066c"
    assert _val(seeds, s, "v2019.s3.new_received", "total") == ("NUMERIC", "3")
    assert _val(seeds, s, "v2019.s3.carried_over", "total") == ("EMPTY", "")
    assert _val(seeds, s, "v2019.s3.result.total", "total") == ("NUMERIC", "3")
    assert _val(seeds, s, "v2019.s3.carry_forward", "total") == ("EMPTY", "")
    assert _val(seeds, s, "v2019.s2.art20_9.procurement.amount") == ("NUMERIC", "716.86")   # 7168600元 → 万元
    assert _val(seeds, s, "v2019.s4.review.total") == ("NUMERIC", "1")
    assert _val(seeds, s, "v2019.s4.lit_direct.total") == ("NUMERIC", "1")
    assert set(_narr(seeds, s)) == {("v2019.s4.review.total", "1", 6), ("v2019.s4.litigation.total", "1", 6),
                                    ("v2019.s3.new_received", "3", 10)}


def test_seed_facts_002(seeds: Extraction):
    s = "002_75ba8c7c95ed2a3b"
    for item, v in (("old.s1", "492"), ("old.s2", "12"), ("old.s2.channel", "10"), ("old.s3", "5"), ("old.s9", "2")):
        assert _val(seeds, s, item) == ("NUMERIC", v)                           # L-01: kept on the heading
    assert _val(seeds, s, "old.s2.press_conf.total") == ("EMPTY", "")
    assert _val(seeds, s, "old.s2.press_conf.principal") == ("NUMERIC", "2")
    assert _val(seeds, s, "old.s8.staff.total") == ("EMPTY", "")
    assert _val(seeds, s, "old.s8.staff.part_time") == ("NUMERIC", "1")
    assert _val(seeds, s, "old.s1.channel.weibo") == ("NUMERIC", "66")
    assert _val(seeds, s, "old.s1.channel.wechat") == ("EMPTY", "")
    n = _narr(seeds, s)
    assert ("old.s1.channel.wechat", "66", 17) in n                             # the text says 微信
    assert ("old.s3.received.total", "5", 29) in n


def test_seed_facts_003(seeds: Extraction):
    s = "003_ac397f543ad98429"
    items = set(seeds.cells.loc[seeds.cells.source_file == f"{s}.txt", "item"])
    assert "old.s1.channel.gazette" not in items and not any(i.startswith("old.s9") for i in items)
    assert _val(seeds, s, "old.s1.proactive.total") == ("NUMERIC", "260")
    assert ("old.s1.proactive.total", "649", 7) in _narr(seeds, s)


def test_seed_facts_004(seeds: Extraction):
    s = "004_1779f513d25e1c56"
    channels = [float(_val(seeds, s, f"old.s1.channel.{c}")[1]) for c in ("gazette", "website", "weibo", "wechat", "other")]
    assert sum(channels) == 1231 and _val(seeds, s, "old.s1.proactive.total")[1] == "1267"
    assert _val(seeds, s, "old.s1.proactive.normative_docs")[1] == "36"
    assert _val(seeds, s, "old.s1.proactive.normative_docs_issued") == ("ZERO", "0")
    assert _val(seeds, s, "old.s8.staff.total") == ("EMPTY", "")
    n = _narr(seeds, s)
    for fact in (("old.s1.channel.other", "340", 6), ("old.s1.channel.weibo", "469", 4),
                 ("old.s1.channel.weibo", "264", 6), ("old.s1.proactive.total", "1267", 6),
                 ("old.s1.proactive.normative_docs", "36", 6), ("old.s2.press_conf.total", "1", 6)):
        assert fact in n


def test_narrative_rows_carry_sentence_and_position(seeds: Extraction):
    n = seeds.narrative
    r = n[(n.source_file == "004_1779f513d25e1c56.txt") & (n.value == "340")].iloc[0]
    line = (SEEDS / "004_1779f513d25e1c56.txt").read_text(encoding="utf-8").split("\n")[r.source_line - 1]
    assert line[r.char_start:r.char_end] == r.raw == "340条"
    assert r.sentence in line and "报纸报刊" in r.sentence
    assert list(n.columns) == ["agency", "year", "source_file", "key", "value", "raw", "sentence", "source_line",
                               "char_start", "char_end"]


def test_narrative_patterns_are_data_with_documented_keys():
    extra = {"v2019.s4.litigation.total", "v2021.s4.litigation.total"}
    groups = {"withheld", "unable", "not_processed"}
    for templates, keys, rx in PATTERNS + ZERO_PATTERNS:
        assert templates in ("old", "v") and isinstance(rx, str) and keys
        for key in keys:
            for tid in (("old",) if templates == "old" else ("v2019", "v2021")):
                k = key.format(t=tid)
                items = {c.item for c in load(tid).cells} | {c.item.rsplit(".", 1)[0] for c in load(tid).cells}
                rows = {r.code for t in load(tid).tables for r in t.rows}
                assert k in items or k in rows or k in extra or k.rsplit(".", 1)[-1] in groups, k


# ------------------------------------------------------------------ each layout (hand-written fixtures)
def test_pipe_rows_keep_raw_padding_and_report_an_inserted_row():
    ext = _one("old_pipe_rows.txt")
    c = _cells(ext)
    assert ext.reports.layout[0] == "pipe-rows"
    assert c[("old.s1", "value")] == (" —— ", 9, "一、主动公开情况", "——", "NA", "")
    assert c[("old.s1.proactive.total", "value")][:2] == (" 120 ", 10)
    assert c[("old.s1.channel.gazette", "value")] == ("  ", 14, "1．政府公报公开政府信息数", "条", "EMPTY", "")
    assert c[("old.s1.channel.weibo", "value")][2] == "3、政务微博公开政府信息数"
    assert c[("old.s1.channel.other", "value")][:2] == (" / ", 19)     # after the inserted row: not shifted
    assert c[("old.s3.received.letter", "value")][:2] == (" 0 ", 25)
    assert len(c) == 16
    x = ext.issues[ext.issues.code == "X-03"]
    assert list(x.source_line) == [18] and "小计" in x.message.iloc[0] and "小计" in x.raw.iloc[0]
    assert list(ext.issues.code) == ["X-03"]


def test_pipe_compact_rows():
    ext = _one("old_pipe_compact.txt")
    c = _cells(ext)
    assert c[("old.s1.proactive.total", "value")][:2] == ("88", 6)
    assert c[("old.s8.budget", "value")] == ("0.8", 15, c[("old.s8.budget", "value")][2], "万元", "NUMERIC", "0.8")
    assert c[("old.s9.trainees", "value")] == ("45", 19, "（三）接受培训人员数", "人次", "NUMERIC", "45")
    assert len(c) == 15
    assert _codes(ext) == ["X-09"]          # no §0 marker in these rows: the template comes from the labels


def test_one_cell_per_line_with_blank_lines_and_a_wrapped_label():
    ext = _one("old_line_blocks.txt")
    c = _cells(ext)
    assert ext.reports.layout[0] == "cell-per-line"
    assert c[("old.s1.proactive.total", "value")] == (
        "47", 20, "（一）主动公开政府信息数（不同渠道和方式公开相同信息计1条）", "条", "NUMERIC", "47")
    assert c[("old.s1.proactive.normative_docs_issued", "value")] == ("", 26, "制发规范性文件总数", "件", "EMPTY", "")
    assert c[("old.s1.channel.gazette", "value")][0::4] == ("无", "NA")
    assert len(c) == 7


def test_glued_labels_with_the_value_on_the_wrapped_line():
    ext = _one("old_glued_wrapped.txt")
    c = _cells(ext)
    assert ext.reports.layout[0] == "glued"
    assert c[("old.s1", "value")] == ("", 6, "一、主动公开情况", "——", "EMPTY", "")
    assert c[("old.s1.proactive.total", "value")] == (
        "35", 8, "(一)主动公开政府信息数(不同渠道和方式公开相同信息计1条)", "", "NUMERIC", "35")
    assert c[("old.s1.channel.gazette", "value")] == ("—", 12, "1.政府公报公开政府信息数", "", "NA", "")
    assert c[("old.s7.fees", "value")] == ("0.5", 15, "七、依申请公开信息收取的费用", "万元", "NUMERIC", "0.5")
    assert len(c) == 9 and _codes(ext) == []          # 举报投诉数量 is an old-template marker


def test_v2021_tab_rows_read_the_matrix_and_section_four_column_true():
    ext = _one("v2021_tab_rows.txt")
    c = _cells(ext)
    assert ext.reports[["template", "layout", "agency", "year"]].values.tolist() == [
        ["v2021", "tab-rows", "某某区教育局", "2022"]]
    row = [c[("v2021.s3.new_received", col)][0] for col in
           ("natural", "commercial", "research", "social", "legal", "other", "total")]
    assert row == ["5", "", "1", "", "", "", "6"]
    assert c[("v2021.s3.result.withheld.state_secret", "total")][:3] == ("0", 29, "1．属于国家秘密")
    assert c[("v2021.s3.result.other.other", "natural")][:3] == ("1", 32, "3．其他")
    assert ("v2021.s3.result.other.overdue_no_fee", "natural") not in c       # row absent: no cell
    s4 = [c[(f"v2021.s4.{g}.{k}", "value")][0] for g in ("review", "lit_direct", "lit_after_review")
          for k in ("upheld", "corrected", "other", "pending", "total")]
    assert s4 == ["1", "", "", "1", "2", "", "1", "", "", "1", "", "", "", "", ""]
    assert c[("v2021.s4.review.total", "value")][2] == "总计"
    assert c[("v2021.s2.art20_8.fees.amount_wan_yuan", "value")][0::4] == ("1.5", "NUMERIC")
    assert c[("v2021.s2.art20_1.normative_docs.in_force", "value")][:3] == ("12", 10, "行政规范性文件")
    assert len(c) == 10 + 12 * 7 + 15 - 14 and not _codes(ext)
    assert sorted(r.key for r in ext.narrative.itertuples() if not r.key.startswith("doc:")) == sorted([
        "v2021.s3.new_received", "v2021.s3.carried_over", "v2021.s3.result.total", "v2021.s3.carry_forward",
        "v2021.s4.review.total", "v2021.s4.litigation.total"])


def test_html_with_rowspan_colspan_nbsp_escaped_quotes():
    ext = _one("v2019_spans.html")
    c = _cells(ext)
    assert ext.reports[["template", "layout", "agency", "year"]].values.tolist() == [
        ["v2019", "html", "某某市交通运输局", "2019"]]
    cols = ("natural", "commercial", "research", "social", "legal", "other", "total")
    assert [c[("v2019.s3.new_received", k)][0] for k in cols] == ["4", "\xa0", "1", "\xa0", "\xa0", "\xa0", "5"]
    assert [c[("v2019.s3.new_received", k)][4] for k in cols][:3] == ["NUMERIC", "EMPTY", "NUMERIC"]
    assert c[("v2019.s3.carried_over", "total")][:2] == ("0", 24)               # colspan=\"3\" read as 3
    sec = c[("v2019.s3.result.withheld.security_stability", "natural")]
    assert sec[:3] == ("1", 27, '3.危及"三安全一稳定"')                        # &quot; decoded, rowspan group
    assert c[("v2019.s3.result.public", "research")][:2] == ("1", 25)
    assert c[("v2019.s2.art20_1.normative_docs.total_published", "value")][:2] == ("5", 16)
    assert c[("v2019.s4.review.pending", "value")] == ("1", 37, "尚未审结", "", "NUMERIC", "1")
    assert len(c) == 6 + 8 * 7 + 15 and not _codes(ext)
    assert ("v2019.s4.review.total", "1", 10) in [(r.key, r.value, r.source_line) for r in ext.narrative.itertuples()]


def test_html_nested_layout_table_in_gbk_with_a_spanning_heading():
    ext = _one("old_nested_gbk.htm")
    c = _cells(ext)
    r = ext.reports.iloc[0]
    assert (r.agency, r.year, r.template, r.encoding) == ("某某县司法局", "2016", "old", "gb18030")
    assert c[("old.s1", "value")] == ("", 9, "一、主动公开情况", "", "EMPTY", "")
    assert c[("old.s1.proactive.total", "value")] == (
        "52", 10, "（一）主动公开政府信息数（不同渠道和方式公开相同信息计1条）", "条", "NUMERIC", "52")
    assert c[("old.s1.proactive.normative_docs", "value")][0::4] == ("\xa0", "EMPTY")     # &nbsp;
    assert c[("old.s5.litigation.corrected", "value")][:2] == ("1", 19)                    # not s4's 被依法纠错数
    assert len(c) == 12


def test_tab_cells_layout_of_the_seeds_keeps_wrapped_labels():
    ext = extract_file(SEEDS / "003_ac397f543ad98429.txt")
    c = _cells(ext)
    assert c[("old.s1.proactive.total", "value")][:3] == (
        "260", 46, "（一）主动公开政府信息数（不同渠道和方式公开相同信息计1条）")


# ------------------------------------------------------------------ encodings and unreadable files
ENCODED = {"enc_utf8.txt": "utf-8", "enc_utf8_bom.txt": "utf-8-sig", "enc_gb18030.txt": "gb18030",
           "enc_crlf_gbk.txt": "gb18030", "enc_utf16le_bom.txt": "utf-16-le", "enc_utf16be_bom.txt": "utf-16-be",
           "enc_utf16le_nobom.txt": "utf-16"}


@pytest.mark.parametrize("name", sorted(ENCODED))
def test_encodings_give_the_same_cells(name: str):
    ref = _one("enc_utf8.txt")
    ext = _one(name)
    assert ext.reports.encoding[0] == ENCODED[name]
    cols = ["agency", "year", "template", "item", "column", "raw", "source_line", "label", "printed_unit", "state",
            "value"]
    assert ext.cells[cols].values.tolist() == ref.cells[cols].values.tolist()
    assert len(ext.cells) == 7
    c = _cells(ext)
    assert c[("old.s1.proactive.total", "value")][0::4] == ("１５", "NUMERIC")
    assert c[("old.s3.received.total", "value")][0::4] == ("1件", "NUMERIC")
    assert (ext.reports.agency[0], ext.reports.year[0]) == ("某某市档案局", "2017")


def test_unreadable_files_are_errors_and_the_rest_goes_on(tmp_path: Path):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    ext = extract_paths([FIX / "bad_bytes.txt", FIX / "empty.txt", pdf, tmp_path / "missing.txt",
                         FIX / "enc_utf8.txt"])
    msgs = [str(e) for e in ext.errors]
    assert len(msgs) == 4
    assert "bad_bytes.txt" in msgs[0] or any("not UTF-8, UTF-16 or GB18030" in m for m in msgs)
    assert any("the file is empty" in m for m in msgs)
    assert any("not a report file" in m for m in msgs)
    assert any("no such file" in m for m in msgs)
    assert list(ext.reports.source_file) == ["enc_utf8.txt"] and len(ext.cells) == 7


def test_folders_are_searched_for_report_suffixes(tmp_path: Path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "r.TXT").write_bytes((FIX / "enc_utf8.txt").read_bytes())
    (tmp_path / "notes.md").write_text("x")
    ext = extract_paths([tmp_path])
    assert list(ext.reports.source_file) == ["r.TXT"] and not ext.errors
    assert REPORT_SUFFIXES == {".txt", ".htm", ".html"}


# ------------------------------------------------------------------ nothing silently lost
def test_truncated_text_table_is_flagged_and_not_padded():
    ext = _one("old_truncated.txt")
    c = _cells(ext)
    assert len(c) == 27 and max(r[1] for r in c.values()) == 33
    assert ("old.s3.closed.on_time", "value") not in c
    x = ext.issues[ext.issues.code == "X-02"].iloc[0]
    assert x.severity == "error" and x.source_line == 33
    assert "（二）申请办结数" in x.message and "38 template rows" in x.message and "1．按时办结数" in x.message
    assert _codes(ext) == ["X-02"]


def test_truncated_html_page_keeps_only_the_cells_it_has():
    ext = _one("v2019_truncated.html")
    c = _cells(ext)
    assert [k for k in c if k[0].endswith("result.public")] == [
        ("v2019.s3.result.public", "natural"), ("v2019.s3.result.public", "commercial"),
        ("v2019.s3.result.public", "research")]
    assert c[("v2019.s3.result.public", "natural")][0] == "1" and len(c) == 17
    x = ext.issues[ext.issues.code == "X-02"].iloc[0]
    assert "（一）予以公开" in x.message and "3 of 7 cells" in x.message and x.source_line == 10
    assert "v2021 equally well" in ext.issues[ext.issues.code == "X-09"].message.iloc[0]


@pytest.mark.parametrize("name", ["no_table.txt", "no_table.html"])
def test_no_table_gives_table_not_found_and_zero_cells(name: str):
    ext = _one(name)
    assert ext.cells.empty and _codes(ext) == ["X-01"]
    assert ext.issues.severity[0] == "error" and "nothing is read as 0" in ext.issues.message[0]
    assert ext.reports.agency[0].endswith("局") and ext.reports.year[0] in ("2023", "2024")


def test_duplicate_rows_and_extra_cells_are_reported():
    text = ("某某局2018年度政府信息公开工作年度报告\n\n政府信息公开情况统计表\n统计指标\t单位\t统计数\n"
            "一、主动公开情况\t——\t——\n（一）主动公开政府信息数\t条\t5\t备注：含转载\n"
            "其中：主动公开规范性文件数\t条\t1\n（一）主动公开政府信息数\t条\t6\n制发规范性文件总数\t件\t1\n"
            "六、举报投诉数量\t件\t0\n合计\t条\t5\n单位负责人：甲\n")
    res = extract_text(text, "dup.txt")
    cells = {c[1]: c[3] for c in res.cells}
    assert cells["old.s1.proactive.total"] == "5" and cells["old.s1.proactive.normative_docs_issued"] == "1"
    msgs = {(i.code, i.line): i.message for i in res.issues}
    assert "extra cell «备注：含转载»" in msgs[("X-03", 6)]
    assert "duplicate row" in msgs[("X-03", 8)] and "line 6" in msgs[("X-03", 8)]
    assert "«合计» is not a row of the form but holds values" in msgs[("X-03", 11)] and "(values 5)" in msgs[("X-03", 11)]
    assert [i.code for i in res.issues] == ["X-03"] * 3


def test_a_matrix_row_with_missing_cells_is_blank_in_its_own_columns():
    text = ("某某局2020年度政府信息公开工作年度报告\n三、收到和处理政府信息公开申请情况\n"
            "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\t申请人情况\n"
            "一、本年新收政府信息公开申请数量\t2\t\t\t1\n二、上年结转政府信息公开申请数量\t0\t0\t0\t0\t0\t0\t0\t9\n"
            "（七）总计\t1\t\t\t\t\t\t1\n五、存在的主要问题及改进情况\n今年我们的工作还有许多需要改进的地方，将继续努力。\n")
    res = extract_text(text, "m.txt")
    c = {(x[1], x[2]): x[3] for x in res.cells}
    assert [c[("v2019.s3.new_received", k)] for k in ("natural", "commercial", "research", "social", "legal",
                                                       "other", "total")] == ["2", "", "", "1", "", "", ""]
    x13 = [i for i in res.issues if i.code == "X-13"]
    assert [i.line for i in x13] == [4, 5] and "4 cells" in x13[0].message and "extra" in x13[1].message


# ------------------------------------------------------------------ template detection and metadata
def test_mixed_template_is_a_finding_and_columns_follow_the_header():
    ext = _one("mixed_template.txt")
    x = ext.issues[ext.issues.code == "X-05"].iloc[0]
    assert x.severity == "error" and "v2019" in x.message and "本年处理决定数量" in x.message
    c = _cells(ext)
    assert c[("v2019.s2.art20_5.licensing.decisions", "value")][0] == "12"      # by its header, not position
    assert ("v2019.s2.art20_5.licensing.prev_count", "value") not in c


def test_early_template_is_unknown_and_not_extracted():
    ext = _one("early.txt")
    assert ext.cells.empty and _codes(ext) == ["X-04"] and "early" in ext.issues.message[0]


def test_template_comes_from_content_not_from_the_year():
    text = (FIX / "v2021_tab_rows.txt").read_text(encoding="utf-8").replace("2022年度", "2016年度")
    res = extract_text(text, "x.txt")
    assert (res.template, res.year) == ("v2021", "2016")


def test_missing_year_and_agency_are_flagged_not_guessed():
    body = "\n".join((FIX / "enc_utf8.txt").read_text(encoding="utf-8").split("\n")[6:])
    res = extract_text("统计数据如下。\n" + body, "anon.txt")
    assert (res.agency, res.year) == ("", "")
    assert [i.code for i in res.issues][:2] == ["X-06", "X-07"]
    assert len(res.cells) == 7                                                  # still extracted
    res2 = extract_text("统计数据如下。\n" + body, "anon.txt", agency="某某市档案局", year=2017)
    assert (res2.agency, res2.year) == ("某某市档案局", "2017") and not res2.issues


def test_title_and_table_years_that_disagree_are_flagged():
    text = (FIX / "enc_utf8.txt").read_text(encoding="utf-8").replace("（2017年1月1日至2017年12月31日）",
                                                                     "（2016年1月1日至2016年12月31日）")
    res = extract_text(text, "y.txt")
    assert res.year == "2017" and [i.code for i in res.issues] == ["X-12"]


def test_agency_that_cannot_be_completed_is_flagged():
    text = (FIX / "enc_utf8.txt").read_text(encoding="utf-8").replace("某某市档案局", "市档案局")
    res = extract_text(text, "z.txt")
    assert res.agency == "市档案局" and [i.code for i in res.issues] == ["X-11"]


def test_issue_codes_are_stable():
    assert ISSUE_CODES["X-01"] == ("table-not-found", "error")
    assert ISSUE_CODES["X-02"] == ("table-truncated", "error")
    assert ISSUE_CODES["X-03"] == ("unmapped-line", "warning")
    assert {ISSUE_CODES[c][0] for c in ("X-04", "X-05", "X-06", "X-07", "X-08")} == {
        "template-unknown", "template-mixed", "year-not-found", "agency-not-found", "agency-completed"}


# ------------------------------------------------------------------ output files and the command
@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_write_extraction_in_each_format(seeds: Extraction, tmp_path: Path, fmt: str):
    out = tmp_path / f"cells.{fmt}"
    paths = write_extraction(seeds, out, None)
    assert [p.name for p in paths] == [f"cells.{fmt}", f"cells.narrative.{fmt}", f"cells.issues.{fmt}"]
    back = read_extracted(out)
    assert set(REQUIRED) <= set(back.columns) and len(back) == 453
    assert back["raw"].tolist() == seeds.cells["raw"].tolist()                  # \xa0 and '' survive
    if fmt == "csv":
        n = pd.read_csv(paths[1], dtype=str, keep_default_na=False)
        assert len(n) == len(seeds.narrative) and list(n.columns)[3] == "key"


def test_cells_frame_has_the_format_columns(seeds: Extraction):
    assert list(seeds.cells.columns) == list(COLUMNS)
    assert not seeds.cells.duplicated(["source_file", "item", "column"]).any()


def test_cli_extract_writes_three_files(tmp_path: Path):
    out = tmp_path / "o" / "cells.csv"
    r = runner.invoke(app, ["extract", str(SEEDS), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert out.exists() and (tmp_path / "o" / "cells.narrative.csv").exists()
    assert (tmp_path / "o" / "cells.issues.csv").exists()
    assert "5 report(s), 453 cells" in r.output


def test_cli_extract_json_and_exit_codes(tmp_path: Path):
    r = runner.invoke(app, ["extract", str(FIX / "no_table.txt"), "--out", str(tmp_path / "c.jsonl"), "--json"])
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["cells"] == 0 and data["issues"][0]["code"] == "X-01" and data["exit_code"] == 1
    r = runner.invoke(app, ["extract", str(FIX / "empty.txt"), str(FIX / "enc_utf8.txt"),
                            "--out", str(tmp_path / "d.csv"), "-q"])
    assert r.exit_code == 1 and (tmp_path / "d.csv").exists()         # a file rejected: data, not the tool (issue 12)


@pytest.mark.parametrize("args, message", [
    (["--format", "xml"], "--format 'xml'"),
    (["--format", "csv", "--out", "x.parquet"], "make them agree"),
])
def test_cli_extract_user_errors_are_one_line(args, message, tmp_path: Path):
    r = runner.invoke(app, ["extract", str(FIX / "enc_utf8.txt"), *args])
    assert r.exit_code == 64 and message in r.output and "Traceback" not in r.output      # a usage error


def test_cli_extract_nothing_readable(tmp_path: Path):
    r = runner.invoke(app, ["extract", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "x.csv")])
    assert r.exit_code == 3 and "no report could be read" in r.output


def test_overrides_apply_to_every_report():
    ext = extract_paths([SEEDS / "004_1779f513d25e1c56.txt"], agency="某局", year=2019)
    assert set(ext.cells.agency) == {"某局"} and set(ext.cells.year) == {"2019"} and ext.issues.empty


def test_raw_text_is_never_changed_in_text_layouts(seeds: Extraction):
    for r in seeds.cells.itertuples():
        line = (SEEDS / r.source_file).read_text(encoding="utf-8").split("\n")[r.source_line - 1]
        assert r.raw in line
        assert clean(r.raw) == "" or r.state != "EMPTY"


@pytest.mark.parametrize("wrap", ["p", "pre"])
def test_html_page_with_the_table_written_as_text(wrap: str):
    from checks.extract.render import render
    tmpl = load("old")
    values = {(c.item, c.column): str(i % 7) for i, c in enumerate(tmpl.cells)}
    if wrap == "p":       # one paragraph per cell, as Word→HTML converters write it
        text = render("old", values, "line-blocks")
        page = "<html><body>\n" + "\n".join(f"<p>{l or '&nbsp;'}</p>" for l in text.split("\n")) + "\n</body></html>"
    else:                 # a TAB table in <pre>
        page = "<html><body><pre>\n" + render("old", values, "tab-rows") + "</pre></body></html>"
    res = extract_text(page, "t.html")
    assert res.layout == ("html-text/cell-per-line" if wrap == "p" else "html-text/tab-rows")
    assert {(c[1], c[2]): c[3] for c in res.cells} == values and not res.issues
    lines = page.split("\n")
    assert all(c[3] in lines[c[4] - 1] for c in res.cells)      # the line of each cell's text


def test_html_or_text_is_decided_by_content_not_suffix(tmp_path: Path):
    (tmp_path / "saved.htm").write_bytes((FIX / "enc_utf8.txt").read_bytes())
    (tmp_path / "page.txt").write_bytes((FIX / "v2019_spans.html").read_bytes())
    ext = extract_paths([tmp_path])
    r = ext.reports.set_index("source_file")
    assert (r.loc["saved.htm", "layout"], r.loc["saved.htm", "cells"]) == ("tab-rows", 7)
    assert (r.loc["page.txt", "layout"], r.loc["page.txt", "cells"]) == ("html", 77)


def test_html_cells_keep_their_row_line_and_grid_column():
    """Provenance in HTML: the <tr> line and the column after colspan/rowspan expansion."""
    from checks.extract import extract_paths
    cells = extract_paths([FIX / "v2019_spans.html"]).cells
    row = cells[cells["item"] == "v2019.s3.new_received"]
    assert row[["column", "raw", "source_line", "source_col"]].values.tolist() == [
        ["natural", "4", 23, 4], ["commercial", "\xa0", 23, 5], ["research", "1", 23, 6], ["social", "\xa0", 23, 7],
        ["legal", "\xa0", 23, 8], ["other", "\xa0", 23, 9], ["total", "5", 23, 10]]   # &nbsp; cells
    review = cells[cells["item"] == "v2019.s4.review.pending"]
    assert review[["raw", "source_line", "source_col"]].values.tolist() == [["1", 37, 4]]
    text = extract_paths([FIX / "old_pipe_rows.txt"]).cells
    assert set(text["source_col"]) == {""}


@pytest.mark.parametrize("form", ["text", "crlf-text", "bom-crlf-text", "bom-crlf-file"])
def test_html_row_lines_with_tags_wrapped_over_lines_crlf_and_bom(form: str, tmp_path: Path):
    """A cell's line is the line of its <tr> start tag, also when the tag is wrapped over lines (Word's
    HTML export), with CRLF line ends and a BOM, in a file or in text the caller already decoded."""
    page = (FIX / "v2019_spans.html").read_text(encoding="utf-8")
    page = page.replace("<tr>", "<tr style='mso-yfti-irow:0;\n  height:20.0pt'>").replace(
        "<td>", "<td width=20 valign=top\n style='border:solid windowtext 1.0pt'>")
    lines = page.split("\n")
    if form == "bom-crlf-file":
        (tmp_path / "p.html").write_bytes(b"\xef\xbb\xbf" + page.replace("\n", "\r\n").encode("utf-8"))
        cells = [(r.template, r.item, r.column, r.raw, r.source_line)
                 for r in extract_paths([tmp_path]).cells.itertuples()]
    else:
        crlf = page.replace("\n", "\r\n")
        cells = extract_text({"text": page, "crlf-text": crlf, "bom-crlf-text": "\ufeff" + crlf}[form], "p.html").cells
    assert len(cells) == 77
    for c in cells:
        assert lines[c[4] - 1].startswith("<tr ")                     # the <tr line, not its ">" line
    c = {(x[1], x[2]): x[4] for x in cells}
    label = next(i for i, l in enumerate(lines) if "一、本年新收" in l) + 1
    assert c[("v2019.s3.new_received", "total")] == label - 1          # its <tr ...> is wrapped: \n before ">"


def test_html_lines_past_65535_and_inputs_the_parser_rejects():
    from checks.extract import html as _html
    page = "<p>一</p>\n" * 70000 + "<table>\n<tr\n a=1><td>x</td></tr>\n</table>\n<p>二</p>"
    doc = _html.parse(page)
    assert (doc.tables[0].line, doc.tables[0].row_lines, doc.tables[0].closed) == (70001, [70002], True)
    assert doc.texts[-1] == (70005, "二") and doc.texts[69999] == (70000, "一")
    for text in ["", " \n ", "\x00", "<!-- only a comment -->", "<table>" * 1500, "<td>\r<tr>\x00</td>", "\ud800<p>"]:
        res = extract_text(text, "x.html", html=True)
        assert not res.cells
