"""`gongkai check` and `gongkai rules`: the rule catalogue (checks.rules) run over the warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from checks.cli.common import DEFAULT_DB, DbOption, JsonOption, QuietOption, WaitOption, app
LenientOption = Annotated[bool, typer.Option(
    "--lenient", help="Count blank cells as 0 (no B-01 findings); every finding a blank took part in says so.")]
ConfigOption = Annotated[Optional[Path], typer.Option(
    "--config", help="YAML with severity overrides / disabled rules (default: [tool.gongkai] in ./pyproject.toml).")]
FAIL_ON = ("error", "warning")


def _fail_on(value: Optional[str]) -> Optional[str]:
    if value is not None and value not in FAIL_ON:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(FAIL_ON)}")
    return value


FailOnOption = Annotated[Optional[str], typer.Option(
    "--fail-on", callback=_fail_on, metavar="[error|warning]",
    help="error (default): exit 1 on errors; warning: also exit 2 when there are only warnings.")]
WaiversOption = Annotated[Optional[Path], typer.Option(
    "--waivers", help="Waivers YAML (default: waivers.yaml next to the warehouse, if present).")]


def _setup(config: Optional[Path]):
    from checks.rules.catalogue import load_catalogue
    from checks.rules.findings import configured_catalogue, load_config
    cfg = load_config(config)
    return cfg, configured_catalogue(load_catalogue(), cfg)


@app.command()
def check(
    db: DbOption = DEFAULT_DB,
    wait: WaitOption = None,
    json_out: JsonOption = False,
    quiet: QuietOption = False,
    lenient: LenientOption = False,
    fail_on: FailOnOption = None,
    config: ConfigOption = None,
    waivers: WaiversOption = None,
    show_info: Annotated[bool, typer.Option("--show-info", help="Also list info findings (blank cells, …).")] = False,
    limit: Annotated[int, typer.Option(help="List at most this many findings (0: all); --json lists all.")] = 200,
    backend: Annotated[str, typer.Option(
        "--backend", help="sql (default: records a run with messages), gx or pandera (second opinions: list the "
                          "failing rule instances they find, record nothing).")] = "sql",
) -> None:
    """Run every rule of the catalogue over every current report; record the findings as a new run.

    Each finding has a stable rule code, a severity, the agency, year and cell (item, column),
    expected and actual values and a message with the official labels and the arithmetic. Blank
    cells are never silently 0: in the default (strict) mode a sum with blanks is reported as
    inexact (info when it holds taken as 0, its own severity when it fails even so).

    Exit codes: 0 clean, 1 errors found, 2 only warnings (with --fail-on warning), 3 could not run,
    64 usage error (unknown option, bad value).

    Examples:

        gongkai check

        gongkai check --db /tmp/w.duckdb --json > findings.json

        gongkai check --lenient --fail-on warning --waivers data/waivers.yaml

        gongkai check --backend pandera
    """
    from checks import exports, pipeline, present

    with present.busy(f"check ({backend})", quiet=quiet or json_out):
        report = pipeline.check(db, backend=backend, lenient=lenient, fail_on=fail_on, config=config,
                                waivers=waivers, show_info=show_info or json_out, limit=0 if json_out else limit)
    if json_out:
        present.print_json(exports.check_document(report))
    elif not quiet:
        present.check(report, show_info=show_info, limit=limit)
    raise typer.Exit(report.outcome.exit_code)


# ------------------------------------------------------------------------------------- rules

rules_app = typer.Typer(help="The rule catalogue: list it, or show one rule with its generated SQL.\n\n"
                             "Example: gongkai rules show N-01",
                        invoke_without_command=True)
app.add_typer(rules_app, name="rules")


@rules_app.callback()
def rules(
    ctx: typer.Context,
    json_out: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """List the rule catalogue: code, name, kind, severity (after configuration), templates, instances.

    Examples:

        gongkai rules

        gongkai rules --json

        gongkai rules show O-15
    """
    if ctx.invoked_subcommand is not None:
        return
    from checks import present
    from checks.rules.catalogue import expand

    cfg, catalogue = _setup(config)
    counts: dict[str, int] = {}
    for inst in expand(catalogue, [r for r in catalogue.rules if r.family == "comparison"]):
        counts[inst.code] = counts.get(inst.code, 0) + 1
    if json_out:
        present.print_json([{**r.as_dict(), "instances": counts.get(r.code)} for r in catalogue.rules])
    else:
        present.rules_list(catalogue, cfg.source, counts)


@rules_app.command("show")
def rules_show(
    code: Annotated[str, typer.Argument(help="Rule code, e.g. N-01.")],
    lenient: LenientOption = False,
    config: ConfigOption = None,
    json_out: JsonOption = False,
) -> None:
    """Show one rule: its catalogue entry, its instances and the self-contained SQL it compiles to.

    The SQL runs as is on a warehouse (it reads current_reports and cells) and returns the rule's
    findings for every report.

    Examples:

        gongkai rules show N-01

        gongkai rules show O-15 --lenient
    """
    from checks import present
    from checks.rules.catalogue import expand
    from checks.rules.sql import rule_sql

    _, catalogue = _setup(config)
    rule = catalogue.rule(code)
    sql = rule_sql(catalogue, rule.code, lenient=lenient)
    insts = expand(catalogue, [rule]) if rule.family == "comparison" else []
    if json_out:
        present.print_json({**rule.as_dict(), "instances": [
            {"id": i.iid, "template": i.template, "variant": i.variant or None, "item": i.anchor.item,
             "column": i.anchor.column, "lhs": [[t.cell.item, t.cell.column] for t in i.lhs],
             "rhs": [[t.cell.item, t.cell.column] for t in i.rhs], "message": i.msg_zh} for i in insts],
            "sql": sql})
    else:
        present.rule_show(rule, insts, sql)
