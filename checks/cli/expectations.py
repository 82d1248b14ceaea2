"""`gongkai expectations build|validate`: the Great Expectations suites (checks.gx)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from checks.cli.check import ConfigOption, FailOnOption
from checks.cli.common import DEFAULT_DB, DbOption, JsonOption, QuietOption, app

SUITE_DIR = Path(__file__).resolve().parent.parent.parent / "expectations"
"""Where the suites live (checks.gx.SUITE_DIR; spelled here so that --help need not import GX's module)."""

expectations_app = typer.Typer(help="Great Expectations suites generated from the rule catalogue.",
                               no_args_is_help=True)
app.add_typer(expectations_app, name="expectations")


@expectations_app.command("build")
def build(
    directory: Annotated[Path, typer.Option("--dir", help="Where the suites go.")] = SUITE_DIR,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if a suite file is stale.")] = False,
    quiet: QuietOption = False,
) -> None:
    """Generate one GX expectation suite (JSON) per template from the rule catalogue.

    Examples:

        gongkai expectations build

        gongkai expectations build --check    # in CI: fail when expectations/ is stale
    """
    from checks import gx, present

    if check:
        stale = gx.stale_suites(directory=directory)
        present.lines([f"stale: {s} (run `gongkai expectations build`)" for s in stale])
        raise typer.Exit(1 if stale else 0)
    written = gx.build_suites(directory=directory)
    if not quiet:
        present.lines([f"wrote {p}" for p in written])


@expectations_app.command("validate")
def validate(
    db: DbOption = DEFAULT_DB,
    docs: Annotated[Optional[Path], typer.Option(help="Build GX Data Docs into this folder.")] = None,
    lenient: Annotated[bool, typer.Option(help="Count blank cells as 0 (as `gongkai check --lenient`).")] = False,
    fail_on: FailOnOption = None,
    config: ConfigOption = None,
    json_out: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Run the GX suites over every current report in the warehouse (one checkpoint run).

    The failing rows are attributed to agency, year, rule and cell; they are the same as `gongkai
    check`'s failed comparisons, and count by their rule's severity (after --config). Exit codes as
    `gongkai check`: 0 clean, 1 errors, 2 only warnings (with --fail-on warning), 3 could not run,
    64 usage error.

    Examples:

        gongkai expectations validate --docs data/out/gx-docs
    """
    from checks import pipeline, present

    out = pipeline.validate_expectations(db, lenient=lenient, fail_on=fail_on, config=config, docs=docs)
    res = out.result
    if json_out:
        present.print_json({"success": res.success, "evaluated": res.evaluated, "expectations": res.expectations,
                            "docs": str(res.docs_index) if res.docs_index else None, "errors": out.errors,
                            "warnings": out.warnings, "exit_code": out.exit_code,
                            "failures": res.failures.to_dict("records")})
    elif not quiet:
        present.gx_result(res)
    raise typer.Exit(out.exit_code)
