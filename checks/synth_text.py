"""The text of a generated multi-year corpus (:mod:`checks.synth_years`): what the extractor would
find in each report's narrative beyond its counts — percentages tied to the table (T-02), the six
section headings, section 五's body, what section 六 says about fees and the report year as title,
table heading and narrative state it (S-01 … S-04) — consistent with the table, plus faults.

:func:`add_text` appends these rows (the keys of :mod:`checks.extract.narrative` and
:mod:`checks.extract.metadata`) to ``corpus.narrative``. With ``faults=True``, about ``rate`` of the
agency-years of agencies that :mod:`checks.synth_years` left untouched get one fault each (text
faults are judged within their year, so an agency may get several), recorded
in the returned list as (kind, agency name, year):

============  ==============================================================  =========
kind          what is changed                                                  found by
============  ==============================================================  =========
``percent``   a share (予以公开…占办结总数的) or a 同比 change off by 3–12 points     T-02
``sections``  a section heading missing, or sections 五 and 六 swapped          S-01
``problems``  section 五 says only "无"                                         S-02
``fee``       a fee in the table (old 收取的费用, v2021 逾期未缴费), 六 silent        S-03
``year``      the narrative names the year before the title's                  S-04
============  ==============================================================  =========

Some reports of the clean corpus charge a fee and say so (no finding).
"""

from __future__ import annotations

import random

import pandas as pd

from checks.extract.narrative import SECTIONS

KINDS = ("percent", "sections", "problems", "fee", "year")
CODES = {"percent": ("T-02",), "sections": ("S-01",), "problems": ("S-02",), "fee": ("S-03",), "year": ("S-04",)}
SERIES_KEY = {"old": "old.s3.received.total", "v2019": "v2019.s3.new_received", "v2021": "v2021.s3.new_received"}


def _num(raw: str) -> float:
    try:
        return float(raw) if raw not in ("", "——") else 0.0
    except ValueError:
        return 0.0


def add_text(corpus, seed: int = 0, faults: bool = False, rate: float = 0.15) -> list[tuple[str, str, int]]:
    """Append the text facts of every report to ``corpus.narrative`` (and, for fee faults, the fee cell
    to ``corpus.frame``); return the injected faults."""
    rng = random.Random(seed + 7)
    fr = corpus.frame
    cells = {(a, int(y), i, c): r for a, y, i, c, r in zip(fr["agency"], fr["year"], fr["item"], fr["column"], fr["raw"])}
    tpl = dict(zip(zip(fr["agency"], fr["year"].astype(int)), fr["template"]))
    years = sorted({int(y) for y in fr["year"]})
    touched = {a.agency_id for a in corpus.agencies for k, name, y in corpus.injected if a.written(y) == name}
    narr = corpus.narrative
    counts = {(a, int(y), k): (v, ln) for a, y, k, v, ln in zip(narr["agency"], narr["year"], narr["key"],
                                                                  narr["value"], narr["source_line"])}
    rows: list[tuple] = []
    injected: list[tuple[str, str, int]] = []
    fee_edits: dict[tuple[str, int, str, str], str] = {}

    def v(name, year, item, col="value"):
        return _num(cells.get((name, year, item, col), ""))

    for ai, a in enumerate(corpus.agencies):
        done = a.agency_id in touched
        for year in years:
            name = a.written(year)
            t = tpl[(name, year)]
            kind = None
            if faults and not done and year != years[0] and rng.random() < rate:
                pool = ("percent", "fee", "year") if t == "old" else KINDS + ("sections", "problems")
                kind = pool[rng.randrange(len(pool))]     # only kinds that apply to the template
            facts = _facts(a, name, year, t, v, counts, fee_edits, clean_fee=(ai % 25 == 0))
            if kind and _inject(rng, kind, t, name, year, facts, v, fee_edits):
                injected.append((kind, name, year))      # one fault per agency-year (each rule is within a year)
            rows += [(name, year, k, float(val), raw, sent, ln) for k, val, raw, sent, ln in facts]
    if fee_edits:
        key = list(zip(fr["agency"], fr["year"].astype(int), fr["item"], fr["column"]))
        fr["raw"] = [fee_edits.get(k, r) for k, r in zip(key, fr["raw"])]
    corpus.narrative = pd.concat([narr, pd.DataFrame(rows, columns=list(narr.columns))], ignore_index=True)
    return injected


