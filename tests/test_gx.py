"""The Great Expectations backend: suites generated from the catalogue, never stale, and in
agreement with the SQL backend on the seeds and on a generated corpus with injected faults (the
comparisons and the structural and per-cell rules of the template suites; the cross-year suite is
tested with its rules, tests/test_crossyear.py and tests/test_report_text.py)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from checks import gx, synth, warehouse
from checks.cli import app
from checks.rules import catalogue as C
from checks.rules import load_catalogue
from checks.rules.sql import run_check
from tests.conftest import SAMPLES

COMPARISON_KINDS = {"sum-equals", "at-most", "at-least", "implies-positive"}
STRUCTURE_KINDS = {"required-section", "required-row", "blank-table", "blank-report", "value-domain", "not-text",
                   "heading-has-value"}
TEMPLATE_SUITES = ("gongkai-old", "gongkai-v2019", "gongkai-v2021")
"""What these tests validate (and assert): the template suites, not the cross-year suite."""


def template_codes() -> set[str]:
    """The rules of the template suites (comparisons, structural and per-cell rules)."""
    return {r.code for r in load_catalogue().enabled() if C.kind_of(r).frame in ("evaluation", "structure")
            and any(C.kind_of(r).gx_expectations(r, t) for t in r.templates)}


def sql_failures(con, run_id: str, codes: set[str] | None = None) -> set[tuple]:
    """(agency, year, rule, item, column) of every failed rule of ``codes`` (default: the template
    suites') in a `gongkai check` run.

    With the default severities a rule instance that fails is an error or a warning; a comparison
    that only holds with its blank cells counted as 0 is info.
    """
    codes = template_codes() if codes is None else codes
    rows = con.execute("""SELECT agency, year, code, item, "column", severity FROM findings
                          WHERE run_id = ? AND NOT waived""", [run_id]).fetchall()
    return {r[:5] for r in rows if r[2] in codes and r[5] != "info"}


def gx_failures(result: gx.GXResult) -> set[tuple]:
    f = result.failures
    sev = {r.code: r.severity for r in load_catalogue().rules}
    return {k for k in zip(f["agency"], f["year"].astype(int), f["code"], f["item"], f["column"])
            if sev[k[2]] != "info"}


def test_committed_suites_are_not_stale():
    assert gx.stale_suites() == [], "run `gongkai expectations build` and commit expectations/"


def test_every_comparison_rule_is_an_expectation_of_each_of_its_templates():
    catalogue = load_catalogue()
    for template in ("old", "v2019", "v2021"):
        suite = json.loads((gx.SUITE_DIR / f"gongkai-{template}.json").read_text(encoding="utf-8"))
        by_code = {e["meta"]["code"]: e for e in suite["expectations"] if e["meta"].get("frame") != "structure"}
        rules = [r for r in catalogue.enabled("comparison") if template in r.templates]
        assert set(by_code) == {r.code for r in rules} and rules
        for r in rules:
            e = by_code[r.code]
            conditions = e["kwargs"]["row_condition"]["conditions"]
            assert {"type": "comparison", "column": {"name": "code"}, "operator": "==", "parameter": r.code} in conditions
            assert r.kind in COMPARISON_KINDS
    v2019 = json.loads((gx.SUITE_DIR / "gongkai-v2019.json").read_text(encoding="utf-8"))
    n01 = next(e for e in v2019["expectations"] if e["meta"]["code"] == "N-01")
    assert n01["type"] == "expect_column_pair_values_to_be_equal"
    assert (n01["kwargs"]["column_A"], n01["kwargs"]["column_B"]) == ("lhs", "rhs")


def test_every_structural_and_cell_rule_is_an_expectation_on_the_structure_rows():
    """Each rule with a pandera check on the structure frame has GX expectation(s) on the same frame's rows
    of each of its templates (and none where it does not apply)."""
    catalogue = load_catalogue()
    rules = [r for r in catalogue.enabled() if C.kind_of(r).frame == "structure"]
    assert {r.kind for r in rules} == STRUCTURE_KINDS
    for template in ("old", "v2019", "v2021"):
        suite = json.loads((gx.SUITE_DIR / f"gongkai-{template}.json").read_text(encoding="utf-8"))
        mine = [e for e in suite["expectations"] if e["meta"].get("frame") == "structure"]
        assert {e["meta"]["code"] for e in mine} == {r.code for r in rules if template in r.templates}
        for e in mine:
            conditions = e["kwargs"]["row_condition"]["conditions"]
            assert conditions[:2] == [
                {"type": "comparison", "column": {"name": "frame"}, "operator": "==", "parameter": "structure"},
                {"type": "comparison", "column": {"name": "template"}, "operator": "==", "parameter": template}]
            assert e["type"].startswith("expect_column_")
    old = json.loads((gx.SUITE_DIR / "gongkai-old.json").read_text(encoding="utf-8"))
    l03 = [e for e in old["expectations"] if e["meta"]["code"] == "L-03"]
    assert [(e["type"], e["kwargs"]["column"], e["kwargs"]["value_set"]) for e in l03] == [
        ("expect_column_values_to_be_in_set", "section_present", [True])]


def test_only_the_chosen_suites_are_validated(seeds):
    """``suites=`` validates only those suites, and builds only the frames they need."""
    con = warehouse.connect(seeds)
    try:
        result = gx.validate(con, suites=("gongkai-crossyear",))
    finally:
        con.close()
    suite = json.loads((gx.SUITE_DIR / "gongkai-crossyear.json").read_text(encoding="utf-8"))
    assert result.expectations == len(suite["expectations"])
    crossyear = {r.code for r in load_catalogue().enabled() if C.kind_of(r).frame == "pairs"}
    assert set(result.failures["code"]) <= crossyear
    with pytest.raises(Exception, match="unknown GX suite"):
        gx.suite_names(["gongkai-nope"])
    assert gx.suite_names(["old", "gongkai-old", "gongkai-crossyear"]) == ("old", "crossyear")


def test_a_changed_catalogue_makes_the_suites_stale(tmp_path):
    gx.build_suites(directory=tmp_path)
    assert gx.stale_suites(directory=tmp_path) == []
    (tmp_path / "gongkai-old.json").write_text("{}", encoding="utf-8")
    assert gx.stale_suites(directory=tmp_path) == [str(tmp_path / "gongkai-old.json")]
    res = CliRunner().invoke(app, ["expectations", "build", "--check", "--dir", str(tmp_path)])
    assert res.exit_code == 1 and "stale" in res.stdout


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    db = tmp_path_factory.mktemp("gx") / "w.duckdb"
    warehouse.load_paths([SAMPLES], db)
    return db


@pytest.mark.parametrize("lenient", [False, True])
def test_gx_agrees_with_sql_on_the_seeds(seeds, tmp_path, lenient):
    con = warehouse.connect(seeds)
    try:
        run = run_check(con, load_catalogue(), lenient=lenient)
        result = gx.validate(con, lenient=lenient, docs_dir=tmp_path / "docs", suites=TEMPLATE_SUITES)
        expected = sql_failures(con, run.run_id)
    finally:
        con.close()
    assert gx_failures(result) == expected
    comparisons = {r.code for r in load_catalogue().enabled("comparison")}
    assert {(a, c) for a, _, c, _, _ in expected if c in comparisons} == {
        ("嘉善县经济和信息化局", "O-03"), ("台州市经信委", "O-05"), ("台州市经信委", "O-15"),
        ("安康市工信局", "O-02"), ("安康市工信局", "O-04"), ("安康市工信局", "O-15")}
    print(f"seeds ({'lenient' if lenient else 'strict'}): GX and SQL agree on {len(expected)} failing rule "
          f"instances: {sorted({c for _, _, c, _, _ in expected})}")
    assert result.success is False and result.evaluated > 100
    index = (tmp_path / "docs" / "index.html").read_text(encoding="utf-8")
    assert "gongkai-old" in index


def test_gx_agrees_with_sql_on_a_corpus_with_injected_faults():
    corpus = synth.generate(n=1200, seed=11)
    con = synth.connect_fresh()
    synth.load_direct(con, corpus.frame)
    run = run_check(con, load_catalogue())
    result = gx.validate(con, suites=TEMPLATE_SUITES)
    expected = sql_failures(con, run.run_id)
    found = gx_failures(result)
    recall = len(found & expected) / len(expected)
    precision = len(found & expected) / len(found)
    print(f"GX vs SQL on {run.reports} reports: {len(expected)} failing rule instances "
          f"({len({c for _, _, c, _, _ in expected})} rules); recall {recall:.2%}, precision {precision:.2%}")
    assert found == expected and len(expected) > 300
    injected = {(a, y, c) for a, y, c, _, _ in corpus.expected}
    comparisons = {r.code for r in load_catalogue().enabled("comparison")}
    assert {(a, y, c) for a, y, c, _, _ in found if c in comparisons} <= injected


def test_cli_validate_json(seeds):
    res = CliRunner().invoke(app, ["expectations", "validate", "--db", str(seeds), "--json"])
    assert res.exit_code == 1
    data = json.loads(res.stdout)
    assert data["success"] is False and len(data["failures"]) == 11      # 6 comparisons, 5 headings with a value
    assert sorted(f["code"] for f in data["failures"]).count("L-01") == 5
