"""Percentages in the text (T-02) and the report's structure (S-01 … S-04), issue 9: what the extractor
reads (section headings inside the table region too, section 五's body, fees in section 六, the year
in title, table heading and narrative, percentages tied to counts), the seeds (nothing to find: seed
001 is a well-formed v2019 report), real seed text with faults written into it, the three backends
on the same pair-frame rows, and a generated multi-year corpus with injected faults (recall per kind,
warnings on the clean copy)."""

from __future__ import annotations

import pandas as pd
import pytest

from checks import synth, synth_text, synth_years, warehouse
from checks.extract.narrative import extract, structure
from checks.rules import backends as B
from checks.rules import catalogue as C
from checks.rules import sql as S
from checks.rules.kinds.crossyear import pair_frame
from tests.conftest import SEEDS

NEW = ("T-02", "S-01", "S-02", "S-03", "S-04")
S001 = (SEEDS / "001_f432b4650208066c.txt").read_text(encoding="utf-8")


def _keys(text: str, template: str = "v2019") -> list[tuple[str, float, str]]:
    return [(h.key, h.value, h.raw) for h in extract([(1, text)], template) if h.key.startswith("pct:")]


def test_percentages_are_kept_only_when_tied_to_counts():
    assert _keys("全年共收到政府信息公开申请120件，同比增长20%，予以公开85件，占办结总数的85.3%。") == [
        ("pct:yoy:v2019.s3.new_received", 20.0, "20%"), ("pct:v2019.s3.result.public/result", 85.3, "85.3%")]
    assert _keys("予以公开率为85.3%；部分公开10件，占比7.5%。") == [
        ("pct:v2019.s3.result.public/any", 85.3, "85.3%"), ("pct:v2019.s3.result.partial/any", 7.5, "7.5%")]
    assert _keys("予以公开和部分公开共95件，占全部申请的79.2%") == [
        ("pct:v2019.s3.result.public+partial/received", 79.2, "79.2%")]
    assert _keys("发生行政复议3件，较上年下降50%。") == [("pct:yoy:v2019.s4.review.total", -50.0, "50%")]
    assert _keys("同意公开12件，占答复总数的60%。", "old") == [("pct:old.s3.replied.agree/result", 60.0, "60%")]
    for untied in ("办结率100%", "贫困发生率从8.94%下降到5.79%。", "予以公开120件，部分公开10件，分别占85%和7%",
                   "网站访问量同比增长30%"):
        assert _keys(untied) == [], untied


def test_seed_001_structure_is_read_inside_the_table_region():
    from checks.extract import extract_paths

    n = extract_paths([SEEDS / "001_f432b4650208066c.txt"]).narrative
    doc = {r.key: (r.value, int(r.source_line)) for r in n.itertuples() if r.key.startswith("doc:")}
    # 二, 三 and 四 head the tables (lines 17, 93, 356): found although they sit in the table region
    assert {k: v for k, v in doc.items() if k.startswith("doc:section.") and k[-1].isdigit()} == {
        "doc:section.1": ("1", 3), "doc:section.2": ("2", 17), "doc:section.3": ("3", 93),
        "doc:section.4": ("4", 356), "doc:section.5": ("5", 402), "doc:section.6": ("6", 408)}
    assert doc["doc:sections"][0] == "6" and int(doc["doc:section.5.body"][0]) > 300
    assert doc["doc:fee"] == ("0", 408)                       # 六: 无。
    assert doc["doc:year.title"] == ("2020", 1) and doc["doc:year.narrative"][0] == "2020"


