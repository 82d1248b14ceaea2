"""The presentation layer: everything ``gongkai`` prints goes through here.

The library computes and returns plain results (dataclasses, dicts, frames); the CLI commands parse
options, call one library function and hand its result to one function of this module, which
prints rich text, tables or JSON. Errors are one line on stderr (:func:`error`). Nothing else in
the package prints.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape as _markup_escape

from checks.inert import json_dumps, reveal

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

_SEV = {"error": "[bold red]ERROR  [/]", "warning": "[yellow]WARNING[/]", "info": "[dim]info   [/]"}
_MARK = {"loaded": "[green]✓[/]", "unchanged": "[cyan]=[/]", "error": "[bold red]✗[/]"}


def escape(text) -> str:
    """Untrusted text for the console: invisible and reordering characters shown as ``‹U+202E›``
    (:func:`checks.inert.reveal`, the rule every output follows), rich markup printed literally."""
    return _markup_escape(reveal(str(text)))


def _say(text: str, **kw) -> None:
    console.print(text, soft_wrap=True, **kw)


def print_json(data: Any) -> None:
    """JSON on stdout, UTF-8, Chinese kept readable."""
    sys.stdout.write(json_dumps(data, indent=2) + "\n")


def error(message: str) -> None:
    """One line on stderr: how every user error is shown."""
    err_console.print(f"[bold red]error:[/] {escape(str(message))}", soft_wrap=True)


def _cell(item, column) -> str:
    from checks.templates import cell_code
    return cell_code(item or "", column) if item else ""


# ------------------------------------------------------------------------------- load / status

LINES_BEFORE_BAR = 30
"""A load prints one line per file for the first files, then only problems and a progress bar."""


def load_progress(quiet: bool = False, total: int | None = None):
    """A callback for :func:`checks.warehouse.load_paths`: one line per file for the first
    :data:`LINES_BEFORE_BAR` files, then a rich progress bar (on a terminal) and only the files with
    problems; errors always, on stderr. ``total``: how many files to expect (for the bar)."""
    state = {"n": 0, "bar": None, "task": None}

    def on_file(r) -> None:
        state["n"] += 1
        if r.status == "error":
            err_console.print(f"{_MARK['error']} {escape(r.message)}", soft_wrap=True)
        elif not quiet and (state["n"] <= LINES_BEFORE_BAR or r.rows_quarantined):
            _say(f"{_MARK[r.status]} {escape(r.file)}: {escape(r.message)}")
            for reason, n in r.reasons.most_common():
                console.print(f"    quarantined {n} × {escape(reason)}")
        elif not quiet and state["n"] == LINES_BEFORE_BAR + 1:
            _say("[dim]… further files: only problems are listed[/]")
        if not quiet and console.is_terminal and state["n"] > LINES_BEFORE_BAR:
            if state["bar"] is None:
                from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
                state["bar"] = Progress(TextColumn("load"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                        console=console, transient=True)
                state["task"] = state["bar"].add_task("load", total=total, completed=state["n"] - 1)
                state["bar"].start()
            state["bar"].update(state["task"], advance=1)
            if total and state["n"] >= total:
                state["bar"].stop()
    return on_file


def file_progress(label: str, quiet: bool = False):
    """A callback ``on_file(path, error, done, total)`` for :func:`checks.extract.extract_paths`: a rich
    progress bar (label, bar, files done of total, time, the file in hand) on a terminal; nothing when
    ``quiet`` (also --json) or not a terminal. The bar disappears when the last file is done."""
    state: dict = {"bar": None, "task": None}

    def on_file(path, error, done: int, total: int) -> None:
        if quiet or not console.is_terminal:
            return
        if state["bar"] is None:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
            state["bar"] = Progress(TextColumn(escape(label)), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                    TextColumn("{task.fields[file]}"), console=console, transient=True)
            state["task"] = state["bar"].add_task(label, total=total, file="")
            state["bar"].start()
        state["bar"].update(state["task"], completed=done, file=escape(Path(str(path)).name))
        if done >= total:
            state["bar"].stop()
    return on_file


def busy(label: str, quiet: bool = False):
    """A context manager: a spinner with ``label`` while a long library call runs (terminal only)."""
    import contextlib

    if quiet or not console.is_terminal:
        return contextlib.nullcontext()
    return console.status(f"{escape(label)} …")


def steps(quiet: bool = False):
    """A ``step`` wrapper for :func:`checks.pipeline.run`: a spinner naming the step (check, exports,
    site, GX) while it runs, on a terminal only."""
    names = {"check_step": "check", "export_step": "exports", "site_step": "site", "gx_step": "GX Data Docs",
             "status_step": "status", "summary_step": "summary"}

    def step(fn, *args, **kwargs):
        name = names.get(getattr(fn, "__name__", ""), None)
        if quiet or name is None or not console.is_terminal:
            return fn(*args, **kwargs)
        with console.status(f"{name} …"):
            return fn(*args, **kwargs)
    return step


def load_summary(result, db) -> None:
    """The line after a load: files loaded, unchanged, unreadable, rows quarantined."""
    loaded = sum(f.status == "loaded" for f in result.files)
    broken = sum(f.status == "error" for f in result.files)
    quarantined = sum(f.rows_quarantined for f in result.files)
    _say(f"{loaded} file(s) loaded, {len(result.files) - loaded - broken} unchanged, "
         f"{broken} not loaded, {quarantined} row(s) quarantined → {escape(str(db))}")
    _not_loaded(result)


def _not_loaded(result, limit: int = 20) -> None:
    """The files a load did not take, each with its reason (``file:line: problem``), at most ``limit``;
    then the files skipped as being of other types."""
    rejected = [f for f in result.files if f.status == "error"]
    for f in rejected[:limit]:
        _say(f"  [red]not loaded:[/] {escape(f.message or f.file)}")
    if len(rejected) > limit:
        _say(f"  [red]not loaded:[/] … and {len(rejected) - limit} more (gongkai load --json lists them all)")
    if result.skipped:
        console.print(f"[dim]  skipped {len(result.skipped)} file(s) of other types: "
                      f"{escape(', '.join(Path(s).name for s in result.skipped[:5]))}"
                      f"{' …' if len(result.skipped) > 5 else ''}[/]")


def status(s: dict) -> None:
    """What the warehouse holds (:func:`checks.warehouse.status`)."""
    from rich.table import Table

    _say(f"[bold]{escape(s['db'])}[/]: {s['reports']} current report(s) of {s['agencies']} agencies, "
         f"{s['cells']} cells; {s['reports_superseded']} superseded; {s['submissions']} submission(s); "
         f"{s['quarantined']} row(s) in quarantine; last load {s['last_load'] or 'never'}")
    t = Table("template", "reports", "agencies", "years", title="By template", title_justify="left")
    for r in s["templates"]:
        t.add_row(r["template"], str(r["reports"]), str(r["agencies"]), f"{r['first_year']}–{r['last_year']}")
    console.print(t)
    if s["years"]:
        console.print("By year: " + ", ".join(f"{y['year']}: {y['reports']}" for y in s["years"]))
    if s["quarantine_reasons"]:
        q = Table("reason", "rows", title="Quarantine", title_justify="left")
        for r in s["quarantine_reasons"]:
            q.add_row(escape(r["reason"]), str(r["rows"]))
        console.print(q)


# ---------------------------------------------------------------------------------------- check

def check(report, *, show_info: bool, limit: int) -> None:
    """Findings grouped by report, then the summary line (:func:`checks.pipeline.check`)."""
    res = report.outcome
    current = None
    for f in report.findings:
        if (f["agency"], f["year"]) != current:
            current = (f["agency"], f["year"])
            what = f" [dim]({f.get('template')}; {escape(str(f.get('source_file') or ''))})[/]" \
                if "template" in f else ""
            _say(f"\n[bold]{escape(str(f['agency']))} {f['year']}[/]{what}")
        mark = f" [cyan](waived: {escape(str(f['waiver_reason']))})[/]" if f.get("waived") else ""
        loc = f" :{f['source_line']}" if f.get("source_line") else ""
        msg = f"  {escape(str(f['message']))}" if "message" in f else ""
        _say(f"  {_SEV.get(f['severity'], f['severity'])} {f['code']:<5} "
             f"{escape(_cell(f['item'], f['column']))}{loc}{msg}{mark}")
    shown = len(report.findings)
    if limit and shown >= limit and report.total > shown:
        console.print(f"\n[dim]… {report.total - shown} more (use --limit 0, or --json for everything)[/]")
    mode = "lenient" if res.lenient else "strict"
    where = f"run {res.run_id} in {report.db}" if res.run_id else f"{report.backend} backend, nothing recorded"
    _say(f"\n[bold]{res.reports}[/] report(s) checked ({mode}) → "
         f"[bold red]{res.errors} error(s)[/], [yellow]{res.warnings} warning(s)[/], "
         f"{res.infos} info, {res.waived} waived; {where} ({res.seconds:.1f} s)")


def rules_list(catalogue, source: str, counts: dict[str, int]) -> None:
    """The catalogue as a table: code, name, kind, severity, templates, instances."""
    _say(f"[bold]Rule catalogue[/] ({escape(catalogue.path)}; configuration: {escape(source)})")
    _say(f"[bold]{'code':<6} {'name':<36} {'kind':<18} {'severity':<9} {'templates':<18} instances[/]")
    for r in catalogue.rules:
        sev = r.severity if r.enabled else "off"
        tpl = "all" if set(r.templates) == {"old", "v2019", "v2021"} else ",".join(r.templates)
        _say(f"{r.code:<6} {r.name:<36} {r.kind:<18} {sev:<9} {tpl:<18} {counts.get(r.code, '')}", highlight=False)


def rule_show(rule, instances: list, sql: str) -> None:
    """One rule: its catalogue entry, a few instances, its SQL."""
    import yaml

    console.print(f"[bold]{rule.code} {rule.name}[/] ({rule.kind}, {rule.severity}"
                  f"{'' if rule.enabled else ', switched off'})")
    _say(escape(yaml.safe_dump(rule.as_dict(), allow_unicode=True, sort_keys=False, width=110)))
    if instances:
        console.print(f"[bold]{len(instances)} instance(s)[/], for example:")
        for i in instances[:3]:
            _say(f"  #{i.iid} {i.template}{'/' + i.variant if i.variant else ''} "
                 f"{escape(i.anchor.item)}@{i.anchor.column}: {escape(i.msg_zh)}")
    console.print("[bold]SQL[/] (self-contained; returns the rule's findings for every current report):")
    sys.stdout.write(sql + "\n")


# ------------------------------------------------------------------------------------------- GX

def lines(texts: list) -> None:
    """Plain lines (file names written, stale suites)."""
    for t in texts:
        _say(escape(str(t)))


def gx_result(res) -> None:
    """A GX validation: counts, failing rows, where the Data Docs are."""
    from rich.table import Table

    _say(f"GX: {res.expectations} expectations over {res.evaluated} rule instances: {len(res.failures)} failing")
    if len(res.failures):
        t = Table("agency", "year", "rule", "item", "column", "lhs", "rhs")
        for r in res.failures.itertuples(index=False):
            t.add_row(escape(str(r.agency)), str(r.year), r.code, r.item, r.column,
                      f"{r.lhs:g}" if r.lhs == r.lhs else "", f"{r.rhs:g}")
        console.print(t)
    if res.docs_index:
        _say(f"Data Docs: {res.docs_index}")


# -------------------------------------------------------------------------------------- extract

def extraction(ext, written: list[Path], shown: int = 6) -> None:
    """Per report: template, cells, layout and its first issues; then the totals and the files written."""
    reports = ext.reports
    by_file = {f: g for f, g in ext.issues.groupby("source_file", sort=False)} if len(ext.issues) else {}
    for r in reports.itertuples():
        mark = "[bold red]✗[/]" if r.errors else ("[yellow]![/]" if r.warnings else "[green]✓[/]")
        what = f"{r.template or '?'}{'/' + r.variant if r.variant else ''}"
        _say(f"{mark} {escape(str(r.source_file))}: {escape(str(r.agency or '(agency?)'))} {r.year or '(year?)'} "
             f"{what}, {r.cells} cells ({r.layout or 'no table'})")
        g = by_file.get(r.source_file)
        if g is not None:
            problems = g[g["severity"] != "info"]
            for i in problems.head(shown).itertuples():
                _say(f"    {i.code} {i.severity}: {reveal(i.message)}", markup=False)
            if len(problems) > shown:
                _say(f"    … {len(problems) - shown} more in {written[2]}", markup=False)
    _say(f"{len(reports)} report(s), {ext.n_cells} cells, {ext.n_narrative} narrative counts, "
         f"{len(ext.issues)} issue(s) → {', '.join(str(p) for p in written)}", markup=False)


def unreadable(errors: list) -> None:
    """Files that could not be read, one line each on stderr."""
    for e in errors:
        err_console.print(f"[bold red]✗[/] {escape(str(e))}", soft_wrap=True, highlight=False)


# ------------------------------------------------------------------------------------------ run

SUMMARY_LIMIT = 20


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal cells (a Chinese character is two), cut with … if longer."""
    from rich.cells import cell_len, set_cell_size

    return set_cell_size(text, width) if cell_len(text) > width else text + " " * (width - cell_len(text))


