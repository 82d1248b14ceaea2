"""Benchmark: wall time of `gongkai check` over N generated reports (default 10,000).

Generates the synthetic corpus (checks.synth: old incl. the 宁波 variant, v2019, v2021, zeros written
as 0, blank or /, half of the reports with an injected fault), loads it into a fresh warehouse with
a direct INSERT (checks.synth.load_direct), then runs the real command ``gongkai check --db W --quiet``
in a subprocess ``--runs`` times (findings of earlier runs stay, as in real use) and records each
wall time: process start, imports, all rules over all reports, writing the findings, closing the
file. Prints the figures and writes ``bench/results/check.json``.

    .venv/bin/python bench/bench_check.py              # 10,000 reports, 3 runs
    .venv/bin/python bench/bench_check.py -n 2000 --runs 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checks import synth  # noqa: E402

TARGET_SECONDS = 10.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--reports", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "check.json")
    args = ap.parse_args(argv)

    t = time.perf_counter()
    corpus = synth.generate(args.reports, seed=args.seed, fault_rate=0.5)
    gen_s = time.perf_counter() - t
    gongkai = Path(sys.executable).with_name("gongkai")
    cmd_base = [str(gongkai)] if gongkai.exists() else [sys.executable, "-m", "checks.cli"]
    with tempfile.TemporaryDirectory(prefix="gk-bench-") as tmp:
        db = Path(tmp) / "warehouse.duckdb"
        t = time.perf_counter()
        con = synth.connect_fresh(db)
        synth.load_direct(con, corpus.frame)
        con.close()
        load_s = time.perf_counter() - t
        del corpus  # the measured process should not compete with this one for memory
        gc.collect()
        walls, codes = [], []
        for _ in range(args.runs):
            t = time.perf_counter()
            proc = subprocess.run([*cmd_base, "check", "--db", str(db), "--quiet"], cwd=ROOT,
                                  capture_output=True, text=True)
            walls.append(round(time.perf_counter() - t, 3))
            codes.append(proc.returncode)
            if proc.returncode not in (0, 1, 2):
                print(proc.stderr, file=sys.stderr)
                return 3
        import duckdb
        con = duckdb.connect(str(db), read_only=True)
        last = con.execute("SELECT run_id, reports, errors, warnings, infos FROM check_runs "
                           "ORDER BY started_at DESC LIMIT 1").fetchall()[0]
        cells = con.execute("SELECT count(*) FROM cells").fetchall()[0][0]
        con.close()
        size_mb = round(db.stat().st_size / 1e6, 1)
    result = {
        "benchmark": "check",
        "command": "gongkai check --db W --quiet",
        "reports": last[1],
        "cells": cells,
        "wall_seconds": walls,
        "median_seconds": statistics.median(walls),
        "target_seconds": TARGET_SECONDS,
        "meets_target": max(walls) < TARGET_SECONDS,
        "exit_codes": codes,
        "findings_per_run": {"error": last[2], "warning": last[3], "info": last[4]},
        "warehouse_mb_after": size_mb,
        "generation_seconds": round(gen_s, 2),
        "load_seconds": round(load_s, 2),
        "seed": args.seed,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "measured_at": dt.datetime.now().isoformat(timespec="seconds"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"gongkai check over {result['reports']:,} reports ({cells:,} cells): "
          f"{', '.join(f'{w:.2f}' for w in walls)} s wall (median {result['median_seconds']:.2f} s; "
          f"target < {TARGET_SECONDS:.0f} s); {last[2]:,} errors, {last[3]:,} warnings, {last[4]:,} info per run "
          f"→ {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0 if result["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