def test_fee_statements():
    def fee(text, template="v2021"):
        lines = [(1, "六、其他需要报告的事项"), (2, text)]
        return [(h.value, h.raw) for h in structure(lines, [True, True], template) if h.key == "doc:fee"]
    assert fee("依据《政府信息公开信息处理费管理办法》，本年度实际收取信息处理费共计400元。")[0][0] == 1
    assert fee("本年度未收取信息处理费。") == [(0, "未收取信息处理费")]
    assert fee("无。") == [(0, "")]
    assert fee("四是规范信息公开收费。对依申请公开的信息一律免费提供，没有收取任何费用。") == [(0, "免费")]


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    db = tmp_path_factory.mktemp("seedtext") / "w.duckdb"
    warehouse.load_paths(sorted(SEEDS.glob("*.txt")), db)
    con = warehouse.connect(db)
    run = S.run_check(con, C.load_catalogue())
    df = con.execute("SELECT * FROM findings WHERE run_id = ?", [run.run_id]).df()
    yield con, df
    con.close()


def test_the_seeds_raise_none_of_these(seeds):
    con, df = seeds
    assert df[df["code"].isin(NEW)].empty
    pf = pair_frame(con)
    rows = pf[pf["code"].isin(NEW)]
    # judged, not skipped: 001's six sections and 五, every seed's years, the old seeds' fee cells (all 0)
    assert set(rows.groupby("code").size().items()) == {("S-01", 6), ("S-02", 1), ("S-03", 4), ("S-04", 5)}


VARIANTS = {   # seed 001 with one fault written into its text → (code, item, expected, actual)
    "percent": (S001.replace("收到依申请公开3件，", "收到依申请公开3件，予以公开1件，占办结总数的50%，"),
                ("T-02", "v2019.s3.result.public", 33.333333, 50.0)),
    "percent_ok": (S001.replace("收到依申请公开3件，", "收到依申请公开3件，予以公开1件，占办结总数的33.3%，"), None),
    "missing": (S001.replace("五、存在的主要问题及改进情况", "（五）存在问题"), ("S-01", "doc:section.5", None, 5.0)),
    "swapped": (S001.replace("五、存在的主要问题及改进情况", "@@").replace("六、其他需要报告的事项", "五、存在的主要问题及改进情况")
                .replace("@@", "六、其他需要报告的事项"), ("S-01", "doc:section.5", 6.0, 5.0)),
    "year": (S001.replace("要求，2020年度", "要求，2019年度，2019年度"), ("S-04", "doc:year", 2019.0, 2020.0)),
}


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    d = tmp_path_factory.mktemp("variants")
    paths = []
    for i, (k, (text, _)) in enumerate(VARIANTS.items()):
        p = d / f"{k}.txt"           # five agencies: 嘉兴市甲经信局 …
        p.write_text(text.replace("市经信局2020年度", f"嘉兴市{'甲乙丙丁戊'[i]}经信局2020年度", 1), encoding="utf-8")
        paths.append(p)
    db = d / "w.duckdb"
    warehouse.load_paths(paths, db)
    con = warehouse.connect(db)
    yield con
    con.close()


def test_faults_written_into_real_text_are_found_and_quoted(variants):
    con = variants
    run = S.run_check(con, C.load_catalogue())
    df = con.execute("SELECT * FROM findings WHERE run_id = ? AND code IN ('T-02', 'S-01', 'S-02', 'S-03', 'S-04')",
                     [run.run_id]).df()
    got = {(r.source_file.split(".")[0].split("_")[0], r.code, r.item) for r in df.itertuples()}
    want = {(k, v[0], v[1]) for k, (_, v) in VARIANTS.items() if v}
    want.add(("swapped", "S-02", "doc:section.5"))           # 五 now heads 六's body: 无。
    assert got == want
    for r in df.itertuples():
        k = r.source_file.split(".")[0]
        if VARIANTS[k][1] and VARIANTS[k][1][0] == r.code:
            exp, act = VARIANTS[k][1][2:]
            assert (None if pd.isna(r.expected) else round(r.expected, 6)) == exp and r.actual == act, r
    t02 = df[df["code"] == "T-02"].iloc[0]
    assert "「收到依申请公开3件，予以公开1件，占办结总数的50%" in t02.message and "1 ÷ 办理结果总计 3 = 33.3%" in t02.message
    assert t02.source_line == 10 and "33.3%" in t02.message_en
    assert "缺少第五部分「存在的主要问题及改进情况」" in df[df["item"] == "doc:section.5"].message.str.cat()
    assert "标题 2020 · 正文 2019（第 16 行）" in df[df["code"] == "S-04"].iloc[0].message


