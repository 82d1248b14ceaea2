"""The README's examples run: the public API, and adding a rule kind with one file plus catalogue entries."""

from __future__ import annotations

import contextlib
import io
import re

import yaml

from checks.rules import backends as B
from checks.rules import catalogue as C
from checks.rules.sql import run_check
from checks.synth import inline_warehouse, template_rows
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def example(name: str) -> str:
    m = re.search(rf"<!-- example: {name} -->\n```\w+\n(.*?)```", README, re.S)
    assert m, f"README has no example {name!r}"
    return m.group(1)


def test_public_api_example(monkeypatch):
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(example("public-api"), "README:public-api", "exec"), {})
    first, second = out.getvalue().splitlines()[:2]
    assert first == "5 9" and eval(second) == {"L-02", "O-05", "O-15"}


def test_adding_a_rule_kind_is_one_module_plus_catalogue_entries():
    exec(compile(example("new-kind"), "README:new-kind", "exec"), {"__name__": "checks.rules.kinds.bounds"})
    data = yaml.safe_load(C.CATALOGUE_PATH.read_text(encoding="utf-8"))
    data["rules"] += yaml.safe_load(example("new-rule"))
    cat = C.parse_catalogue(data)
    con = inline_warehouse(template_rows("old", {"old.s7.fees": "150"}),
                           template_rows("old", {"old.s7.fees": "2.5"}, agency="乙局"))
    run = run_check(con, cat)
    got = con.execute("SELECT agency, severity, item, message FROM findings WHERE run_id = ? AND code = 'O-90'",
                      [run.run_id]).fetchall()
    assert got == [("测试局", "warning", "old.s7.fees", "七、依申请公开信息收取的费用 为 150 万元，超过 100 万元：请核对")]
    pandera = B.failures(con, "pandera", cat)
    assert {(r.code, r.agency, r.item) for r in pandera.itertuples() if r.code == "O-90"} == {
        ("O-90", "测试局", "old.s7.fees")}
    assert "O-90" in B.covered("pandera", cat) and "O-90" not in B.covered("gx", cat)
