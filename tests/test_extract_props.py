"""Property tests of extraction: random report-like text never crashes it and never invents cells;
a known table re-rendered in each supported layout comes back cell for cell; a missing or an extra
row does not shift the rest."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from checks.cells import STATES, clean
from checks.extract import extract_text
from checks.extract.decode import decode
from checks.extract.render import EXACT_RAW, LAYOUTS, render
from checks.formats import InputError
from checks.templates import load

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_LABELS = sorted({lab for t in ("old", "v2019", "v2021") for tab in load(t).tables
                  for lab in [r.label for r in tab.rows] + [c.label for c in tab.columns] + [tab.title, tab.section]
                  if lab})
_PIECES = st.one_of(
    st.sampled_from(_LABELS),
    st.sampled_from(["", "0", "12", "１２", "1,234", "—", "——", "/", "无", "详见附表", "\xa0", "\u3000", "条", "件",
                     "万元", "人次", "|", "||", "\t", "(不同渠道和方式公开相同信息计1条)", "单位负责人：某",
                     "2019年度", "某某市某某局2020年度政府信息公开工作年度报告", "收到申请5件。", "行政复议、行政诉讼各1件。",
                     "<table>", "<tr>", "<td colspan=\"3\">", "</td>", "&nbsp;", "&quot;", "<br/>", "</table>",
                     "<td rowspan=99999>", "。"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
)
_LINES = st.lists(st.lists(_PIECES, max_size=6).map("".join), max_size=60).map("\n".join)


def _invariants(res, text: str, html: bool) -> None:
    lines = text.split("\n")
    keys = [(c[1], c[2]) for c in res.cells]
    assert len(keys) == len(set(keys))                                   # one cell per template place
    if res.cells:
        tmpl = load(res.template)
        index = tmpl.cell_index
        order = [tmpl.cells.index(index[k]) for k in keys]
        assert order == sorted(order)                                    # template order
    for (template, item, column, raw, line, variant, label, unit, state, value, col) in res.cells:
        assert state in STATES and template == res.template
        assert 1 <= line <= max(len(lines), 1)
        if not html:
            assert raw in "\n".join(lines[line - 1:line + 2]) or raw == ""   # raw is text of the report
    for i in res.issues:
        assert i.code.startswith("X-") and i.message


@SETTINGS
@given(_LINES)
def test_random_report_like_text_never_crashes(text: str):
    _invariants(extract_text(text, "r.txt", html=False), text, False)
    _invariants(extract_text(text, "r.html", html=True), text, True)


@SETTINGS
@given(st.binary(max_size=400))
def test_random_bytes_decode_or_raise_input_error(data: bytes):
    try:
        text, enc = decode(data, "x.txt")
    except InputError as e:
        assert str(e).startswith("x.txt")
        return
    assert isinstance(text, str) and enc
    extract_text(text, "x.txt")


_COMBOS = [(t, v, lay) for t, v in (("old", None), ("old", "ningbo"), ("v2019", None), ("v2021", None))
           for lay in LAYOUTS if not (lay == "glued" and t != "old")]
_ANY = ["", "0", "7", "12", "340", "1,234", "３", "—", "/", "无", "详见附表", "\xa05", "0.5"]
_NONBLANK = [v for v in _ANY if v]
_DIGITS = ["", "0", "3", "12", "340"]


def _pool(layout: str) -> list[str]:
    return _DIGITS if layout == "glued" else _NONBLANK if layout == "line-blocks" else _ANY


@pytest.mark.parametrize("template, variant, layout", _COMBOS, ids=[f"{t}-{v or 'std'}-{l}" for t, v, l in _COMBOS])
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_rerendered_table_comes_back_cell_for_cell(template: str, variant, layout: str, seed: int):
    rnd = random.Random(seed)
    tmpl = load(template)
    pool = _pool(layout)
    values = {(c.item, c.column): rnd.choice(pool) for c in tmpl.cells_for(variant)}
    text = render(template, values, layout, variant=variant, agency="某某市某某局", year=2000 + seed % 30)
    res = extract_text(text, "r.html" if layout == "html" else "r.txt", html=layout == "html")
    got = {(c[1], c[2]): c[3] for c in res.cells}
    assert (res.template, res.variant or None, res.agency, res.year) == (
        template, variant, "某某市某某局", str(2000 + seed % 30))
    assert set(got) == set(values)
    if layout in EXACT_RAW:
        assert got == values
    else:
        assert {k: clean(v) for k, v in got.items()} == {k: clean(v) for k, v in values.items()}
    assert not [i for i in res.issues if i.severity != "info"], [i.message for i in res.issues]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), layout=st.sampled_from(["tab-rows", "pipe-rows", "pipe-compact", "tab-cells"]))
def test_missing_and_extra_rows_do_not_shift_the_rest(seed: int, layout: str):
    rnd = random.Random(seed)
    tmpl = load("old")
    values = {(c.item, c.column): rnd.choice(_ANY) for c in tmpl.cells}
    text = render("old", values, layout)
    lines = text.split("\n")
    rows = [r for r in tmpl.tables[0].rows if not r.heading]
    dropped = set(rnd.sample([r.code for r in rows[1:-1]], 3))
    out, inserted = [], 0
    skip = pending = False
    at = 0                                  # rows are matched in order (two rows share 「（三）其他情形数」)
    for line in lines:
        head = line.strip("\t|　 ").split("\t")[0].split("|")[0].strip()
        row = next((r for r in rows[at:] if head and (r.label == head or (len(head) >= 6 and r.label.startswith(head)))),
                   None)
        if row is not None:
            at = rows.index(row) + 1
        if layout == "tab-cells":
            # a block: the label line starts it, the blank line ends it
            if row is not None:
                skip = row.code in dropped
            if skip:
                if not line.strip():
                    skip = False
                continue
        elif row is not None and row.code in dropped:
            continue
        out.append(line)
        if layout == "tab-cells" and pending and line == "":
            out += ["\t小计", "\t条", "\t99", ""]       # a block of its own after the row's block
            pending = False
        if row is not None and rnd.random() < 0.1 and row.code != rows[-1].code:
            extra = ["小计", "条", "99"]
            if layout == "tab-cells":
                pending = True
            else:
                out.append({"tab-rows": "\t".join(extra), "pipe-rows": "| " + " | ".join(extra) + " |",
                            "pipe-compact": "|" + "|".join(extra) + "|"}[layout])
            inserted += 1
    res = extract_text("\n".join(out), "r.txt")
    got = {c[1]: clean(c[3]) for c in res.cells}
    expect = {k[0]: clean(v) for k, v in values.items() if k[0] not in dropped}
    assume(res.template == "old")
    assert got == expect
    assert sum(1 for i in res.issues if i.code == "X-03") == inserted
    assert not any(i.code == "X-02" for i in res.issues)


_SEED_TEXTS = None


def _seed_texts() -> list[str]:
    global _SEED_TEXTS
    if _SEED_TEXTS is None:
        from tests.conftest import SEEDS
        _SEED_TEXTS = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    return _SEED_TEXTS


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.integers(0, 4), ops=st.lists(st.tuples(st.sampled_from(["del", "dup", "swap", "cut", "tab", "pipe"]),
                                                      st.floats(0, 1)), max_size=8))
def test_mangled_seeds_never_crash(which: int, ops):
    lines = _seed_texts()[which].split("\n")
    for op, where in ops:
        if not lines:
            break
        i = min(int(where * len(lines)), len(lines) - 1)
        if op == "del":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "swap" and i + 1 < len(lines):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
        elif op == "cut":
            lines = lines[:i]
        elif op == "tab":
            lines[i] = "\t" + lines[i]
        elif op == "pipe":
            lines.insert(i, "|")
    text = "\n".join(lines)
    res = extract_text(text, "m.txt")
    _invariants(res, text, False)
    if res.template and not res.cells:     # no table, or a table cut off right after its header
        assert any(i.code in ("X-01", "X-02") for i in res.issues)
