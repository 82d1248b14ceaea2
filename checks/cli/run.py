"""`gongkai run`: the main job in one command: load, check, write the results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from checks.cli.common import DEFAULT_DB, DbOption, JsonOption, QuietOption, app


@app.command()
def run(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories to load (as for `gongkai load`).")],
    db: DbOption = DEFAULT_DB,
    out: Annotated[Path, typer.Option(help="Folder for the results (findings, status, GX Data Docs).")] = Path(
        "data/out"),
    gx: Annotated[bool, typer.Option("--gx/--no-gx", help="Also validate with the GX suites and build Data Docs.")]
    = True,
    json_out: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Run the main job: load files or directories, check every current report, write the results.

    Writes findings.csv, findings.json and status.json into --out, and GX Data Docs into
    --out/gx-docs. Exit codes as `gongkai check`: 0 clean, 1 errors found, 3 the tool could not
    do its work (an unreadable file among them).

    Examples:

        gongkai run data/samples --db data/demo/warehouse.duckdb --out data/demo

        gongkai run data/seeds --no-gx
    """
    from checks import pipeline, present

    outcome = pipeline.run(paths, db, out, gx=gx, on_file=present.load_progress(quiet=quiet or json_out))
    if json_out:
        present.print_json(outcome.as_dict())
    elif not quiet:
        present.run(outcome)
    raise typer.Exit(outcome.exit_code)
