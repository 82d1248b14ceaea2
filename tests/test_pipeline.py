"""`gongkai run`, the main job: load, check, write the results."""

from __future__ import annotations

import csv
import json

from typer.testing import CliRunner

from checks.cli import app
from tests.conftest import SAMPLES


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
    assert data["check"]["errors"] == 5 and data["check"]["warnings"] == 9
    assert [r["agency"] for r in data["reports"]][:2] == ["台州市经信委", "安康市工信局"]
