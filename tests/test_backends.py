"""SQL, GX and pandera — three backends generated from one catalogue — agree on which rule
instances fail: on the seeds and on a generated corpus of 1,000 reports with injected faults."""

from __future__ import annotations

import pytest

from checks import synth, warehouse
from checks.rules import backends as B
from checks.rules import catalogue as C
from tests.conftest import SAMPLES


def _keys(frame) -> set[tuple]:
    return {(r.code, int(r.report_id), r.item or "", r.column or "") for r in frame.itertuples()}


@pytest.fixture(scope="module", params=["seeds", "corpus"])
def con(request, tmp_path_factory):
    if request.param == "seeds":
        db = tmp_path_factory.mktemp("backends") / "w.duckdb"
        warehouse.load_paths([SAMPLES], db)
        c = warehouse.connect(db)
    else:
        c = synth.connect_fresh()
        synth.load_direct(c, synth.generate(1000, seed=11, fault_rate=0.5).frame)
    yield request.param, c
    c.close()


def test_gx_and_pandera_agree_with_sql(con):
    name, c = con
    cat = C.load_catalogue()
    sql = B.failures(c, "sql", cat)
    for backend in ("gx", "pandera"):
        codes = set(B.covered(backend, cat))
        got = B.failures(c, backend, cat)
        want = sql[sql["code"].isin(codes)]
        assert _keys(got) == _keys(want), backend
        assert list(got.columns) == B.COLUMNS
        print(f"{name}: {backend} and SQL agree on {len(want)} failing rule instances ({len(codes)} rules)")
    if name == "corpus":
        assert len(sql) > 900 and set(sql["code"]) >= {"N-01", "O-04", "L-03", "L-04", "L-06", "N-07", "B-02"}
        assert set(B.covered("gx", cat)) >= {"L-03", "L-04", "L-06", "N-07", "B-02"}    # so GX found these too


def test_coverage_comes_from_the_kinds():
    cat = C.load_catalogue()
    comparisons = {r.code for r in cat.enabled("comparison")}
    crossyear = {r.code for r in cat.enabled("crossyear")}      # on the pair frame (issue 9)
    assert crossyear == {"Y-01", "Y-02", "Y-03", "Y-04", "C-01", "N-11", "N-12", "L-05"}
    text = {"T-02", "S-01", "S-02", "S-03", "S-04"}             # on the pair frame too (checks/rules/kinds/report_text.py)
    structure = {"L-01", "L-03", "L-04", "L-06", "N-07", "O-17", "B-02", "B-03"}     # on the structure frame
    assert set(B.covered("pandera", cat)) == comparisons | structure | crossyear | text
    assert set(B.covered("gx", cat)) == set(B.covered("pandera", cat))    # every frame check has its expectation
    assert set(B.covered("sql", cat)) == {r.code for r in cat.enabled()}
