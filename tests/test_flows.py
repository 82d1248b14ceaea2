"""The Prefect flows run the library's pipeline steps; the gate's exit code follows the findings."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES

FLOWS = sorted((ROOT / "flows").glob("*.py"))


@pytest.fixture(scope="module")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness
    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_flows_only_orchestrate():
    """No SQL, thresholds or message text in flows: every task body is one call into checks."""
    for path in FLOWS:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and any(
                    getattr(d, "func", d).__dict__.get("id") == "task" for d in node.decorator_list):
                body = [n for n in node.body if not isinstance(n, ast.Expr) or not isinstance(n.value, ast.Constant)]
                assert len(body) == 1 and isinstance(body[0], ast.Return), f"{path.name}:{node.name}"
        text = path.read_text(encoding="utf-8")
        assert "SELECT " not in text and "import duckdb" not in text, path.name


def test_prefect_yaml_schedules_the_nightly_flow():
    import yaml
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    deployments = {d["name"]: d for d in spec["deployments"]}
    assert deployments["nightly"]["entrypoint"] == "flows/nightly.py:nightly"
    assert deployments["nightly"]["schedules"][0]["cron"] == "0 2 * * *"
    assert deployments["gate"]["entrypoint"] == "flows/gate.py:gate"
    for d in deployments.values():
        module, fn = d["entrypoint"].split(":")
        assert f"def {fn}(" in (ROOT / module).read_text(encoding="utf-8")


def test_gate_fails_on_the_seeds_and_passes_on_a_clean_report(prefect_harness):
    from flows.gate import gate
    assert gate([str(SAMPLES)]) == 1                                  # seeds 002 and 004 have errors
    assert gate([str(SAMPLES / "003_ac397f543ad98429.csv")]) == 0      # seed 003 is clean
    assert gate([str(SAMPLES / "003_ac397f543ad98429.csv")], fail_on="warning") == 0


def test_gate_exit_code_3_for_an_unreadable_file(prefect_harness, tmp_path):
    from flows.gate import gate
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xb2\xe2")
    assert gate([str(bad)]) == 3


def test_nightly_loads_checks_and_writes_status(prefect_harness, tmp_path):
    from flows.nightly import nightly
    db, out = tmp_path / "w.duckdb", tmp_path / "out"
    result = nightly(paths=[str(SAMPLES)], db=str(db), out=str(out))
    assert [f["status"] for f in result["load"]["files"]] == ["loaded"] * 5
    assert result["check"]["reports"] == 5 and result["check"]["exit_code"] == 1 == result["exit_code"]
    assert json.loads((out / "status.json").read_text(encoding="utf-8"))["cells"] == 453
    # the same main job as `gongkai run`: findings exported, GX Data Docs built
    assert {p.name for p in out.iterdir()} >= {"findings.csv", "findings.json", "status.json", "gx-docs"}
    assert (out / "gx-docs" / "index.html").is_file()
