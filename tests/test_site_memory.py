"""The site reads the cells of its pages chunk by chunk (never every cell at once) and looks up the
registry histories of its charts in one batch: the pages are the same whatever the chunk size, and
the batch gives what the one-by-one lookup gives."""

from __future__ import annotations

import pytest

from checks import pipeline, warehouse
import checks.site as S
from tests.conftest import SAMPLES


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    db = tmp_path_factory.mktemp("site-memory") / "w.duckdb"
    warehouse.load_paths([SAMPLES], db)
    return db, pipeline.check_step(db).run_id


def _files(root):
    return {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_pages_same_whatever_the_chunk_size(checked, tmp_path, monkeypatch):
    db, run = checked
    whole = S.build_site(db, tmp_path / "whole", run_id=run, workers=1)
    monkeypatch.setattr(S, "CHUNK", 1)
    one = S.build_site(db, tmp_path / "one", run_id=run, workers=1)
    assert whole.pages == one.pages and _files(tmp_path / "whole") == _files(tmp_path / "one")
    assert S._CON is None                      # the build's connection is closed at its end


def test_cells_of_a_chunk_are_the_warehouse_cells(checked):
    db, _ = checked
    con = warehouse.connect(db, read_only=True)
    try:
        ids = [r[0] for r in con.execute("SELECT report_id FROM current_reports ORDER BY 1").fetchall()]
        got = S._cells(con, ids[:2])
        rows = con.execute("""SELECT report_id, item, "column", raw, state, source_line FROM cells
                              WHERE report_id IN (?, ?)""", ids[:2]).fetchall()
    finally:
        con.close()
    assert set(got) <= set(ids[:2]) and sum(len(v) for v in got.values()) == len(rows)
    for rid, item, column, raw, state, line in rows:
        assert got[rid][(item, column)] == (raw, state, line)
    assert S._cells(None, []) == {}


def test_series_batch_is_the_one_by_one_lookup(checked):
    db, _ = checked
    con = warehouse.connect(db, read_only=True)
    try:
        agencies = [r[0] for r in con.execute("SELECT DISTINCT agency FROM current_reports ORDER BY 1").fetchall()]
        items = con.execute("""SELECT DISTINCT item, "column" FROM cells ORDER BY 1, 2 LIMIT 5""").fetchall()
        try:
            from checks.crossyear import load_series
            series = [s.id for s in load_series()][:3]
        except Exception:  # noqa: BLE001 - no series mapping: cells only
            series = []
        wanted = [(a, i, c) for a in agencies[:3] + ["no such agency"] for i, c in items[:3]]
        wanted += [(a, s, "value") for a in agencies[:3] for s in series]
        assert S._series_histories(con, wanted) == [S._series_history(con, *w) for w in wanted]
        assert S._series_histories(con, []) == []
    finally:
        con.close()
