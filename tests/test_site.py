"""The audit site, the exports and the console summary, built once per session from the samples (the
seeds as transcribed): golden files, inert untrusted strings everywhere, and headless Chromium on the
site opened from disk with the network off."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checks import exports, pipeline, present, warehouse
from checks.site import build_site, page_name
from tests.conftest import ROOT, SAMPLES

GOLDEN = Path(__file__).parent / "golden"
OUTPUT = Path(os.environ.get("GONGKAI_TEST_OUTPUT", ROOT / "tests" / "output"))
A002, A004 = "台州市经信委", "安康市工信局"


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The samples loaded and checked, their exports and site written (once)."""
    tmp = tmp_path_factory.mktemp("site")
    db, out = tmp / "w.duckdb", tmp / "out"
    warehouse.load_paths([SAMPLES], db)
    run = pipeline.check_step(db)
    fs = exports.collect(db, run.run_id)
    exports.write_all(fs, out, report="site/index.html")
    site = build_site(db, out / "site", run_id=run.run_id)
    return db, out, fs, site


def _scrub(text: str, fs) -> str:
    text = text.replace(str(fs.run["run_id"]), "RUN").replace(str(fs.run["started_at"]), "TIME")
    return text.replace(str(ROOT), "ROOT")


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("GONGKAI_UPDATE_GOLDEN") or not path.exists():
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs (GONGKAI_UPDATE_GOLDEN=1 to accept)"


# ----------------------------------------------------------------------------------- golden files

def test_golden_console_summary(built):
    _, _, fs, _ = built
    lines = present.agency_summary(list(fs.reports), limit=2, full_report="data/out/site/index.html")
    _golden("console_summary.txt", "\n".join(lines) + "\n")
    assert lines[-2] == "… and 1 more"


def test_golden_markdown_and_junit(built):
    _, _, fs, _ = built
    _golden("summary.md", _scrub(exports.markdown_summary(fs, report="data/out/site/index.html"), fs))
    xml = exports.junit_xml(fs)
    _golden("junit.xml", _scrub(xml, fs))
    root = ET.fromstring(xml.encode("utf-8"))
    cases = root.findall(".//testcase")
    assert len(cases) == 5 and root.get("failures") == "2"
    assert {c.get("name") for c in cases if c.find("failure") is not None} == {f"{A002} 2017", f"{A004} 2018"}


# ----------------------------------------------------------------------------------------- exports

