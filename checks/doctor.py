"""``gongkai doctor``: prove that the warehouse is sound and that nothing was lost.

Each check is one query (or one pass over the files) and reports how many rows break it:

* the file opens, every block of it passes its checksum (indexes too: :func:`checks.warehouse.probe_blocks`)
  and every table can be read;
* every cell belongs to a report, every report to a submission, every quarantined row and
  extraction issue to a submission, every narrative count to a report (nothing orphaned);
* each report holds exactly as many cells as it recorded when loaded (whole submissions or none);
* superseded chains point at existing reports of the same agency and year, have no cycle, and
  each agency and year has at most one current report;
* no partial check run is visible: every run in ``check_runs`` finished, and every finding
  belongs to a finished run;
* the stored SHA-256 of each submitted file matches the file, where it is still present (a file
  changed at the same path since counts as sound when one of its submissions matches it).

The library never prints; :func:`diagnose` returns a :class:`Diagnosis`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from checks import warehouse


@dataclass
class Check:
    name: str
    problems: int = 0
    detail: str = ""
    examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problems == 0

    def as_dict(self) -> dict:
        return {"name": self.name, "ok": self.ok, "problems": self.problems, "detail": self.detail,
                "examples": self.examples}


@dataclass
class Diagnosis:
    db: str
    checks: list[Check] = field(default_factory=list)
    counts: dict = field(default_factory=dict)

    @property
    def sound(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def exit_code(self) -> int:
        """0 sound, 1 the warehouse breaks a check (storage faults raise StorageError: 3)."""
        return 0 if self.sound else 1

    def as_dict(self) -> dict:
        return {"db": self.db, "sound": self.sound, "counts": self.counts,
                "checks": [c.as_dict() for c in self.checks], "exit_code": self.exit_code}


def _tables(con) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()}


# name, SQL returning the offending rows (first column: a short description), tables it needs
_QUERIES = (
    ("every cell belongs to a report",
     "SELECT 'cell of report ' || c.report_id || ' (' || c.item || ')' FROM cells c "
     "LEFT JOIN reports r USING (report_id) WHERE r.report_id IS NULL", {"cells", "reports"}),
    ("every report belongs to a submission",
     "SELECT 'report ' || r.report_id || ' of submission ' || r.submission_id FROM reports r "
     "LEFT JOIN submissions s USING (submission_id) WHERE s.submission_id IS NULL", {"reports", "submissions"}),
    ("every quarantined row belongs to a submission",
     "SELECT 'quarantined row of submission ' || q.submission_id FROM quarantine q "
     "LEFT JOIN submissions s USING (submission_id) WHERE s.submission_id IS NULL", {"quarantine", "submissions"}),
    ("every extraction issue belongs to a submission",
     "SELECT 'issue ' || i.code || ' of submission ' || i.submission_id FROM extraction_issues i "
     "LEFT JOIN submissions s USING (submission_id) WHERE s.submission_id IS NULL",
     {"extraction_issues", "submissions"}),
    ("every narrative count belongs to a report",
     "SELECT 'narrative of report ' || n.report_id FROM narrative n "
     "LEFT JOIN reports r USING (report_id) WHERE r.report_id IS NULL", {"narrative", "reports"}),
    ("each report holds all its cells",
     "SELECT 'report ' || r.report_id || ': ' || coalesce(c.n, 0) || ' cells stored, ' || r.cells || ' loaded' "
     "FROM reports r LEFT JOIN (SELECT report_id, count(*) AS n FROM cells GROUP BY 1) c USING (report_id) "
     "WHERE coalesce(c.n, 0) <> r.cells", {"cells", "reports"}),
    ("each submission holds what it loaded",
     "SELECT 'submission ' || s.submission_id || ': ' || coalesce(q.n, 0) || ' quarantined rows stored, ' "
     "|| s.rows_quarantined || ' recorded' FROM submissions s "
     "LEFT JOIN (SELECT submission_id, count(*) AS n FROM quarantine GROUP BY 1) q USING (submission_id) "
     "WHERE coalesce(q.n, 0) <> s.rows_quarantined", {"quarantine", "submissions"}),
    ("superseded_by points at a report of the same agency and year",
     "SELECT 'report ' || r.report_id || ' superseded by ' || r.superseded_by FROM reports r "
     "LEFT JOIN reports n ON n.report_id = r.superseded_by WHERE r.superseded_by IS NOT NULL "
     "AND (n.report_id IS NULL OR n.agency_key <> r.agency_key OR n.year <> r.year "
     "OR n.report_id = r.report_id)", {"reports"}),
    ("at most one current report per agency and year",
     "SELECT agency_key || ' ' || year || ': ' || count(*) || ' current reports' FROM reports "
     "WHERE superseded_by IS NULL GROUP BY agency_key, year HAVING count(*) > 1", {"reports"}),
    ("no partial check run is visible",
     "SELECT 'check run ' || run_id || ' started ' || started_at || ' never finished' FROM check_runs "
     "WHERE finished_at IS NULL", {"check_runs"}),
    ("every finding belongs to a finished check run",
     "SELECT 'finding ' || f.code || ' of run ' || f.run_id FROM findings f LEFT JOIN check_runs r USING (run_id) "
     "WHERE r.run_id IS NULL OR r.finished_at IS NULL", {"findings", "check_runs"}),
)


def _cycles(con) -> Check:
    """Superseded chains are acyclic: following superseded_by from any report ends at a current one."""
    check = Check("superseded chains are acyclic")
    nxt = dict(con.execute("SELECT report_id, superseded_by FROM reports WHERE superseded_by IS NOT NULL").fetchall())
    done: set = set()
    for start in nxt:
        seen, r = [], start
        while r in nxt and r not in done:
            if r in seen:
                check.problems += 1
                if len(check.examples) < 5:
                    check.examples.append("cycle: " + " → ".join(map(str, seen[seen.index(r):] + [r])))
                break
            seen.append(r)
            r = nxt[r]
        done.update(seen)
    return check


def _hashes(con, base: Path | None) -> Check:
    check = Check("stored file hashes match the files still present")
    by_file: dict[str, set[str]] = {}
    for file, sha in con.execute("SELECT file, sha256 FROM submissions").fetchall():
        by_file.setdefault(file, set()).add(sha)
    present = 0
    for file, shas in by_file.items():
        p = Path(file)
        if not p.is_absolute() and base is not None and not p.exists():
            p = base / p
        try:
            if not p.is_file():
                continue
            actual = warehouse._sha256(p)
        except OSError:
            continue
        present += 1
        if actual not in shas:
            check.problems += 1
            if len(check.examples) < 5:
                check.examples.append(f"{file}: changed since it was loaded (sha256 {actual[:12]}…, stored "
                                      f"{', '.join(s[:12] + '…' for s in sorted(shas))}); load it again")
    check.detail = f"{present} of {len(by_file)} file(s) still present"
    return check


def diagnose(db: str | Path, *, hashes: bool = True, base: str | Path | None = None) -> Diagnosis:
    """Check the warehouse at ``db`` (opened read-only, every block read once). Raises
    :class:`~checks.warehouse.StorageError` when it cannot be opened or read."""
    con = warehouse.connect(db, read_only=True, verify=True)
    try:
        diag = Diagnosis(str(db))
        diag.checks.append(Check("every block of the file passes its checksum and every table can be read"))
        tables = _tables(con)
        for t in ("submissions", "reports", "cells", "quarantine", "check_runs", "findings"):
            if t in tables:
                diag.counts[t] = con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0]
        for name, sql, needs in _QUERIES:
            if not needs <= tables:
                continue
            rows = [r[0] for r in con.execute(sql).fetchall()]
            diag.checks.append(Check(name, len(rows), examples=[str(r) for r in rows[:5]]))
        if "reports" in tables:
            diag.checks.append(_cycles(con))
        if hashes and "submissions" in tables:
            diag.checks.append(_hashes(con, Path(base) if base else Path(db).resolve().parent))
        return diag
    except duckdb.Error as e:
        raise warehouse.storage_error(db, e, "read") from None
    finally:
        con.close()
