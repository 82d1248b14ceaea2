"""`gongkai extract`: report files → extracted-statistics files (checks.extract)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from checks.cli.common import USAGE_ERROR, JsonOption, QuietOption, app, fail

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
    workers: Annotated[int, typer.Option("--workers", "-w", help="Processes extracting in parallel (0: one per "
                                         "core). Files are read and written 500 at a time, so memory stays "
                                         "bounded.")] = 0,
    json_out: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Extract the statistics tables of report files into the extracted-statistics format.

    Reads text reports in every known layout (tab rows, one cell per line, label and number glued together, vertical `|` cells, pipe rows) and HTML pages with <table> markup; detects the template (old, v2019, v2021) from the content, not the year; keeps each cell's file, line and raw text. The output loads unchanged with `gongkai load`.

    A report without a table, a truncated table and every table line that could not be mapped are reported in the issues file, never filled in with zeros. Counts stated in the narrative go to the narrative file.

    A file that cannot be read (not text, too big, not a regular file …) is one line `file:line: problem` on stderr; the other files are still extracted and written.

    Exit codes: 0 every report read cleanly, 1 data rejected: some file could not be read or some report has an error issue (no table, truncated table, unknown template, no year or agency), 3 the tool could not work (a path that does not exist, no report file found, the output cannot be written), 64 bad options.

    Examples:

        gongkai extract data/seeds

        gongkai extract report.html --out out/cells.parquet

        gongkai extract scans/ --format jsonl --out out/cells.jsonl --year 2020

        gongkai extract inbox/ --out out/cells.parquet --workers 2
    """
    import os

    from checks import present
    from checks.extract.files import extract_to
    from checks.formats import EXTENSIONS

    if fmt is not None and fmt.lower() not in _FORMATS:
        fail(f"--format {fmt!r}: expected one of {', '.join(_FORMATS)}", USAGE_ERROR)
    fmt = fmt.lower() if fmt else None
    if out is None:
        out = DEFAULT_OUT.with_suffix("." + (fmt or "csv"))
    suffix_fmt = EXTENSIONS.get(out.suffix.lower())
    if fmt and suffix_fmt and suffix_fmt != fmt:
        fail(f"--out {out} has a .{suffix_fmt} suffix but --format is {fmt}: make them agree", USAGE_ERROR)
    fmt = fmt or suffix_fmt or "csv"
    if out.exists() and out.is_dir():
        fail(f"--out {out} is a folder: give a file name, e.g. {out / ('extracted.' + fmt)}", USAGE_ERROR)

    if workers < 0:
        fail(f"--workers {workers}: expected 0 (one per core) or more", USAGE_ERROR)
    try:
        ext = extract_to(paths, out, fmt, agency=agency, year=year, workers=workers or os.cpu_count() or 1,
                         on_file=present.file_progress("extract", quiet or json_out))
    except OSError as e:
        fail(f"cannot write {out}: {e.strerror or e}")
    present.unreadable(ext.errors)
    reports = ext.reports
    code = ext.exit_code
    written = ext.outputs
    if reports is None or reports.empty:
        for p in written:       # nothing was read: leave no empty outputs behind
            p.unlink(missing_ok=True)
        fail("no report could be read" + (f" ({len(ext.errors)} file(s) rejected above)" if ext.errors else ""),
             code)

    if json_out:
        present.print_json({
            "outputs": [str(p) for p in written],
            "reports": json.loads(reports.to_json(orient="records", force_ascii=False)),
            "cells": ext.n_cells, "narrative": ext.n_narrative,
            "issues": json.loads(ext.issues.to_json(orient="records", force_ascii=False)),
            "unreadable": [str(e) for e in ext.errors],
            "exit_code": code,
        })
    elif not quiet:
        present.extraction(ext, written, _SHOWN)
    raise typer.Exit(code)
