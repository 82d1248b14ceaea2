"""Benchmark: every stage at 1k, 10k and 100k agency-years, and the check done the usual ways side by side.

For each size N (``--sizes``, default 1000,10000,100000) the corpus is made by ``gongkai generate``
(N/5 agencies × 2018–2022, so both template changes; 5 % of agency-years with an injected fault;
report texts in every layout up to ``--text-max`` agency-years, statistics files only above it). Each
stage runs as its own process; the parent reads the child's wall time, CPU time (user + sys) and
peak memory (``ru_maxrss`` from ``os.wait4``, which includes the child's own children):

==================  ==================================================================================
stage               command
==================  ==================================================================================
generate            ``gongkai generate`` (not a target; for the record)
extract             ``gongkai extract TEXTS --out extracted.csv`` (report-text files → extracted CSV), one worker
                    process per core (the default): wall time; its CPU seconds leave out the workers, which
                    run under a fork server
extract_1           the same with ``--workers 1`` (all in one process): reports per CPU-second, per core
load                ``gongkai load STATS --db W`` (the generated extracted-statistics CSV files)
duckdb_read_csv     DuckDB ``CREATE TABLE AS SELECT * FROM read_csv(…)`` of the same files (the yardstick)
load_one            ``gongkai load ONE.csv`` into an empty warehouse: the same statistics joined into one CSV file
                    (header once, the files in name order; its narrative companion likewise), over the per-file
                    limits, so read in parts in one transaction
duckdb_read_csv_one DuckDB reading that one file (and its companion) into tables
check_within        ``gongkai check`` with the cross-year rules switched off (``--config``)
check_crossyear     ``gongkai check`` with only the 8 cross-year rules on (registry: ``GONGKAI_AGENCIES``)
check               ``gongkai check``: every rule, as the nightly job runs it
site                ``gongkai report --out SITE`` (the HTML site of that run)
check_main          ``gongkai check`` with only the main rules on (sum-equals, at-most: totals, 其中 ≤ parent),
                    and B-04, which folds the comparisons that hold only with blanks as 0 into one
                    information finding per report, as gongkai runs them; then the same check timed inside
                    its process after the imports (``stage``: configuration, integrity probe, rules, findings
                    stored), set against the baselines' own in-process seconds (``stage_speedup_vs_*``)
hand_sql            hand-written DuckDB SQL for the same main rules (evaluate; evaluate + store failures)
pandera_once        pandera: the evaluation frame (DuckDB) validated once, main rules
pandera_long        pandera the usual way, without our SQL: the long cells table of the current reports read
                    into pandas in one query, each rule instance's two sides computed in pandas (cells merged
                    with the terms, blanks as 0), validated once over the whole frame, main rules; it must
                    find the failures hand_sql finds (a mismatch is printed and recorded)
gx_once             GX: the same frame, one checkpoint over the whole table, main rules
pandera_per_group   pandera: one validation per agency-year (sampled above ``--pandera-sample``)
gx_per_agency       GX: one checkpoint run per agency-year on its pandas frame (sampled, ``--gx-sample``)
run                 ``gongkai run TEXTS --no-gx`` over the folder of report files (fresh warehouse)
run_stats           ``gongkai run STATS --no-gx`` over the folder of extracted-statistics files
==================  ==================================================================================

The per-agency baselines and ``pandera_once`` are given the evaluation frame DuckDB computed (each
rule instance's two sides): generous to them, as they then only compare; ``pandera_long`` computes
the sides itself. Sampled baselines are extrapolated per
agency-year (``frame seconds + N × seconds per agency-year``) and marked ``extrapolated``.
Writes ``bench/results/scale.json`` (machine, cpus, python, load average at the start and before each
stage). The machine may be shared: CPU seconds are recorded next to wall seconds.

    .venv/bin/python bench/bench_scale.py                        # 1k, 10k, 100k (about an hour on 2 cores)
    .venv/bin/python bench/bench_scale.py --quick                # 1k only, small samples
    .venv/bin/python bench/bench_scale.py --sizes 1000,10000 --skip gx_once,run_stats
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

YEARS = "2018-2022"
N_YEARS = 5
CROSS_CODES = ("Y-01", "Y-02", "Y-03", "Y-04", "C-01", "N-11", "N-12", "L-05")
MAIN_KINDS = ("sum-equals", "at-most")
STAGES = ("generate", "extract", "extract_1", "load", "duckdb_read_csv", "load_one", "duckdb_read_csv_one", "check_within", "check_crossyear", "check", "site",
          "check_main", "hand_sql", "pandera_once", "pandera_long", "gx_once", "pandera_per_group", "gx_per_agency", "run",
          "run_stats")
TARGETS = {
    "check_within_100k_seconds": 20.0, "check_within_100k_peak_mb": 4096,
    "check_crossyear_100k_seconds": 30.0,
    "run_10k_files_seconds": 60.0, "run_100k_files_seconds": 600.0, "run_peak_mb": 4096,
    "load_100k_seconds": 60.0, "load_vs_duckdb_read_csv": 3.0,
    "check_vs_hand_sql": 2.0,
    "extract_reports_per_cpu_second": 300.0,
    "check_speedup_vs_gx_per_agency": 100.0, "check_speedup_vs_once": 3.0,
}


# ---------------------------------------------------------------------------------- children

def gongkai() -> list[str]:
    exe = Path(sys.executable).with_name("gongkai")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "checks.cli"]


def measure(cmd: list[str], *, env: dict | None = None, timeout: float | None = None, log: Path | None = None) -> dict:
    """Run ``cmd`` as a child; wall, user+sys CPU and peak RSS of the child (and its children)."""
    full_env = {**os.environ, "GX_ANALYTICS_ENABLED": "False", "DO_NOT_TRACK": "1",
                "PREFECT_LOGGING_LEVEL": "WARNING", **(env or {})}
    load1 = round(os.getloadavg()[0], 2)
    fd, out_name = tempfile.mkstemp(prefix="gk-scale-out-", suffix=".txt")
    os.close(fd)
    with open(out_name, "w+b") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=full_env, cwd=ROOT,
                                start_new_session=True)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        timer = threading.Timer(timeout, kill) if timeout else None
        if timer:
            timer.start()
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        if timer:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    os.unlink(out_name)
    if log is not None:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"$ {' '.join(cmd)}\n{text[-4000:]}\n")
    res = {"wall_seconds": round(wall, 3), "cpu_seconds": round(ru.ru_utime + ru.ru_stime, 3),
           "user_seconds": round(ru.ru_utime, 3), "sys_seconds": round(ru.ru_stime, 3),
           "peak_mb": round(ru.ru_maxrss / 1024, 1), "exit_code": proc.returncode, "load_average_1m": load1}
    if timed_out.is_set():
        res["timed_out_after_seconds"] = timeout
    if proc.returncode not in (0, 1, 2):
        res["output_tail"] = text[-1500:]
    return res


def worker(task: str, **kw) -> list[str]:
    args = [sys.executable, str(Path(__file__).resolve()), "--worker", task]
    for k, v in kw.items():
        args += [f"--{k.replace('_', '-')}", str(v)]
    return args


# ---------------------------------------------------------------------------- in-child tasks

def _main_catalogue():
    from checks.rules import catalogue as C
    cat = C.load_catalogue()
    off = [r.code for r in cat.rules if r.kind not in MAIN_KINDS]
    return cat.configured({}, off, source="bench: main rules")


def _terms_frame(cat):
    import pandas as pd
    from checks.rules import catalogue as C
    insts = C.expand(cat)
    by = {r.code: r for r in cat.rules}
    rows = [(i.iid, i.code, by[i.code].kind, by[i.code].tolerance, i.template, i.variant, t.side, t.cell.item,
             t.cell.column, t.coef) for i in insts for t in i.terms]
    return pd.DataFrame(rows, columns=["iid", "code", "kind", "tol", "template", "variant", "side", "item", "column",
                                       "coef"])


def _hand_query(con, terms) -> str:
    """Register ``terms`` (:func:`_terms_frame`) on ``con`` (temp tables ``ht``, ``hi``); the hand SQL query of
    the failing (report × instance) rows: report_id, code, iid, lhs, rhs."""
    from checks.rules.sql import variant_expr
    con.register("terms_df", terms)
    con.execute("CREATE TEMP TABLE ht AS SELECT * FROM terms_df")
    con.execute("CREATE TEMP TABLE hi AS SELECT DISTINCT iid, code, kind, tol FROM ht")
    q = f"""WITH r AS (SELECT report_id, agency, year, template, {variant_expr('r0')} AS variant
                      FROM current_reports r0),
