"""Loading: the seed samples with exact counts, quarantine with reasons, idempotence, supersede,
kill-mid-load safety, and one clear line for every kind of unreadable file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from checks import contract, warehouse
from checks.cli import app
from tests.conftest import ROOT, SAMPLES

EXPECTED_CELLS = {  # agency → (year, template, variant, cells)
    "嘉善县经济和信息化局": (2018, "old", None, 65),
    "嘉兴市经信局": (2020, "v2019", None, 198),
    "台州市经信委": (2017, "old", None, 65),
    "镇海区经济合作局": (2018, "old", "ningbo", 60),
    "安康市工信局": (2018, "old", None, 65),
}
HEADER = "agency,year,template,item,column,raw,source_file,source_line\n"
runner = CliRunner()


def query(db: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def counts(db: Path) -> tuple:
    return query(db, "SELECT (SELECT count(*) FROM submissions), (SELECT count(*) FROM reports), "
                     "(SELECT count(*) FROM cells), (SELECT count(*) FROM quarantine)")[0]


def test_load_the_five_seed_samples_with_exact_cell_counts(db):
    result = warehouse.load_paths([SAMPLES], db)
    assert result.exit_code == 0
    assert [f.status for f in result.files] == ["loaded"] * 5
    assert any(s.endswith("README.md") for s in result.skipped)
    rows = query(db, "SELECT agency, year, template, variant, cells FROM current_reports ORDER BY agency")
    assert {r[0]: r[1:] for r in rows} == EXPECTED_CELLS
    assert counts(db) == (5, 5, 453, 0)
    by_state = dict(query(db, "SELECT state, count(*) FROM cells GROUP BY state"))
    assert sum(by_state.values()) == 453 and by_state["EMPTY"] > 100


def test_cells_keep_raw_text_state_unit_and_source_line(db):
    warehouse.load_paths([SAMPLES], db)
    row = query(db, """SELECT raw, state, value, unit, raw_unit, note, source_file, source_line FROM current_cells
                       WHERE agency = '嘉兴市经信局' AND item = 'v2019.s2.art20_9.procurement.amount'""")
    assert row == [("7168600元", "NUMERIC", 716.86, "万元", "元", "7168600元 → 716.86万元",
                    "001_f432b4650208066c.txt", 90)]
    blank = query(db, """SELECT raw, state, value FROM current_cells WHERE agency = '嘉善县经济和信息化局'
                         AND item = 'old.s1.channel.gazette'""")
    assert blank == [("", "EMPTY", None)]
    heading = query(db, """SELECT raw, state, value FROM current_cells WHERE agency = '台州市经信委'
                           AND item = 'old.s1'""")
    assert heading == [("492", "NUMERIC", 492.0)]


def test_bad_rows_go_to_quarantine_with_their_reasons(tmp_path, db):
    f = tmp_path / "mixed.csv"
    f.write_text(HEADER + "\n".join([
        "测试局,2018,old,old.s1.proactive.total,value,61,r.txt,73",
        "测试局,2018,old,old.s1.bogus,value,1,r.txt,75",
        "测试局,2150,old,old.s3.received.total,value,1.5,r.txt,76",
        ",2018,old,old.s3.received.fax,value,-2,r.txt,77",
        "测试局,2018,old,old.s1.proactive.total,value,62,r.txt,78",
        "测试局,2018,v2030,x,value,1,r.txt,79",
        "测试局,twenty,old,old.s6.complaints,value,1,r.txt,80",
        "测试局,2018,old,old.s6.complaints,value,1,r.txt",
        "测试局,2018,v2019,v2019.s3.new_received,natural,3,r.txt,82",
        "测试局,2018,old,old.s9.meetings,value,详见附表,r.txt,83",
    ]) + "\n", encoding="utf-8")
    result = warehouse.load_paths([f], db)
    assert result.exit_code == 1
    q = query(db, "SELECT line, reason FROM quarantine ORDER BY line")
    assert q == [
        (3, "unknown item/column code for template old: old.s1.bogus@value"),
        (4, f"year not in 2008–{contract.MAX_YEAR} (got '2150'); count is not a whole number (raw '1.5')"),
        (5, "agency is empty; negative value in a cell that cannot be negative (raw '-2')"),
        (6, "the same cell appears twice in one report"),
        (7, "template is not old, v2019 or v2021 (got 'v2030')"),
        (8, "year is not a whole number (got 'twenty')"),
        (9, "malformed row: row has 7 fields, the header has 8"),
        (10, "the report's other rows use template old"),
    ]
    raw_row = json.loads(query(db, "SELECT raw_row FROM quarantine WHERE line = 3")[0][0])
    assert raw_row == {"agency": "测试局", "year": "2018", "template": "old", "item": "old.s1.bogus",
                       "column": "value", "raw": "1", "source_file": "r.txt", "source_line": "75"}
    # TEXT is a state, not a contract failure: the rule catalogue reports it (L-06), so it loads.
    assert query(db, "SELECT item, state, raw FROM cells ORDER BY item") == [
        ("old.s1.proactive.total", "NUMERIC", "61"), ("old.s9.meetings", "TEXT", "详见附表")]
    assert counts(db) == (1, 1, 2, 8)


def test_loading_the_same_file_twice_changes_nothing(db):
    first = warehouse.load_paths([SAMPLES], db)
    before = counts(db)
    again = warehouse.load_paths([SAMPLES], db)
    assert [f.status for f in again.files] == ["unchanged"] * 5
    assert all("nothing changed" in f.message for f in again.files)
    assert counts(db) == before and again.exit_code == 0
    assert [f.submission_id for f in again.files] == [f.submission_id for f in first.files]


def test_a_corrected_resubmission_supersedes_and_history_stays(tmp_path, db):
    sample = SAMPLES / "004_1779f513d25e1c56.csv"
    warehouse.load_paths([sample], db)
    fixed = tmp_path / "004_fixed.csv"
    text = sample.read_text(encoding="utf-8")
    # the agency fills in the blank 从事政府信息公开工作人员数 (domain.md §7, seed 004)
    lines = [l.replace(",old.s8.staff.total,value,,", ",old.s8.staff.total,value,2,") for l in text.splitlines()]
    assert lines != text.splitlines()
    fixed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = warehouse.load_paths([fixed], db)
    assert (result.files[0].reports_new, result.files[0].reports_superseded) == (1, 1)
    history = query(db, """SELECT r.report_id, r.superseded_by, c.raw FROM reports r JOIN cells c USING (report_id)
                           WHERE c.item = 'old.s8.staff.total' ORDER BY r.report_id""")
    assert history == [(1, 2, ""), (2, None, "2")]
    assert query(db, "SELECT raw FROM current_cells WHERE item = 'old.s8.staff.total'") == [("2",)]
    # the same cells in another file: no new report, nothing superseded
    copy = tmp_path / "004_copy.csv"
    copy.write_text(fixed.read_text(encoding="utf-8").replace("\n", "\r\n"), encoding="utf-8")
    again = warehouse.load_paths([copy], db).files[0]
    assert (again.status, again.reports_new, again.reports_unchanged) == ("loaded", 0, 1)
    assert query(db, "SELECT count(*) FROM reports") == [(2,)]


def test_a_kill_in_the_middle_of_a_load_leaves_the_warehouse_as_before(tmp_path, db):
    warehouse.load_paths([SAMPLES / "000_ebde6dcd4a6dec74.csv"], db)
    before = counts(db)
    env = {**os.environ, warehouse.FAULT_ENV: "kill-mid-load"}
    proc = subprocess.run([sys.executable, "-m", "checks.cli", "load", str(SAMPLES / "001_f432b4650208066c.csv"),
                           "--db", str(db)], env=env, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == -9, proc.stderr
    assert counts(db) == before
    # and the interrupted file loads cleanly afterwards
    result = warehouse.load_paths([SAMPLES / "001_f432b4650208066c.csv"], db)
    assert result.files[0].status == "loaded" and counts(db) == (2, 2, 65 + 198, 0)


BROKEN = {
    "empty.csv": (b"", "the file is empty"),
    "gbk.csv": (HEADER.encode() + "测试局,2018,old,old.s6.complaints,value,1,r.txt,1\n".encode("gb18030"),
                "not UTF-8 text (byte 0xb2 at offset 61); save it as UTF-8"),
    "utf16.csv": ((HEADER).encode("utf-16"), "the file is UTF-16; the extracted-statistics format is UTF-8"),
    "notcsv.csv": (b"%PDF-1.4 this is not a table\n\x00\x01", "not a CSV file"),
    "other.csv": (b"name,value\na,1\n", "not an extracted-statistics file: missing column(s) agency, year"),
    "header_only.csv": (HEADER.encode(), "the file has a header but no data rows"),
    "truncated.csv": (HEADER.encode() + "测试局,2018,old,old.s6.complaints,value,\"1".encode(), "the file is cut off"),
    "cut.csv": (HEADER.encode() + "测试局,2018,old,old.s6.complaints,value,1,r.t".encode(),
                "the file is cut off: its last row is incomplete"),
    "cut.jsonl": ('{"agency": "测试局", "year": 2018, "temp'.encode(), "the file is cut off"),
    "bad.parquet": (b"PAR1 not really", "not a readable Parquet file"),
    "report.pdf": (b"%PDF", "unknown file type '.pdf'"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_each_kind_of_unreadable_file_gets_one_clear_line(tmp_path, db, name):
    content, problem = BROKEN[name]
    bad = tmp_path / name
    bad.write_bytes(content)
    result = warehouse.load_paths([bad, SAMPLES / "003_ac397f543ad98429.csv"], db)
    assert [f.status for f in result.files] == ["error", "loaded"]
    assert result.files[0].message.startswith(str(bad))
    assert problem in result.files[0].message
    assert result.exit_code == 1          # data rejected (issue 12: 3 only when the tool failed)
    assert counts(db)[1:] == (1, 60, 0)


def test_cli_on_a_directory_of_good_and_broken_files(tmp_path, db):
    batch = tmp_path / "batch"
    shutil.copytree(SAMPLES, batch)
    (batch / "broken.csv").write_bytes("\ufeff".encode() + BROKEN["cut.csv"][0])
    (batch / "gbk.csv").write_bytes(BROKEN["gbk.csv"][0])
    (batch / "rows.csv").write_text(HEADER + "测试局,2018,old,old.s1.nope,value,1,r.txt,1\n"
                                    "测试局,2018,old,old.s6.complaints,value,0,r.txt,2\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "checks.cli", "load", str(batch), "--db", str(db)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    errors = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(errors) == 2
    assert any("broken.csv:2: the file is cut off" in l for l in errors)
    assert any("gbk.csv:2: not UTF-8" in l for l in errors)
    assert "quarantined 1 × unknown item/column code for template old" in proc.stdout
    assert counts(db)[1:] == (6, 454, 1)


def test_cli_json_quiet_and_status(db):
    res = runner.invoke(app, ["load", str(SAMPLES), "--db", str(db), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [f["status"] for f in data["files"]] == ["loaded"] * 5 and data["exit_code"] == 0
    quiet = runner.invoke(app, ["load", str(SAMPLES), "--db", str(db), "--quiet"])
    assert (quiet.exit_code, quiet.stdout) == (0, "")
    status = json.loads(runner.invoke(app, ["status", "--db", str(db), "--json"]).stdout)
    assert (status["reports"], status["agencies"], status["cells"], status["quarantined"]) == (5, 5, 453, 0)
    assert status["templates"] == [
        {"template": "old", "reports": 4, "agencies": 4, "first_year": 2017, "last_year": 2018},
        {"template": "v2019", "reports": 1, "agencies": 1, "first_year": 2020, "last_year": 2020}]
    text = runner.invoke(app, ["status", "--db", str(db)]).stdout
    assert "5 current report(s) of 5 agencies" in text


def test_status_of_a_missing_warehouse_is_a_user_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "checks.cli", "status", "--db", str(tmp_path / "none.duckdb")],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 3 and "no warehouse here yet" in proc.stderr and "Traceback" not in proc.stderr


def test_db_from_environment(tmp_path, monkeypatch):
    target = tmp_path / "env.duckdb"
    monkeypatch.setenv("GONGKAI_DB", str(target))
    res = runner.invoke(app, ["load", str(SAMPLES / "000_ebde6dcd4a6dec74.csv"), "--quiet"])
    assert res.exit_code == 0 and target.exists()


def test_report_files_are_extracted_on_the_way_in(db, tmp_path):
    """`gongkai load` takes report text directly; the narrative and extraction issues load with the cells."""
    from tests.conftest import SEEDS
    result = warehouse.load_paths([SEEDS], db)
    assert [f.status for f in result.files] == ["loaded"] * 5 and result.exit_code == 0
    assert counts(db) == (5, 5, 453, 0)
    assert query(db, "SELECT kind FROM submissions GROUP BY kind") == [("report",)]
    narrative = query(db, """SELECT n.key, n.value, n.source_line FROM narrative n JOIN reports r USING (report_id)
                             WHERE r.agency = '嘉善县经济和信息化局' AND n.key = 'old.s1.proactive.total'""")
    assert narrative == [("old.s1.proactive.total", 2279.0, 37)]
    issues = query(db, "SELECT code FROM extraction_issues ORDER BY code")
    assert issues == [("X-08",), ("X-10",)]
    n_narrative = query(db, "SELECT count(*) FROM narrative")
    # the golden samples have the same cells: nothing new, and the narrative is not loaded twice
    again = warehouse.load_paths([SAMPLES], db)
    assert [f.reports_unchanged for f in again.files] == [1] * 5
    assert counts(db)[1:] == (5, 453, 0) and query(db, "SELECT count(*) FROM narrative") == n_narrative


def test_extracted_files_load_with_their_companions(db, tmp_path):
    from checks.extract import extract_paths, write_extraction
    from tests.conftest import SEEDS
    ext = extract_paths([SEEDS])
    written = write_extraction(ext, tmp_path / "seeds.csv", None)
    assert sorted(p.name for p in written) == ["seeds.csv", "seeds.issues.csv", "seeds.narrative.csv"]
    result = warehouse.load_paths([tmp_path], db)
    assert [f.file for f in result.files] == [str(tmp_path / "seeds.csv")]   # companions are not loaded alone
    assert counts(db) == (1, 5, 453, 0)
    # every narrative fact of the five seeds arrives, attached to its report
    assert len(ext.narrative) > 30
    assert query(db, "SELECT count(*) FROM narrative") == [(len(ext.narrative),)]
    assert query(db, "SELECT count(*) FROM extraction_issues WHERE report_id IS NOT NULL") == [(2,)]


def _snapshot(db: Path) -> dict:
    """What a load stored, without ids and times: reports with their cells, quarantine, narrative, issues."""
    return {
        "reports": query(db, """SELECT r.agency, r.year, r.template, r.content_sha, r.superseded_by IS NULL,
                                       s.file, s.rows_total, s.rows_loaded, s.rows_quarantined
                                FROM reports r JOIN submissions s USING (submission_id) ORDER BY ALL"""),
        "cells": query(db, """SELECT r.agency, r.year, c.item, c."column", c.state, c.value, c.raw, c.source_line
                              FROM cells c JOIN reports r USING (report_id) ORDER BY ALL"""),
        "quarantine": query(db, "SELECT file, line, reason FROM quarantine ORDER BY ALL"),
        "narrative": query(db, """SELECT r.agency, n.key, n.value, n.source_line FROM narrative n
                                  JOIN reports r USING (report_id) ORDER BY ALL"""),
        "issues": query(db, "SELECT s.file, i.code, i.source_line FROM extraction_issues i "
                            "JOIN submissions s USING (submission_id) ORDER BY ALL"),
    }


def test_chunked_load_stores_exactly_what_file_by_file_load_stores(tmp_path):
    """Files are validated and committed in chunks; the warehouse must hold the same as one file per
    transaction: reports, cells, quarantine (with file and line), narrative and issues, in file order,
    including a correction of an earlier file and a byte-identical copy inside the same chunk."""
    from tests.conftest import SEEDS
    src = tmp_path / "in"
    src.mkdir()
    for p in sorted(SEEDS.iterdir()):
        shutil.copy(p, src / p.name)
    for p in sorted(SAMPLES.glob("*.csv")):
        shutil.copy(p, src / f"s_{p.name}")
    sample = SAMPLES / "004_1779f513d25e1c56.csv"
    fixed = [l.replace(",old.s8.staff.total,value,,", ",old.s8.staff.total,value,2,")
             for l in sample.read_text(encoding="utf-8").splitlines()]
    (src / "t_004_fixed.csv").write_text("\n".join(fixed) + "\n", encoding="utf-8")
    shutil.copy(sample, src / "u_004_copy.csv")                          # the same bytes as s_004
    (src / "v_bad.csv").write_text(HEADER + "某局,2019,v2019,v2019.s3.new_received,total,-3,x.txt,1\n"
                                            "某局,2019,v2019,v2019.s3.new_received,natural,2,x.txt,2\n",
                                   encoding="utf-8")
    one, many = tmp_path / "one.duckdb", tmp_path / "many.duckdb"
    a = warehouse.load_paths([src], one, chunk_files=1)
    b = warehouse.load_paths([src], many)
    assert [(f.file, f.status, f.rows_loaded, f.rows_quarantined, f.reports_new, f.reports_superseded,
             f.reports_unchanged) for f in a.files] == \
           [(f.file, f.status, f.rows_loaded, f.rows_quarantined, f.reports_new, f.reports_superseded,
             f.reports_unchanged) for f in b.files]
    statuses = {Path(f.file).name: (f.status, f.reports_new, f.reports_superseded, f.reports_unchanged)
                for f in b.files}
    assert statuses["s_004_1779f513d25e1c56.csv"] == ("loaded", 0, 0, 1)      # same cells as the seed report
    assert statuses["t_004_fixed.csv"] == ("loaded", 1, 1, 0)                  # supersedes in file order
    assert statuses["u_004_copy.csv"][0] == "unchanged"                         # bytes seen in this run
    assert b.exit_code == 1 and b.files[-1].rows_quarantined == 1
    assert _snapshot(one) == _snapshot(many)


def test_a_file_the_warehouse_refuses_inside_a_chunk_fails_alone(tmp_path, monkeypatch):
    """When storing a chunk fails for one file's sake, the chunk is stored again file by file: the
    other files load, the failing one gets its one line and nothing of it is stored."""
    src = tmp_path / "in"
    src.mkdir()
    for p in sorted(SAMPLES.glob("*.csv")):
        shutil.copy(p, src / p.name)
    real = warehouse._insert_cells

    def refuse(con, good, report_ids):
        if (good["agency"] == "台州市经信委").any():
            raise duckdb.ConversionException("Conversion Error: a value DuckDB cannot store")
        return real(con, good, report_ids)

    monkeypatch.setattr(warehouse, "_insert_cells", refuse)
    db = tmp_path / "w.duckdb"
    result = warehouse.load_paths([src], db)
    status = {Path(f.file).name: f.status for f in result.files}
    assert list(status.values()).count("error") == 1
    failed = next(f for f in result.files if f.status == "error")
    assert "could not be stored" in failed.message and failed.fault and result.exit_code == 3
    assert query(db, "SELECT count(*) FROM submissions") == [(4,)]
    assert query(db, "SELECT count(*) FROM reports WHERE agency = '台州市经信委'") == [(0,)]
    assert query(db, "SELECT count(*) FROM cells") == [(453 - 65,)]


def test_schema_sql_is_generated_from_the_table_definitions():
    """checks/schema.sql is checks/tables.py written out; `python -m checks.tables` rewrites it."""
    from checks import tables
    assert (ROOT / "checks" / "schema.sql").read_text(encoding="utf-8") == tables.warehouse_sql()
    con = duckdb.connect(":memory:")
    con.execute(tables.warehouse_sql())
    for t in tables.WAREHOUSE:
        assert [r[0] for r in con.execute(f"DESCRIBE {t.name}").fetchall()] == list(t.names)


def test_extraction_in_worker_processes_stores_the_same(tmp_path, monkeypatch):
    """Report files extracted ahead in worker processes load exactly as when extracted here, failures included."""
    from tests.conftest import seed_copies
    monkeypatch.setattr(warehouse, "PREFETCH_MIN", 1)
    src = seed_copies(tmp_path / "in", 3, "*.txt")
    (src / "z_empty.txt").write_text("本报告没有统计表。\n", encoding="utf-8")
    os.mkfifo(src / "z_fifo.txt")
    one, many = tmp_path / "one.duckdb", tmp_path / "many.duckdb"
    a = warehouse.load_paths([src], one)
    b = warehouse.load_paths([src], many, workers=2)
    same = lambda r: (r.file, r.status, r.rows_loaded, r.message.split("(submission")[0])  # noqa: E731  (no clock)
    assert [same(f) for f in a.files] == [same(f) for f in b.files]
    assert [f.status for f in b.files].count("error") == 2 and b.exit_code == 1
    assert _snapshot(one) == _snapshot(many)


def test_content_sha_is_the_sorted_parts_of_each_report_joined():
    """warehouse._content_shas writes each distinct part once; the hash is still sha256 of the report's
    "template|variant|item\\x1ecolumn\\x1eraw" texts in code-point order joined by \\x1f, metadata from
    the report's first row, also where separators and prefixes make part order differ from column order."""
    import hashlib
    import random

    import pandas as pd

    rng = random.Random(3)
    pieces = ["", "x", "|", "\x1e", "i", "i|", "é", "e", "😀", "ｘ", "1", "a b"]
    rows = [{"agency_key": rng.choice(["k1", "k2", "k|"]), "year": rng.choice([2019, 2020]),
             "template": rng.choice(["v2019", "v2019|", "old"]), "variant": rng.choice(pieces),
             "item": rng.choice(pieces), "column": rng.choice(pieces), "raw": rng.choice(pieces),
             "agency": "A", "agency_id": "", "region": "", "source_file": f"f{i}", "_file": 0} for i in range(400)]
    good = pd.DataFrame(rows).astype({c: "string" for c in rows[0] if c not in ("year", "_file")})
    good["year"] = good["year"].astype("Int64")
    got = warehouse._content_shas(good)
    expected = {}
    for r in rows:
        expected.setdefault((r["agency_key"], r["year"]), []).append(
            f"{r['template']}|{r['variant']}|{r['item']}\x1e{r['column']}\x1e{r['raw']}")
    want = {k: (hashlib.sha256("\x1f".join(sorted(v)).encode()).hexdigest(), len(v)) for k, v in expected.items()}
    assert list(zip(got["agency_key"], got["year"])) == sorted(want)
    assert {(k, y): (s, n) for k, y, s, n in zip(got["agency_key"], got["year"], got["content_sha"], got["cells"])} \
        == want
    firsts = {}
    for r in rows:
        firsts.setdefault((r["agency_key"], r["year"]), r["source_file"])
    assert [firsts[(k, y)] for k, y in zip(got["agency_key"], got["year"])] == got["source_file"].tolist()


