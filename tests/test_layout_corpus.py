"""Extraction accuracy on an independent corpus of real-page layouts (tests/layoutgen.py).

The corpus is written from descriptions of real layouts, not from the extractor's code, and carries
its own ground truth: for every cell of ``Template.cells_for(variant)`` the (state, value) that
``checks.cells.parse_cell`` gives for the text actually written. Measured per layout and overall:
cells exact (state and value equal; a missing cell is wrong), reports with the right template,
reports with no cells. Bars: ≥ 99.5 % of cells exact, every report's template right.

Then the clean reports go through the rule checks: no clean report may get an error, at most 2 % a
warning. The only warnings the clean values truly imply are B-02/B-03 on tables the rendering left
without any number (all EMPTY/NA: the ``blank``/``slash`` styles on an all-zero table); those are
computed from the truth (``Rendered.blank_tables``, as checks/synth.py does with ``_blank_tables``)
and excluded exactly. Extraction issues of a clean report count too (error → error, warning → warning).
"""

from __future__ import annotations

import collections
import math
import random

import pandas as pd
import pytest

import layoutgen as L
from checks import synth
from checks import templates as T
from checks.extract import extract_text, to_extraction
from checks.rules import catalogue as RC
from checks.rules import sql as RS

SEED = 20250601
PER_COMBO = 8
CELL_BAR = 0.995
WARN_BAR = 0.02
NUMBERS = ("NUMERIC", "ZERO")


# ----------------------------------------------------------------------------------- helpers

def _extract(reports: list[L.Rendered]):
    results, crashed = [], {}
    for r in reports:
        try:
            results.append(extract_text(r.text, r.name))
        except Exception as e:  # noqa: BLE001 - a crash is a measured failure, not a test error
            crashed[r.name] = f"{type(e).__name__}: {e}"
    ext = to_extraction(results) if results else None
    return ext, crashed


def _same_value(truth: float | None, got) -> bool:
    if truth is None:
        return got is None or (isinstance(got, float) and math.isnan(got)) or str(got).strip() == ""
    try:
        return abs(float(str(got).replace(",", "")) - truth) < 1e-6
    except (TypeError, ValueError):
        return False


def _cells_by_file(ext) -> dict[str, dict]:
    out: dict[str, dict] = collections.defaultdict(dict)
    if ext is None or ext.cells.empty:
        return out
    df = ext.cells
    for f, item, col, st, val in zip(df["source_file"], df["item"], df["column"], df["state"], df["value"]):
        out[f].setdefault((item, col), (str(st), val))
    return out


def _templates_by_file(ext) -> dict[str, str]:
    if ext is None or ext.reports.empty:
        return {}
    return {f: (t if isinstance(t, str) else "") for f, t in zip(ext.reports["source_file"], ext.reports["template"])}


def _issues_by_file(ext) -> dict[str, list[tuple]]:
    out: dict[str, list] = collections.defaultdict(list)
    if ext is None or ext.issues.empty:
        return out
    for f, code, sev, msg in zip(ext.issues["source_file"], ext.issues["code"], ext.issues["severity"],
                                 ext.issues["message"]):
        out[f].append((code, sev, msg))
    return out


def _score(r: L.Rendered, got: dict) -> tuple[int, list]:
    exact, wrong = 0, []
    for k, (st, val) in r.truth.items():
        g = got.get(k)
        if g is not None and g[0] == st and _same_value(val, g[1]):
            exact += 1
        else:
            wrong.append((k, (st, val), g, r.raw.get(k)))
    return exact, wrong


# ----------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def corpus() -> list[L.Rendered]:
    return L.corpus(SEED, PER_COMBO)


@pytest.fixture(scope="module")
def extracted(corpus):
    return _extract(corpus)


# -------------------------------------------------------------------------------- generator

