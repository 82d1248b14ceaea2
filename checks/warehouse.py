"""The warehouse: one DuckDB file that keeps every submission, report and cell with its provenance.

``load_paths`` loads extracted-statistics files (and report files, which it extracts on the way
in), one transaction per chunk of files, each file whole or absent: a crash or a kill in the
middle leaves the warehouse as it was before the chunk.
Loading never loses a row: rows that fail the contract (:mod:`checks.contract`) go to
``quarantine`` with their reasons. Loading the same file twice changes nothing. A report whose
cells differ from the current report of the same agency and year supersedes it; the older one
stays in ``reports`` (``superseded_by`` set) and can still be queried as history.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import itertools
import json
import os
import re
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb
import pandas as pd

from checks import waiting as _waiting
from checks.errors import UserError
from checks.formats import (EXTENSIONS, InputError, Limits, TooBig, check_file, is_folder, one_line, read_block,
                            read_bytes, read_extracted)
from checks.tables import (CELLS, CELLS_EMPTY_AS_NULL, EXTRACTION_ISSUES, NARRATIVE, QUARANTINE, REPORTS,
                           SUBMISSIONS, warehouse_sql)

SCHEMA_SQL = warehouse_sql()
COMPANIONS = (".narrative", ".issues")
COMPANION_REQUIRED = {".narrative": ("key",), ".issues": ("code",)}
INT32 = 2**31 - 1
FAULT_ENV = "GONGKAI_FAULT"
"""Test hook. ``kill-mid-load`` kills the process after the cells are inserted, before COMMIT;
``kill@N`` kills it at the N-th :func:`fault_point` (every step of a load, a check run, a file
write), so a test can kill at any point without sleeping."""
WAIT_ENV = "GONGKAI_WAIT"
DEFAULT_WAIT = 30.0
"""Seconds a process waits for another one's lock on the warehouse before giving up."""

_points = 0


def fault_point(name: str = "") -> None:
    """A place where the kill test hook (``GONGKAI_FAULT=kill@N``) may kill the process."""
    global _points
    spec = os.environ.get(FAULT_ENV, "")
    if spec.startswith("kill@"):
        _points += 1
        if _points == int(spec[5:]):
            os.kill(os.getpid(), signal.SIGKILL)


class StorageError(UserError):
    """The warehouse cannot be opened, read or written (locked, read-only, full disk, corrupted):
    the tool cannot do its work (exit 3). What was committed before stays as it was."""


waiting = _waiting.waiting


def _wait_seconds(explicit: float | None) -> float:
    if explicit is not None:
        return max(0.0, float(explicit))
    env = os.environ.get(WAIT_ENV, "")
    try:
        return max(0.0, float(env)) if env else DEFAULT_WAIT
    except ValueError:
        raise UserError(f"{WAIT_ENV}={env!r}: expected a number of seconds") from None


_LOCKED = re.compile(r"Could not set lock|Conflicting lock|lock on file", re.I)
_STORAGE = re.compile(r"No space left|disk (is )?full|Read-only file system|Permission denied|File too large|"
                      r"I/O error|Input/output error|corrupt|checksum|database has been invalidated|"
                      r"Could not write|Could not read|Could not truncate|Could not fsync", re.I)


def _first_line(e: BaseException) -> str:
    return one_line((str(e).strip().splitlines() or [type(e).__name__])[0])[:300]


def is_storage_fault(e: BaseException) -> bool:
    """A DuckDB error about the file or the database itself (not about one statement's data)."""
    return isinstance(e, (duckdb.IOException, duckdb.FatalException, duckdb.InternalException,
                          duckdb.PermissionException, duckdb.OutOfMemoryException, duckdb.SerializationException)) \
        or bool(_STORAGE.search(str(e)))


def storage_error(db, e: BaseException, doing: str) -> StorageError:
    msg = _first_line(e)
    if isinstance(e, OSError):
        msg = e.strerror or msg
    hint = ""
    if re.search(r"No space left|File too large", msg, re.I):
        hint = ("; free some space and run it again (what was committed before stays, the step in progress "
                "was rolled back)")
    elif re.search(r"Read-only|Permission denied", msg, re.I):
        hint = "; choose a writable place with --db"
    elif isinstance(e, (duckdb.FatalException, duckdb.InternalException, duckdb.SerializationException)) \
            or re.search(r"corrupt|checksum|invalid|not a valid|version", msg, re.I):
        hint = "; the file may be damaged: run `gongkai doctor`, restore a copy, or load into a new --db"
    return StorageError(one_line(f"{db}: cannot {doing} the warehouse ({msg}){hint}"))


@contextlib.contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame):
    """Make ``frame`` queryable as the view ``name`` for the duration of the block."""
    con.register(name, frame)
    try:
        yield name
    finally:
        con.unregister(name)


def _open(db: Path, read_only: bool, wait: float | None) -> duckdb.DuckDBPyConnection:
    """duckdb.connect, waiting while another process holds the file's lock (one writer per file)."""
    seconds, on_wait = _waiting.current()
    seconds = _wait_seconds(wait if wait is not None else seconds)
    deadline, delay, told = time.monotonic() + seconds, 0.05, False
    while True:
        try:
            return duckdb.connect(str(db), read_only=read_only)
        except duckdb.Error as e:
            if not _LOCKED.search(str(e)):
                raise
            holder = re.search(r"PID (\d+)", str(e))
            who = f"another process (PID {holder.group(1)})" if holder else "another process"
            if time.monotonic() >= deadline:
                raise StorageError(f"{db}: the warehouse is in use by {who}; gave up after waiting {seconds:g} s "
                                   f"(--wait SECONDS or {WAIT_ENV} to wait longer)") from None
            if not told and on_wait is not None:
                on_wait(f"{db}: the warehouse is in use by {who}; waiting up to {seconds:g} s for it "
                        f"(--wait SECONDS)")
                told = True
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 0.5)


MEMORY_ENV = "GONGKAI_MEMORY_LIMIT"
DEFAULT_MEMORY = "3GB"
"""How much memory DuckDB may use per connection (``GONGKAI_MEMORY_LIMIT``, e.g. ``8GB``)."""


def _memory_limit() -> str:
    value = os.environ.get(MEMORY_ENV, "").strip() or DEFAULT_MEMORY
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", value, re.I):
        raise UserError(f"{MEMORY_ENV}={value!r}: expected a size such as 3GB or 512MB")
    return value


