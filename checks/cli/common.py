"""What every command shares: the app, the common options, and the one error handler.

Commands are thin: parse options, call one library function, hand the result to
:mod:`checks.present`. A :class:`~checks.errors.UserError` raised anywhere below a command is
turned into one line on stderr and its exit code by the app itself (:class:`_Group`), so no
command catches it. Heavy libraries (pandas, DuckDB, pandera, GX) are imported inside the
commands, never here: ``gongkai --help`` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from checks.errors import UserError


USAGE_ERROR = 64
"""Exit code of a usage error (unknown option or command, bad option value, missing argument), as
sysexits' EX_USAGE: distinct from 0–3, so a CI script that accepts 2 (warnings) never accepts a typo."""


def fail(message: str, code: int = 3):
    """One line on stderr, then exit with ``code``: how every user error ends."""
    from checks import present
    present.error(message)
    raise typer.Exit(code)


# click's UsageError (typer vendors click: take the class typer's own BadParameter derives from)
_UsageError = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")


def _usage(e):
    e.exit_code = USAGE_ERROR
    return e


class _Group(TyperGroup):
    """The app's command group: maps a UserError from any command to its message and exit code, and
    every usage error (of the app or any command below it) to :data:`USAGE_ERROR`."""

    def make_context(self, *args, **kwargs):
        try:
            return super().make_context(*args, **kwargs)
        except _UsageError as e:
            raise _usage(e)

    def invoke(self, ctx):
        from checks.waiting import waiting
        try:
            with waiting(None, _waiting_notice):
                return super().invoke(ctx)
        except UserError as e:
            fail(str(e), e.exit_code)
        except _UsageError as e:
            raise _usage(e)


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


def _waiting_notice(message: str) -> None:
    """Shown once when a command waits for another process's lock on the warehouse."""
    from checks import present
    from rich.markup import escape
    present.err_console.print(f"[yellow]waiting:[/] {escape(message)}", soft_wrap=True)


def _set_wait(value):
    from checks.waiting import set_seconds
    if value is not None and value < 0:
        raise typer.BadParameter("must be 0 or more seconds")
    set_seconds(value)
    return value


WaitOption = Annotated[Optional[float], typer.Option(
    "--wait", metavar="SECONDS", callback=_set_wait, show_default=False,
    help="How long to wait while another gongkai process holds the warehouse (default: GONGKAI_WAIT or 30).")]


def main() -> None:
    """Entry point of the ``gongkai`` console script."""
    try:
        app()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
