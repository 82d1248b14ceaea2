"""The Prefect flows run the library; their final states tell the truth about the data.

One Prefect test harness for the whole session (a temporary API server, ~20 s once). The flows
run with ``return_state=True`` so the tests see the final state, its message and its data.
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES

FLOWS = sorted((ROOT / "flows").glob("*.py"))
CLEAN = SAMPLES / "003_ac397f543ad98429.csv"
ERRORS = SAMPLES / "004_1779f513d25e1c56.csv"


def artifacts(state) -> dict:
    """key → artifact of the flow run that ended in ``state``."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        arts = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])))
    return {a.key: a for a in arts}


def test_flows_only_orchestrate():
    """No SQL, thresholds or message text in flows: every task body is one call into checks."""
    for path in FLOWS:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and any(
                    getattr(getattr(d, "func", d), "id", None) == "task" for d in node.decorator_list):
                body = [n for n in node.body if not isinstance(n, ast.Expr) or not isinstance(n.value, ast.Constant)]
                assert len(body) == 1 and isinstance(body[0], ast.Return), f"{path.name}:{node.name}"
        text = path.read_text(encoding="utf-8")
        assert "SELECT " not in text and "import duckdb" not in text, path.name


def test_analytics_off_in_the_code():
    import subprocess
    import sys
    code = ("import os\nfor k in ('PREFECT_SERVER_ANALYTICS_ENABLED', 'GX_ANALYTICS_ENABLED', 'DO_NOT_TRACK'):\n"
            "    os.environ.pop(k, None)\nimport flows.nightly\n"
            "from prefect.settings import PREFECT_SERVER_ANALYTICS_ENABLED\n"
            "print(PREFECT_SERVER_ANALYTICS_ENABLED.value(), os.environ['GX_ANALYTICS_ENABLED'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.stdout.split() == ["False", "False"], out.stderr


def test_prefect_yaml_deploys_both_flows():
    import yaml
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    deployments = {d["name"]: d for d in spec["deployments"]}
    nightly, gate = deployments["nightly"], deployments["gate"]
    assert nightly["entrypoint"] == "flows/nightly.py:nightly" and gate["entrypoint"] == "flows/gate.py:gate"
    assert nightly["schedules"][0] == {"cron": "0 2 * * *", "timezone": "Asia/Shanghai"}
    assert nightly["work_pool"]["name"] == gate["work_pool"]["name"] == "gongkai"
    from flows.gate import gate as gate_flow
    from flows.nightly import nightly as nightly_flow
    for d, fl in ((nightly, nightly_flow), (gate, gate_flow)):
        assert set(d.get("parameters", {})) <= set(fl.parameters.properties), d["name"]
        assert d["description"]


def test_gate_flow_fails_on_errors_and_completes_on_a_clean_file(prefect_harness):
    from flows.gate import gate
    state = gate([str(ERRORS)], return_state=True)
    assert state.is_failed() and state.name == "Data errors"
    assert "2 error(s)" in state.message
    assert state.result(raise_on_failure=False)["exit_code"] == 1
    arts = artifacts(state)
    assert "安康市工信局" in arts["gongkai-gate-summary"].data
    state = gate([str(CLEAN)], return_state=True)
    assert state.is_completed() and state.result()["exit_code"] == 0


def test_gate_flow_tool_failure_fails_with_the_message(prefect_harness, tmp_path):
    from flows.gate import gate
    state = gate([str(tmp_path / "missing.csv")], return_state=True)
    assert state.is_failed() and "missing.csv: no such file or folder" in state.message


def test_nightly_processes_only_new_files_and_lists_the_corrupt_one(prefect_harness, tmp_path):
    from flows.nightly import nightly
    inbox, db, out = tmp_path / "inbox", tmp_path / "w.duckdb", tmp_path / "out"
    inbox.mkdir()
    shutil.copy(CLEAN, inbox / "a_clean.csv")
    first = nightly(inbox=str(inbox), db=str(db), out=str(out), gx=False, return_state=True)
    assert first.is_completed(), first.message                   # one clean report: nothing to fail on

    shutil.copy(ERRORS, inbox / "b_new.csv")
    (inbox / "c_corrupt.csv").write_bytes(b"\xb2\xe2\x00garbage")
    state = nightly(inbox=str(inbox), db=str(db), out=str(out), gx=False, return_state=True)
    assert state.is_failed() and state.name == "Data errors", state.message
    data = state.result(raise_on_failure=False)
    assert data["inbox"]["seen"] == [str(inbox / "a_clean.csv")]                  # same sha256: skipped
    files = {Path(f["file"]).name: f["status"] for f in data["load"]["files"]}
    assert files == {"b_new.csv": "loaded", "c_corrupt.csv": "error"}             # exactly one processed
    assert "c_corrupt.csv" in state.message and "2 error(s)" in state.message
    assert data["check"]["reports"] == 2                                           # every current report
    assert {"findings.csv", "findings.json", "status.json"} <= {p.name for p in out.iterdir()}
    ledger = [json.loads(x) for x in (tmp_path / "w.inbox.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(Path(e["file"]).name, e["status"]) for e in ledger] == [
        ("a_clean.csv", "loaded"), ("b_new.csv", "loaded"), ("c_corrupt.csv", "error")]
    assert sorted(p.name for p in inbox.iterdir()) == ["a_clean.csv", "b_new.csv", "c_corrupt.csv"]  # nothing moved
    arts = artifacts(state)
    summary = arts["gongkai-nightly-summary"].data
    assert "corrupt" in summary and "2 new file(s), 1 already processed" in summary and "安康市工信局" in summary
    table = arts["gongkai-nightly-agencies"].data
    rows = json.loads(table) if isinstance(table, str) else table
    assert {r["agency"]: (r["errors"], r["warnings"]) for r in rows}["安康市工信局"][0] == 2


def test_nightly_missing_inbox_is_an_error(prefect_harness, tmp_path):
    from flows.nightly import nightly
    state = nightly(inbox=str(tmp_path / "no-inbox"), db=str(tmp_path / "w.duckdb"), out=str(tmp_path / "out"),
                    gx=False, return_state=True)
    assert state.is_failed() and "no inbox folder" in state.message
