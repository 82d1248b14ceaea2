"""Hostile content stays inert in every output (issue 12 §4).

Agency names, row labels, raw cells and source file names come from outside websites. Each is
set to one hostile string (script tags, entities, quotes, rich markup, right-to-left and
zero-width characters, formula prefixes), the main job runs once with GX, and every output is
read back: our site (HTML), the GX Data Docs we build, the console, findings.csv, findings.xlsx,
findings.json, junit.xml and summary.md.
"""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from checks.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "samples" / "004_1779f513d25e1c56.csv"     # has errors: its agency is in findings

HOSTILE = [
    "<script>alert(1)</script>局",
    "\"'><img src=x onerror=alert(2)>局",
    "&lt;b&gt;&amp;局",
    "[bold red]红[/]局[/]",
    "\u202eRTL局\u200b零宽",
    "\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f隔离\u200c\u200d\ufeff\u2060局\x1b[2J",
    "=HYPERLINK(\"http://evil\",\"x\")局",
    "+1+2局",
    "@SUM(A1)局",
    "-2+3局",
]
"""One report per string, named so: every output shows each as an agency."""

EXECUTABLE = re.compile(r"<script>alert|<img\s+src=x", re.I)
"""A live tag; the same text escaped (``&lt;img src=x onerror=…``) is inert and fine."""
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200b-\u200f\ufeff\u2060\x1b]")
"""Right-to-left and zero-width characters (and ESC): shown as ‹U+202E› in every human-facing output."""
SHOWN = ("‹U+202E›", "‹U+2067›", "‹U+200D›", "‹U+FEFF›")
"""How they are shown (checks.inert.reveal): each must appear, so the characters were not dropped silently."""
RTL_NAME = "\u202eRTL局\u200b零宽"


def _hostile_csv(path: Path) -> Path:
    rows = list(csv.DictReader(SAMPLE.open(encoding="utf-8-sig")))
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        for i, name in enumerate(HOSTILE):
            for j, r in enumerate(rows):
                r = dict(r, agency=name, label=HOSTILE[(i + j) % len(HOSTILE)] + (r["label"] or ""),
                         source_file=f"{HOSTILE[i]}.txt")
                if j == 5:
                    r["raw"] = HOSTILE[(i + 1) % len(HOSTILE)]           # a TEXT cell: reported with its raw text
                w.writerow(r)
    _hostile_narrative(path)
    return path