tc AS (SELECT c.report_id, t.iid,
              coalesce(sum(t.coef * coalesce(c.value, 0)) FILTER (WHERE t.side = 'lhs'), 0) AS lhs,
              coalesce(sum(t.coef * coalesce(c.value, 0)) FILTER (WHERE t.side = 'rhs'), 0) AS rhs
       FROM cells c JOIN r ON r.report_id = c.report_id
       JOIN ht t ON t.template = r.template AND t.variant = r.variant AND t.item = c.item AND t."column" = c."column"
       GROUP BY c.report_id, t.iid)
SELECT tc.report_id, i.code, tc.iid, tc.lhs, tc.rhs FROM tc JOIN hi i USING (iid)
WHERE CASE i.kind WHEN 'sum-equals' THEN abs(tc.lhs - tc.rhs) > i.tol ELSE tc.lhs > tc.rhs + i.tol END"""
    return q


def task_hand_sql(db: str) -> dict:
    """The tightest hand-written SQL for the main rules: per report × instance, the two sides from the
    cells joined with a small terms table, failures kept; (a) counted, (b) stored in a table."""
    import duckdb

    import checks.rules.sql  # noqa: F401 - imported before the clock starts (_hand_query uses it)
    cat = _main_catalogue()
    terms = _terms_frame(cat)
    con = duckdb.connect(db)
    t0 = time.perf_counter()
    q = _hand_query(con, terms)
    prep = time.perf_counter() - t0
    t = time.perf_counter()
    n = con.execute(f"SELECT count(*) FROM ({q})").fetchone()[0]
    evaluate = time.perf_counter() - t
    t = time.perf_counter()
    con.execute(f"CREATE TABLE bench_hand_findings AS {q}")
    store = time.perf_counter() - t
    con.execute("DROP TABLE bench_hand_findings")
    con.close()
    return {"failures": int(n), "prepare_seconds": round(prep, 3), "evaluate_seconds": round(evaluate, 3),
            "evaluate_and_store_seconds": round(store + prep, 3), "instances": int(terms["iid"].nunique())}


def _long_frame(db: str, cat):
    """The evaluation frame computed in pandas, the way a pandera user would without our SQL: the long
    cells table of the current reports read in one query (report_id, template, variant, item, column,
    value: the variant as in ``checks.rules.sql.variant_expr``, reading data), merged with the terms table
    (:func:`_terms_frame`); per (report × instance) each side the sum of coef × coalesce(value, 0), a side
    without a cell 0 (the semantics of :func:`task_hand_sql`). Columns report_id, iid, code, kind, tol, lhs,
    rhs; (frame, read seconds)."""
    import duckdb
    from checks.rules.sql import variant_expr
    terms = _terms_frame(cat)
    t = time.perf_counter()
    con = duckdb.connect(db, read_only=True)
    try:
        cells = con.execute(f"""SELECT c.report_id, r.template, {variant_expr('r')} AS variant, c.item, c."column",
                                       c.value
                                FROM cells c JOIN current_reports r ON r.report_id = c.report_id""").df()
    finally:
        con.close()
    read_s = time.perf_counter() - t
    m = cells.merge(terms[["template", "variant", "item", "column", "iid", "side", "coef"]],
                    on=["template", "variant", "item", "column"], how="inner")
    del cells
    m["v"] = m["coef"] * m["value"].fillna(0.0)
    sides = m.groupby(["report_id", "iid", "side"], sort=False)["v"].sum().unstack("side", fill_value=0.0)
    del m
    frame = sides.reindex(columns=["lhs", "rhs"], fill_value=0.0).reset_index()
    frame.columns.name = None
    inst = terms[["iid", "code", "kind", "tol"]].drop_duplicates("iid")
    return frame.merge(inst, on="iid", how="left"), read_s


def task_pandera_long(db: str) -> dict:
    """pandera once over the whole long table: :func:`_long_frame` (reading + pandas) validated once with
    the evaluation schema of the main rules (``checks.rules.pandera_checks``); failures are the failing
    (report × instance) rows, as :func:`task_hand_sql` counts them."""
    from checks.rules import pandera_checks as P
    cat = _main_catalogue()
    t = time.perf_counter()
    frame, read_s = _long_frame(db, cat)
    frame_s = time.perf_counter() - t
    t = time.perf_counter()
    fails = P.failing_rows(frame, P.build_evaluation_schema(cat))
    validate_s = time.perf_counter() - t
    return {"rows": len(frame), "read_seconds": round(read_s, 3), "frame_seconds": round(frame_s, 3),
            "validate_seconds": round(validate_s, 3), "failures": int(fails["index"].nunique())}


def _eval_frame(db: str, cat):
    from checks import warehouse
    from checks.gx import gx_frame
    con = warehouse.connect(db, read_only=True)
    try:
        return gx_frame(con, catalogue=cat)
    finally:
        con.close()


def task_pandera_once(db: str) -> dict:
    from checks.rules import pandera_checks as P
    cat = _main_catalogue()
    t = time.perf_counter()
    ev = _eval_frame(db, cat)
    frame_s = time.perf_counter() - t
    t = time.perf_counter()
    found = P.findings_of(ev, P.build_evaluation_schema(cat), cat)
    validate_s = time.perf_counter() - t
    sev = {r.code: r.severity for r in cat.rules}
    return {"rows": len(ev), "frame_seconds": round(frame_s, 3), "validate_seconds": round(validate_s, 3),
            "failures": int(sum(1 for c in found["code"] if sev.get(c) != "info"))}


def _gx_context(cat, templates: list[str], result_format: dict):
    """An ephemeral GX context: one pandas asset, one suite, validation definition and checkpoint per template."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from checks.gx import suite_dict
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (ctx.data_sources.add_pandas("bench").add_dataframe_asset("rule_instances")
             .add_batch_definition_whole_dataframe("whole"))
    defs = {}
    for t in templates:
        suite = ctx.suites.add(gx.ExpectationSuite(**suite_dict(cat, t)))
        defs[t] = ctx.validation_definitions.add(gx.ValidationDefinition(name=f"v-{t}", data=batch, suite=suite))
    return gx, ctx, defs


