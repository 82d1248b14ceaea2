"""`gongkai run`: the main job in one command (load, then check and report where available)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from checks import pipeline
from checks.cli.common import DEFAULT_DB, DbOption, QuietOption, app, console, err_console


@app.command()
def run(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories to load (as for `gongkai load`).")],
    db: DbOption = DEFAULT_DB,
    out: Annotated[Path, typer.Option(help="Folder for the results (status.json, findings, reports).")] = Path(
        "data/out"),
    quiet: QuietOption = False,
) -> None:
    """Run the main job on files or directories: load them, then summarise what the warehouse holds.

    Examples:

        gongkai run data/samples --db data/demo/warehouse.duckdb --out data/demo
    """
    loaded = pipeline.load_step(paths, db)
    for f in loaded.files:
        if f.status == "error":
            err_console.print(f"[bold red]✗[/] {f.message}", soft_wrap=True)
        elif not quiet:
            console.print(f"{'✓' if f.status == 'loaded' else '='} {f.file}: {f.message}", soft_wrap=True)
    s = pipeline.status_step(db, out)
    if not quiet:
        console.print(f"warehouse {db}: {s['reports']} report(s) of {s['agencies']} agencies, {s['cells']} cells, "
                      f"{s['quarantined']} quarantined row(s)", soft_wrap=True)
        console.print(f"results in {out}/ (status.json)", soft_wrap=True)
    raise typer.Exit(loaded.exit_code)
