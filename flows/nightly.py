"""The nightly flow: process what arrived in the inbox with the main job (:func:`checks.pipeline.run`).

Each step is one library call run as a Prefect task: scan the inbox (files whose sha256 was
processed before are skipped; nothing is moved or deleted), extract and load the new files (a file
that cannot be read is listed and the others go on), check every current report (within-report and
cross-year rules), write the exports and reports into ``out`` exactly as ``gongkai run`` does,
record the processed files in the ledger next to the warehouse, and publish two artifacts: a
Markdown summary and a table of agencies with their error and warning counts. The run ends
Failed ("Data errors") when the data has errors or a file could not be read, with the summary as
message; a missing inbox or a tool failure fails it with the message.

    python -m flows.nightly data/inbox        # once, without a server (a temporary one starts, ~12 s)

Scheduled at 02:00 Asia/Shanghai by ``prefect.yaml`` (needs ``prefect server start`` and a worker).
"""

from __future__ import annotations

import sys
from typing import Optional

import flows  # noqa: F401  (analytics off before prefect is imported)
from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from checks import pipeline
from flows.tasks import as_task, exit_code_of, final_state, step  # noqa: F401  (step: re-exported)


@flow(name="gongkai-nightly", log_prints=True)
def nightly(inbox: str = "data/inbox", db: str = "data/warehouse.duckdb", out: str = "data/out",
            lenient: bool = False, fail_on: Optional[str] = None, config: Optional[str] = None,
            waivers: Optional[str] = None, gx: bool = True, workers: Optional[int] = None,
            scheduler: Optional[str] = None):
    """Process the new files of ``inbox`` into the warehouse ``db``, check it, write the results to ``out``.

    ``lenient``, ``fail_on``, ``config`` and ``waivers`` as for ``gongkai check``; ``gx``: also
    validate with the GX suites and build GX Data Docs; ``workers`` (a local Dask cluster of N
    processes) or ``scheduler`` (the address of a Dask scheduler): extract the new files in
    partitions on Dask, load them with one writer (:mod:`flows.distributed`).
    """
    box = as_task(pipeline.inbox_step, inbox, db)
    loaded = None
    if (workers or scheduler) and box.new:
        from flows.distributed import load_on_dask
        loaded = load_on_dask(box.new, db, workers=workers, scheduler=scheduler)
    outcome = pipeline.run(box.new, db, out, gx=gx, lenient=lenient, fail_on=fail_on, config=config,
                           waivers=waivers, step=as_task, allow_empty=True, preloaded=loaded)
    as_task(pipeline.record_step, box, outcome.load)
    summary = as_task(pipeline.nightly_summary, outcome, box)
    create_markdown_artifact(key="gongkai-nightly-summary", markdown=summary,
                             description="gongkai nightly: inbox and findings")
    create_table_artifact(key="gongkai-nightly-agencies", table=pipeline.agency_table(outcome.reports),
                          description="gongkai nightly: errors and warnings per agency")
    result = {**outcome.as_dict(), "inbox": box.as_dict()}
    c = outcome.check
    failed = [f.file for f in outcome.load.files if f.status == "error"]
    message = (f"{len(box.new)} new file(s), {len(box.seen)} skipped, {len(failed)} unreadable"
               f"{' (' + ', '.join(failed) + ')' if failed else ''}; {c.reports} report(s): {c.errors} error(s), "
               f"{c.warnings} warning(s)")
    return final_state(outcome.exit_code, message, result)


if __name__ == "__main__":
    sys.exit(exit_code_of(nightly(inbox=sys.argv[1] if len(sys.argv) > 1 else "data/inbox", return_state=True)))