def agency_summary(reports: list[dict], *, limit: int = SUMMARY_LIMIT, full_report: str | None = None,
                   show_clean: bool = False) -> list[str]:
    """Plain lines (no markup): one per agency and year with errors or warnings, most severe first —
    errors, warnings, worst rule — at most ``limit`` and "and N more", then where the full report is.
    Columns align on the terminal cell width, so Chinese names line up."""
    from rich.cells import cell_len

    rows = [dict(r, agency=reveal(str(r["agency"]))) for r in reports if show_clean or r["errors"] or r["warnings"]]
    rows.sort(key=lambda r: (-r["errors"], -r["warnings"], r["agency"], r["year"]))
    shown = rows[:limit] if limit else rows
    aw = min(max([cell_len("agency")] + [cell_len(r["agency"]) for r in shown]), 40)
    lines = [f"{_pad('agency', aw)}  year  errors  warnings  worst"]
    for r in shown:
        lines.append(f"{_pad(r['agency'], aw)}  {r['year']:>4}  {r['errors']:>6}  {r['warnings']:>8}  "
                     f"{r.get('worst') or ''}")
    if not rows:
        lines.append("(no errors or warnings)")
    if len(rows) > len(shown):
        lines.append(f"… and {len(rows) - len(shown)} more")
    if full_report:
        lines.append(f"full report: {full_report}")
    return lines