@pytest.mark.parametrize("one_call", [True, False])
def test_a_companion_row_links_only_to_a_report_of_its_own_file(tmp_path, one_call):
    """A narrative or issue row naming a report another file added is not linked to it (an issue row
    keeps no report, a narrative row without its report is not stored), whether or not the two files
    share a chunk: what loads must not depend on how files are grouped."""
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    shutil.copy(SAMPLES / "001_f432b4650208066c.csv", a)        # 嘉兴市经信局 2020
    b.write_text(HEADER + "另一局,2020,v2019,v2019.s2.art20_1.regulations.new_made,value,0,b.txt,29\n", encoding="utf-8")
    (tmp_path / "b.narrative.csv").write_text(
        "agency,year,key,value,raw\n嘉兴市经信局,2020,v2019.s3.new_received,5,5件\n另一局,2020,v2019.s3.new_received,7,7件\n",
        encoding="utf-8")
    (tmp_path / "b.issues.csv").write_text(
        "agency,year,code,severity,message\n嘉兴市经信局,2020,X-09,warning,a\n另一局,2020,X-09,warning,b\n",
        encoding="utf-8")
    db = tmp_path / "w.duckdb"
    if one_call:
        warehouse.load_paths([a, b], db)
    else:
        warehouse.load_paths([a], db)
        warehouse.load_paths([b], db)
    assert len({f for (f,) in query(db, "SELECT submission_id FROM submissions")}) == 2
    assert query(db, "SELECT r.agency, n.value FROM narrative n JOIN reports r USING (report_id)") == [("另一局", 7.0)]
    assert sorted(query(db, """SELECT i.message, r.agency FROM extraction_issues i
                               LEFT JOIN reports r USING (report_id) ORDER BY 1""")) == [("a", None), ("b", "另一局")]
