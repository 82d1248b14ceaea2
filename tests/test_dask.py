"""The Dask path (issue 13, part 5): report files extracted in partitions on a real Dask cluster
(Prefect's DaskTaskRunner, a local cluster of 2 worker processes, dashboard off) and loaded by one
writer give exactly the cells, narrative counts, issues and rejected files of the serial load; and
the plain command line never starts Prefect."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from checks import partitions, warehouse
from checks.generate import generate_corpus
from tests.conftest import ROOT

CELLS = """SELECT r.agency, r.year, r.template, coalesce(r.variant, '') AS variant, c.item, c."column", c.state,
                  c.value, c.raw, c.source_file, c.source_line, c.label
           FROM current_cells c JOIN current_reports r USING (report_id) ORDER BY ALL"""
SIDE = {"narrative": "SELECT r.agency, r.year, n.key, n.value, n.raw, n.sentence, n.source_line FROM narrative n "
                     "JOIN reports r USING (report_id) ORDER BY ALL",
        "issues": "SELECT i.code, i.severity, i.message, i.source_file, i.source_line FROM extraction_issues i "
                  "ORDER BY ALL"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dask") / "corpus"
    generate_corpus(out, 6, (2018, 2020, 2022), seed=5, faults=0.2)
    folder = sorted((out / "texts").glob("*/2018"))[0]
    (folder / "notes.txt").write_text("本页为新闻稿，没有统计表。\n", encoding="utf-8")
    return out / "texts"


def _rows(db: Path) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {"cells": con.execute(CELLS).fetchall(), **{k: con.execute(q).fetchall() for k, q in SIDE.items()}}
    finally:
        con.close()


def test_plan_groups_by_folder_and_chunks(corpus):
    plan = partitions.plan([corpus], chunk=3)
    assert plan.report_files == 19 and not plan.tables
    names = [p.name for p in plan.partitions]
    assert names == sorted(names) and all(len(p.files) <= 3 for p in plan.partitions)
    region = sorted((corpus).glob("*/2018"))[0].parent.name
    assert f"texts_{region}_2018" in {n.split("-")[0] for n in names}          # a partition is a region × year


def test_dask_cluster_gives_exactly_the_cells_of_the_serial_load(corpus, tmp_path, prefect_harness):  # noqa: F811
    from flows import distributed

    files = sorted(str(f) for f in corpus.rglob("*") if f.is_file())     # named one by one: chunks of 7 files
    serial = warehouse.load_paths(files, tmp_path / "serial.duckdb")
    # extract on a cluster of 2 workers (threads of this process: it starts in a second; the default
    # is processes), load with one writer — the flow `gongkai run --workers` runs before its check
    loaded = distributed.load_on_dask(files, str(tmp_path / "dask.duckdb"), workers=2, chunk=7, processes=False)
    a, b = _rows(tmp_path / "serial.duckdb"), _rows(tmp_path / "dask.duckdb")
    assert len(a["cells"]) > 2000 and len(a["narrative"]) > 30
    for k in a:
        assert b[k] == a[k], k
    rejected = sorted(f.message for f in serial.rejected)
    assert rejected == sorted(f.message for f in loaded.rejected) and len(rejected) == 1
    assert "notes.txt" in rejected[0] and "no statistics table" in rejected[0]
    assert loaded.exit_code == serial.exit_code == 1
    assert sorted(f.file for f in loaded.files) == files          # per report file, as the serial load
    assert not list((tmp_path).glob("dask.partitions/*/*.parquet"))      # the staging folder is cleaned up


def test_plain_run_does_not_start_prefect(tmp_path):
    """Without --workers or --scheduler `gongkai run` calls the library directly (pipeline.run, stubbed
    here): neither Prefect nor Dask is imported; with --workers it goes to flows.distributed."""
    code = ("import sys, checks.pipeline as p, typer\n"
            "def stub(*a, **k):\n    print('pipeline.run'); raise typer.Exit(0)\n"
            "p.run = stub\n"
            "from checks.cli import app\n"
            "try:\n    app(['run', sys.argv[1], '--db', sys.argv[2], '--no-gx', '--quiet'])\n"
            "except SystemExit:\n    pass\n"
            "print('prefect' in sys.modules, 'distributed' in sys.modules, 'flows.distributed' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code, str(ROOT / "data" / "samples"), str(tmp_path / "w.duckdb")],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert res.stdout.strip().splitlines()[-2:] == ["pipeline.run", "False False False"], res.stdout + res.stderr
