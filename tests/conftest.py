"""Shared fixtures: where the seeds, golden samples and domain reference live; a fresh warehouse."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "data" / "seeds"
SAMPLES = ROOT / "data" / "samples"
DOMAIN = ROOT / "data" / "reference" / "domain.md"
SEED_STEMS = ("000_ebde6dcd4a6dec74", "001_f432b4650208066c", "002_75ba8c7c95ed2a3b",
              "003_ac397f543ad98429", "004_1779f513d25e1c56")

def seed_copies(folder: Path, times: int, pattern: str = "*") -> Path:
    """``folder`` (made) holding the seed reports ``times`` over under other names (``{k}_{name}``)."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    for k in range(times):
        for p in sorted(SEEDS.glob(pattern)):
            shutil.copy(p, folder / f"{k}_{p.name}")
    return folder


os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API server for the whole session (it takes seconds to start)."""
    from prefect.testing.utilities import prefect_test_harness
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Path of a warehouse that does not exist yet."""
    return tmp_path / "warehouse.duckdb"


# ------------------------------------------------------------ gongkai doctor on every warehouse the tests made

def _warehouses(basetemp: Path) -> list[Path]:
    """Warehouses under pytest's temp folder, except those a test damaged on purpose (a sibling
    ``<stem>.no-doctor`` marks them)."""
    return [p for p in sorted(basetemp.rglob("*.duckdb"))
            if p.is_file() and not p.with_suffix(".no-doctor").exists() and _is_duckdb(p)]


def _is_duckdb(path: Path) -> bool:
    """A DuckDB database file (magic ``DUCK`` at byte 8); a test's garbage named .duckdb is not a warehouse."""
    with open(path, "rb") as f:
        return f.read(12)[8:12] == b"DUCK"


def pytest_sessionfinish(session, exitstatus):
    """After the suite: `gongkai doctor` on each warehouse the tests created; unsound fails the session
    (issue 12 §7). GONGKAI_NO_DOCTOR=1 skips it."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None or os.environ.get("GONGKAI_NO_DOCTOR") or exitstatus not in (0, 1):
        return
    if hasattr(session.config, "workerinput"):     # pytest-xdist: the controller checks every worker's warehouses
        return
    try:
        basetemp = factory.getbasetemp()
    except Exception:       # noqa: BLE001 - no temp folder: nothing to check
        return
    from checks import doctor
    from checks.errors import UserError

    sound, problems = 0, []
    for db in _warehouses(basetemp):
        try:
            diag = doctor.diagnose(db)
        except UserError as e:
            problems.append(str(e))
            continue
        if diag.sound:
            sound += 1
        else:
            problems += [f"{db}: {c.name}: {c.examples}" for c in diag.checks if not c.ok]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"gongkai doctor: {sound} warehouse(s) created by the tests are sound"
                            + (f", {len(problems)} problem(s):" if problems else ""))
        for p in problems:
            reporter.write_line(f"  {p}")
    if problems:
        session.exitstatus = 1
