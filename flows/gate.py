"""The gate flow: check newly extracted data on its own; its exit code blocks CI when it fails.

The new files are loaded into a scratch warehouse (the shared one is not touched) and checked
with the same catalogue, configuration and waivers. Exit codes as ``gongkai check``: 0 clean,
1 errors, 2 only warnings (``--fail-on warning``), 3 a file could not be read.

    python -m flows.gate new/*.csv
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from prefect import flow, task

from checks import pipeline


@task(name="load-new")
def load_new(paths: list[str], db: str) -> dict:
    return pipeline.load_step(paths, db).as_dict()


@task(name="check-new")
def check_new(db: str, fail_on: str) -> dict:
    return pipeline.check_step(db, fail_on=fail_on).as_dict()


@flow(name="gongkai-gate")
def gate(paths: list[str], fail_on: str = "error") -> int:
    """Load ``paths`` into a scratch warehouse, check them, return the exit code."""
    with tempfile.TemporaryDirectory(prefix="gongkai-gate-") as tmp:
        db = str(Path(tmp) / "gate.duckdb")
        loaded = load_new(paths, db)
        if loaded["exit_code"] == 3:
            return 3
        return check_new(db, fail_on)["exit_code"]


if __name__ == "__main__":
    sys.exit(gate(sys.argv[1:]))