def _facts(a, name, year, t, v, counts, fee_edits, clean_fee: bool) -> list[list]:
    """[key, value, raw, sentence, line] of one report, all agreeing with its table."""
    out = [["doc:year.title", year, str(year), f"{name}{year}年度政府信息公开工作年度报告", 1000],
           ["doc:year.narrative", year, f"{year}年度", f"{year}年度，本机关认真贯彻落实《条例》。", 1001]]
    if t == "old":
        out.append(["doc:year.table", year, str(year), f"（{year}年度）", 1002])
    # a share of a result category
    if t == "old":
        num, den, key = v(name, year, "old.s3.replied.agree"), v(name, year, "old.s3.replied.total"), \
            "pct:old.s3.replied.agree/result"
        words = ("同意公开", "占答复总数的")
    else:
        num, den, key = v(name, year, f"{t}.s3.result.public", "total"), v(name, year, f"{t}.s3.result.total", "total"), \
            f"pct:{t}.s3.result.public/result"
        words = ("予以公开", "占办结总数的")
    if den > 0:
        p = round(100 * num / den, 1)
        out.append([key, p, f"{p:g}%", f"{words[0]}{num:g}件，{words[1]}{p:g}%。", 1003])
    # a year-over-year change of the count stated in the narrative (when it quotes the series' value)
    ck = SERIES_KEY[t]
    stated = counts.get((name, year, ck))
    prev_name = a.written(year - 1)
    cur = v(name, year, ck, "value" if t == "old" else "total")
    pk = "old.s3.received.total" if year - 1 <= 2018 else f"{'v2019' if year - 1 <= 2020 else 'v2021'}.s3.new_received"
    prv = v(prev_name, year - 1, pk, "value" if pk.startswith("old") else "total")
    if stated is not None and stated[0] == cur and prv > 0:
        p = round(100 * (cur - prv) / prv, 1)
        word = "增长" if p >= 0 else "下降"
        out.append([f"pct:yoy:{ck}", p, f"{abs(p):g}%", f"收到申请{cur:g}件，同比{word}{abs(p):g}%。", stated[1]])
    if t in ("v2019", "v2021"):
        out.append(["doc:sections", 6, "", "", 100])
        out += [[f"doc:section.{n}", n, f"{'一二三四五六'[n - 1]}、{title}", f"{'一二三四五六'[n - 1]}、{title}", 100 + 10 * n]
                for n, title, _ in SECTIONS]
        out.append(["doc:section.5.body", 120, "（一）存在的主要问题。", "（一）存在的主要问题。一是公开内容不够全面。", 150])
    fee_cell = {"old": ("old.s7.fees", "value"), "v2021": (f"{t}.s3.result.other.overdue_no_fee", "natural")}.get(t)
    if fee_cell:
        charged = clean_fee and _charge(t, name, year, v, fee_edits)
        out.append(["doc:fee", 1 if charged else 0, "收取信息处理费" if charged else "",
                    "本年度收取信息处理费共计500元。" if charged else "", 160])
    return out


def _charge(t, name, year, v, fee_edits) -> bool:
    """Make the table show a fee: old 收取的费用 0.05 万元; v2021 one 其他处理 moved to 逾期未缴费 (sums hold)."""
    if t == "old":
        fee_edits[(name, year, "old.s7.fees", "value")] = "0.05"
        return True
    other = v(name, year, f"{t}.s3.result.other.other", "natural")
    if other < 1:
        return False
    for col in ("natural", "total"):
        o = v(name, year, f"{t}.s3.result.other.other", col)
        fee_edits[(name, year, f"{t}.s3.result.other.other", col)] = f"{o - 1:g}"
        fee_edits[(name, year, f"{t}.s3.result.other.overdue_no_fee", col)] = "1"
    return True


def _inject(rng, kind, t, name, year, facts, v, fee_edits) -> bool:
    by = {f[0]: f for f in facts}
    if kind == "percent":
        pcts = [f for f in facts if f[0].startswith("pct:")]
        if not pcts:
            return False
        f = rng.choice(pcts)
        d = rng.choice((-1, 1)) * rng.randint(3, 12)
        f[1] = round(f[1] + d, 1)
        f[2] = f"{abs(f[1]):g}%"
        return True
    if kind == "sections":
        if "doc:sections" not in by:
            return False
        if rng.random() < 0.5:
            n = rng.randint(1, 6)
            facts.remove(by[f"doc:section.{n}"])
            by["doc:sections"][1] = 5
        else:
            by["doc:section.5"][4], by["doc:section.6"][4] = by["doc:section.6"][4], by["doc:section.5"][4]
        return True
    if kind == "problems":
        if "doc:section.5.body" not in by:
            return False
        by["doc:section.5.body"][1:4] = [0, "无", "无。"]
        return True
    if kind == "fee":
        if "doc:fee" not in by or by["doc:fee"][1] == 1 or not _charge(t, name, year, v, fee_edits):
            return False
        return True
    if kind == "year":
        by["doc:year.narrative"][1] = year - 1
        by["doc:year.narrative"][2] = f"{year - 1}年度"
        return True
    raise ValueError(kind)
