"""A CSV or Parquet file of extracted statistics over the limits (:class:`checks.formats.Limits`) is
loaded in parts (blocks of about ``formats.STREAM_BLOCK_BYTES``, stored about ``chunk_rows`` rows at a
time) inside one transaction, as one submission: whole or not at all, and the warehouse then holds
exactly what loading the same file read whole holds.

Compared: the content of every table, surrogate ids aside (reports by agency_key and year; cells,
narrative and issues by their report's agency_key, year and content; quarantine by file and line),
each file's outcome (status, counters, reasons, message) and the exit code. On a generated corpus
(``checks.generate``) joined into one file: reports in order, rows shuffled over the whole file, a few
reports spread over it, faulty rows spread over it, a quoted line break (BOM), a blank line (CRLF), the
same as Parquet; blocks read here (``workers=1``) and in another process (``workers=2``); over the row
limit only; tiny blocks; parts of one row to the whole file; companions over the limits; odd files.
Then all or nothing: a byte not UTF-8 or a row cut off at the very end, an error at a fault point
mid-load; the same file twice; a correction superseding exactly its reports; the command line."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from checks import formats, generate, warehouse
from checks.formats import Limits

ROOT = Path(__file__).resolve().parent.parent
TINY = Limits(max_bytes=10_000, max_rows=50)            # every corpus file here is far over both
ROWS_ONLY = Limits(max_rows=50)                        # within the size limit, over the row limit
WHOLE = Limits(max_bytes=1 << 30, max_rows=10_000_000)  # read whole
BLOCK = 80_000          # bytes per block: ~12 blocks per corpus file (each block costs ~40 ms however small)
CHUNK = 1_200           # rows stored at a time: ~5 parts per corpus file (reports in order)
AGENCIES = 6            # × 6 years = 36 reports, ~5,500 rows, ~0.95 MB


# ------------------------------------------------------------------------------------------ corpora

class Corpus:
    """The rows of a generated corpus as lines of one CSV file (header once)."""

    def __init__(self, root: Path):
        generate.generate_corpus(root / "gen", AGENCIES, "2017-2022", seed=29, faults=0.2, layouts="none")
        stats = sorted(p for p in (root / "gen" / "stats").rglob("*.csv")
                       if not p.name.endswith((".narrative.csv", ".issues.csv")))
        heads = {p.read_bytes().split(b"\n", 1)[0] for p in stats}
        assert len(heads) == 1
        self.header = heads.pop().decode() + "\n"
        self.names = self.header.strip().split(",")
        self.lines: list[str] = []
        for p in stats:
            body = p.read_text(encoding="utf-8").split("\n", 1)[1]
            self.lines += [l + "\n" for l in body.splitlines()]
        assert '"' not in "".join(self.lines)         # fields split on commas below
        narr = sorted((root / "gen" / "stats").rglob("*.narrative.csv"))
        self.narrative_header = narr[0].read_text(encoding="utf-8").split("\n", 1)[0] + "\n"
        rows = [l for p in narr for l in p.read_text(encoding="utf-8").splitlines()[1:]]
        rng = random.Random(3)
        # a companion within TINY: 30 rows of the corpus's reports, one of no report
        none = "某个没有报告的单位,2019,x.txt,v2019.s3.new_received,3.0,3件,收到申请3件。,2,0,3"
        self.narrative = [l + "\n" for l in rng.sample(rows, 30) + [none]]
        self.all_narrative = [l + "\n" for l in rows]
        first = [self.field(l, "agency") + "," + self.field(l, "year") for l in self.lines[::2000]]
        # issues of some reports, and one of no report
        self.issues = ["agency,year,code,severity,message,source_file,source_line,raw\n"] + [
            f"{a},X-0{i % 4 + 1},{'error' if i % 2 else 'warning'},问题 {i}: 某行未识别,x{i}.txt,{i + 1},原文 {i}\n"
            for i, a in enumerate(first)] + ["无此单位,2020,X-09,warning,no report,y.txt,,\n"]

    def field(self, line: str, name: str) -> str:
        return line.rstrip("\n").split(",")[self.names.index(name)]

    def with_field(self, line: str, **values) -> str:
        f = line.rstrip("\n").split(",")
        for k, v in values.items():
            f[self.names.index(k)] = str(v)
        return ",".join(f) + "\n"

    def key(self, line: str) -> tuple[str, str]:
        return self.field(line, "agency_id"), self.field(line, "year")

    def write(self, path: Path, lines: list[str], *, bom: bool = False, crlf: bool = False,
              companions: bool = True) -> Path:
        text = self.header + "".join(lines)
        if crlf:
            text = text.replace("\n", "\r\n")
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
        if companions:
            stem = path.with_suffix("")
            Path(f"{stem}.narrative.csv").write_text(self.narrative_header + "".join(self.narrative),
                                                     encoding="utf-8")
            Path(f"{stem}.issues.csv").write_text("".join(self.issues), encoding="utf-8")
        return path


def _shuffled(lines: list[str], seed: int = 5) -> list[str]:
    out = list(lines)
    random.Random(seed).shuffle(out)
    return out


def _spread(c: Corpus) -> list[str]:
    """In order, but the rows of three reports spread evenly over the whole file."""
    keys = list(dict.fromkeys(c.key(l) for l in c.lines))
    strays = {keys[1], keys[len(keys) // 2], keys[-2]}
    rest = [l for l in c.lines if c.key(l) not in strays]
    moved = _shuffled([l for l in c.lines if c.key(l) in strays], 19)
    step = len(rest) // len(moved)
    out = []
    for i, l in enumerate(rest):
        if i % step == 0 and moved:
            out.append(moved.pop())
        out.append(l)
    return out + moved


def _faulty(c: Corpus, lines: list[str], shuffle: bool = True) -> list[str]:
    """The shuffled rows with faults spread over the file: a year that is no number, an unknown item, a
    negative count, a cell repeated far from its first copy (and one repeated whose first copy is itself
    bad), a row a field short, a row of another template far from the rest of its report."""
    lines = _shuffled(lines, 7) if shuffle else list(lines)
    n = len(lines)
    counts = [i for i, l in enumerate(lines) if c.field(l, "template") == "v2019" and c.field(l, "column") == "total"
              and c.field(l, "item") == "v2019.s3.new_received"]
    lines[n // 10] = c.with_field(lines[n // 10], year="20x9")
    lines[n // 5] = c.with_field(lines[n // 5], item=c.field(lines[n // 5], "item") + ".nonexistent")
    lines[counts[0]] = c.with_field(lines[counts[0]], raw="-3")
    short = 2 * n // 3
    lines[short] = lines[short].rstrip("\n").rsplit(",", 1)[0] + "\n"
    dup_first = lines[7]
    dup_bad = lines[counts[0]]
    # a v2021 row put in a v2019 report (year 2020), far from that report's rows
    v2021 = next(l for l in lines if c.field(l, "template") == "v2021")
    v2019 = next(l for l in reversed(lines) if c.field(l, "template") == "v2019" and c.field(l, "year") == "2020")
    stray = c.with_field(v2021, agency=c.field(v2019, "agency"), agency_id=c.field(v2019, "agency_id"),
                         region=c.field(v2019, "region"), year="2020")
    lines.insert(n - 40, dup_first)
    lines.insert(n // 2, dup_bad)
    lines.insert(3, stray)
    return lines


def _quoted(c: Corpus) -> list[str]:
    """In order, with a label holding a line break, a comma and quotes in the middle of the file."""
    lines = list(c.lines)
    mid = len(lines) // 2
    f = lines[mid].rstrip("\n").split(",")
    f[c.names.index("label")] = '"第一行\n第二行, 带 ""引号"""'
    lines[mid] = ",".join(f) + "\n"
    lines[mid + 5] = c.with_field(lines[mid + 5], year="2x")           # a bad row after it: its line counts
    return lines


