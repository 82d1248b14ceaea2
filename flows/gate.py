"""The gate flow: check newly extracted data on its own; its exit code blocks CI when it fails.

The new files go through the main job (:func:`checks.pipeline.run`) in a scratch warehouse (the
shared one is not touched), checked with the same catalogue, configuration and waivers; nothing
is written but the scratch warehouse. Exit codes as ``gongkai run``: 0 clean, 1 errors, 2 only
warnings (``fail_on="warning"``), 3 a file could not be read.

    python -m flows.gate new/*.csv
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from prefect import flow

from checks import pipeline
from flows.nightly import as_task


@flow(name="gongkai-gate")
def gate(paths: list[str], fail_on: str = "error") -> int:
    """Load ``paths`` into a scratch warehouse, check them, return the exit code."""
    with tempfile.TemporaryDirectory(prefix="gongkai-gate-") as tmp:
        return pipeline.run(paths, Path(tmp) / "gate.duckdb", None, fail_on=fail_on, step=as_task).exit_code


if __name__ == "__main__":
    sys.exit(gate(sys.argv[1:]))