def task_gx_once(db: str) -> dict:
    from checks import templates as T
    from checks.gx import INDEX_COLUMNS
    cat = _main_catalogue()
    t = time.perf_counter()
    ev = _eval_frame(db, cat)
    frame_s = time.perf_counter() - t
    t = time.perf_counter()
    fmt = {"result_format": "COMPLETE", "unexpected_index_column_names": INDEX_COLUMNS}
    gx, ctx, defs = _gx_context(cat, list(T.TEMPLATE_IDS), fmt)
    cp = ctx.checkpoints.add(gx.Checkpoint(name="once", validation_definitions=list(defs.values()), actions=[],
                                           result_format=fmt))
    setup_s = time.perf_counter() - t
    t = time.perf_counter()
    result = cp.run(batch_parameters={"dataframe": ev})
    n = sum(len(r.result.get("unexpected_index_list") or []) for run in result.run_results.values()
            for r in run.results)
    validate_s = time.perf_counter() - t
    return {"rows": len(ev), "frame_seconds": round(frame_s, 3), "setup_seconds": round(setup_s, 3),
            "validate_seconds": round(validate_s, 3), "failing_rows": int(n)}


def _sample_ids(ev, k: int) -> tuple[list, int]:
    import numpy as np
    ids = ev["report_id"].unique()
    if k >= len(ids):
        return list(ids), len(ids)
    rng = np.random.default_rng(13)
    return list(rng.choice(ids, size=k, replace=False)), len(ids)