def test_the_three_backends_agree_on_these_rules(variants):
    """SQL, pandera and GX on the same pair-frame rows (GX validates only the cross-year suite, these rules')."""
    from checks.rules import pandera_checks as P

    con = variants
    cat = C.load_catalogue()
    keys = lambda f: {(r.code, int(r.report_id), r.item or "", r.column or "")  # noqa: E731
                      for r in f.itertuples() if r.code in NEW}
    sql = keys(B.failures(con, "sql", cat))
    assert len(sql) == 5
    assert keys(P.findings_of(pair_frame(con, cat), P.build_pairs_schema(cat), cat)) == sql
    assert keys(B.failures(con, "gx", cat, suites=("gongkai-crossyear",))) == sql
    assert set(NEW) <= set(B.covered("gx", cat)) & set(B.covered("pandera", cat))


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    out = {}
    for faults in (False, True):
        corpus = synth_years.generate(100, seed=3, faults=faults, rate=0.1, years=tuple(range(2017, 2023)))
        inj = synth_text.add_text(corpus, seed=3, faults=faults, rate=0.4)
        reg = synth_years.write_registry(corpus.agencies, tmp_path_factory.mktemp("reg") / "agencies.csv")
        mp = pytest.MonkeyPatch()
        mp.setenv("GONGKAI_AGENCIES", str(reg))
        con = synth.connect_fresh()
        synth_years.load(con, corpus)
        run = S.run_check(con, C.load_catalogue())
        out[faults] = (corpus, inj, con.execute("SELECT * FROM findings WHERE run_id = ?", [run.run_id]).df())
        con.close()
        mp.undo()
    return out


def test_generated_corpus_recall_per_kind_and_clean_copy(corpora):
    ccorpus, _, cdf = corpora[False]
    corpus, inj, df = corpora[True]
    inj = pd.DataFrame(inj, columns=["kind", "agency", "year"])
    n_ay = ccorpus.agency_years
    lines = []
    for kind in synth_text.KINDS:
        codes = synth_text.CODES[kind]
        mine = inj[inj["kind"] == kind]
        hit = mine.merge(df[df["code"].isin(codes)][["agency", "year"]].drop_duplicates(), on=["agency", "year"])
        recall = len(hit) / len(mine)
        flagged = cdf[cdf["code"].isin(codes)][["agency", "year"]].drop_duplicates().shape[0] / n_ay
        lines.append(f"{kind:<9} {'/'.join(codes):<5} injected {len(mine):>3}  recall {recall:6.1%}  "
                     f"clean agency-years flagged {flagged:5.2%}")
        assert len(mine) >= 10 and recall >= 0.95, lines[-1]
        assert flagged <= 0.01, lines[-1]
    yoy = df[(df["code"] == "T-02") & df["message"].str.contains("同比")]
    assert len(yoy) >= 3 and "年 " in yoy.iloc[0].message          # year-over-year changes are judged too
    charged = cdf[(cdf["code"] == "S-03")]
    warned = cdf[cdf["severity"] == "warning"][["agency", "year"]].drop_duplicates().shape[0] / n_ay
    lines.append(f"clean copy: {warned:.2%} of {n_ay} agency-years with a warning (any rule), "
                 f"{(cdf['severity'] == 'error').sum()} errors; {len(charged)} S-03 on reports that charge and say so")
    print("\n" + "\n".join(lines))
    assert warned <= 0.01 and (cdf["severity"] == "error").sum() == 0 and charged.empty
