"""The catalogue: complete for domain.md §5.1/§5.2/§5.5, validated, and expanded from the templates."""

from __future__ import annotations

import copy
from collections import Counter

import pytest
import yaml

from checks.rules import catalogue as C

EXPECTED = {  # code: (kind, severity) — SOFT rules are warnings, EQ/LE ones errors
    "N-01": ("sum-equals", "error"), "N-02": ("sum-equals", "error"), "N-02b": ("sum-equals", "error"),
    "N-03": ("sum-equals", "error"), "N-04": ("sum-equals", "error"), "N-05": ("sum-equals", "error"),
    "N-06": ("sum-equals", "error"), "N-07": ("value-domain", "error"), "N-08": ("at-most", "error"),
    "N-09": ("at-least", "warning"), "N-13": ("money-unit", "warning"),
    "O-01": ("at-most", "error"), "O-02": ("at-most", "warning"), "O-03": ("at-most", "warning"),
    "O-04": ("at-least", "warning"), "O-05": ("at-most", "error"), "O-06": ("at-most", "error"),
    "O-07": ("sum-equals", "warning"), "O-08": ("sum-equals", "error"), "O-09": ("sum-equals", "error"),
    "O-10": ("sum-equals", "warning"), "O-11": ("sum-equals", "warning"), "O-12": ("at-most", "warning"),
    "O-13": ("sum-equals", "error"), "O-14": ("sum-equals", "error"), "O-15": ("sum-equals", "error"),
    "O-16": ("implies-positive", "warning"), "O-17": ("value-domain", "error"),
    "L-01": ("heading-has-value", "warning"), "L-02": ("parent-filled", "error"),
    "L-03": ("required-section", "error"), "L-04": ("required-row", "warning"), "L-06": ("not-text", "error"),
    "B-01": ("blank-cell", "info"), "B-02": ("blank-table", "warning"), "B-03": ("blank-report", "warning"),
    "B-04": ("blank-sums", "info"),
    "Q-01": ("quarantined-row", "warning"), "Q-02": ("extraction-issue", "warning"),
    "W-01": ("waiver-expired", "info"),
    # across years and against the narrative (issue 9)
    "Y-01": ("yoy-ratio", "warning"), "Y-02": ("history-outlier", "warning"), "Y-03": ("appear-vanish", "warning"),
    "Y-04": ("peer-outlier", "info"), "C-01": ("carry-chain", "warning"), "N-11": ("count-carries", "warning"),
    "N-12": ("stock-balance", "warning"), "L-05": ("copied-table", "warning"),
    "T-01": ("narrative-count", "warning"), "T-03": ("narrative-claim", "warning"),
    "T-04": ("narrative-quotes-part", "info"), "T-02": ("narrative-percent", "warning"),
    "S-01": ("section-order", "warning"), "S-02": ("section-filled", "warning"), "S-03": ("fee-reported", "info"),
    "S-04": ("year-consistent", "warning"),
}


def test_catalogue_has_every_rule_with_kind_and_severity():
    cat = C.load_catalogue()
    assert {r.code: (r.kind, r.severity) for r in cat.rules} == EXPECTED
    for r in cat.rules:
        assert C._KEBAB.match(r.name) and set(r.message) == {"zh", "en"}
        if r.soft:
            assert r.severity == "warning", r.code


def test_rules_expand_from_the_templates():
    inst = C.expand(C.load_catalogue())
    n = Counter(i.code for i in inst)
    assert n["N-01"] == 14 and n["N-08"] == 14            # per column, 7 columns × 2 templates
    assert n["N-03"] == 23 + 25                           # per row of section 三 (v2019: 23, v2021: 25)
    assert n["N-02"] == n["N-02b"] == 7
    assert n["O-03"] == 5 + 4                             # per channel; the 宁波 form has no gazette row
    assert n["O-16"] == 1                                 # no section 九 in the 宁波 form
    n2 = next(i for i in inst if i.code == "N-02" and i.anchor.column == "natural")
    assert len(n2.rhs) == 19 and n2.lhs[0].cell.item == "v2019.s3.result.total"
    n2b = next(i for i in inst if i.code == "N-02b" and i.anchor.column == "legal")
    assert len(n2b.rhs) == 21
    o4 = [i for i in inst if i.code == "O-04"]
    assert sorted(len(i.lhs) for i in o4) == [4, 5] and all(i.anchor.item == "old.s1.proactive.total" for i in o4)
    ids = [i.iid for i in inst]
    assert ids == list(range(1, len(inst) + 1))
    t = C.terms_frame(inst)
    assert list(t.columns[:8]) == ["instance_id", "code", "template", "variant", "side", "pos", "item", "column"]


def _data():
    with open(C.CATALOGUE_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.mark.parametrize("mutate,message", [
    (lambda r: r.update(kind="sum-ish"), "unknown kind 'sum-ish'"),
    (lambda r: r.update(severity="fatal"), "severity must be one of"),
    (lambda r: r.update(name="Applications Balance"), "not kebab-case"),
    (lambda r: r["message"].update(zh="{lhs} {nonsense}"), "unknown placeholder(s) nonsense"),
    (lambda r: r["target"].update(lhs=["s3.no_such_row"]), "rule N-01 (v2019): no row matches 's3.no_such_row'"),
    (lambda r: r.update(templates=["v2030"]), "templates must be a non-empty list"),
    (lambda r: r.update(extra=1), "unknown key(s) extra"),
])
def test_invalid_catalogue_is_refused_naming_the_rule(mutate, message):
    data = copy.deepcopy(_data())
    mutate(data["rules"][0])
    with pytest.raises(C.CatalogueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        C.parse_catalogue(data)


def test_duplicate_codes_are_refused():
    data = copy.deepcopy(_data())
    data["rules"].append(copy.deepcopy(data["rules"][0]))
    with pytest.raises(C.CatalogueError, match="duplicate rule code or name 'N-01'"):
        C.parse_catalogue(data)
