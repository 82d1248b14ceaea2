"""The nightly flow: the main job (:func:`checks.pipeline.run`) on what arrived, each step a Prefect task.

Load ``data/inbox``, check every current report, write findings, status and GX Data Docs to
``data/out`` — exactly what ``gongkai run`` does. No SQL, thresholds or messages live here.
Run once by hand with ``python -m flows.nightly data/samples``; scheduled by ``prefect.yaml``
(cron, needs ``prefect server start`` and a worker, see README).
"""

from __future__ import annotations

import sys
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from checks import pipeline


@task(name="step", cache_policy=NO_CACHE)
def step(fn, *args, **kwargs):
    """One step of the main job (a function of checks.pipeline) as a Prefect task named after it."""
    return fn(*args, **kwargs)


def as_task(fn, *args, **kwargs):
    return step.with_options(name=fn.__name__.removesuffix("_step"))(fn, *args, **kwargs)


@flow(name="gongkai-nightly", log_prints=True)
def nightly(paths: list[str] = ["data/inbox"], db: str = "data/warehouse.duckdb", out: str = "data/out",
            lenient: bool = False, gx: bool = True) -> dict:
    """Load ``paths`` (files or directories), check the warehouse, write the results into ``out``."""
    return pipeline.run([p for p in paths if Path(p).exists()], db, out, gx=gx, lenient=lenient,
                        step=as_task).as_dict()


if __name__ == "__main__":
    sys.exit(nightly(paths=sys.argv[1:] or ["data/inbox"])["exit_code"])