def _hostile_narrative(cells: Path) -> None:
    """The narrative companion: seed 004's stated counts (微博 469 against 264 in the table: T-01 quotes
    the sentence) for every hostile agency, each sentence carrying a hostile string."""
    from checks.extract import extract_paths

    narr = extract_paths([ROOT / "data" / "seeds" / "004_1779f513d25e1c56.txt"]).narrative
    rows = []
    for i, name in enumerate(HOSTILE):
        for r in narr.to_dict("records"):
            rows.append(dict(r, agency=name, source_file=f"{name}.txt",
                             sentence=HOSTILE[(i + 4) % len(HOSTILE)] + r["sentence"] + RTL_NAME))
    with cells.with_name(cells.stem + ".narrative.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(narr.columns), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    src = _hostile_csv(tmp / "hostile.csv")
    db, out = tmp / "w.duckdb", tmp / "out"
    res = CliRunner().invoke(app, ["run", str(src), "--db", str(db), "--out", str(out)])
    return res, db, out


def test_the_job_runs_and_the_console_shows_names_literally(job):
    res, db, out = job
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output and res.exception is None or isinstance(res.exception, SystemExit)
    # rich markup in an agency name is printed as text, not interpreted (or crashing)
    assert "[bold red]红[/]局[/]" in res.stdout
    for cmd in (["check", "--db", str(db), "--limit", "0"], ["status", "--db", str(db)],
                ["doctor", "--db", str(db)]):
        r = CliRunner().invoke(app, cmd)
        assert r.exit_code in (0, 1) and not isinstance(r.exception, Exception) or isinstance(r.exception, SystemExit), \
            (cmd, r.output)
        assert "Traceback" not in r.output


def _html_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.htm*") if p.is_file())


def test_gx_data_docs_are_inert(job):
    _, _, out = job
    pages = _html_files(out / "gx-docs")
    assert pages, "no GX Data Docs were built"
    shown = 0
    for p in pages:
        text = p.read_text(encoding="utf-8", errors="replace")
        assert not EXECUTABLE.search(text), p
        assert not BIDI.search(text), p
        shown += "&lt;script&gt;alert(1)" in text
    assert shown, "the escaped agency name should appear in the validation pages"


def test_our_site_is_inert(job):
    _, _, out = job
    pages = _html_files(out / "site")
    assert pages
    for p in pages:
        text = p.read_text(encoding="utf-8")
        assert not EXECUTABLE.search(text), p


def test_findings_csv_has_no_live_formula(job):
    _, _, out = job
    rows = list(csv.reader((out / "findings.csv").open(encoding="utf-8-sig", newline="")))
    header, body = rows[0], rows[1:]
    assert body
    agencies = {r[header.index("agency")] for r in body}
    assert "'=HYPERLINK(\"http://evil\",\"x\")局" in agencies and "'@SUM(A1)局" in agencies
    for r in body:
        for v in r:
            assert not v.startswith(("=", "+", "@", "\t", "\r")), v
            assert not (v.startswith("-") and not re.fullmatch(r"-[0-9.]+(e[-+]?\d+)?", v)), v


def test_findings_xlsx_has_no_formula(job):
    import openpyxl

    _, _, out = job
    wb = openpyxl.load_workbook(out / "findings.xlsx")
    values = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                values += c.value is not None
    assert values


def test_findings_json_keeps_the_text_exactly(job):
    _, _, out = job
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    text = json.dumps(data, ensure_ascii=False)
    for name in HOSTILE:
        assert json.dumps(name, ensure_ascii=False)[1:-1] in text      # data, kept exact (JSON is not rendered)


def test_junit_is_well_formed_and_carries_the_text(job):
    _, _, out = job
    root = ET.parse(out / "junit.xml").getroot()
    names = " ".join(tc.get("name", "") + " " + tc.get("classname", "") for tc in root.iter("testcase"))
    assert "<script>alert(1)</script>局" in names                         # parsed back: escaped in the file


def test_markdown_summary_is_inert(job):
    _, _, out = job
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert not EXECUTABLE.search(md)
    assert "<script" not in md and "[bold red]" not in md


def test_load_messages_are_one_line_and_markup_free(tmp_path):
    """A file named with markup and a line break: its messages stay one line on the console."""
    (tmp_path / "x[").mkdir()
    odd = tmp_path / "x[" / "]y[bold]\nname.csv"            # the path holds "[/]" and a line break
    odd.write_bytes(b"")
    r = CliRunner().invoke(app, ["load", str(odd), "--db", str(tmp_path / "w.duckdb")])
    assert r.exit_code == 1 and not isinstance(r.exception, Exception) or isinstance(r.exception, SystemExit)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "x[/]y[bold]\\nname.csv: the file is empty" in lines[0], r.stderr


# ------------------------------------------------ right-to-left and zero-width characters (issue 12 §4)

def _revealed(text: str, where: str, shown=SHOWN) -> None:
    """No raw reordering or invisible character in ``text``, and each shown as ‹U+XXXX›."""
    m = BIDI.search(text)
    assert m is None, f"{where}: raw U+{ord(m.group()):04X} at {m.start()}: {text[max(0, m.start() - 40):m.start() + 40]!r}"
    for s in shown:
        assert s in text, f"{where}: {s} not shown"


def test_bidi_and_zero_width_are_visible_in_our_site(job):
    _, _, out = job
    pages = _html_files(out / "site")
    _revealed((out / "site" / "index.html").read_text(encoding="utf-8"), "index")
    for p in pages:
        _revealed(p.read_text(encoding="utf-8"), str(p), shown=())
    report_pages = "".join(p.read_text(encoding="utf-8") for p in pages if p.parent.name == "r")
    assert "‹U+202E›RTL局‹U+200B›零宽" in report_pages                     # the narrative sentence, quoted
    assert "微博" in report_pages


def test_bidi_and_zero_width_are_visible_in_gx_docs(job):
    _, _, out = job
    text = "".join(p.read_text(encoding="utf-8", errors="replace") for p in _html_files(out / "gx-docs"))
    _revealed(text, "GX Data Docs", shown=("‹U+202E›",))


def test_bidi_and_zero_width_are_visible_on_the_console(job):
    res, db, _ = job
    _revealed(res.stdout, "gongkai run", shown=("‹U+202E›", "‹U+202A›"))     # names cut at 40 cells in the summary
    for cmd in (["check", "--db", str(db), "--limit", "0"], ["show", "RTL", "--db", str(db)]):
        r = CliRunner().invoke(app, cmd)
        _revealed(r.stdout, " ".join(cmd[:2]), shown=("‹U+202E›",))


def test_bidi_and_zero_width_are_visible_in_csv_xlsx_junit_markdown(job):
    import openpyxl

    _, _, out = job
    csv_text = (out / "findings.csv").read_text(encoding="utf-8-sig")
    _revealed(csv_text, "findings.csv")
    assert "‹U+202E›RTL局‹U+200B›零宽" in csv_text                             # agency, and the narrative quoted
    wb = openpyxl.load_workbook(out / "findings.xlsx")
    cells = "\n".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)
    _revealed(cells + "\n".join(wb.sheetnames), "findings.xlsx")
    junit = (out / "junit.xml").read_text(encoding="utf-8")
    _revealed(junit, "junit.xml")
    ET.fromstring(junit.split("\n", 1)[1])                                    # still well-formed XML (ESC would not be)
    md = (out / "summary.md").read_text(encoding="utf-8")
    _revealed(md.replace("\\+", "+"), "summary.md")                          # Markdown escapes the +: rendered as ‹U+202E›


def test_json_keeps_bidi_and_zero_width_exactly_but_escaped(job):
    res, db, out = job
    raw = (out / "findings.json").read_text(encoding="utf-8")
    assert BIDI.search(raw) is None and "\\u202e" in raw                       # escaped in the file …
    data = json.loads(raw)
    assert RTL_NAME in {f["agency"] for f in data["findings"]}                # … exact when parsed
    assert HOSTILE[5] in {f["agency"] for f in data["findings"]}
    r = CliRunner().invoke(app, ["show", "RTL", "--db", str(db), "--json"])
    assert BIDI.search(r.stdout) is None and json.loads(r.stdout)["reports"][0]["agency"] == RTL_NAME
