"""Realistic corpora at any size (``gongkai generate``): one corpus measures every stage.

:func:`generate_corpus` writes ``agencies`` × ``years`` annual reports into a folder:

* ``stats/<region>/<year>.csv`` (or ``.parquet``): the reports' cells in the extracted-statistics
  format (:mod:`checks.formats`, with ``agency_id`` and ``region``), one file per region × year
  (a partition; a new part ``<year>-2.csv`` … every :data:`MAX_ROWS` rows), each with its
  ``<stem>.narrative.<ext>`` companion (the counts the narrative states);
* ``texts/<region>/<year>/<agency_id>_<year>.txt|.html``: the same reports as text, in the layouts
  of :mod:`checks.extract.render` (``layouts``; none: no texts), narrative sentences included, so
  extraction of a text gives the cells of the stats file back;
* ``truth.csv`` / ``truth.json``: the ground truth of the injected faults: one row per finding an
  exact checker must report (agency, year, rule code or codes ``A|B``, cell when the fault pins one,
  severity), ``reports.csv`` (one row per agency-year: template, level, layout, files, fault),
  ``agencies.csv`` (the registry of :mod:`checks.agencies`: current name, the old name as alias;
  point ``GONGKAI_AGENCIES`` at it), ``manifest.json`` (parameters and counts).

The engine is the library's generators: agencies and years of :mod:`checks.synth_years` (values
that drift around each agency's own level, carry-over chains and stock/flow identities that hold
across years, the 2019 rename 经济和信息化委员会 → 经济和信息化局, short-form names every third year,
narrative counts quoting the table the documented ways), the within-report faults of
:mod:`checks.synth` and the cross-year faults of :mod:`checks.synth_years`, the report-text
renderer of :mod:`checks.extract.render`. Added here: the template follows the year (``old`` up
to 2018, ``v2019`` 2019–2020, ``v2021`` from 2021), 31 provincial regions weighted by size, three
agency levels (provincial departments, cities, counties/districts) with sizes scaled by level,
and output in partitions so memory stays bounded at any size.

Deterministic for a seed: every agency draws from its own random stream (seeded by the seed and
its id), so the output does not depend on chunking, and the same call writes the same bytes.
"""

from __future__ import annotations

import csv
import json
import random
import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from checks import synth, synth_years
from checks import templates as T
from checks.errors import UserError

FIRST_YEAR, LAST_YEAR = 2014, 2030
DEFAULT_YEARS = tuple(range(2017, 2023))     # 6 years: old, v2019 and v2021, both template changes
MAX_ROWS = 500_000
"""Cells per stats file at most (the loader's limit is 1,000,000 rows and 50 MB per file)."""
BLOCK = 200
"""Agencies generated at a time: rows are written after each block (bounded memory)."""

REGIONS = (
    ("110000", "北京市", 2), ("120000", "天津市", 2), ("130000", "河北省", 6), ("140000", "山西省", 4),
    ("150000", "内蒙古自治区", 3), ("210000", "辽宁省", 4), ("220000", "吉林省", 3), ("230000", "黑龙江省", 4),
    ("310000", "上海市", 2), ("320000", "江苏省", 6), ("330000", "浙江省", 5), ("340000", "安徽省", 5),
    ("350000", "福建省", 4), ("360000", "江西省", 4), ("370000", "山东省", 7), ("410000", "河南省", 7),
    ("420000", "湖北省", 5), ("430000", "湖南省", 5), ("440000", "广东省", 8), ("450000", "广西壮族自治区", 5),
    ("460000", "海南省", 1), ("500000", "重庆市", 3), ("510000", "四川省", 7), ("520000", "贵州省", 4),
    ("530000", "云南省", 5), ("540000", "西藏自治区", 1), ("610000", "陕西省", 4), ("620000", "甘肃省", 3),
    ("630000", "青海省", 1), ("640000", "宁夏回族自治区", 1), ("650000", "新疆维吾尔自治区", 3),
)
"""(GB code, name, weight): the share of the agencies each province gets."""
LEVEL_SCALE = {"province": 3.0, "city": 1.0, "county": 0.4}
"""How big an agency's numbers are by level (a provincial department publishes and receives more)."""
_P1 = "东西南北安平宁和兴康泰华昌隆永清新丰宜长广临定武德龙凤金"
_P2 = "阳山江海城州原川林田水湖泉桥岭溪沙口浦坪"
_P3 = "一二三四五六七八九十"

