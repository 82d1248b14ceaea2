"""Fuzzing (issue 12 §6): random and mutated real inputs never crash the cell parser, the extractor
(text and HTML) or the loader; every rejected input has a reason; cells in + quarantined = rows read.

Seeds: the five reports (data/seeds), the extraction fixtures (tests/fixtures/extract) and the five
golden extracted-statistics files (data/samples). Mutations: cut at a random byte, re-encoded
(GB18030, UTF-16, UTF-8 with BOM), bytes flipped, bytes inserted (NUL, 0xff, a lone UTF-8 lead
byte), lines duplicated or dropped, columns shuffled, huge numbers, NUL bytes, deep nesting.

The normal suite runs a modest number of examples. A longer campaign::

    GONGKAI_FUZZ=campaign GONGKAI_FUZZ_EXAMPLES=3000 .venv/bin/python -m pytest -q -p no:cacheprovider \\
        tests/test_fuzz.py --hypothesis-show-statistics --hypothesis-seed=$RANDOM

(see README, "Reliability", for what the 30-minute campaign found).
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.cells import STATES, parse_cell
from checks.extract import extract_bytes
from checks.formats import InputError

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "data" / "seeds").glob("*.txt"))
FIXTURES = sorted(p for p in (ROOT / "tests" / "fixtures" / "extract").iterdir() if p.is_file())
SAMPLES = sorted((ROOT / "data" / "samples").glob("*.csv"))
REPORT_SEEDS = [p.read_bytes() for p in SEEDS + FIXTURES]
SAMPLE_SEEDS = [p.read_bytes() for p in SAMPLES]

CAMPAIGN = os.environ.get("GONGKAI_FUZZ") == "campaign"
N = int(os.environ.get("GONGKAI_FUZZ_EXAMPLES", "0")) or None


def fuzz_settings(normal: int):
    return settings(max_examples=(N or 3000) if CAMPAIGN else normal, deadline=None, derandomize=not CAMPAIGN,
                    suppress_health_check=list(HealthCheck), database=None if not CAMPAIGN else settings().database)


# ------------------------------------------------------------------------------------------ mutations

ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "utf-16-be")
HUGE = ("9" * 40, "1e308", "-1e309", "2147483648", "9223372036854775808", "NaN", "inf", "１２３４５６７８９０" * 5,
        "0x7fffffff", "-0", "1_000", "٣")
NASTY = ("\x00", "\ufeff", "\u202e", "\u200b", "[/]", "[/b]", "<script>", "\"", "\r", "\u2028", "\ud800x", "=1+1",
         "&amp;", "{", "[" * 50)


def _reencode(data: bytes, enc: str) -> bytes:
    try:
        return data.decode("utf-8-sig").encode(enc, errors="replace")
    except UnicodeDecodeError:
        return data


def mutate(rnd: random.Random, data: bytes, ops: list[str]) -> bytes:
    for op in ops:
        if not data:
            break
        n = len(data)
        if op == "cut":
            data = data[: rnd.randrange(n)]
        elif op == "reencode":
            data = _reencode(data, rnd.choice(ENCODINGS))
        elif op == "flip":
            b = bytearray(data)
            for _ in range(rnd.randint(1, 8)):
                b[rnd.randrange(n)] ^= 1 << rnd.randrange(8)
            data = bytes(b)
        elif op == "insert":
            i = rnd.randrange(n)
            data = data[:i] + rnd.choice((b"\x00", b"\xff", b"\xe4", b"\xe4\xb8", b"\r", b"\t", b"|", b"<", b"\"",
                                          "\u202e".encode(), b"[/]")) + data[i:]
        elif op == "lines":
            lines = data.split(b"\n")
            i = rnd.randrange(len(lines))
            if rnd.random() < 0.5:
                lines.insert(i, lines[rnd.randrange(len(lines))])
            else:
                del lines[i]
            data = b"\n".join(lines)
        elif op == "huge":
            text = data.decode("utf-8", errors="surrogateescape")
            nums = list(re.finditer(r"\d+", text))
            if nums:
                m = rnd.choice(nums)
                text = text[: m.start()] + rnd.choice(HUGE) + text[m.end():]
            data = text.encode("utf-8", errors="surrogateescape")
        elif op == "nasty":
            i = rnd.randrange(n)
            data = data[:i] + rnd.choice(NASTY).encode("utf-8", errors="surrogatepass") + data[i:]
    return data


OPS = st.lists(st.sampled_from(("cut", "reencode", "flip", "insert", "lines", "huge", "nasty")), min_size=1,
               max_size=4)


# ------------------------------------------------------------------------------------------ cell parser

@fuzz_settings(300)
@given(st.one_of(st.text(max_size=40), st.sampled_from(HUGE + NASTY), st.from_regex(r"[-+减增]?[0-9０-９,，. ]{0,30}[件条元万]*",
                                                                                   fullmatch=True)),
       st.booleans(), st.booleans())
def test_fuzz_cell_parser(raw, money, signed):
    p = parse_cell(raw, money, signed)
    assert p.state.value in STATES
    if p.value is not None:
        assert isinstance(p.value, float)
    if p.state.value in ("EMPTY", "NA", "TEXT"):
        assert p.value is None


# ------------------------------------------------------------------------------------------ extractor

def _extract(data: bytes, name: str):
    try:
        r = extract_bytes(data, name)
    except InputError as e:
        msg = str(e)
        assert msg.startswith(name) and e.problem.strip(), msg
        assert "\n" not in msg
        return None
    for cell in r.cells:
        assert isinstance(cell[4], int) and cell[4] >= 1          # every cell has a real line
    for i in r.issues:
        assert i.code and i.message
    return r


@fuzz_settings(60)
@given(st.sampled_from(range(len(REPORT_SEEDS))), OPS, st.randoms(use_true_random=False))
def test_fuzz_extractor_mutated_seeds(k, ops, rnd):
    data = mutate(rnd, REPORT_SEEDS[k], ops)
    _extract(data, "fuzzed.txt")


@fuzz_settings(60)
@given(st.binary(max_size=3000))
def test_fuzz_extractor_random_bytes(data):
    _extract(data, "random.txt")


_HTML_PART = st.sampled_from(("<table>", "</table>", "<tr>", "</tr>", "<td>", "</td>", "<td colspan=\"3\">",
                              "<td rowspan=\"99999\">", "<th>", "<br/>", "&nbsp;", "&#0;", "&#xD800;", "<!--", "-->",
                              "<script>alert(1)</script>", "本年新收政府信息公开申请数量", "一、主动公开情况", "总计",
                              "12", "0", "——", "2020年", "<pre>", "</pre>", "<p>", "\n", "\t", "|", "<div>" * 20))


@fuzz_settings(30)
@given(st.lists(_HTML_PART, max_size=200), st.integers(0, 3000 if CAMPAIGN else 300))
def test_fuzz_extractor_html(parts, depth):
    html = "<html><body>" + "<div>" * depth + "".join(parts) + "</div>" * depth + "</body></html>"
    _extract(html.encode("utf-8"), "random.html")


# ------------------------------------------------------------------------------------------ loader

LINE_MSG = re.compile(r"^(?P<file>.+?)(:(?P<line>\d+))?: \S")


def _load_and_check(name: str, data: bytes) -> None:
    """Load one file into a fresh warehouse and check the loader's accounting."""
    from checks import warehouse

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        db = Path(tmp) / "w.duckdb"
        res = warehouse.load_paths([path], db)
        assert len(res.files) == 1
        r = res.files[0]
        if r.status == "error":
            assert r.message.startswith(str(path)) and LINE_MSG.match(r.message), r.message
            assert "\n" not in r.message
            assert res.exit_code in (1, 3)
            return
        assert r.status == "loaded"
        assert r.rows_loaded + r.rows_quarantined == r.rows_total          # nothing lost
        con = warehouse.connect(db, read_only=True)
        try:
            cells = con.execute("SELECT count(*) FROM cells JOIN reports USING (report_id) WHERE submission_id = ?",
                                [r.submission_id]).fetchall()[0][0]
            quarantined = con.execute("SELECT count(*), count(*) FILTER (WHERE reason = '') FROM quarantine "
                                      "WHERE submission_id = ?", [r.submission_id]).fetchall()[0]
        finally:
            con.close()
        assert cells == r.rows_loaded and quarantined[0] == r.rows_quarantined
        assert quarantined[1] == 0                                          # every rejected row has a reason


