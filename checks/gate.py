"""The gate: check new files on their own, against the history of the main warehouse, without touching it.

``gongkai gate`` (and the gate flow) call :func:`gate`. The files are loaded into a scratch
warehouse in a temporary folder; the other current reports of the main warehouse (attached
read-only) are then copied in, so that cross-year and peer rules see the history. The
catalogue runs once over the scratch warehouse; only the findings of the reports the files brought
(and of their quarantined rows and extraction issues) count. The main warehouse is opened
read-only and never written.

The exit code (:func:`checks.pipeline.gate_exit_code`): 0 pass; 1 errors, or any quarantined row,
or a file whose content cannot be read; 2 only warnings with ``fail_on="warning"``; a
:class:`~checks.errors.UserError` (exit 3) when the gate cannot work: no files, a path that does
not exist, no warehouse at a ``db`` that was named, a bad config or waivers file.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from checks import pipeline, warehouse
from checks.errors import UserError
from checks.formats import is_there

HISTORY_TABLES = ("reports", "cells", "narrative", "submissions")
"""What is copied from the main warehouse for the agencies the files bring (current reports only)."""


@dataclass
class GateOutcome:
    """What the gate found for the reports its files brought."""

    load: warehouse.LoadResult
    check: pipeline.CheckOutcome          # counts restricted to the gate's reports
    reports: list[dict] = field(default_factory=list)     # per agency and year: counts and rule codes
    findings: list[dict] = field(default_factory=list)    # errors, warnings and waived findings
    history: int = 0                      # reports of other years copied from the main warehouse
    main_db: str | None = None
    files: list[str] = field(default_factory=list)        # JUnit / Markdown written
    finding_set: object = None            # checks.exports.FindingSet of the gate's reports

    @property
    def quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.load.files)

    @property
    def unreadable(self) -> list:
        return [f for f in self.load.files if f.status == "error"]

    @property
    def exit_code(self) -> int:
        return pipeline.gate_exit_code(self.load, self.check.errors, self.check.warnings, self.check.fail_on)

    def as_dict(self) -> dict:
        """The one JSON shape (:func:`checks.exports.document`): run, summary, reports and findings of
        the gate's reports, with the gate's own keys beside them."""
        from checks import exports

        c = self.check
        return exports.document(
            self.finding_set, exit_code=self.exit_code,
            summary={"reports": c.reports, "error": c.errors, "warning": c.warnings, "info": c.infos,
                     "waived": c.waived, "quarantined": self.quarantined, "unreadable": len(self.unreadable)},
            main_db=self.main_db, history_reports=self.history, load=self.load.as_dict(), fail_on=c.fail_on,
            lenient=c.lenient, config=c.config, waivers=c.waivers, files=self.files)


def input_files(paths: list[str | Path]) -> list[Path]:
    """The files to check under ``paths``; a :class:`UserError` when none are given, a path does not
    exist, or nothing loadable is found."""
    if not paths:
        raise UserError("no files given: name the report or extracted-statistics files (or folders) to check")
    missing = [str(p) for p in paths if not is_there(p)]
    if missing:
        raise UserError(f"{missing[0]}: no such file or folder" + (f" (and {len(missing) - 1} more)"
                                                                    if len(missing) > 1 else ""))
    return pipeline.input_files(paths)


def main_warehouse(db: str | Path | None, named: bool) -> Path | None:
    """The main warehouse to take history from: ``db`` when it exists; ``None`` when it was not named
    and does not exist; a :class:`UserError` when it was named and is missing."""
    if db is None:
        return None
    db = Path(db)
    if db.is_file():
        return db
    if named or db.exists():
        raise UserError(f"{db}: no warehouse here (pass the main warehouse with --db, or leave --db out to "
                        f"check without history)")
    return None


def copy_history(scratch: Path, main: Path) -> int:
    """Copy into ``scratch`` the current reports of ``main`` (attached read-only), except those of an
    agency and year the new files bring (theirs replace them), with their cells, narrative counts and
    submissions; ids are shifted past the scratch's own. Every agency is copied, not only the new
    files' ones: cross-year rules match agencies by stable id and peer rules compare agencies of a
    region. Returns how many reports."""
    import duckdb

    con = warehouse.connect(scratch)
    try:
        try:
            con.execute("ATTACH '" + str(main).replace("'", "''") + "' AS gk_main (READ_ONLY)")
        except duckdb.Error as e:
            raise UserError(f"{main}: cannot open the main warehouse ({str(e).splitlines()[0]})") from None
        try:
            rep_off, sub_off = con.execute(
                "SELECT coalesce((SELECT max(report_id) FROM reports), 0), "
                "coalesce((SELECT max(submission_id) FROM submissions), 0)").fetchall()[0]
            con.execute("BEGIN TRANSACTION")
            con.execute("""
                CREATE TEMP TABLE gk_hist AS
                SELECT h.* FROM gk_main.reports h
                WHERE h.superseded_by IS NULL
                  AND (h.agency_key, h.year) NOT IN (SELECT agency_key, year FROM reports)""")
            shift_r, shift_s = f"report_id + {int(rep_off)} AS report_id", f"submission_id + {int(sub_off)}"
            con.execute(f"INSERT INTO reports BY NAME SELECT * REPLACE ({shift_r}, {shift_s} AS submission_id) "
                        "FROM gk_hist")
            for table in ("cells", "narrative"):
                con.execute(f"INSERT INTO {table} BY NAME SELECT * REPLACE ({shift_r}) FROM gk_main.{table} "
                            "WHERE report_id IN (SELECT report_id FROM gk_hist)")
            con.execute(f"INSERT INTO submissions BY NAME SELECT * REPLACE ({shift_s} AS submission_id) "
                        "FROM gk_main.submissions WHERE submission_id IN (SELECT submission_id FROM gk_hist)")
            n = con.execute("SELECT count(*) FROM gk_hist").fetchall()[0][0]
            con.execute("COMMIT")
        except duckdb.Error as e:
            raise UserError(f"{main}: not a gongkai warehouse ({str(e).splitlines()[0]})") from None
        return int(n)
    finally:
        con.close()


def _gate_findings(db: Path, run_id: str, first_history_id: int) -> tuple[dict, list[dict], list[dict]]:
    """(counts, per-report summary, findings to show) of a run, over the gate's own reports only."""
    from checks.rules.findings import FINDING_ORDER
    from checks.tables import FINDINGS

    mine = "(f.report_id IS NULL OR f.report_id < ?)"
    con = warehouse.connect(db, read_only=True)
    try:
        counts = {"error": 0, "warning": 0, "info": 0, "waived": 0}
        for sev, waived, n in con.execute(
                f"SELECT severity, waived, count(*) FROM findings f WHERE run_id = ? AND {mine} GROUP BY ALL",
                [run_id, first_history_id]).fetchall():
            counts["waived" if waived else sev] = counts.get("waived" if waived else sev, 0) + n
        cur = con.execute(f"""
            SELECT r.agency, r.year, r.template, coalesce(r.variant, '') AS variant, r.source_file,
                   count(f.code) FILTER (WHERE f.severity = 'error' AND NOT f.waived) AS errors,
                   count(f.code) FILTER (WHERE f.severity = 'warning' AND NOT f.waived) AS warnings,
                   count(f.code) FILTER (WHERE f.severity = 'info' AND NOT f.waived) AS infos,
                   count(f.code) FILTER (WHERE f.waived) AS waived,
                   string_agg(DISTINCT f.code, ' ' ORDER BY f.code)
                       FILTER (WHERE f.severity IN ('error', 'warning') AND NOT f.waived) AS codes
            FROM current_reports r LEFT JOIN findings f ON f.report_id = r.report_id AND f.run_id = ?
            WHERE r.report_id < ?
            GROUP BY ALL ORDER BY errors DESC, warnings DESC, r.agency, r.year""", [run_id, first_history_id])
        names = [d[0] for d in cur.description]
        reports = [dict(zip(names, row)) for row in cur.fetchall()]
        cur = con.execute(f"SELECT {FINDINGS.column_list(exclude=('run_id',))} FROM findings f "
                          f"WHERE run_id = ? AND {mine} AND (severity IN ('error', 'warning') OR waived) "
                          f"ORDER BY {FINDING_ORDER}", [run_id, first_history_id])
        return counts, reports, FINDINGS.records(cur)
    finally:
        con.close()


