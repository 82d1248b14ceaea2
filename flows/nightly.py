"""The nightly flow: load what arrived, check every current report, write the results.

Each task is one call into :mod:`checks.pipeline`; no SQL, thresholds or messages live here.
Run once by hand with ``python -m flows.nightly data/samples``; scheduled by ``prefect.yaml``
(cron, needs ``prefect server start`` and a worker, see README).
"""

from __future__ import annotations

import sys
from pathlib import Path

from prefect import flow, task

from checks import pipeline


@task(name="load")
def load(paths: list[str], db: str) -> dict:
    return pipeline.load_step(paths, db).as_dict()


@task(name="check")
def check(db: str, lenient: bool = False) -> dict:
    return pipeline.check_step(db, lenient=lenient).as_dict()


@task(name="status")
def status(db: str, out: str) -> dict:
    return pipeline.status_step(db, out)


@flow(name="gongkai-nightly", log_prints=True)
def nightly(paths: list[str] = ["data/inbox"], db: str = "data/warehouse.duckdb", out: str = "data/out",
            lenient: bool = False) -> dict:
    """Load ``paths`` (files or directories), check the warehouse, write ``out/status.json``."""
    loaded = load([p for p in paths if Path(p).exists()], db)
    checked = check(db, lenient)
    summary = status(db, out)
    return {"load": loaded, "check": checked, "status": summary}


if __name__ == "__main__":
    result = nightly(paths=sys.argv[1:] or ["data/inbox"])
    sys.exit(result["check"]["exit_code"])