def task_pandera_per_group(db: str, sample: int, reports: int) -> dict:
    import pandera.pandas as pa
    from checks.rules import pandera_checks as P
    cat = _main_catalogue()
    t = time.perf_counter()
    ev = _eval_frame(db, cat)
    frame_s = time.perf_counter() - t
    schema = P.build_evaluation_schema(cat)
    ids, total = _sample_ids(ev, sample)
    groups = dict(tuple(ev.groupby("report_id", sort=False)))
    t = time.perf_counter()
    failing = 0
    for rid in ids:
        try:
            schema.validate(groups[rid], lazy=True)
        except pa.errors.SchemaErrors:
            failing += 1
    per = (time.perf_counter() - t) / max(1, len(ids))
    n = reports or total
    return {"rows": len(ev), "frame_seconds": round(frame_s, 3), "agency_years_run": len(ids),
            "agency_years": n, "seconds_per_agency_year": round(per, 5), "failing_agency_years_in_sample": failing,
            "extrapolated": len(ids) < n, "estimated_total_seconds": round(frame_s + per * n, 1)}


def task_gx_per_agency(db: str, sample: int, reports: int) -> dict:
    from checks import templates as T
    cat = _main_catalogue()
    t = time.perf_counter()
    ev = _eval_frame(db, cat)
    frame_s = time.perf_counter() - t
    t = time.perf_counter()
    gx, ctx, defs = _gx_context(cat, list(T.TEMPLATE_IDS), {"result_format": "SUMMARY"})
    cps = {tid: ctx.checkpoints.add(gx.Checkpoint(name=f"cp-{tid}", validation_definitions=[d], actions=[],
                                                  result_format={"result_format": "SUMMARY"}))
           for tid, d in defs.items()}
    setup_s = time.perf_counter() - t
    ids, total = _sample_ids(ev, sample)
    groups = dict(tuple(ev.groupby("report_id", sort=False)))
    t = time.perf_counter()
    failing = 0
    for rid in ids:
        g = groups[rid]
        res = cps[g["template"].iloc[0]].run(batch_parameters={"dataframe": g})
        failing += not res.success
    per = (time.perf_counter() - t) / max(1, len(ids))
    n = reports or total
    return {"rows": len(ev), "frame_seconds": round(frame_s, 3), "setup_seconds": round(setup_s, 3),
            "agency_years_run": len(ids), "agency_years": n, "seconds_per_agency_year": round(per, 4),
            "failing_agency_years_in_sample": failing, "extrapolated": len(ids) < n,
            "estimated_total_seconds": round(frame_s + setup_s + per * n, 1)}


def task_duckdb_read_csv(stats: str, db: str) -> dict:
    """DuckDB reading the same extracted-statistics files into tables (cells and narrative)."""
    import duckdb
    files = sorted(str(p) for p in Path(stats).rglob("*.csv"))
    cells = [f for f in files if ".narrative." not in f and ".issues." not in f]
    narr = [f for f in files if ".narrative." in f]
    con = duckdb.connect(db)
    t = time.perf_counter()
    con.execute("CREATE TABLE cells AS SELECT * FROM read_csv(?, union_by_name = true, all_varchar = false)", [cells])
    if narr:
        con.execute("CREATE TABLE narrative AS SELECT * FROM read_csv(?, union_by_name = true)", [narr])
    n = con.execute("SELECT count(*) FROM cells").fetchone()[0]
    con.close()
    return {"seconds": round(time.perf_counter() - t, 3), "cells": int(n), "files": len(cells) + len(narr)}


def task_profile(cmd: str, out: str) -> dict:
    """cProfile of a gongkai command run in this process; the top functions by cumulative and own time."""
    import cProfile
    import io
    import pstats
    import shlex
    from checks.cli import main as cli_main
    pr = cProfile.Profile()
    argv = shlex.split(cmd)
    t = time.perf_counter()
    pr.enable()
    try:
        cli_main(argv, standalone_mode=False)
    except SystemExit:
        pass
    finally:
        pr.disable()
    wall = time.perf_counter() - t
    pr.dump_stats(out)
    s = io.StringIO()
    st = pstats.Stats(pr, stream=s)
    st.sort_stats("tottime").print_stats(25)
    st.sort_stats("cumulative").print_stats(40)
    Path(out).with_suffix(".txt").write_text(s.getvalue(), encoding="utf-8")
    return {"seconds": round(wall, 2), "profile": out}


def task_check_stage(db: str, config: str) -> dict:
    """The check stage alone, in this process: ``pipeline.check_step`` (configuration, the warehouse's
    integrity probe, every rule, the findings stored and committed) timed after the imports, as the
    baselines' own seconds are timed after theirs. It records one more run (main rules)."""
    from checks import pipeline
    from checks.rules import catalogue, findings, sql  # noqa: F401  (imports, as the baselines import theirs first)
    t = time.perf_counter()
    out = pipeline.check_step(db, config=config)
    return {"seconds": round(time.perf_counter() - t, 3), "errors": out.errors, "warnings": out.warnings}


TASKS = {"hand_sql": task_hand_sql, "check_stage": task_check_stage, "pandera_once": task_pandera_once, "pandera_long": task_pandera_long,
         "gx_once": task_gx_once, "pandera_per_group": task_pandera_per_group, "gx_per_agency": task_gx_per_agency,
         "duckdb_read_csv": task_duckdb_read_csv, "profile": task_profile}


# ------------------------------------------------------------------------------------ driver

