"""Report files → :class:`Extraction` (three DataFrames), and writing them in the extracted-statistics format."""

from __future__ import annotations

import contextlib
import csv
import gc
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from checks.extract.decode import decode_report
from checks.extract.model import ReportResult
from checks.extract.report import extract_text
from checks.formats import COLUMNS, EXTENSIONS, InputError, Limits, is_folder, is_there, read_bytes, write_extracted

REPORT_SUFFIXES = {".txt", ".htm", ".html"}
NARRATIVE_COLUMNS = ("agency", "year", "source_file", "key", "value", "raw", "sentence", "source_line",
                     "char_start", "char_end")
ISSUE_COLUMNS = ("agency", "year", "source_file", "code", "severity", "message", "source_line", "raw")
REPORT_COLUMNS = ("source_file", "agency", "year", "template", "variant", "layout", "encoding", "cells",
                  "errors", "warnings")


@dataclass
class Extraction:
    """What :func:`extract_paths` read: cells, narrative counts, issues, and the files it could not read."""

    cells: pd.DataFrame
    narrative: pd.DataFrame
    issues: pd.DataFrame
    errors: list[InputError] = field(default_factory=list)
    reports: pd.DataFrame | None = None       # one row per report: file, agency, year, template, layout …
    missing: list[str] = field(default_factory=list)     # paths given that do not exist or hold no report file
    written: dict[str, int] | None = None     # extract_to: rows written per output (cells, narrative, issues)
    outputs: list[Path] = field(default_factory=list)    # extract_to: the files written

    @property
    def n_cells(self) -> int:
        """Cells read (also when :func:`extract_to` streamed them to disk and kept none)."""
        return self.written["cells"] if self.written else len(self.cells)

    @property
    def n_narrative(self) -> int:
        return self.written["narrative"] if self.written else len(self.narrative)

    @property
    def exit_code(self) -> int:
        """3 when the tool could not work (a path that does not exist, no report file found), 1 when a
        file was rejected (unreadable, too big, not text …) or a report has an error issue, else 0."""
        if self.missing or self.reports is None or self.reports.empty and not self.errors:
            return 3
        return 1 if self.errors or int(self.reports["errors"].sum()) else 0


def extract_bytes(data: bytes, path: str | Path, agency: str | None = None, year: int | str | None = None,
                  limits: Limits | None = None) -> ReportResult:
    """Extract one report from its bytes; an :class:`InputError` when it is not text or too long."""
    d = decode_report(data, path)
    limits = limits or Limits.from_env()
    lines = d.text.count("\n") + 1
    if lines > limits.max_rows:
        raise InputError(path, f"the report has {lines:,} lines, more than the limit of {limits.max_rows:,} "
                               "(GONGKAI_MAX_ROWS): not read")
    # HTML or text is decided by the content: pages are saved as .txt and text as .htm
    try:
        r = extract_text(d.text, Path(path).name, agency=agency, year=year, encoding=d.encoding)
    except RecursionError:
        raise InputError(path, "the page is nested too deeply to be read") from None
    if d.cut:
        line, offset = d.cut
        r.issue("X-15", f"文件在多字节字符中间被截断（第{line}行，字节{offset}），已读取至截断处 / the file is cut off "
                        f"inside a multi-byte character at line {line} (byte offset {offset}): read up to the cut",
                line)
    return r


def _report_files(paths: list[Path]) -> tuple[list[Path], list[InputError], list[str]]:
    files, errors, missing = [], [], []
    for p in paths:
        p = Path(p)
        if is_folder(p):
            found = sorted(q for q in p.rglob("*") if q.suffix.lower() in REPORT_SUFFIXES and not is_folder(q)
                           and not any(part.startswith(".") for part in q.relative_to(p).parts))
            if not found:
                errors.append(InputError(p, f"no report files ({', '.join(sorted(REPORT_SUFFIXES))}) in this folder"))
                missing.append(str(p))
            files.extend(found)
        elif is_there(p):
            if p.suffix.lower() not in REPORT_SUFFIXES:
                errors.append(InputError(p, f"not a report file: expected {', '.join(sorted(REPORT_SUFFIXES))}"))
            else:
                files.append(p)
        else:
            errors.append(InputError(p, "no such file or folder"))
            missing.append(str(p))
    return files, errors, missing


