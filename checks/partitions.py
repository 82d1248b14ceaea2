"""Extraction in partitions, for many files on many workers (the Dask path of the flows).

Report files are grouped into partitions (:func:`plan`): by the folder they sit in, which in a
corpus laid out by region and year (``texts/<region>/<year>/…``, as ``gongkai generate`` writes)
is a region × year; a folder with more than ``chunk`` files, or files named one by one, are cut
into chunks of ``chunk`` files. Each partition is extracted on its own (:func:`extract_partition`:
pure, no warehouse, run anywhere) into one Parquet file in the extracted-statistics format with its
narrative and issues companions; then one writer loads the Parquet files into the warehouse
(:func:`load_partitions`), so the warehouse stays one DuckDB file written by one process.

What a report file that cannot be read, or holds no table, gives is the same as in the serial
load (:func:`checks.warehouse.load_paths`): one line naming the file, the file rejected, the
others loaded; the cells loaded are exactly those of the serial load.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from checks.formats import InputError

CHUNK = 500
"""Report files per partition at most."""


@dataclass
class Partition:
    """A group of report files extracted together."""

    name: str
    files: list[str]


@dataclass
class Plan:
    """What to do with the input: report files in partitions, extracted-statistics files loaded as they are."""

    partitions: list[Partition] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def report_files(self) -> int:
        return sum(len(p.files) for p in self.partitions)


@dataclass
class PartitionResult:
    """What extracting one partition wrote: the Parquet file (None when no report had a table), its
    counts, and the files rejected, each with its one-line reason."""

    name: str
    path: str | None
    files: int
    reports: int
    cells: int
    rejected: list[tuple[str, str]] = field(default_factory=list)     # (file, message)
    extracted: list[str] = field(default_factory=list)                # the files whose cells are in ``path``


def _safe(name: str) -> str:
    return re.sub(r"[^0-9A-Za-z._-]+", "_", name).strip("_") or "files"


def plan(paths: list[str | Path], chunk: int = CHUNK) -> Plan:
    """Partitions of the report files under ``paths`` (by folder, then chunks of ``chunk`` files),
    in a stable order, and the extracted-statistics files among them."""
    from checks.extract import REPORT_SUFFIXES
    from checks.warehouse import expand

    out = Plan()
    groups: dict[str, list[str]] = {}
    for p in map(Path, paths):
        files, skipped = expand([p])
        out.skipped += skipped
        for f in files:
            if f.suffix.lower() not in REPORT_SUFFIXES:
                out.tables.append(str(f))
                continue
            if p.is_dir():
                rel = f.parent.relative_to(p)
                key = _safe(f"{p.name}/{rel.as_posix()}" if rel.parts else p.name)
            else:
                key = "files"
            groups.setdefault(key, []).append(str(f))
    for key in sorted(groups):
        files = groups[key]
        n = (len(files) + chunk - 1) // chunk
        for i in range(n):
            out.partitions.append(Partition(key if n == 1 else f"{key}-{i + 1:03d}", files[i * chunk:(i + 1) * chunk]))
    return out


def extract_partition(part: Partition, folder: str | Path) -> PartitionResult:
    """Extract the report files of ``part`` into ``folder/<name>.parquet`` (and its ``.narrative`` and
    ``.issues`` companions). A file that cannot be read, or in which no statistics table is found,
    is rejected with its one line, as the serial load does, and leaves nothing in the output."""
    import pandas as pd

    from checks.extract import extract_paths, write_extraction

    ext = extract_paths([Path(f) for f in part.files])
    rejected = [(str(e.path) if hasattr(e, "path") else "", str(e)) for e in ext.errors]
    reports = ext.reports if ext.reports is not None else pd.DataFrame(columns=["source_file", "cells"])
    by_name = {Path(f).name: f for f in part.files}
    empty = set(reports.loc[reports["cells"] == 0, "source_file"])
    for name in sorted(empty):
        issues = ext.issues[(ext.issues["source_file"] == name) & (ext.issues["severity"] == "error")]
        first = issues[issues["code"] == "X-01"].head(1) if (issues["code"] == "X-01").any() else issues.head(1)
        why = f" ({first['code'].iloc[0]}: {str(first['message'].iloc[0])[:200]})" if len(first) else ""
        line = int(first["source_line"].iloc[0]) if len(first) and pd.notna(first["source_line"].iloc[0]) else None
        path = by_name.get(name, name)
        rejected.append((path, str(InputError(path, f"no statistics table found: nothing to load{why}", line))))
    if empty:
        ext.narrative = ext.narrative[~ext.narrative["source_file"].isin(empty)]
        ext.issues = ext.issues[~ext.issues["source_file"].isin(empty)]
    path = None
    for c in ext.cells.columns:         # mixed columns (HTML's source_col is a number, text's empty) as text
        if ext.cells[c].dtype == object:
            ext.cells[c] = ext.cells[c].astype("string")
    if len(ext.cells):
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        path = str(write_extraction(ext, folder / f"{_safe(part.name)}.parquet", "parquet")[0])
    gone = {f for f, _ in rejected}
    return PartitionResult(part.name, path, len(part.files), int((reports["cells"] > 0).sum()), len(ext.cells),
                           rejected, [f for f in part.files if f not in gone] if path else [])


def load_partitions(results: list[PartitionResult], tables: list[str], db: str | Path, *, on_file=None):
    """Load the partitions' Parquet files, then the extracted-statistics files, into ``db`` (one
    writer, :func:`checks.warehouse.load_paths`). The result lists the report files, not the
    partitions: each extracted file with its partition's outcome (the partition's row counts on its
    first file), each rejected one as not loaded (status ``error``) with its line, so the exit code
    and the inbox ledger are the serial load's."""
    from dataclasses import replace

    from checks.warehouse import FileResult, LoadResult, load_paths

    ordered = sorted(results, key=lambda r: r.name)
    files = [r.path for r in ordered if r.path] + list(tables)
    got = load_paths(files, db) if files else LoadResult()
    by_path = {f.file: f for f in got.files}
    res = LoadResult(skipped=got.skipped)
    for r in ordered:
        fr = by_path.pop(r.path, None) if r.path else None
        for i, file in enumerate(r.extracted if fr is not None else []):
            one = replace(fr, file=file, message=f"{fr.message} (partition {r.name})") if i == 0 else replace(
                fr, file=file, message=f"in partition {r.name}: {fr.status}", rows_total=0, rows_loaded=0,
                rows_quarantined=0, reports_new=0, reports_unchanged=0, reports_superseded=0, reasons=type(fr.reasons)())
            res.files.append(one)
            if on_file:
                on_file(one)
    for f in got.files:                  # the extracted-statistics files, as loaded
        if f.file in by_path:
            res.files.append(f)
            if on_file:
                on_file(f)
    for r in ordered:
        for file, message in r.rejected:
            fr = FileResult(file=file, status="error", message=message, submission_id=None)
            res.files.append(fr)
            if on_file:
                on_file(fr)
    return res
