"""`gongkai check` and `gongkai rules`: exit codes, JSON, configuration, waivers, generated SQL."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from checks import synth, warehouse
from checks.exports import EXPORT_COLUMNS
from checks.cli import app
from checks.rules import catalogue as C
from checks.rules import sql as S

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
runner = CliRunner()


def gk(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def seeds_db(tmp_path) -> Path:
    db = tmp_path / "w.duckdb"
    warehouse.load_paths(sorted(SAMPLES.glob("*.csv")), db)
    return db


def _db_of(tmp_path, *reports) -> Path:
    db = tmp_path / "w.duckdb"
    con = synth.connect_fresh(db)
    synth.load_direct(con, pd.DataFrame([r for rep in reports for r in rep]))
    con.close()
    return db


def test_check_seeds_exit_1_and_json(seeds_db):
    r = gk("check", "--db", seeds_db, "--json")
    assert r.exit_code == 1
    out = json.loads(r.stdout)
    assert {k: out["summary"][k] for k in ("error", "warning", "info", "waived")} == \
        {"error": 5, "warning": 9, "info": 17, "waived": 0}
    assert out["summary"]["reports"] == 5 and len(out["reports"]) == 5 and out["exit_code"] == 1
    first = out["findings"][0]                       # the one JSON shape (checks.exports.JSON_KEYS)
    assert set(first) == set(EXPORT_COLUMNS)
    o3 = [f for f in out["findings"] if f["code"] == "O-03" and f["severity"] == "warning"]
    assert o3 == [dict(o3[0], agency="嘉善县经济和信息化局", year=2018, item="old.s1.channel.wechat",
                       column="value", expected=61.0, actual=2218.0, delta=2157.0)]


def test_check_human_output_and_quiet(seeds_db):
    r = gk("check", "--db", seeds_db)
    assert r.exit_code == 1
    assert "ERROR   O-15  old.s8.staff.total :353" in r.stdout
    assert "5 report(s) checked (strict) → 5 error(s), 9 warning(s), 17 info, 0 waived" in r.stdout
    q = gk("check", "--db", seeds_db, "--quiet")
    assert q.exit_code == 1 and q.stdout == ""


def test_exit_codes_clean_and_warnings_only(tmp_path):
    clean = _db_of(tmp_path, synth.template_rows("v2021"))
    assert gk("check", "--db", clean, "-q").exit_code == 0
    warn = tmp_path / "warn"
    warn.mkdir()
    db = _db_of(warn, synth.template_rows("old", {"old.s1.proactive.total": "1", "old.s1.channel.website": "2"}))
    assert gk("check", "--db", db, "-q").exit_code == 0
    assert gk("check", "--db", db, "-q", "--fail-on", "warning").exit_code == 2


def test_cannot_run_is_exit_3(tmp_path, seeds_db):
    r = gk("check", "--db", tmp_path / "nothing.duckdb")
    assert r.exit_code == 3
    bad = tmp_path / "bad.yaml"
    bad.write_text("severity: {O-99: error}\n", encoding="utf-8")
    r = gk("check", "--db", seeds_db, "--config", bad)
    assert r.exit_code == 3 and "unknown rule code 'O-99'" in r.stderr
    bad.write_text("severity: {O-03: fatal}\n", encoding="utf-8")
    assert gk("check", "--db", seeds_db, "--config", bad).exit_code == 3
    bad.write_text("severities: {}\n", encoding="utf-8")
    assert "unknown key(s) severities" in gk("check", "--db", seeds_db, "--config", bad).stderr
    w = tmp_path / "w.yaml"
    w.write_text("- {code: O-15, agency: x, year: 2018, reason: r}\n", encoding="utf-8")
    r = gk("check", "--db", seeds_db, "--waivers", w)
    assert r.exit_code == 3 and "missing expires" in r.stderr
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(b"not a database at all" * 100)
    assert gk("check", "--db", garbage).exit_code == 3
    assert gk("check", "--db", seeds_db, "--fail-on", "never").exit_code == 64     # a usage error (issue 11)


def test_config_file_and_pyproject(tmp_path, seeds_db, monkeypatch):
    cfg = tmp_path / "gongkai.yaml"
    cfg.write_text("severity: {O-05: warning}\ndisabled: [O-15, L-02]\n", encoding="utf-8")
    out = json.loads(gk("check", "--db", seeds_db, "--config", cfg, "--json").stdout)
    assert out["summary"]["error"] == 0 and out["exit_code"] == 0
    assert not {f["code"] for f in out["findings"]} & {"O-15", "L-02"}
    assert gk("check", "--db", seeds_db, "--config", cfg, "-q", "--fail-on", "warning").exit_code == 2
    # [tool.gongkai] in the working directory's pyproject.toml
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "pyproject.toml").write_text('[tool.gongkai]\ndisabled = ["O-15", "L-02", "O-05"]\n', encoding="utf-8")
    monkeypatch.chdir(proj)
    out = json.loads(gk("check", "--db", seeds_db, "--json").stdout)
    assert out["summary"]["error"] == 0 and out["config"].endswith("pyproject.toml [tool.gongkai]")


def test_waivers_active_and_expired(tmp_path, seeds_db):
    w = tmp_path / "waivers.yaml"
    w.write_text("""waivers:
  - {code: O-15, agency: 安康市工信局, year: 2018, reason: 已核实：从事人员为兼职 2 人, expires: 2999-12-31}
  - {code: L-02, agency: 安康市工信局, year: 2018, reason: 同上, expires: 2999-12-31, item: old.s8.staff.total}
  - {code: O-03, agency: 嘉善县经济和信息化局, year: 2018, reason: 旧豁免, expires: 2020-01-01}