def _shuffle_columns(rnd: random.Random, data: bytes) -> bytes:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    order = list(range(len(rows[0])))
    rnd.shuffle(order)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    for row in rows:
        w.writerow([row[i] if i < len(row) else "" for i in order])
    return out.getvalue().encode("utf-8")


@fuzz_settings(40)
@given(st.sampled_from(range(len(SAMPLE_SEEDS))), st.booleans(), OPS, st.randoms(use_true_random=False))
def test_fuzz_loader_mutated_csv(k, shuffle, ops, rnd):
    data = SAMPLE_SEEDS[k]
    if shuffle:
        data = _shuffle_columns(rnd, data)
    _load_and_check("fuzzed.csv", mutate(rnd, data, ops))


@fuzz_settings(30)
@given(st.sampled_from(range(len(SAMPLE_SEEDS))), OPS, st.randoms(use_true_random=False),
       st.sampled_from(("plain", "deep", "array", "huge", "nul")))
def test_fuzz_loader_jsonl(k, ops, rnd, extra):
    rows = list(csv.DictReader(io.StringIO(SAMPLE_SEEDS[k].decode("utf-8-sig"), newline="")))
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    i = rnd.randrange(len(lines))
    if extra == "deep":
        depth = rnd.choice((100, 5000, 100_000))
        lines[i] = "[" * depth + "]" * depth if rnd.random() < 0.5 else '{"a":' * depth + "1" + "}" * depth
    elif extra == "array":
        lines[i] = json.dumps(list(rows[i].values()), ensure_ascii=False)
    elif extra == "huge":
        lines[i] = lines[i].replace('"source_line": "', '"source_line": "' + rnd.choice(HUGE), 1)
    elif extra == "nul":
        lines[i] = lines[i].replace('"raw": "', '"raw": "\\u0000', 1)
    data = ("\n".join(lines) + "\n").encode("utf-8")
    _load_and_check("fuzzed.jsonl", mutate(rnd, data, ops) if rnd.random() < 0.5 else data)


