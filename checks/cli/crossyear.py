"""`gongkai agencies` and `gongkai history`: agencies across years (checks.agencies, checks.crossyear)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from checks.cli.common import DEFAULT_DB, DbOption, JsonOption, QuietOption, app


@app.command()
def agencies(db: DbOption = DEFAULT_DB, json_out: JsonOption = False, quiet: QuietOption = False) -> None:
    """List the agencies of the warehouse as the registry resolves them across years.

    Each name as the reports write it, how it resolved to a stable agency id (registry id or name,
    normalised, short form without the place, AMBIGUOUS or unmatched), region, level and years. An
    ambiguous name is kept apart, never merged. The registry is data/agencies.csv (or the file in
    GONGKAI_AGENCIES).

    Exit codes: 0 every name resolved or unmatched, 1 some name is ambiguous, 3 no warehouse.

    Examples:

        gongkai agencies

        GONGKAI_AGENCIES=my/agencies.csv gongkai agencies --json
    """
    from checks import agencies as A
    from checks import present

    listing = A.list_agencies(db)
    if json_out:
        present.print_json(listing.as_dict())
    else:
        present.agencies(listing, quiet=quiet)
    raise typer.Exit(listing.exit_code)


@app.command()
def history(
    agency: Annotated[str, typer.Argument(help="Agency name as written, an alias, or its agency id.")],
    item: Annotated[Optional[str], typer.Argument(
        help="A series id (applications.received, review.total, …) or an item without its template "
             "(s3.carried_over@total). Default: every series.")] = None,
    db: DbOption = DEFAULT_DB,
    json_out: JsonOption = False,
) -> None:
    """Print an agency's series by year, across templates, with a sparkline.

    Series continue across the 2019 and 2021 format changes where the meaning allows
    (checks/templates/series.yaml); a blank cell shows 空, a year whose template has no such item –.

    Exit codes: 0 shown, 1 no reports of that agency, 3 no warehouse or unknown series.

    Examples:

        gongkai history 嘉兴市经信局

        gongkai history zj-jiaxing-jxj applications.received --json
    """
    from checks import crossyear, present

    h = crossyear.history_of(db, agency, item)
    if json_out:
        present.print_json(h)
    else:
        present.history(h)