def run(outcome) -> None:
    """The main job's summary: one line per agency-year with errors or warnings (capped), totals, GX,
    where the results are."""
    site = (outcome.site or {}).get("index") if getattr(outcome, "site", None) else None
    for line in agency_summary(outcome.reports, full_report=site):
        _say(escape(line))
    s, c = outcome.status, outcome.check
    load = outcome.load
    loaded = sum(f.status == "loaded" for f in load.files)
    rejected = sum(f.status == "error" for f in load.files)
    _say(f"\nfiles: {loaded} loaded, {len(load.files) - loaded - rejected} unchanged, "
         f"{'[bold red]' if rejected else ''}{rejected} not loaded{'[/]' if rejected else ''}, "
         f"{len(load.skipped)} skipped (other types)")
    _not_loaded(load)
    _say(f"{s['reports']} report(s), {s['cells']} cells, {s['quarantined']} quarantined row(s); "
         f"[bold red]{c.errors} error(s)[/], [yellow]{c.warnings} warning(s)[/], {c.infos} info (run {c.run_id})")
    if outcome.gx:
        _say(f"GX: {outcome.gx['expectations']} expectations over {outcome.gx['evaluated']} rule instances, "
             f"{outcome.gx['failing']} failing (one expectation counts once, however many cells fail)")
    _say("\n[bold]Results[/]")
    _say(f"  warehouse      {escape(outcome.db)}")
    for p in outcome.files:
        _say(f"  {p.name:<14} {escape(str(p))}")
    if outcome.gx:
        _say(f"  GX Data Docs   {escape(outcome.gx['docs'])}")
    _say(f"  one agency     gongkai show AGENCY --db {escape(outcome.db)}")


