"""Retention of check runs: keep the newest N runs' findings, delete the rest (``gongkai prune``).

The warehouse's reports, cells and submissions are never touched: only ``findings`` and
``check_runs`` rows of older runs go. Fingerprints (:func:`checks.exports.fingerprint`) stay
comparable across the runs that are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PruneResult:
    """Runs kept and deleted, and the findings rows deleted."""

    kept: int
    runs_deleted: int
    findings_deleted: int
    db: str

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def prune(db: str | Path, keep: int) -> PruneResult:
    """Delete the findings and run records of every check run but the newest ``keep`` (≥ 1).

    Raises :class:`~checks.errors.UserError` for ``keep < 1`` or a missing warehouse."""
    from checks import warehouse
    from checks.errors import UserError
    from checks.rules.findings import ensure_tables

    if keep < 1:
        raise UserError(f"--keep must be at least 1, not {keep}")
    if not Path(db).is_file():
        raise UserError(f"{db}: no warehouse here (pass --db)")
    con = warehouse.connect(db)
    try:
        ensure_tables(con)
        runs = [r[0] for r in con.execute("SELECT run_id FROM check_runs ORDER BY started_at DESC").fetchall()]
        old = runs[keep:]
        n = 0
        if old:
            con.execute("BEGIN")
            con.execute("CREATE OR REPLACE TEMP TABLE gk_old_runs AS SELECT unnest(?::VARCHAR[]) AS run_id", [old])
            n = con.execute("SELECT count(*) FROM findings WHERE run_id IN (SELECT run_id FROM gk_old_runs)").fetchall()[0][0]
            con.execute("DELETE FROM findings WHERE run_id IN (SELECT run_id FROM gk_old_runs)")
            con.execute("DELETE FROM check_runs WHERE run_id IN (SELECT run_id FROM gk_old_runs)")
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
        return PruneResult(min(keep, len(runs)), len(old), int(n), str(db))
    finally:
        con.close()
