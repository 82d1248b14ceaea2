"""What every command shares: the app, the common options, and the one error handler.

Commands are thin: parse options, call one library function, hand the result to
:mod:`checks.present`. A :class:`~checks.errors.UserError` raised anywhere below a command is
turned into one line on stderr and its exit code by the app itself (:class:`_Group`), so no
command catches it. Heavy libraries (pandas, DuckDB, pandera, GX) are imported inside the
commands, never here: ``gongkai --help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from checks.errors import UserError


def fail(message: str, code: int = 3):
    """One line on stderr, then exit with ``code``: how every user error ends."""
    from checks import present
    present.error(message)
    raise typer.Exit(code)


class _Group(TyperGroup):
    """The app's command group: maps a UserError from any command to its message and exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UserError as e:
            fail(str(e), e.exit_code)


app = typer.Typer(
    name="gongkai",
    cls=_Group,
    help="Audit the statistical tables of 政府信息公开工作年度报告: extract, load, check, report.\n\n"
         "Example: gongkai load data/samples && gongkai status",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

DEFAULT_DB = Path("data/warehouse.duckdb")
DB_ENV = "GONGKAI_DB"

DbOption = Annotated[Path, typer.Option(
    "--db", envvar=DB_ENV, help=f"Warehouse file (DuckDB). Env: {DB_ENV}.", show_default=True)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors; use the exit code.")]


def main() -> None:
    """Entry point of the ``gongkai`` console script."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    try:
        app()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