@fuzz_settings(25)
@given(st.sampled_from(range(len(REPORT_SEEDS))), OPS, st.randoms(use_true_random=False))
def test_fuzz_loader_reports(k, ops, rnd):
    """Report files loaded directly (extracted on the way in), mutated."""
    _load_and_check("fuzzed.txt", mutate(rnd, REPORT_SEEDS[k], ops))


@fuzz_settings(25)
@given(st.lists(st.lists(st.one_of(st.text(max_size=12), st.sampled_from(HUGE + NASTY)), min_size=1, max_size=14),
                min_size=1, max_size=12))
def test_fuzz_loader_random_csv(rows):
    header = ["agency", "year", "template", "item", "column", "raw", "source_file", "source_line"]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow(r)
    _load_and_check("random.csv", out.getvalue().encode("utf-8", errors="surrogatepass"))


@pytest.mark.parametrize("header", [
    "agency,year,template,item,column,raw,source_file,source_line,raw",
    "agency,year,template,item,column,raw,source_file,source_line,[/b]",
    "agency,year,template,item,column,raw,source_file,source_line,agency",
    "agency,year,template,item,column,raw,source_file,source_line,,",
])
def test_loader_odd_headers(header):
    row = "嘉兴市经信局,2020,v2019,v2019.s3.new_received,natural,3,f.txt,1" + ",x" * (header.count(",") - 7)
    _load_and_check("odd.csv", (header + "\n" + row + "\n").encode())
