"""`gongkai gate`: the CI gate. Each test asserts the exit code and the printed summary, and that the
main warehouse is byte-for-byte unchanged after every gate run."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from checks.cli import app
from tests.conftest import SAMPLES

CLEAN = SAMPLES / "003_ac397f543ad98429.csv"          # 镇海区经济合作局 2018: no error, no warning
ERRORS = SAMPLES / "004_1779f513d25e1c56.csv"         # 安康市工信局 2018: L-02 and O-15 on 从事人员数 (+ warnings)
WARNINGS = SAMPLES / "000_ebde6dcd4a6dec74.csv"       # 嘉善县经济和信息化局 2018: O-03 (warning) only
V2019 = SAMPLES / "001_f432b4650208066c.csv"          # 嘉兴市经信局 2020, v2019


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def main_db(tmp_path_factory) -> Path:
    """A main warehouse holding the samples 000–002 (not the files the tests gate)."""
    db = tmp_path_factory.mktemp("main") / "warehouse.duckdb"
    res = CliRunner().invoke(app, ["load", str(SAMPLES / "000_ebde6dcd4a6dec74.csv"), str(V2019),
                                   str(SAMPLES / "002_75ba8c7c95ed2a3b.csv"), "--db", str(db), "-q"])
    assert res.exit_code == 0, res.output
    return db


def gate(*args, db: Path | None = None):
    """Run `gongkai gate ARGS [--db db]`; assert the main warehouse did not change."""
    before = sha(db) if db and db.exists() else None
    res = CliRunner().invoke(app, ["gate", *map(str, args), *(["--db", str(db)] if db else [])])
    if before is not None:
        assert sha(db) == before, "the gate modified the main warehouse"
    return res


def rewrite(src: Path, dst: Path, change=lambda row: row, extra: list[dict] = ()) -> Path:
    rows = list(csv.DictReader(src.open(encoding="utf-8")))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(change(dict(r)))
    for r in extra:
        w.writerow({**rows[0], **r})
    dst.write_text(buf.getvalue(), encoding="utf-8")
    return dst


def test_clean_file_passes(main_db):
    res = gate(CLEAN, db=main_db)
    assert res.exit_code == 0, res.output
    assert "镇海区经济合作局" in res.stdout and "2018" in res.stdout
    assert "1 report(s) checked → 0 error(s), 0 warning(s), 0 waived, 0 quarantined row(s)" in res.stdout
    assert "history: 3 report(s) from" in res.stdout and "gate: PASS (exit 0)" in res.stdout


def test_total_error_fails_and_names_agency_and_rule(main_db):
    res = gate(ERRORS, db=main_db)
    assert res.exit_code == 1, res.output
    assert "安康市工信局" in res.stdout
    assert "ERROR   O-15  安康市工信局 2018 old.s8.staff.total" in res.stdout
    assert "1 report(s) checked → 2 error(s)" in res.stdout and "gate: FAIL (exit 1)" in res.stdout


def test_quarantined_row_fails_a_clean_file(tmp_path, main_db):
    bad = rewrite(CLEAN, tmp_path / "clean_plus_bad_row.csv",
                  extra=[{"item": "old.s1.no_such_row", "raw": "5", "state": "NUMERIC", "value": "5"}])
    res = gate(bad, db=main_db)
    assert res.exit_code == 1, res.output
    assert "0 error(s), 1 warning(s), 0 waived, 1 quarantined row(s)" in res.stdout      # the Q-01 warning
    assert "1 row(s) quarantined" in res.stdout and "Q-01" in res.stdout and "gate: FAIL (exit 1)" in res.stdout


def test_waived_errors_pass_with_waivers_next_to_the_main_warehouse(tmp_path, main_db):
    db = tmp_path / "main" / "warehouse.duckdb"
    db.parent.mkdir()
    shutil.copy(main_db, db)
    (db.parent / "waivers.yaml").write_text(
        "waivers:\n" + "".join(f"  - {{code: {c}, agency: 安康市工信局, year: 2018, reason: 已核实, expires: 2099-12-31}}\n"
                               for c in ("L-02", "O-15")), encoding="utf-8")
    res = gate(ERRORS, db=db)
    assert res.exit_code == 0, res.output
    assert "0 error(s)" in res.stdout and "2 waived" in res.stdout and "(waived: 已核实)" in res.stdout
    assert "gate: PASS (exit 0)" in res.stdout
    # the same with --waivers explicitly and no main warehouse
    res = gate(ERRORS, "--waivers", db.parent / "waivers.yaml")
    assert res.exit_code == 0 and "2 waived" in res.stdout


def test_warnings_only_fail_with_fail_on_warning(main_db, tmp_path):
    fresh = tmp_path / "w.duckdb"          # WARNINGS is in main_db: gate it against a main warehouse without it
    assert CliRunner().invoke(app, ["load", str(CLEAN), "--db", str(fresh), "-q"]).exit_code == 0
    res = gate(WARNINGS, db=fresh)
    assert res.exit_code == 0, res.output
    assert "0 error(s), 1 warning(s)" in res.stdout and "gate: PASS (exit 0)" in res.stdout
    res = gate(WARNINGS, "--fail-on", "warning", db=fresh)
    assert res.exit_code == 2, res.output
    assert "WARNING O-03" in res.stdout and "(fail on warning)" in res.stdout
    assert "gate: FAIL (warnings) (exit 2)" in res.stdout


def test_unreadable_content_is_a_data_failure(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xb2\xe2\x00\x01")
    res = gate(bad, CLEAN)
    assert res.exit_code == 1, res.output
    assert "bad.csv" in res.stderr and "1 unreadable file(s)" in res.stdout


def test_cannot_work_is_exit_3(tmp_path, main_db):
    res = gate()
    assert res.exit_code == 3 and "no files given" in res.stderr
    res = gate(tmp_path / "nope.csv", db=main_db)
    assert res.exit_code == 3 and "nope.csv: no such file or folder" in res.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    res = gate(empty)
    assert res.exit_code == 3 and "no input found" in res.stderr
    res = gate(CLEAN, db=tmp_path / "missing.duckdb")
    assert res.exit_code == 3 and "no warehouse here" in res.stderr
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(b"not a database at all" * 100)
    res = gate(CLEAN, db=garbage)
    assert res.exit_code == 3 and "garbage.duckdb" in res.stderr and "Traceback" not in res.output


def test_usage_errors_are_exit_64():
    res = gate(CLEAN, "--no-such-option")
    assert res.exit_code == 64 and "No such option" in res.output
    res = gate(CLEAN, "--fail-on", "warnings")
    assert res.exit_code == 64 and "--fail-on" in res.output
    assert CliRunner().invoke(app, ["check", "--limit", "x"]).exit_code == 64
    assert CliRunner().invoke(app, ["no-such-command"]).exit_code == 64


def test_junit_and_markdown(tmp_path, main_db):
    junit, md = tmp_path / "ci" / "gate.xml", tmp_path / "ci" / "gate.md"
    res = gate(ERRORS, CLEAN, "--junit", junit, "--markdown", md, db=main_db)
    assert res.exit_code == 1
    xml = junit.read_text(encoding="utf-8")
    assert 'tests="2"' in xml and 'failures="1"' in xml and "安康市工信局 2018" in xml and "O-15" in xml
    text = md.read_text(encoding="utf-8")
    assert "gongkai gate: FAIL (exit 1)" in text and "安康市工信局" in text


def test_json(main_db):
    res = gate(ERRORS, "--json", db=main_db)
    data = json.loads(res.stdout)
    assert data["exit_code"] == res.exit_code == 1
    assert data["summary"]["error"] == 2 and data["history_reports"] == 3
    assert {f["code"] for f in data["findings"] if f["severity"] == "error"} == {"L-02", "O-15"}


def _carry(year: int, carried_over: str, carry_forward: str):
    def change(row):
        row["year"] = str(year)
        if row["column"] == "natural" and row["item"] in ("v2019.s3.carried_over", "v2019.s3.carry_forward"):
            row["raw"] = carried_over if row["item"].endswith("carried_over") else carry_forward
            row["state"], row["value"] = "NUMERIC", row["raw"]
        return row
    return change


def test_cross_year_finding_against_history_in_the_main_warehouse(tmp_path):
    from checks.rules.catalogue import load_catalogue
    if "C-01" not in {r.code for r in load_catalogue().rules}:
        pytest.skip("no cross-year rule (C-01) in the catalogue yet")
    db = tmp_path / "main.duckdb"
    y2020 = rewrite(V2019, tmp_path / "jx2020.csv", _carry(2020, "", "3"))
    assert CliRunner().invoke(app, ["load", str(y2020), "--db", str(db), "-q"]).exit_code in (0, 1)
    y2021 = rewrite(V2019, tmp_path / "jx2021.csv", _carry(2021, "5", ""))
    with_history = gate(y2021, "--json", db=db)
    codes = {f["code"] for f in json.loads(with_history.stdout)["findings"]}
    assert "C-01" in codes, with_history.stdout
    c01 = [f for f in json.loads(with_history.stdout)["findings"] if f["code"] == "C-01"]
    assert all(f["year"] == 2021 for f in c01)
    printed = gate(y2021, "--fail-on", "warning", db=db)
    assert "C-01" in printed.stdout and printed.exit_code in (1, 2)
    alone = gate(y2021, "--json")                   # no main warehouse: no history, no C-01
    assert "C-01" not in {f["code"] for f in json.loads(alone.stdout)["findings"]}


# ------------------------------------------------------------------ exit codes of the other commands

def test_no_input_found_is_exit_3_for_load_and_run(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.md").write_text("nothing to load", encoding="utf-8")
    for cmd in (["load"], ["run", "--no-gx", "--out", str(tmp_path / "out")]):
        res = CliRunner().invoke(app, [*cmd, str(empty), "--db", str(tmp_path / "w.duckdb")])
        assert res.exit_code == 3 and "no input found" in res.stderr, (cmd, res.output)
        res = CliRunner().invoke(app, [*cmd, "--db", str(tmp_path / "w.duckdb")])
        assert res.exit_code == 3 and "no input given" in res.stderr, (cmd, res.output)


def test_run_takes_the_check_options(tmp_path):
    def run(*extra):
        return CliRunner().invoke(app, ["run", str(WARNINGS), "--db", str(tmp_path / "w.duckdb"), "--out",
                                        str(tmp_path / "out"), "--no-gx", *extra])
    assert run().exit_code == 0
    assert run("--fail-on", "warning").exit_code == 2
    waivers = tmp_path / "w.yaml"
    waivers.write_text("waivers:\n  - {code: O-03, agency: 嘉善县经济和信息化局, year: 2018, reason: ok, "
                       "expires: 2099-01-01}\n", encoding="utf-8")
    assert run("--fail-on", "warning", "--waivers", str(waivers)).exit_code == 0
    config = tmp_path / "c.yaml"
    config.write_text("severity: {O-03: error}\n", encoding="utf-8")
    assert run("--config", str(config), "--lenient").exit_code == 1
    assert run("--fail-on", "sometimes").exit_code == 64


@pytest.mark.slow
def test_expectations_validate_exits_as_check(tmp_path):
    db = tmp_path / "w.duckdb"
    assert CliRunner().invoke(app, ["load", str(WARNINGS), "--db", str(db), "-q"]).exit_code == 0
    gk = lambda *a: CliRunner().invoke(app, ["expectations", "validate", "--db", str(db), "-q", *a])  # noqa: E731
    assert gk().exit_code == 0                              # O-03 fails, but it is a warning
    assert gk("--fail-on", "warning").exit_code == 2
    config = tmp_path / "c.yaml"
    config.write_text("severity: {O-03: error}\n", encoding="utf-8")
    assert gk("--config", str(config)).exit_code == 1