def extract_paths(paths: list[Path], agency: str | None = None, year: int | None = None,
                  limits: Limits | None = None, on_file=None) -> Extraction:
    """Extract every report file in ``paths`` (files, or folders searched recursively).

    A file that cannot be read (not a regular file, unreadable, too big, not text) ends up in
    ``errors`` with its one-line reason; the others are still extracted. ``on_file(path, error, done,
    total)`` is called after each file (``error``: its :class:`InputError`, or None), for progress.
    """
    limits = limits or Limits.from_env()
    files, errors, missing = _report_files(list(paths))
    results = []
    for i, f in enumerate(files, 1):
        error = None
        try:
            results.append(extract_bytes(read_bytes(f, limits), f, agency, year, limits))
        except InputError as e:
            errors.append(e)
            error = e
        if on_file is not None:
            on_file(f, error, i, len(files))
    ext = to_extraction(results, errors)
    ext.missing = missing
    return ext


STREAM_CHUNK = 500
"""Report files extracted and written per step of :func:`extract_to` (memory stays bounded)."""


def _extract_chunk(files: list[Path], agency, year, limits: Limits, fmt: str = "") -> tuple[_Chunk, list]:
    """Extract a list of files (in a worker process or here): their rows and per-file errors. For ``fmt``
    csv the cells come as CSV text already (when :func:`_csv_cells` can write them)."""
    results, errors, outcome = [], [], []
    with _fewer_collections():
        for f in files:
            try:
                results.append(extract_bytes(read_bytes(f, limits), f, agency, year, limits))
                outcome.append(None)
            except InputError as e:
                errors.append(e)
                outcome.append(e)
        text = _csv_cells(results) if fmt == "csv" else None
    cells, narr, issues, reports = _rows(results, cells=text is None)
    n = sum(len(r.cells) for r in results)
    return _Chunk(cells, narr, _issue_frame(issues), _report_frame(reports), errors, text, n), outcome


def _extract_chunk_bytes(files: list[Path], agency, year, limits: Limits, fmt: str = "") -> tuple[_Chunk, list]:
    """:func:`_extract_chunk` in a worker process: for ``fmt`` csv the cells' lines and (when
    :func:`_plain`) the narrative's come back as the UTF-8 bytes the parent appends as they are. A
    result crosses the pipe pickled: text would be encoded to UTF-8 here, decoded there and encoded
    again by the parent's write (which also competes with the workers for the cores); bytes are
    encoded once, here, and copied."""
    ch, outcome = _extract_chunk(files, agency, year, limits, fmt)
    if fmt == "csv":
        try:
            if ch.cells_csv is not None:
                ch.cells_csv = ch.cells_csv.encode("utf-8")
            if _plain(ch.narrative):
                buf = io.StringIO()
                csv.writer(buf, lineterminator="\n").writerows(ch.narrative)
                ch.narrative_csv = buf.getvalue().encode("utf-8")
                ch.n_narrative, ch.narrative = len(ch.narrative), []
        except UnicodeEncodeError:      # lone surrogates: the parent's write raises as it would have
            pass
    return ch, outcome