""", encoding="utf-8")
    out = json.loads(gk("check", "--db", seeds_db, "--waivers", w, "--json").stdout)
    ak = [f for f in out["findings"] if f["agency"] == "安康市工信局" and f["severity"] == "error"]
    assert {(f["code"], f["waived"], f["waiver_reason"]) for f in ak} == {
        ("O-15", True, "已核实：从事人员为兼职 2 人"), ("L-02", True, "同上")}
    assert {k: out["summary"][k] for k in ("error", "warning", "info", "waived")} == \
        {"error": 3, "warning": 9, "info": 18, "waived": 2}
    w01 = [f for f in out["findings"] if f["code"] == "W-01"]
    assert len(w01) == 1 and w01[0]["severity"] == "info" and "2020-01-01" in w01[0]["message"]
    o3 = [f for f in out["findings"] if f["code"] == "O-03" and f["severity"] == "warning"]
    assert not o3[0]["waived"]  # the expired waiver no longer applies
    # waivers.yaml next to the warehouse is used by default
    (seeds_db.parent / "waivers.yaml").write_text(w.read_text(encoding="utf-8"), encoding="utf-8")
    assert json.loads(gk("check", "--db", seeds_db, "--json").stdout)["summary"]["waived"] == 2


def test_rules_list_and_show(seeds_db):
    r = gk("rules")
    assert r.exit_code == 0
    assert "N-01   applications-balance" in r.stdout and "L-02   total-not-filled" in r.stdout
    data = json.loads(gk("rules", "--json").stdout)
    assert {d["code"] for d in data} >= {f"N-0{i}" for i in range(1, 10)} | {f"O-{i:02d}" for i in range(1, 18)}
    show = gk("rules", "show", "n-01")
    assert show.exit_code == 0 and "applications-balance" in show.stdout and "WITH" in show.stdout
    assert gk("rules", "show", "Z-99").exit_code == 3


@pytest.mark.parametrize("code", ["N-01", "O-15", "L-02", "L-04", "B-01", "N-07", "B-02"])
def test_rule_sql_is_self_contained_and_matches_check(seeds_db, code):
    """The SQL `rules show` prints, run alone on the warehouse, returns exactly the rule's findings."""
    con = warehouse.connect(seeds_db)
    try:
        cat = C.load_catalogue()
        res = S.run_check(con, cat)
        sql = S.rule_sql(cat, code)
        got = con.execute(sql.rstrip().rstrip(";")).df()
        want = con.execute("SELECT * FROM findings WHERE run_id = ? AND code = ?", [res.run_id, code]).df()
        cols = ["code", "severity", "agency", "year", "item", "column", "expected", "actual", "message", "exact"]
        norm = lambda d: sorted(map(str, d[cols].astype(object).where(d[cols].notna(), None).values.tolist()))  # noqa: E731
        assert norm(got) == norm(want)
    finally:
        con.close()
