"""Meaning-preserving mutations of the golden inputs must not change what is extracted.

Inputs: the five seed reports (data/seeds) and the extraction fixtures (tests/fixtures/extract, decoded
here with their known encodings). Each input gets only the mutations that keep its meaning in its own
layout and that a real page could show:

* ``merge_group``: a rowspan group label glued into the next row's label (``三、本年度办理结果 （一）予以公开``,
  ``（三）不予公开 1.属于国家秘密``) — layouts with a group column (tab cells, tab rows);
* ``split_header``: a column header broken over two lines (``对外公开`` / ``总数量``; ``<br/>`` in HTML) —
  one-cell-per-line layouts and HTML;
* ``trailing``: rows padded with extra empty cells at the end (``| a | b ||||``, ``a<TAB>b<TAB><TAB>``) —
  pipe and tab rows;
* ``sep_pipe`` / ``sep_spaces`` / ``sep_tab``: the cell separator changed (tab → `` | `` rows; tab → 2+
  spaces on rows without an empty cell; pipe rows → tabs) — tab and pipe rows;
* ``crlf``: CRLF line endings (LF for a file that has CRLF) — every input;
* ``punct_half`` / ``punct_full``: full-width ↔ half-width punctuation in labels (（）：．“” ↔ ():.") —
  every input (HTML: text nodes only).

The extracted cells (item, column → state, value) and the template must equal those of the unmutated
input. One deterministic test applies each mutation alone; a hypothesis test combines them.
"""

from __future__ import annotations

import math
import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.extract import extract_text, to_extraction

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "data" / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "extract"

ENCODINGS = {"enc_crlf_gbk.txt": "gbk", "enc_gb18030.txt": "gb18030", "enc_utf16be_bom.txt": "utf-16",
             "enc_utf16le_bom.txt": "utf-16", "enc_utf16le_nobom.txt": "utf-16-le", "enc_utf8_bom.txt": "utf-8-sig",
             "old_nested_gbk.htm": "gbk"}
SKIP = {"bad_bytes.txt", "empty.txt"}

# ------------------------------------------------------------------------------- mutations

_TO_HALF = str.maketrans({"（": "(", "）": ")", "：": ":", "．": ".", "“": '"', "”": '"'})
_TO_FULL = str.maketrans({"(": "（", ")": "）", ":": "："})


def _on_text_nodes(html: str, fn) -> str:
    """Apply fn to the text between tags (not to tags, attributes, scripts or styles)."""
    parts = re.split(r"(<script.*?</script>|<style.*?</style>|<[^>]*>)", html, flags=re.S | re.I)
    return "".join(p if (i % 2 or not p) else fn(p) for i, p in enumerate(parts))


def _is_html(text: str) -> bool:
    return bool(re.search(r"<(html|table|tr|td)\b", text[:5000], re.I))


def m_crlf(text: str, rng: random.Random) -> str:
    """LF → CRLF (a file that has CRLF already goes to LF)."""
    if "\r\n" in text:
        return text.replace("\r\n", "\n")
    return text.replace("\n", "\r\n")


def m_punct_half(text: str, rng: random.Random) -> str:
    fn = lambda s: s.translate(_TO_HALF)  # noqa: E731
    return _on_text_nodes(text, fn) if _is_html(text) else fn(text)


def m_punct_full(text: str, rng: random.Random) -> str:
    def fn(s: str) -> str:
        s = s.translate(_TO_FULL)
        return re.sub(r"(?<![\d.])(\d)\.(?=[\u4e00-\u9fff])", r"\1．", s)   # numbering 1.属于 → 1．属于
    return _on_text_nodes(text, fn) if _is_html(text) else fn(text)


def _some(rng: random.Random, matches: list) -> list:
    """A non-empty random subset of the matches (all of them half of the time)."""
    if not matches or rng.random() < 0.5:
        return matches
    return rng.sample(matches, rng.randint(1, len(matches)))


def _sub_some(pattern: str, repl, text: str, rng: random.Random, flags=0) -> str:
    ms = list(re.finditer(pattern, text, flags))
    chosen = {m.start() for m in _some(rng, ms)}
    return re.sub(pattern, lambda m: (m.expand(repl) if m.start() in chosen else m.group(0)), text, flags=flags)