def test_exports_carry_everything_and_no_info_by_default(built):
    _, out, fs, _ = built
    raw = (out / "findings.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert {r["severity"] for r in rows} == {"error", "warning"} and len(rows) == 14
    o05 = next(r for r in rows if r["code"] == "O-05")
    assert o05["source_line"] == "75" and o05["label_en"] == "of which: attended by the principal leaders"
    assert o05["raw"] == "2" and o05["message"].endswith("2 > 空（1 个单元格未填数字，按 0 计算仍不成立，结果不精确）")
    assert re.fullmatch(r"[ -~]+", o05["message_en"]), "English message is English only"
    assert len(o05["fingerprint"]) == 16
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert set(data) == {"run", "summary", "reports", "findings"} and len(data["findings"]) == 14
    assert tuple(data["findings"][0]) == exports.EXPORT_COLUMNS


def test_fingerprints_are_stable_across_runs(built, tmp_path):
    db, _, fs, _ = built
    copy = tmp_path / "w.duckdb"
    shutil.copy(db, copy)
    run2 = pipeline.check_step(copy)
    fs2 = exports.collect(copy, run2.run_id)
    assert {f["fingerprint"] for f in fs2.findings} == {f["fingerprint"] for f in fs.findings}
    assert fs2.previous_run == fs.run["run_id"] and not any(f["new"] for f in fs2.findings)
    from checks.retention import prune
    res = prune(copy, 1)
    assert res.runs_deleted == 1 and res.findings_deleted > 0
    assert exports.collect(copy).run["run_id"] == run2.run_id


# -------------------------------------------------------------------------------------------- site

def test_site_pages_and_incremental_rebuild(built):
    db, out, fs, site = built
    assert site.pages == len(list((out / "site").rglob("*.html"))) + 2     # + the two assets
    page = (out / "site" / page_name(A002, 2017)).read_text(encoding="utf-8")
    assert page.count('class="cell f-error') >= 2 and "行 118" in page and "002_75ba8c7c95ed2a3b.txt" in page
    assert "<script src=" not in page and "http" not in page.split("</head>")[0].replace("http-equiv", "")
    again = build_site(db, out / "site", run_id=fs.run["run_id"])
    assert again.written == 0 and again.unchanged == site.pages


def test_site_pages_same_from_worker_processes(built, tmp_path):
    """Report pages rendered by forked workers are the same files, manifest included, as rendered in
    one process (workers=2 forces the pool even for the few sample reports)."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork here: pages are always rendered in one process")
    db, out, fs, site = built
    one = build_site(db, tmp_path / "one", run_id=fs.run["run_id"], workers=1)
    two = build_site(db, tmp_path / "two", run_id=fs.run["run_id"], workers=2)
    files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "two") for p in (tmp_path / "two").rglob("*") if p.is_file())
    assert len(files) > 3 and one.pages == two.pages == site.pages and two.written == one.written
    for f in files:
        assert (tmp_path / "one" / f).read_bytes() == (tmp_path / "two" / f).read_bytes(), f
    again = build_site(db, tmp_path / "two", run_id=fs.run["run_id"], workers=2)
    assert again.written == 0 and again.unchanged == site.pages


def test_untrusted_strings_stay_inert_everywhere(tmp_path):
    evil_agency = '<script>alert("a")</script>=HYPERLINK("x")\'"'
    evil_raw = '=cmd|\' /C calc\'!A0<img src=x onerror=alert(1)>'
    evil_label = '@SUM(1)<b>"label"</b>'
    src = tmp_path / "evil.csv"
    with src.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["agency", "year", "template", "item", "column", "raw", "source_file", "source_line", "label"])
        w.writerow([evil_agency, 2018, "old", "old.s1.proactive.total", "value", "5", "-evil.txt", 3, evil_label])
        w.writerow([evil_agency, 2018, "old", "old.s1.proactive.normative_docs", "value", evil_raw, "-evil.txt", 4,
                    evil_label])
        w.writerow([evil_agency, 2018, "old", "old.s6.complaints", "value", "+1", "-evil.txt", 5, evil_label])
    db, out = tmp_path / "w.duckdb", tmp_path / "out"
    warehouse.load_paths([src], db)
    pipeline.check_step(db)
    fs = exports.collect(db)
    assert any(f["raw"] == evil_raw for f in fs.findings), "the evil raw text takes part in a finding"
    exports.write_all(fs, out)
    build_site(db, out / "site")
    # CSV: no cell starts a formula (a negative number is a number)
    for row in csv.reader((out / "findings.csv").read_text(encoding="utf-8-sig").splitlines()):
        assert not any(c[:1] in ("=", "+", "-", "@") and not re.fullmatch(r"-?\d+(\.\d+)?", c) for c in row), row
    # XLSX: only text and numbers, nothing a spreadsheet evaluates
    from openpyxl import load_workbook
    wb = load_workbook(out / "findings.xlsx")
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f" and not (isinstance(c.value, str) and c.value[:1] in "=+-@"), c.value
    # JSON: the exact strings, as data
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert {f["agency"] for f in data["findings"]} == {evil_agency}
    assert any(f["raw"] == evil_raw for f in data["findings"])
    # JUnit: well-formed, the names as text
    root = ET.fromstring((out / "junit.xml").read_bytes())
    assert root.find(".//testcase").get("name") == f"{evil_agency} 2018"
    # Markdown and HTML: no live tag anywhere
    md = (out / "summary.md").read_text(encoding="utf-8")
    for text in [md] + [p.read_text(encoding="utf-8") for p in (out / "site").rglob("*.html")]:
        assert "<script>alert" not in text and "<img src=x" not in text and "<b>\"label" not in text
    page = (out / "site" / page_name(evil_agency, 2018)).read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#34;a&#34;)&lt;/script&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page


# -------------------------------------------------------------------------------- headless Chromium

def _chrome():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not (chromium and driver):
        pytest.skip("headless Chromium not available: install the Debian packages chromium and chromium-driver "
                    "(`make test` installs them when it can)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install -e '.[test]')")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,2200",
              "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"):
        opts.add_argument(a)
    d = webdriver.Chrome(service=Service(driver), options=opts)
    d.execute_cdp_cmd("Network.enable", {})
    d.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": True, "latency": 0, "downloadThroughput": 0,
                                                             "uploadThroughput": 0})
    return d


def test_browser_filter_follow_and_read_a_page(built):
    from selenium.webdriver.common.by import By

    _, out, _, _ = built
    d = _chrome()
    try:
        d.get((out / "site" / "index.html").as_uri())
        rows = d.find_elements(By.CSS_SELECTOR, "#rows tr")
        assert len(rows) == 5
        d.find_element(By.ID, "q").send_keys("台州")
        rows = d.find_elements(By.CSS_SELECTOR, "#rows tr")
        assert len(rows) == 1 and d.find_element(By.ID, "count").text == "1 / 1"
        # sort and severity filters work too
        d.find_element(By.ID, "q").clear()
        d.find_element(By.CSS_SELECTOR, "#f-severity option[value=error]").click()
        assert len(d.find_elements(By.CSS_SELECTOR, "#rows tr")) == 2
        d.find_element(By.ID, "q").send_keys("台州")
        d.find_element(By.CSS_SELECTOR, "#rows tr a").click()
        assert d.find_element(By.ID, "agency").text.startswith(A002)
        bad = d.find_elements(By.CSS_SELECTOR, "td.cell.f-error")
        assert {c.get_attribute("data-cell") for c in bad} >= {"old.s8.staff.total@value",
                                                               "old.s2.press_conf.principal@value"}
        notes = d.find_element(By.CSS_SELECTOR, "tr.has-finding td.notes").text
        assert notes
        body = d.find_element(By.TAG_NAME, "body").text
        assert "2 > 空（1 个单元格未填数字" in body and "002_75ba8c7c95ed2a3b.txt:118" in body
        assert len(d.find_elements(By.CSS_SELECTOR, "td.cell.blank")) > 10
        OUTPUT.mkdir(parents=True, exist_ok=True)
        d.save_screenshot(str(OUTPUT / "site-report.png"))
        assert (OUTPUT / "site-report.png").stat().st_size > 10_000
    finally:
        d.quit()


def test_history_charts_and_narrative_quotes(tmp_path):
    """Cross-year findings get an inline-SVG chart of the agency's history; narrative findings quote
    the sentences (a small multi-year corpus with injected faults)."""
    synth_years = pytest.importorskip("checks.synth_years")
    from checks import synth

    corpus = synth_years.generate(12, seed=3, faults=True, rate=0.6)
    db = tmp_path / "w.duckdb"
    con = synth.connect_fresh(db)
    synth_years.load(con, corpus)
    con.close()
    run = pipeline.check_step(db)
    fs = exports.collect(db, run.run_id)
    site = build_site(db, tmp_path / "site", run_id=run.run_id)
    pages = [p.read_text(encoding="utf-8") for p in (tmp_path / "site" / "r").glob("*.html")]
    charted = [p for p in pages if '<section id="history">' in p]
    if not any(f["code"].startswith(("Y-", "C-", "N-11", "N-12")) for f in fs.findings):
        pytest.skip("no cross-year finding in this corpus")
    assert charted and all("<svg" in p and "<polyline" in p for p in charted)
    if any(f["code"].startswith("T-") for f in fs.findings):
        assert any('<section id="narrative">' in p and "<q>" in p for p in pages)
    assert site.pages > len(pages)


def test_a_waiver_names_a_finding_by_its_fingerprint(built, tmp_path):
    db, _, fs, _ = built
    copy = tmp_path / "w.duckdb"
    shutil.copy(db, copy)
    target = next(f for f in fs.findings if f["code"] == "O-15" and f["agency"] == A004)
    (tmp_path / "waivers.yaml").write_text(
        f"waivers:\n  - {{code: O-15, agency: {A004}, year: 2018, reason: 已核实, expires: 2999-12-31, "
        f"fingerprint: {target['fingerprint']}}}\n", encoding="utf-8")
    run = pipeline.check_step(copy, waivers=tmp_path / "waivers.yaml")
    waived = [f for f in exports.collect(copy, run.run_id).findings if f["waived"]]
    assert [(f["code"], f["agency"], f["fingerprint"]) for f in waived] == [("O-15", A004, target["fingerprint"])]


def test_cli_show_report_prune(built, tmp_path):
    """`gongkai show` (grouped by section, arithmetic, one JSON shape), `report`, `prune`; NO_COLOR."""
    from typer.testing import CliRunner

    from checks.cli import app

    db, _, _, _ = built
    copy = tmp_path / "w.duckdb"
    shutil.copy(db, copy)
    run = CliRunner(env={"NO_COLOR": "1"}).invoke
    r = run(app, ["show", "台州", "--db", str(copy)])
    assert r.exit_code == 1, r.output
    assert "\x1b[" not in r.stdout
    lines = r.stdout.splitlines()
    assert lines[0].startswith(f"{A002} 2017 (old; 002_75ba8c7c95ed2a3b.txt): 3 error(s), 6 warning(s)")
    assert "  八、机构建设和保障经费情况" in lines and any("2 > 空（1 个单元格未填数字" in x for x in lines)
    j = json.loads(run(app, ["show", A004, "--year", "2018", "--db", str(copy), "--json"]).stdout)
    assert set(j) == set(exports.JSON_KEYS) and {f["agency"] for f in j["findings"]} == {A004}
    assert run(app, ["show", "没有这个单位", "--db", str(copy)]).exit_code == 3
    r = run(app, ["report", "--db", str(copy), "--out", str(tmp_path / "site"), "--lang", "en", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["written"] > 5
    page = (tmp_path / "site" / page_name(A002, 2017)).read_text(encoding="utf-8")
    assert "Staff working on disclosure" in page and "back to the index" in page
    pipeline.check_step(copy)
    r = run(app, ["prune", "--keep", "1", "--db", str(copy), "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["runs_deleted"] == 1


def test_forked_page_workers_never_destroy_what_they_inherit(tmp_path):
    # a DuckDB connection destroyed in a forked worker waits forever for its parent's DuckDB threads:
    # unreachable objects are collected in the parent before the fork (warehouse.forkable, around the
    # page workers' fork), the workers' collector never sees what they inherited, and a parent's page
    # connection is kept, never closed, in a worker
    import gc

    from checks import site

    freed = []

    class Cycle:
        def __init__(self):
            self.me = self

        def __del__(self):
            freed.append(os.getpid())

    Cycle()                     # unreachable at once; only the collector frees it
    with warehouse.forkable():
        assert freed == [os.getpid()] and gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0

    class Parents:
        closed = False

        def close(self):
            self.closed = True

    db = tmp_path / "w.duckdb"
    warehouse.connect(db).close()
    theirs = Parents()
    site._CON = (os.getpid() + 1, str(db), theirs)      # as a forked worker finds it
    try:
        con = site._span_con(str(db))
        assert con.execute("SELECT 1").fetchall() == [(1,)]
        assert not theirs.closed and site._INHERITED[-1][2] is theirs
    finally:
        site._close_span_con()
        site._INHERITED.clear()
