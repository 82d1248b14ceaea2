"""The synthetic corpus: consistent by construction, faults at known places; the SQL backend finds
exactly the injected faults (recall and precision 100 %) and pandera agrees on the structural ones."""

from __future__ import annotations

import pytest

from checks import synth
from checks.rules import catalogue as C
from checks.rules import pandera_checks as P
from checks.rules import sql as S


def _found(con, run_id) -> set[tuple]:
    rows = con.execute("SELECT agency, year, code, item, \"column\" FROM findings WHERE run_id = ? "
                       "AND severity IN ('error', 'warning')", [run_id]).fetchall()
    return {(a, y, c, i, col or "") for a, y, c, i, col in rows}


@pytest.fixture(scope="module")
def corpus():
    corp = synth.generate(1200, seed=20240601, fault_rate=0.5)
    con = synth.connect_fresh()
    synth.load_direct(con, corp.frame)
    res = S.run_check(con, C.load_catalogue())
    yield corp, con, res
    con.close()


def test_corpus_shape(corpus):
    corp, con, res = corpus
    assert res.reports == len(corp.reports) == 1200
    assert {r.template for r in corp.reports} == {"old", "v2019", "v2021"}
    assert any(r.variant == "ningbo" for r in corp.reports)
    assert {r.style for r in corp.reports} == set(synth.STYLES)
    faults = {r.fault for r in corp.reports if r.fault}
    assert len(faults) >= 30                                     # every fault type occurs
    assert sum(bool(r.fault) for r in corp.reports) > 500


def test_recall_and_precision_are_100_percent(corpus):
    corp, con, res = corpus
    expected, found = corp.expected, _found(con, res.run_id)
    tp = len(expected & found)
    recall, precision = tp / len(expected), tp / len(found)
    print(f"\nsynthetic corpus: {len(corp.reports)} reports, {len(expected)} expected findings, "
          f"{len(found)} found (error/warning); recall {recall:.2%}, precision {precision:.2%}")
    assert sorted(expected - found)[:10] == [] and sorted(found - expected)[:10] == []
    assert recall == precision == 1.0


def test_every_fault_type_is_detected_by_its_rule(corpus):
    corp, con, res = corpus
    found = _found(con, res.run_id)
    by_fault: dict[str, int] = {}
    for r in corp.reports:
        if r.fault:
            assert r.expected, r.fault
            keys = {(r.agency, r.year, code, item or "", col or "") for code, item, col in r.expected}
            assert keys <= found, (r.fault, keys - found)
            by_fault[r.fault] = by_fault.get(r.fault, 0) + 1
    assert min(by_fault.values()) >= 3


def test_pandera_agrees_with_sql_on_the_corpus(corpus):
    corp, con, res = corpus
    codes = P.sql_codes()
    sql = {(c, rid, i or "", col or "") for c, rid, i, col in con.execute(
        f"SELECT code, report_id, item, \"column\" FROM findings WHERE run_id = ? AND code IN "
        f"({', '.join(repr(c) for c in codes)})", [res.run_id]).fetchall()}
    pf = P.pandera_findings(con)
    assert {(r.code, r.report_id, r.item or "", r.column or "") for r in pf.itertuples()} == sql
    assert {c for c, *_ in sql} >= {"L-01", "L-03", "L-04", "L-06", "N-07", "O-17", "B-02"}


def test_clean_corpus_has_only_the_blank_tables_it_rendered():
    corp = synth.generate(300, seed=7, fault_rate=0.0)
    con = synth.inline_warehouse(corp.frame.to_dict("records"))
    res = S.run_check(con, C.load_catalogue())
    found = _found(con, res.run_id)
    assert found == corp.expected
    assert {code for *_, code, _i, _c in found} <= {"B-02", "B-03"}
    assert res.errors == 0


def test_generation_is_deterministic():
    a = synth.generate(30, seed=3)
    b = synth.generate(30, seed=3)
    assert a.frame.equals(b.frame) and a.expected == b.expected
    assert not a.frame.equals(synth.generate(30, seed=4).frame)
