"""`gongkai report`, `gongkai show`, `gongkai prune`: what an oversight officer reads, and retention."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from checks.cli.common import DEFAULT_DB, DbOption, JsonOption, QuietOption, app

ShowInfoOption = Annotated[bool, typer.Option("--show-info", help="Also include info findings (blank cells, …).")]
RunOption = Annotated[Optional[str], typer.Option("--run", help="A check run id (default: the latest).")]


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="Folder for the site (index.html, one page per agency-year).")],
    db: DbOption = DEFAULT_DB,
    lang: Annotated[str, typer.Option("--lang", help="zh (default) or en.")] = "zh",
    run: RunOption = None,
    show_info: ShowInfoOption = False,
    json_out: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Build the HTML audit site of a check run: static pages that open from disk, no network.

    index.html lists every agency and year (filter, search, sort); each agency-year has a page with
    its table in the official layout, failing cells highlighted, the rule and arithmetic beside them
    and the source line; each rule a page of the agencies failing it. Unchanged pages are not
    rewritten.

    Examples:

        gongkai report --out data/out/site

        gongkai report --db data/demo/warehouse.duckdb --out data/demo/site-en --lang en
    """
    from checks import present
    from checks.site import build_site

    res = build_site(db, out, run_id=run, lang=lang, show_info=show_info)
    if json_out:
        present.print_json(res.as_dict())
    elif not quiet:
        present.site(res)


@app.command()
def show(
    agency: Annotated[str, typer.Argument(help="The agency (its name, or a unique part of it).")],
    year: Annotated[Optional[int], typer.Option("--year", help="Only this year.")] = None,
    db: DbOption = DEFAULT_DB,
    run: RunOption = None,
    show_info: ShowInfoOption = False,
    json_out: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Print one agency's findings, grouped by section, with the arithmetic and the source line.

    Exit codes: 0 no errors, 1 the agency has errors, 3 no such agency or no check run.

    Examples:

        gongkai show 台州市经信委

        gongkai show 安康 --year 2018 --json
    """
    from checks import exports, present

    fs = exports.agency_findings(db, agency, year, run_id=run, show_info=show_info)
    code = 1 if any(r["errors"] for r in fs.reports) else 0
    if json_out:
        present.print_json(exports.document(fs, exit_code=code))
    elif not quiet:
        present.show(fs)
    raise typer.Exit(code)


@app.command()
def prune(
    keep: Annotated[int, typer.Option("--keep", help="How many of the newest check runs to keep.")],
    db: DbOption = DEFAULT_DB,
    json_out: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Delete the findings of all but the newest --keep check runs (reports and cells stay).

    Example:

        gongkai prune --keep 5
    """
    from checks import present
    from checks.retention import prune as do_prune

    res = do_prune(db, keep)
    if json_out:
        present.print_json(res.as_dict())
    elif not quiet:
        present.pruned(res)
