"""Benchmark: the audit site and the findings written per run at N generated reports (default 10,000).

Generates the synthetic corpus (checks.synth, half the reports with an injected fault), loads it,
runs one check, then measures

* the site (``checks.site.build_site``): wall time of a full build, of a rebuild with nothing
  changed, and the size of ``index.html`` (targets: < 60 s, < 2 MB);
* the findings written per run: rows the check adds to the findings table and rows and bytes of the
  exported findings (``checks.exports``), against what the same run wrote before (one B-01 row per
  blank cell, every info finding exported) — target: at least tenfold smaller, with every error
  and warning still there.

Prints the figures and writes ``bench/results/site.json``.

    .venv/bin/python bench/bench_site.py               # 10,000 reports
    .venv/bin/python bench/bench_site.py -n 1000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checks import exports, pipeline, synth  # noqa: E402
from checks.site import build_site  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--reports", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "site.json")
    args = ap.parse_args(argv)
    corpus = synth.generate(args.reports, seed=args.seed, fault_rate=0.5)
    with tempfile.TemporaryDirectory(prefix="gk-bench-site-") as tmp:
        db, out = Path(tmp) / "w.duckdb", Path(tmp) / "out"
        con = synth.connect_fresh(db)
        synth.load_direct(con, corpus.frame)
        con.close()
        del corpus
        t = time.perf_counter()
        run = pipeline.check_step(db)
        check_s = time.perf_counter() - t
        import duckdb
        con = duckdb.connect(str(db), read_only=True)
        table_rows, b01_rows, b01_cells = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE code = 'B-01'), coalesce(sum(actual) FILTER (WHERE code = 'B-01'), 0) "
            "FROM findings WHERE run_id = ?", [run.run_id]).fetchall()[0]
        con.close()
        before_rows = int(table_rows - b01_rows + b01_cells)      # one B-01 per blank cell, all exported
        t = time.perf_counter()
        fs = exports.collect(db, run.run_id)
        files = exports.write_all(fs, out)
        export_s = time.perf_counter() - t
        csv_bytes = (out / "findings.csv").stat().st_size
        per_row = csv_bytes / max(len(fs.findings), 1)
        fs_all = exports.collect(db, run.run_id, show_info=True)
        exports.write_csv(fs_all, Path(tmp) / "all.csv")
        all_bytes = (Path(tmp) / "all.csv").stat().st_size
        per_row_all = all_bytes / max(len(fs_all.findings), 1)
        before_bytes = int(before_rows * per_row_all)
        kept = sum(f["severity"] in ("error", "warning") and not f["waived"] for f in fs.findings)
        t = time.perf_counter()
        site = build_site(db, out / "site", run_id=run.run_id)
        site_s = time.perf_counter() - t
        t = time.perf_counter()
        again = build_site(db, out / "site", run_id=run.run_id)
        rebuild_s = time.perf_counter() - t
        index_bytes = (out / "site" / "index.html").stat().st_size
        result = {
            "when": dt.datetime.now().isoformat(timespec="seconds"), "machine": platform.platform(),
            "reports": args.reports, "check_seconds": round(check_s, 1),
            "site": {"seconds": round(site_s, 1), "rebuild_unchanged_seconds": round(rebuild_s, 1),
                     "pages": site.pages, "written": site.written, "rewritten_on_rebuild": again.written,
                     "index_bytes": index_bytes, "target_seconds": 60, "target_index_bytes": 2_000_000},
            "findings_per_run": {
                "table_rows_before": before_rows, "table_rows_now": int(table_rows),
                "exported_rows_before": before_rows, "exported_rows_now": len(fs.findings),
                "exported_csv_bytes_before_estimated": before_bytes, "exported_csv_bytes_now": csv_bytes,
                "shrink_exported_rows": round(before_rows / max(len(fs.findings), 1), 1),
                "shrink_table_rows": round(before_rows / max(int(table_rows), 1), 1),
                "errors_and_warnings_in_run": run.errors + run.warnings, "errors_and_warnings_exported": kept,
                "export_seconds": round(export_s, 1), "files": [p.name for p in files]},
        }
    print(json.dumps(result, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    ok = (result["site"]["seconds"] < 60 and index_bytes < 2_000_000 and kept == run.errors + run.warnings
          and result["findings_per_run"]["shrink_exported_rows"] >= 10)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
