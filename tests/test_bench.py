"""bench/bench_scale.py (issue 13): the ``pandera_long`` baseline — pandera over the whole long table,
the two sides computed in pandas — finds exactly the failing rule instances the hand SQL finds, and
the driver reports it next to ``pandera_once`` (ratios, the README table)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb
import pytest

from checks import generate as G
from checks import warehouse
from checks.rules import pandera_checks as P

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def B():
    spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "bench" / "bench_scale.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_pandera_long_finds_the_failures_hand_sql_finds(B, tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    G.generate_corpus(corpus, 16, "2018-2022", seed=13, faults=1 / 5, layouts="none")   # both template changes
    monkeypatch.setenv("GONGKAI_AGENCIES", str(corpus / "agencies.csv"))
    db = tmp_path / "w.duckdb"
    warehouse.load_paths([corpus / "stats"], db)

    hand, long = B.task_hand_sql(str(db)), B.task_pandera_long(str(db))
    assert long["failures"] == hand["failures"] > 0
    assert {"rows", "read_seconds", "frame_seconds", "validate_seconds"} <= set(long)

    cat = B._main_catalogue()
    frame, _ = B._long_frame(str(db), cat)
    fails = P.failing_rows(frame, P.build_evaluation_schema(cat))
    found = set(frame.loc[fails["index"].unique(), ["report_id", "iid"]].itertuples(index=False, name=None))
    con = duckdb.connect(str(db), read_only=True)
    try:
        q = B._hand_query(con, B._terms_frame(cat))
        expected = set(con.execute(f"SELECT report_id, iid FROM ({q})").fetchall())
    finally:
        con.close()
    assert found == expected


def test_pandera_long_in_the_ratios_and_the_table(B):
    def stage(wall, **more):
        return {"wall_seconds": wall, "cpu_seconds": wall, "peak_mb": 100.0, **more}
    res = {"stages": {"check_main": stage(2.0), "pandera_once": stage(4.0),
                      "pandera_long": stage(7.0, inner={"frame_seconds": 5.0, "validate_seconds": 1.5, "failures": 3},
                                            same_failures_as_hand_sql=False)}}
    r = B.ratios(res)
    assert r["speedup_vs_pandera_once"] == 2.0 and r["speedup_vs_pandera_long"] == 3.5
    assert "pandera_long" in B.STAGES and "pandera_long" in B.TASKS
    row = [ln for ln in B.table({"sizes": {"1000": res}}).splitlines() if ln.startswith("| pandera_long ")]
    assert row == ["| pandera_long | 7.0 s / 7.0 s / 100 MB (frame 5.0 s + validate 1.5 s) "
                   "**failures differ from hand_sql** |"]


def test_check_stage_timed_in_process_against_the_baselines_own_seconds(B, tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    G.generate_corpus(corpus, 6, "2018-2022", seed=13, faults=1 / 5, layouts="none")
    monkeypatch.setenv("GONGKAI_AGENCIES", str(corpus / "agencies.csv"))
    db = tmp_path / "w.duckdb"
    warehouse.load_paths([corpus / "stats"], db)
    configs = B.write_configs(tmp_path)
    got = B.task_check_stage(str(db), str(configs["main"]))
    con = duckdb.connect(str(db), read_only=True)
    try:   # one run recorded, of the main rules only, with the errors it returned
        runs = con.execute("SELECT errors, disabled FROM check_runs").fetchall()
    finally:
        con.close()
    assert len(runs) == 1 and runs[0][0] == got["errors"] and "B-01" in runs[0][1].split(",")
    assert got["seconds"] > 0

    def stage(wall, **more):
        return {"wall_seconds": wall, "cpu_seconds": wall, "peak_mb": 100.0, **more}
    res = {"stages": {"check_main": stage(2.0, stage={"seconds": 0.5}),
                      "pandera_long": stage(4.0, inner={"frame_seconds": 2.5, "validate_seconds": 0.5}),
                      "gx_once": stage(9.0, inner={"frame_seconds": 1.0, "setup_seconds": 2.0, "validate_seconds": 1.0})}}
    r = B.ratios(res)
    assert (r["speedup_vs_pandera_long"], r["stage_speedup_vs_pandera_long"]) == (2.0, 6.0)
    assert (r["speedup_vs_gx_once"], r["stage_speedup_vs_gx_once"]) == (4.5, 8.0)
    row = [ln for ln in B.table({"sizes": {"1000": res}}).splitlines() if ln.startswith("| check_main ")]
    assert row == ["| check_main | 2.0 s / 2.0 s / 100 MB (stage 0.50 s) |"]