def test_corpus_covers_every_combination(corpus):
    assert len(corpus) >= 1000
    combos = collections.Counter((r.template, r.variant, r.layout, r.zero_style) for r in corpus)
    for tid, variant in L.TEMPLATE_VARIANTS:
        for layout, tids in L.LAYOUTS.items():
            if tid in tids:
                for style in L.ZERO_STYLES:
                    assert combos[(tid, variant, layout, style)] == PER_COMBO
    assert len({r.name for r in corpus}) == len(corpus)
    assert len({(r.agency, r.year) for r in corpus}) == len(corpus)
    states = collections.Counter(s for r in corpus for s, _v in r.truth.values())
    assert set(states) == {"NUMERIC", "ZERO", "EMPTY", "NA"}
    print(f"\nlayout corpus: {len(corpus)} reports, {sum(len(r.truth) for r in corpus)} cells, states {dict(states)}")


def test_truth_matches_the_written_text(corpus):
    for r in corpus:
        L.self_check(r)


def test_generation_is_deterministic():
    a, b = L.corpus(5, 1), L.corpus(5, 1)
    assert [(r.name, r.text, r.truth) for r in a] == [(r.name, r.text, r.truth) for r in b]
    assert [r.text for r in a] != [r.text for r in L.corpus(6, 1)]


def _findings(frame: pd.DataFrame):
    con = synth.connect_fresh()
    synth.load_direct(con, frame)
    res = RS.run_check(con, RC.load_catalogue())
    rows = con.execute("SELECT agency, code, severity, item FROM findings WHERE run_id = ? "
                       "AND severity IN ('error', 'warning')", [res.run_id]).fetchall()
    con.close()
    return rows


def _implied(r: L.Rendered) -> set[tuple[str, str]]:
    """(code, item) of the warnings the clean values imply: tables left without any number."""
    blank = r.blank_tables()
    tables = {c.table for c in T.load(r.template).cells_for(r.variant or None) if not c.heading}
    if blank and blank == tables:
        return {("B-03", "")} | {("B-02", f"{r.template}.{t}") for t in blank}
    return {("B-02", f"{r.template}.{t}") for t in blank}


def test_truth_is_clean_by_the_rules(corpus):
    """The generator's own values pass every rule (read straight from the raws, no extraction):
    nothing but the blank tables it rendered."""
    rows = []
    for r in corpus:
        for (item, col), raw in r.raw.items():
            rows.append({"agency": r.name, "year": r.year, "template": r.template, "variant": r.variant,
                         "item": item, "column": col, "raw": raw, "source_file": r.name, "source_line": 1,
                         "label": ""})
    found = _findings(pd.DataFrame(rows))
    by_name = {r.name: r for r in corpus}
    unexpected = [(a, c, s, i) for a, c, s, i in found if (c, i or "") not in _implied(by_name[a])]
    assert unexpected == []
    blank = sum(bool(r.blank_tables()) for r in corpus)
    print(f"\ntruth: {len(found)} findings, all blank-table warnings; reports with a blank table: {blank}")


# ------------------------------------------------------------------------------- accuracy