def site(res) -> None:
    """What ``gongkai report`` wrote."""
    _say(f"{res.pages} page(s): {res.written} written, {res.unchanged} unchanged, {res.removed} removed "
         f"({res.seconds:.1f} s) → {escape(str(res.index))}")


def pruned(res) -> None:
    """What ``gongkai prune`` deleted."""
    _say(f"kept {res.kept} run(s); deleted {res.runs_deleted} run(s) and {res.findings_deleted} finding(s) "
         f"in {escape(res.db)}")


def show_lines(fs) -> list[str]:
    """One agency's findings as plain lines (no markup): per report, per section (the official
    section label), each finding with severity, rule, cell label, message with the arithmetic and
    source line."""
    from checks.exports import _labels

    labels = _labels()
    out: list[str] = []
    for r in fs.reports:
        out.append(f"{r['agency']} {r['year']} ({r['template']}{'/' + r['variant'] if r['variant'] else ''}; "
                   f"{r['source_file']}): {r['errors']} error(s), {r['warnings']} warning(s)")
        fl = [f for f in fs.findings if f["agency"] == r["agency"] and f["year"] == r["year"]]
        if not fl:
            out.append("  no errors or warnings")
        sections: dict[str, list[dict]] = {}
        for f in fl:
            item = f["item"] or ""
            parts = item.split(".")
            sec = ".".join(parts[:2]) if f["template"] == "old" else ".".join(parts[:2])
            if f["template"] != "old" and parts[1:2] == ["s2"]:
                sec = ".".join(parts[:3])
            sections.setdefault(sec, []).append(f)
        for sec, items in sorted(sections.items(), key=lambda kv: _natural(kv[0])):
            title = (labels.get((r["template"], r["variant"], sec, None)) or (sec, sec))[0] or sec
            out.append(f"  {title}")
            for f in items:
                loc = f":{f['source_line']}" if f["source_line"] else ""
                waived = f" (waived: {f['waiver_reason']})" if f["waived"] else ""
                out.append(f"    {f['severity'].upper():<7} {f['code']:<5} {f['label'] or f['cell'] or ''}{loc}{waived}")
                out.append(f"            {f['message']}")
    return [reveal(line) for line in out]


