"""Beyond one core or one machine: extraction on a Dask cluster, one writer for the warehouse.

The report files are planned into partitions (:func:`checks.partitions.plan`: region × year when
the folders say so, else chunks of files); each partition is extracted as a task on Prefect's
``DaskTaskRunner`` (``prefect-dask``: a real ``distributed`` cluster) into a Parquet file in the
extracted-statistics format; then one task loads the Parquet files into the one DuckDB warehouse
(:func:`checks.partitions.load_partitions`) and the main job checks and reports as usual
(:func:`checks.pipeline.run` with ``preloaded``). The cells are exactly those of the serial load.

* ``workers=N``: a temporary local cluster of N worker processes (one thread each, no dashboard);
* ``scheduler="tcp://host:8786"``: an existing cluster (``dask scheduler`` + ``dask worker`` on each
  machine; the workers need this package installed and the input and staging folders at the same
  paths, e.g. a shared file system).

The Parquet partitions are staged in ``<warehouse stem>.partitions/<time>/`` next to the warehouse
and deleted once loaded (kept when the load fails).

    python -m flows.distributed data/inbox --workers 4
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path
from typing import Optional

import flows  # noqa: F401  (analytics off before prefect is imported)
from prefect import flow

from checks import partitions, pipeline
from flows.tasks import as_task, step

DEFAULT_DB = "data/warehouse.duckdb"


def dask_runner(workers: Optional[int] = None, scheduler: Optional[str] = None, processes: bool = True):
    """Prefect's ``DaskTaskRunner`` on an existing scheduler (``scheduler``) or on a temporary local
    cluster of ``workers`` worker processes (one thread each: extraction is pure Python), dashboard
    off. ``processes=False``: the local workers are threads of this process (starts in a second;
    for tests and small runs)."""
    from prefect_dask import DaskTaskRunner

    if scheduler:
        return DaskTaskRunner(address=scheduler)
    return DaskTaskRunner(cluster_class="distributed.LocalCluster",
                          cluster_kwargs={"n_workers": int(workers or 2), "threads_per_worker": 1,
                                          "processes": processes, "dashboard_address": None})


def staging_folder(db: str | Path) -> Path:
    """Where a run stages its Parquet partitions: next to the warehouse, one folder per run."""
    db = Path(db)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    return db.parent / f"{db.stem}.partitions" / stamp


@flow(name="gongkai-extract-load")
def extract_and_load(paths: list[str], db: str, chunk: int = partitions.CHUNK):
    """Plan the partitions, extract each one as a task on the flow's task runner, load them with one writer."""
    plan = as_task(partitions.plan, paths, chunk)
    folder = staging_folder(db)
    futures = [step.with_options(name=f"extract-{p.name}").submit(partitions.extract_partition, p, str(folder))
               for p in plan.partitions]
    results = [f.result() for f in futures]
    loaded = as_task(partitions.load_partitions, results, plan.tables, db)
    loaded.skipped = plan.skipped
    shutil.rmtree(folder, ignore_errors=True)
    return loaded


def load_on_dask(paths: list[str], db: str, *, workers: Optional[int] = None, scheduler: Optional[str] = None,
                 chunk: int = partitions.CHUNK, processes: bool = True):
    """:func:`extract_and_load` on a Dask cluster (as a subflow of the calling flow, or a flow of its own)."""
    runner = dask_runner(workers, scheduler, processes)
    return extract_and_load.with_options(task_runner=runner)([str(p) for p in paths], str(db), chunk)


@flow(name="gongkai-run-dask", log_prints=True)
def run(paths: list[str], db: str = DEFAULT_DB, out: Optional[str] = None, workers: Optional[int] = None,
        scheduler: Optional[str] = None, gx: bool = True, lenient: bool = False, fail_on: Optional[str] = None,
        config: Optional[str] = None, waivers: Optional[str] = None, show_info: bool = False,
        chunk: int = partitions.CHUNK, processes: bool = True, keep_runs: Optional[int] = None):
    """``gongkai run --workers N`` / ``--scheduler ADDRESS``: extract and load on Dask, then check and
    report as the main job does; returns its :class:`checks.pipeline.RunOutcome`."""
    pipeline.input_files(paths)          # no input is a user error, before any cluster starts
    loaded = load_on_dask(paths, db, workers=workers, scheduler=scheduler, chunk=chunk, processes=processes)
    return pipeline.run(paths, db, out, gx=gx, lenient=lenient, fail_on=fail_on, config=config, waivers=waivers,
                        show_info=show_info, step=as_task, preloaded=loaded, keep_runs=keep_runs)


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(prog="python -m flows.distributed", description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--db", default=DEFAULT_DB)
    ap.add_argument("--out")
    ap.add_argument("--workers", type=int)
    ap.add_argument("--scheduler")
    a = ap.parse_args()
    outcome = run(a.paths, a.db, a.out, workers=a.workers or (None if a.scheduler else 2), scheduler=a.scheduler)
    sys.exit(outcome.exit_code)