@contextlib.contextmanager
def forkable():
    """Around a ``fork`` without ``exec`` (the site's page workers, the kill test's children):
    unreachable objects are collected first, here, and what the children inherit is frozen
    (``gc.freeze``; a child must not leave the block, it ends with ``os._exit``), so that a child's
    collector never destroys an object of its parent. A DuckDB
    connection left to the collector is the case in point: destroyed in a forked process, it waits
    forever for its parent's DuckDB threads, which do not exist there."""
    import gc

    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def connect(db: str | Path, *, read_only: bool = False, wait: float | None = None,
            verify: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (and, unless read-only, create) the warehouse at ``db``.

    Waits while another process holds the warehouse (see :func:`waiting`). ``verify`` reads every
    block of every table once (DuckDB checks each block's checksum), so that a damaged file is
    refused before anything is added to it. Raises :class:`StorageError` (one line) when the
    warehouse cannot be opened.
    """
    db = Path(db)
    if read_only and not db.exists():
        raise UserError(f"{db}: no warehouse here yet (run `gongkai load` first, or pass --db)")
    try:
        if not read_only:
            db.parent.mkdir(parents=True, exist_ok=True)
        con = _open(db, read_only, wait)
        con.execute("SET enable_progress_bar = false")      # the library never prints
        # bounded memory: DuckDB's default is 80 % of RAM; past the limit its joins spill to <db>.tmp
        con.execute(f"SET memory_limit = '{_memory_limit()}'")
    except StorageError:
        raise
    except (duckdb.Error, OSError) as e:
        raise storage_error(db, e, "open") from None
    damage = probe_blocks(db) if verify or not read_only else None     # under the lock: no writer is busy
    if damage:
        with contextlib.suppress(Exception):
            con.close()
        raise StorageError(one_line(f"{db}: cannot {'read' if read_only else 'write'} the warehouse ({damage}); "
                                    "the file is damaged: run `gongkai doctor`, restore a copy, or load into a new --db"))
    try:
        if not read_only:
            con.execute(SCHEMA_SQL)
        if verify:
            _verify(con)
    except duckdb.Error as e:
        with contextlib.suppress(Exception):
            con.close()
        raise storage_error(db, e, "read" if verify else "open") from None
    return con


def _verify(con: duckdb.DuckDBPyConnection) -> None:
    """Read every column of every table once: a damaged block raises here, not halfway through a load."""
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary"
    ).fetchall()]
    for t in tables:
        con.execute(f'SELECT count(*), max(hash(t)) FROM "{t}" AS t').fetchall()


_HEADERS = 3 * 4096
"""A DuckDB file starts with its main header and two database headers, 4 KiB each; blocks follow."""
_MULTIPLIER = 0xBF58476D1CE4E5B9


def probe_blocks(db: str | Path) -> str | None:
    """The integrity probe: recompute the checksum of every block of the DuckDB file ``db`` (as DuckDB
    does when it reads one) and return what is wrong, or None when every block is whole.

    DuckDB reads a table's blocks when they are scanned (:func:`_verify` does that) but the blocks of
    a primary-key index only when a write or a lookup needs them, so a damaged index block used to be
    found by the next load, halfway through it. This probe reads the whole file once, sequentially
    (about 1 GB/s): blocks wholly zero or cut off at the end (space given back to the file system) are
    skipped; a file that is not a DuckDB file of the known layout is left to DuckDB (None).

    The bytes come through a pipe from a child process (``cat``): this process must not open and close
    the file itself, because closing any descriptor of a file drops the POSIX locks the process holds
    on it, and DuckDB's lock is what keeps a second writer out."""
    import subprocess

    import numpy as np

    try:
        proc = subprocess.Popen(["cat", "--", str(db)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError:
        return None

    def fill(view) -> int:
        got = 0
        while got < len(view):
            n = proc.stdout.readinto(view[got:])
            if not n:
                break
            got += n
        return got

    try:
        head = bytearray(_HEADERS)
        if fill(memoryview(head)) < _HEADERS or head[8:12] != b"DUCK":
            return None
        # the active database header is the one with the higher iteration
        it1, _, _, count1, size1 = np.frombuffer(head, "<u8", 5, 4096 + 8).tolist()
        it2, _, _, count2, size2 = np.frombuffer(head, "<u8", 5, 8192 + 8).tolist()
        count, size = (count1, size1) if it1 >= it2 else (count2, size2)
        if size < 4096 or size > 1 << 28 or size & (size - 1) or count > 1 << 32:
            return None
        batch = max(1, (8 << 20) // size)
        buf = bytearray(batch * size)
        block = 0
        while block < count:
            n = min(batch, count - block)
            got = fill(memoryview(buf)[:n * size])
            whole = got // size
            if whole:
                words = np.frombuffer(buf, "<u8", whole * size // 8).reshape(whole, size // 8)
                with np.errstate(over="ignore"):
                    sums = np.bitwise_xor.reduce(words[:, 1:] * np.uint64(_MULTIPLIER), axis=1) ^ np.uint64(5381)
                bad = np.nonzero((sums != words[:, 0]) & words.any(axis=1))[0]
                if len(bad):
                    b = block + int(bad[0])
                    return f"block {b} at byte {_HEADERS + b * size} fails its checksum"
            if whole < n:           # free blocks at the end are given back to the file system: DuckDB
                break               # truncates the file but keeps counting them
            block += n
        return None
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.wait()


COUNTS = ("rows_total", "rows_loaded", "rows_quarantined", "reports_new", "reports_unchanged", "reports_superseded")
"""What a :class:`FileResult` counts."""


@dataclass
class FileResult:
    """What loading one file did."""

    file: str
    status: str = "loaded"          # loaded | unchanged | error
    message: str = ""
    submission_id: int | None = None
    rows_total: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    reports_new: int = 0
    reports_unchanged: int = 0
    reports_superseded: int = 0
    fault: bool = False             # the tool failed on this file (a bug), rather than the file being rejected
    reasons: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        d = self.__dict__.copy()
        d["reasons"] = dict(self.reasons)
        return d


@dataclass
class LoadResult:
    files: list[FileResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> list[FileResult]:
        """Files not loaded (unreadable, not a regular file, too big, no table …), each with its one line."""
        return [f for f in self.files if f.status == "error"]

    @property
    def exit_code(self) -> int:
        """3 if the tool failed on a file, 1 if a file was rejected or rows were quarantined, else 0."""
        if any(f.fault for f in self.files):
            return 3
        return 1 if self.rejected or any(f.rows_quarantined for f in self.files) else 0

    def as_dict(self) -> dict:
        return {"files": [f.as_dict() for f in self.files], "skipped": self.skipped,
                "rejected": [f.message for f in self.rejected], "exit_code": self.exit_code}


def _report_suffixes() -> set[str]:
    try:
        from checks.extract import REPORT_SUFFIXES
    except ImportError:
        return set()
    return set(REPORT_SUFFIXES)


def _is_companion(path: Path) -> bool:
    return any(path.stem.endswith(c) for c in COMPANIONS)


def expand(paths: list[str | Path]) -> tuple[list[Path], list[str]]:
    """Files to load from files and directories (recursively, sorted), and what was skipped."""
    known = set(EXTENSIONS) | _report_suffixes()
    files, skipped = [], []
    for p in map(Path, paths):
        if is_folder(p):
            # not only regular files: a FIFO or a device with a known suffix is reported, never opened
            for f in sorted(x for x in p.rglob("*") if not is_folder(x)):
                if f.suffix.lower() in known and not _is_companion(f):
                    files.append(f)
                elif not _is_companion(f):
                    skipped.append(str(f))
        else:
            files.append(p)
    return files, skipped


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_report(path: Path, data: bytes, agency: str | None, year: int | None, limits: Limits):
    """One report file's :class:`~checks.extract.model.ReportResult`; InputError when it has no table."""
    from checks.extract.files import extract_bytes
    r = extract_bytes(data, path, agency, year, limits)
    if not r.cells:
        errs = [i for i in r.issues if i.severity == "error"]
        first = next((i for i in errs if i.code == "X-01"), errs[0] if errs else None)
        why = f" ({first.code}: {str(first.message)[:200]})" if first else ""
        line = first.line if first is not None and isinstance(first.line, int) else None
        raise InputError(path, f"no statistics table found: nothing to load{why}", line)
    return r


def _report_frames(results: list, ordinals: list[int]):
    """Cells, narrative and issues frames of extracted reports (built once per chunk), each row tagged
    with its file's place in the chunk (``_file``)."""
    import numpy as np

    from checks.extract.files import to_extraction
    ext = to_extraction(results)
    cells = ext.cells.astype("string").fillna("")
    files = np.repeat(ordinals, [len(r.cells) for r in results])
    cells["_file"] = files
    cells["_line"] = cells.groupby("_file").cumcount().to_numpy() + 1
    cells["_error"] = ""
    for col in ("agency_id", "region", "variant", "label", "printed_unit"):
        if col not in cells.columns:
            cells[col] = ""
    narrative = ext.narrative.assign(_file=np.repeat(ordinals, [len(r.narrative) for r in results]))
    issues = ext.issues.assign(_file=np.repeat(ordinals, [len(r.issues) for r in results]))
    return cells, narrative, issues


def _read(path: Path, limits: Limits, data: bytes | None = None):
    """(cells, narrative, issues) of an extracted-statistics file and its companions; InputError when
    it cannot be read. ``data``: the cells file's bytes, when read already."""
    cells = read_extracted(path, limits, data)
    companions = [_companion(path, c) for c in COMPANIONS]
    return (cells, *(next(_side_frames(side, c, limits)) if side else None for side, c in zip(companions, COMPANIONS)))


def _companion(path: Path, kind: str) -> Path | None:
    """The companion file of ``kind`` (:data:`COMPANIONS`) next to ``path``, or None when there is none."""
    try:
        side = path.with_name(f"{path.stem}{kind}{path.suffix}")
        return side if os.path.lexists(side) else None
    except (OSError, ValueError):       # e.g. the companion's name would be too long: there is none
        return None


def _side_frames(path: Path, kind: str, limits: Limits, rows: int | None = None):
    """A companion file (narrative counts, extraction issues) as frames of strings: the whole file
    (``rows`` None; :class:`TooBig` over the limits), or frames of ``rows`` rows."""
    what = "narrative" if kind == ".narrative" else "issues"
    if rows is None:
        check_file(path, limits)
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq
            frames = [pd.read_parquet(path)] if rows is None else (
                b.to_pandas() for b in pq.ParquetFile(path).iter_batches(batch_size=rows))
        elif suffix in (".jsonl", ".ndjson"):
            frames = [pd.read_json(path, lines=True, dtype=False)] if rows is None else \
                pd.read_json(path, lines=True, dtype=False, chunksize=rows)
        else:
            frames = [pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")] if rows is None \
                else pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", chunksize=rows)
        for df in frames:
            df = _side_frame(path, what, kind, df)
            if rows is None and len(df) > limits.max_rows:
                raise TooBig(path, f"this {what} companion file has more than {limits.max_rows:,} rows (the limit)")
            yield df
    except InputError:
        raise
    except (ValueError, OSError, UnicodeDecodeError, RecursionError, TypeError) as e:
        raise InputError(path, f"cannot read this {what} companion file ({_first_line(e)[:200]}); "
                               "nothing was loaded from its cells file either") from None
    except Exception as e:    # pyarrow and pandas parser errors
        raise InputError(path, f"cannot read this {what} companion file ({type(e).__name__}: "
                               f"{_first_line(e)[:200]}); nothing was loaded from its cells file either") from None


def _side_frame(path: Path, what: str, kind: str, df: pd.DataFrame) -> pd.DataFrame:
    """A companion file's rows, their columns checked, as strings."""
    df.columns = [str(c) for c in df.columns]
    if df.columns.duplicated().any():
        raise InputError(path, f"this {what} companion file names a column twice; nothing was loaded from its "
                               "cells file either", 1)
    missing = [c for c in COMPANION_REQUIRED[kind] if c not in df.columns]
    if missing:
        raise InputError(path, f"not {'a narrative' if what == 'narrative' else 'an issues'} companion file: missing column(s) {', '.join(missing)}; nothing "
                               "was loaded from its cells file either", 1)
    if all(isinstance(df[c].dtype, pd.StringDtype) for c in df.columns):
        return df.fillna("").astype("string")       # read as text (CSV): no per-value conversion needed
    return df.astype(object).where(df.notna(), None).map(lambda v: "" if v is None else str(v)).astype("string")


def _content_shas(good: pd.DataFrame) -> pd.DataFrame:
    """One row per report: agency_key, year, the file it came from, first row's metadata, cell count and
    content hash (of its template, variant, item, column and raw text, in a canonical order)."""
    import numpy as np

    from checks import contract

    # each row's part, "template|variant|item\x1ecolumn\x1eraw", written once per distinct combination
    # (a report set holds few: about 1 in 70 rows), never once per row
    fields = ["template", "variant", "item", "column", "raw"]
    combo, first = contract._groups(*(good[c] for c in fields))
    distinct = good[fields].iloc[first]         # the few columns first: take copies every column it is given
    texts_of = [f"{t}|{v}|{i}\x1e{c}\x1e{r}" for t, v, i, c, r in zip(*(distinct[c].tolist() for c in fields))]
    # reports in (agency_key, year) order, each report's parts in text order (code points, as Python
    # compares; equal texts share a rank): one sort of integer codes, then one join per report
    uniques, rank = np.unique(np.asarray(texts_of, dtype=object), return_inverse=True)
    part_codes = rank.reshape(-1)[combo]
    key_codes, key_uniques = pd.factorize(good["agency_key"], sort=True)
    year_codes, year_uniques = pd.factorize(good["year"], sort=True, use_na_sentinel=False)
    report = key_codes.astype(np.int64) * (len(year_uniques) + 1) + year_codes
    order = np.lexsort((part_codes, report))
    texts = uniques[part_codes[order]].tolist()
    in_order = report[order]
    starts = np.flatnonzero(np.r_[True, in_order[1:] != in_order[:-1]])
    ends = np.r_[starts[1:], len(in_order)]
    shas = [hashlib.sha256("\x1f".join(texts[a:b]).encode()).hexdigest() for a, b in zip(starts.tolist(), ends.tolist())]
    # each report's metadata from its first row in file order (the smallest row number among its rows)
    first = np.minimum.reduceat(order, starts)
    cols = ["agency_key", "year", "agency", "agency_id", "region", "template", "variant", "source_file", "_file"]
    out = good[cols].iloc[first].reset_index(drop=True)
    return out.assign(content_sha=shas, cells=(ends - starts))


def _split_reports(good: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows whose template differs from the rest of their report go to quarantine."""
    if good.empty:
        return good, good.assign(reason=pd.Series(dtype="string"))
    template = good["template"]
    if (template == template.iloc[0]).all():        # one template in the whole chunk: no report mixes two
        return good, good.iloc[0:0].assign(reason=pd.Series(dtype="string"))
    counts = good.groupby(["agency_key", "year", "template"], sort=False).size().rename("n").reset_index()
    if not counts.duplicated(["agency_key", "year"]).any():       # every report uses one template
        return good, good.iloc[0:0].assign(reason=pd.Series(dtype="string"))
    # the most frequent template of each report; ties go to the first in sort order (as Series.mode does)
    major = (counts.sort_values(["agency_key", "year", "n", "template"], ascending=[True, True, False, True])
             .drop_duplicates(["agency_key", "year"]).set_index(["agency_key", "year"])["template"].rename("major"))
    joined = good.join(major, on=["agency_key", "year"])
    odd = joined["template"] != joined["major"]
    bad = good[odd].copy()
    bad["reason"] = ["the report's other rows use template " + m for m in joined.loc[odd, "major"]]
    return good[~odd], bad


def _next_id(con, table: str, column: str) -> int:
    return int(con.execute(f"SELECT coalesce(max({column}), 0) + 1 FROM {table}").fetchall()[0][0])


CHUNK_FILES = 1000
CHUNK_ROWS = 400_000
"""A chunk of files is validated once and committed in one transaction (one submission per file, so
each file is still whole or absent); a chunk ends at this many files or cell rows."""


@dataclass
class _Staged:
    """A file read and ready to load: its cells, companions and the report keys it touches."""

    path: Path
    res: FileResult
    sha: str
    kind: str                       # 'extracted' (cells, narrative, issues) or 'report' (report)
    keys: frozenset
    rows: int
    cells: pd.DataFrame | None = None
    narrative: pd.DataFrame | None = None
    issues: pd.DataFrame | None = None
    report: object = None           # checks.extract.model.ReportResult
    prepared: pd.DataFrame | None = None    # contract.prepare(cells), when a worker did it
    streamed: bool = False          # over the limits: read in parts by :func:`_store_stream`
    hashing: object = None          # then the Future of its sha256


def _report_keys(cells: pd.DataFrame) -> frozenset:
    """(agency key, year text) of every report a file's rows name, as the contract will key them."""
    if cells.empty:
        return frozenset()
    cols = [cells[c] for c in ("agency", "agency_id", "year") if c in cells]
    from checks import contract     # pandera: imported by loads only, not by every command

    cells = cells.iloc[contract._groups(*cols)[1]]        # one row per distinct (agency, agency_id, year)
    agency = cells["agency"].fillna("").astype(str).str.strip()
    aid = cells["agency_id"].fillna("").astype(str).str.strip() if "agency_id" in cells else agency.where(False, "")
    key = aid.where(aid != "", agency)
    return frozenset(zip(key.tolist(), cells["year"].fillna("").astype(str).str.strip().tolist()))


def _prepared_keys(prepared: pd.DataFrame) -> frozenset:
    """:func:`_report_keys` from the file's prepared rows: the same pairs (prepare strips agency,
    agency_id and year as _report_keys does and keys by agency_id when given), without reading the
    three columns again."""
    if prepared.empty:
        return frozenset()
    from checks import contract

    first = contract._groups(prepared["agency_key"], prepared["year_text"])[1]
    return frozenset(zip(prepared["agency_key"].iloc[first].tolist(), prepared["year_text"].iloc[first].tolist()))


def _guarded(res: FileResult, path: Path, db, step) -> object:
    """Run ``step()`` for one file: whatever goes wrong with the file becomes its one-line message
    (status ``error``) and the batch goes on; only a storage fault raises :class:`StorageError`."""
    try:
        return step()
    except InputError as e:
        res.status, res.message = "error", str(e)
    except StorageError:
        raise
    except duckdb.Error as e:
        if is_storage_fault(e):
            raise storage_error(db or "the warehouse", e, "write") from None
        res.status, res.fault = "error", True
        res.message = one_line(f"{path}: could not be stored ({_first_line(e)}); nothing was loaded from it")
    except MemoryError:
        res.status, res.fault = "error", True
        res.message = one_line(f"{path}: out of memory while loading it; nothing was loaded from it")
    except Exception as e:      # a bug: this file is not loaded, the batch goes on, exit 3
        res.status, res.fault = "error", True
        res.message = one_line(f"{path}: internal error while loading it ({type(e).__name__}: {_first_line(e)}); "
                               "nothing was loaded from it")
    res.submission_id = None
    for k in COUNTS[1:]:
        setattr(res, k, 0)
    res.reasons.clear()
    return None


def _already_loaded(loaded: dict, sha: str, res: FileResult) -> bool:
    """True (and ``res`` says so) when a file with these bytes was loaded before: nothing to do.
    ``loaded`` maps the sha256 of every loaded file to (submission_id, loaded_at)."""
    prior = loaded.get(sha)
    if prior:
        res.status, res.submission_id = "unchanged", prior[0]
        res.message = f"already loaded (submission {prior[0]}, {prior[1]:%Y-%m-%d %H:%M}); nothing changed"
    return bool(prior)


def _loaded_files(con) -> dict:
    """sha256 → (submission_id, loaded_at) of the first submission of every loaded file."""
    return {sha: (sub, at) for sha, sub, at in con.execute(
        "SELECT sha256, min(submission_id), arg_min(loaded_at, submission_id) FROM submissions GROUP BY 1"
    ).fetchall()}


def _extract_for_load(paths: list[Path], agency, year, limits: Limits) -> list[tuple]:
    """Report files read and extracted (in a worker process): (sha256 or None, ReportResult or None,
    InputError or the one line of an internal error, or None) per file, in order."""
    out = []
    for p in paths:
        sha = None
        try:
            data = read_bytes(p, limits)
            sha = hashlib.sha256(data).hexdigest()
            out.append((sha, _read_report(p, data, agency, year, limits), None))
        except InputError as e:
            out.append((sha, None, e))
        except Exception as e:      # noqa: BLE001 - reported for its file by the loading process
            out.append((sha, None, f"{type(e).__name__}: {_first_line(e)}"))
    return out


PREFETCH_MIN = 200
"""Below this many report files, extraction stays in the loading process (worker start-up costs more)."""


def _prefetch(files: list[Path], agency, year, limits: Limits, workers: int):
    """Extraction of the report files among ``files`` in ``workers`` spawned processes, ahead of the
    loading process and in file order: an iterator of (path, outcome) for the report files, with at
    most a few chunks in flight (memory stays bounded). Empty when one process is enough."""
    reports = [f for f in files if f.suffix.lower() in _report_suffixes()]
    if workers <= 1 or len(reports) < PREFETCH_MIN:
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = 50
    parts = [reports[i:i + size] for i in range(0, len(reports), size)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending = [pool.submit(_extract_for_load, part, agency, year, limits) for part in parts[:2 * workers]]
        for k, part in enumerate(parts):
            outcomes = pending.pop(0).result()
            if k + 2 * workers < len(parts):
                pending.append(pool.submit(_extract_for_load, parts[k + 2 * workers], agency, year, limits))
            yield from zip(part, outcomes)


def _read_for_load(paths: list[Path], known: frozenset, limits: Limits, spool: str | None = None) -> list[tuple]:
    """Extracted-statistics files checked, hashed and read (in a worker process), as :func:`_stage`
    does in the loading process, the cells also prepared (:func:`checks.contract.prepare`, once for all
    the files: it reads each row on its own): (sha256 or None, (cells, narrative, issues, report keys,
    prepared cells or None, None or the recipe of :func:`_lean` when the cells were sent lean) or None,
    the exception or None) per file, in order. A file whose sha256 is
    in ``known`` (loaded before) is not read. With a ``spool`` folder the frames are written there as
    Arrow files (:func:`_spooled`) and sent as their names, much cheaper than pickling. Nothing here may
    call :func:`fault_point`: the kill hook counts the loading process's steps only."""
    out = []
    for p in paths:
        sha = None
        try:
            data = None
            if EXTENSIONS.get(p.suffix.lower()) in ("csv", "jsonl"):
                # read once, hashed and parsed from the same bytes (read_bytes checks and fails as
                # check_file and _sha256 did, with the same one line)
                data = read_bytes(p, limits)
                sha = hashlib.sha256(data).hexdigest()
            else:
                check_file(p, limits)
                try:
                    sha = _sha256(p)
                except OSError as e:
                    raise InputError(p, f"cannot read the file ({e.strerror or e})") from None
            if sha in known:
                out.append((sha, None, None))
                continue
            cells, narrative, issues = _read(p, limits, data)
            data = None
            out.append((sha, [cells, narrative, issues, None, None, None], None))
        except Exception as e:      # noqa: BLE001 - raised again for its file by the loading process
            out.append((sha, None, _portable(e)))
    read = [got for _, got, _ in out if got is not None]
    if read:
        try:
            parts = [got[0] for got in read]
            from checks import contract

            prepared = contract.prepare(pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0])
            start = 0
            for got in read:
                got[4] = prepared.iloc[start:start + len(got[0])].reset_index(drop=True)
                start += len(got[0])
        except Exception:       # noqa: BLE001 - the loading process prepares them (and reports the failure)
            for got in read:
                got[4] = None
    for k, (sha, got, err) in enumerate(out):
        if got is not None:
            try:
                got[3] = _prepared_keys(got[4]) if got[4] is not None else _report_keys(got[0])
            except Exception as e:      # noqa: BLE001 - raised again for its file by the loading process
                out[k] = (sha, None, _portable(e))
    read = [got for _, got, _ in out if got is not None]
    for got in read:
        if spool is not None:
            if got[4] is not None:
                got[0], got[5] = _lean(got[0], got[4])
            for j in (0, 1, 2, 4):
                got[j] = _spooled(got[j], os.path.join(spool, f"{os.getpid()}-{next(_SPOOL_IDS)}.arrow"))
    return [(sha, tuple(got) if got is not None else None, err) for sha, got, err in out]


_FROM_PREPARED = {"agency": "agency", "agency_id": "agency_id", "region": "region", "template": "template",
                  "variant": "variant", "item": "item", "column": "column", "label": "label",
                  "printed_unit": "printed_unit", "source_file": "source_file", "raw": "raw", "year": "year_text",
                  "source_line": "line_text", "source_col": "col_text", "_line": "_line", "_error": "_error"}
"""Columns of the cells frame that contract.prepare copies, stripped or as they are, into a column of its own."""


def _same_column(a: pd.Series, b: pd.Series) -> bool:
    """Same dtype, same values, NA in the same places (Arrow-backed columns compared by Arrow)."""
    if a.dtype != b.dtype or len(a) != len(b):
        return False
    try:
        import pyarrow as pa

        left, right = pa.array(a.array), pa.array(b.array)
    except Exception:       # noqa: BLE001 - not Arrow-backed
        return bool(a.equals(b))
    return left.type == right.type and left.equals(right)


def _lean(cells: pd.DataFrame, prepared: pd.DataFrame) -> tuple[pd.DataFrame, list]:
    """The cells frame without the columns its prepared frame holds unchanged (both go to the loading
    process, the bigger half of the hand-over), and the recipe :func:`_rebuilt` makes it whole again
    with: (column, True) for a column taken from ``prepared``, (column, False) for one sent."""
    recipe = [(c, c in _FROM_PREPARED and _FROM_PREPARED[c] in prepared.columns
               and _same_column(cells[c], prepared[_FROM_PREPARED[c]])) for c in cells.columns]
    return cells[[c for c, derived in recipe if not derived]], recipe


def _rebuilt(lean: pd.DataFrame, recipe: list, prepared: pd.DataFrame) -> pd.DataFrame:
    """The cells frame :func:`_lean` took apart: the same columns, in order, dtypes and values."""
    return pd.DataFrame({c: prepared[_FROM_PREPARED[c]] if derived else lean[c] for c, derived in recipe},
                        index=prepared.index, copy=False)


_SPOOL_IDS = itertools.count()


def _spooled(frame: pd.DataFrame | None, name: str):
    """``frame`` written as an Arrow file called ``name`` (returns the name), or the frame itself when
    it cannot be (:func:`_unspooled` reads either)."""
    if frame is None:
        return None
    try:
        import pyarrow as pa
        import pyarrow.ipc as ipc
        table = pa.Table.from_pandas(frame, preserve_index=False)
        with pa.OSFile(name, "wb") as sink, ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        return name
    except Exception:       # noqa: BLE001 - sent pickled instead
        with contextlib.suppress(OSError):
            os.unlink(name)
        return frame


def _unspooled(frame):
    """The frame :func:`_spooled` wrote (the file is removed), or ``frame`` itself."""
    if not isinstance(frame, str):
        return frame
    import pyarrow as pa
    import pyarrow.ipc as ipc
    try:
        with pa.memory_map(frame) as source:
            return ipc.open_file(source).read_all().to_pandas()
    finally:
        os.unlink(frame)


def _portable(e: BaseException) -> BaseException:
    """``e`` if it survives pickling (to be raised again in the loading process), else (its class
    name, its first line), which :func:`_raised` turns into an exception of the same name and text."""
    import pickle
    try:
        back = pickle.loads(pickle.dumps(e))
        if type(back) is type(e) and str(back) == str(e):
            return e
    except Exception:       # noqa: BLE001
        pass
    return (type(e).__name__, _first_line(e))


def _raised(err) -> BaseException:
    """The exception a worker sent back (see :func:`_portable`)."""
    if isinstance(err, tuple):
        return type(err[0], (Exception,), {})(err[1])
    return err


READ_AHEAD_MIN_BYTES = 32 << 20
"""Below this many bytes of extracted-statistics files, they are read in the loading process (a
worker's start-up costs more than it saves)."""
READ_AHEAD_BATCH_BYTES = 16 << 20
READ_AHEAD_BATCHES = 8
"""Files go to the reading process in batches of about this many bytes, at most this many batches
in flight (memory stays bounded: a batch's frames wait as Arrow files of about 2.3 times its bytes,
so up to about 300 MB in /dev/shm). A chunk of 400k rows spans two or three batches: with three in
flight the reading process waited for the storing one about a third of the time and the other way
round; with eight either one runs ahead while the other is on a slower stretch."""


SPOOL_PREFIX = "gongkai-load-"
SPOOL_MIN_FREE = 1 << 30
"""The read-ahead hands its frames over as Arrow files in /dev/shm (memory) when it has at least this
much room (the batches in flight take up to about 300 MB), else in the temporary folder (disk)."""


def _spool_parent() -> str | None:
    """Where the read-ahead's spool folder goes: /dev/shm when writable with room, else None (the
    temporary folder)."""
    shm = "/dev/shm"
    try:
        st = os.statvfs(shm)
    except OSError:
        return None
    return shm if os.access(shm, os.W_OK) and st.f_bavail * st.f_frsize >= SPOOL_MIN_FREE else None


def _sweep_spools(parent: str) -> list[str]:
    """Remove the spool folders in ``parent`` left by loads that were killed (``kill -9`` skips the
    clean-up, and in /dev/shm they would hold memory until a reboot): folders named
    ``gongkai-load-<pid>-…`` of this user whose process is gone. Returns the folders removed."""
    import shutil

    gone = []
    try:
        names = os.listdir(parent)
    except OSError:
        return gone
    for name in names:
        pid = name[len(SPOOL_PREFIX):].partition("-")[0]
        path = os.path.join(parent, name)
        if not name.startswith(SPOOL_PREFIX) or not pid.isdigit():
            continue
        try:
            if os.stat(path).st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)            # the process is alive (or not ours to signal): keep it
            continue
        except ProcessLookupError:
            pass
        except (OSError, OverflowError):
            continue
        shutil.rmtree(path, ignore_errors=True)
        gone.append(path)
    return gone


def _read_ahead(files: list[Path], known: set, limits: Limits, workers: int):
    """Reading of the extracted-statistics files among ``files`` in one spawned process, ahead of the
    loading process (which stores the previous chunk meanwhile) and in file order: an iterator of
    (path, outcome of :func:`_read_for_load`). Empty when one process is enough; it stops early
    (the loading process then reads the rest itself) if the worker fails."""
    extracted = [f for f in files if f.suffix.lower() not in _report_suffixes()]
    if workers <= 1 or len(extracted) < 2:
        return
    sizes = []
    for f in extracted:
        try:
            sizes.append(os.stat(f).st_size)
        except (OSError, ValueError):
            sizes.append(0)
    if sum(sizes) < READ_AHEAD_MIN_BYTES:
        return
    parts, part, size = [], [], 0
    for f, n in zip(extracted, sizes):
        if part and size + n > READ_AHEAD_BATCH_BYTES:
            parts.append(part)
            part, size = [], 0
        part.append(f)
        size += n
    parts.append(part)
    read = functools.partial(_read_for_load, known=frozenset(known), limits=limits)
    for part, outcomes in _one_ahead(read, parts):
        for path, (sha, got, err) in zip(part, outcomes):
            if got is not None:
                cells, narrative, issues, keys, prepared, recipe = (
                    _unspooled(f) if j not in (3, 5) else f for j, f in enumerate(got))
                if recipe is not None:
                    cells = _rebuilt(cells, recipe, prepared)
                got = (cells, narrative, issues, keys, prepared)
            yield path, (sha, got, err)


def _one_ahead(fn, tasks: list):
    """``fn(task, spool=folder)`` for each task in one spawned process, ahead of this one and in order,
    at most :data:`READ_AHEAD_BATCHES` in flight: an iterator of (task, outcome). The frames an
    outcome names are Arrow files in the spool folder (:func:`_spooled`; the caller reads them,
    :func:`_unspooled`, before it asks for the next), which is removed at the end. It stops early
    when the process dies: the caller does the rest itself."""
    import multiprocessing
    import shutil
    import tempfile
    from concurrent.futures import ProcessPoolExecutor

    parent = _spool_parent()
    _sweep_spools(parent or tempfile.gettempdir())
    spool = tempfile.mkdtemp(prefix=f"{SPOOL_PREFIX}{os.getpid()}-", dir=parent)
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
            pending = [pool.submit(fn, task, spool=spool) for task in tasks[:READ_AHEAD_BATCHES]]
            try:
                for k, task in enumerate(tasks):
                    try:
                        outcome = pending.pop(0).result()
                    except Exception:       # noqa: BLE001 - the worker died: the caller reads on
                        return
                    if k + READ_AHEAD_BATCHES < len(tasks):
                        pending.append(pool.submit(fn, tasks[k + READ_AHEAD_BATCHES], spool=spool))
                    yield task, outcome
            finally:
                for f in pending:
                    f.cancel()
    finally:
        shutil.rmtree(spool, ignore_errors=True)


def _stage(loaded: dict, path: Path, agency: str | None, year: int | None, limits: Limits, res: FileResult,
           db, pre: tuple | None = None) -> _Staged | None:
    """Read one file (nothing written): None when it is already loaded or cannot be read (``res`` says).
    ``pre``: the report file's outcome of :func:`_extract_for_load`, when a worker extracted it, or
    the extracted-statistics file's outcome of :func:`_read_for_load`, when a worker read it.
    A CSV or Parquet file over the limits is staged to be read in parts (kind ``stream``)."""
    def step():
        try:
            return read()
        except TooBig:
            if not _streamable(path):
                raise
            return _stream_staged(path, res)

    def read():
        if pre is not None and path.suffix.lower() not in _report_suffixes():
            sha, got, err = pre
            if sha is not None and _already_loaded(loaded, sha, res):
                return None
            if err is not None:
                raise _raised(err)
            if got is None:         # known when the worker started, not now: cannot happen; read it here
                cells, narrative, issues = _read(path, limits)
                keys, prepared = _report_keys(cells), None
            else:
                cells, narrative, issues, keys, prepared = got
            fault_point("read")
            return _Staged(path, res, sha, "extracted", keys, len(cells), cells, narrative, issues,
                           prepared=prepared)
        if pre is not None:
            sha, r, err = pre
            if sha is not None and _already_loaded(loaded, sha, res):
                return None
            if isinstance(err, InputError):
                raise err
            if err is not None:
                raise RuntimeError(err)
            fault_point("read")
        elif path.suffix.lower() in _report_suffixes():
            data = read_bytes(path, limits)
            sha = hashlib.sha256(data).hexdigest()
            if _already_loaded(loaded, sha, res):
                return None
            r = _read_report(path, data, agency, year, limits)
            fault_point("read")
        if pre is not None or path.suffix.lower() in _report_suffixes():
            key = (str(r.agency or "").strip(), "" if r.year is None else str(r.year).strip())
            return _Staged(path, res, sha, "report", frozenset([key]), len(r.cells), report=r)
        check_file(path, limits)
        try:
            sha = _sha256(path)
        except OSError as e:
            raise InputError(path, f"cannot read the file ({e.strerror or e})") from None
        if _already_loaded(loaded, sha, res):
            return None
        cells, narrative, issues = _read(path, limits)
        fault_point("read")
        return _Staged(path, res, sha, "extracted", _report_keys(cells), len(cells), cells, narrative, issues)
    return _guarded(res, path, db, step)


def _commit(con, chunk: list[_Staged], db) -> None:
    """Validate a chunk's rows once and store them in one transaction, one submission per file.

    When storing the chunk fails for a reason that is not the warehouse's (a file the contract let
    through but DuckDB refuses), the chunk is rolled back and its files are stored one by one, so the
    failure stays with its file."""
    if len(chunk) > 1:
        try:
            _store(con, chunk)
            return
        except StorageError:
            raise
        except duckdb.Error as e:
            if is_storage_fault(e):
                raise storage_error(db or "the warehouse", e, "write") from None
        except Exception:       # noqa: BLE001 - retried file by file below, where it is reported
            pass
        for s in chunk:
            _reset(s.res)
    for s in chunk:
        _guarded(s.res, s.path, db, lambda s=s: _store(con, [s]))


def _reset(res: FileResult) -> None:
    res.status, res.message, res.submission_id = "loaded", "", None
    for k in COUNTS:
        setattr(res, k, 0)
    res.reasons.clear()


def _chunk_frames(chunk: list[_Staged]):
    """The chunk's cells, narrative and issues as one frame each, rows tagged with ``_file``."""
    cells, narrative, issues = [], [], []
    reports = [(i, s.report) for i, s in enumerate(chunk) if s.kind == "report"]
    if reports:
        c, n, k = _report_frames([r for _, r in reports], [i for i, _ in reports])
        cells.append(c), narrative.append(n), issues.append(k)
    for i, s in enumerate(chunk):
        if s.kind != "report":
            cells.append(s.cells.assign(_file=i))
            for acc, side in ((narrative, s.narrative), (issues, s.issues)):
                if side is not None and len(side):
                    acc.append(side.assign(_file=i))
    cells = pd.concat(cells, ignore_index=True) if len(cells) > 1 else cells[0].reset_index(drop=True)
    cat = (lambda fs: pd.concat(fs, ignore_index=True) if fs else None)
    return cells, cat(narrative), cat(issues)


def _prepare(chunk: list[_Staged], cells: pd.DataFrame) -> pd.DataFrame:
    """:func:`checks.contract.prepare` of the chunk's cells (of :func:`_chunk_frames`). It reads each row
    on its own, so the files a worker prepared one by one are put together rather than prepared again."""
    if all(s.kind != "report" and s.prepared is not None for s in chunk):
        parts = [s.prepared for s in chunk]
        return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
    from checks import contract

    return contract.prepare(cells)


def _store(con, chunk: list[_Staged]) -> None:
    cells, narrative, issues = _chunk_frames(chunk)
    frame = _prepare(chunk, cells)
    con.execute("BEGIN TRANSACTION")
    try:
        base = _next_id(con, "submissions", "submission_id")
        report_ids = _store_rows(con, chunk, cells, frame, base)
        _insert_side(con, narrative, issues, _report_lookup(con, report_ids), base)
        fault_point("side")
        _insert_submissions(con, chunk)
        fault_point("commit")
        con.execute("COMMIT")
    except BaseException:
        rollback(con)
        raise
    fault_point("committed")
    _say_loaded(chunk)


def _store_rows(con, chunk: list[_Staged], cells: pd.DataFrame, frame: pd.DataFrame, base: int) -> dict:
    """Validate rows (``cells`` of :func:`_chunk_frames`, ``frame`` prepared from them) and insert their
    reports, cells and quarantined rows, in the open transaction, the chunk's files numbered from
    submission ``base``: each file's counts set. Returns the report ids (see :func:`_insert_reports`)."""
    from checks import contract

    frame["_file"] = cells["_file"].to_numpy()
    good, bad = contract.validate(frame)
    good, odd = _split_reports(good)
    bad = pd.concat([bad, odd]) if len(odd) else bad
    totals = frame["_file"].value_counts()
    quarantined = bad["_file"].value_counts() if len(bad) else pd.Series(dtype="int64")
    for i, s in enumerate(chunk):
        _reset(s.res)
        s.res.rows_total, s.res.rows_quarantined = int(totals.get(i, 0)), int(quarantined.get(i, 0))
        s.res.submission_id = base + i
    for f, reason in zip(bad["_file"].tolist(), bad["reason"].tolist()) if len(bad) else ():
        for r in str(reason).split("; "):
            chunk[f].res.reasons[r.split(" (")[0].split(":")[0]] += 1
    report_ids = _insert_reports(con, good, base, chunk)
    fault_point("reports")
    _insert_cells(con, good, report_ids)
    fault_point("cells")
    if os.environ.get(FAULT_ENV) == "kill-mid-load":
        os.kill(os.getpid(), signal.SIGKILL)
    _insert_quarantine(con, bad, cells, base, chunk)
    fault_point("quarantine")
    return report_ids


def _insert_submissions(con, chunk: list[_Staged]) -> None:
    SUBMISSIONS.insert_frame(con, pd.DataFrame({
        "submission_id": [s.res.submission_id for s in chunk], "file": [str(s.path) for s in chunk],
        "sha256": [s.sha for s in chunk], "kind": [s.kind for s in chunk],
        "loaded_at": pd.Timestamp.now().floor("us"),
        **{k: [getattr(s.res, k) for s in chunk] for k in (
            "rows_total", "rows_loaded", "rows_quarantined", "reports_new", "reports_unchanged")}}))


def _say_loaded(chunk: list[_Staged]) -> None:
    for s in chunk:
        res = s.res
        parts = [f"{res.reports_new} new report(s)"]
        if res.reports_superseded:
            parts.append(f"{res.reports_superseded} superseding an older one")
        if res.reports_unchanged:
            parts.append(f"{res.reports_unchanged} unchanged")
        parts.append(f"{res.rows_loaded} cells")
        if res.rows_quarantined:
            parts.append(f"{res.rows_quarantined} row(s) quarantined")
        res.message = ", ".join(parts)


def rollback(con) -> None:
    """Roll back the open transaction; if the failure already ended it (a full disk does), nothing to do."""
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


def _insert_reports(con, good: pd.DataFrame, base: int, chunk: list[_Staged]) -> dict:
    """Insert one report per (agency_key, year), superseding the current one when the cells differ.

    Returns {(agency_key, year): report_id, or None where the current report has identical cells}, and
    sets each file's report counts.
    """
    if good.empty:
        return {}
    reps = _content_shas(good)
    with registered(con, "_reps_in", reps[["agency_key", "year", "content_sha"]]):
        current = con.execute("""
            SELECT n.agency_key, n.year, r.report_id, r.content_sha FROM _reps_in n
            JOIN reports r ON r.agency_key = n.agency_key AND r.year = n.year AND r.superseded_by IS NULL
        """).df()
    reps = reps.merge(current.rename(columns={"content_sha": "current_sha", "report_id": "current_id"}),
                      on=["agency_key", "year"], how="left")
    unchanged = reps["current_sha"].notna() & (reps["current_sha"] == reps["content_sha"])
    new = reps[~unchanged].sort_values(["_file", "agency_key", "year"]).copy()
    start = _next_id(con, "reports", "report_id")
    new["report_id"] = range(start, start + len(new))
    new["submission_id"] = base + new["_file"].astype("int64")
    new["loaded_at"] = pd.Timestamp.now().floor("us")
    REPORTS.insert_frame(con, new.drop(columns=["current_id", "current_sha", "_file"]),
                         empty_as_null=("agency_id", "region", "variant", "source_file"))
    with registered(con, "_new_in", new[["report_id", "current_id"]]):
        con.execute("""
            UPDATE reports SET superseded_by = n.report_id FROM _new_in n
            WHERE reports.report_id = n.current_id""")
    per_file = new.groupby("_file").agg(n=("report_id", "size"), cells=("cells", "sum"),
                                        superseded=("current_id", "count"))
    same = reps.loc[unchanged, "_file"].value_counts()
    for i, s in enumerate(chunk):
        if i in per_file.index:
            row = per_file.loc[i]
            s.res.reports_new, s.res.rows_loaded = int(row["n"]), int(row["cells"])
            s.res.reports_superseded = int(row["superseded"])
        s.res.reports_unchanged = int(same.get(i, 0))
    ids = {(k, y): None for k, y in zip(reps.loc[unchanged, "agency_key"], reps.loc[unchanged, "year"])}
    ids.update({(k, y): int(r) for k, y, r in zip(new["agency_key"], new["year"], new["report_id"])})
    return ids


def _insert_cells(con, good: pd.DataFrame, report_ids: dict) -> None:
    if good.empty:
        return
    keys = pd.MultiIndex.from_arrays([good["agency_key"], good["year"]])
    ids = pd.Series(report_ids, dtype="object")
    if not len(ids):
        return
    ids.index = pd.MultiIndex.from_tuples(ids.index)
    rid = pd.Series(ids.reindex(keys).to_numpy(), index=good.index)
    # the table's columns first, rows dropped only when some report is unchanged: each copies the columns
    rows = good[[c for c in CELLS.names if c in good.columns and c != "report_id"]]
    known = rid.notna().to_numpy()
    if not known.all():
        rows, rid = rows[known], rid[known]
    if rows.empty:
        return
    CELLS.insert_frame(con, rows.assign(report_id=rid.astype("int64")), empty_as_null=CELLS_EMPTY_AS_NULL)


def _insert_quarantine(con, bad: pd.DataFrame, cells: pd.DataFrame, base: int, chunk: list[_Staged]) -> None:
    if bad.empty:
        return
    original = cells.loc[bad.index].drop(columns=["_line", "_error", "_file"], errors="ignore")
    raw_rows = [json.dumps({k: v for k, v in r.items() if v not in ("", None)}, ensure_ascii=False)
                for r in original.astype(object).where(original.notna(), None).to_dict("records")]
    files = bad["_file"].astype("int64").to_numpy()
    q = pd.DataFrame({
        "submission_id": base + files, "file": [str(chunk[f].path) for f in files],
        "line": bad["_line"].astype("int64").to_numpy(),
        "agency": bad["agency"].to_numpy(), "year": bad["year_text"].to_numpy(),
        "template": bad["template"].to_numpy(), "item": bad["item"].to_numpy(), "column": bad["column"].to_numpy(),
        "raw": bad["raw"].to_numpy(), "raw_row": raw_rows, "reason": bad["reason"].astype(str).to_numpy()})
    QUARANTINE.insert_frame(con, q)


def _report_lookup(con, report_ids: dict) -> dict:
    """(submission, agency_key or agency, year as text) → current report_id, for the reports added
    (the keys of ``report_ids`` whose value is not None: an unchanged report keeps the narrative and
    issues it came with). A companion row finds only a report its own file added: what it links to
    does not depend on which files share its chunk."""
    keys = pd.DataFrame([(str(k), int(y)) for (k, y), v in report_ids.items() if v is not None],
                        columns=["agency_key", "year"])
    if keys.empty:
        return {}
    with registered(con, "_keys_in", keys):
        rows = con.execute("""
            SELECT r.submission_id, r.agency_key, r.agency, r.year, r.report_id FROM _keys_in k
            JOIN reports r ON r.agency_key = k.agency_key AND r.year = k.year AND r.superseded_by IS NULL
        """).fetchall()
    out = {}
    for sub, key, agency, year, rid in rows:
        out[(sub, key, str(year))] = rid
        out[(sub, agency, str(year))] = rid
    return out


def _int32(s: pd.Series) -> pd.Series:
    """Whole numbers that fit an INTEGER column; anything else (text, fractions, huge) is NULL."""
    num = pd.to_numeric(s.astype("string").str.strip().replace("", None), errors="coerce").astype("float64")
    ok = num.notna() & (num % 1 == 0) & num.abs().le(INT32)
    return num.where(ok).astype("Int64")


def _insert_side(con, narrative: pd.DataFrame | None, issues: pd.DataFrame | None, lookup: dict,
                 base: int) -> None:
    """Insert companion rows (narrative counts, extraction issues), each with the report ``lookup``
    (:func:`_report_lookup`) finds for its agency and year."""

    def rid_of(df: pd.DataFrame) -> list:
        keys = zip((base + df["_file"].astype("int64")).tolist(),
                   df.get("agency", pd.Series([""] * len(df))).astype(str).str.strip(),
                   df.get("year", pd.Series([""] * len(df))).astype(str).str.strip())
        return [lookup.get((s, a, y.split(".")[0])) for s, a, y in keys]

    if narrative is not None and len(narrative):
        n = narrative.assign(report_id=rid_of(narrative))
        n = n[n["report_id"].notna()]
        for c in NARRATIVE.names:
            if c not in n.columns:
                n[c] = None
        n = n[list(NARRATIVE.names)].astype({"report_id": "int64"})
        n["value"] = pd.to_numeric(n["value"], errors="coerce")
        for c in ("source_line", "char_start", "char_end"):
            n[c] = _int32(n[c])
        for c in ("key", "raw", "sentence", "source_file"):
            n[c] = n[c].astype("string")
        NARRATIVE.insert_frame(con, n)
    if issues is not None and len(issues):
        i = issues.assign(report_id=pd.array(rid_of(issues), dtype="Int64"),
                          submission_id=base + issues["_file"].astype("int64"))
        for c in EXTRACTION_ISSUES.names:
            if c not in i.columns:
                i[c] = None
        i = i[list(EXTRACTION_ISSUES.names)]
        i["source_line"] = _int32(i["source_line"])
        for c in ("code", "severity", "message"):
            i[c] = i[c].astype("string").fillna("")
        for c in ("source_file", "raw"):
            i[c] = i[c].astype("string")
        EXTRACTION_ISSUES.insert_frame(con, i)


class _NotTogether(Exception):
    """A file read in parts names a report again after the part that held its rows was stored."""


def _streamable(path: Path) -> bool:
    """A file the loader reads in parts when it is over the limits: CSV or Parquet extracted statistics."""
    return path.suffix.lower() in (".csv", ".parquet") and path.suffix.lower() not in _report_suffixes()


def _stream_staged(path: Path, res: FileResult) -> _Staged:
    """A file over the limits staged to be read in parts (:func:`_store_stream`), its bytes being
    hashed meanwhile in a thread (``hashing``: the sha256 is known before any of it is stored)."""
    from concurrent.futures import ThreadPoolExecutor

    from checks import formats

    check_file(path, Limits(max_bytes=1 << 62))
    if path.suffix.lower() == ".csv":
        formats.csv_blocks(path, 1 << 62)   # what its first bytes show (binary, no header …) before it is hashed
    pool = ThreadPoolExecutor(max_workers=1)
    hashing = pool.submit(_sha256, path)
    pool.shutdown(wait=False)
    return _Staged(path, res, "", "extracted", frozenset(), 0, streamed=True, hashing=hashing)


def _read_block_prepared(block, spool: str | None):
    """:func:`checks.formats.read_block` and the rows prepared (in a worker process): (line ends,
    cells, prepared cells or None, recipe of :func:`_lean` or None), frames spooled when ``spool``
    is given; None when the block is not read the fast way."""
    got = read_block(block)
    if got is None:
        return None
    newlines, cells = got
    try:
        from checks import contract
        prepared = contract.prepare(cells)
    except Exception:       # noqa: BLE001 - the loading process prepares them (and reports the failure)
        prepared = None
    recipe = None
    if spool is not None:
        if prepared is not None:
            cells, recipe = _lean(cells, prepared)
        cells = _spooled(cells, os.path.join(spool, f"{os.getpid()}-{next(_SPOOL_IDS)}.arrow"))
        prepared = _spooled(prepared, os.path.join(spool, f"{os.getpid()}-{next(_SPOOL_IDS)}.arrow"))
    return newlines, cells, prepared, recipe


def _block_reads(workers: int):
    """``read_blocks`` for :func:`checks.formats.iter_extracted`: blocks read and prepared one spawned
    process ahead of the loading process (at most :data:`READ_AHEAD_BATCHES` in flight, handed over
    as Arrow files), or here when ``workers`` is 1; each outcome (line ends, cells, prepared)."""
    def inline(blocks):
        for b in blocks:
            got = _read_block_prepared(b, None)
            yield None if got is None else got[:3]

    def ahead(blocks):
        done = 0
        if workers > 1 and len(blocks) > 1:
            for _, got in _one_ahead(_read_block_prepared, blocks):
                done += 1
                if got is None:
                    yield None
                    return
                newlines, cells, prepared, recipe = got
                cells, prepared = _unspooled(cells), _unspooled(prepared)
                if recipe is not None:
                    cells = _rebuilt(cells, recipe, prepared)
                yield newlines, cells, prepared
        yield from inline(blocks[done:])      # all of them, or those left when the reading process died
    return ahead


def _stream_rows(path: Path, workers: int):
    """(cells, prepared cells) of a file read in parts (:func:`checks.formats.iter_extracted`), in
    file order, each frame indexed from 0."""
    from checks import contract, formats

    for got in formats.iter_extracted(path, block_bytes=formats.STREAM_BLOCK_BYTES,
                                      read_blocks=_block_reads(workers)):
        cells = got[0].reset_index(drop=True)
        prepared = got[1] if len(got) > 1 and got[1] is not None else contract.prepare(cells)
        yield cells, prepared.reset_index(drop=True)


def _group_keys(prepared: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Each row's report group: agency key, whole year (-2 when it is not one) and, when it is not,
    the year's text. Rows of one report share a group, and so do two copies of a cell (the contract
    finds them by agency key and year text), so a part of whole groups is checked and stored as the
    whole file would be."""
    year = prepared["year"]
    whole = year.notna().to_numpy()
    ykey = pd.Series(year.fillna(-2).to_numpy(dtype="int64"), index=prepared.index)
    text = prepared["year_text"].where(~whole, "")
    return prepared["agency_key"], ykey, text


def _split(pair: tuple, done) -> tuple:
    """(rows where ``done``, the other rows) of a (cells, prepared) pair, either None when empty;
    slices, not copies, when the rows done come first."""
    import numpy as np

    if done.all():
        return pair, None
    if not done.any():
        return None, pair
    k = int(np.argmin(done))
    if not done[k:].any():
        return tuple(f.iloc[:k] for f in pair), tuple(f.iloc[k:].reset_index(drop=True) for f in pair)
    return tuple(f[done] for f in pair), tuple(f[~done].reset_index(drop=True) for f in pair)


def _runs(prepared: pd.DataFrame) -> tuple:
    """Where each run of rows of one report group (:func:`_group_keys`) starts, and its group."""
    import numpy as np

    agency, uniques = pd.factorize(prepared["agency_key"])     # codes: no Python object per row
    whole = prepared["year"].notna().to_numpy()
    ykey = prepared["year"].fillna(-2).to_numpy(dtype="int64")
    change = (agency[1:] != agency[:-1]) | (ykey[1:] != ykey[:-1])
    text = None
    if not whole.all():
        text = np.where(whole, "", prepared["year_text"].to_numpy(dtype=object))
        change |= text[1:] != text[:-1]
    starts = np.r_[0, np.flatnonzero(change) + 1]
    texts = text[starts].tolist() if text is not None else [""] * len(starts)
    return starts, list(zip(np.asarray(uniques, dtype=object)[agency[starts]].tolist(), ykey[starts].tolist(), texts))


def _stream_parts(path: Path, workers: int, part_rows: int, last: dict | None):
    """Parts of a file read in parts, each of about ``part_rows`` rows or more, holding every row of
    the report groups it names (:func:`_group_keys`): (cells, prepared cells), rows in file order.

    ``last`` maps each group to its last row in the file: a group's rows are held back until that row
    has been read. Without it (the first try) a group is taken as done once a block ends on another
    group; :class:`_NotTogether` when that proves wrong (a group met again after it was stored)."""
    import numpy as np

    from checks import contract

    pending, pending_group = None, None
    done_groups: set = set()
    acc, acc_rows, seen = [], 0, 0

    def same_group(prepared: pd.DataFrame, group: tuple):
        agency, ykey, text = _group_keys(prepared)
        same = (agency == group[0]).to_numpy() & (ykey == group[1]).to_numpy()
        return same & (text == group[2]).to_numpy() if group[1] == -2 else same

    def finished(prepared: pd.DataFrame):
        agency, ykey, text = _group_keys(prepared)
        codes, first = contract._groups(agency, ykey, text)
        ends = np.array([last.get(k, np.inf) for k in zip(agency.iloc[first].tolist(), ykey.iloc[first].tolist(),
                                                            text.iloc[first].tolist())])
        return ends[codes] <= seen

    def take(*pairs) -> None:
        nonlocal acc_rows
        for pair in pairs:
            if pair is not None:
                acc.append(pair)
                acc_rows += len(pair[0])

    for cells, prepared in _stream_rows(path, workers):
        seen += len(cells)
        block = (cells, prepared)
        if last is not None:            # held back until each group's last row is in
            done_pending = rest = None
            if pending is not None:
                done_pending, rest = _split(pending, finished(pending[1]))
            done_block, rest_block = _split(block, finished(prepared))
            take(done_pending, done_block)
            pending = rest_block if rest is None else rest if rest_block is None else (
                tuple(pd.concat([a, b], ignore_index=True) for a, b in zip(rest, rest_block)))
        else:                           # the block's last group is held back, the others are done
            starts, groups = _runs(prepared)
            tail = groups[-1]
            if tail in groups[:-1]:
                done_block, rest_block = _split(block, ~same_group(prepared, tail))
            else:
                k = int(starts[-1])
                done_block = tuple(f.iloc[:k] for f in block) if k else None
                rest_block = tuple(f.iloc[k:].reset_index(drop=True) for f in block) if k else block
            named = set(groups) - {tail}
            if pending is not None and pending_group == tail:
                pending = tuple(pd.concat([a, b], ignore_index=True) for a, b in zip(pending, rest_block))
            else:
                if pending is not None:
                    named.add(pending_group)
                    take(pending)
                pending = rest_block
            if named & done_groups:
                raise _NotTogether()
            done_groups.update(named)
            take(done_block)
            pending_group = tail
        if acc_rows >= part_rows:
            yield _joined(acc)
            acc, acc_rows = [], 0
    if pending is not None:
        if last is None and pending_group in done_groups:
            raise _NotTogether()
        take(pending)
    if acc:
        yield _joined(acc)


def _joined(parts: list) -> tuple[pd.DataFrame, pd.DataFrame]:
    if len(parts) == 1:
        return parts[0][0].reset_index(drop=True), parts[0][1].reset_index(drop=True)
    return (pd.concat([c for c, _ in parts], ignore_index=True),
            pd.concat([p for _, p in parts], ignore_index=True))


def _last_rows(path: Path, workers: int) -> dict:
    """Each report group's (:func:`_group_keys`) last row, counted from 1, in a file read in parts."""
    from checks import contract

    last: dict = {}
    seen = 0
    for _, prepared in _stream_rows(path, workers):
        agency, ykey, text = _group_keys(prepared)
        codes, first = contract._groups(agency, ykey, text)
        ends = pd.Series(range(seen + 1, seen + len(codes) + 1)).groupby(codes).max().to_numpy()
        last.update(zip(zip(agency.iloc[first].tolist(), ykey.iloc[first].tolist(), text.iloc[first].tolist()),
                        ends.tolist()))
        seen += len(codes)
    return last


def _store_stream(con, s: _Staged, workers: int, part_rows: int, limits: Limits, loaded: dict) -> None:
    """Load a file over the limits in parts (:func:`_stream_parts`), in one transaction and one
    submission: whole or not at all; nothing when its bytes were loaded before (``loaded``, see
    :func:`_already_loaded`: its hash is awaited before the first part is stored). When its reports
    turn out not to keep their rows together, the transaction is rolled back and the file read
    again, once to find each group's last row, once to load it."""
    parts = _stream_parts(s.path, workers, part_rows, None)
    together = True
    try:
        first = next(parts, None)           # read one process ahead while the file is hashed here
    except _NotTogether:
        together = False
    finally:
        try:
            s.sha = s.hashing.result()
        except OSError as e:
            parts.close()
            raise InputError(s.path, f"cannot read the file ({e.strerror or e})") from None
    if _already_loaded(loaded, s.sha, s.res):
        parts.close()
        return
    last = None
    if together:
        parts = itertools.chain([first] if first is not None else [], parts)
    else:
        parts, last = None, _last_rows(s.path, workers)
    while True:
        con.execute("BEGIN TRANSACTION")
        try:
            base = _next_id(con, "submissions", "submission_id")
            total, report_ids = FileResult(file=str(s.path)), {}
            if parts is None:
                parts = _stream_parts(s.path, workers, part_rows, last)
            for cells, prepared in parts:
                part = _Staged(s.path, FileResult(file=str(s.path)), s.sha, s.kind, frozenset(), len(cells))
                report_ids.update(_store_rows(con, [part], cells.assign(_file=0), prepared, base))
                for k in COUNTS:
                    setattr(total, k, getattr(total, k) + getattr(part.res, k))
                total.reasons.update(part.res.reasons)
            _reset(s.res)
            for k in COUNTS:
                setattr(s.res, k, getattr(total, k))
            s.res.reasons.update(total.reasons)
            s.res.submission_id = base
            lookup = _report_lookup(con, report_ids)
            for c in COMPANIONS:
                side = _companion(s.path, c)
                try:
                    frames = list(_side_frames(side, c, limits)) if side else []
                except TooBig:      # over the limits too: read in frames
                    frames = _side_frames(side, c, limits, part_rows)
                for frame in frames:
                    frame = frame.assign(_file=0)
                    _insert_side(con, frame if c == ".narrative" else None, frame if c == ".issues" else None,
                                 lookup, base)
            fault_point("side")
            _insert_submissions(con, [s])
            fault_point("commit")
            con.execute("COMMIT")
        except _NotTogether:
            rollback(con)
            parts = None
            last = _last_rows(s.path, workers)
            continue
        except BaseException:
            rollback(con)
            raise
        break
    fault_point("committed")
    _say_loaded([s])


def load_paths(paths: list[str | Path], db: str | Path, *, agency: str | None = None, year: int | None = None,
               on_file=None, limits: Limits | None = None, chunk_files: int = CHUNK_FILES,
               chunk_rows: int = CHUNK_ROWS, workers: int = 0) -> LoadResult:
    """Load files and directories into the warehouse at ``db``.

    Files are read one by one and stored in chunks (up to ``chunk_files`` files or ``chunk_rows``
    rows): the load contract runs once per chunk and the chunk is one transaction holding one
    submission per file, so every file is loaded whole or not at all. A chunk closes early when the
    next file names a report the chunk already holds (a correction supersedes in file order) or
    repeats a file's bytes.

    A file that cannot be read (or is not a regular file, too big, has no table …) is reported
    (status ``error``, one line ``file:line: problem``) and the batch goes on. A fault of the
    warehouse itself (locked, read-only, full disk, damaged) raises :class:`StorageError`: the
    chunks committed before it stay, the one in progress is rolled back.
    ``on_file(FileResult)`` is called for each file once its outcome is known, for progress output.

    Report files are extracted ahead of the loading process in ``workers`` processes (0, the
    default: one per core; 1: all in this process) when there are at least :data:`PREFETCH_MIN` of
    them; storing stays in this process, the only writer, and what is stored is the same.
    Extracted-statistics files are likewise read (hashed, parsed, companions) one process ahead
    while this one stores, unless ``workers`` is 1 or they hold under :data:`READ_AHEAD_MIN_BYTES`.

    A CSV or Parquet file of extracted statistics over the limits (``limits``: bigger than
    ``max_bytes`` or more rows than ``max_rows``) is not read whole: it is read in parts of about
    ``chunk_rows`` rows (blocks read one process ahead, as above), each report's rows kept together,
    in one transaction of its own, as one submission: still whole or absent. Memory stays bounded
    however big the file (a national file of 100k reports, 17 M rows, 3 GB, included).
    """
    limits = limits or Limits.from_env()
    files, skipped = expand(paths)
    result = LoadResult(skipped=skipped)
    con = connect(db, verify=True)
    try:
        loaded = _loaded_files(con)
    except duckdb.Error as e:
        con.close()
        raise storage_error(db, e, "read") from None
    chunk: list[_Staged] = []
    keys: set = set()
    shas: set = set()
    rows = 0

    def flush() -> None:
        nonlocal rows
        if chunk:
            _commit(con, chunk, db)
            for s in chunk:
                if s.res.submission_id is not None and s.res.status == "loaded":
                    loaded.setdefault(s.sha, (s.res.submission_id, dt.datetime.now()))
            if on_file:
                for s in chunk:
                    on_file(s.res)
        chunk.clear()
        keys.clear()
        shas.clear()
        rows = 0

    ahead = _prefetch(files, agency, year, limits, workers or os.cpu_count() or 1)
    pre = next(ahead, None)
    read = _read_ahead(files, set(loaded), limits, workers or os.cpu_count() or 1)
    got = next(read, None)
    try:
        for f in files:
            res = FileResult(file=str(f))
            result.files.append(res)
            mine = None
            if pre is not None and pre[0] == f:
                mine, pre = pre[1], next(ahead, None)
            elif got is not None and got[0] == f:
                mine, got = got[1], next(read, None)
            staged = _stage(loaded, f, agency, year, limits, res, db, mine)
            if staged is not None and staged.streamed:     # one transaction of its own, read in parts
                flush()
                _guarded(res, f, db, lambda: _store_stream(con, staged, workers or os.cpu_count() or 1, chunk_rows,
                                                           limits, loaded))
                if res.status == "loaded":
                    loaded.setdefault(staged.sha, (res.submission_id, dt.datetime.now()))
                if on_file:
                    on_file(res)
                continue
            if staged is not None and staged.sha in shas:      # the same bytes as a file of this chunk
                flush()
                _already_loaded(loaded, staged.sha, res)
                staged = None
            if staged is None:
                if on_file:
                    on_file(res)
                continue
            if chunk and (staged.keys & keys or len(chunk) >= chunk_files or rows + staged.rows > chunk_rows):
                flush()
            chunk.append(staged)
            keys.update(staged.keys)
            shas.add(staged.sha)
            rows += staged.rows
        flush()
    finally:
        ahead.close()
        read.close()
        with contextlib.suppress(duckdb.Error):
            con.close()
    return result


def status(db: str | Path) -> dict:
    """What the warehouse holds: counts by template and year, agencies, quarantine, last load."""
    con = connect(db, read_only=True)
    try:
        def one(sql: str):
            return con.execute(sql).fetchall()[0][0]
        by_template = con.execute("""
            SELECT template, count(*), count(DISTINCT agency_key), min(year), max(year)
            FROM current_reports GROUP BY template ORDER BY template""").fetchall()
        by_year = con.execute("SELECT year, count(*) FROM current_reports GROUP BY year ORDER BY year").fetchall()
        reasons = con.execute("""
            SELECT split_part(split_part(r.reason, ' (', 1), ':', 1) AS reason, count(*)
            FROM (SELECT unnest(string_split(reason, '; ')) AS reason FROM quarantine) r
            GROUP BY 1 ORDER BY 2 DESC, 1""").fetchall()
        return {
            "db": str(db),
            "submissions": one("SELECT count(*) FROM submissions"),
            "reports": one("SELECT count(*) FROM current_reports"),
            "reports_superseded": one("SELECT count(*) FROM reports WHERE superseded_by IS NOT NULL"),
            "agencies": one("SELECT count(DISTINCT agency_key) FROM current_reports"),
            "cells": one("SELECT count(*) FROM current_cells"),
            "quarantined": one("SELECT count(*) FROM quarantine"),
            "last_load": one("SELECT max(loaded_at) FROM submissions"),
            "templates": [dict(zip(("template", "reports", "agencies", "first_year", "last_year"), r))
                          for r in by_template],
            "years": [dict(zip(("year", "reports"), r)) for r in by_year],
            "quarantine_reasons": [dict(zip(("reason", "rows"), r)) for r in reasons],
        }
    except duckdb.Error as e:
        raise UserError(f"{db}: not a gongkai warehouse ({str(e).splitlines()[0]})") from None
    finally:
        con.close()
