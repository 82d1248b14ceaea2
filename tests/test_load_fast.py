"""Extracted-statistics files read ahead in a worker process (``warehouse._read_ahead``) load exactly as
when read in the loading process: every table, every row, every column (times aside), every file's
outcome and message, on irregular and broken inputs too."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from checks import warehouse
from tests.conftest import SAMPLES

HEADER = "agency,year,template,item,column,raw,source_file,source_line\n"


def _tables(db: Path) -> dict:
    """Every warehouse table, every column but loaded_at, rows in order."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY 1").fetchall():
            cols = [c for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [t]).fetchall()
                if c != "loaded_at"]
            sel = ", ".join(f'"{c}"' for c in cols)
            out[t] = con.execute(f'SELECT {sel} FROM "{t}" ORDER BY ALL').fetchall()
        return out
    finally:
        con.close()


def _mutated(src: Path) -> None:
    src.mkdir()
    for p in sorted(SAMPLES.glob("*.csv")):
        shutil.copy(p, src / f"a_{p.name}")
    sample = SAMPLES / "004_1779f513d25e1c56.csv"
    lines = sample.read_text(encoding="utf-8").splitlines()
    # a correction of an earlier file, and a byte-identical copy of one
    (src / "b_fixed.csv").write_text("\n".join(
        [l.replace(",old.s8.staff.total,value,,", ",old.s8.staff.total,value,2,") for l in lines]) + "\n",
        encoding="utf-8")
    shutil.copy(sample, src / "c_copy.csv")
    # short rows, a blank line, quoted commas and quotes, bad numbers, CRLF line ends
    rows = lines[1:]
    odd = [rows[0].rsplit(",", 2)[0], "", rows[1].replace(",old.", ',"x, ""quoted""",old.', 1)] + rows[2:]
    (src / "d_irregular.csv").write_text("\n".join([lines[0]] + odd) + "\n",
                                         encoding="utf-8")
    (src / "e_bad.csv").write_text(HEADER + "某局,2019,v2019,v2019.s3.new_received,total,-3,x.txt,1\n"
                                            "某局,20x9,v2019,v2019.s3.new_received,natural,2.5,x.txt,y\n"
                                            '某局,2019,v2019,v2019.s3.new_received,legal,"1,2",x.txt,3\n',
                                   encoding="utf-8")
    (src / "f_crlf.csv").write_bytes(HEADER.replace("\n", "\r\n").encode()
                                     + "乙局,2020,v2019,v2019.s3.new_received,total,4,y.txt,1\r\n".encode())
    # unreadable files and a broken companion: one line each, the same either way
    (src / "g_latin1.csv").write_bytes(HEADER.encode() + "Agence,2019,v2019,x,total,1,é.txt,1\n".encode("latin-1"))
    (src / "h_noheader.csv").write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    (src / "i_side.csv").write_text(HEADER + "丙局,2021,v2021,v2021.s3.new_received,total,4,z.txt,1\n",
                                    encoding="utf-8")
    (src / "i_side.narrative.csv").write_text("nothing,here\n1,2\n", encoding="utf-8")
    (src / "j_empty.csv").write_text("", encoding="utf-8")


@pytest.mark.parametrize("batch", [1, 1 << 20])
def test_files_read_ahead_in_a_worker_load_the_same(tmp_path, monkeypatch, batch):
    src = tmp_path / "in"
    _mutated(src)
    one, two = tmp_path / "one.duckdb", tmp_path / "two.duckdb"
    a = warehouse.load_paths([src], one, workers=1)
    monkeypatch.setattr(warehouse, "READ_AHEAD_MIN_BYTES", 0)
    monkeypatch.setattr(warehouse, "READ_AHEAD_BATCH_BYTES", batch)
    b = warehouse.load_paths([src], two, workers=2)
    same = lambda r: {**r.as_dict(), "message": r.message.split("(submission")[0]}  # noqa: E731  (no clock)
    assert [same(f) for f in a.files] == [same(f) for f in b.files]
    status = {Path(f.file).name: f.status for f in b.files}
    assert status["c_copy.csv"] == "unchanged" and status["g_latin1.csv"] == "error"
    assert status["h_noheader.csv"] == status["i_side.csv"] == status["j_empty.csv"] == "error"
    assert sum(f.rows_quarantined for f in b.files) >= 4
    assert _tables(one) == _tables(two)
    # loading again: every file already loaded, nothing read by the worker, nothing changes
    c = warehouse.load_paths([src], two, workers=2)
    assert {f.status for f in c.files} == {"unchanged", "error"}
    assert _tables(one) == _tables(two)


