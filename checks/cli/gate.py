"""`gongkai gate`: check new files against the main warehouse's history, without touching it (CI)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from checks.cli.check import ConfigOption, FailOnOption, LenientOption, WaiversOption
from checks.cli.common import DB_ENV, DEFAULT_DB, JsonOption, QuietOption, app


@app.command()
def gate(
    paths: Annotated[Optional[list[Path]], typer.Argument(
        help="Report files (.txt, .htm, .html) or extracted-statistics files (.csv, .jsonl, .parquet), or folders.",
        show_default=False)] = None,
    db: Annotated[Optional[Path], typer.Option(
        "--db", envvar=DB_ENV, show_default=False,
        help=f"The main warehouse, for history (read-only, never modified). Default: {DEFAULT_DB} if it exists; "
             f"when named it must exist. Env: {DB_ENV}.")] = None,
    fail_on: FailOnOption = None,
    waivers: WaiversOption = None,
    config: ConfigOption = None,
    lenient: LenientOption = False,
    junit: Annotated[Optional[Path], typer.Option("--junit", help="Also write the result as JUnit XML here.")] = None,
    markdown: Annotated[Optional[Path], typer.Option(
        "--markdown", help="Also write a Markdown summary here (e.g. $GITHUB_STEP_SUMMARY).")] = None,
    json_out: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Check new files before they enter the warehouse: the CI gate.

    Loads the files into a scratch warehouse together with the history of the same agencies from
    the main warehouse (opened read-only: it is never modified), runs the whole rule catalogue
    (cross-year rules see the earlier years) and counts only the reports these files bring.
    Configuration and waivers resolve as for `gongkai check` (waivers.yaml next to --db).
    Prints a summary per agency and year, and the error findings.

    Exit codes: 0 pass; 1 errors, any quarantined row, or a file whose content cannot be read;
    2 only warnings (with --fail-on warning); 3 the gate could not work (no files, a path that
    does not exist, no warehouse at a named --db, a bad config or waivers file); 64 usage error.

    Examples:

        gongkai gate data/new/report.csv

        gongkai gate data/new/ --db data/warehouse.duckdb --fail-on warning --junit gate.xml

        gongkai gate 2023/*.html --waivers data/waivers.yaml --markdown "$GITHUB_STEP_SUMMARY"
    """
    from checks import present
    from checks.gate import gate as run_gate

    outcome = run_gate(paths or [], db if db is not None else DEFAULT_DB, db_named=db is not None,
                       fail_on=fail_on, lenient=lenient, config=config, waivers=waivers, junit=junit,
                       markdown=markdown, on_file=present.load_progress(quiet=True))
    if json_out:
        present.print_json(outcome.as_dict())
    elif not quiet:
        present.gate(outcome)
    raise typer.Exit(outcome.exit_code)