def test_extraction_accuracy_per_layout(corpus, extracted):
    ext, crashed = extracted
    cells = _cells_by_file(ext)
    templates = _templates_by_file(ext)
    stats: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    examples: dict[str, list] = collections.defaultdict(list)
    wrong_template = []
    for r in corpus:
        got = cells.get(r.name, {})
        exact, wrong = _score(r, got)
        for key in (r.layout, f"{r.layout}/{r.template}{'-' + r.variant if r.variant else ''}", "ALL"):
            s = stats[key]
            s["reports"] += 1
            s["cells"] += len(r.truth)
            s["exact"] += exact
            s["template_ok"] += templates.get(r.name) == r.template
            s["no_cells"] += not got
            s["extra"] += len(set(got) - set(r.truth))
        if wrong and len(examples[r.layout]) < 4:
            examples[r.layout].append((r.name, wrong[:3]))
        if templates.get(r.name) != r.template:
            wrong_template.append((r.name, templates.get(r.name)))
    print(f"\n{'layout':<40} {'reports':>7} {'cells':>7} {'exact %':>8} {'tmpl ok %':>9} {'no cells':>8} {'extra':>6}")
    for key in sorted(stats, key=lambda k: (k == "ALL", k)):
        s = stats[key]
        print(f"{key:<40} {s['reports']:>7} {s['cells']:>7} {100 * s['exact'] / s['cells']:>8.2f} "
              f"{100 * s['template_ok'] / s['reports']:>9.1f} {s['no_cells']:>8} {s['extra']:>6}")
    for layout, exs in sorted(examples.items()):
        for name, wrong in exs[:2]:
            print(f"  e.g. {name}: " + "; ".join(f"{k[0]}@{k[1]} truth {t} got {g} raw {raw!r}"
                                                 for k, t, g, raw in wrong))
    if crashed:
        print(f"crashed: {len(crashed)}, e.g. {list(crashed.items())[:3]}")
    total = stats["ALL"]
    assert not crashed, list(crashed.items())[:5]
    assert total["exact"] / total["cells"] >= CELL_BAR, f"{100 * total['exact'] / total['cells']:.2f} % cells exact"
    assert wrong_template == [], wrong_template[:10]


def test_template_comes_from_the_content_not_the_year():
    """Reports use an older template's wording years later (domain.md §0): the content decides."""
    reports = []
    for i, (tid, year) in enumerate([("v2019", 2021), ("v2019", 2022), ("old", 2019), ("old", 2020)] * 3):
        rng = random.Random(f"year-{i}")
        layout = rng.choice([lay for lay, tids in L.LAYOUTS.items() if tid in tids])
        values = L.make_values(tid, "", rng)
        reports.append(L.render(tid, "", layout, rng.choice(L.ZERO_STYLES), values, agency=L.agency_name(rng),
                                year=year, rng=rng, name=f"year{i:02d}_{tid}_{layout}.txt"))
    ext, crashed = _extract(reports)
    assert not crashed
    templates = _templates_by_file(ext)
    assert {r.name: templates.get(r.name) for r in reports} == {r.name: r.template for r in reports}


# ---------------------------------------------------------------------------- rule checks

def test_clean_reports_get_no_false_findings(corpus, extracted):
    ext, _crashed = extracted
    by_name = {r.name: r for r in corpus}
    frame = ext.cells[ext.cells["source_file"].isin(by_name)].copy()
    # one warehouse report per generated report, whatever the extractor read as agency and year
    frame["agency"] = frame["source_file"]
    frame["year"] = frame["source_file"].map(lambda n: by_name[n].year)
    found = _findings(frame)
    issues = _issues_by_file(ext)
    errors: dict[str, set] = collections.defaultdict(set)
    warnings: dict[str, set] = collections.defaultdict(set)
    for agency, code, sev, item in found:
        if (code, item or "") in _implied(by_name[agency]):
            continue
        (errors if sev == "error" else warnings)[agency].add(code)
    for name, items in issues.items():
        for code, sev, _msg in items:
            if sev == "error":
                errors[name].add(code)
            elif sev == "warning":
                warnings[name].add(code)
    per = collections.defaultdict(lambda: [0, 0, 0, collections.Counter(), collections.Counter()])
    for r in corpus:
        p = per[r.layout]
        p[0] += 1
        p[1] += r.name in errors
        p[2] += r.name in warnings
        p[3].update(errors.get(r.name, ()))
        p[4].update(warnings.get(r.name, ()))
    print(f"\n{'layout':<24} {'reports':>7} {'w/ error':>8} {'w/ warning':>10}  top codes")
    for layout, (n, ne, nw, ce, cw) in sorted(per.items()):
        print(f"{layout:<24} {n:>7} {ne:>8} {nw:>10}  errors {dict(ce.most_common(4))} warnings {dict(cw.most_common(4))}")
    n = len(corpus)
    n_err, n_warn = len(set(errors) & set(by_name)), len(set(warnings) & set(by_name))
    print(f"{'ALL':<24} {n:>7} {n_err:>8} {n_warn:>10}")
    assert n_err == 0, sorted(errors.items())[:10]
    assert n_warn <= WARN_BAR * n, sorted(warnings.items())[:10]