KINDS = ("cell", "jump", "chain", "copy", "narrative", "stock")
"""Fault kinds: ``cell`` a within-report fault of :mod:`checks.synth` (a broken total, a blank 总计 over
filled parts, text in a number cell, a missing row or section, …); the others those of
:mod:`checks.synth_years` (a ×10 jump, a broken carry-over chain, a copied table, a narrative count
off, a broken stock/flow identity)."""
KIND_WEIGHTS = (5, 1, 1, 1, 1, 1)
EXCLUDED_CELL_FAULTS = frozenset({"L-04u", "N-07", "N-07f", "O-17"})
"""Within-report faults not injected: an extra row the template lacks cannot be written as text, and a
negative or fractional count is refused by the load contract (quarantined, Q-01), so what the checks
then see depends on the loading path, not on the fault alone."""
CROSS_CODES = {"jump": "Y-01|Y-02", "chain": "C-01", "copy": "L-05", "narrative": "T-01", "stock": "N-11|N-12"}

STATS_COLUMNS = ("agency", "year", "template", "item", "column", "raw", "source_file", "source_line", "variant",
                 "region", "agency_id", "label")
NARRATIVE_COLUMNS = ("agency", "year", "source_file", "key", "value", "raw", "sentence", "source_line",
                     "char_start", "char_end")
TRUTH_COLUMNS = ("agency_id", "agency", "region", "year", "template", "fault", "code", "item", "column",
                 "severity", "source_file")
REPORT_COLUMNS = ("agency_id", "agency", "region", "level", "year", "template", "layout", "stats_file", "text_file",
                  "fault")


def template_of(year: int) -> str:
    """The national form a report of ``year`` uses: ``old`` up to 2018, ``v2019`` 2019–2020, ``v2021`` after."""
    return "old" if year <= 2018 else "v2019" if year <= 2020 else "v2021"


def parse_years(spec: str | int | tuple | list | None) -> tuple[int, ...]:
    """``6`` (the 6 years ending 2022), ``2016-2022``, ``2018,2020,2022`` or a sequence → sorted years."""
    if spec is None:
        return DEFAULT_YEARS
    if isinstance(spec, int):
        years: list[int] = list(range(2023 - spec, 2023)) if spec > 0 else []
    elif isinstance(spec, (tuple, list)):
        years = [int(y) for y in spec]
    else:
        text = str(spec).strip()
        try:
            if "-" in text:
                a, b = (int(x) for x in text.split("-", 1))
                years = list(range(a, b + 1))
            elif "," in text:
                years = [int(x) for x in text.split(",") if x.strip()]
            else:
                n = int(text)
                years = list(range(2023 - n, 2023)) if n < FIRST_YEAR else [n]
        except ValueError:
            raise UserError(f"--years {spec!r}: expected a count (6), a range (2016-2022) or a list "
                            "(2018,2020)", 64) from None
    years = sorted(set(years))
    if not years or years[0] < FIRST_YEAR or years[-1] > LAST_YEAR:
        raise UserError(f"--years {spec!r}: years between {FIRST_YEAR} and {LAST_YEAR}, at least one", 64)
    return tuple(years)


# ----------------------------------------------------------------------------------- agencies

@dataclass(frozen=True)
class Placed:
    """An agency (:class:`checks.synth_years.Agency`) and its region's code."""

    agency: synth_years.Agency
    region_code: str


