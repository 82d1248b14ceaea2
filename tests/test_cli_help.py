"""`gongkai --help` answers fast: the CLI imports no heavy library (pandas, DuckDB, pandera, GX) to print help."""

from __future__ import annotations

import resource
import subprocess
import sys

from tests.conftest import ROOT

HEAVY = ("pandas", "duckdb", "pandera", "great_expectations", "prefect", "pyarrow")


def test_help_is_fast():
    gongkai = ROOT / ".venv" / "bin" / "gongkai"
    cmd = [str(gongkai)] if gongkai.exists() else [sys.executable, "-m", "checks.cli"]
    times = []
    for _ in range(3):
        # the CPU time the process used: what --help costs, not how busy the machine is (tests run in parallel)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        res = subprocess.run([*cmd, "--help"], capture_output=True, text=True, timeout=60)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        assert res.returncode == 0 and "Usage" in res.stdout
    assert min(times) < 0.5, f"gongkai --help took {min(times):.2f} s of CPU at best"


def test_cli_imports_no_heavy_library():
    code = ("import sys, checks.cli; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"importing the CLI imports {out}"
