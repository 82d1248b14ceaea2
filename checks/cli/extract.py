"""`gongkai extract`: report files → extracted-statistics files (checks.extract)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from checks.cli.common import JsonOption, QuietOption, app, console, err_console, fail, print_json
from checks.formats import EXTENSIONS

DEFAULT_OUT = Path("data/out/extracted.csv")
_FORMATS = ("csv", "jsonl", "parquet")
_SHOWN = 6          # issues shown per report (the issues file has them all)


@app.command()
def extract(
    paths: Annotated[list[Path], typer.Argument(help="Report files (.txt, .htm, .html; UTF-8, UTF-8 with BOM, "
                                                     "GB18030/GBK, UTF-16) or folders (searched recursively).")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Cells file; the narrative counts and issues "
                                                "go next to it as <stem>.narrative.<ext> and <stem>.issues.<ext>. "
                                                f"Default: {DEFAULT_OUT}.")] = None,
    fmt: Annotated[Optional[str], typer.Option("--format", "-f", help="csv, jsonl or parquet (default: from "
                                               "the --out suffix, else csv).")] = None,
    agency: Annotated[Optional[str], typer.Option(help="Agency of every report given (overrides the text).")] = None,
    year: Annotated[Optional[int], typer.Option(help="Report year of every report given (overrides the text).")] = None,
    json_out: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Extract the statistics tables of report files into the extracted-statistics format.

    Reads text reports in every known layout (tab rows, one cell per line, label and number glued together, vertical `|` cells, pipe rows) and HTML pages with <table> markup; detects the template (old, v2019, v2021) from the content, not the year; keeps each cell's file, line and raw text. The output loads unchanged with `gongkai load`.

    A report without a table, a truncated table and every table line that could not be mapped are reported in the issues file, never filled in with zeros. Counts stated in the narrative go to the narrative file.

    Exit codes: 0 every report read cleanly, 1 some report has an error issue (no table, truncated table, unknown template, no year or agency), 3 some file could not be read (the others are still written) or bad options.

    Examples:

        gongkai extract data/seeds

        gongkai extract report.html --out out/cells.parquet

        gongkai extract scans/ --format jsonl --out out/cells.jsonl --year 2020
    """
    from checks.extract import extract_paths, write_extraction

    if fmt is not None and fmt.lower() not in _FORMATS:
        fail(f"--format {fmt!r}: expected one of {', '.join(_FORMATS)}")
    fmt = fmt.lower() if fmt else None
    if out is None:
        out = DEFAULT_OUT.with_suffix("." + (fmt or "csv"))
    suffix_fmt = EXTENSIONS.get(out.suffix.lower())
    if fmt and suffix_fmt and suffix_fmt != fmt:
        fail(f"--out {out} has a .{suffix_fmt} suffix but --format is {fmt}: make them agree")
    fmt = fmt or suffix_fmt or "csv"
    if out.exists() and out.is_dir():
        fail(f"--out {out} is a folder: give a file name, e.g. {out / ('extracted.' + fmt)}")

    ext = extract_paths(paths, agency=agency, year=year)
    for e in ext.errors:
        err_console.print(f"[bold red]✗[/] {e}", soft_wrap=True, markup=True, highlight=False)
    reports = ext.reports
    if reports is None or reports.empty:
        fail("no report could be read" + (f" ({len(ext.errors)} file(s) with errors above)" if ext.errors else ""))
    try:
        written = write_extraction(ext, out, fmt)
    except OSError as e:
        fail(f"cannot write {out}: {e.strerror or e}")
    n_err = int(reports["errors"].sum())
    code = 3 if ext.errors else (1 if n_err else 0)

    if json_out:
        print_json({
            "outputs": [str(p) for p in written],
            "reports": json.loads(reports.to_json(orient="records", force_ascii=False)),
            "cells": len(ext.cells), "narrative": len(ext.narrative),
            "issues": json.loads(ext.issues.to_json(orient="records", force_ascii=False)),
            "unreadable": [str(e) for e in ext.errors],
            "exit_code": code,
        })
    elif not quiet:
        by_file = {f: g for f, g in ext.issues.groupby("source_file", sort=False)} if len(ext.issues) else {}
        for r in reports.itertuples():
            mark = "[bold red]✗[/]" if r.errors else ("[yellow]![/]" if r.warnings else "[green]✓[/]")
            what = f"{r.template or '?'}{'/' + r.variant if r.variant else ''}"
            console.print(f"{mark} {r.source_file}: {r.agency or '(agency?)'} {r.year or '(year?)'} {what}, "
                          f"{r.cells} cells ({r.layout or 'no table'})", soft_wrap=True, markup=True)
            g = by_file.get(r.source_file)
            if g is not None:
                shown = g[g["severity"] != "info"]
                for i in shown.head(_SHOWN).itertuples():
                    console.print(f"    {i.code} {i.severity}: {i.message}", soft_wrap=True, markup=False)
                if len(shown) > _SHOWN:
                    console.print(f"    … {len(shown) - _SHOWN} more in {written[2]}", markup=False)
        console.print(f"{len(reports)} report(s), {len(ext.cells)} cells, {len(ext.narrative)} narrative counts, "
                      f"{len(ext.issues)} issue(s) → {', '.join(str(p) for p in written)}", soft_wrap=True,
                      markup=False)
    raise typer.Exit(code)
