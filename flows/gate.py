"""The gate flow: :func:`checks.gate.gate` (what ``gongkai gate`` runs) as a Prefect task.

The files are checked in a scratch warehouse against the history of the main one (read-only,
never modified). The run ends Failed ("Data errors") when they have errors, a quarantined row or
unreadable content, with the summary as message and a Markdown summary artifact; a missing path
or a tool failure fails it with the message. In CI prefer ``gongkai gate`` (no Prefect start-up).

    python -m flows.gate new/*.csv
"""

from __future__ import annotations

import sys
from typing import Optional

import flows  # noqa: F401  (analytics off before prefect is imported)
from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from checks import gate as gate_lib
from checks import pipeline
from flows.tasks import as_task, exit_code_of, final_state

DEFAULT_DB = "data/warehouse.duckdb"


@flow(name="gongkai-gate", log_prints=True)
def gate(paths: list[str], db: Optional[str] = None, fail_on: str = "error", waivers: Optional[str] = None,
         config: Optional[str] = None, lenient: bool = False, junit: Optional[str] = None,
         markdown: Optional[str] = None):
    """Check the files ``paths`` against the history in the main warehouse ``db`` (default
    data/warehouse.duckdb if it exists; when given it must exist), as ``gongkai gate``."""
    outcome = as_task(gate_lib.gate, paths, db or DEFAULT_DB, db_named=db is not None, fail_on=fail_on,
                      waivers=waivers, config=config, lenient=lenient, junit=junit, markdown=markdown)
    summary = as_task(gate_lib.markdown_report, outcome)
    create_markdown_artifact(key="gongkai-gate-summary", markdown=summary, description="gongkai gate")
    create_table_artifact(key="gongkai-gate-agencies", table=pipeline.agency_table(outcome.reports),
                          description="gongkai gate: errors and warnings per agency")
    c = outcome.check
    message = (f"{c.reports} report(s): {c.errors} error(s), {c.warnings} warning(s), {outcome.quarantined} "
               f"quarantined row(s), {len(outcome.unreadable)} unreadable file(s)")
    return final_state(outcome.exit_code, message, outcome.as_dict())


if __name__ == "__main__":
    sys.exit(exit_code_of(gate(paths=sys.argv[1:], return_state=True)))
