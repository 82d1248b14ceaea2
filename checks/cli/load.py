"""`gongkai load` and `gongkai status`: the warehouse (checks.warehouse)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from checks.cli.common import DEFAULT_DB, DbOption, JsonOption, QuietOption, WaitOption, app


@app.command()
def load(
    paths: Annotated[Optional[list[Path]], typer.Argument(
        help="Extracted-statistics files (.csv, .jsonl, .parquet), report files (.txt, .html) or directories.",
        show_default=False)] = None,
    db: DbOption = DEFAULT_DB,
    agency: Annotated[Optional[str], typer.Option(help="Agency of report files whose text does not name it.")] = None,
    year: Annotated[Optional[int], typer.Option(help="Year of report files whose text does not state it.")] = None,
    wait: WaitOption = None,
    json_out: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Load files into the warehouse, each file whole or not at all; bad rows go to quarantine.

    Loading the same file twice changes nothing; a corrected report of the same agency and year
    supersedes the older one, which stays as history. A file that cannot be read is named with
    its problem and the rest of the batch still loads. A CSV or Parquet file of extracted
    statistics over the limits (GONGKAI_MAX_FILE_MB, default 50; GONGKAI_MAX_ROWS, default
    1,000,000) is loaded in parts, still whole or not at all: one file of a whole nation is fine.

    Exit codes: 0 all loaded, 1 some rows quarantined, 3 some file could not be read or no input
    found, 64 usage error.

    Examples:

        gongkai load data/samples

        gongkai load --db /tmp/w.duckdb new/report.csv new/other.jsonl

        gongkai load --db /tmp/w.duckdb national-2025.csv
    """
    from checks import pipeline, present

    result = pipeline.load_step(paths or [], db, agency=agency, year=year,
                                  on_file=present.load_progress(quiet=quiet or json_out))
    if json_out:
        present.print_json(result.as_dict())
    elif not quiet:
        present.load_summary(result, db)
    raise typer.Exit(result.exit_code)


@app.command()
def status(db: DbOption = DEFAULT_DB, wait: WaitOption = None, json_out: JsonOption = False,
           quiet: QuietOption = False) -> None:
    """Show what the warehouse holds: reports by template and year, agencies, quarantine.

    Examples:

        gongkai status

        gongkai status --db /tmp/w.duckdb --json
    """
    from checks import present, warehouse

    s = warehouse.status(db)
    if json_out:
        present.print_json(s)
    elif not quiet:
        present.status(s)