def write_configs(work: Path) -> dict[str, Path]:
    from checks.rules import catalogue as C
    cat = C.load_catalogue()
    codes = [r.code for r in cat.rules]
    sets = {"within": [c for c in codes if c in CROSS_CODES],
            "crossyear": [c for c in codes if c not in CROSS_CODES],
            # the main comparisons as gongkai runs them: those that hold only with blanks as 0 folded into
            # one information finding per report (B-04, kind blank-sums), not one finding each
            "main": [r.code for r in cat.rules if r.kind not in MAIN_KINDS and r.kind != "blank-sums"]}
    out = {}
    for name, off in sets.items():
        p = work / f"config-{name}.yaml"
        p.write_text("disabled: [" + ", ".join(off) + "]\n", encoding="utf-8")
        out[name] = p
    return out


def findings_of_last_run(db: Path) -> dict:
    import duckdb
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute("SELECT reports, errors, warnings, infos, epoch(finished_at) - epoch(started_at) "
                          "FROM check_runs ORDER BY started_at DESC LIMIT 1").fetchone()
        return {"reports": row[0], "errors": row[1], "warnings": row[2], "infos": row[3],
                "run_check_seconds": round(row[4], 3)}
    finally:
        con.close()


def mb(path: Path) -> float:
    if path.is_file():
        return round(path.stat().st_size / 1e6, 1)
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6, 1)