def m_merge_group(text: str, rng: random.Random) -> str:
    nl = "\r\n" if "\r\n" in text else "\n"
    # one cell per line after a tab (seed 001): "\t三、本年度办理结果\n\t（一）予以公开"
    text = _sub_some(r"\t(三、本年度办理结果)[ \xa0]*" + nl + r"\t(（一）予以公开)", r"\t\1 \2", text, rng)
    text = _sub_some(r"\t(（[三四五六]）[^\t\r\n]{2,8}?)[ \xa0]*" + nl + r"\t(1[.．])", r"\t\1 \2", text, rng)
    # tab rows (v2021 fixture): "三、本年度办理结果\t（一）予以公开\t3"
    text = _sub_some(r"(三、本年度办理结果)\t(（一）予以公开)", r"\1 \2", text, rng)
    text = _sub_some(r"\t(（[三四五六]）[^\t\r\n]{2,8}?)\t(1[.．])", r"\t\1 \2", text, rng)
    return text


_HEADER_SPLITS = [("对外公开", "总数量"), ("上一年", "项目数量"), ("处理决定", "数量"), ("采购项目", "数量"),
                  ("采购总", "金额"), ("社会公益", "组织"), ("法律服务", "机构"), ("商业", "企业"), ("科研", "机构"),
                  ("本年制发", "件数"), ("本年废止", "件数"), ("现行有效", "件数")]


def m_split_header(text: str, rng: random.Random) -> str:
    nl = "\r\n" if "\r\n" in text else "\n"
    for a, b in _HEADER_SPLITS:
        if _is_html(text):
            text = _sub_some(rf"(<td[^>]*>\s*){a}{b}(\s*</td>)", rf"\g<1>{a}<br/>{b}\2", text, rng, re.I)
        else:   # one cell per line after a tab: "\t对外公开总数量" → "\t对外公开" / "总数量"
            text = _sub_some(rf"(?m)^\t{a}{b}[ \xa0]*$", f"\t{a}{nl}{b}", text, rng)
    return text


def _lines_map(text: str, fn) -> str:
    nl = "\r\n" if "\r\n" in text else "\n"
    return nl.join(fn(line) for line in text.split(nl))


def m_trailing(text: str, rng: random.Random) -> str:
    k = rng.randint(1, 4)

    def fn(line: str) -> str:
        s = line.rstrip()
        if s.startswith("|") and s.endswith("|"):
            if re.fullmatch(r"\|(\s*:?-{3,}:?\s*\|)+", s):
                return s + "---|" * k
            return s + rng.choice([" " + "|" * k, "|" * k, " |" * k])
        if "\t" in line:
            return line + "\t" * k
        return line
    return _lines_map(text, fn)


def m_sep_pipe(text: str, rng: random.Random) -> str:
    return _lines_map(text, lambda ln: ("| " + " | ".join(f.strip() for f in ln.split("\t")) + " |")
                      if "\t" in ln else ln)


def m_sep_spaces(text: str, rng: random.Random) -> str:
    def fn(line: str) -> str:
        if "\t" not in line:
            return line
        fields = line.split("\t")
        if any(not f.strip(" \xa0\u3000") for f in fields) or any(re.search(r"\s{2}", f) for f in fields):
            return line       # an empty cell or a field with wide spaces would change meaning: keep the tabs
        return (" " * rng.randint(2, 4)).join(f.strip() for f in fields)
    return _lines_map(text, fn)


def m_sep_tab(text: str, rng: random.Random) -> str:
    nl = "\r\n" if "\r\n" in text else "\n"
    out = []
    for line in text.split(nl):
        s = line.strip()
        if s.startswith("|") and s.endswith("|") and len(s) > 1:
            if re.fullmatch(r"\|(\s*:?-{3,}:?\s*\|)+", s):
                continue                      # the markdown separator has no place in tab rows
            out.append("\t".join(c.strip() for c in s[1:-1].split("|")))
        else:
            out.append(line)
    return nl.join(out)


MUTATIONS = {"crlf": m_crlf, "punct_half": m_punct_half, "punct_full": m_punct_full, "merge_group": m_merge_group,
             "split_header": m_split_header, "trailing": m_trailing, "sep_pipe": m_sep_pipe,
             "sep_spaces": m_sep_spaces, "sep_tab": m_sep_tab}

