"""The warehouse: one DuckDB file that keeps every submission, report and cell with its provenance.

``load_paths`` loads extracted-statistics files (and report files, which it extracts on the way
in), one transaction per file: a crash or a kill in the middle leaves the warehouse as it was.
Loading never loses a row: rows that fail the contract (:mod:`checks.contract`) go to
``quarantine`` with their reasons. Loading the same file twice changes nothing. A report whose
cells differ from the current report of the same agency and year supersedes it; the older one
stays in ``reports`` (``superseded_by`` set) and can still be queried as history.
"""

from __future__ import annotations

import contextlib
import hashlib
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

from checks import contract
from checks import waiting as _waiting
from checks.errors import UserError
from checks.formats import EXTENSIONS, InputError, Limits, check_file, one_line, read_extracted

SCHEMA_SQL = (Path(__file__).parent / "schema.sql").read_text(encoding="utf-8")
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
        if p.is_dir():
            # not only regular files: a FIFO or a device with a known suffix is reported, never opened
            for f in sorted(x for x in p.rglob("*") if not x.is_dir()):
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


def _read(path: Path, agency: str | None, year: int | None, limits: Limits):
    """(cells, narrative, issues, kind) of one file; raises InputError when it cannot be read."""
    if path.suffix.lower() in _report_suffixes():
        from checks.extract import extract_paths
        ext = extract_paths([path], agency=agency, year=year, limits=limits)
        if ext.errors:
            raise ext.errors[0]
        if ext.cells.empty:
            errs = ext.issues[ext.issues["severity"] == "error"]
            first = errs[errs["code"] == "X-01"].head(1) if (errs["code"] == "X-01").any() else errs.head(1)
            why = (f" ({first['code'].iloc[0]}: {str(first['message'].iloc[0])[:200]})" if len(first) else "")
            raise InputError(path, f"no statistics table found: nothing to load{why}",
                             int(first["source_line"].iloc[0]) if len(first) and pd.notna(
                                 first["source_line"].iloc[0]) else None)
        cells = ext.cells.astype("string").fillna("")
        cells["_line"] = range(1, len(cells) + 1)
        cells["_error"] = ""
        for col in ("agency_id", "region", "variant", "label", "printed_unit"):
            if col not in cells.columns:
                cells[col] = ""
        return cells, ext.narrative, ext.issues, "report"
    cells = read_extracted(path, limits)
    companions = []
    for c in COMPANIONS:
        try:
            side = path.with_name(f"{path.stem}{c}{path.suffix}")
            present = os.path.lexists(side)
        except (OSError, ValueError):       # e.g. the companion's name would be too long: there is none
            present = False
        companions.append(_read_side(side, c, limits) if present else None)
    return cells, companions[0], companions[1], "extracted"


def _read_side(path: Path, kind: str, limits: Limits) -> pd.DataFrame:
    """A companion file (narrative counts, extraction issues) as a frame of strings."""
    check_file(path, limits)
    what = "narrative" if kind == ".narrative" else "issues"
    try:
        if path.suffix.lower() == ".parquet":
            df = pd.read_parquet(path)
        elif path.suffix.lower() in (".jsonl", ".ndjson"):
            df = pd.read_json(path, lines=True, dtype=False)
        else:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, OSError, UnicodeDecodeError, RecursionError, TypeError) as e:
        raise InputError(path, f"cannot read this {what} companion file ({_first_line(e)[:200]}); "
                               "nothing was loaded from its cells file either") from None
    except Exception as e:    # pyarrow and pandas parser errors
        raise InputError(path, f"cannot read this {what} companion file ({type(e).__name__}: "
                               f"{_first_line(e)[:200]}); nothing was loaded from its cells file either") from None
    df.columns = [str(c) for c in df.columns]
    if df.columns.duplicated().any():
        raise InputError(path, f"this {what} companion file names a column twice; nothing was loaded from its "
                               "cells file either", 1)
    missing = [c for c in COMPANION_REQUIRED[kind] if c not in df.columns]
    if missing:
        raise InputError(path, f"not {'a narrative' if what == 'narrative' else 'an issues'} companion file: missing column(s) {', '.join(missing)}; nothing "
                               "was loaded from its cells file either", 1)
    if len(df) > limits.max_rows:
        raise InputError(path, f"this {what} companion file has more than {limits.max_rows:,} rows (the limit)")
    return df.astype(object).where(df.notna(), None).map(lambda v: "" if v is None else str(v)).astype("string")