@contextlib.contextmanager
def _fewer_collections(first: int = 50_000):
    """Python's cycle collector less often while a chunk is extracted: extraction makes millions of
    short-lived tokens and tuples (no cycles to speak of) next to large memo tables, and the default
    threshold (700) spent 10–15 % of the time walking them. Restored afterwards."""
    old = gc.get_threshold()
    gc.set_threshold(max(first, old[0]), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


@dataclass
class _Chunk:
    """One chunk of :func:`extract_to`: cells and narrative as rows (framed only when a format needs it)."""

    cells: list[tuple]
    narrative: list[tuple]
    issues: pd.DataFrame
    reports: pd.DataFrame
    errors: list[InputError]
    cells_csv: str | bytes | None = None   # the cells' CSV lines (no header), when written without a frame
    n_cells: int = 0
    narrative_csv: bytes | None = None     # from a worker: the narrative's CSV lines (then ``narrative`` is empty)
    n_narrative: int = 0


def extract_to(paths: list[Path], out: Path, fmt: str | None = None, agency: str | None = None,
               year: int | None = None, limits: Limits | None = None, on_file=None, *, workers: int = 1,
               chunk: int = STREAM_CHUNK) -> Extraction:
    """Extract every report file in ``paths`` straight into the files of :func:`write_extraction`
    (cells to ``out``, narrative and issues next to it), ``chunk`` files at a time, so memory stays
    bounded however many files there are; ``workers`` > 1 extracts chunks in that many processes
    (the output is the same, in the same order). The returned :class:`Extraction` holds the reports,
    issues and errors (small) but no cells or narrative: ``written`` counts what went to disk.
    ``on_file`` as in :func:`extract_paths`. An :class:`OSError` when an output cannot be written.
    """
    limits = limits or Limits.from_env()
    files, errors, missing = _report_files(list(paths))
    out = Path(out)
    fmt = fmt or EXTENSIONS.get(out.suffix.lower(), "csv")
    sink = _Sink(out, fmt)
    reports, issues = [], []
    parts = [files[i:i + chunk] for i in range(0, len(files), chunk)] or [[]]
    done = 0

    def take(part: list[Path], ext: _Chunk, outcome: list) -> None:
        nonlocal done
        sink.write(ext)
        reports.append(ext.reports)
        issues.append(ext.issues)
        errors.extend(ext.errors)
        for f, e in zip(part, outcome):
            done += 1
            if on_file is not None:
                on_file(f, e, done, len(files))

    try:
        if workers > 1 and len(parts) > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # not fork: the parent may hold DuckDB or Arrow threads that a fork would copy mid-flight. A fork
            # server (a fresh process, no such threads) imports the extractor once and forks the workers
            # from it, instead of each spawned worker importing pandas and the templates again.
            if "forkserver" in multiprocessing.get_all_start_methods():
                ctx = multiprocessing.get_context("forkserver")
                ctx.set_forkserver_preload(["checks.extract.files"])
            else:
                ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                # at most two chunks per worker in flight: results wait in memory only that long
                ahead = 2 * workers
                work = _extract_chunk_bytes
                futures = [pool.submit(work, part, agency, year, limits, fmt) for part in parts[:ahead]]
                for k, part in enumerate(parts):
                    if k + ahead < len(parts):
                        futures.append(pool.submit(work, parts[k + ahead], agency, year, limits, fmt))
                    take(part, *futures[k].result())
                    futures[k] = None
        else:
            for part in parts:
                take(part, *_extract_chunk(part, agency, year, limits, fmt))
    finally:
        sink.close()
    empty = to_extraction([])
    ext = Extraction(empty.cells, empty.narrative, pd.concat(issues, ignore_index=True), errors,
                     pd.concat(reports, ignore_index=True), missing, dict(sink.rows), sink.paths)
    return ext


class _Sink:
    """The three outputs of an extraction, appended chunk by chunk (CSV/JSONL appended, Parquet row groups)."""

    def __init__(self, out: Path, fmt: str) -> None:
        if fmt not in ("csv", "jsonl", "parquet"):
            raise ValueError(f"unknown format {fmt!r} (csv, jsonl or parquet)")
        suffix = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}[fmt]
        stem = out.name[: -len(out.suffix)] if out.suffix else out.name
        self.fmt = fmt
        self.paths = [out, out.with_name(f"{stem}.narrative{suffix}"), out.with_name(f"{stem}.issues{suffix}")]
        self.rows = {"cells": 0, "narrative": 0, "issues": 0}
        self._started: set[int] = set()
        self._parquet: dict[int, object] = {}
        out.parent.mkdir(parents=True, exist_ok=True)
        for p in self.paths:        # an earlier run's files are replaced, not appended to
            if p.exists():
                p.unlink()

    def write(self, ext: _Chunk) -> None:
        for i, (name, rows) in enumerate((("cells", ext.cells), ("narrative", ext.narrative), ("issues", None))):
            text = ext.cells_csv if i == 0 else ext.narrative_csv if i == 1 else None
            n = (len(ext.issues) if rows is None else ext.n_cells if i == 0 and text is not None
                 else ext.n_narrative if text is not None else len(rows))
            if not n and i in self._started:
                continue
            self.rows[name] += n
            path = self.paths[i]
            if self.fmt == "csv" and text is not None:
                if i not in self._started:
                    with open(path, "a", encoding="utf-8", newline="") as f:
                        csv.writer(f, lineterminator="\n").writerow(COLUMNS if i == 0 else NARRATIVE_COLUMNS)
                if isinstance(text, bytes):
                    with open(path, "ab") as f:
                        f.write(text)
                else:
                    with open(path, "a", encoding="utf-8", newline="") as f:
                        f.write(text)
                self._started.add(i)
                continue
            if self.fmt == "csv" and rows is not None and _plain(rows):
                # what DataFrame.to_csv writes for these rows, without making the frame
                with open(path, "a", encoding="utf-8", newline="") as f:
                    w = csv.writer(f, lineterminator="\n")
                    if i not in self._started:
                        w.writerow(COLUMNS if i == 0 else NARRATIVE_COLUMNS)
                    w.writerows(rows)
                self._started.add(i)
                continue
            df = ext.issues if rows is None else _cell_frame(rows) if i == 0 else _narrative_frame(rows)
            if i == 0:
                df = df[[c for c in COLUMNS if c in df.columns]]
            if self.fmt == "csv":
                df.to_csv(path, index=False, encoding="utf-8", lineterminator="\n", mode="a",
                          header=i not in self._started)
            elif self.fmt == "jsonl":
                with open(path, "a", encoding="utf-8") as f:
                    if len(df):
                        df.to_json(f, orient="records", lines=True, force_ascii=False)
            else:
                import pyarrow as pa
                import pyarrow.parquet as pq

                # every column as text: the same schema for every chunk (the reader takes text anyway)
                table = pa.Table.from_pandas(df.astype("string"), preserve_index=False)
                if i not in self._parquet:
                    self._parquet[i] = pq.ParquetWriter(path, table.schema)
                self._parquet[i].write_table(table)
            self._started.add(i)

    def close(self) -> None:
        for w in self._parquet.values():
            w.close()


