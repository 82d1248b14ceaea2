"""`gongkai expectations build|validate`: the Great Expectations suites (checks.gx)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from checks import gx, warehouse
from checks.cli.common import DEFAULT_DB, DbOption, JsonOption, QuietOption, app, console, print_json

expectations_app = typer.Typer(help="Great Expectations suites generated from the rule catalogue.",
                               no_args_is_help=True)
app.add_typer(expectations_app, name="expectations")


@expectations_app.command("build")
def build(
    directory: Annotated[Path, typer.Option("--dir", help="Where the suites go.")] = gx.SUITE_DIR,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if a suite file is stale.")] = False,
    quiet: QuietOption = False,
) -> None:
    """Generate one GX expectation suite (JSON) per template from the rule catalogue.

    Examples:

        gongkai expectations build

        gongkai expectations build --check    # in CI: fail when expectations/ is stale
    """
    if check:
        stale = gx.stale_suites(directory=directory)
        for s in stale:
            console.print(f"stale: {s} (run `gongkai expectations build`)", soft_wrap=True)
        raise typer.Exit(1 if stale else 0)
    written = gx.build_suites(directory=directory)
    if not quiet:
        for p in written:
            console.print(f"wrote {p}", soft_wrap=True)


@expectations_app.command("validate")
def validate(
    db: DbOption = DEFAULT_DB,
    docs: Annotated[Optional[Path], typer.Option(help="Build GX Data Docs into this folder.")] = None,
    lenient: Annotated[bool, typer.Option(help="Count blank cells as 0 (as `gongkai check --lenient`).")] = False,
    json_out: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Run the GX suites over every current report in the warehouse (one checkpoint run).

    Exit code 1 when an expectation fails. The failing rows are attributed to agency, year, rule
    and cell; they are the same as `gongkai check`'s failed comparisons.

    Examples:

        gongkai expectations validate --docs data/out/gx-docs
    """
    con = warehouse.connect(db, read_only=True)
    try:
        res = gx.validate(con, lenient=lenient, docs_dir=docs)
    finally:
        con.close()
    if json_out:
        print_json({"success": res.success, "evaluated": res.evaluated, "expectations": res.expectations,
                    "docs": str(res.docs_index) if res.docs_index else None,
                    "failures": res.failures.to_dict("records")})
    elif not quiet:
        console.print(f"GX: {res.expectations} expectations over {res.evaluated} rule instances: "
                      f"{len(res.failures)} failing", soft_wrap=True)
        if len(res.failures):
            t = Table("agency", "year", "rule", "item", "column", "lhs", "rhs")
            for r in res.failures.itertuples(index=False):
                t.add_row(str(r.agency), str(r.year), r.code, r.item, r.column, f"{r.lhs:g}" if r.lhs == r.lhs else "",
                          f"{r.rhs:g}")
            console.print(t)
        if res.docs_index:
            console.print(f"Data Docs: {res.docs_index}", soft_wrap=True)
    raise typer.Exit(0 if res.success else 1)
