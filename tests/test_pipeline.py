"""`gongkai run`, the main job: load, check, write the results."""

from __future__ import annotations

import csv
import json
import shutil
import xml.etree.ElementTree as ET

import duckdb
from typer.testing import CliRunner

from checks.cli import app
from checks.exports import EXPORT_COLUMNS, JSON_KEYS, REPORT_COLUMNS
from tests.conftest import SAMPLES

S003 = SAMPLES / "003_ac397f543ad98429.csv"


def test_run_on_the_samples_writes_findings_and_status(tmp_path):
    db, out = tmp_path / "w.duckdb", tmp_path / "out"
    res = CliRunner().invoke(app, ["run", str(SAMPLES), "--db", str(db), "--out", str(out), "--no-gx"])
    assert res.exit_code == 1, res.output          # seeds 002 and 004 have errors
    assert "5 report(s), 453 cells, 0 quarantined row(s); 5 error(s), 9 warning(s)" in res.stdout
    rows = list(csv.DictReader((out / "findings.csv").open(encoding="utf-8-sig")))
    errors = sorted((r["agency"], r["code"], r["item"]) for r in rows if r["severity"] == "error")
    assert errors == [
        ("台州市经信委", "L-02", "old.s8.staff.total"), ("台州市经信委", "O-05", "old.s2.press_conf.principal"),
        ("台州市经信委", "O-15", "old.s8.staff.total"),
        ("安康市工信局", "L-02", "old.s8.staff.total"), ("安康市工信局", "O-15", "old.s8.staff.total")]
    assert (out / "findings.csv").read_bytes().startswith(b"\xef\xbb\xbf")     # BOM: Excel reads UTF-8
    assert {r["severity"] for r in rows} == {"error", "warning"}               # info only with --show-info
    assert len(json.loads((out / "findings.json").read_text(encoding="utf-8"))["findings"]) == len(rows)
    assert (out / "site" / "index.html").is_file() and (out / "findings.xlsx").is_file()
    assert json.loads((out / "status.json").read_text(encoding="utf-8"))["reports"] == 5


def test_run_with_an_unreadable_file_exits_1(tmp_path):
    """A rejected file is a data problem (1), not the tool failing (3) (issue 12); the rest is checked."""
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"")
    res = CliRunner().invoke(app, ["run", str(bad), str(SAMPLES / "003_ac397f543ad98429.csv"), "--db",
                                   str(tmp_path / "w.duckdb"), "--out", str(tmp_path / "out"), "--no-gx"])
    assert res.exit_code == 1


def test_run_json(tmp_path):
    res = CliRunner().invoke(app, ["run", str(SAMPLES), "--db", str(tmp_path / "w.duckdb"), "--out",
                                   str(tmp_path / "out"), "--no-gx", "--json"])
    data = json.loads(res.stdout)
    assert data["exit_code"] == res.exit_code == 1
    assert data["summary"]["error"] == 5 and data["summary"]["warning"] == 9
    assert [r["agency"] for r in data["reports"]][:2] == ["台州市经信委", "安康市工信局"]


def test_one_json_shape_for_every_command(tmp_path):
    """Issue 10 §4: check, run, show and gate --json share the same keys for the same things: run,
    summary (reports, error, warning, info, waived), reports (REPORT_COLUMNS), findings (EXPORT_COLUMNS)."""
    db = tmp_path / "w.duckdb"
    runner = CliRunner()
    docs = {"run": runner.invoke(app, ["run", str(SAMPLES), "--db", str(db), "--out", str(tmp_path / "o"),
                                       "--no-gx", "--json"]),
            "check": runner.invoke(app, ["check", "--db", str(db), "--json"]),
            "check pandera": runner.invoke(app, ["check", "--db", str(db), "--backend", "pandera", "--json"]),
            "show": runner.invoke(app, ["show", "安康市工信局", "--db", str(db), "--json"]),
            "gate": runner.invoke(app, ["gate", str(SAMPLES / "004_1779f513d25e1c56.csv"), "--db", str(db), "--json"])}
    for name, r in docs.items():
        assert r.exit_code in (0, 1), (name, r.output)
        d = json.loads(r.stdout)
        assert set(JSON_KEYS) <= set(d), (name, sorted(d))
        assert {"reports", "error", "warning", "info", "waived"} <= set(d["summary"]), (name, d["summary"])
        assert d["exit_code"] == r.exit_code, name
        assert d["findings"] and all(set(f) == set(EXPORT_COLUMNS) for f in d["findings"]), name
        assert all(set(x) == set(REPORT_COLUMNS) for x in d["reports"]), name
        assert d["run"] is None if name == "check pandera" else d["run"]["run_id"], name
    by = {n: json.loads(r.stdout) for n, r in docs.items()}
    assert by["check"]["summary"]["error"] == by["run"]["summary"]["error"] == 5
    err = {(f["agency"], f["code"], f["cell"]) for f in by["run"]["findings"] if f["severity"] == "error"}
    assert err == {(f["agency"], f["code"], f["cell"]) for f in by["check"]["findings"] if f["severity"] == "error"}
    assert {(f["agency"], f["code"], f["cell"]) for f in by["gate"]["findings"] if f["severity"] == "error"} \
        == {e for e in err if e[0] == "安康市工信局"}


