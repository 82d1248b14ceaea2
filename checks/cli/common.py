"""What every command shares: the app, the common options, output and error handling."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from checks.errors import UserError

app = typer.Typer(
    name="gongkai",
    help="Audit the statistical tables of 政府信息公开工作年度报告: extract, load, check, report.\n\n"
         "Example: gongkai load data/samples && gongkai status",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

DEFAULT_DB = Path("data/warehouse.duckdb")
DB_ENV = "GONGKAI_DB"

DbOption = Annotated[Path, typer.Option(
    "--db", envvar=DB_ENV, help=f"Warehouse file (DuckDB). Env: {DB_ENV}.", show_default=True)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors; use the exit code.")]

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def print_json(data: Any) -> None:
    """JSON on stdout, UTF-8, Chinese kept readable."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def fail(message: str, code: int = 3) -> None:
    """One line on stderr, then exit with ``code``: how every user error ends."""
    err_console.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


def main() -> None:
    """Entry point of the ``gongkai`` console script."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    try:
        app()
    except UserError as e:
        err_console.print(f"[bold red]error:[/] {e}", soft_wrap=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
