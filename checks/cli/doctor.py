"""`gongkai doctor`: is the warehouse sound (checks.doctor)?"""

from __future__ import annotations

from typing import Annotated

import typer

from checks.cli.common import DEFAULT_DB, DbOption, JsonOption, QuietOption, WaitOption, app


@app.command()
def doctor(
    db: DbOption = DEFAULT_DB,
    no_hashes: Annotated[bool, typer.Option("--no-hashes", help="Do not re-hash the submitted files.")] = False,
    wait: WaitOption = None,
    json_out: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Check that the warehouse is sound and nothing was lost.

    Every block can be read; every cell belongs to a report and every report to a submission;
    each report holds all its cells; superseded chains are acyclic with one current report per
    agency and year; no partial check run is visible; the submitted files that are still present
    have the SHA-256 stored when they were loaded.

    Exit codes: 0 sound, 1 a check failed, 3 the warehouse cannot be opened or read.

    Examples:

        gongkai doctor

        gongkai doctor --db /tmp/w.duckdb --json
    """
    from checks import doctor as doc
    from checks import present

    diag = doc.diagnose(db, hashes=not no_hashes)
    if json_out:
        present.print_json(diag.as_dict())
    elif not quiet:
        present.lines([f"{'ok  ' if c.ok else 'FAIL'} {c.name}" + (f" ({c.detail})" if c.detail else "")
                       + ("" if c.ok else f": {c.problems} problem(s)") for c in diag.checks])
        for c in diag.checks:
            present.lines([f"     {c.name}: {e}" for e in c.examples])
        counts = ", ".join(f"{v} {k}" for k, v in diag.counts.items())
        present.lines([f"{db}: {'sound' if diag.sound else 'NOT SOUND'} ({counts})"])
    raise typer.Exit(diag.exit_code)