def _natural(code: str) -> list:
    return [(0, int(p[1:]), "") if p[1:].isdigit() else (1, 0, p) for p in code.split(".")]


def show(fs) -> None:
    """``gongkai show``: :func:`show_lines`, severities coloured."""
    for line in show_lines(fs):
        text = escape(line)
        for sev, style in (("ERROR  ", "bold red"), ("WARNING", "yellow")):
            if line.startswith(f"    {sev}"):
                text = text.replace(sev, f"[{style}]{sev}[/]", 1)
        _say(text)


# ----------------------------------------------------------------------------------------- gate

def gate(outcome) -> None:
    """The gate's verdict (:func:`checks.gate.gate`): files, a table per agency and year, the error
    (and warning, and waived) findings, the totals and PASS/FAIL with the exit code."""
    from rich.table import Table

    for f in outcome.load.files:
        if f.status == "error":
            continue                     # already on stderr (load_progress)
        q = f" [bold red]{f.rows_quarantined} row(s) quarantined[/]" if f.rows_quarantined else ""
        _say(f"{_MARK.get(f.status, '')} {escape(f.file)}: {f.rows_loaded or f.rows_total} cells{q}")
    history = (f"history: {outcome.history} report(s) from {escape(outcome.main_db)}"
               if outcome.main_db else "history: none (no main warehouse)")
    _say(f"[dim]{history}[/]")
    table = Table(title="Gate: findings by agency", title_justify="left")
    table.add_column("agency", no_wrap=True)
    for name in ("year", "template", "errors", "warnings", "waived"):
        table.add_column(name, no_wrap=True)
    table.add_column("rules")
    for r in outcome.reports:
        template = r["template"] + (f"/{r['variant']}" if r["variant"] else "")
        table.add_row(escape(str(r["agency"])), str(r["year"]), template,
                      f"[bold red]{r['errors']}[/]" if r["errors"] else "0",
                      f"[yellow]{r['warnings']}[/]" if r["warnings"] else "0", str(r["waived"]), r["codes"] or "")
    console.print(table)
    shown = [f for f in outcome.findings
             if f["waived"] or f["severity"] == "error" or (f["severity"] == "warning" and outcome.check.fail_on
                                                             == "warning") or f["code"] == "Q-01"]
    if shown:
        _say("[bold]Findings[/]")
    for f in shown:
        mark = f" [cyan](waived: {escape(str(f['waiver_reason']))})[/]" if f.get("waived") else ""
        loc = f" {escape(str(f['source_file'] or ''))}:{f['source_line']}" if f.get("source_line") else ""
        _say(f"  {_SEV.get(f['severity'], f['severity'])} {f['code']:<5} {escape(str(f['agency'] or ''))} "
             f"{f['year'] or ''} {escape(_cell(f['item'], f['column']))}{loc}  {escape(str(f['message']))}{mark}")
    c = outcome.check
    bad = len(outcome.unreadable)
    _say(f"{c.reports} report(s) checked → [bold red]{c.errors} error(s)[/], [yellow]{c.warnings} warning(s)[/], "
         f"{c.waived} waived, {outcome.quarantined} quarantined row(s), {bad} unreadable file(s) "
         f"(fail on {c.fail_on})")
    for p in outcome.files:
        _say(f"  wrote {escape(p)}")
    code = outcome.exit_code
    verdict = "[bold green]PASS[/]" if code == 0 else ("[bold yellow]FAIL (warnings)[/]" if code == 2
                                                       else "[bold red]FAIL[/]")
    _say(f"gate: {verdict} (exit {code})")