COMMON = ("crlf", "punct_half", "punct_full")
TSV = COMMON + ("trailing", "sep_pipe", "sep_spaces")
PIPES = COMMON + ("trailing", "sep_tab")
ALLOWED = {
    "000_ebde6dcd4a6dec74.txt": TSV,                                  # label<TAB>unit<TAB>value
    "001_f432b4650208066c.txt": COMMON + ("merge_group", "split_header"),  # one cell per line after a tab
    "002_75ba8c7c95ed2a3b.txt": COMMON,                               # label and value glued
    "003_ac397f543ad98429.txt": COMMON,                               # one cell per line after a tab (old)
    "004_1779f513d25e1c56.txt": COMMON,                               # | on its own line
    "early.txt": TSV,
    "enc_crlf_gbk.txt": TSV, "enc_gb18030.txt": TSV, "enc_utf16be_bom.txt": TSV, "enc_utf16le_bom.txt": TSV,
    "enc_utf16le_nobom.txt": TSV, "enc_utf8.txt": TSV, "enc_utf8_bom.txt": TSV,
    "mixed_template.txt": TSV,
    "no_table.html": COMMON, "no_table.txt": COMMON,
    "old_glued_wrapped.txt": COMMON,
    "old_line_blocks.txt": COMMON,
    "old_nested_gbk.htm": COMMON,
    "old_pipe_compact.txt": PIPES,
    "old_pipe_rows.txt": PIPES,
    "old_truncated.txt": TSV,
    "v2019_spans.html": COMMON + ("split_header",),
    "v2019_truncated.html": COMMON + ("split_header",),
    "v2021_tab_rows.txt": TSV + ("merge_group",),
}


# ----------------------------------------------------------------------------------- inputs

def _inputs() -> dict[str, str]:
    out = {}
    for p in sorted(SEEDS.glob("*.txt")):
        out[p.name] = p.read_text(encoding="utf-8")
    for p in sorted(FIXTURES.iterdir()):
        if p.name in SKIP or not p.is_file():
            continue
        out[p.name] = p.read_bytes().decode(ENCODINGS.get(p.name, "utf-8"))
    return out


INPUTS = _inputs()


def _extract(text: str, name: str):
    ext = to_extraction([extract_text(text, name)])
    cells = {}
    for item, col, st_, val in zip(ext.cells["item"], ext.cells["column"], ext.cells["state"], ext.cells["value"]):
        v = "" if val is None or (isinstance(val, float) and math.isnan(val)) else str(val)
        cells.setdefault((item, col), (str(st_), v))
    tmpl = ext.reports["template"].iloc[0] if not ext.reports.empty else ""
    return (tmpl if isinstance(tmpl, str) else ""), cells


BASE: dict[str, tuple] = {}


def _base(name: str):
    if name not in BASE:
        BASE[name] = _extract(INPUTS[name], name)
    return BASE[name]


def _compare(name: str, mutated: str, applied) -> None:
    tmpl0, cells0 = _base(name)
    tmpl1, cells1 = _extract(mutated, name)
    assert tmpl1 == tmpl0, (name, applied, tmpl0, tmpl1)
    changed = sorted(k for k in set(cells0) | set(cells1) if cells0.get(k) != cells1.get(k))
    assert changed == [], (name, applied, [(k, cells0.get(k), cells1.get(k)) for k in changed[:8]])


def test_every_input_has_its_mutations():
    assert set(INPUTS) == set(ALLOWED)
    assert all(set(m) <= set(MUTATIONS) for m in ALLOWED.values())
    # the layout-specific mutations really change their inputs
    rng = random.Random(0)
    for name, muts in ALLOWED.items():
        for m in muts:
            if m in ("merge_group", "split_header", "sep_pipe", "sep_tab", "trailing", "crlf"):
                assert MUTATIONS[m](INPUTS[name], random.Random(1)) != INPUTS[name], (name, m)
    del rng


@pytest.mark.parametrize("name,mutation", [(n, m) for n, ms in ALLOWED.items() for m in ms])
def test_single_mutation_keeps_the_cells(name, mutation):
    mutated = MUTATIONS[mutation](INPUTS[name], random.Random(f"{name}/{mutation}"))
    _compare(name, mutated, [mutation])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_combined_mutations_keep_the_cells(data):
    name = data.draw(st.sampled_from(sorted(ALLOWED)), label="input")
    muts = data.draw(st.lists(st.sampled_from(ALLOWED[name]), min_size=1, max_size=4, unique=True), label="mutations")
    # separators first (they decide the row syntax), line endings last
    order = ["merge_group", "split_header", "sep_tab", "sep_pipe", "sep_spaces", "trailing", "punct_half",
             "punct_full", "crlf"]
    muts = sorted(muts, key=order.index)
    if "sep_pipe" in muts and "sep_spaces" in muts:
        muts.remove("sep_spaces")
    if "punct_half" in muts and "punct_full" in muts:
        muts.remove("punct_full")
    rng = random.Random(data.draw(st.integers(0, 2**32 - 1), label="rng"))
    text = INPUTS[name]
    for m in muts:
        text = MUTATIONS[m](text, rng)
    _compare(name, text, muts)
