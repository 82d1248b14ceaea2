"""`gongkai load` and `gongkai status`: the warehouse (checks.warehouse)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from checks import warehouse
from checks.cli.common import DEFAULT_DB, DbOption, JsonOption, QuietOption, app, console, err_console, print_json

_MARK = {"loaded": "[green]✓[/]", "unchanged": "[cyan]=[/]", "error": "[bold red]✗[/]"}


@app.command()
def load(
    paths: Annotated[list[Path], typer.Argument(help="Extracted-statistics files (.csv, .jsonl, .parquet), "
                                                     "report files (.txt, .html) or directories.")],
    db: DbOption = DEFAULT_DB,
    agency: Annotated[Optional[str], typer.Option(help="Agency of report files whose text does not name it.")] = None,
    year: Annotated[Optional[int], typer.Option(help="Year of report files whose text does not state it.")] = None,
    json_out: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Load files into the warehouse, one transaction per file; bad rows go to quarantine.

    Loading the same file twice changes nothing; a corrected report of the same agency and year
    supersedes the older one, which stays as history. A file that cannot be read is named with
    its problem and the rest of the batch still loads.

    Exit codes: 0 all loaded, 1 some rows quarantined, 3 some file could not be read.

    Examples:

        gongkai load data/samples

        gongkai load --db /tmp/w.duckdb new/report.csv new/other.jsonl
    """
    def progress(r: warehouse.FileResult) -> None:
        if r.status == "error":
            err_console.print(f"{_MARK['error']} {r.message}", soft_wrap=True)
        elif not quiet and not json_out:
            console.print(f"{_MARK[r.status]} {r.file}: {r.message}", soft_wrap=True)
            for reason, n in r.reasons.most_common():
                console.print(f"    quarantined {n} × {reason}")

    result = warehouse.load_paths(paths, db, agency=agency, year=year, on_file=progress)
    if json_out:
        print_json(result.as_dict())
    elif not quiet:
        loaded = sum(f.status == "loaded" for f in result.files)
        broken = sum(f.status == "error" for f in result.files)
        quarantined = sum(f.rows_quarantined for f in result.files)
        console.print(f"{loaded} file(s) loaded, {len(result.files) - loaded - broken} unchanged, "
                      f"{broken} unreadable, {quarantined} row(s) quarantined → {db}", soft_wrap=True)
        if result.skipped:
            console.print(f"[dim]skipped {len(result.skipped)} file(s) of other types: "
                          f"{', '.join(Path(s).name for s in result.skipped[:5])}"
                          f"{' …' if len(result.skipped) > 5 else ''}[/]")
    raise typer.Exit(result.exit_code)


@app.command()
def status(db: DbOption = DEFAULT_DB, json_out: JsonOption = False,
           quiet: QuietOption = False) -> None:
    """Show what the warehouse holds: reports by template and year, agencies, quarantine.

    Examples:

        gongkai status

        gongkai status --db /tmp/w.duckdb --json
    """
    s = warehouse.status(db)
    if json_out:
        print_json(s)
        return
    if quiet:
        return
    console.print(f"[bold]{s['db']}[/]: {s['reports']} current report(s) of {s['agencies']} agencies, "
                  f"{s['cells']} cells; {s['reports_superseded']} superseded; {s['submissions']} submission(s); "
                  f"{s['quarantined']} row(s) in quarantine; last load {s['last_load'] or 'never'}", soft_wrap=True)
    t = Table("template", "reports", "agencies", "years", title="By template", title_justify="left")
    for r in s["templates"]:
        t.add_row(r["template"], str(r["reports"]), str(r["agencies"]), f"{r['first_year']}–{r['last_year']}")
    console.print(t)
    if s["years"]:
        console.print("By year: " + ", ".join(f"{y['year']}: {y['reports']}" for y in s["years"]))
    if s["quarantine_reasons"]:
        q = Table("reason", "rows", title="Quarantine", title_justify="left")
        for r in s["quarantine_reasons"]:
            q.add_row(r["reason"], str(r["rows"]))
        console.print(q)
