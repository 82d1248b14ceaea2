"""`gongkai check` and `gongkai rules`: the rule catalogue (checks.rules) run over the warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
import yaml
from rich.markup import escape

from checks.cli.common import DEFAULT_DB, DbOption, JsonOption, QuietOption, app, console, fail, print_json
from checks.errors import UserError

_SEV = {"error": "[bold red]ERROR  [/]", "warning": "[yellow]WARNING[/]", "info": "[dim]info   [/]"}
LenientOption = Annotated[bool, typer.Option(
    "--lenient", help="Count blank cells as 0 (no B-01 findings); every finding a blank took part in says so.")]
ConfigOption = Annotated[Optional[Path], typer.Option(
    "--config", help="YAML with severity overrides / disabled rules (default: \\[tool.gongkai] in ./pyproject.toml).")]


def _setup(config: Optional[Path]):
    from checks.rules.catalogue import load_catalogue
    from checks.rules.findings import configured_catalogue, load_config
    cfg = load_config(config)
    return cfg, configured_catalogue(load_catalogue(), cfg)


@app.command()
def check(
    db: DbOption = DEFAULT_DB,
    json_out: JsonOption = False,
    quiet: QuietOption = False,
    lenient: LenientOption = False,
    fail_on: Annotated[Optional[str], typer.Option(
        "--fail-on", help="error (default): exit 1 on errors; warning: also exit 2 when there are only warnings.")] = None,
    config: ConfigOption = None,
    waivers: Annotated[Optional[Path], typer.Option(
        "--waivers", help="Waivers YAML (default: waivers.yaml next to the warehouse, if present).")] = None,
    show_info: Annotated[bool, typer.Option("--show-info", help="Also list info findings (blank cells, …).")] = False,
    limit: Annotated[int, typer.Option(help="List at most this many findings (0: all); --json lists all.")] = 200,
) -> None:
    """Run every rule of the catalogue over every current report; record the findings as a new run.

    Each finding has a stable rule code, a severity, the agency, year and cell (item, column),
    expected and actual values and a message with the official labels and the arithmetic. Blank
    cells are never silently 0: in the default (strict) mode a sum with blanks is reported as
    inexact (info when it holds taken as 0, its own severity when it fails even so).

    Exit codes: 0 clean, 1 errors found, 2 only warnings (with --fail-on warning), 3 could not run.

    Examples:

        gongkai check

        gongkai check --db /tmp/w.duckdb --json > findings.json

        gongkai check --lenient --fail-on warning --waivers data/waivers.yaml
    """
    try:
        code = _check(db, json_out, quiet, lenient, fail_on, config, waivers, show_info, limit)
    except UserError as e:
        fail(str(e), e.exit_code)
        return
    raise typer.Exit(code)


def _check(db, json_out, quiet, lenient, fail_on, config, waivers, show_info, limit) -> int:
    from checks import pipeline, warehouse
    from checks.rules.findings import FINDING_COLUMNS

    res = pipeline.check_step(db, lenient=lenient, fail_on=fail_on, config=config, waivers=waivers)
    con = warehouse.connect(db, read_only=True)
    try:
        if json_out:
            cols = ", ".join(f'"{c}"' for c in FINDING_COLUMNS if c != "run_id")
            cur = con.execute(f"SELECT {cols} FROM findings WHERE run_id = ? ORDER BY agency, year, report_id, "
                              "CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, code, item, "
                              "\"column\"", [res.run_id])
            names = [d[0] for d in cur.description]
            findings = [dict(zip(names, row)) for row in cur.fetchall()]
            print_json({"run_id": res.run_id, "db": str(db), "reports": res.reports, "lenient": res.lenient,
                        "fail_on": res.fail_on, "config": res.config, "waivers": res.waivers,
                        "summary": {"error": res.errors, "warning": res.warnings, "info": res.infos,
                                    "waived": res.waived}, "exit_code": res.exit_code,
                        "findings": findings})
        elif not quiet:
            _print_findings(con, res, show_info, limit)
            _print_summary(res, db)
        return res.exit_code
    finally:
        con.close()


def _print_findings(con, res, show_info: bool, limit: int) -> None:
    sev = "('error', 'warning', 'info')" if show_info else "('error', 'warning')"
    lim = f"LIMIT {int(limit)}" if limit else ""
    rows = con.execute(f"""
        SELECT agency, year, template, source_file, severity, code, item, "column", source_line, message,
               waived, waiver_reason, exact, lenient
        FROM findings WHERE run_id = ? AND (severity IN {sev} OR waived)
        ORDER BY agency, year, report_id, CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,
                 code, item, "column" {lim}""", [res.run_id]).fetchall()
    current = None
    for (agency, year, template, src, severity, code, item, column, line, message, waived, reason,
         exact, lenient) in rows:
        if (agency, year) != current:
            current = (agency, year)
            console.print(f"\n[bold]{escape(str(agency))} {year}[/] [dim]({template}; {escape(str(src or ''))})[/]",
                          soft_wrap=True)
        where = item or ""
        if column and column != "value":
            where += f"@{column}"
        tag = _SEV.get(severity, severity)
        mark = f" [cyan](waived: {escape(str(reason))})[/]" if waived else ""
        loc = f" :{line}" if line else ""
        console.print(f"  {tag} {code:<5} {escape(where)}{loc}  {escape(str(message))}{mark}", soft_wrap=True)
    shown = len(rows)
    total = res.errors + res.warnings + res.waived + (res.infos if show_info else 0)
    if limit and shown >= limit and total > shown:
        console.print(f"\n[dim]… {total - shown} more (use --limit 0, or --json for everything)[/]")


def _print_summary(res, db: Path) -> None:
    mode = "lenient" if res.lenient else "strict"
    console.print(f"\n[bold]{res.reports}[/] report(s) checked ({mode}) → "
                  f"[bold red]{res.errors} error(s)[/], [yellow]{res.warnings} warning(s)[/], "
                  f"{res.infos} info, {res.waived} waived; run {res.run_id} in {db} "
                  f"({res.seconds:.1f} s)", soft_wrap=True)


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
    try:
        from checks.rules.catalogue import expand
        cfg, catalogue = _setup(config)
    except UserError as e:
        fail(str(e), e.exit_code)
        return
    counts: dict[str, int] = {}
    for inst in expand(catalogue, [r for r in catalogue.rules if r.family == "comparison"]):
        counts[inst.code] = counts.get(inst.code, 0) + 1
    if json_out:
        print_json([{**r.as_dict(), "instances": counts.get(r.code)} for r in catalogue.rules])
        return
    console.print(f"[bold]Rule catalogue[/] ({escape(catalogue.path)}; configuration: {escape(cfg.source)})",
                  soft_wrap=True)
    console.print(f"[bold]{'code':<6} {'name':<36} {'kind':<18} {'severity':<9} {'templates':<18} instances[/]",
                  soft_wrap=True)
    for r in catalogue.rules:
        sev = r.severity if r.enabled else "off"
        tpl = "all" if set(r.templates) == {"old", "v2019", "v2021"} else ",".join(r.templates)
        console.print(f"{r.code:<6} {r.name:<36} {r.kind:<18} {sev:<9} {tpl:<18} {counts.get(r.code, '')}",
                      soft_wrap=True, highlight=False)


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
    try:
        from checks.rules.catalogue import expand
        from checks.rules.sql import rule_sql
        _, catalogue = _setup(config)
        rule = catalogue.rule(code)
        sql = rule_sql(catalogue, rule.code, lenient=lenient)
    except UserError as e:
        fail(str(e), e.exit_code)
        return
    insts = expand(catalogue, [rule]) if rule.family == "comparison" else []
    if json_out:
        print_json({**rule.as_dict(), "instances": [
            {"id": i.iid, "template": i.template, "variant": i.variant or None, "item": i.anchor.item,
             "column": i.anchor.column, "lhs": [[t.cell.item, t.cell.column] for t in i.lhs],
             "rhs": [[t.cell.item, t.cell.column] for t in i.rhs], "message": i.msg_zh} for i in insts],
            "sql": sql})
        return
    console.print(f"[bold]{rule.code} {rule.name}[/] ({rule.kind}, {rule.severity}"
                  f"{'' if rule.enabled else ', switched off'})")
    console.print(escape(yaml.safe_dump(rule.as_dict(), allow_unicode=True, sort_keys=False, width=110)),
                  soft_wrap=True)
    if insts:
        console.print(f"[bold]{len(insts)} instance(s)[/], for example:")
        for i in insts[:3]:
            console.print(f"  #{i.iid} {i.template}{'/' + i.variant if i.variant else ''} "
                          f"{escape(i.anchor.item)}@{i.anchor.column}: {escape(i.msg_zh)}", soft_wrap=True)
    console.print("[bold]SQL[/] (self-contained; returns the rule's findings for every current report):")
    print(sql)
