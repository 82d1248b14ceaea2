"""The deployments in prefect.yaml work against a real server: `prefect server start` on loopback,
a process work pool and a worker, `prefect deploy --all`; the gate deployment run on an erroring file
must not end Completed. Everything started here is stopped here (process groups), every wait is
bounded, and the state lives in a PREFECT_HOME under tmp_path.

The slowest test of the suite (about a minute: the server needs ~20 s to become healthy).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
ERRORS = SAMPLES / "004_1779f513d25e1c56.csv"
CLEAN = SAMPLES / "003_ac397f543ad98429.csv"
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, probe, timeout: float, proc: subprocess.Popen | None = None):
    """Poll ``probe()`` once a second until it returns something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"{what}: the process exited with {proc.returncode}")
        try:
            value = probe()
        except Exception:          # not up yet
            value = None
        if value:
            return value
        time.sleep(1)
    pytest.fail(f"{what}: not within {timeout:.0f} s")


@pytest.fixture
def server(tmp_path):
    """A Prefect server on a free loopback port with its own PREFECT_HOME; (env, api url, logs)."""
    import httpx

    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home"), "PREFECT_API_URL": api,
           "PREFECT_SERVER_API_HOST": "127.0.0.1", "PREFECT_SERVER_API_PORT": str(port),
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", "GX_ANALYTICS_ENABLED": "False",
           "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_WORKER_PREFETCH_SECONDS": "1",
           "PREFECT_LOGGING_LEVEL": "WARNING", "PREFECT_SERVER_UI_ENABLED": "false"}
    env.pop("PREFECT_API_KEY", None)
    procs: list[subprocess.Popen] = []
    logs = tmp_path / "logs"
    logs.mkdir()

    def start(name: str, *args: str) -> subprocess.Popen:
        p = subprocess.Popen([str(BIN / "prefect"), *args], cwd=ROOT, env=env, start_new_session=True,
                             stdout=open(logs / f"{name}.log", "wb"), stderr=subprocess.STDOUT)
        procs.append(p)
        return p

    srv = start("server", "server", "start", "--host", "127.0.0.1", "--port", str(port))
    wait_for("prefect server start", lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200, 150, srv)
    try:
        yield env, api, start, logs
    finally:
        for p in reversed(procs):             # only what this fixture started, by process group
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)


def test_gate_deployment_ends_failed_on_an_erroring_file(server, tmp_path):
    import httpx

    env, api, start, logs = server

    def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        res = subprocess.run([str(BIN / "prefect"), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=timeout)
        assert res.returncode == 0, f"prefect {' '.join(args)}:\n{res.stdout}\n{res.stderr}"
        return res

    main_db = tmp_path / "main.duckdb"            # a main warehouse for history, named so the gate must use it
    load = subprocess.run([str(BIN / "gongkai"), "load", str(CLEAN), "--db", str(main_db), "-q"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert load.returncode == 0, load.stderr
    sha_before = main_db.read_bytes()

    cli("work-pool", "create", "gongkai", "--type", "process")
    cli("--no-prompt", "deploy", "--all", timeout=180)
    worker = start("worker", "worker", "start", "--pool", "gongkai", "--limit", "1")

    deployment = httpx.get(f"{api}/deployments/name/gongkai-gate/gate", timeout=10).json()
    nightly = httpx.get(f"{api}/deployments/name/gongkai-nightly/nightly", timeout=10).json()
    assert [s["schedule"]["cron"] for s in nightly["schedules"]] == ["0 2 * * *"]
    assert nightly["schedules"][0]["schedule"]["timezone"] == "Asia/Shanghai"
    run = httpx.post(f"{api}/deployments/{deployment['id']}/create_flow_run", timeout=10, json={
        "parameters": {"paths": [str(ERRORS)], "db": str(main_db)}}).json()

    def finished():
        state = httpx.get(f"{api}/flow_runs/{run['id']}", timeout=10).json()["state"]
        return state if state and state["type"] in TERMINAL else None

    try:
        state = wait_for("the gate flow run", finished, 240, worker)
    except BaseException:
        print({p.name: p.read_text(errors="replace")[-3000:] for p in logs.iterdir()})
        print("flow run state:", httpx.get(f"{api}/flow_runs/{run['id']}", timeout=10).json().get("state"))
        raise
    assert state["type"] != "COMPLETED"
    assert state["type"] == "FAILED" and state["name"] == "Data errors", json.dumps(state)[:2000]
    assert "2 error(s)" in state["message"]
    assert main_db.read_bytes() == sha_before                    # the gate never writes the main warehouse