def extract_file(path: Path, agency: str | None = None, year: int | None = None) -> Extraction:
    """Extract one report file (an unreadable file ends up in ``errors``, not raised)."""
    return extract_paths([Path(path)], agency, year)


def _rows(results: list[ReportResult], cells: bool = True) -> tuple[list[tuple], list[tuple], list[tuple], list[tuple]]:
    """Report results → rows of the cells (unless ``cells`` is false), narrative, issues and reports frames."""
    rows, narr, issues, reports = [], [], [], []
    for r in results:
        head = (r.agency, r.year)
        agency, year, source = r.agency, r.year, r.source_file
        if cells:
            rows.extend([(agency, year, template, item, column, raw, source, line, variant, "", "", label, unit,
                          state, value, col)
                         for (template, item, column, raw, line, variant, label, unit, state, value, col) in r.cells])
        for n in r.narrative:
            narr.append((*head, source, *n))
        for i in r.issues:
            issues.append((*head, source, i.code, i.severity, i.message, i.line, i.raw))
        sev = [i.severity for i in r.issues]
        reports.append((source, r.agency, r.year, r.template, r.variant, r.layout, r.encoding, len(r.cells),
                        sev.count("error"), sev.count("warning")))
    return rows, narr, issues, reports


def _csv_field(v) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([v, ""])
    return buf.getvalue()[:-2]


