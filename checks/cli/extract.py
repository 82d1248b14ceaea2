"""`gongkai extract`: report files → extracted-statistics files (checks.extract)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from checks.cli.common import JsonOption, QuietOption, app, fail

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
    from checks import present
    from checks.extract import extract_paths, write_extraction
    from checks.formats import EXTENSIONS

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

    with present.busy("extract", quiet=quiet):
        ext = extract_paths(paths, agency=agency, year=year)
    present.unreadable(ext.errors)
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
        present.print_json({
            "outputs": [str(p) for p in written],
            "reports": json.loads(reports.to_json(orient="records", force_ascii=False)),
            "cells": len(ext.cells), "narrative": len(ext.narrative),
            "issues": json.loads(ext.issues.to_json(orient="records", force_ascii=False)),
            "unreadable": [str(e) for e in ext.errors],
            "exit_code": code,
        })
    elif not quiet:
        present.extraction(ext, written, _SHOWN)
    raise typer.Exit(code)
