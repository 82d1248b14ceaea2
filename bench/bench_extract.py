"""Benchmark: how many report files per second `checks.extract.extract_paths` reads on one core.

Generates N reports (default 3000) with :func:`checks.extract.render.render`: the three templates
(and the 宁波 variant), every layout, random values, about a fifth of them saved as GB18030, UTF-16
or UTF-8 with BOM; writes them to a temporary folder; then times one ``extract_paths`` call over the
folder, end to end (reading, decoding, extraction, narrative, metadata, the DataFrames). Prints the
figure and writes it to ``bench/results/extract.json``.

    .venv/bin/python bench/bench_extract.py            # 3000 reports
    .venv/bin/python bench/bench_extract.py -n 500 --seed 7
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checks.extract import extract_paths  # noqa: E402
from checks.extract.render import LAYOUTS, render  # noqa: E402
from checks.templates import load  # noqa: E402

TARGET = 300.0
ENCODINGS = ["utf-8"] * 8 + ["gb18030", "utf-16", "utf-8-sig"]
PLACES = ["嘉兴市", "台州市", "安康市", "镇海区", "嘉善县", "杭州市", "宁波市", "温州市", "湖州市", "绍兴市",
          "金华市", "衢州市", "舟山市", "丽水市", "西安市", "宝鸡市", "汉中市", "余姚市", "慈溪市", "海宁市"]
DEPTS = ["经济和信息化局", "经信局", "财政局", "教育局", "民政局", "司法局", "商务局", "交通运输局", "水利局",
         "卫生健康委员会", "人民政府办公室", "统计局", "审计局", "林业局", "文化和旅游局"]
RAWS = ["", "", "0", "0", "1", "2", "3", "12", "57", "340", "1,234", "—", "/", "无"]


def generate(folder: Path, n: int, seed: int) -> dict[str, int]:
    rnd = random.Random(seed)
    counts: dict[str, int] = {}
    for i in range(n):
        tid = rnd.choice(["old", "old", "v2019", "v2021"])
        variant = "ningbo" if tid == "old" and rnd.random() < 0.2 else None
        layouts = [l for l in LAYOUTS if not (l == "glued" and tid != "old") and l != "line-blocks"]
        layout = rnd.choice(layouts)
        t = load(tid)
        pool = ["", "0", "1", "2", "3", "12", "57", "340"] if layout == "glued" else RAWS
        values = {(c.item, c.column): rnd.choice(pool) for c in t.cells_for(variant)}
        text = render(tid, values, layout, variant=variant, agency=rnd.choice(PLACES) + rnd.choice(DEPTS), year=2014 + i % 9)
        enc = rnd.choice(ENCODINGS)
        suffix = ".html" if layout == "html" else ".txt"
        (folder / f"r{i:05d}{suffix}").write_bytes(text.encode(enc))
        counts[layout] = counts.get(layout, 0) + 1
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=3000, help="number of generated reports (default 3000)")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "extract.json")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gongkai-bench-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        layouts = generate(folder, args.n, args.seed)
        gen_s = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in folder.iterdir())
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        ext = extract_paths([folder])
        cpu = time.process_time() - cpu0
        wall = time.perf_counter() - t0
    problems = int((ext.issues["severity"] == "error").sum()) if len(ext.issues) else 0
    result = {
        "benchmark": "extract",
        "reports": args.n,
        "reports_per_second": round(args.n / wall, 1),
        "seconds": round(wall, 3),
        "cpu_seconds": round(cpu, 3),
        "target_reports_per_second": TARGET,
        "meets_target": args.n / wall >= TARGET,
        "cells": len(ext.cells),
        "narrative_counts": len(ext.narrative),
        "error_issues": problems,
        "unreadable_files": len(ext.errors),
        "megabytes": round(size / 1e6, 2),
        "layouts": layouts,
        "generation_seconds": round(gen_s, 2),
        "seed": args.seed,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "single_process": True,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = args.out.with_suffix(".json.tmp")
    tmp_out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp_out.replace(args.out)
    print(f"extract: {args.n} reports in {wall:.2f} s = {args.n / wall:.0f} reports/s on one core "
          f"(target {TARGET:.0f}); {len(ext.cells)} cells, {problems} error issue(s), "
          f"{len(ext.errors)} unreadable → {args.out}")
    return 0 if not ext.errors and problems == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
