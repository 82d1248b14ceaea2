"""Benchmark: every cross-year rule (Y-01…Y-04, C-01, N-11, N-12, L-05) and the narrative rules
(T-01, T-03, T-04) over about 100,000 agency-years.

Builds the multi-year corpus (checks.synth_years: 500 agencies × 2016–2022, both template changes,
renamed agencies, short-form names), loads it directly, then replicates it in DuckDB as further
agencies (replica k: every number × (k + 1), which keeps every identity and every ratio, so the
replicas are neither copies nor jumps; their own region, so peers stay among equals) up to
``--agency-years``, with a registry listing every agency. Times the shared preparation
(current reports and their cells, as ``gongkai check`` makes them once per run) and each rule's
query inserting its findings, the way :func:`checks.rules.sql.run_check` runs them. Prints the
figures and writes ``bench/results/crossyear.json``.

    .venv/bin/python bench/bench_crossyear.py                  # about 100,000 agency-years
    .venv/bin/python bench/bench_crossyear.py --agency-years 20000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 30.0
CODES = ("Y-01", "Y-02", "Y-03", "Y-04", "C-01", "N-11", "N-12", "L-05")
TEXT_CODES = ("T-01", "T-03", "T-04")


def build(db: Path, agency_years: int, seed: int) -> tuple[int, int, Path]:
    """The warehouse and registry; returns (reports, cells, registry path)."""
    import csv

    from checks import synth, synth_years

    corpus = synth_years.generate(500, seed=seed, faults=True)
    con = synth.connect_fresh(db)
    synth_years.load(con, corpus)
    base = corpus.agency_years
    reps = max(1, -(-agency_years // base))
    reg = db.with_name("agencies.csv")
    with open(reg, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["agency_id", "name", "aliases", "region", "level", "note"])
        for k in range(reps):
            for a in corpus.agencies:
                suffix = f"第{k}分局" if k else ""
                w.writerow([f"{a.agency_id}-{k}", a.name(2022) + suffix,
                            "|".join(x + suffix for x in a.aliases), a.region + (f"#{k}" if k else ""), a.level, ""])
    if reps > 1:
        con.execute("CREATE TEMP TABLE k AS SELECT range AS k FROM range(1, ?)", [reps])
        n = con.execute("SELECT max(report_id) FROM reports").fetchone()[0]
        con.execute(f"""INSERT INTO reports SELECT r.report_id + k.k * {n}, r.submission_id, r.agency || '第' || k.k || '分局',
                        NULL, r.agency_key || '第' || k.k || '分局', r.region, r.year, r.template, r.variant,
                        r.source_file, r.content_sha, r.cells, r.loaded_at, NULL FROM reports r, k""")
        con.execute(f"""INSERT INTO cells SELECT c.report_id + k.k * {n}, c.item, c."column", c.state,
                        c.value * (k.k + 1), c.unit,
                        c.raw, c.raw_unit, c.printed_unit, c.label, c.note, c.source_file, c.source_line, c.source_col
                        FROM cells c, k""")
        con.execute(f"""INSERT INTO narrative SELECT n.report_id + k.k * {n}, n.key, n.value, n.raw, n.sentence,
                        n.source_file, n.source_line, n.char_start, n.char_end FROM narrative n, k""")
    counts = con.execute("SELECT (SELECT count(*) FROM reports), (SELECT count(*) FROM cells)").fetchone()
    con.close()
    return counts[0], counts[1], reg


def run(db: Path, codes: tuple[str, ...]) -> dict:
    """Time each rule's query inserting its findings, as run_check does. The cross-year and narrative
    rules read ``cells`` themselves, so they need none of the per-run shared tables of the other rules:
    the time is theirs alone, from a cold start on the warehouse file."""
    from checks import warehouse
    from checks.rules import catalogue as C
    from checks.rules import sql as S
    from checks.rules.findings import ensure_tables
    from checks.tables import FINDINGS

    con = warehouse.connect(db)
    ensure_tables(con)
    cat = C.load_catalogue()
    t0 = time.perf_counter()
    b = S.Builder(cat, run_id="bench", con=con)
    queries = b.queries([cat.rule(c) for c in codes])     # makes the shared cross-year tables
    prep = time.perf_counter() - t0
    per = {}
    try:
        for label, q in queries:
            t = time.perf_counter()
            con.execute(f"INSERT INTO {FINDINGS.name} BY NAME\n{q}")
            per[label] = round(time.perf_counter() - t, 3)
    finally:
        b.drop_temp()
    total = time.perf_counter() - t0
    found = dict(con.execute("SELECT code, count(*) FROM findings WHERE run_id = 'bench' GROUP BY ALL").fetchall())
    con.execute("DELETE FROM findings WHERE run_id = 'bench'")
    con.close()
    return {"seconds": round(total, 2), "prepare_seconds": round(prep, 2), "per_rule_seconds": per,
            "findings": found}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agency-years", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "crossyear.json")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gk-bench-xy-") as tmp:
        db = Path(tmp) / "warehouse.duckdb"
        t = time.perf_counter()
        reports, cells, reg = build(db, args.agency_years, args.seed)
        build_s = time.perf_counter() - t
        os.environ["GONGKAI_AGENCIES"] = str(reg)
        cross = run(db, CODES)
        text = run(db, TEXT_CODES)
    result = {"benchmark": "crossyear", "agency_years": reports, "cells": cells,
              "cross_year_rules": list(CODES), "cross_year": cross, "narrative_rules": list(TEXT_CODES),
              "narrative": text, "build_seconds": round(build_s, 1), "target_seconds": TARGET_SECONDS,
              "ok": cross["seconds"] < TARGET_SECONDS, "machine": platform.platform(),
              "cpus": os.cpu_count(), "when": dt.datetime.now().isoformat(timespec="seconds")}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"{reports:,} agency-years, {cells:,} cells: cross-year rules {cross['seconds']} s "
          f"(target {TARGET_SECONDS:.0f} s; preparation {cross['prepare_seconds']} s), "
          f"narrative rules {text['seconds']} s")
    print("  per rule:", ", ".join(f"{k} {v}s" for k, v in cross["per_rule_seconds"].items()))
    print("  findings:", cross["findings"])
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
