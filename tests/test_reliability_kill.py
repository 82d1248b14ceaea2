"""kill -9 at random points of the main job (issue 12, quality bar).

The main job (:func:`checks.pipeline.run`: load, check, exports, site, status) runs in a forked
child that kills itself with SIGKILL at the N-th fault point (``GONGKAI_FAULT=kill@N``: every
step of a file's load transaction, the check run before COMMIT, every atomic file write), N
drawn at random; a few children are killed by the parent after a random, bounded delay instead.
Each iteration loads a new resubmission, so every run has load work to be killed in. After
every kill: the warehouse opens, :func:`checks.doctor.diagnose` finds it sound (whole
submissions or none, no partial check run), every export and site page present is whole; at the
end a rerun completes. No sleeps: the child is forked from this already-warm process.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import signal
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checks import doctor, pipeline, warehouse

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
KILLS = int(os.environ.get("GONGKAI_KILLS", "50"))
TIMER_KILLS = 8


def _variant(folder: Path, i: int) -> Path:
    """Sample 000 resubmitted with one cell changed: a new file that supersedes the last one."""
    text = (SAMPLES / "000_ebde6dcd4a6dec74.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    rows[2][rows[0].index("raw")] = str(1000 + i)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    p = folder / f"resubmission_{i:03d}.csv"
    p.write_text(out.getvalue(), encoding="utf-8")
    return p


def _fork(fn, fault: str | None = None, kill_after: float | None = None) -> int:
    """Run ``fn()`` in a forked child; its exit status: 10 + what fn returns, -9 when killed, 99 on error.

    Forked under :func:`checks.warehouse.forkable`: a DuckDB connection destroyed in the child would
    wait forever for the parent's DuckDB threads, which do not exist there (it hung the suite once)."""
    with warehouse.forkable():
        pid = os.fork()
        if pid == 0:            # the child never leaves the block: what it inherited stays frozen
            try:
                warehouse._points = 0
                if fault:
                    os.environ[warehouse.FAULT_ENV] = fault
                else:
                    os.environ.pop(warehouse.FAULT_ENV, None)
                os._exit(10 + int(fn() or 0))
            except BaseException:          # noqa: BLE001 - any failure is an exit code
                os._exit(99)
    if kill_after is not None:
        deadline = time.monotonic() + kill_after
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.01)
        else:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
    else:
        _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _whole_outputs(out: Path) -> int:
    """Every export and page present parses completely; returns how many were checked."""
    import openpyxl

    n = 0
    checks = {
        "findings.csv": lambda p: list(csv.reader(p.open(encoding="utf-8-sig", newline=""))) and
        p.read_bytes().endswith(b"\n"),
        "findings.json": lambda p: json.loads(p.read_text(encoding="utf-8")),
        "status.json": lambda p: json.loads(p.read_text(encoding="utf-8")),
        "junit.xml": lambda p: ET.parse(p),
        "summary.md": lambda p: p.read_text(encoding="utf-8").endswith("\n"),
        "findings.xlsx": lambda p: openpyxl.load_workbook(p, read_only=True).close() or True,
    }
    for name, ok in checks.items():
        p = out / name
        if p.exists():
            assert ok(p), p
            n += 1
    for page in (out / "site").rglob("*.html") if (out / "site").exists() else []:
        assert page.read_text(encoding="utf-8").rstrip().endswith("</html>"), page
        n += 1
    return n


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_kill_minus_9_loop(tmp_path):
    rnd = random.Random(int(os.environ.get("GONGKAI_KILL_SEED", "12")))
    db, out, inbox = tmp_path / "w.duckdb", tmp_path / "out", tmp_path / "inbox"
    inbox.mkdir()
    base = [SAMPLES / "003_ac397f543ad98429.csv"]
    # the first run in this process itself: the children inherit warm imports and caches
    assert pipeline.run(base + [_variant(inbox, 0)], db, out, gx=False).exit_code in (0, 1)

    def load(i):      # two new files: 7 fault points each (read, reports, cells, quarantine, side, commit, committed)
        return lambda: warehouse.load_paths([_variant(inbox, 2 * i + k) for k in (1, 2)], db).exit_code

    def check():
        return pipeline.check_step(db).exit_code

    def report():     # exports, site and status of the latest run: a fault point before every replace
        con = warehouse.connect(db, read_only=True)
        try:    # "the latest run", as its readers pick it: always a whole one
            run_id = con.execute("SELECT run_id FROM check_runs ORDER BY started_at DESC LIMIT 1").fetchall()[0][0]
        finally:
            con.close()
        pipeline.export_step(db, run_id, out)
        pipeline.site_step(db, run_id, out)
        pipeline.status_step(db, out)

    plan = ([("load", load(i), f"kill@{rnd.randint(1, 14)}", None) for i in range(KILLS * 6 // 10)]
            + [("check", check, "kill@1", None) for _ in range(KILLS // 10)]
            + [("check", check, None, rnd.uniform(0.05, 1.0)) for _ in range(KILLS // 10)]
            + [("report", report, f"kill@{rnd.randint(1, 6)}", None) for _ in range(KILLS // 5)])
    rnd.shuffle(plan)
    kills, by_step, outputs = 0, {}, 0
    t0 = time.monotonic()
    spent: dict = {}
    for step, fn, fault, after in plan:
        t1 = time.monotonic()
        code = _fork(fn, fault, after)
        spent[step] = spent.get(step, 0) + time.monotonic() - t1
        assert code in (-9, 10, 11), f"{step}: the child failed with {code}"
        if code == -9:
            kills += 1
            by_step[step] = by_step.get(step, 0) + 1
        diag = doctor.diagnose(db, hashes=False)           # opens, every block readable, nothing partial
        assert diag.sound, [c.as_dict() for c in diag.checks if not c.ok]
        outputs += _whole_outputs(out)
    assert kills >= KILLS - KILLS // 10, (kills, by_step)

    # a rerun completes and the warehouse holds every submission whole
    assert _fork(lambda: pipeline.run(base + [_variant(inbox, 999)], db, out, gx=False).exit_code) in (10, 11)
    assert doctor.diagnose(db).sound
    con = warehouse.connect(db, read_only=True)
    try:
        partial = con.execute("""
            SELECT count(*) FROM submissions s
            WHERE s.rows_loaded <> (SELECT count(*) FROM cells JOIN reports USING (report_id)
                                    WHERE reports.submission_id = s.submission_id)""").fetchall()[0][0]
        runs = con.execute("SELECT count(*) FROM check_runs WHERE finished_at IS NULL").fetchall()[0][0]
    finally:
        con.close()
    assert partial == 0 and runs == 0
    _whole_outputs(out)
    print(f"\nkill loop: {kills} kills survived of {len(plan)} runs ({by_step}), {outputs} outputs checked "
          f"whole, {time.monotonic() - t0:.0f} s (children: {', '.join(f'{k} {v:.0f} s' for k, v in spent.items())})")
