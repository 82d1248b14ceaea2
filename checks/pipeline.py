"""The main job: :func:`run` (load → check → exports → Data Docs → status), and its steps.

``gongkai run``, the nightly flow and the gate flow all call :func:`run`; a flow passes a
``step`` wrapper that turns each step into a Prefect task, the command line runs them as they are.
Each step is one library call with plain arguments and a plain result. How the load's and the
check's exit codes combine is :func:`exit_code`, nowhere else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from checks import atomic, warehouse
from checks.errors import UserError
from checks.formats import is_folder, is_there


def input_files(paths: list[str | Path]) -> list[Path]:
    """The files to load under ``paths`` (files as given, folders searched); a
    :class:`~checks.errors.UserError` (exit 3) when there is nothing: no input is never "clean"."""
    if not paths:
        raise UserError("no input given: name the files or folders to load")
    files, _ = warehouse.expand(paths)
    if not files:
        names = ", ".join(str(p) for p in list(paths)[:3]) + (" …" if len(paths) > 3 else "")
        raise UserError(f"no input found in {names}: no report (.txt, .htm, .html) or extracted-statistics "
                        f"file (.csv, .jsonl, .parquet)")
    return files


def load_step(paths: list[str | Path], db: str | Path, *, agency: str | None = None, year: int | None = None,
              on_file: Callable | None = None) -> warehouse.LoadResult:
    """Extract (report files) and load everything under ``paths`` into the warehouse (see
    :func:`checks.warehouse.load_paths`); a :class:`~checks.errors.UserError` when there is no input."""
    input_files(paths)
    return warehouse.load_paths(paths, db, agency=agency, year=year, on_file=on_file)


def status_step(db: str | Path, out: str | Path | None = None) -> dict:
    """What the warehouse holds; written to ``out/status.json`` when ``out`` is given."""
    s = warehouse.status(db)
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        atomic.write_text(Path(out) / "status.json", json.dumps(s, ensure_ascii=False, indent=2, default=str) + "\n")
    return s


@dataclass
class CheckOutcome:
    """What a check run found, and the exit code it means (0 clean, 1 errors, 2 only warnings)."""

    run_id: str
    reports: int
    errors: int
    warnings: int
    infos: int
    waived: int
    exit_code: int
    lenient: bool
    fail_on: str
    config: str
    waivers: str | None
    seconds: float

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _waivers_path(explicit: str | Path | None, configured: str | None, db: Path) -> Path | None:
    if explicit is not None:
        return Path(explicit)
    if configured:
        return Path(configured)
    default = db.parent / "waivers.yaml"
    return default if default.is_file() else None


def _configured(config: str | Path | None, fail_on: str | None, lenient: bool):
    from checks.rules.catalogue import load_catalogue
    from checks.rules.findings import configured_catalogue, load_config

    cfg = load_config(config)
    catalogue = configured_catalogue(load_catalogue(), cfg)
    fail_on = fail_on or cfg.fail_on or "error"
    if fail_on not in ("error", "warning"):
        raise UserError(f"--fail-on must be error or warning, not {fail_on!r}")
    return cfg, catalogue, fail_on, lenient or bool(cfg.lenient)


def _exit(errors: int, warnings: int, fail_on: str) -> int:
    return 1 if errors else (2 if fail_on == "warning" and warnings else 0)


def check_step(db: str | Path, *, lenient: bool = False, fail_on: str | None = None,
               config: str | Path | None = None, waivers: str | Path | None = None) -> CheckOutcome:
    """Run the rule catalogue over every current report; one new run in ``findings``.

    ``config`` is a YAML with severity overrides and disabled rules (default: ``[tool.gongkai]``
    of ./pyproject.toml); ``waivers`` a waivers YAML (default: ``waivers.yaml`` next to the
    warehouse). Raises :class:`~checks.errors.UserError` when it cannot run.
    """
    import duckdb

    from checks.rules.findings import load_waivers
    from checks.rules.sql import run_check

    db = Path(db)
    cfg, catalogue, fail_on, lenient = _configured(config, fail_on, lenient)
    wpath = _waivers_path(waivers, cfg.waivers, db)
    wlist = load_waivers(wpath, catalogue) if wpath else []
    if not db.is_file():
        raise UserError(f"{db}: no warehouse here (run `gongkai load` first, or pass --db)")
    con = warehouse.connect(db)
    try:
        # the run enters the warehouse in one transaction at its end (run_check): a run killed or
        # failing halfway leaves no trace ("the latest run" is always whole)
        res = run_check(con, catalogue, lenient=lenient, waivers=wlist, config_source=cfg.source,
                        waivers_file=str(wpath) if wpath else None)
    except duckdb.Error as e:
        warehouse.rollback(con)
        if warehouse.is_storage_fault(e):
            raise warehouse.storage_error(db, e, "check") from None
        raise UserError(f"{db}: cannot check the warehouse ({str(e).splitlines()[0]})") from None
    except BaseException:
        warehouse.rollback(con)
        raise
    finally:
        con.close()
    return CheckOutcome(res.run_id, res.reports, res.errors, res.warnings, res.counts.get("info", 0), res.waived,
                        _exit(res.errors, res.warnings, fail_on), lenient, fail_on, cfg.source,
                        str(wpath) if wpath else None, res.seconds)


@dataclass
class CheckReport:
    """A check and the findings to show: ``findings`` are rows of :data:`checks.tables.FINDINGS`
    (without run_id) for the SQL backend, rows of :data:`checks.rules.backends.COLUMNS` for the others."""

    outcome: CheckOutcome
    findings: list[dict]
    backend: str = "sql"
    db: str = ""
    total: int = 0

    def as_dict(self) -> dict:
        o = self.outcome
        return {"run_id": o.run_id or None, "db": self.db, "backend": self.backend, "reports": o.reports,
                "lenient": o.lenient, "fail_on": o.fail_on, "config": o.config, "waivers": o.waivers,
                "summary": {"error": o.errors, "warning": o.warnings, "info": o.infos, "waived": o.waived},
                "exit_code": o.exit_code, "findings": self.findings}


def check(db: str | Path, *, backend: str = "sql", lenient: bool = False, fail_on: str | None = None,
          config: str | Path | None = None, waivers: str | Path | None = None, show_info: bool = True,
          limit: int = 0) -> CheckReport:
    """``gongkai check``: run the catalogue with one backend and return what to show.

    ``sql`` (default) records a new run (:func:`check_step`) and lists its findings (info ones only
    with ``show_info``; at most ``limit``, 0 = all). ``gx`` and ``pandera`` record nothing: they
    list the failing rule instances they find (:func:`checks.rules.backends.failures`).
    """
    import time

    from checks.rules import backends
    from checks.rules.findings import read_findings

    if limit < 0:
        raise UserError(f"--limit {limit}: must be 0 (all) or more", 64)
    if backend not in backends.BACKENDS:
        raise UserError(f"--backend must be one of {', '.join(backends.BACKENDS)}, not {backend!r}")
    if backend == "sql":
        out = check_step(db, lenient=lenient, fail_on=fail_on, config=config, waivers=waivers)
        con = warehouse.connect(db, read_only=True)
        try:
            rows, total = read_findings(con, out.run_id, info=show_info, limit=limit)
        finally:
            con.close()
        return CheckReport(out, rows, backend, str(db), total)
    t0 = time.perf_counter()
    cfg, catalogue, fail_on, lenient = _configured(config, fail_on, lenient)
    con = warehouse.connect(db, read_only=True)
    try:
        frame = backends.failures(con, backend, catalogue, lenient=lenient)
        n_reports = con.execute("SELECT count(*) FROM current_reports").fetchall()[0][0]
    finally:
        con.close()
    errors, warnings = int((frame["severity"] == "error").sum()), int((frame["severity"] == "warning").sum())
    out = CheckOutcome("", n_reports, errors, warnings, 0, 0, _exit(errors, warnings, fail_on), lenient, fail_on,
                       cfg.source, None, time.perf_counter() - t0)
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return CheckReport(out, rows[:limit] if limit else rows, backend, str(db), len(rows))


def summary_step(db: str | Path, run_id: str) -> list[dict]:
    """Per report of a check run: agency, year, template, its error/warning/info/waived counts, the rule
    codes of its errors and warnings and the worst of them (errors first, then by code)."""
    con = warehouse.connect(db, read_only=True)
    try:
        cur = con.execute("""
            SELECT r.agency, r.year, r.template, coalesce(r.variant, '') AS variant,
                   count(*) FILTER (WHERE f.severity = 'error' AND NOT f.waived) AS errors,
                   count(*) FILTER (WHERE f.severity = 'warning' AND NOT f.waived) AS warnings,
                   count(*) FILTER (WHERE f.severity = 'info' AND NOT f.waived) AS infos,
                   count(*) FILTER (WHERE f.waived) AS waived,
                   string_agg(DISTINCT f.code, ' ' ORDER BY f.code)
                       FILTER (WHERE f.severity IN ('error', 'warning') AND NOT f.waived) AS codes,
                   substr(min(CASE f.severity WHEN 'error' THEN '0' ELSE '1' END || f.code)
                       FILTER (WHERE f.severity IN ('error', 'warning') AND NOT f.waived), 2) AS worst
            FROM current_reports r LEFT JOIN findings f ON f.report_id = r.report_id AND f.run_id = ?
            GROUP BY ALL ORDER BY errors DESC, warnings DESC, r.agency, r.year""", [run_id])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]
    finally:
        con.close()


def export_step(db: str | Path, run_id: str, out: str | Path, *, show_info: bool = False,
                load: warehouse.LoadResult | None = None) -> list[Path]:
    """Write the findings of a run into ``out`` (:func:`checks.exports.write_all`): findings.csv (UTF-8
    with BOM), findings.xlsx, findings.json, junit.xml and summary.md; info findings only with ``show_info``;
    ``load``: the files not loaded or with quarantined rows become failing JUnit cases."""
    from checks import exports

    fs = exports.collect(db, run_id, show_info=show_info)
    return exports.write_all(fs, out, report=str(Path(out) / "site" / "index.html"), load=load)


def retention_step(db: str | Path, keep_runs: int) -> dict:
    """Automatic retention at the end of a run: keep the findings of the newest ``keep_runs`` check
    runs (:func:`checks.retention.prune`)."""
    from checks.retention import prune

    return prune(db, keep_runs).as_dict()


def site_step(db: str | Path, run_id: str, out: str | Path, *, lang: str = "zh", show_info: bool = False) -> dict:
    """Build (or update) the audit site of a run in ``out/site`` (:func:`checks.site.build_site`)."""
    from checks.site import build_site

    return build_site(db, Path(out) / "site", run_id=run_id, lang=lang, show_info=show_info).as_dict()


def gx_step(db: str | Path, out: str | Path) -> dict:
    """Validate the warehouse with the GX suites and build GX Data Docs in ``out/gx-docs``."""
    from checks import gx

    res = gx.validate_warehouse(db, docs_dir=Path(out) / "gx-docs")
    return {"success": res.success, "evaluated": res.evaluated, "expectations": res.expectations,
            "failing": len(res.failures), "docs": str(res.docs_index)}


def exit_code(load_code: int, check_code: int, rejected: bool = False) -> int:
    """The main job's exit code: 3 when the tool failed on a file, 1 when a file was rejected
    (``rejected``: unreadable, not a regular file, too big …), else the check's (0 clean, 1 errors,
    2 only warnings with ``fail_on="warning"``). Rows quarantined at load are findings (Q-01) of the check."""
    return 3 if load_code == 3 else (1 if rejected else check_code)


def gate_exit_code(load: warehouse.LoadResult, errors: int, warnings: int, fail_on: str) -> int:
    """The gate's exit code (:mod:`checks.gate`): stricter than the main job's, since what it checks is
    about to enter the warehouse: 1 for errors, *any* quarantined row or a file whose content cannot be
    read; 2 only warnings with ``fail_on="warning"``; else 0."""
    if errors or load.exit_code in (1, 3):
        return 1
    return _exit(0, warnings, fail_on)


@dataclass
class GXOutcome:
    """``gongkai expectations validate``: the GX result, its failures counted by (configured) severity."""

    result: Any
    errors: int
    warnings: int
    fail_on: str

    @property
    def exit_code(self) -> int:
        return _exit(self.errors, self.warnings, self.fail_on)


def validate_expectations(db: str | Path, *, lenient: bool = False, fail_on: str | None = None,
                          config: str | Path | None = None, docs: str | Path | None = None) -> GXOutcome:
    """Run the GX suites over the warehouse; failing rule instances count by their rule's severity
    (after configuration; switched-off rules do not count), so the exit code follows ``gongkai check``."""
    from checks import gx

    _, catalogue, fail_on, lenient = _configured(config, fail_on, lenient)
    res = gx.validate_warehouse(db, lenient=lenient, docs_dir=Path(docs) if docs else None)
    severity = {r.code: (r.severity if r.enabled else "off") for r in catalogue.rules}
    sev = [severity.get(c, "error") for c in res.failures["code"]] if len(res.failures) else []
    return GXOutcome(res, sev.count("error"), sev.count("warning"), fail_on)


@dataclass
class RunOutcome:
    """What the main job did: the load, the check, the files written, GX, the warehouse status."""

    load: warehouse.LoadResult
    check: CheckOutcome
    status: dict
    reports: list[dict] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    gx: dict | None = None
    db: str = ""
    site: dict | None = None
    pruned: dict | None = None           # automatic retention (keep_runs): checks.retention.PruneResult

    @property
    def exit_code(self) -> int:
        return exit_code(self.load.exit_code, self.check.exit_code, bool(self.load.rejected))

    def as_dict(self) -> dict:
        return {"load": self.load.as_dict(), "check": self.check.as_dict(), "gx": self.gx,
                "reports": self.reports, "status": self.status, "files": [str(p) for p in self.files],
                "db": self.db, "site": self.site, "pruned": self.pruned, "exit_code": self.exit_code}


def _direct(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    return fn(*args, **kwargs)


def run(paths: list[str | Path], db: str | Path, out: str | Path | None = None, *, gx: bool = True,
        lenient: bool = False, fail_on: str | None = None, config: str | Path | None = None,
        waivers: str | Path | None = None, on_file: Callable | None = None, show_info: bool = False,
        step: Callable = _direct, allow_empty: bool = False,
        preloaded: warehouse.LoadResult | None = None, keep_runs: int | None = None) -> RunOutcome:
    """The main job: load ``paths`` into ``db``, check every current report, and, when ``out`` is
    given, write the exports there (findings.csv/.xlsx/.json, junit.xml, summary.md: info findings only
    with ``show_info``), status.json, (``gx``) GX Data Docs into ``out/gx-docs`` and the audit site
    into ``out/site``.

    ``on_file(FileResult)`` is called after each file is loaded (progress). ``step(fn, *args,
    **kwargs)`` runs each step (default: a plain call; the Prefect flows pass one that makes it a
    task). Raises :class:`~checks.errors.UserError` when the check cannot run (bad config, bad
    waivers); an unreadable input file is not an exception: it makes the exit code 3. No input is
    a UserError, unless ``allow_empty`` (the nightly flow when nothing new arrived: the warehouse is
    checked as it is).

    ``keep_runs``: after the run, delete the findings of all but the newest ``keep_runs`` check runs
    (default: the environment variable ``GONGKAI_KEEP_RUNS``, else ``keep_runs`` of the configuration
    (``[tool.gongkai]`` or ``config``); unset: keep every run).

    ``preloaded``: the load, already done elsewhere (the Dask path, :mod:`flows.distributed`:
    partitions extracted on Dask workers, loaded by one writer); ``paths`` are then not loaded again.
    """
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise UserError(f"--out {out}: a file is there; the results go into a folder (give a folder name)", 64)
    keep_runs = keep_runs if keep_runs is not None else _keep_runs_env()
    if keep_runs is None:
        from checks.rules.findings import load_config
        keep_runs = load_config(config).keep_runs
    if keep_runs is not None and keep_runs < 1:
        raise UserError(f"--keep-runs {keep_runs}: must be 1 or more", 64)
    if preloaded is not None:
        loaded = preloaded
    else:
        loaded = step(load_step, paths, db, on_file=on_file) if paths or not allow_empty else warehouse.LoadResult()
    checked = step(check_step, db, lenient=lenient, fail_on=fail_on, config=config, waivers=waivers)
    files: list[Path] = []
    docs = site = None
    if out is not None:
        files = step(export_step, db, checked.run_id, out, show_info=show_info, load=loaded)
        if gx:
            docs = step(gx_step, db, out)
        site = step(site_step, db, checked.run_id, out, show_info=show_info)
        files.append(Path(site["index"]))
    status = step(status_step, db, out)
    if out is not None:
        files.append(Path(out) / "status.json")
    reports = step(summary_step, db, checked.run_id)
    pruned = step(retention_step, db, keep_runs) if keep_runs else None
    return RunOutcome(loaded, checked, status, reports, files, docs, str(db), site, pruned)


KEEP_RUNS_ENV = "GONGKAI_KEEP_RUNS"


def _keep_runs_env() -> int | None:
    import os

    value = os.environ.get(KEEP_RUNS_ENV, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise UserError(f"{KEEP_RUNS_ENV}={value!r}: expected a number of check runs to keep, 1 or more")
    return int(value)


# ------------------------------------------------------------------------------------ the inbox

@dataclass
class Inbox:
    """What an inbox folder holds: ``new`` files to process, files ``seen`` before (same sha256, skipped),
    files of other types (``other``), and the ledger where processed files are recorded."""

    folder: str
    ledger: str
    new: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)
    sha256: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"folder": self.folder, "ledger": self.ledger, "new": self.new, "seen": self.seen,
                "other": self.other}


def ledger_path(db: str | Path) -> Path:
    """Where the nightly flow records the inbox files it processed: next to the warehouse."""
    db = Path(db)
    return db.with_name(db.stem + ".inbox.jsonl")


def _ledger(path: Path) -> dict[str, dict]:
    done: dict[str, dict] = {}
    if not path.is_file():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("status") in ("loaded", "unchanged"):
            done[entry.get("sha256")] = entry
    return done


def inbox_step(inbox: str | Path, db: str | Path) -> Inbox:
    """Scan the inbox folder: report texts and extracted-statistics files (recursively) whose sha256
    the ledger (:func:`ledger_path`) does not list as processed are ``new``; a file that failed before
    is tried again. Nothing is moved or deleted. A missing inbox, or one holding no input file at all,
    is a :class:`~checks.errors.UserError`."""
    folder = Path(inbox)
    if not is_folder(folder):
        raise UserError(f"{folder}: no inbox folder here" + (" (it is a file)" if is_there(folder) else ""))
    files, other = warehouse.expand([folder])
    if not files:
        raise UserError(f"no input found in the inbox {folder}: no report (.txt, .htm, .html) or "
                        f"extracted-statistics file (.csv, .jsonl, .parquet)")
    ledger = ledger_path(db)
    done = _ledger(ledger)
    box = Inbox(str(folder), str(ledger), other=other)
    for f in files:
        try:
            sha = warehouse._sha256(f)
        except OSError:
            sha = ""                 # unreadable: the load names the problem
        box.sha256[str(f)] = sha
        (box.seen if sha and sha in done else box.new).append(str(f))
    return box


def record_step(box: Inbox, loaded: warehouse.LoadResult) -> int:
    """Append one line per file tried to the inbox ledger (sha256, file, status, message, time);
    returns how many files were recorded as processed."""
    import datetime as dt

    ledger = Path(box.ledger)
    ledger.parent.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now().isoformat(timespec="seconds")
    with open(ledger, "a", encoding="utf-8") as f:
        for r in loaded.files:
            f.write(json.dumps({"sha256": box.sha256.get(r.file, ""), "file": r.file, "status": r.status,
                                "message": r.message, "at": now}, ensure_ascii=False) + "\n")
    return sum(r.status != "error" for r in loaded.files)


def agency_table(reports: list[dict]) -> list[dict]:
    """Per agency: reports, errors, warnings (the nightly flow's table artifact), worst first."""
    by: dict[str, dict] = {}
    for r in reports:
        a = by.setdefault(r["agency"], {"agency": r["agency"], "reports": 0, "errors": 0, "warnings": 0, "years": []})
        a["reports"] += 1
        a["errors"] += int(r.get("errors") or 0)
        a["warnings"] += int(r.get("warnings") or 0)
        a["years"].append(r["year"])
    rows = [{**a, "years": " ".join(str(y) for y in sorted(a["years"]))} for a in by.values()]
    return sorted(rows, key=lambda a: (-a["errors"], -a["warnings"], a["agency"]))


def nightly_summary(outcome: "RunOutcome", box: Inbox) -> str:
    """The nightly run in Markdown: the inbox (new, skipped, failed files), then the check's summary
    (:func:`checks.exports.markdown_summary`)."""
    from checks import exports
    from checks.exports import md_escape

    failed = [r for r in outcome.load.files if r.status == "error"]
    lines = ["## Nightly inbox", "",
             f"Inbox `{md_escape(box.folder)}`: {len(box.new)} new file(s), {len(box.seen)} already processed "
             f"(skipped), {len(failed)} could not be read; exit code {outcome.exit_code}.", ""]
    for r in failed:
        lines.append(f"* could not read: {md_escape(r.message)}")
    if failed:
        lines.append("")
    fs = exports.collect(outcome.db, outcome.check.run_id)
    html = next((str(p) for p in outcome.files if str(p).endswith(".html")), None)
    return "\n".join(lines) + "\n" + exports.markdown_summary(fs, lang="en", report=html)
