"""`gongkai generate`: a realistic corpus of any size, with its ground truth (checks.generate)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from checks.cli.common import JsonOption, QuietOption, app


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the corpus into (empty, or a corpus "
                                      "generated before, which is replaced).")],
    agencies: Annotated[int, typer.Option("--agencies", "-n", help="Number of agencies.", min=1)] = 100,
    years: Annotated[str, typer.Option(help="A count (6: 2017–2022), a range (2016-2022) or a list (2018,2020). "
                                       "The year decides the template: old to 2018, v2019 2019–2020, v2021 after.")]
    = "6",
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same corpus.")] = 0,
    layouts: Annotated[str, typer.Option(help="Layouts of the report texts, comma-separated (tab-rows, tab-cells, "
                                         "glued, pipe-vertical, pipe-rows, pipe-compact, line-blocks, html), "
                                         "all, or none (no texts).")] = "all",
    faults: Annotated[float, typer.Option(help="Share of agency-years with one injected fault (at most one per "
                                          "agency).", min=0.0, max=1.0)] = 0.05,
    fmt: Annotated[str, typer.Option("--format", "-f", help="Extracted-statistics files: csv or parquet.")] = "csv",
    workers: Annotated[Optional[int], typer.Option(help="Processes generating regions side by side (default: "
                                                   "the number of cores); the corpus is the same for any number.",
                                                   min=1)] = None,
    json_out: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Generate a corpus of annual reports: agencies × years, with injected faults and their ground truth.

    Writes into --out: stats/<region>/<year>.csv|.parquet (the reports' cells in the extracted-
    statistics format, one file per region and year, with narrative companions), texts/<region>/
    <year>/<agency_id>_<year>.txt|.html (the same reports as text in the extractor's layouts),
    truth.csv and truth.json (the findings each injected fault must raise), reports.csv (one row per
    agency-year), agencies.csv (the agency registry: set GONGKAI_AGENCIES to it) and manifest.json.
    Agencies are spread over 31 provinces at three levels (provincial departments, cities, counties)
    whose sizes differ; some are renamed in 2019.

    Exit codes: 0 written, 3 cannot write, 64 usage error.

    Examples:

        gongkai generate --agencies 200 --years 2016-2022 --seed 1 --out data/gen/small

        gongkai generate -n 20000 --years 5 --layouts none --format parquet --out data/gen/national

        GONGKAI_AGENCIES=data/gen/small/agencies.csv gongkai run data/gen/small/stats --out data/out
    """
    import os

    from checks import present
    from checks.generate import generate_corpus

    progress = present.generate_progress(quiet=quiet or json_out)
    try:
        summary = generate_corpus(out, agencies, years, seed=seed, layouts=layouts, faults=faults,
                                  fmt=fmt.lower(), workers=workers or os.cpu_count() or 1, on_progress=progress)
    except OSError as e:
        from checks.errors import UserError
        raise UserError(f"cannot write the corpus into {out}: {e.strerror or e}") from None
    finally:
        progress(None, None)
    if json_out:
        present.print_json(summary.as_dict())
    elif not quiet:
        present.generated(summary)