def _blank(c: Corpus) -> list[str]:
    """Shuffled, a quoted comma early (lines still are records), a blank line late and a bad row after
    it; written with CRLF line ends."""
    lines = _shuffled(c.lines, 11)
    f = lines[100].rstrip("\n").split(",")
    f[c.names.index("label")] = '"甲, 乙"'
    lines[100] = ",".join(f) + "\n"
    late = 9 * len(lines) // 10
    lines.insert(late, "\n")
    lines[late + 3] = c.with_field(lines[late + 3], item="nonexistent")
    return lines


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    return Corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def files(corpus: Corpus, tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("files")
    c = corpus
    out = {
        "ordered": c.write(d / "ordered.csv", c.lines),
        "shuffled": c.write(d / "shuffled.csv", _shuffled(c.lines)),
        "spread": c.write(d / "spread.csv", _spread(c)),
        "faulty": c.write(d / "faulty.csv", _faulty(c, c.lines)),
        "quoted": c.write(d / "quoted.csv", _quoted(c), bom=True),
        "blank": c.write(d / "blank.csv", _blank(c), crlf=True),
    }
    frame = formats.read_extracted(out["faulty"], WHOLE)
    frame = frame[frame[formats.ERROR] == ""]
    pq = formats.write_extracted(frame, d / "faulty_parquet.parquet")
    narr = pd.read_csv(d / "faulty.narrative.csv", dtype=str, keep_default_na=False)
    narr.to_parquet(d / "faulty_parquet.narrative.parquet", index=False)
    out["parquet"] = pq
    return out


# ------------------------------------------------------------------------------------------ comparing

def content(db: Path) -> dict:
    """Every table's rows, surrogate ids and load times aside, sorted."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        def q(sql: str) -> list:
            return con.execute(sql).fetchall()
        return {
            "counts": q("SELECT (SELECT count(*) FROM submissions), (SELECT count(*) FROM reports), "
                        "(SELECT count(*) FROM cells), (SELECT count(*) FROM quarantine), "
                        "(SELECT count(*) FROM narrative), (SELECT count(*) FROM extraction_issues)"),
            "submissions": q("SELECT file, sha256, kind, rows_total, rows_loaded, rows_quarantined, reports_new, "
                             "reports_unchanged FROM submissions ORDER BY ALL"),
            "reports": q("""SELECT r.agency_key, r.year, r.agency, r.agency_id, r.region, r.template, r.variant,
                                   r.source_file, r.content_sha, r.cells, s.file, r.superseded_by IS NOT NULL,
                                   n.content_sha, n.agency_key = r.agency_key AND n.year = r.year
                            FROM reports r JOIN submissions s USING (submission_id)
                            LEFT JOIN reports n ON n.report_id = r.superseded_by ORDER BY ALL"""),
            "cells": q("""SELECT r.agency_key, r.year, r.content_sha, c.* EXCLUDE (report_id)
                          FROM cells c JOIN reports r USING (report_id) ORDER BY ALL"""),
            "quarantine": q("""SELECT s.file, q.* EXCLUDE (submission_id)
                               FROM quarantine q JOIN submissions s USING (submission_id) ORDER BY ALL"""),
            "narrative": q("""SELECT r.agency_key, r.year, r.content_sha, n.* EXCLUDE (report_id)
                              FROM narrative n JOIN reports r USING (report_id) ORDER BY ALL"""),
            "issues": q("""SELECT r.agency_key, r.year, r.content_sha, s.file, i.* EXCLUDE (report_id, submission_id)
                           FROM extraction_issues i LEFT JOIN reports r USING (report_id)
                           JOIN submissions s ON s.submission_id = i.submission_id ORDER BY ALL"""),
        }
    finally:
        con.close()


def outcome(result: warehouse.LoadResult) -> dict:
    """Each file's outcome (the submission id and the time in an 'already loaded' message aside)."""
    def one(f: warehouse.FileResult) -> dict:
        d = f.as_dict()
        d.pop("submission_id")
        d["message"] = re.sub(r"\(submission \d+, [^)]*\)", "(submission …)", d["message"])
        return d
    return {"files": [one(f) for f in result.files], "skipped": result.skipped, "exit_code": result.exit_code}


def assert_same(got: dict, want: dict) -> None:
    """Table by table, so that a failure names the table and shows the first rows that differ."""
    assert got.keys() == want.keys()
    for table in want:
        g, w = got[table], want[table]
        if g != w:
            only_g = [r for r in g if r not in set(w)][:3]
            only_w = [r for r in w if r not in set(g)][:3]
            pytest.fail(f"{table}: {len(g)} rows in parts, {len(w)} read whole; only in parts: {only_g}; "
                        f"only read whole: {only_w}")


class Parts:
    """Counts what is read in parts: the frames :func:`formats.iter_extracted` yields, per file."""

    def __init__(self, monkeypatch):
        self.frames: dict[str, int] = {}
        real = formats.iter_extracted

        def spy(path, *args, **kwargs):
            self.frames.setdefault(str(path), 0)
            for part in real(path, *args, **kwargs):
                self.frames[str(path)] += 1
                yield part
        monkeypatch.setattr(formats, "iter_extracted", spy)
        if hasattr(warehouse, "iter_extracted"):
            monkeypatch.setattr(warehouse, "iter_extracted", spy)


def load_parts(paths: list[Path], db: Path, monkeypatch, *, workers: int = 1, limits: Limits = TINY,
               block: int = BLOCK, chunk: int = CHUNK) -> tuple[warehouse.LoadResult, list]:
    monkeypatch.setattr(formats, "STREAM_BLOCK_BYTES", block)
    seen: list = []
    res = warehouse.load_paths(paths, db, limits=limits, chunk_rows=chunk, workers=workers,
                               on_file=lambda f: seen.append((f.file, f.status)))
    return res, seen


def load_whole(paths: list[Path], db: Path) -> warehouse.LoadResult:
    return warehouse.load_paths(paths, db, limits=WHOLE, workers=1)


_WHOLE: dict = {}


def whole(paths: list[Path], tmp_path_factory) -> tuple[dict, dict]:
    """The outcome and content of loading ``paths`` read whole, in a fresh warehouse (once per paths)."""
    key = tuple(map(str, paths))
    if key not in _WHOLE:
        db = tmp_path_factory.mktemp("whole") / "w.duckdb"
        res = load_whole(paths, db)
        _WHOLE[key] = (outcome(res), content(db))
        _remove(db)
    return _WHOLE[key]


def _remove(db: Path) -> None:
    for p in (db, Path(f"{db}.wal")):
        p.unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def _no_references_left(tmp_path):
    """Warehouses loaded read whole (``*whole*``) are references, removed after the test with the
    scratch ones: the session's doctor (tests/conftest.py) checks those loaded in parts, not these."""
    yield
    for db in [*tmp_path.glob("*whole*.duckdb"), tmp_path / "scratch.duckdb"]:
        _remove(db)


# ------------------------------------------------------------------------------------------ 1, 2: the same warehouse

@pytest.mark.parametrize("name, workers", [
    *[(n, 1) for n in ("ordered", "shuffled", "spread", "faulty", "quoted", "blank", "parquet")],
    *[(n, 2) for n in ("faulty", "quoted")]])
def test_a_big_file_in_parts_loads_what_it_loads_read_whole(files, name, workers, tmp_path, tmp_path_factory,
                                                            monkeypatch):
    path = files[name]
    want_outcome, want = whole([path], tmp_path_factory)
    assert want_outcome["files"][0]["status"] == "loaded" and want["counts"][0][1] >= 30    # reports
    parts = Parts(monkeypatch)
    res, seen = load_parts([path], tmp_path / "w.duckdb", monkeypatch, workers=workers)
    assert outcome(res) == want_outcome
    assert_same(content(tmp_path / "w.duckdb"), want)
    assert seen == [(str(path), "loaded")]                          # on_file once, with the outcome
    if workers == 1 and name != "parquet":
        assert parts.frames.get(str(path), 0) >= 5, parts.frames    # really read in parts
    if name in ("faulty", "quoted", "blank", "parquet"):
        assert want["counts"][0][3] > 0 and res.exit_code == 1       # rows quarantined
    else:
        assert want["counts"][0][3] == 0 and res.exit_code == 0


def test_the_faulty_corpus_holds_its_faults(files, tmp_path_factory):
    """The faults of the faulty corpus are there in the reference (read whole), so the comparison above
    covers them: a repeated cell far from its first copy, a row a field short, a stray template …"""
    _, want = whole([files["faulty"]], tmp_path_factory)
    reasons = " | ".join(r[-1] for r in want["quarantine"])
    for text in ("year is not a whole number", "unknown item/column code", "negative value",
                 "the same cell appears twice in one report", "malformed row: row has 11 fields",
                 "the report's other rows use template v2019"):
        assert text in reasons, (text, reasons)
    assert sum("appears twice" in r[-1] for r in want["quarantine"]) == 2
    _, want = whole([files["parquet"]], tmp_path_factory)
    assert sum("appears twice" in r[-1] for r in want["quarantine"]) == 2


def test_over_the_row_limit_only(files, tmp_path, tmp_path_factory, monkeypatch):
    """Within the size limit but over the row limit: in parts too."""
    path = files["shuffled"]
    want_outcome, want = whole([path], tmp_path_factory)
    res, _ = load_parts([path], tmp_path / "rows.duckdb", monkeypatch, limits=ROWS_ONLY)
    assert outcome(res) == want_outcome
    assert_same(content(tmp_path / "rows.duckdb"), want)


def _small(c: Corpus, path: Path, shuffle: bool) -> Path:
    """Four reports of the three templates with the faults of the faulty corpus (~600 rows)."""
    keys = {c.key(next(l for l in c.lines if c.field(l, "year") == y)) for y in ("2018", "2019", "2020", "2021")}
    return c.write(path, _faulty(c, [l for l in c.lines if c.key(l) in keys], shuffle))


@pytest.fixture(scope="module")
def small(corpus: Corpus, tmp_path_factory) -> Path:
    return _small(corpus, tmp_path_factory.mktemp("small") / "small.csv", shuffle=True)


@pytest.fixture(scope="module")
def small_in_order(corpus: Corpus, tmp_path_factory) -> Path:
    return _small(corpus, tmp_path_factory.mktemp("small") / "small_in_order.csv", shuffle=False)


def test_tiny_blocks(small, tmp_path, monkeypatch):
    """Blocks of 2,000 bytes (about ten rows each), rows stored 100 at a time."""
    want = load_whole([small], tmp_path / "whole.duckdb")
    assert want.files[0].rows_quarantined >= 7
    parts = Parts(monkeypatch)
    res, _ = load_parts([small], tmp_path / "tiny.duckdb", monkeypatch, block=2_000, chunk=100)
    assert parts.frames[str(small)] > 30
    assert outcome(res) == outcome(want)
    assert_same(content(tmp_path / "tiny.duckdb"), content(tmp_path / "whole.duckdb"))


@pytest.mark.parametrize("chunk", [50, 250, 100_000])
def test_part_sizes(corpus, small_in_order, tmp_path, monkeypatch, chunk):
    """Parts of any size (one row, a few reports, the whole file), on a small file whose reports are in
    order but for one whose rows are spread over the whole file (read again, each group's end known)."""
    c = corpus
    lines = small_in_order.read_text(encoding="utf-8").split("\n", 1)[1].splitlines(True)
    stray = c.key(lines[-1])
    rest = [l for l in lines if c.key(l) != stray]
    moved = [l for l in lines if c.key(l) == stray]
    step = len(rest) // len(moved) + 1
    mixed = [l for i, r in enumerate(rest) for l in ([moved[i // step], r] if i % step == 0 else [r])]
    mixed += moved[len(rest) // step + 1:]
    assert sorted(mixed) == sorted(lines)
    path = c.write(tmp_path / "mixed.csv", mixed)
    want = load_whole([path], tmp_path / "whole.duckdb")
    res, _ = load_parts([path], tmp_path / "parts.duckdb", monkeypatch, block=5_000, chunk=chunk)
    assert outcome(res) == outcome(want)
    assert_same(content(tmp_path / "parts.duckdb"), content(tmp_path / "whole.duckdb"))


def test_at_the_limits_read_whole_one_over_in_parts(corpus, tmp_path, monkeypatch):
    """A file of exactly max_rows rows and max_bytes bytes is read whole; one row or byte more: in parts.
    The warehouse is the same either way."""
    lines = corpus.lines[:120]
    path = corpus.write(tmp_path / "small.csv", lines, companions=False)
    size = path.stat().st_size
    dbs = {}
    for name, limits in {"at": Limits(max_bytes=size, max_rows=120), "rows": Limits(max_bytes=size, max_rows=119),
                         "bytes": Limits(max_bytes=size - 1, max_rows=120)}.items():
        res, _ = load_parts([path], tmp_path / f"{name}.duckdb", monkeypatch, limits=limits, block=5_000, chunk=40)
        dbs[name] = (outcome(res), content(tmp_path / f"{name}.duckdb"))
        assert res.files[0].status == "loaded" and res.files[0].rows_total == 120, res.files[0]
    assert dbs["rows"] == dbs["at"] and dbs["bytes"] == dbs["at"]


def test_companions_over_the_limits_too(corpus, small_in_order, tmp_path, monkeypatch):
    """A narrative companion over both limits (every narrative row of the corpus, most of them naming
    reports the file does not hold) and an issues companion: loaded with the file read in parts, as
    read whole."""
    d = tmp_path / "in"
    d.mkdir()
    path = corpus.write(d / "small.csv", small_in_order.read_text(encoding="utf-8").split("\n", 1)[1].splitlines(True))
    side = d / "small.narrative.csv"
    side.write_text(corpus.narrative_header + "".join(corpus.all_narrative), encoding="utf-8")
    assert side.stat().st_size > TINY.max_bytes and len(corpus.all_narrative) > TINY.max_rows
    want = load_whole([path], tmp_path / "whole.duckdb")
    res, _ = load_parts([path], tmp_path / "parts.duckdb", monkeypatch, block=20_000, chunk=200)
    assert outcome(res) == outcome(want)
    got = content(tmp_path / "parts.duckdb")
    assert_same(got, content(tmp_path / "whole.duckdb"))
    assert got["counts"][0][4] > 5 and got["counts"][0][5] > 0          # narrative and issues rows linked


def test_odd_files_over_the_limits_load_or_fail_as_read_whole(corpus, tmp_path, monkeypatch):
    """Odd files over the limits: the same outcome (one line when refused) and warehouse as read whole. A
    JSON-lines file over the limits is still refused (it is not read in parts)."""
    h, rows = corpus.header, corpus.lines[:150]
    body = h + "".join(rows)
    cases = {
        "blank_lines_only.csv": (h + "\n" * 12_000).encode(),
        "missing_column.csv": (h.replace("item,", "itemx,") + "".join(rows)).encode(),
        "quote_open_at_the_end.csv": (body + 'a,2019,v2019,"x,y\n').encode(),
        "nul_late.csv": body.encode()[:-300] + b"\x00" + body.encode()[-299:],
        "cr_line_ends.csv": body.replace("\n", "\r").encode(),
        "no_final_newline.csv": body.rstrip("\n").encode(),
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        want = load_whole([path], tmp_path / f"{name}.whole.duckdb")
        got, _ = load_parts([path], tmp_path / f"{name}.parts.duckdb", monkeypatch, block=3_000, chunk=50)
        assert outcome(got) == outcome(want), name
        assert content(tmp_path / f"{name}.parts.duckdb") == content(tmp_path / f"{name}.whole.duckdb"), name
    path = tmp_path / "x.jsonl"
    path.write_text('{"agency": "a"}\n' * 1000, encoding="utf-8")
    got, _ = load_parts([path], tmp_path / "jsonl.duckdb", monkeypatch)
    assert got.files[0].status == "error" and "too big" in got.files[0].message and got.exit_code == 1


# ------------------------------------------------------------------------------------------ 3: all or nothing

def _neighbours(corpus: Corpus, d: Path) -> tuple[Path, Path]:
    """Two small files of reports the big files also hold: the first report and the last one."""
    first = [l for l in corpus.lines if corpus.key(l) == corpus.key(corpus.lines[0])]
    last = [l for l in corpus.lines if corpus.key(l) == corpus.key(corpus.lines[-1])]
    return (corpus.write(d / "a_first.csv", first, companions=False),
            corpus.write(d / "c_last.csv", last, companions=False))


def _refused_in_parts(paths: list[Path], big: Path, tmp_path: Path, monkeypatch, workers: int) -> warehouse.FileResult:
    """Load ``paths`` (``big`` among them, refused) in parts: ``big``'s outcome is that read whole, and the
    warehouse holds the other files exactly as when ``big`` is not there at all."""
    alone = load_whole([big], tmp_path / "alone.whole.duckdb")
    want_msg = alone.files[0].message
    assert alone.files[0].status == "error" and content(tmp_path / "alone.whole.duckdb")["counts"] == [(0,) * 6]
    res, seen = load_parts(paths, tmp_path / "w.duckdb", monkeypatch, workers=workers)
    got = {f.file: f for f in res.files}
    bad = got[str(big)]
    assert bad.status == "error" and bad.message == want_msg and not bad.fault
    assert bad.submission_id is None and bad.rows_loaded == bad.rows_quarantined == bad.reports_new == 0
    assert "\n" not in bad.message and res.exit_code == 1
    others = [p for p in paths if p != big]
    assert all(got[str(p)].status == "loaded" for p in others)
    assert sorted(seen) == sorted((str(p), got[str(p)].status) for p in paths)
    ref = load_whole(others, tmp_path / "others.whole.duckdb")
    assert [f.message for f in ref.files] == [got[str(p)].message for p in others]
    assert_same(content(tmp_path / "w.duckdb"), content(tmp_path / "others.whole.duckdb"))
    return bad


@pytest.mark.parametrize("workers", [1, 2])
def test_a_byte_not_utf8_near_the_end_loads_nothing_of_the_file(corpus, tmp_path, monkeypatch, workers):
    lines = list(corpus.lines)           # in order: parts are stored before the end is read
    at = len(lines) - 3
    data = (corpus.header + "".join(lines)).encode("utf-8")
    cut = len((corpus.header + "".join(lines[:at])).encode("utf-8"))       # a row's first byte
    data = data[:cut] + b"\xff" + data[cut:]
    big = tmp_path / "b_big.csv"
    big.write_bytes(data)
    a, c = _neighbours(corpus, tmp_path)
    bad = _refused_in_parts([a, big, c], big, tmp_path, monkeypatch, workers)
    line = data[:cut].count(b"\n") + 1
    assert line == at + 2
    assert bad.message.startswith(f"{big}:{line}: not UTF-8 text (byte 0xff at offset {cut})"), bad.message


def test_a_row_cut_off_at_the_very_end_loads_nothing_of_the_file(corpus, tmp_path, monkeypatch):
    lines = list(corpus.lines)
    lines[-1] = ",".join(lines[-1].split(",")[:5])           # no final newline, 5 fields of 12
    big = corpus.write(tmp_path / "b_big.csv", lines, companions=False)
    a, c = _neighbours(corpus, tmp_path)
    bad = _refused_in_parts([a, big, c], big, tmp_path, monkeypatch, workers=1)
    assert bad.message.startswith(f"{big}:{len(lines) + 1}: the file is cut off"), bad.message


_POINTS: dict = {}


@pytest.mark.parametrize("name, where", [("small", "middle"), ("small_in_order", "middle"),
                                         ("small_in_order", "commit")])
def test_a_fault_mid_load_rolls_the_whole_file_back(corpus, request, tmp_path, monkeypatch, name, where):
    """An internal error at a fault point of the load (:func:`warehouse.fault_point`): the middle one of
    those a clean load passes, or the one just before COMMIT. The file's one line (exit 3), nothing of it
    in the warehouse, what was there before stays; loaded again, it is all there."""
    path = request.getfixturevalue(name)
    real = warehouse.fault_point
    if name not in _POINTS:
        points: list[str] = []

        def count(n: str = "") -> None:
            points.append(n)
            real(n)
        monkeypatch.setattr(warehouse, "fault_point", count)
        load_parts([path], tmp_path / "scratch.duckdb", monkeypatch, block=10_000, chunk=100)
        _POINTS[name] = [p for p in points if p != "committed"]
    points = _POINTS[name]
    assert "commit" in points, points
    stop = points.index("commit") + 1 if where == "commit" else (len(points) + 1) // 2
    db = tmp_path / "w.duckdb"
    a, _ = _neighbours(corpus, tmp_path)
    load_whole([a], db)
    before = content(db)
    seen = [0]

    def fault(n: str = "") -> None:
        seen[0] += 1
        if seen[0] == stop:
            raise RuntimeError(f"injected at {n} ({stop} of {len(points)})")
        real(n)
    monkeypatch.setattr(warehouse, "fault_point", fault)
    res, _ = load_parts([path], db, monkeypatch, block=10_000, chunk=100)
    assert seen[0] >= stop, f"{seen[0]} fault point(s) passed, {len(points)} when counted"
    f = res.files[0]
    assert f.status == "error" and f.fault and res.exit_code == 3, f
    assert f.message == (f"{path}: internal error while loading it (RuntimeError: injected at {points[stop - 1]} "
                         f"({stop} of {len(points)})); nothing was loaded from it"), f.message
    assert f.submission_id is None and f.rows_loaded == f.reports_new == 0
    assert_same(content(db), before)
    monkeypatch.setattr(warehouse, "fault_point", real)
    res, _ = load_parts([path], db, monkeypatch, block=10_000, chunk=100)
    assert res.files[0].status == "loaded"
    load_whole([a], tmp_path / "ref.whole.duckdb")
    load_whole([path], tmp_path / "ref.whole.duckdb")
    assert_same(content(db), content(tmp_path / "ref.whole.duckdb"))


# ------------------------------------------------------------------------------------------ 4, 5: again, corrections

def test_the_same_big_file_again_is_unchanged(files, tmp_path, monkeypatch):
    path = files["faulty"]
    db = tmp_path / "w.duckdb"
    first, _ = load_parts([path], db, monkeypatch)
    assert first.files[0].status == "loaded"
    before = content(db)
    again, seen = load_parts([path], db, monkeypatch, workers=2)
    f = again.files[0]
    assert f.status == "unchanged" and f.submission_id == first.files[0].submission_id, f
    assert f.message.startswith(f"already loaded (submission {f.submission_id}, ") and again.exit_code == 0
    assert seen == [(str(path), "unchanged")]
    assert content(db) == before
    # loaded whole before, in parts now: the same bytes, unchanged too
    db2 = tmp_path / "w2.duckdb"
    load_whole([path], db2)
    before = content(db2)
    res, _ = load_parts([path], db2, monkeypatch)
    assert res.files[0].status == "unchanged" and content(db2) == before


def _corrected(corpus: Corpus, lines: list[str], reports: int) -> tuple[list[str], set]:
    """``lines`` with the raw text of one cell changed in each of ``reports`` reports (spread out)."""
    keys = list(dict.fromkeys(corpus.key(l) for l in corpus.lines))
    pick = set(keys[3::max(1, len(keys) // reports)][:reports])
    done: set = set()
    out = []
    for l in lines:
        k = corpus.key(l)
        if k in pick and k not in done and corpus.field(l, "column") == "value" \
                and re.fullmatch(r"\d+", corpus.field(l, "raw")):
            l = corpus.with_field(l, raw=str(int(corpus.field(l, "raw")) + 7))
            done.add(k)
        out.append(l)
    assert done == pick
    return out, pick


@pytest.mark.parametrize("one_call", [False, True])
def test_a_big_correction_supersedes_exactly_the_reports_it_changes(corpus, files, tmp_path, monkeypatch, one_call):
    """The corrected file has its rows in another order (a report's content does not depend on it)."""
    lines, pick = _corrected(corpus, _shuffled(corpus.lines, 17), 4)
    fixed = corpus.write(tmp_path / "z_fixed.csv", lines)
    old = files["ordered"]
    db, ref = tmp_path / "w.duckdb", tmp_path / "ref.whole.duckdb"
    if one_call:
        res, _ = load_parts([old, fixed], db, monkeypatch)
        want = load_whole([old, fixed], ref)
    else:
        load_parts([old], db, monkeypatch)
        res, _ = load_parts([fixed], db, monkeypatch)
        load_whole([old], ref)
        want = load_whole([fixed], ref)
    f = res.files[-1]
    total = len({corpus.key(l) for l in corpus.lines})
    assert f.status == "loaded" and f.reports_superseded == len(pick) == f.reports_new, f
    assert f.reports_unchanged == total - len(pick)
    assert outcome(res)["files"][-1] == outcome(want)["files"][-1] and res.exit_code == want.exit_code == 0
    got = content(db)
    assert_same(got, content(ref))
    superseded = {(r[0], str(r[1])) for r in got["reports"] if r[11]}
    assert superseded == pick


# ------------------------------------------------------------------------------------------ 6: the command line

def test_the_command_line_loads_a_big_file_and_refuses_a_broken_one_in_one_line(corpus, files, tmp_path):
    """`gongkai load` with GONGKAI_MAX_FILE_MB under the file's size: loaded (in parts); a broken big file
    is one line without traceback, the same line and exit code as read whole."""
    import os

    env = {**os.environ, "GX_ANALYTICS_ENABLED": "False"}
    small = {**env, "GONGKAI_MAX_FILE_MB": "0.01", "GONGKAI_MAX_ROWS": "50"}

    def gk(*args, env):
        return subprocess.run([sys.executable, "-m", "checks.cli", "load", *map(str, args)], capture_output=True,
                              text=True, cwd=ROOT, timeout=120, env=env)
    ok = gk(files["ordered"], "--db", tmp_path / "w.duckdb", "-q", env=small)
    assert ok.returncode == 0 and "Traceback" not in ok.stderr + ok.stdout, ok.stderr
    assert content(tmp_path / "w.duckdb")["counts"][0][:2] == (1, len({corpus.key(l) for l in corpus.lines}))
    lines = list(corpus.lines)
    lines[-1] = ",".join(lines[-1].split(",")[:5])
    big = corpus.write(tmp_path / "cut.csv", lines, companions=False)
    p = gk(big, "--db", tmp_path / "parts.duckdb", "-q", env=small)
    want = load_whole([big], tmp_path / "whole.duckdb")
    assert "Traceback" not in p.stderr + p.stdout, p.stderr
    lines = [l for l in p.stderr.splitlines() if str(big) in l]
    assert len(lines) == 1 and want.files[0].message in lines[0], (p.stderr, want.files[0].message)
    assert p.returncode == want.exit_code == 1
