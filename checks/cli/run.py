"""`gongkai run`: the main job in one command: load, check, write the results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from checks import pipeline
from checks.cli.common import DEFAULT_DB, DbOption, JsonOption, QuietOption, app, console, err_console, print_json


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
    loaded = pipeline.load_step(paths, db)
    for f in loaded.files:
        if f.status == "error":
            err_console.print(f"[bold red]✗[/] {f.message}", soft_wrap=True)
        elif not quiet and not json_out:
            console.print(f"{'✓' if f.status == 'loaded' else '='} {f.file}: {f.message}", soft_wrap=True)
    checked = pipeline.check_step(db)
    written = pipeline.export_step(db, checked.run_id, out)
    status = pipeline.status_step(db, out)
    gx_result = pipeline.gx_step(db, out) if gx else None
    code = 3 if loaded.exit_code == 3 else checked.exit_code
    if json_out:
        print_json({"load": loaded.as_dict(), "check": checked.as_dict(), "gx": gx_result,
                    "reports": pipeline.summary_step(db, checked.run_id),
                    "files": [str(p) for p in written + [Path(out) / "status.json"]], "exit_code": code})
    elif not quiet:
        table = Table(title="Findings by report", title_justify="left")
        table.add_column("agency", no_wrap=True)
        for name in ("year", "template", "errors", "warnings", "info"):
            table.add_column(name, no_wrap=True)
        table.add_column("rules")
        for r in pipeline.summary_step(db, checked.run_id):
            template = r["template"] + (f"/{r['variant']}" if r["variant"] else "")
            table.add_row(r["agency"], str(r["year"]), template,
                          f"[bold red]{r['errors']}[/]" if r["errors"] else "0",
                          f"[yellow]{r['warnings']}[/]" if r["warnings"] else "0", str(r["infos"]), r["codes"] or "")
        console.print(table)
        console.print(f"{status['reports']} report(s), {status['cells']} cells, {status['quarantined']} quarantined "
                      f"row(s); {checked.errors} error(s), {checked.warnings} warning(s), {checked.infos} info "
                      f"(run {checked.run_id})", soft_wrap=True)
        if gx_result:
            console.print(f"GX: {gx_result['expectations']} expectations over {gx_result['evaluated']} rule "
                          f"instances, {gx_result['failing']} failing", soft_wrap=True)
        console.print("\n[bold]Results[/]", soft_wrap=True)
        console.print(f"  warehouse      {db}", soft_wrap=True)
        for p in written + [Path(out) / "status.json"]:
            console.print(f"  {p.name:<14} {p}", soft_wrap=True)
        if gx_result:
            console.print(f"  GX Data Docs   {gx_result['docs']}", soft_wrap=True)
        console.print(f"  details        gongkai check --db {db} --show-info", soft_wrap=True)
    raise typer.Exit(code)
