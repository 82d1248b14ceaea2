"""Reliability (issue 12): per-file isolation, limits, cut files, storage faults, locks, atomic
check runs and `gongkai doctor`. The kill -9 loop is in test_reliability_kill.py, fuzzing in
test_fuzz.py, hostile text in test_hostile.py."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from checks import doctor, pipeline, warehouse
from checks.extract import extract_bytes
from checks.extract.decode import decode_report
from checks.formats import InputError, Limits

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
SEEDS = ROOT / "data" / "seeds"
S003 = SAMPLES / "003_ac397f543ad98429.csv"
HEADER = S003.read_text(encoding="utf-8").splitlines()[0]
ROWS = S003.read_text(encoding="utf-8").splitlines()[1:4]
ENV = {**os.environ, "GX_ANALYTICS_ENABLED": "False"}


def gk(*args, timeout=120, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "checks.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout, env=env or ENV)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    lines = [l for l in proc.stderr.splitlines() if l.strip() and not l.startswith("waiting:")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def counts(db: Path) -> tuple:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return tuple(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                     for t in ("submissions", "reports", "cells", "quarantine"))
    finally:
        con.close()


# ------------------------------------------------------------------------------ 1. per-file isolation

def _hostile_batch(batch: Path) -> dict[str, str]:
    """A folder of files that each used to stop the batch or trace back; → the problem expected."""
    batch.mkdir()
    shutil.copy(S003, batch / "good.csv")
    (batch / "markup_header.csv").write_text(f"{HEADER},[/b]\n" + "".join(r + ",x\n" for r in ROWS), encoding="utf-8")
    (batch / "x[").mkdir()
    shutil.copy(SAMPLES / "000_ebde6dcd4a6dec74.csv", batch / "x[" / "]markup path.csv")     # a path with [/]
    shutil.copy(SAMPLES / "001_f432b4650208066c.csv", batch / ("n" * 246 + ".csv"))          # 250-byte name
    expected = {
        "dup_header.csv": ":1: the header names column 'raw' twice",
        "deep.jsonl": ":1: no JSON object in the file",
        "issues_no_code.csv": ".issues.csv:1: not an issues companion file: missing column(s) code",
        "fifo.csv": ": skipped: a FIFO (named pipe), not a regular file",
        "empty.csv": ": the file is empty",
        "no_table.html": ": no statistics table found: nothing to load (X-01",
        "cut.txt": "",       # loads: cut inside a character, flagged X-15
    }
    (batch / "dup_header.csv").write_text(f"{HEADER},raw\n" + "".join(r + ",x\n" for r in ROWS), encoding="utf-8")
    (batch / "deep.jsonl").write_text('{"a":' * 100_000 + "1" + "}" * 100_000 + "\n", encoding="utf-8")
    rows = list(csv.reader(io.StringIO("\n".join([HEADER] + ROWS))))
    rows[1][rows[0].index("source_line")] = "2147483648"                   # beyond INT32
    with (batch / "int32.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    shutil.copy(SAMPLES / "002_75ba8c7c95ed2a3b.csv", batch / "issues_no_code.csv")
    (batch / "issues_no_code.issues.csv").write_text("agency,year,message\na,2020,x\n", encoding="utf-8")
    os.mkfifo(batch / "fifo.csv")
    (batch / "empty.csv").write_bytes(b"")
    (batch / "no_table.html").write_text("<html><body><h1>2020年政府信息公开工作年度报告</h1><p>嘉兴市经信局</p>"
                                         "<script>alert(1)</script></body></html>", encoding="utf-8")
    seed = (SEEDS / "000_ebde6dcd4a6dec74.txt").read_bytes()
    (batch / "cut.txt").write_bytes(seed + "附：".encode()[:-1])
    return expected


def test_one_bad_file_never_stops_the_batch(tmp_path):
    batch = tmp_path / "batch"
    expected = _hostile_batch(batch)
    db = tmp_path / "w.duckdb"
    t0 = time.monotonic()
    proc = gk("load", batch, "--db", db, timeout=120)
    assert time.monotonic() - t0 < 120                       # the FIFO did not hang it
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert proc.returncode == 1, proc.stderr                 # data rejected, not the tool failing
    errors = [l for l in proc.stderr.splitlines() if l.strip()]
    bad = {k: v for k, v in expected.items() if v}
    assert len(errors) == len(bad), proc.stderr
    for name, problem in bad.items():
        line = next(l for l in errors if name.split(".")[0] in l)
        assert re.match(rf"^✗ {re.escape(str(batch))}/\S.*{re.escape(problem)}", line), line
    for name in bad:                                         # the summary names every file not loaded
        assert any(name.split(".")[0] in l and "not loaded:" in l for l in proc.stdout.splitlines()), name
    assert "markup path.csv" in proc.stdout and "[/b]" not in proc.stderr
    assert "quarantined 1 × source_line is not a whole number" in proc.stdout
    con = duckdb.connect(str(db), read_only=True)
    try:
        x15 = con.execute("SELECT count(*) FROM extraction_issues WHERE code = 'X-15'").fetchall()[0][0]
        files = {Path(r[0]).name for r in con.execute("SELECT file FROM submissions").fetchall()}
    finally:
        con.close()
    assert x15 == 1
    assert {"good.csv", "markup_header.csv", "]markup path.csv", "n" * 246 + ".csv", "int32.csv", "cut.txt"} <= files
    assert doctor.diagnose(db).sound


def test_unreadable_file_in_a_folder(tmp_path):
    """Permission denied on one file: its line, the rest loads (run unprivileged: root reads anything)."""
    tmp_path = Path(tempfile.mkdtemp(prefix="gongkai-perm-"))      # pytest's own tmp is private to root
    os.chmod(tmp_path, 0o777)
    batch = tmp_path / "batch"
    batch.mkdir()
    shutil.copy(S003, batch / "a_good.csv")
    shutil.copy(SAMPLES / "000_ebde6dcd4a6dec74.csv", batch / "b_locked.csv")
    os.chmod(batch / "b_locked.csv", 0)
    for p in (tmp_path, batch):
        os.chmod(p, 0o777)
    db = tmp_path / "w.duckdb"
    warehouse.load_paths([SAMPLES / "004_1779f513d25e1c56.csv"], tmp_path / "warm.duckdb")   # warm imports
    result = _as_nobody(lambda: warehouse.load_paths([batch], db).as_dict())
    shutil.rmtree(tmp_path, ignore_errors=True)
    assert [f["status"] for f in result.get("files", [])] == ["loaded", "error"], result
    assert re.match(rf"{re.escape(str(batch))}/b_locked.csv: cannot read the file \(Permission denied\)",
                    result["files"][1]["message"])
    assert result["exit_code"] == 1


def _as_nobody(fn):
    """``fn()`` in a forked child running as an unprivileged user (as it is when not root); its JSON result."""
    if os.getuid() != 0:
        return fn()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            os.setgid(65534)
            os.setuid(65534)
            out = json.dumps(fn(), default=str)
        except BaseException as e:          # noqa: BLE001
            out = json.dumps({"exception": f"{type(e).__name__}: {e}"})
        os.write(w, out.encode())
        os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 65536):
        data += chunk
    os.waitpid(pid, 0)
    return json.loads(data)


def test_not_regular_files_on_the_command_line_are_skipped(tmp_path):
    fifo = tmp_path / "inbox.csv"
    os.mkfifo(fifo)
    res = warehouse.load_paths([fifo, "/dev/null", S003], tmp_path / "w.duckdb")
    assert [f.status for f in res.files] == ["error", "error", "loaded"]
    assert "a FIFO" in res.files[0].message and "/dev/null: skipped: a device" in res.files[1].message
    assert res.exit_code == 1


# ---------------------------------------------------------------------------------------- 5. limits

def test_file_over_the_size_limit_is_not_read_whole(tmp_path):
    """Over the size limit a report or a JSON-lines file is refused unread; a CSV file of extracted
    statistics is read in parts (here its first bytes show it is binary: refused without reading on)."""
    big = tmp_path / "big.jsonl"
    with open(big, "wb") as f:                 # sparse: 60 MB on paper, nothing to read
        f.truncate(60 * 1024 * 1024)
    sparse_csv = tmp_path / "big.csv"
    os.link(big, sparse_csv)
    report = tmp_path / "big.txt"
    shutil.copy(SEEDS / "000_ebde6dcd4a6dec74.txt", report)
    res = warehouse.load_paths([big, sparse_csv, report, S003], tmp_path / "w.duckdb",
                               limits=Limits(max_bytes=50 * 1024 * 1024))
    assert res.files[0].message == f"{big}: the file is too big (60.0 MB; the limit is 50 MB, GONGKAI_MAX_FILE_MB): not read"
    assert res.files[1].message == f"{sparse_csv}: not a CSV file: it holds binary data"
    small = warehouse.load_paths([report], tmp_path / "w2.duckdb", limits=Limits(max_bytes=1000))
    assert "the file is too big" in small.files[0].message
    assert [f.status for f in res.files] == ["error", "error", "loaded", "loaded"]


def test_table_over_the_row_limit_is_read_in_parts_or_refused(tmp_path, monkeypatch):
    """Over the row limit a report is refused; a CSV of extracted statistics is loaded in parts: the
    same rows, reports and counts as read whole."""
    whole = warehouse.load_paths([S003], tmp_path / "whole.duckdb")
    monkeypatch.setenv("GONGKAI_MAX_ROWS", "20")
    res = warehouse.load_paths([S003, SEEDS / "000_ebde6dcd4a6dec74.txt"], tmp_path / "w.duckdb")
    assert res.files[0].status == "loaded" and res.files[0].message == whole.files[0].message
    assert {k: v for k, v in res.files[0].as_dict().items() if k != "submission_id"} == \
        {k: v for k, v in whole.files[0].as_dict().items() if k != "submission_id"}
    assert "more than the limit of 20 (GONGKAI_MAX_ROWS)" in res.files[1].message
    assert counts(tmp_path / "w.duckdb") == counts(tmp_path / "whole.duckdb")


# ------------------------------------------------------------------------------ 3. encodings and cuts

def _multibyte_cuts(data: bytes, enc: str, n: int, rnd: random.Random) -> list[int]:
    """Offsets inside a multi-byte character of ``data`` (after the table's first third)."""
    text = data.decode(enc)
    cuts, pos = [], 0
    for ch in text:
        b = len(ch.encode(enc))
        if b > 1:
            cuts.append(pos + rnd.randrange(1, b))
        pos += b
    cuts = [c for c in cuts if c > len(data) // 3]
    return sorted(rnd.sample(cuts, min(n, len(cuts))))


@pytest.mark.parametrize("enc", ["utf-8", "gb18030", "utf-16"])
def test_a_file_cut_inside_a_character_is_read_up_to_the_cut(enc):
    rnd = random.Random(7)
    text = (SEEDS / "001_f432b4650208066c.txt").read_text(encoding="utf-8")
    data = text.encode(enc)
    cuts = _multibyte_cuts(data, enc, 15, rnd) if enc != "utf-16" else [rnd.randrange(len(data) // 3, len(data)) | 1
                                                                        for _ in range(15)]
    for cut in cuts:
        d = decode_report(data[:cut], "cut.txt")
        assert d.cut and d.cut[1] <= cut and d.cut[1] >= cut - 4, (enc, cut, d.cut)
        assert d.cut[0] == data[:d.cut[1]].count(b"\n") + 1 or enc == "utf-16"
        assert text.startswith(d.text.replace("\n", "\n")[: len(d.text) - 1])
        r = extract_bytes(data[:cut], "cut.txt")
        assert [i for i in r.issues if i.code == "X-15"], cut


def test_a_decode_error_names_the_real_line_and_byte():
    data = (SEEDS / "000_ebde6dcd4a6dec74.txt").read_bytes()
    lines = data.split(b"\n")
    k = next(i for i, l in enumerate(lines) if i > 30 and len(l.decode()) > 8)
    prefix = lines[k].decode()[:5].encode()
    lines[k] = prefix + b"\xff\xfe\xff" + lines[k][len(prefix):]
    with pytest.raises(InputError) as e:
        decode_report(b"\n".join(lines), "bad.txt")
    assert e.value.line == k + 1 and f"line {k + 1}, byte {len(prefix) + 1}" in str(e.value), str(e.value)


# ---------------------------------------------------------------------------------- 2. storage faults

FSIZE = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)          # a full disk: writes fail with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
sys.argv = ["gongkai"] + sys.argv[2:]
from checks.cli import main
main()
"""


def test_disk_full_is_one_line_and_keeps_the_warehouse(tmp_path):
    db = tmp_path / "w.duckdb"
    warehouse.load_paths([S003], db)
    before = counts(db)
    script = tmp_path / "fsize.py"
    script.write_text(FSIZE, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script), "30000", "load", SAMPLES, SEEDS, "--db", db, "-q"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120, env=ENV)
    assert proc.returncode == 3
    line = one_line_error(proc)
    assert "cannot write the warehouse" in line and "File too large" in line and "free some space" in line
    diag = doctor.diagnose(db, hashes=False)
    assert diag.sound and counts(db)[0] >= before[0]          # whole submissions only, none lost
    # with room again, the same command completes
    assert gk("load", SAMPLES, SEEDS, "--db", db, "-q").returncode in (0, 1)
    assert counts(db)[:3] == (10, 5, 453) and doctor.diagnose(db).sound       # 5 samples + 5 seeds (same cells)


def test_read_only_location_is_one_line(tmp_path):
    proc = gk("load", S003, "--db", "/proc/gongkai/w.duckdb")
    assert proc.returncode == 3 and "cannot open the warehouse" in one_line_error(proc)
    ro = tmp_path / "ro"
    ro.mkdir()
    warehouse.load_paths([S003], ro / "w.duckdb")
    os.chmod(ro, 0o555)
    os.chmod(ro / "w.duckdb", 0o444)
    os.chmod(tmp_path, 0o777)
    sample = [_readable_sample()]     # copied here: the unprivileged child may not read the checkout
    try:
        got = _as_nobody(lambda: _try_load(ro / "w.duckdb", sample))
        got_new = _as_nobody(lambda: _try_load(ro / "new.duckdb", sample))
    finally:
        os.chmod(ro, 0o755)
    for g in (got, got_new):
        assert g["exit"] == 3 and "\n" not in g["message"] and re.search(r"Permission denied|read-only", g["message"],
                                                                          re.I), g
    assert counts(ro / "w.duckdb") == (1, 1, 60, 0) and doctor.diagnose(ro / "w.duckdb").sound


def _try_load(db, paths):
    try:
        res = warehouse.load_paths(paths, db)
        return {"exit": res.exit_code, "message": "", "errors": [f.message for f in res.files if f.status == "error"]}
    except warehouse.StorageError as e:
        return {"exit": e.exit_code, "message": str(e)}


def _readable_sample() -> Path:
    """A sample report every user can read, wherever the checkout lies (a clone in a private
    ``mktemp -d`` folder is not readable by the unprivileged user of :func:`_as_nobody`)."""
    folder = Path(tempfile.mkdtemp(prefix="gongkai-sample-"))
    os.chmod(folder, 0o755)
    copy = folder / "000_ebde6dcd4a6dec74.csv"
    shutil.copy(SAMPLES / copy.name, copy)
    os.chmod(copy, 0o644)
    return copy


def test_a_file_in_a_folder_one_cannot_enter_is_one_line(tmp_path):
    """Named on the command line but behind a folder without permission: that file is rejected with
    one line (permission denied), the other files load; no traceback (Path.is_dir raised here)."""
    closed = tmp_path / "closed"
    closed.mkdir()
    shutil.copy(SAMPLES / "001_f432b4650208066c.csv", closed / "a.csv")
    os.chmod(closed, 0o700)
    os.chmod(tmp_path, 0o777)
    ok = _readable_sample()
    db = Path(tempfile.mkdtemp(prefix="gongkai-db-"))
    os.chmod(db, 0o777)
    got = _as_nobody(lambda: _try_load(db / "w.duckdb", [closed / "a.csv", ok]))
    if os.getuid() == 0:
        assert got["exit"] == 1 and len(got["errors"]) == 1, got
        assert "\n" not in got["errors"][0] and re.search("Permission denied", got["errors"][0]), got


def test_corrupted_warehouse_files_end_in_one_line(tmp_path):
    """Bytes of a warehouse overwritten at random places: every command exits 0/1 or 3 with one line."""
    base = tmp_path / "base.duckdb"
    warehouse.load_paths([SAMPLES], base)
    size = base.stat().st_size
    rnd = random.Random(3)
    outcomes = []
    for trial in range(4):
        db = tmp_path / f"damaged{trial}.duckdb"
        data = bytearray(base.read_bytes())
        off = rnd.randrange(size)
        for i in range(off, min(size, off + rnd.choice((1, 64, 4096)))):
            data[i] = rnd.randrange(256)
        db.write_bytes(bytes(data))
        (tmp_path / f"damaged{trial}.no-doctor").touch()
        proc = gk("load", SEEDS / "000_ebde6dcd4a6dec74.txt", "--db", db)
        assert proc.returncode in (0, 1, 3), proc.stderr
        if proc.returncode == 3:
            assert "warehouse" in one_line_error(proc)
        else:
            assert "Traceback" not in proc.stderr
        outcomes.append(proc.returncode)
        try:                                  # doctor: sound, or one line (StorageError)
            outcomes.append(doctor.diagnose(db, hashes=False).exit_code)
        except warehouse.StorageError as e:
            assert "\n" not in str(e)
            outcomes.append(3)
    assert 3 in outcomes


def _index_block_damaged(tmp_path: Path) -> Path:
    """A warehouse whose only damage is in a block of the submissions' primary-key index: every table
    scans cleanly (what the old check on open read), the damage shows only when the index is used."""
    base = tmp_path / "base.duckdb"
    warehouse.load_paths([SAMPLES], base)                # five submissions: the index gets a block of its own
    con = duckdb.connect(str(base), read_only=True)
    size = con.execute("PRAGMA database_size").fetchall()[0][2]
    con.close()
    data = base.read_bytes()
    rnd = random.Random(12)
    for block in range((len(data) - 3 * 4096) // size):
        damaged = bytearray(data)
        at = 3 * 4096 + block * size + 8 + 100
        damaged[at:at + 16] = bytes(rnd.randrange(256) for _ in range(16))
        db = tmp_path / f"index{block}.duckdb"
        db.write_bytes(bytes(damaged))
        (tmp_path / f"index{block}.no-doctor").touch()
        try:
            con = duckdb.connect(str(db), read_only=True)
            try:
                for t in ("submissions", "reports", "cells", "quarantine", "narrative", "extraction_issues"):
                    con.execute(f"SELECT count(*), max(hash(t)) FROM {t} AS t").fetchall()
            finally:
                con.close()
        except duckdb.Error:
            continue                                   # a catalogue or table block: found by every open already
        con = duckdb.connect(str(db), read_only=True)
        try:
            con.execute("SELECT * FROM submissions WHERE submission_id = 1").fetchall()
        except duckdb.Error as e:
            assert "checksum" in str(e)
            return db
        finally:
            con.close()
    raise AssertionError("no block of the submissions index found")


def test_a_damaged_index_block_is_refused_before_anything_is_written(tmp_path):
    """Issue 12 §2: load, run, check and doctor find a damaged index block up front (the integrity
    probe, warehouse.probe_blocks) and end in one line with exit 3; the file is left byte for byte."""
    from typer.testing import CliRunner

    from checks.cli import app

    db = _index_block_damaged(tmp_path)
    before = db.read_bytes()
    assert warehouse.probe_blocks(tmp_path / "base.duckdb") is None
    for cmd in (["load", SAMPLES / "000_ebde6dcd4a6dec74.csv"],
                ["run", SAMPLES / "000_ebde6dcd4a6dec74.csv", "--no-gx", "--out", tmp_path / "out"],
                ["check"], ["doctor"], ["prune", "--keep", "1"]):
        r = CliRunner().invoke(app, [*map(str, cmd), "--db", str(db)])
        assert r.exit_code == 3, (cmd, r.output)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        assert len(lines) == 1 and "fails its checksum" in lines[0] and "damaged" in lines[0], (cmd, r.stderr)
        assert db.read_bytes() == before, cmd                      # not worse: not one byte written
    assert not (tmp_path / "out" / "findings.csv").exists()


# --------------------------------------------------------------------------------- locks, concurrency

HOLDER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
sys.stdin.readline()
con.close()
"""


def test_a_second_writer_waits_then_gives_up_with_one_line(tmp_path):
    db = tmp_path / "w.duckdb"
    warehouse.load_paths([S003], db)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        t0 = time.monotonic()
        proc = gk("load", SAMPLES / "000_ebde6dcd4a6dec74.csv", "--db", db, "--wait", "1")
        assert time.monotonic() - t0 >= 1
        assert proc.returncode == 3
        assert re.search(r"waiting: .*in use by another process \(PID \d+\); waiting up to 1 s", proc.stderr)
        assert "gave up after waiting 1 s (--wait SECONDS" in one_line_error(proc)
        # a patient writer gets in when the holder lets go
        late = subprocess.Popen([sys.executable, "-m", "checks.cli", "load", str(SAMPLES / "000_ebde6dcd4a6dec74.csv"),
                                 "--db", str(db), "--wait", "60", "-q"], cwd=ROOT, env=ENV, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        assert "waiting:" in late.stderr.readline()
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert late.wait(timeout=90) == 0
    finally:
        holder.kill()
        holder.wait()
    assert counts(db)[1] == 2 and doctor.diagnose(db).sound


def test_concurrent_runs_all_complete(tmp_path):
    db = tmp_path / "w.duckdb"
    procs = [subprocess.Popen([sys.executable, "-m", "checks.cli", "run", str(S003), "--db", str(db), "--out",
                               str(tmp_path / f"out{i}"), "--no-gx", "-q", "--wait", "120"], cwd=ROOT, env=ENV,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(3)]
    codes = [p.wait(timeout=300) for p in procs]
    assert codes in ([0, 0, 0], [1, 1, 1]), [p.stderr.read() for p in procs]
    assert doctor.diagnose(db).sound
    con = duckdb.connect(str(db), read_only=True)
    try:
        runs = con.execute("SELECT count(*), count(finished_at) FROM check_runs").fetchall()[0]
    finally:
        con.close()
    assert runs == (3, 3) and counts(db)[:3] == (1, 1, 60)


# ------------------------------------------------------------------------------------ atomic check run

def test_a_killed_check_leaves_no_run(tmp_path):
    db = tmp_path / "w.duckdb"
    warehouse.load_paths([SAMPLES], db)
    first = pipeline.check_step(db)
    proc = gk("check", "--db", db, "-q", env={**ENV, warehouse.FAULT_ENV: "kill@1"})
    assert proc.returncode == -9
    con = duckdb.connect(str(db), read_only=True)
    try:
        runs = con.execute("SELECT run_id FROM check_runs ORDER BY started_at DESC").fetchall()
        orphans = con.execute("SELECT count(*) FROM findings WHERE run_id <> ?", [first.run_id]).fetchall()[0][0]
    finally:
        con.close()
    assert [r[0] for r in runs] == [first.run_id] and orphans == 0     # "the latest run" is the whole one
    assert doctor.diagnose(db).sound


# ----------------------------------------------------------------------------------------- 7. doctor

def test_doctor_finds_each_kind_of_damage(tmp_path):
    src = tmp_path / "src.csv"
    shutil.copy(S003, src)
    db = tmp_path / "w.duckdb"
    warehouse.load_paths([src, SAMPLES / "000_ebde6dcd4a6dec74.csv"], db)
    pipeline.check_step(db)
    proc = gk("doctor", "--db", db)
    assert proc.returncode == 0 and "sound" in proc.stdout, proc.stdout + proc.stderr
    damage = {
        "every cell belongs to a report": "INSERT INTO cells (report_id, item, \"column\", state, raw) "
                                          "VALUES (999, 'x', 'value', 'EMPTY', '')",
        "every report belongs to a submission": "UPDATE reports SET submission_id = 999 WHERE report_id = 1",
        "superseded chains are acyclic": "UPDATE reports SET superseded_by = CASE report_id WHEN 1 THEN 2 ELSE 1 END",
        "no partial check run is visible": "INSERT INTO check_runs (run_id, started_at, lenient) "
                                           "VALUES ('partial', now(), false)",
        "each report holds all its cells": "DELETE FROM cells WHERE report_id = 1 AND item LIKE '%s1%'",
    }
    for name, sql in damage.items():
        bad = tmp_path / f"{abs(hash(name))}.duckdb"
        shutil.copy(db, bad)
        (tmp_path / f"{abs(hash(name))}.no-doctor").touch()
        con = duckdb.connect(str(bad))
        con.execute(sql)
        con.close()
        diag = doctor.diagnose(bad)
        assert not diag.sound and name in [c.name for c in diag.checks if not c.ok], (name, diag.as_dict())
        assert diag.exit_code == 1
    src.write_text(src.read_text(encoding="utf-8") + "\n", encoding="utf-8")        # changed since loaded
    diag = doctor.diagnose(db)
    assert [c.name for c in diag.checks if not c.ok] == ["stored file hashes match the files still present"]
    src.unlink()                                                                    # gone: nothing to compare
    assert doctor.diagnose(db).sound


# ------------------------------------------------------------------ extract: one bad file, progress

def test_extract_rejects_a_bad_file_with_its_line_and_goes_on(tmp_path):
    """Issue 12 §1 for `gongkai extract`: an unreadable report is one line `file:line: problem` on
    stderr, the other reports are written, exit 1 (data rejected); 3 only when the tool cannot work."""
    from typer.testing import CliRunner

    from checks.cli import app

    batch = tmp_path / "batch"
    batch.mkdir()
    shutil.copy(SEEDS / "003_ac397f543ad98429.txt", batch / "good.txt")
    (batch / "binary.txt").write_bytes(b"\x00\x01\x02\xff\xfe" * 400)
    (batch / "empty.txt").write_bytes(b"")
    out = tmp_path / "cells.csv"
    r = CliRunner().invoke(app, ["extract", str(batch), "--out", str(out)])
    assert r.exit_code == 1, r.output
    errors = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(errors) == 2 and all(re.match(rf"✗ {re.escape(str(batch))}/(binary|empty)\.txt(:\d+)?: ", l)
                                    for l in errors), errors
    assert "Traceback" not in r.output and out.is_file()
    assert {row["source_file"] for row in csv.DictReader(out.open(encoding="utf-8"))} == {"good.txt"}
    # the tool itself could not work: a path that does not exist, or nothing to read
    assert CliRunner().invoke(app, ["extract", str(tmp_path / "nope"), "--out", str(out)]).exit_code == 3
    (tmp_path / "nothing").mkdir()
    assert CliRunner().invoke(app, ["extract", str(tmp_path / "nothing"), "--out", str(out)]).exit_code == 3
    # every file rejected: data, exit 1, nothing written
    r = CliRunner().invoke(app, ["extract", str(batch / "binary.txt"), "--out", str(tmp_path / "none.csv")])
    assert r.exit_code == 1 and "no report could be read" in r.stderr and not (tmp_path / "none.csv").exists()


def test_extract_reports_progress_per_file(tmp_path, monkeypatch):
    """The library reports each file through a callback (never prints); on a terminal the console
    draws a per-file progress bar, with --quiet and --json nothing."""
    from rich.console import Console
    from typer.testing import CliRunner

    from checks import present
    from checks.cli import app
    from checks.extract import extract_paths

    seen = []
    extract_paths([SEEDS], on_file=lambda path, error, done, total: seen.append((Path(path).name, error, done, total)))
    assert [s[2:] for s in seen] == [(i, 5) for i in range(1, 6)] and all(s[1] is None for s in seen)

    for args, drawn in (([], True), (["--quiet"], False), (["--json"], False)):
        buf = io.StringIO()
        monkeypatch.setattr(present, "console", Console(file=buf, force_terminal=True, width=100))
        r = CliRunner().invoke(app, ["extract", str(SEEDS), "--out", str(tmp_path / "c.csv"), *args])
        assert r.exit_code == 0, r.output
        assert ("5/5" in buf.getvalue() and "extract" in buf.getvalue()) == drawn, (args, buf.getvalue()[-300:])