def _csv_cells(results: list[ReportResult]) -> str | None:
    """The cells of ``results`` as the CSV lines ``DataFrame.to_csv`` writes for their frame (same quoting,
    same numbers), made line by line; None when pandas would type a column in a way a line cannot know
    (a year or agency column of numbers and blanks is a float column there: the caller frames it).
    Every other field is text by construction (:func:`checks.extract.report._emit`), the line an int and the
    column an int or blank."""
    for attr in ("agency", "year"):
        types = {type(getattr(r, attr)) for r in results if r.cells}
        if not (types <= {str, type(None)} or types <= {int, str}):
            return None
    for r in results:
        for c in r.cells:
            if not (type(c[4]) is int and (type(c[10]) is int or c[10] == "")):
                return None
    out: list[str] = []
    for r in results:
        if not r.cells:
            continue
        agency, year, source = r.agency, r.year, r.source_file
        head = _csv_field(agency) + "," + _csv_field(year) + ","
        src = _csv_field(source)
        lines = [f"{head}{template},{item},{column},{raw},{src},{line},{variant},,,{label},{unit},{state},{value},"
                 f"{col}\n"
                 for (template, item, column, raw, line, variant, label, unit, state, value, col) in r.cells]
        # a field holding a comma, quote or line break needs quoting: then the characters of the report's
        # lines outnumber those of their fixed parts (counts only add up), and csv.writer writes them
        text = "".join(lines)
        n = len(lines)
        fixed = head + src
        if (text.count(",") == n * (13 + fixed.count(",")) and text.count('"') == n * fixed.count('"')
                and text.count("\n") == n * (1 + fixed.count("\n")) and text.count("\r") == n * fixed.count("\r")):
            out.append(text)
            continue
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerows((agency, year, template, item, column, raw, source, line, variant, "", "", label, unit, state,
                     value, col)
                    for (template, item, column, raw, line, variant, label, unit, state, value, col) in r.cells)
        out.append(buf.getvalue())
    return "".join(out)


def _cell_frame(cells: list[tuple]) -> pd.DataFrame:
    cdf = pd.DataFrame(cells, columns=list(COLUMNS))
    cdf["source_line"] = cdf["source_line"].astype("int64")
    return cdf


def _narrative_frame(narr: list[tuple]) -> pd.DataFrame:
    ndf = pd.DataFrame(narr, columns=list(NARRATIVE_COLUMNS))
    for c in ("source_line", "char_start", "char_end"):
        ndf[c] = ndf[c].astype("int64")
    return ndf


def _issue_frame(issues: list[tuple]) -> pd.DataFrame:
    idf = pd.DataFrame(issues, columns=list(ISSUE_COLUMNS))
    idf["source_line"] = idf["source_line"].astype("Int64")
    return idf


def _report_frame(reports: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(reports, columns=list(REPORT_COLUMNS))


_TEXT_TYPES = ({str}, {type(None)}, {str, type(None)})


def _plain(rows: list[tuple]) -> bool:
    """True when every column of ``rows`` holds only text (or None), or only ints (with or without text):
    then ``csv.writer`` writes exactly what ``DataFrame.to_csv`` writes for their frame. Ints with None (a
    float column in pandas), floats or anything else: False (the caller frames them)."""
    if not rows:
        return True
    for col in zip(*rows):
        types = set(map(type, col))
        if types in _TEXT_TYPES or types == {int} or types == {int, str}:
            continue
        return False
    return True


def to_extraction(results: list[ReportResult], errors: list[InputError] | None = None) -> Extraction:
    """Report results → the three DataFrames (built once, at the end)."""
    cells, narr, issues, reports = _rows(results)
    return Extraction(_cell_frame(cells), _narrative_frame(narr), _issue_frame(issues), list(errors or []),
                      _report_frame(reports))


def write_extraction(ext: Extraction, out: Path, fmt: str | None = None) -> list[Path]:
    """Cells to ``out``; narrative to ``<stem>.narrative.<ext>``; issues to ``<stem>.issues.<ext>``."""
    out = Path(out)
    fmt = fmt or EXTENSIONS.get(out.suffix.lower(), "csv")
    if fmt not in ("csv", "jsonl", "parquet"):
        raise ValueError(f"unknown format {fmt!r} (csv, jsonl or parquet)")
    ext_suffix = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}[fmt]
    paths = [write_extracted(ext.cells, out, fmt)]
    stem = out.name[: -len(out.suffix)] if out.suffix else out.name
    for name, df in (("narrative", ext.narrative), ("issues", ext.issues)):
        p = out.with_name(f"{stem}.{name}{ext_suffix}")
        p.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            df.to_csv(p, index=False, encoding="utf-8", lineterminator="\n")
        elif fmt == "jsonl":
            df.to_json(p, orient="records", lines=True, force_ascii=False)
        else:
            df.to_parquet(p, index=False)
        paths.append(p)
    return paths