# ------------------------------------------------------------------------- agencies / history

_HOW = {"id": "[green]id[/]", "name": "[green]name[/]", "normalised": "[cyan]normalised[/]",
        "short": "[cyan]short form[/]", "ambiguous": "[bold red]AMBIGUOUS[/]", "unmatched": "[yellow]unmatched[/]",
        "registered": "[dim]no reports[/]"}
_HOW_ORDER = ("ambiguous", "unmatched", "short", "normalised", "name", "id", "registered")


def agencies(listing, quiet: bool = False) -> None:
    """``gongkai agencies``: each agency name of the reports, how it resolved to an agency id (registry,
    normalisation, ambiguous, unmatched), its region, level and years; then registered agencies without reports."""
    from rich.table import Table

    if quiet:
        return
    rows = sorted(listing.rows, key=lambda r: (_HOW_ORDER.index(r["how"]) if r["how"] in _HOW_ORDER else 9,
                                               str(r["xid"]), str(r["agency"])))
    t = Table(title=f"agencies (registry: {escape(listing.registry)})", show_lines=False)
    for c in ("agency (as written)", "resolved", "agency id", "region", "level", "years"):
        t.add_column(c)
    for r in rows:
        how = _HOW.get(r["how"], r["how"])
        if r["how"] == "ambiguous" and r.get("candidates"):
            how += f" ({escape(r['candidates'])})"
        years = r["years"] or []
        span = f"{years[0]}–{years[-1]} ({len(years)})" if len(years) > 1 else (str(years[0]) if years else "")
        t.add_row(escape(str(r["agency"])), how, escape(str(r["xid"] or "")), escape(str(r["region"] or "")),
                  escape(str(r["level"] or "")), span)
    console.print(t)
    n_amb, n_un = len(listing.ambiguous), len(listing.unmatched)
    _say(f"{len(rows)} name(s); {n_amb} ambiguous (kept apart, never merged), {n_un} unmatched "
         f"(followed by their exact name only). Edit {escape(listing.registry)} to add names or aliases.")


_SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list) -> str:
    """One character per value: its height between the smallest and largest; · blank, space absent."""
    nums = [v for v in values if isinstance(v, (int, float))]
    if not nums:
        return "".join("·" if v is None else " " for v in values)
    lo, hi = min(nums), max(nums)
    out = []
    for v in values:
        if v == "absent":
            out.append(" ")
        elif v is None:
            out.append("·")
        else:
            out.append(_SPARK[0] if hi == lo else _SPARK[round((v - lo) / (hi - lo) * (len(_SPARK) - 1))])
    return "".join(out)


def history(h: dict) -> None:
    """``gongkai history``: an agency's series by year (blank = 空, – = the year's template has no such
    item), with a sparkline per series."""
    from rich.table import Table

    years = h["years"]
    names = "、".join(h["names"])
    t = Table(title=f"{escape(h['agency'])} ({escape(h['xid'])}; written {escape(names)})")
    t.add_column("series / item")
    for y in years:
        t.add_column(str(y), justify="right")
    t.add_column("trend")
    for row in h["rows"]:
        vals = [row["values"].get(y, "absent") for y in years]
        cells = ["–" if v == "absent" else ("空" if v is None else f"{v:g}") for v in vals]
        t.add_row(escape(f"{row['label']} [{row['key']}]"), *cells, sparkline(vals))
    console.print(t)


# ------------------------------------------------------------------------------------- generate

def generate_progress(quiet: bool = False):
    """A callback for :func:`checks.generate.generate_corpus`: a progress bar of agencies on a terminal;
    ``callback(None, None)`` ends it."""
    state: dict = {"bar": None}

    def on_progress(done, total) -> None:
        if done is None:
            if state["bar"] is not None:
                state["bar"].stop()
            return
        if quiet or not console.is_terminal:
            return
        if state["bar"] is None:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
            state["bar"] = Progress(TextColumn("generate"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                    console=console, transient=True)
            state["task"] = state["bar"].add_task("agencies", total=total)
            state["bar"].start()
        state["bar"].update(state["task"], completed=done)
    return on_progress


def generated(s) -> None:
    """What ``gongkai generate`` wrote: sizes, templates, levels, faults, files, speed."""
    by = lambda d: ", ".join(f"{k} {v:,}" for k, v in d.items())  # noqa: E731
    _say(f"{s.agencies:,} agencies × {len(s.years)} years ({s.years[0]}–{s.years[-1]}) = {s.agency_years:,} "
         f"reports, {s.cells:,} cells, {s.regions} regions", markup=False)
    _say(f"  templates: {by(s.templates)}; levels: {by(s.levels)}; renamed in 2019: {s.renamed:,}", markup=False)
    n_faults = sum(s.faults.values())
    _say(f"  faults: {n_faults:,} injected ({len(s.faults)} kinds), {s.truth_rows:,} expected finding(s) in "
         f"{s.files['truth']}", markup=False)
    _say(f"  stats: {s.stats_files:,} {s.format} file(s) in {s.files['stats']}", markup=False)
    if s.text_files:
        _say(f"  texts: {s.text_files:,} report file(s) in {s.files['texts']} ({by(s.layouts_used)})", markup=False)
    _say(f"  registry: {s.files['registry']} (set GONGKAI_AGENCIES to it for the cross-year rules)", markup=False)
    _say(f"{s.seconds:.1f} s, {s.rate:,.0f} reports/s, {s.workers} worker(s) → {s.out}", markup=False)