def gate(paths: list[str | Path], db: str | Path | None = None, *, db_named: bool = False,
         fail_on: str | None = None, lenient: bool = False, config: str | Path | None = None,
         waivers: str | Path | None = None, junit: str | Path | None = None,
         markdown: str | Path | None = None, on_file=None) -> GateOutcome:
    """Check the reports that ``paths`` bring, against the history in the main warehouse ``db``.

    ``db_named``: the caller named ``db`` (it must then exist); otherwise a missing ``db`` means
    no history. Configuration and waivers resolve as for ``gongkai check`` (waivers: ``waivers``,
    else the config's, else ``waivers.yaml`` next to ``db``). ``junit`` / ``markdown``: also write
    the result as JUnit XML / a Markdown summary there. Raises :class:`UserError` when it cannot work.
    """
    files = input_files(paths)
    main = main_warehouse(db, db_named)
    cfg, _, fail_on, lenient = pipeline._configured(config, fail_on, lenient)
    wpath = pipeline._waivers_path(waivers, cfg.waivers, Path(db) if db is not None else Path("."))
    with tempfile.TemporaryDirectory(prefix="gongkai-gate-") as tmp:
        scratch = Path(tmp) / "gate.duckdb"
        loaded = warehouse.load_paths(files, scratch, on_file=on_file)
        first_history_id = 1 + warehouse_max_report_id(scratch)
        history = copy_history(scratch, main) if main is not None else 0
        checked = pipeline.check_step(scratch, lenient=lenient, fail_on=fail_on, config=config, waivers=wpath)
        counts, reports, findings = _gate_findings(scratch, checked.run_id, first_history_id)
        outcome = pipeline.CheckOutcome(
            checked.run_id, len(reports), counts["error"], counts["warning"], counts["info"], counts["waived"],
            pipeline._exit(counts["error"], counts["warning"], checked.fail_on), checked.lenient, checked.fail_on,
            checked.config, checked.waivers, checked.seconds)
        result = GateOutcome(loaded, outcome, reports, findings, history, str(main) if main else None)
        result.finding_set = finding_set(scratch, result, reports)
    result.files = write_reports(result, junit=junit, markdown=markdown)
    return result