def test_an_exception_that_cannot_be_pickled_keeps_its_name_and_line():
    class Odd(Exception):
        def __init__(self, a, b):
            super().__init__(f"{a} and {b}\nsecond line")

        def __reduce__(self):
            raise TypeError("no")

    sent = warehouse._portable(Odd(1, 2))
    back = warehouse._raised(sent)
    assert type(back).__name__ == "Odd" and str(back) == "1 and 2"
    e = ValueError("plain")
    assert warehouse._raised(warehouse._portable(e)) is e


def test_the_worker_reads_every_file_and_sends_its_frames(tmp_path, monkeypatch):
    """The comparison above is not a fallback in disguise: the worker reads, prepares and spools each file."""
    from checks.formats import Limits
    src = tmp_path / "in"
    _mutated(src)
    monkeypatch.setattr(warehouse, "READ_AHEAD_MIN_BYTES", 0)
    monkeypatch.setattr(warehouse, "READ_AHEAD_BATCH_BYTES", 4096)
    files, _ = warehouse.expand([src])
    got = list(warehouse._read_ahead(files, set(), Limits(), 2))
    assert [p for p, _ in got] == files
    outcome = dict(got)
    cells, narrative, issues, keys, prepared = outcome[src / "a_004_1779f513d25e1c56.csv"][1]
    assert len(cells) == len(prepared) == 65 and keys and prepared["state"].notna().all()
    assert str(outcome[src / "g_latin1.csv"][2]).endswith("save it as UTF-8")
    assert "narrative" in str(outcome[src / "i_side.csv"][2])


def test_report_keys_from_prepared_rows_are_the_ones_read_from_the_cells():
    """The read-ahead process keys each file from its prepared rows (warehouse._prepared_keys); a chunk
    closes on the same keys as when they are read from the cells (warehouse._report_keys): blanks,
    spaces (ideographic too), NA, agency_id given or not."""
    import random

    import pandas as pd

    from checks import contract

    rng = random.Random(2)
    values = ["", " ", "a", " a", "b ", None, "2019", " 2019", "2019.0", "\u3000x"]
    for _ in range(200):
        n = rng.randint(0, 30)
        df = pd.DataFrame({c: [rng.choice(values) for _ in range(n)] for c in ("agency", "agency_id", "year")},
                          dtype="string")
        for c in ("template", "variant", "item", "column", "raw", "label", "printed_unit", "source_file", "region",
                  "source_line", "source_col"):
            df[c] = pd.Series([""] * n, dtype="string")
        df["_line"], df["_error"] = range(n), [""] * n
        assert warehouse._prepared_keys(contract.prepare(df)) == warehouse._report_keys(df)


def test_cells_sent_lean_come_back_whole(tmp_path, monkeypatch):
    """The worker sends each file's cells without the columns its prepared rows hold unchanged
    (warehouse._lean); the loading process gets back the frame read in place, exactly: columns, order,
    dtypes, values, spaces the contract strips, extra columns, a short row."""
    import pandas as pd

    from checks.formats import Limits
    src = tmp_path / "in"
    _mutated(src)
    (src / "j_spaces.csv").write_text(
        HEADER.rstrip("\n") + ",state,extra\n" + " 丁局 ,2021 ,v2021, v2021.s3.new_received,total, 4,z.txt, 1,NUMERIC,x\n"
        "丁局,2021,v2021,v2021.s3.new_received,legal,,z.txt,2,,\n", encoding="utf-8")
    monkeypatch.setattr(warehouse, "READ_AHEAD_MIN_BYTES", 0)
    monkeypatch.setattr(warehouse, "READ_AHEAD_BATCH_BYTES", 4096)
    files, _ = warehouse.expand([src])
    compared = 0
    for path, (sha, got, err) in warehouse._read_ahead(files, set(), Limits(), 2):
        if got is not None:
            pd.testing.assert_frame_equal(got[0], warehouse._read(path, Limits())[0], check_exact=True)
            compared += 1
    assert compared >= 6


def test_spool_folders_of_killed_loads_are_swept(tmp_path):
    # a load killed with -9 leaves its spool folder (in /dev/shm it holds memory until a reboot): the
    # next load removes those whose process is gone, and nothing else
    import subprocess

    dead = subprocess.Popen(["true"])
    dead.wait()
    names = {f"{warehouse.SPOOL_PREFIX}{dead.pid}-x1": True, f"{warehouse.SPOOL_PREFIX}{os.getpid()}-x2": False,
             f"{warehouse.SPOOL_PREFIX}abc-x3": False, "other-123-x4": False}
    for name in names:
        (tmp_path / name).mkdir()
        (tmp_path / name / "1.arrow").write_bytes(b"x" * 100)
    gone = warehouse._sweep_spools(str(tmp_path))
    assert sorted(gone) == [str(tmp_path / n) for n, swept in names.items() if swept]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(n for n, swept in names.items() if not swept)
    assert warehouse._sweep_spools(str(tmp_path / "missing")) == []