# ------------------------------------------------------------------------------ prose only

@pytest.mark.parametrize("kind", ["report", "narrative", "news", "report_html"])
def test_prose_only_documents_yield_no_cells_and_say_why(kind):
    text, name = L.prose_only(kind, random.Random(kind))
    ext, crashed = _extract([L.Rendered(text, {}, "", "", kind, "", "", 0, name=name)])
    assert not crashed
    assert ext.cells.empty, ext.cells[["item", "column", "raw"]].head()
    issues = _issues_by_file(ext).get(name, [])
    assert issues, "no issue says why nothing was extracted"
    assert any(code == "X-01" or "表" in str(msg) for code, _sev, msg in issues), issues


# ------------------------------------------------------------------------------ truncation

@pytest.fixture(scope="module")
def truncated(corpus, extracted):
    rng = random.Random(SEED)
    picked = [r for i, r in enumerate(corpus) if i % 5 == 0 and L.cut_points(r)]
    cut = [L.truncate(r, rng.random()) for r in picked]
    ext, crashed = _extract(cut)
    return picked, cut, ext, crashed


def test_truncated_reports_keep_what_was_written(truncated, extracted):
    picked, cut, ext, crashed = truncated
    assert not crashed, list(crashed.items())[:5]
    full_cells = _cells_by_file(extracted[0])
    cells = _cells_by_file(ext)
    issues = _issues_by_file(ext)
    lost, after, no_x02 = [], [], []
    n_cells = n_exact = 0
    for full, r in zip(picked, cut):
        got = cells.get(r.name, {})
        exact, wrong = _score(r, got)
        n_cells += len(r.truth)
        n_exact += exact
        # a cell the full report's extraction got right must survive the cut unchanged
        ok_full = {k for k, (st, val) in full.truth.items()
                   if (g := full_cells.get(full.name, {}).get(k)) and g[0] == st and _same_value(val, g[1])}
        lost += [(r.name, k, t, g) for k, t, g, _raw in wrong if k in ok_full]
        after += [(r.name, k, g) for k, g in got.items() if k not in r.truth and g[0] in NUMBERS]
        if not any(code == "X-02" for code, _s, _m in issues.get(r.name, [])):
            no_x02.append(r.name)
    print(f"\ntruncated: {len(cut)} reports, {n_cells} cells before the cut, "
          f"{100 * n_exact / max(n_cells, 1):.2f} % exact; lost {len(lost)}, numbers after the cut {len(after)}, "
          f"without X-02 {len(no_x02)}")
    assert after == [], after[:10]
    assert lost == [], lost[:10]
    assert n_exact / max(n_cells, 1) >= CELL_BAR
    assert no_x02 == [], no_x02[:10]


def test_template_detected_from_section_2_header_alone(corpus):
    picked = [r for i, r in enumerate(corpus) if r.template != "old" and i % 3 == 0]
    cut = [L.truncate(r, line=r.marks["s2_header_end"]) for r in picked]
    assert all("本年新" in r.text or "本年制发" in r.text for r in cut)
    ext, crashed = _extract(cut)
    assert not crashed, list(crashed.items())[:5]
    templates = _templates_by_file(ext)
    wrong = [(r.name, templates.get(r.name)) for r in cut if templates.get(r.name) != r.template]
    numbers = ext.cells[ext.cells["state"].isin(NUMBERS)] if ext is not None else pd.DataFrame()
    print(f"\nsection 二 header only: {len(cut)} reports, template wrong on {len(wrong)}")
    assert wrong == [], wrong[:10]
    assert numbers.empty, numbers[["source_file", "item", "raw"]].head()