def finding_set(scratch: Path, result: GateOutcome, reports: list[dict]):
    """The gate's findings as a :class:`checks.exports.FindingSet` (for JUnit XML, Markdown, artifacts):
    the run's, restricted to the gate's reports, with the gate's counts."""
    from checks import exports

    fs = exports.collect(scratch, result.check.run_id)
    mine = {(r["agency"], r["year"]) for r in reports}
    history = {(r["agency"], r["year"]) for r in fs.reports} - mine
    c = result.check
    run = {**fs.run, "reports": len(reports), "errors": c.errors, "warnings": c.warnings, "infos": c.infos,
           "waived": c.waived, "previous_run": None, "db": result.main_db}
    return exports.FindingSet(run, tuple(r for r in fs.reports if (r["agency"], r["year"]) in mine),
                              tuple(f for f in fs.findings if (f["agency"], f["year"]) not in history),
                              fs.show_info, result.main_db or "", None)


def warehouse_max_report_id(db: Path) -> int:
    con = warehouse.connect(db, read_only=True)
    try:
        return int(con.execute("SELECT coalesce(max(report_id), 0) FROM reports").fetchall()[0][0])
    finally:
        con.close()


def write_reports(result: GateOutcome, *, junit: str | Path | None = None,
                  markdown: str | Path | None = None) -> list[str]:
    """Write the gate's result as JUnit XML and/or a Markdown summary (:mod:`checks.exports`)."""
    written = []
    if junit is None and markdown is None:
        return written
    from checks import exports

    fs, fail_on = result.finding_set, result.check.fail_on
    for path, render in ((junit, lambda: exports.junit_xml(fs, fail_on=fail_on, load=result.load)),
                         (markdown, lambda: markdown_report(result))):
        if path is None:
            continue
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(), encoding="utf-8")
        except OSError as e:
            raise UserError(f"{path}: cannot write ({e.strerror or e})") from None
        written.append(str(path))
    return written


def markdown_report(result: GateOutcome) -> str:
    """The gate's verdict in Markdown (CI step summary, Prefect artifact): PASS/FAIL, the files that
    could not be read or had rows quarantined, then :func:`checks.exports.markdown_summary`."""
    from checks import exports
    from checks.exports import md_escape

    code = result.exit_code
    verdict = "PASS" if code == 0 else "FAIL"
    lines = [f"## gongkai gate: {verdict} (exit {code})", ""]
    for f in result.load.files:
        if f.status == "error":
            lines.append(f"* could not read: {md_escape(f.message)}")
        elif f.rows_quarantined:
            lines.append(f"* {md_escape(f.file)}: {f.rows_quarantined} row(s) quarantined")
    history = (f"History: {result.history} report(s) from `{md_escape(result.main_db)}`."
               if result.main_db else "History: none (no main warehouse).")
    lines += ["", history, ""]
    return "\n".join(lines) + exports.markdown_summary(result.finding_set, lang="en")