def _content_shas(good: pd.DataFrame) -> pd.DataFrame:
    """One row per report of the file: agency_key, year, first row's metadata, cell count and content hash."""
    parts = (good["template"] + "|" + good["variant"] + "|" + good["item"] + "\x1e" + good["column"] + "\x1e"
             + good["raw"])
    keyed = good[["agency_key", "year"]].assign(_part=parts).sort_values(["agency_key", "year", "_part"])
    joined = keyed.groupby(["agency_key", "year"], sort=True)["_part"].agg("\x1f".join)
    shas = [hashlib.sha256(t.encode()).hexdigest() for t in joined.tolist()]
    first = good.drop_duplicates(["agency_key", "year"]).set_index(["agency_key", "year"])
    counts = good.groupby(["agency_key", "year"]).size()
    out = first.loc[joined.index, ["agency", "agency_id", "region", "template", "variant", "source_file"]]
    return out.assign(content_sha=shas, cells=counts.loc[joined.index].to_numpy()).reset_index()


def _split_reports(good: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows whose template differs from the rest of their report go to quarantine."""
    if good.empty:
        return good, good.assign(reason=pd.Series(dtype="string"))
    major = good.groupby(["agency_key", "year"])["template"].agg(lambda s: s.mode().iloc[0]).rename("major")
    joined = good.join(major, on=["agency_key", "year"])
    odd = joined["template"] != joined["major"]
    bad = good[odd].copy()
    bad["reason"] = ["the report's other rows use template " + m for m in joined.loc[odd, "major"]]
    return good[~odd], bad


def _next_id(con, table: str, column: str) -> int:
    return int(con.execute(f"SELECT coalesce(max({column}), 0) + 1 FROM {table}").fetchall()[0][0])


def _load_file(con, path: Path, agency: str | None, year: int | None, limits: Limits | None = None,
               db: str | Path = "") -> FileResult:
    """Load one file in one transaction. Whatever goes wrong with the file becomes its one-line
    message (status ``error``) and the batch goes on; only a storage fault (the warehouse itself
    cannot be written) raises :class:`StorageError`, after rolling the file back."""
    res = FileResult(file=str(path))
    try:
        return _load_one(con, path, agency, year, limits or Limits.from_env(), res)
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
    for k in ("submission_id", "rows_loaded", "rows_quarantined", "reports_new", "reports_unchanged",
              "reports_superseded"):
        setattr(res, k, None if k == "submission_id" else 0)
    res.reasons.clear()
    return res


def _load_one(con, path: Path, agency: str | None, year: int | None, limits: Limits, res: FileResult) -> FileResult:
    check_file(path, limits)
    try:
        sha = _sha256(path)
    except OSError as e:
        raise InputError(path, f"cannot read the file ({e.strerror or e})") from None
    prior = con.execute("SELECT submission_id, loaded_at FROM submissions WHERE sha256 = ? ORDER BY 1 LIMIT 1",
                        [sha]).fetchall()
    if prior:
        res.status, res.submission_id = "unchanged", prior[0][0]
        res.message = f"already loaded (submission {prior[0][0]}, {prior[0][1]:%Y-%m-%d %H:%M}); nothing changed"
        return res
    cells, narrative, issues, kind = _read(path, agency, year, limits)
    fault_point("read")

    frame = contract.prepare(cells)
    good, bad = contract.validate(frame)
    good, odd = _split_reports(good)
    bad = pd.concat([bad, odd]) if len(odd) else bad
    res.rows_total, res.rows_quarantined = len(frame), len(bad)
    for reason in bad["reason"] if len(bad) else []:
        for r in str(reason).split("; "):
            res.reasons[r.split(" (")[0].split(":")[0]] += 1

    con.execute("BEGIN TRANSACTION")
    try:
        sub_id = _next_id(con, "submissions", "submission_id")
        res.submission_id = sub_id
        report_ids = _insert_reports(con, good, sub_id, res)
        fault_point("reports")
        _insert_cells(con, good, report_ids)
        fault_point("cells")
        if os.environ.get(FAULT_ENV) == "kill-mid-load":
            os.kill(os.getpid(), signal.SIGKILL)
        _insert_quarantine(con, bad, cells, sub_id, path)
        fault_point("quarantine")
        _insert_side(con, narrative, issues, report_ids, sub_id)
        fault_point("side")
        con.execute(
            "INSERT INTO submissions VALUES (?, ?, ?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?)",
            [sub_id, str(path), sha, kind, res.rows_total, res.rows_loaded, res.rows_quarantined,
             res.reports_new, res.reports_unchanged])
        fault_point("commit")
        con.execute("COMMIT")
    except BaseException:
        rollback(con)
        raise
    fault_point("committed")
    parts = [f"{res.reports_new} new report(s)"]
    if res.reports_superseded:
        parts.append(f"{res.reports_superseded} superseding an older one")
    if res.reports_unchanged:
        parts.append(f"{res.reports_unchanged} unchanged")
    parts.append(f"{res.rows_loaded} cells")
    if res.rows_quarantined:
        parts.append(f"{res.rows_quarantined} row(s) quarantined")
    res.message = ", ".join(parts)
    return res


def rollback(con) -> None:
    """Roll back the open transaction; if the failure already ended it (a full disk does), nothing to do."""
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


def _insert_reports(con, good: pd.DataFrame, sub_id: int, res: FileResult) -> dict:
    """Insert one report per (agency_key, year), superseding the current one when the cells differ.

    Returns {(agency_key, year): report_id, or None where the current report has identical cells}.
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
    new = reps[~unchanged].copy()
    new["report_id"] = range(_next_id(con, "reports", "report_id"), _next_id(con, "reports", "report_id") + len(new))
    new["submission_id"] = sub_id
    with registered(con, "_new_in", new):
        con.execute("""
            INSERT INTO reports SELECT report_id, submission_id, agency, nullif(agency_id, ''), agency_key,
                   nullif(region, ''), year, template, nullif(variant, ''), nullif(source_file, ''), content_sha,
                   cells, now()::TIMESTAMP, NULL
            FROM _new_in""")
        con.execute("""
            UPDATE reports SET superseded_by = n.report_id FROM _new_in n
            WHERE reports.report_id = n.current_id""")
    res.reports_new = len(new)
    res.reports_unchanged = int(unchanged.sum())
    res.reports_superseded = int(new["current_id"].notna().sum())
    res.rows_loaded = int(new["cells"].sum())
    ids = {(k, y): None for k, y in zip(reps.loc[unchanged, "agency_key"], reps.loc[unchanged, "year"])}
    ids.update({(k, y): int(r) for k, y, r in zip(new["agency_key"], new["year"], new["report_id"])})
    return ids


def _insert_cells(con, good: pd.DataFrame, report_ids: dict) -> None:
    if good.empty:
        return
    keys = pd.Series(list(zip(good["agency_key"], good["year"])), index=good.index)
    rid = keys.map(report_ids)
    rows = good.assign(report_id=rid)[rid.notna()]
    if rows.empty:
        return
    rows = rows.assign(report_id=rows["report_id"].astype("int64"))
    columns = ["report_id", "item", "column", "state", "value", "unit", "raw", "raw_unit", "printed_unit", "label",
               "note", "source_file", "source_line", "source_col"]
    with registered(con, "_cells_in", rows[columns]):
        con.execute("""
            INSERT INTO cells SELECT report_id, item, "column", state, value, nullif(unit, ''), raw,
                   nullif(raw_unit, ''), nullif(printed_unit, ''), nullif(label, ''), nullif(note, ''),
                   nullif(source_file, ''), source_line, source_col
            FROM _cells_in""")


def _insert_quarantine(con, bad: pd.DataFrame, cells: pd.DataFrame, sub_id: int, path: Path) -> None:
    if bad.empty:
        return
    original = cells.loc[bad.index].drop(columns=["_line", "_error"], errors="ignore")
    raw_rows = [json.dumps({k: v for k, v in r.items() if v not in ("", None)}, ensure_ascii=False)
                for r in original.astype(object).where(original.notna(), None).to_dict("records")]
    q = pd.DataFrame({
        "submission_id": sub_id, "file": str(path), "line": bad["_line"].astype("int64").to_numpy(),
        "agency": bad["agency"].to_numpy(), "year": bad["year_text"].to_numpy(),
        "template": bad["template"].to_numpy(), "item": bad["item"].to_numpy(), "column": bad["column"].to_numpy(),
        "raw": bad["raw"].to_numpy(), "raw_row": raw_rows, "reason": bad["reason"].astype(str).to_numpy()})
    with registered(con, "_q_in", q):
        con.execute('INSERT INTO quarantine SELECT * FROM _q_in')


def _report_lookup(con, report_ids: dict) -> dict:
    """(agency_key or agency, year as text) → current report_id, for the given report keys."""
    keys = pd.DataFrame([(str(k), int(y)) for k, y in report_ids], columns=["agency_key", "year"])
    if keys.empty:
        return {}
    with registered(con, "_keys_in", keys):
        rows = con.execute("""
            SELECT r.agency_key, r.agency, r.year, r.report_id FROM _keys_in k
            JOIN reports r ON r.agency_key = k.agency_key AND r.year = k.year AND r.superseded_by IS NULL
        """).fetchall()
    out = {}
    for key, agency, year, rid in rows:
        out[(key, str(year))] = rid
        out[(agency, str(year))] = rid
    return out


def _int32(s: pd.Series) -> pd.Series:
    """Whole numbers that fit an INTEGER column; anything else (text, fractions, huge) is NULL."""
    num = pd.to_numeric(s.astype("string").str.strip().replace("", None), errors="coerce").astype("float64")
    ok = num.notna() & (num % 1 == 0) & num.abs().le(INT32)
    return num.where(ok).astype("Int64")


def _insert_side(con, narrative, issues, report_ids: dict, sub_id: int) -> None:
    # only the reports this file added: an unchanged report keeps the narrative and issues it came with
    lookup = _report_lookup(con, {k: v for k, v in report_ids.items() if v is not None})

    def rid_of(df: pd.DataFrame) -> list:
        keys = zip(df.get("agency", pd.Series([""] * len(df))).astype(str).str.strip(),
                   df.get("year", pd.Series([""] * len(df))).astype(str).str.strip())
        return [lookup.get((a, y.split(".")[0])) for a, y in keys]

    if narrative is not None and len(narrative):
        n = narrative.copy()
        n["report_id"] = rid_of(n)
        n = n[n["report_id"].notna()]
        cols = ["report_id", "key", "value", "raw", "sentence", "source_file", "source_line", "char_start", "char_end"]
        for c in cols:
            if c not in n.columns:
                n[c] = None
        n = n[cols].astype({"report_id": "int64"})
        for c in ("value",):
            n[c] = pd.to_numeric(n[c], errors="coerce")
        for c in ("source_line", "char_start", "char_end"):
            n[c] = _int32(n[c])
        for c in ("key", "raw", "sentence", "source_file"):
            n[c] = n[c].astype("string")
        with registered(con, "_n_in", n):
            con.execute("INSERT INTO narrative SELECT * FROM _n_in")
    if issues is not None and len(issues):
        i = issues.copy()
        i["report_id"] = rid_of(i)
        i["report_id"] = i["report_id"].astype("Int64")
        i["submission_id"] = sub_id
        cols = ["report_id", "submission_id", "code", "severity", "message", "source_file", "source_line", "raw"]
        for c in cols:
            if c not in i.columns:
                i[c] = None
        i = i[cols]
        i["source_line"] = _int32(i["source_line"])
        for c in ("code", "severity", "message"):
            i[c] = i[c].astype("string").fillna("")
        for c in ("source_file", "raw"):
            i[c] = i[c].astype("string")
        with registered(con, "_i_in", i):
            con.execute("INSERT INTO extraction_issues SELECT * FROM _i_in")


def load_paths(paths: list[str | Path], db: str | Path, *, agency: str | None = None, year: int | None = None,
               on_file=None, limits: Limits | None = None) -> LoadResult:
    """Load files and directories into the warehouse at ``db``, one transaction per file.

    A file that cannot be read (or is not a regular file, too big, has no table …) is reported
    (status ``error``, one line ``file:line: problem``) and the batch goes on. A fault of the
    warehouse itself (locked, read-only, full disk, damaged) raises :class:`StorageError`: the
    files committed before it stay, the one in progress is rolled back.
    ``on_file(FileResult)`` is called after each file, for progress output.
    """
    limits = limits or Limits.from_env()
    files, skipped = expand(paths)
    result = LoadResult(skipped=skipped)
    con = connect(db, verify=True)
    try:
        for f in files:
            r = _load_file(con, f, agency, year, limits, db)
            result.files.append(r)
            if on_file:
                on_file(r)
    finally:
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