def run_size(n: int, args, work: Path, configs: dict, log: Path) -> dict:
    agencies = max(1, n // N_YEARS)
    texts = n <= args.text_max
    corpus = work / f"corpus-{n}"
    res: dict = {"agency_years": agencies * N_YEARS, "agencies": agencies, "years": YEARS,
                 "report_texts": texts, "stages": {}}
    st = res["stages"]
    skip = set(args.skip)
    to = args.timeout

    def say(name: str) -> None:
        r = st[name]
        extra = f" (timed out after {r['timed_out_after_seconds']} s)" if "timed_out_after_seconds" in r else ""
        print(f"  {n:>7,} {name:<18} {r.get('wall_seconds', '-'):>8} s wall  {r.get('cpu_seconds', '-'):>8} s cpu  "
              f"{r.get('peak_mb', '-'):>7} MB  exit {r.get('exit_code', '-')}{extra}", flush=True)

    # generate (--reuse: a corpus of this size generated before in --work is used as it is, if it has the
    # report texts this size wants: a statistics-only corpus is generated anew up to --text-max)
    before = json.loads((corpus / "manifest.json").read_text(encoding="utf-8")) \
        if args.reuse and (corpus / "manifest.json").is_file() else {}
    if before.get("agencies") == agencies and (not texts or before.get("text_files")):
        st["generate"] = {"reused": str(corpus)}
    else:
        st["generate"] = measure([*gongkai(), "generate", "-n", str(agencies), "--years", YEARS, "--seed", str(args.seed),
                                  "--out", str(corpus), "--layouts", "all" if texts else "none", "--quiet"], log=log)
        say("generate")
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    res["cells"] = manifest["cells"]
    res["stats_mb"] = mb(corpus / "stats")
    if texts:
        res["texts_mb"] = mb(corpus / "texts")
        res["text_files"] = manifest["text_files"]
    env = {"GONGKAI_AGENCIES": str(corpus / "agencies.csv")}
    db = work / f"w-{n}.duckdb"

    for stage, workers in (("extract", []), ("extract_1", ["--workers", "1"])):
        if not texts or stage in skip:
            continue
        ext = work / f"extracted-{n}" / "extracted.csv"
        st[stage] = measure([*gongkai(), "extract", str(corpus / "texts"), "--out", str(ext), "--quiet", *workers],
                            env=env, timeout=to, log=log)
        r = st[stage]
        r["reports_per_second"] = round(manifest["text_files"] / r["wall_seconds"], 1)
        if workers:     # one process: its CPU seconds are all of them
            r["reports_per_cpu_second"] = round(manifest["text_files"] / max(r["cpu_seconds"], 1e-9), 1)
        r["output_mb"] = mb(ext.parent)
        say(stage)
        shutil.rmtree(ext.parent, ignore_errors=True)

    if "load" not in skip or not db.is_file():    # --skip load: the warehouse of a run before (--work, --keep)
        for old in (db, Path(f"{db}.wal")):         # a load into a warehouse kept from a run before would find
            old.unlink(missing_ok=True)             # every file already loaded
        st["load"] = measure([*gongkai(), "load", str(corpus / "stats"), "--db", str(db), "--quiet"], env=env,
                             timeout=to, log=log)
        st["load"]["cells_per_second"] = round(res["cells"] / st["load"]["wall_seconds"])
        say("load")
        res["warehouse_mb_after_load"] = mb(db)
    if "duckdb_read_csv" not in skip:
        ydb = work / f"yard-{n}.duckdb"
        st["duckdb_read_csv"] = measure(worker("duckdb_read_csv", stats=corpus / "stats", db=ydb), timeout=to, log=log)
        say("duckdb_read_csv")
        res["duckdb_read_csv_mb"] = mb(ydb)
        ydb.unlink(missing_ok=True)
        if "load" in st:
            st["load"]["vs_duckdb_read_csv"] = round(st["load"]["wall_seconds"] / st["duckdb_read_csv"]["wall_seconds"], 1)

    if not {"load_one", "duckdb_read_csv_one"} <= skip:
        one = join_one(corpus / "stats", work / f"one-{n}")
        res["one_file_mb"] = mb(one)
        if "load_one" not in skip:
            odb = work / f"w-one-{n}.duckdb"
            for old in (odb, Path(f"{odb}.wal")):
                old.unlink(missing_ok=True)
            st["load_one"] = measure([*gongkai(), "load", str(one / "all.csv"), "--db", str(odb), "--quiet"], env=env,
                                     timeout=to, log=log)
            st["load_one"]["cells_per_second"] = round(res["cells"] / st["load_one"]["wall_seconds"])
            say("load_one")
            odb.unlink(missing_ok=True)
        if "duckdb_read_csv_one" not in skip:
            ydb = work / f"yard-one-{n}.duckdb"
            st["duckdb_read_csv_one"] = measure(worker("duckdb_read_csv", stats=one, db=ydb), timeout=to, log=log)
            say("duckdb_read_csv_one")
            f = Path(f"{ydb}.duckdb_read_csv.json")
            if f.is_file():
                st["duckdb_read_csv_one"]["inner"] = json.loads(f.read_text(encoding="utf-8"))
                f.unlink()
            ydb.unlink(missing_ok=True)
        if not args.keep:
            shutil.rmtree(work / f"one-{n}", ignore_errors=True)

    def check(name: str, config: str | None) -> None:
        if name in skip:
            return
        cmd = [*gongkai(), "check", "--db", str(db), "--quiet"] + (["--config", str(configs[config])] if config else [])
        st[name] = measure(cmd, env=env, timeout=to, log=log)
        if "timed_out_after_seconds" not in st[name]:
            st[name]["findings"] = findings_of_last_run(db)
        say(name)

    check("check_within", "within")
    check("check_crossyear", "crossyear")
    check("check", None)
    if "site" not in skip:
        site = work / f"site-{n}"
        st["site"] = measure([*gongkai(), "report", "--db", str(db), "--out", str(site), "--quiet"], env=env,
                             timeout=to, log=log)
        st["site"]["site_mb"] = mb(site) if site.exists() else None
        say("site")
        shutil.rmtree(site, ignore_errors=True)
    check("check_main", "main")
    if "check_main" not in skip:    # the same check timed in its process, without Python's start-up
        m = measure(worker("check_stage", db=db, config=configs["main"]), env=env, timeout=to, log=log)
        f = Path(f"{db}.check_stage.json")
        if f.is_file():
            st["check_main"]["stage"] = json.loads(f.read_text(encoding="utf-8"))
            st["check_main"]["stage"]["process_wall_seconds"] = m.get("wall_seconds")
            f.unlink()
    res["warehouse_mb_after_checks"] = mb(db)

    if "hand_sql" not in skip:
        st["hand_sql"] = measure(worker("hand_sql", db=db), timeout=to, log=log)
        say("hand_sql")
    for name, kw in (("pandera_once", {}), ("pandera_long", {}), ("gx_once", {}),
                     ("pandera_per_group", {"sample": args.pandera_sample, "reports": res["agency_years"]}),
                     ("gx_per_agency", {"sample": args.gx_sample, "reports": res["agency_years"]})):
        if name in skip:
            continue
        if name == "gx_once" and res["agency_years"] > args.gx_once_max:
            st[name] = {"not_run": f"above --gx-once-max {args.gx_once_max} agency-years"}
            continue
        st[name] = measure(worker(name, db=db, **kw), timeout=to, log=log)
        say(name)
    # the in-child figures: each worker prints nothing; it writes its JSON next to the db
    for name in ("hand_sql", "pandera_once", "pandera_long", "gx_once", "pandera_per_group", "gx_per_agency",
                 "duckdb_read_csv"):
        f = Path(str(db if name != "duckdb_read_csv" else work / f"yard-{n}.duckdb") + f".{name}.json")
        if f.is_file() and name in st:
            st[name]["inner"] = json.loads(f.read_text(encoding="utf-8"))
            f.unlink()
    # pandera_long computes the sides itself: it must find the failures the hand SQL finds
    long_n, hand_n = ((st.get(k) or {}).get("inner", {}).get("failures") for k in ("pandera_long", "hand_sql"))
    if long_n is not None and hand_n is not None:
        st["pandera_long"]["same_failures_as_hand_sql"] = long_n == hand_n
        if long_n != hand_n:
            print(f"  {n:>7,} !!! MISMATCH: pandera_long found {long_n} failures, hand_sql {hand_n} !!!", flush=True)

    if texts and "run" not in skip:
        rdb, rout = work / f"run-{n}.duckdb", work / f"run-{n}"
        st["run"] = measure([*gongkai(), "run", str(corpus / "texts"), "--db", str(rdb), "--out", str(rout),
                             "--no-gx", "--quiet"], env=env, timeout=to, log=log)
        st["run"]["files"] = manifest["text_files"]
        say("run")
        shutil.rmtree(rout, ignore_errors=True)
        rdb.unlink(missing_ok=True)
    if "run_stats" not in skip:
        rdb, rout = work / f"runs-{n}.duckdb", work / f"runs-{n}"
        st["run_stats"] = measure([*gongkai(), "run", str(corpus / "stats"), "--db", str(rdb), "--out", str(rout),
                                   "--no-gx", "--quiet"], env=env, timeout=to, log=log)
        say("run_stats")
        shutil.rmtree(rout, ignore_errors=True)
        rdb.unlink(missing_ok=True)
    if "warehouse_mb_after_load" in res:
        res["warehouse_mb_per_100k"] = round(res["warehouse_mb_after_load"] * 100_000 / res["agency_years"], 1)
    if not args.keep:
        shutil.rmtree(corpus, ignore_errors=True)
        db.unlink(missing_ok=True)
    return res


def join_one(stats: Path, out: Path) -> Path:
    """The statistics files of ``stats`` joined into ``out``/all.csv (header once, files in name order)
    and ``out``/all.narrative.csv; made once (kept while ``out`` holds both)."""
    cells, narrative = out / "all.csv", out / "all.narrative.csv"
    if cells.is_file() and narrative.is_file():
        return out
    out.mkdir(parents=True, exist_ok=True)
    files = sorted(stats.rglob("*.csv"))
    for target, part in ((cells, [f for f in files if ".narrative." not in f.name and ".issues." not in f.name]),
                         (narrative, [f for f in files if ".narrative." in f.name])):
        tmp = target.with_suffix(".part")
        with open(tmp, "wb") as w:
            for k, f in enumerate(part):
                with open(f, "rb") as r:
                    head = r.readline()
                    if k == 0:
                        w.write(head)
                    body = r.read()
                    w.write(body if not body or body.endswith(b"\n") else body + b"\n")
        tmp.replace(target)
    return out


def ratios(res: dict) -> dict:
    """Speed-ups and ratios the targets name, per size."""
    out = {}
    st = res["stages"]

    def w(name):
        r = st.get(name) or {}
        return None if "timed_out_after_seconds" in r or "wall_seconds" not in r else r["wall_seconds"]

    def inner(name, key):
        return ((st.get(name) or {}).get("inner") or {}).get(key)
    if w("load") and w("duckdb_read_csv"):
        inner_read = inner("duckdb_read_csv", "seconds")
        out["load_vs_duckdb_read_csv_process"] = round(w("load") / w("duckdb_read_csv"), 1)
        if inner_read:
            out["load_vs_duckdb_read_csv_query"] = round(w("load") / inner_read, 1)
    if w("load_one") and w("duckdb_read_csv_one"):
        out["load_one_vs_duckdb_read_csv_process"] = round(w("load_one") / w("duckdb_read_csv_one"), 1)
        if inner("duckdb_read_csv_one", "seconds"):
            out["load_one_vs_duckdb_read_csv_query"] = round(w("load_one") / inner("duckdb_read_csv_one", "seconds"), 1)
    hs = inner("hand_sql", "evaluate_and_store_seconds")
    he = inner("hand_sql", "evaluate_seconds")
    inproc = ((st.get("check_main") or {}).get("findings") or {}).get("run_check_seconds")
    if w("check_main") and hs:
        out["check_main_process_vs_hand_sql_store"] = round(w("check_main") / hs, 1)
        if inproc:   # the check itself (run_check, in the process) against the hand SQL's queries
            out["check_main_vs_hand_sql_store"] = round(inproc / hs, 1)
            out["check_main_vs_hand_sql_evaluate"] = round(inproc / he, 1)
    stage = ((st.get("check_main") or {}).get("stage") or {}).get("seconds")
    for base in ("pandera_once", "pandera_long", "gx_once"):
        if w("check_main") and w(base):
            out[f"speedup_vs_{base}"] = round(w(base) / w("check_main"), 1)
        # the stages alone: each side's own seconds in its process, after its imports (ours: configure,
        # probe, rules, store and commit; theirs: read and build the frame, set up, validate; storing nothing)
        theirs = [inner(base, k) for k in ("frame_seconds", "setup_seconds", "validate_seconds")]
        if stage and theirs[0] is not None and theirs[2] is not None:
            out[f"stage_speedup_vs_{base}"] = round(sum(x or 0 for x in theirs) / stage, 1)
    for base in ("pandera_per_group", "gx_per_agency"):
        est = inner(base, "estimated_total_seconds")
        if w("check_main") and est:
            out[f"speedup_vs_{base}"] = round(est / w("check_main"), 1)
            if w("check"):
                out[f"speedup_full_check_vs_{base}"] = round(est / w("check"), 1)
    if st.get("extract_1"):
        out["extract_reports_per_cpu_second"] = st["extract_1"].get("reports_per_cpu_second")
    return out


def growth(sizes: dict) -> dict:
    """Per stage: wall seconds at each size and the ratio per 10× more agency-years."""
    keys = sorted(sizes, key=int)
    out = {}
    for stage in STAGES:
        entry = {}
        for what in ("wall_seconds", "cpu_seconds", "peak_mb"):
            pts = [(int(k), sizes[k]["stages"].get(stage, {}).get(what)) for k in keys]
            pts = [(n, s) for n, s in pts if s]
            if len(pts) < 2:
                continue
            entry[what] = {str(n): s for n, s in pts}
            entry[what.replace("seconds", "ratio").replace("peak_mb", "peak_ratio")] = {
                f"{a[0]}→{b[0]}": round(b[1] / a[1], 1) for a, b in zip(pts, pts[1:])}
        if entry:
            out[stage] = entry
    return out


def table(result: dict) -> str:
    """A Markdown table of the figures (wall s / CPU s / peak MB per stage and size), for the README."""
    keys = sorted(result["sizes"], key=int)
    head = "| stage | " + " | ".join(f"{int(k):,} agency-years" for k in keys) + " |"
    lines = [head, "|---" * (len(keys) + 1) + "|"]
    for stage in STAGES:
        cells = []
        for k in keys:
            r = result["sizes"][k]["stages"].get(stage)
            if not r or "wall_seconds" not in r:
                cells.append("not run" if not r else r.get("not_run", "reused") if "reused" not in r else "—")
                continue
            inner = r.get("inner") or {}
            txt = f"{r['wall_seconds']:.1f} s / {r['cpu_seconds']:.1f} s / {r['peak_mb']:,.0f} MB"
            if "estimated_total_seconds" in inner:
                txt += (f" (est. {inner['estimated_total_seconds']:,.0f} s from {inner['agency_years_run']} "
                        f"agency-years)" if inner.get("extrapolated") else f" (all: {inner['estimated_total_seconds']:,.0f} s)")
            if stage == "check_main" and (r.get("stage") or {}).get("seconds"):
                txt += f" (stage {r['stage']['seconds']:.2f} s)"
            if stage == "pandera_long" and "frame_seconds" in inner:
                txt += f" (frame {inner['frame_seconds']:.1f} s + validate {inner['validate_seconds']:.1f} s)"
                if r.get("same_failures_as_hand_sql") is False:
                    txt += " **failures differ from hand_sql**"
            if "timed_out_after_seconds" in r:
                txt = f"timed out after {r['timed_out_after_seconds']:.0f} s"
            cells.append(txt)
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="agency-years, comma-separated")
    ap.add_argument("--quick", action="store_true", help="1k only, small samples (a smoke run)")
    ap.add_argument("--text-max", type=int, default=10_000,
                    help="report texts (extract, run over files) only up to this many agency-years")
    ap.add_argument("--gx-sample", type=int, default=200, help="agency-years GX validates one by one")
    ap.add_argument("--pandera-sample", type=int, default=2000, help="agency-years pandera validates one by one")
    ap.add_argument("--gx-once-max", type=int, default=100_000, help="GX once over the table up to this size")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds any one stage may take")
    ap.add_argument("--skip", default="", help="stages to leave out, comma-separated")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (default: a new one under /tmp)")
    ap.add_argument("--keep", action="store_true", help="keep the corpora and warehouses")
    ap.add_argument("--reuse", action="store_true",
                    help="use a corpus already generated in --work (with report texts if --text-max wants them)")
    ap.add_argument("--update", action="store_true",
                    help="merge into --out: the stages measured now replace those of the same size, others stay")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scale.json")
    ap.add_argument("--table", action="store_true", help="print the Markdown table of --out and stop")
    # a child task (internal)
    ap.add_argument("--worker", choices=sorted(TASKS), help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--stats", help=argparse.SUPPRESS)
    ap.add_argument("--config", help=argparse.SUPPRESS)
    ap.add_argument("--sample", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--reports", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--cmd", help=argparse.SUPPRESS)
    ap.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        fn = TASKS[args.worker]
        kw = {k: getattr(args, k) for k in ("db", "stats", "config", "sample", "reports") if k in fn.__code__.co_varnames[:fn.__code__.co_argcount]}
        if args.worker == "profile":
            kw = {"cmd": args.cmd, "out": args.profile_out}
        result = fn(**kw)
        if args.db:
            Path(args.db + f".{args.worker}.json").write_text(json.dumps(result), encoding="utf-8")
        print(json.dumps(result))
        return 0

    if args.table:
        print(table(json.loads(args.out.read_text(encoding="utf-8"))))
        return 0
    sizes = [1000] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.quick:
        args.gx_sample, args.pandera_sample = min(args.gx_sample, 50), min(args.pandera_sample, 200)
    args.skip = [s for s in args.skip.split(",") if s]
    bad = set(args.skip) - set(STAGES)
    if bad:
        ap.error(f"--skip: unknown stage(s) {', '.join(sorted(bad))} (known: {', '.join(STAGES)})")
    work = args.work or Path(tempfile.mkdtemp(prefix="gk-scale-", dir="/tmp"))
    work.mkdir(parents=True, exist_ok=True)
    log = work / "children.log"
    configs = write_configs(work)
    result = {"benchmark": "scale", "when": dt.datetime.now().isoformat(timespec="seconds"),
              "machine": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
              "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
              "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
              "seed": args.seed, "years": YEARS, "gx_sample": args.gx_sample, "pandera_sample": args.pandera_sample,
              "text_max": args.text_max, "targets": TARGETS, "sizes": {}}
    try:
        import duckdb
        import great_expectations
        import pandera
        result["versions"] = {"duckdb": duckdb.__version__, "great_expectations": great_expectations.__version__,
                              "pandera": pandera.__version__}
    except ImportError:
        pass
    previous: dict = {}
    if args.update and args.out.is_file():
        old_result = json.loads(args.out.read_text(encoding="utf-8"))
        previous = old_result.get("sizes", {})
        result["sizes"] = dict(previous)
        result["load_average_at_start"] = old_result.get("load_average_at_start", result["load_average_at_start"])
        result["when"] = old_result.get("when", result["when"])
    print(f"scale benchmark in {work} (load average {result['load_average_at_start']})", flush=True)
    for n in sizes:
        t = time.perf_counter()
        load_now = [round(x, 2) for x in os.getloadavg()]
        r = run_size(n, args, work, configs, log)
        st_now = dict(r["stages"])
        r["ratios"] = ratios(r)
        r["seconds_total"] = round(time.perf_counter() - t, 1)
        key = str(r["agency_years"])
        if args.update and key in previous:
            merged = previous[key]
            stages = {**merged.get("stages", {}), **{k: v for k, v in r["stages"].items() if "reused" not in v}}
            merged.update({k: v for k, v in r.items() if k != "stages"})
            merged["stages"] = stages
            r = merged
            r["ratios"] = ratios(r)
        r.setdefault("measured", []).append({"when": dt.datetime.now().isoformat(timespec="seconds"),
                                            "stages": [k for k, v in st_now.items() if "reused" not in v],
                                            "load_average_at_start": load_now})
        result["sizes"][key] = r
        result["growth"] = growth(result["sizes"])
        result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.out.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        tmp.replace(args.out)
        print(f"  {n:,}: ratios {r['ratios']}", flush=True)
    if not args.keep and args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    print(f"→ {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