def test_junit_has_a_failing_case_per_lost_file_and_the_summary_lists_them(tmp_path):
    """Issue 10 §4 / 12 §1: files not loaded and files with quarantined rows are failing JUnit cases
    (one per file), and the run's summary names each file not loaded with its reason."""
    batch = tmp_path / "batch"
    batch.mkdir()
    shutil.copy(S003, batch / "good.csv")
    (batch / "binary.csv").write_bytes(b"\x00\xff\xfe garbage")
    lines = S003.read_text(encoding="utf-8").splitlines()
    (batch / "rows.csv").write_text("\n".join([lines[0], lines[2].replace(",old.s1", ",old.s99", 1)]) + "\n",
                                    encoding="utf-8")
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["run", str(batch), "--db", str(tmp_path / "w.duckdb"), "--out", str(out), "--no-gx"])
    assert r.exit_code == 1, r.output
    assert "1 not loaded" in r.stdout and f"not loaded: {batch / 'binary.csv'}: not a CSV file" in r.stdout
    root = ET.parse(out / "junit.xml").getroot()
    files = next(s for s in root.iter("testsuite") if s.get("name") == "gongkai-audit input files")
    cases = {c.get("name"): c.find("failure") for c in files.iter("testcase")}
    assert set(cases) == {str(batch / "binary.csv"), str(batch / "rows.csv")}
    assert cases[str(batch / "binary.csv")].get("type") == "not-loaded"
    assert cases[str(batch / "rows.csv")].get("type") == "quarantined"
    assert "1 of 1 row(s) quarantined" in cases[str(batch / "rows.csv")].text
    assert int(root.get("failures")) == 2 and int(root.get("tests")) == 2 + 1   # 2 files + 1 agency-year (clean)


def test_keep_runs_prunes_old_runs_at_the_end_of_each_run(tmp_path, monkeypatch):
    """Automatic retention: --keep-runs N (or GONGKAI_KEEP_RUNS) keeps the newest N check runs."""
    db = tmp_path / "w.duckdb"

    def runs():
        con = duckdb.connect(str(db), read_only=True)
        try:
            return con.execute("SELECT count(*), count(DISTINCT f.run_id) FROM check_runs "
                               "LEFT JOIN (SELECT DISTINCT run_id FROM findings) f USING (run_id)").fetchall()[0]
        finally:
            con.close()

    for _ in range(3):
        assert CliRunner().invoke(app, ["run", str(S003), "--db", str(db), "--no-gx", "-q"]).exit_code == 0
    assert runs()[0] == 3
    r = CliRunner().invoke(app, ["run", str(S003), "--db", str(db), "--no-gx", "--keep-runs", "2", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["pruned"]["runs_deleted"] == 2 and runs()[0] == 2
    monkeypatch.setenv("GONGKAI_KEEP_RUNS", "1")
    assert CliRunner().invoke(app, ["run", str(S003), "--db", str(db), "--no-gx", "-q"]).exit_code == 0
    assert runs()[0] == 1
    monkeypatch.setenv("GONGKAI_KEEP_RUNS", "zero")
    r = CliRunner().invoke(app, ["run", str(S003), "--db", str(db), "--no-gx", "-q"])
    assert r.exit_code == 3 and "GONGKAI_KEEP_RUNS" in r.stderr and runs()[0] == 1
    assert CliRunner().invoke(app, ["run", str(S003), "--db", str(db), "--keep-runs", "0"]).exit_code == 64


def test_keep_runs_from_the_configuration(tmp_path):
    """`keep_runs = N` in the configuration ([tool.gongkai] or --config) is the retention setting."""
    db = tmp_path / "w.duckdb"
    cfg = tmp_path / "gongkai.yaml"
    cfg.write_text("keep_runs: 2\n", encoding="utf-8")
    for _ in range(4):
        assert CliRunner().invoke(app, ["run", str(S003), "--db", str(db), "--no-gx", "-q",
                                        "--config", str(cfg)]).exit_code == 0
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM check_runs").fetchall() == [(2,)]
    finally:
        con.close()
    cfg.write_text("keep_runs: 0\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["run", str(S003), "--db", str(db), "--no-gx", "-q", "--config", str(cfg)])
    assert r.exit_code == 3 and "keep_runs must be a whole number" in r.stderr
