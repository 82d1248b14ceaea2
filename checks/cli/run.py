"""`gongkai run`: the main job in one command: load, check, write the results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from checks.cli.check import ConfigOption, FailOnOption, LenientOption, WaiversOption
from checks.cli.common import DEFAULT_DB, DbOption, JsonOption, QuietOption, WaitOption, app


@app.command()
def run(
    paths: Annotated[Optional[list[Path]], typer.Argument(
        help="Files or directories to load (as for `gongkai load`).", show_default=False)] = None,
    db: DbOption = DEFAULT_DB,
    wait: WaitOption = None,
    out: Annotated[Path, typer.Option(help="Folder for the results (findings, status, GX Data Docs).")] = Path(
        "data/out"),
    gx: Annotated[bool, typer.Option("--gx/--no-gx", help="Also validate with the GX suites and build Data Docs.")]
    = True,
    lenient: LenientOption = False,
    fail_on: FailOnOption = None,
    config: ConfigOption = None,
    waivers: WaiversOption = None,
    json_out: JsonOption = False,
    quiet: QuietOption = False,
    show_info: Annotated[bool, typer.Option(
        "--show-info", help="Also write info findings (blank cells, inexact sums) into the exports and the site.")]
    = False,
    keep_runs: Annotated[Optional[int], typer.Option(
        "--keep-runs", metavar="N", show_default=False,
        help="After the run, delete the findings of all but the newest N check runs (as `gongkai prune --keep N`). "
             "Default: GONGKAI_KEEP_RUNS, else keep every run.")] = None,
    workers: Annotated[Optional[int], typer.Option(
        help="Extract report files in partitions on a local Dask cluster of N worker processes (Prefect's "
             "DaskTaskRunner), then load them with one writer.", min=1, show_default=False)] = None,
    scheduler: Annotated[Optional[str], typer.Option(
        help="As --workers, on an existing Dask cluster (scheduler address, e.g. tcp://10.0.0.5:8786).",
        show_default=False)] = None,
) -> None:
    """Run the main job: load files or directories, check every current report, write the results.

    Writes findings.csv, findings.json and status.json into --out, and GX Data Docs into
    --out/gx-docs. --lenient, --fail-on, --config and --waivers work as for `gongkai check`.
    The summary lists the files not loaded, each with its reason. Exit codes as `gongkai check`:
    0 clean, 1 errors found or a file rejected (unreadable, not a regular file, too big …), 2 only
    warnings (with --fail-on warning), 3 the tool could not do its work (no input found, a storage
    fault, a damaged warehouse), 64 usage error.

    Examples:

        gongkai run data/samples --db data/demo/warehouse.duckdb --out data/demo

        gongkai run data/seeds --no-gx

        gongkai run data/inbox --fail-on warning --waivers data/waivers.yaml

        gongkai run data/gen/texts --workers 4
    """
    from checks import exports, pipeline, present

    if workers or scheduler:        # the Dask path (flows/distributed.py): Prefect starts only here
        from flows import distributed
        outcome = distributed.run([str(p) for p in paths or []], str(db), str(out), workers=workers,
                                  scheduler=scheduler, gx=gx, lenient=lenient, fail_on=fail_on,
                                  config=str(config) if config else None, waivers=str(waivers) if waivers else None,
                                  show_info=show_info, keep_runs=keep_runs)
    else:
        outcome = pipeline.run(paths or [], db, out, gx=gx, lenient=lenient, fail_on=fail_on, config=config,
                               waivers=waivers, show_info=show_info, keep_runs=keep_runs,
                               on_file=present.load_progress(quiet=quiet or json_out),
                               step=present.steps(quiet or json_out))
    if json_out:
        present.print_json(exports.run_document(outcome, show_info=show_info))
    elif not quiet:
        present.run(outcome)
    raise typer.Exit(outcome.exit_code)