def _place_name(i: int) -> str:
    n1, n2 = len(_P1), len(_P2)
    name = _P1[i % n1] + _P2[(i // n1) % n2]
    extra = i // (n1 * n2)
    return name + (_P3[(extra - 1) % len(_P3)] * ((extra - 1) // len(_P3) + 1) if extra else "")


def make_agencies(n: int, seed: int) -> list[Placed]:
    """``n`` agencies over the 31 provinces (by weight), sorted by region: in each province its
    provincial departments first, then cities and counties (districts in the municipalities), 4–12
    departments each. Ids ``A<region code><serial>`` are stable for a seed."""
    rng = random.Random(f"{seed}:agencies")
    total = sum(w for *_, w in REGIONS)
    quota = [n * w // total for *_, w in REGIONS]
    order = sorted(range(len(REGIONS)), key=lambda i: (-(n * REGIONS[i][2] % total), i))
    for i in order[: n - sum(quota)]:
        quota[i] += 1
    out: list[Placed] = []
    for (code, prov, _w), q in zip(REGIONS, quota):
        municipality = prov.endswith("市")
        made = 0
        place_i = 0
        depts = list(synth_years.DEPTS)
        rng.shuffle(depts)
        # provincial departments
        for dept, new in depts[: min(q, 6)]:
            renamed = new if new and rng.random() < 0.6 else None
            out.append(Placed(synth_years.Agency(f"A{code}{made + 1:06d}", prov, dept, renamed, prov, "province"),
                              code))
            made += 1
        while made < q:
            city = not municipality and place_i % 6 == 0
            place = prov + _place_name(place_i) + ("区" if municipality else "市" if city else "县")
            place_i += 1
            for dept, new in rng.sample(synth_years.DEPTS, rng.randint(4, 12)):
                if made >= q:
                    break
                renamed = new if new and rng.random() < 0.6 else None
                out.append(Placed(synth_years.Agency(f"A{code}{made + 1:06d}", place, dept, renamed, prov,
                                                     "city" if city else "county"), code))
                made += 1
    return out


def _scaled(b: dict, f: float) -> dict:
    """An agency's levels (:func:`checks.synth_years._bases`) scaled to its size."""
    keys = ("total", "nd", "hot", "press", "interp", "resp", "licensing", "penalty", "coercion", "train")
    out = dict(b)
    for k in keys:
        out[k] = b[k] * f
    for c in ("natural", "commercial"):
        out[c] = {k: x * f for k, x in b[c].items()}
    out["staff_pt"] = max(1, round(b["staff_pt"] * f))
    return out


# ----------------------------------------------------------------------------------- reports

@dataclass
class _Rep:
    """One agency-year on its way out."""

    tid: str
    values: dict
    narrative: list
    style: int
    raw: dict = field(default_factory=dict)
    absent: set = field(default_factory=set)
    fault: str = ""
    expected: list = field(default_factory=list)      # (code(s), item, column)


def _nonzero(v: dict) -> int:
    return sum(1 for x in v.values() if isinstance(x, (int, float)) and x != 0)


def _agency_reports(p: Placed, years: tuple[int, ...], seed: int, rate: float) -> dict[int, _Rep]:
    """The reports of one agency over ``years``, with at most one fault (drawn from its own streams)."""
    a = p.agency
    rng = random.Random(f"{seed}:{a.agency_id}")
    b = _scaled(synth_years._bases(rng), LEVEL_SCALE[a.level])
    state: dict = {}
    reps: dict[int, _Rep] = {}
    for y in years:
        tid = template_of(y)
        v, narr = synth_years._report(rng, tid, y, b, state)
        reps[y] = _Rep(tid, v, narr, state.get("narrative_style", 0))
    frng = random.Random(f"{seed}:faults:{a.agency_id}")
    if frng.random() >= min(1.0, rate * len(years)):
        return reps
    y = frng.choice(years)
    kind = frng.choices(KINDS, KIND_WEIGHTS)[0]
    rep = reps[y]
    if kind != "cell" and y == years[0]:
        kind = "cell"                    # a cross-year fault needs the year before in the corpus
    if kind != "cell":
        prev = reps.get(y - 1)
        prev_v = prev.values if prev is not None and prev.tid == rep.tid else None
        narr = list(rep.narrative)
        if kind == "copy":
            # the previous year's whole report, narrative included (copying another agency's would flag both)
            new = dict(prev_v) if prev_v and _nonzero(prev_v) >= 12 else None
        else:
            new = synth_years._inject(frng, kind, rep.tid, y, dict(rep.values), narr, prev_v, None)
        if new is None:
            kind = "cell"
        else:
            key = ""
            if kind == "narrative":
                key = next(k for (k, val, _), (_k, old, _s) in zip(narr, rep.narrative) if val != old)
                rep.narrative = narr
            else:
                rep.narrative = synth_years.narrative_for(rep.tid, y, new, rep.style)
            if kind == "jump":
                site = ("old.s1.channel.website", "value")
                if new.get(site, 0) != rep.values.get(site, 0):     # the total grows with its channel (O-03, O-04 hold)
                    new[("old.s1.proactive.total", "value")] += new[site] - rep.values[site]
                nxt = reps.get(y + 1)
                if nxt is not None and (nxt.tid == rep.tid or "old" not in (nxt.tid, rep.tid)):
                    nxt.expected.append((CROSS_CODES[kind], "", ""))     # and back down the year after
                    nxt.fault = "jump (year before)"
                rep.narrative = synth_years.narrative_for(rep.tid, y, new, rep.style)
            rep.values, rep.fault = new, kind
            rep.expected.append((CROSS_CODES[kind], key, "value" if key else ""))
    if kind == "cell":
        r = synth.Report(a.written(y), y, rep.tid, values=dict(rep.values))
        (synth._faults_old if rep.tid == "old" else synth._faults_modern)(frng, r, EXCLUDED_CELL_FAULTS)
        rep.values, rep.raw, rep.absent, rep.fault = r.values, r.raw, r.absent, r.fault
        rep.expected = [(c, i or "", col or "") for c, i, col in r.expected]
        rep.narrative = synth_years.narrative_for(rep.tid, y, rep.values, rep.style)
        if r.fault == "L-02" and rep.tid != "old":     # the narrative states the 行政复议 count the table left blank
            rep.expected.append(("T-01", f"{rep.tid}.s4.review.total", "value"))
        nxt = reps.get(y + 1)
        if r.fault == "N-01" and nxt is not None and nxt.tid != "old":   # 结转下年度 + k: next year's chain breaks
            nxt.expected.append(("C-01", "", ""))
            nxt.fault = nxt.fault or "N-01 (year before)"
    return reps


def _fmt(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


class _Form:
    """A template's cells, precomputed once: what every report of it repeats."""

    def __init__(self, tid: str):
        self.tid = tid
        self.specs = T.load(tid).cells_for(None)
        self.by_key = {(c.item, c.column): c for c in self.specs}
        self.index = {(c.item, c.column): i for i, c in enumerate(self.specs)}
        self.rows: dict[str, list] = {}
        for c in self.specs:
            self.rows.setdefault(c.row_code, []).append((c.item, c.column))
        self.items = [c.item for c in self.specs]
        self.columns = [c.column for c in self.specs]
        self.labels = [c.row_label for c in self.specs]
        self.csv = [f"{_csv(c.item)},{_csv(c.column)}" for c in self.specs]
        self.csv_label = [_csv(c.row_label) for c in self.specs]
        self.keys = [(c.item, c.column) for c in self.specs]
        self.heads = [c.heading for c in self.specs]
        self.tables = [c.table for c in self.specs]
        self.all = list(range(len(self.specs)))


def _csv(text: str) -> str:
    if any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


@dataclass
class _Written:
    """One report's cells as they are written: template cell indices and raw texts."""

    name: str
    year: int
    form: _Form
    source: str
    region: str
    agency_id: str
    idx: list
    raws: list


def _cells(p: Placed, y: int, rep: _Rep, form: _Form, want_values: bool = True) -> tuple[list, list, dict]:
    """The cells of one report (template cell indices, raw texts) and its text values {(item, column):
    raw}: zeros written ``0``, or left blank in one report of five (only in tables that hold a number),
    headings ``——``, the fault's raw texts and missing rows as injected."""
    a = p.agency
    v, over, absent = rep.values, rep.raw, rep.absent
    xs = [v.get(k, 0) for k in form.keys]
    raws = ["——" if h else str(x) if type(x) is int else _fmt(x) for x, h in zip(xs, form.heads)]
    if zlib.crc32(f"{a.agency_id}/{y}".encode()) % 5 == 0:
        filled = {t for x, h, t in zip(xs, form.heads, form.tables) if x and not h}
        raws = ["" if (x == 0 and not h and t in filled) else raw
                for raw, x, h, t in zip(raws, xs, form.heads, form.tables)]
    idx = form.all
    if over or absent:
        raws = [over.get(k, raw) for k, raw in zip(form.keys, raws)] if over else raws
        if absent:
            keep = [i for i, k in enumerate(form.keys) if k not in absent]
            idx, raws = keep, [raws[i] for i in keep]
    values = {form.keys[i]: raw for i, raw in zip(idx, raws)} if want_values else {}
    return idx, raws, values


def _layout(rng: random.Random, layouts: tuple[str, ...], tid: str, values: dict, form: _Form) -> str:
    """A layout of ``layouts`` that can write these cells exactly."""
    lay = layouts[rng.randrange(len(layouts))]
    if (lay == "glued" and (tid != "old" or any(raw and not raw.isdigit()
                                                for k, raw in values.items() if not form.by_key[k].heading))) \
            or (lay == "line-blocks" and any(not raw for raw in values.values())):
        # glued: the old form with digits only; line-blocks writes no blank cell (a short row is flagged X-13)
        others = [x for x in layouts if x not in ("glued", "line-blocks")]
        lay = others[rng.randrange(len(others))] if others else "tab-rows"
    return lay


def _text(tid: str, values: dict, lay: str, name: str, y: int, rep: _Rep, omit: frozenset) -> tuple[str, str]:
    from checks.extract.render import render

    sentences = [s for _k, _v, s in rep.narrative]
    try:
        return render(tid, values, lay, agency=name, year=y, sentences=sentences, omit=omit), lay
    except ValueError:     # line-blocks cannot write a blank cell inside a row
        return render(tid, values, "tab-rows", agency=name, year=y, sentences=sentences, omit=omit), "tab-rows"


# ------------------------------------------------------------------------------------ writing

class _Partitions:
    """The stats files of one region, one per year, appended block by block (a new part every
    :data:`MAX_ROWS` rows), each with its narrative companion."""

    def __init__(self, root: Path, region: str, fmt: str):
        self.root, self.region, self.fmt = root, region, fmt
        self.rows: dict[int, int] = {}
        self.part: dict[int, int] = {}
        self.writers: dict[Path, object] = {}
        self.files: list[Path] = []

    def path(self, year: int, part: int, kind: str = "") -> Path:
        stem = f"{year}" if part == 1 else f"{year}-{part}"
        return self.root / self.region / f"{stem}{'.' + kind if kind else ''}.{self.fmt}"

    def _current(self, year: int, adding: int) -> Path:
        if year not in self.part:
            self.part[year], self.rows[year] = 1, 0
        elif self.rows[year] and self.rows[year] + adding > MAX_ROWS:
            self._close(year)
            self.part[year] += 1
            self.rows[year] = 0
        self.rows[year] += adding
        return self.path(year, self.part[year])

    def write(self, year: int, reports: list[_Written], narrative: list[tuple]) -> Path:
        p = self._current(year, sum(len(r.idx) for r in reports))
        n = self.path(year, self.part[year], "narrative")
        if p not in self.writers:
            p.parent.mkdir(parents=True, exist_ok=True)
            self.files.append(p)
        if self.fmt == "csv":
            self._csv(p, reports)
            self._csv_narrative(n, narrative)
        else:
            self._parquet(p, _arrow_cells(reports))
            self._parquet(n, _arrow_narrative(narrative))
        return p

    def _csv(self, path: Path, reports: list[_Written]) -> None:
        lines = [] if path in self.writers else [",".join(STATS_COLUMNS)]
        cache: dict[str, str] = {}
        for r in reports:
            f = r.form
            pre = f"{_csv(r.name)},{r.year},{f.tid},"
            post = f",{_csv(r.source)},"
            tail = f",,{_csv(r.region)},{_csv(r.agency_id)},"
            for i, raw in zip(r.idx, r.raws):
                esc = cache.get(raw)
                if esc is None:
                    esc = cache[raw] = _csv(raw)
                lines.append(f"{pre}{f.csv[i]},{esc}{post}{i + 1}{tail}{f.csv_label[i]}")
        with open(path, "a", encoding="utf-8", newline="") as fh:
            fh.write("\n".join(lines) + "\n")
        self.writers[path] = None

    def _csv_narrative(self, path: Path, rows: list[tuple]) -> None:
        new = path not in self.writers
        with open(path, "a", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            if new:
                w.writerow(NARRATIVE_COLUMNS)
            w.writerows(rows)
        self.writers[path] = None

    def _parquet(self, path: Path, table) -> None:
        import pyarrow.parquet as pq

        w = self.writers.get(path)
        if w is None:
            w = self.writers[path] = pq.ParquetWriter(str(path), table.schema)
        w.write_table(table)

    def _close(self, year: int) -> None:
        for kind in ("", "narrative"):
            w = self.writers.pop(self.path(year, self.part[year], kind), None)
            if w is not None:
                w.close()

    def close(self) -> None:
        for w in self.writers.values():
            if w is not None:
                w.close()
        self.writers.clear()


def _arrow_cells(reports: list[_Written]):
    """A block of reports (one template: a partition is one year) as an Arrow table, built from
    indices into per-report and per-template dictionaries (no Python string per repeated value)."""
    import numpy as np
    import pyarrow as pa

    f = reports[0].form
    counts = np.array([len(r.idx) for r in reports], dtype=np.int32)
    rep_of = np.repeat(np.arange(len(reports), dtype=np.int32), counts)
    idx = np.fromiter((i for r in reports for i in r.idx), dtype=np.int32, count=int(counts.sum()))

    def per_report(values):
        return pa.DictionaryArray.from_arrays(pa.array(rep_of), pa.array(values, pa.string())).cast(pa.string())

    def per_cell(values):
        return pa.DictionaryArray.from_arrays(pa.array(idx), pa.array(values, pa.string())).cast(pa.string())

    n = len(idx)
    cols = {
        "agency": per_report([r.name for r in reports]),
        "year": pa.array(np.repeat(np.array([r.year for r in reports], dtype=np.int64), counts)),
        "template": pa.array(np.full(n, f.tid, dtype=object), pa.string()) if n else pa.array([], pa.string()),
        "item": per_cell(f.items),
        "column": per_cell(f.columns),
        "raw": pa.array([raw for r in reports for raw in r.raws], pa.string()),
        "source_file": per_report([r.source for r in reports]),
        "source_line": pa.array(idx.astype(np.int64) + 1),
        "variant": pa.array(np.full(n, "", dtype=object), pa.string()),
        "region": per_report([r.region for r in reports]),
        "agency_id": per_report([r.agency_id for r in reports]),
        "label": per_cell(f.labels),
    }
    return pa.table(cols)


def _arrow_narrative(rows: list[tuple]):
    import pyarrow as pa

    types = {"year": pa.int64(), "value": pa.float64(), "source_line": pa.int64(), "char_start": pa.int64(),
             "char_end": pa.int64()}
    data = list(zip(*rows)) if rows else [[] for _ in NARRATIVE_COLUMNS]
    return pa.table({c: pa.array(list(col), types.get(c, pa.string())) for c, col in zip(NARRATIVE_COLUMNS, data)})


@dataclass
class GenerateSummary:
    """What :func:`generate_corpus` wrote."""

    out: str
    seed: int
    agencies: int
    years: list[int]
    agency_years: int
    cells: int
    format: str
    layouts: list[str]
    templates: dict[str, int]
    levels: dict[str, int]
    regions: int
    renamed: int
    faults: dict[str, int]
    truth_rows: int
    stats_files: int
    text_files: int
    layouts_used: dict[str, int]
    workers: int
    seconds: float
    files: dict[str, str] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Agency-years generated per second."""
        return self.agency_years / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "rate": round(self.rate, 1)}


def _layouts(layouts) -> tuple[str, ...]:
    from checks.extract.render import LAYOUTS

    if layouts is None or layouts == "all" or list(layouts) == ["all"]:
        return LAYOUTS
    if isinstance(layouts, str):
        layouts = [x.strip() for x in layouts.split(",") if x.strip()]
    names = tuple(dict.fromkeys(layouts))
    if names in ((), ("none",)):
        return ()
    bad = [x for x in names if x not in LAYOUTS]
    if bad:
        raise UserError(f"--layouts: unknown layout(s) {', '.join(bad)} (known: {', '.join(LAYOUTS)}, all, none)", 64)
    return names


@dataclass
class _RegionResult:
    region: str
    cells: int = 0
    texts: int = 0
    truth: int = 0
    stats_files: int = 0
    templates: dict = field(default_factory=dict)
    layouts: dict = field(default_factory=dict)
    faults: dict = field(default_factory=dict)
    levels: dict = field(default_factory=dict)
    agencies: int = 0


def _region(out: Path, region: str, placed: list[Placed], years: tuple, seed: int, rate: float,
            lays: tuple, fmt: str) -> _RegionResult:
    """Generate and write one region: its stats partitions, its texts, and its part of truth.csv and
    reports.csv (``.parts/<region>.truth.csv`` …, joined in region order by :func:`generate_corpus`)."""
    forms = {t: _Form(t) for t in T.TEMPLATE_IDS}
    severity = _severities()
    res = _RegionResult(region)
    parts = _Partitions(out / "stats", region, fmt)
    texts_root = out / "texts" / region
    made_dirs: set[Path] = set()
    tmp = out / ".parts"
    tf = open(tmp / f"{region}.truth.csv", "w", encoding="utf-8", newline="")
    rf = open(tmp / f"{region}.reports.csv", "w", encoding="utf-8", newline="")
    try:
        tw, rw = csv.writer(tf, lineterminator="\n"), csv.writer(rf, lineterminator="\n")
        for start in range(0, len(placed), BLOCK):
            cells: dict[int, list[_Written]] = {}
            narr: dict[int, list] = {}
            meta: list[tuple] = []
            for p in placed[start:start + BLOCK]:
                a = p.agency
                res.agencies += 1
                res.levels[a.level] = res.levels.get(a.level, 0) + 1
                lrng = random.Random(f"{seed}:layout:{a.agency_id}")
                for y, rep in _agency_reports(p, years, seed, rate).items():
                    tid, name, form = rep.tid, a.written(y), forms[rep.tid]
                    res.templates[tid] = res.templates.get(tid, 0) + 1
                    idx, raws, values = _cells(p, y, rep, form, bool(lays))
                    lay = _layout(lrng, lays, tid, values, form) if lays else ""
                    if lay == "glued":    # a glued line shows a heading's dash in the unit's place: no value
                        raws = [raw.removeprefix("——") if form.heads[i] else raw for i, raw in zip(idx, raws)]
                        values = {form.keys[i]: raw for i, raw in zip(idx, raws)}
                    fname = f"{a.agency_id}_{y}.{'html' if lay == 'html' else 'txt'}"
                    res.cells += len(idx)
                    cells.setdefault(y, []).append(_Written(name, y, form, fname, a.region, a.agency_id, idx, raws))
                    narr.setdefault(y, []).extend(
                        (name, y, fname, k, float(val), f"{val}件" if "件" in s else f"{val}条", s, 3, 0, 0)
                        for k, val, s in rep.narrative)
                    text_rel = ""
                    if lays:
                        omit = frozenset(r for r, keys in form.rows.items()
                                         if rep.absent and all(k in rep.absent for k in keys))
                        text, lay = _text(tid, values, lay, name, y, rep, omit)
                        d = texts_root / str(y)
                        if d not in made_dirs:
                            d.mkdir(parents=True, exist_ok=True)
                            made_dirs.add(d)
                        with open(d / fname, "w", encoding="utf-8") as fh:
                            fh.write(text)
                        text_rel = f"texts/{region}/{y}/{fname}"
                        res.texts += 1
                        res.layouts[lay] = res.layouts.get(lay, 0) + 1
                    if rep.fault in _KIND_NAMES:
                        res.faults[rep.fault] = res.faults.get(rep.fault, 0) + 1
                        if rep.fault not in CROSS_CODES:     # tables the fault left without any number: B-02/B-03
                            r = synth.Report(name, y, tid, expected=[])
                            synth._blank_tables(r, form.by_key, [(None, None, None, form.items[i], form.columns[i], raw)
                                                                 for i, raw in zip(idx, raws)])
                            rep.expected += [(c, i or "", col or "") for c, i, col in r.expected]
                    for code, item, col in rep.expected:
                        sev = "|".join(dict.fromkeys(severity.get(c, "") for c in code.split("|")))
                        tw.writerow((a.agency_id, name, a.region, y, tid, rep.fault, code, item, col, sev, fname))
                        res.truth += 1
                    meta.append((a.agency_id, name, a.region, a.level, y, tid, lay, text_rel, rep.fault))
            written = {y: parts.write(y, reps, narr.get(y, [])) for y, reps in cells.items()}
            for m in meta:
                rw.writerow((*m[:7], written[m[4]].relative_to(out).as_posix(), *m[7:]))
    finally:
        parts.close()
        tf.close()
        rf.close()
    res.stats_files = len(parts.files)
    return res


def _region_job(args) -> _RegionResult:
    return _region(*args)


def generate_corpus(out: str | Path, agencies: int = 100, years=None, *, seed: int = 0,
                    layouts=None, faults: float = 0.05, fmt: str = "csv", workers: int = 1,
                    on_progress=None) -> GenerateSummary:
    """Write a corpus of ``agencies`` × ``years`` reports into ``out`` (see the module docstring).

    ``years``: a count, a range ``2016-2022``, a list, or None (2017–2022); ``layouts``: render
    layouts of the report texts (None or ``"all"``: every layout, spread over the reports; ``"none"``
    or ``()``: no texts); ``faults``: the share of agency-years with one injected fault (at most one
    per agency, so at most 1/len(years)); ``fmt``: ``csv`` or ``parquet``; ``workers``: processes
    generating regions side by side (the output is the same for any number). ``on_progress(done,
    total)`` is called after each region. Raises :class:`~checks.errors.UserError` on bad
    arguments or an ``out`` that is neither empty nor a generated corpus (which is replaced).
    """
    import shutil

    t0 = time.perf_counter()
    years = parse_years(years)
    lays = _layouts(layouts)
    if fmt not in ("csv", "parquet"):
        raise UserError(f"--format {fmt!r}: csv or parquet", 64)
    if agencies < 1:
        raise UserError(f"--agencies {agencies}: at least 1", 64)
    if not 0 <= faults <= 1:
        raise UserError(f"--faults {faults}: a share between 0 and 1", 64)
    out = Path(out)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "manifest.json").is_file())):
        raise UserError(f"--out {out}: exists and is neither an empty folder nor a generated corpus", 64)
    for sub in ("stats", "texts", ".parts"):
        if (out / sub).is_dir():
            shutil.rmtree(out / sub)
    (out / ".parts").mkdir(parents=True, exist_ok=True)
    placed = make_agencies(agencies, seed)
    by_region: dict[str, list[Placed]] = {}
    for p in placed:
        by_region.setdefault(p.region_code, []).append(p)
    jobs = [(out, r, ps, years, seed, faults, lays, fmt) for r, ps in by_region.items()]
    results: dict[str, _RegionResult] = {}
    # a process costs about a second to start: one per ~2,000 reports at most
    workers = max(1, min(int(workers or 1), len(jobs), -(-len(placed) * len(years) // 2000)))
    if workers == 1:
        for job in jobs:
            results[job[1]] = _region(*job)
            if on_progress:
                on_progress(sum(r.agencies for r in results.values()), len(placed))
    else:
        from concurrent.futures import ProcessPoolExecutor, as_completed
        import multiprocessing as mp

        # biggest regions first, so the last one to finish is small
        order = sorted(jobs, key=lambda j: -len(j[2]))
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
            futs = [pool.submit(_region_job, j) for j in order]
            for fut in as_completed(futs):
                r = fut.result()
                results[r.region] = r
                if on_progress:
                    on_progress(sum(x.agencies for x in results.values()), len(placed))
    with open(out / "truth.csv", "w", encoding="utf-8", newline="") as tf, \
            open(out / "reports.csv", "w", encoding="utf-8", newline="") as rf:
        tf.write(",".join(TRUTH_COLUMNS) + "\n")
        rf.write(",".join(REPORT_COLUMNS) + "\n")
        for r in by_region:
            for name, fh in (("truth", tf), ("reports", rf)):
                with open(out / ".parts" / f"{r}.{name}.csv", encoding="utf-8", newline="") as part:
                    shutil.copyfileobj(part, fh)
    shutil.rmtree(out / ".parts")
    _truth_json(out, seed, years)
    synth_years.write_registry([p.agency for p in placed], out / "agencies.csv")

    def total(attr: str) -> dict:
        acc: dict = {}
        for r in results.values():
            for k, n in getattr(r, attr).items():
                acc[k] = acc.get(k, 0) + n
        return dict(sorted(acc.items()))

    summary = GenerateSummary(
        out=str(out), seed=seed, agencies=len(placed), years=list(years), agency_years=len(placed) * len(years),
        cells=sum(r.cells for r in results.values()), format=fmt, layouts=list(lays), templates=total("templates"),
        levels=total("levels"), regions=len(by_region), renamed=sum(1 for p in placed if p.agency.renamed_to),
        faults=total("faults"), truth_rows=sum(r.truth for r in results.values()),
        stats_files=sum(r.stats_files for r in results.values()), text_files=sum(r.texts for r in results.values()),
        layouts_used=total("layouts"), workers=workers, seconds=round(time.perf_counter() - t0, 3),
        files={"stats": str(out / "stats"), "texts": str(out / "texts") if lays else "",
               "truth": str(out / "truth.csv"), "truth_json": str(out / "truth.json"),
               "reports": str(out / "reports.csv"), "registry": str(out / "agencies.csv"),
               "manifest": str(out / "manifest.json")})
    (out / "manifest.json").write_text(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2) + "\n",
                                       encoding="utf-8")
    return summary


_KIND_NAMES = frozenset({*CROSS_CODES, "O-01", "O-02", "O-03", "O-04", "O-05", "O-06", "O-07", "O-08", "O-09",
                         "O-10", "O-11", "O-12", "O-13", "O-14", "O-15", "O-16", "O-17", "L-01", "L-02", "L-02i",
                         "L-02m", "L-03", "L-04", "L-04u", "L-06", "N-01", "N-02", "N-03", "N-04", "N-05", "N-06",
                         "N-07", "N-07f", "N-08", "N-09", "N-13", "B-02"})
"""Every fault a report can carry: the within-report faults of checks.synth and the cross-year kinds."""


def _truth_json(out: Path, seed: int, years: tuple) -> None:
    rows = read_truth(out)
    (out / "truth.json").write_text(json.dumps({"seed": seed, "years": list(years), "columns": list(TRUTH_COLUMNS),
                                                "findings": rows}, ensure_ascii=False, indent=1) + "\n",
                                    encoding="utf-8")


def _severities() -> dict[str, str]:
    from checks.rules.catalogue import load_catalogue

    return {r.code: r.severity for r in load_catalogue().rules}


def read_truth(out: str | Path) -> list[dict]:
    """The ground truth of a generated corpus (``truth.csv``) as dicts."""
    with open(Path(out) / "truth.csv", encoding="utf-8", newline="") as f:
        return [{**r, "year": int(r["year"])} for r in csv.DictReader(f)]


@dataclass
class TruthMatch:
    """How findings compare with a corpus's truth (:func:`match_truth`)."""

    truth: int
    found: int
    missed: list[dict]            # truth rows no finding matches
    unexpected_errors: list[tuple]   # error findings the truth does not list
    stray_warnings: list[tuple]   # warnings at an agency-year with no fault there or the year before

    @property
    def recall(self) -> float:
        return 1 - len(self.missed) / self.truth if self.truth else 1.0

    @property
    def exact(self) -> bool:
        return not (self.missed or self.unexpected_errors or self.stray_warnings)


def match_truth(truth: list[dict], findings: list[tuple], key: str = "agency_id") -> TruthMatch:
    """Compare error/warning ``findings`` ``(agency_id, year, code, item, column, severity)`` with the
    ``truth`` rows (:func:`read_truth`). A truth row is found when a finding of the same agency and
    year has one of its codes (and its cell, when the row names one). Every error must be a truth row;
    warnings may also be consequences of a fault at the same agency in the same year or the year after
    (a copied table also breaks the carry-over chain, a blank cell ends a series), never elsewhere.
    ``key``: the truth column the findings' first element holds (``agency`` when the reports were
    read from the texts, which carry no agency id)."""
    truth = [{**t, "agency_id": t[key]} for t in truth]
    by_cell = {(a, int(y), c, i or "", col or "") for a, y, c, i, col, _s in findings}
    by_year = {(a, int(y), c) for a, y, c, *_ in findings}
    missed = []
    for t in truth:
        codes = t["code"].split("|")
        if t["item"]:
            ok = any((t["agency_id"], t["year"], c, t["item"], t["column"]) in by_cell for c in codes)
        else:
            ok = any((t["agency_id"], t["year"], c) in by_year for c in codes)
        if not ok:
            missed.append(t)
    listed = {(t["agency_id"], t["year"], c) for t in truth for c in t["code"].split("|")}
    faulted = {(t["agency_id"], t["year"]) for t in truth}
    unexpected, stray = [], []
    for f in findings:
        a, y, code, *_rest, sev = f
        if (a, int(y), code) in listed:
            continue
        if sev == "error":
            unexpected.append(f)
        elif (a, int(y)) not in faulted and (a, int(y) - 1) not in faulted:
            stray.append(f)
    return TruthMatch(len(truth), len(findings), missed, unexpected, stray)
