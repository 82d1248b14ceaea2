"""A synthetic corpus: reports of every template, consistent by construction, with faults at known places.

:func:`generate` returns an extracted-statistics frame (checks.formats) with ``n`` reports spread over
``old`` (incl. the 宁波 variant), ``v2019`` and ``v2021``, written the way real reports are: zeros as
``0``, as blank cells or as ``/`` (one style per report, or mixed), headings as ``——``. A share of the
reports gets one injected fault each (a broken total, a blank 总计 over filled parts, text in a number
cell, a missing row or table, a heading with a value, …); :attr:`Corpus.expected` lists every
(agency, year, rule code, item, column) an exact checker must report as error or warning — the
faults' findings plus the tables the rendering left entirely blank (B-02/B-03). The effect of each
fault is written out by hand below, independently of the rule engine.

:func:`load_direct` inserts a frame straight into a warehouse (reports + cells, read with
checks.cells) — for tests and benchmarks that need no load contract.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from checks import templates as T
from checks.cells import parse_cell

ROOT = Path(__file__).resolve().parent
SCHEMA = ROOT / "schema.sql"
COLS6 = ("natural", "commercial", "research", "social", "legal", "other")
STYLES = ("zeros", "zeros", "blank", "na", "mixed")


@dataclass
class Report:
    agency: str
    year: int
    template: str
    variant: str = ""
    values: dict = field(default_factory=dict)     # (item, column) -> number
    raw: dict = field(default_factory=dict)        # (item, column) -> text that overrides the rendering
    absent: set = field(default_factory=set)       # (item, column) not written at all
    extra: list = field(default_factory=list)      # (item, column, raw, label) cells the template lacks
    style: str = "zeros"
    fault: str = ""
    expected: list = field(default_factory=list)   # (code, item, column or None)


@dataclass
class Corpus:
    frame: pd.DataFrame
    reports: list[Report]

    @property
    def expected(self) -> set[tuple]:
        return {(r.agency, r.year, code, item, col or "") for r in self.reports for code, item, col in r.expected}


# ------------------------------------------------------------------------------------ values

def _parts(rng: random.Random, n: int, k: int, active: int = 3) -> list[int]:
    """n split into k non-negative parts, at most ``active`` of them non-zero."""
    out = [0] * k
    if n <= 0:
        return out
    idx = rng.sample(range(k), min(k, rng.randint(1, active)))
    cuts = sorted(rng.randint(0, n) for _ in range(len(idx) - 1))
    for i, a, b in zip(idx, [0, *cuts], [*cuts, n]):
        out[i] = b - a
    return out


def _small(rng: random.Random, hi: int, p_zero: float = 0.5) -> int:
    return 0 if rng.random() < p_zero else rng.randint(1, hi)


def _old(rng: random.Random, rep: Report) -> None:
    v, P = rep.values, "old."
    ningbo = rep.variant == "ningbo"

    def s(code, val):
        v[(P + code, "value")] = val
    t = rng.randint(20, 3000)
    nd = rng.randint(0, min(t, 40))
    s("s1.proactive.total", t)
    s("s1.proactive.normative_docs", nd)
    s("s1.proactive.normative_docs_issued", nd + rng.randint(0, 10))
    ch = {"gazette": 0 if ningbo else rng.randint(0, t // 10), "website": rng.randint(t // 2, t),
          "weibo": _small(rng, t), "wechat": _small(rng, t), "other": rng.randint(0, t // 5)}
    gap = t - sum(ch.values())
    if gap > 0:
        ch["other"] += gap
    for k, val in ch.items():
        if not (ningbo and k == "gazette"):
            s(f"s1.channel.{k}", val)
    s("s2.hotspots", _small(rng, 20))
    pc = _small(rng, 6)
    s("s2.press_conf.total", pc)
    s("s2.press_conf.principal", rng.randint(0, pc))
    iv = _small(rng, 3, 0.7)
    s("s2.interview.total", iv)
    s("s2.interview.principal", rng.randint(0, iv))
    s("s2.interpretations", _small(rng, 30, 0.3))
    s("s2.weibo_wechat_responses", _small(rng, 20))
    s("s2.other_responses", _small(rng, 10))
    rec = [_small(rng, 5), _small(rng, 1, 0.9), _small(rng, 30, 0.3), _small(rng, 5)]
    for k, val in zip(("in_person", "fax", "online", "letter"), rec):
        s(f"s3.received.{k}", val)
    received = sum(rec)
    s("s3.received.total", received)
    closed = received - rng.randint(0, min(received, 3))
    ext = rng.randint(0, closed // 4)
    s("s3.closed.total", closed)
    s("s3.closed.on_time", closed - ext)
    s("s3.closed.extended", ext)
    s("s3.replied.total", closed)
    reps = _parts(rng, closed, 8, 4)
    for k, val in zip(("already_public", "agree", "agree_partial", "disagree.total", "not_this_agency",
                       "not_exist", "asked_to_amend", "other_channel"), reps):
        s(f"s3.replied.{k}", val)
    for k, val in zip(("state_secret", "trade_secret", "privacy", "security_stability", "not_gov_info",
                       "other_legal"), _parts(rng, reps[3], 6, 2)):
        s(f"s3.replied.disagree.{k}", val)
    for sec, grp in (("s4", "review"), ("s5", "litigation")):
        parts = [_small(rng, 3, 0.8) for _ in range(3)]
        for k, val in zip(("upheld", "corrected", "other"), parts):
            s(f"{sec}.{grp}.{k}", val)
        s(f"{sec}.{grp}.total", sum(parts))
    s("s6.complaints", _small(rng, 5, 0.8))
    s("s7.fees", 0 if rng.random() < 0.8 else round(rng.uniform(0.01, 0.5), 2))
    s("s8.dedicated_units", rng.randint(0, 2))
    s("s8.inspection_points", rng.randint(0, 5))
    ft, pt = rng.randint(0, 3), rng.randint(0, 5)
    s("s8.staff.full_time", ft)
    s("s8.staff.part_time", pt)
    s("s8.staff.total", ft + pt)
    s("s8.budget", 0 if rng.random() < 0.5 else round(rng.uniform(0.1, 20), 1))
    if not ningbo:
        s("s9.meetings", rng.randint(0, 5))
        ts = _small(rng, 5)
        s("s9.training_sessions", ts)
        s("s9.trainees", rng.randint(5, 200) if ts else _small(rng, 50, 0.7))


RESULT_LEAVES = {
    "v2019": ["result.public", "result.partial", *[f"result.withheld.{k}" for k in (
        "state_secret", "law_prohibited", "security_stability", "third_party", "internal_affairs",
        "process_info", "enforcement_file", "inquiry_matter")],
        "result.unable.not_held", "result.unable.needs_creation", "result.unable.unclear",
        *[f"result.not_processed.{k}" for k in ("petition", "duplicate", "publication", "mass_repetitive",
                                                 "confirm_reissue")], "result.other"],
}
RESULT_LEAVES["v2021"] = [*RESULT_LEAVES["v2019"][:-1], "result.other.overdue_no_correction",
                          "result.other.overdue_no_fee", "result.other.other"]


def _modern(rng: random.Random, rep: Report) -> None:
    v, t = rep.values, rep.template

    def g(code, val):
        v[(f"{t}.{code}", "value")] = val
    if t == "v2019":
        for row in ("regulations", "normative_docs"):
            npub = _small(rng, 8)
            g(f"s2.art20_1.{row}.new_made", _small(rng, 8))
            g(f"s2.art20_1.{row}.new_published", npub)
            g(f"s2.art20_1.{row}.total_published", npub + _small(rng, 100, 0.3))
        for tab, rows in (("art20_5", ("licensing", "other_services")), ("art20_6", ("penalty", "coercion"))):
            for row in rows:
                g(f"s2.{tab}.{row}.prev_count", _small(rng, 300))
                g(f"s2.{tab}.{row}.change", 0 if rng.random() < 0.6 else rng.choice([-1, 1]) * rng.randint(1, 5))
                g(f"s2.{tab}.{row}.decisions", _small(rng, 5000))
        g("s2.art20_8.fees.prev_count", _small(rng, 20))
        g("s2.art20_8.fees.change", 0 if rng.random() < 0.7 else rng.choice([-1, 1]) * rng.randint(1, 3))
        g("s2.art20_9.procurement.projects", _small(rng, 50))
        g("s2.art20_9.procurement.amount", 0 if rng.random() < 0.5 else round(rng.uniform(1, 900), 2))
    else:
        for row in ("regulations", "normative_docs"):
            for col in ("issued", "repealed", "in_force"):
                g(f"s2.art20_1.{row}.{col}", _small(rng, 30))
        g("s2.art20_5.licensing.decisions", _small(rng, 5000))
        g("s2.art20_6.penalty.decisions", _small(rng, 500))
        g("s2.art20_6.coercion.decisions", _small(rng, 50, 0.7))
        g("s2.art20_8.fees.amount_wan_yuan", 0 if rng.random() < 0.7 else round(rng.uniform(0.01, 50), 2))
    leaves = RESULT_LEAVES[t]
    m: dict[str, dict[str, int]] = {r: {} for r in ("new_received", "carried_over", *leaves, "result.total",
                                                    "carry_forward")}
    nothing = rng.random() < 0.1
    for c in COLS6:
        new = 0 if nothing else (rng.randint(0, 60) if c == "natural" and rng.random() > 0.2 else _small(rng, 10, 0.75))
        carried = 0 if nothing else _small(rng, 5, 0.7)
        cf = rng.randint(0, min(new + carried, 5)) if rng.random() < 0.5 else 0
        processed = new + carried - cf
        m["new_received"][c], m["carried_over"][c], m["carry_forward"][c] = new, carried, cf
        m["result.total"][c] = processed
        for leaf, val in zip(leaves, _parts(rng, processed, len(leaves), 4)):
            m[leaf][c] = val
    for row, cols in m.items():
        for c, val in cols.items():
            v[(f"{t}.s3.{row}", c)] = val
        v[(f"{t}.s3.{row}", "total")] = sum(cols.values())
    for grp in ("review", "lit_direct", "lit_after_review"):
        parts = [_small(rng, 3, 0.8) for _ in range(4)]
        for k, val in zip(("upheld", "corrected", "other", "pending"), parts):
            g(f"s4.{grp}.{k}", val)
        g(f"s4.{grp}.total", sum(parts))


# ------------------------------------------------------------------------------------ faults

def _faults_old(rng: random.Random, rep: Report, exclude: frozenset = frozenset()) -> None:
    v, P = rep.values, "old."

    def key(code):
        return (P + code, "value")

    def get(code):
        return v[key(code)]

    def add(code, k):
        v[key(code)] += k

    def exp(code, item, col="value"):
        rep.expected.append((code, P + item if not item.startswith("old.") else item, col))

    def pin(code):  # a total the fault leaves at 0 is written as 0, so no blank 总计 sits over a filled part
        rep.raw[key(code)] = _plain(v[key(code)])
    ningbo = rep.variant == "ningbo"
    choices = ["O-01", "O-02", "O-03", "O-04", "O-05", "O-06", "O-07", "O-08", "O-09", "O-10", "O-11", "O-12",
               "O-13", "O-14", "O-15", "O-17", "L-01", "L-02", "L-02i", "L-04", "L-04u", "L-06"]
    if not ningbo:
        choices += ["O-16", "L-03"]
    f = rng.choice([c for c in choices if c not in exclude] if exclude else choices)
    rep.fault = f
    k = rng.randint(1, 9)
    t = get("s1.proactive.total")
    if f == "O-01":
        v[key("s1.proactive.normative_docs")] = t + k
        v[key("s1.proactive.normative_docs_issued")] = t + k + rng.randint(0, 5)
        exp("O-01", "s1.proactive.normative_docs")
    elif f == "O-02":
        nd = max(get("s1.proactive.normative_docs"), k)
        v[key("s1.proactive.normative_docs")] = nd
        v[key("s1.proactive.normative_docs_issued")] = nd - k
        exp("O-02", "s1.proactive.normative_docs")
    elif f == "O-03":
        v[key("s1.channel.wechat")] = t + k
        exp("O-03", "s1.channel.wechat")
    elif f == "O-04":
        chans = [c for c in ("gazette", "website", "weibo", "wechat", "other") if key(f"s1.channel.{c}") in v]
        v[key("s1.proactive.total")] = sum(get(f"s1.channel.{c}") for c in chans) + k
        exp("O-04", "s1.proactive.total")
    elif f in ("O-05", "O-06"):
        g = "press_conf" if f == "O-05" else "interview"
        v[key(f"s2.{g}.principal")] = get(f"s2.{g}.total") + k
        pin(f"s2.{g}.total")
        exp(f, f"s2.{g}.principal")
    elif f == "O-07":
        add("s3.received.total", k)
        exp("O-07", "s3.received.total")
    elif f == "O-08":
        add("s3.closed.on_time", k)
        pin("s3.closed.total")
        exp("O-08", "s3.closed.total")
    elif f == "O-09":
        add("s3.replied.agree", k)
        pin("s3.replied.total")
        exp("O-09", "s3.replied.total")
    elif f == "O-10":
        add("s3.replied.disagree.privacy", k)
        pin("s3.replied.disagree.total")
        pin("s3.replied.total")
        exp("O-10", "s3.replied.disagree.total")
    elif f == "O-11":
        for c in ("s3.closed.total", "s3.closed.on_time", "s3.received.total", "s3.received.online"):
            add(c, k)
        exp("O-11", "s3.closed.total")
    elif f == "O-12":
        k = get("s3.received.total") - get("s3.closed.total") + 1 + rng.randint(0, 3)
        for c in ("s3.closed.total", "s3.closed.on_time", "s3.replied.total", "s3.replied.agree"):
            add(c, k)
        exp("O-12", "s3.closed.total")
    elif f in ("O-13", "O-14", "O-15"):
        item = {"O-13": "s4.review.total", "O-14": "s5.litigation.total", "O-15": "s8.staff.total"}[f]
        add(item, k)
        exp(f, item)
    elif f == "O-16":
        v[key("s9.training_sessions")] = k
        v[key("s9.trainees")] = 0
        rep.raw[key("s9.trainees")] = "0"
        exp("O-16", "s9.trainees")
    elif f == "O-17":
        item = rng.choice(["s6.complaints", "s8.inspection_points"])
        rep.raw[key(item)] = rng.choice(["-2", "1.5"])
        exp("O-17", item)
    elif f == "L-01":
        h = rng.choice(["s1", "s3", "s9" if not ningbo else "s2"])
        rep.raw[key(h)] = rng.choice([str(k), f"——{k}"])
        exp("L-01", h)
    elif f == "L-02":           # staff total blank while its parts hold numbers (seed 002/004)
        add("s8.staff.part_time", 1)
        add("s8.staff.total", 1)
        rep.raw[key("s8.staff.total")] = rng.choice(["", "/"])
        exp("L-02", "s8.staff.total")
        exp("O-15", "s8.staff.total")
    elif f == "L-02i":          # 其中 part filled under a blank parent (seed 002)
        pr = max(get("s2.press_conf.principal"), 1)
        v[key("s2.press_conf.principal")] = pr
        v[key("s2.press_conf.total")] = max(get("s2.press_conf.total"), pr)
        rep.raw[key("s2.press_conf.total")] = ""
        exp("L-02", "s2.press_conf.total")
        exp("O-05", "s2.press_conf.principal")
    elif f == "L-03":
        for c in ("s9", "s9.meetings", "s9.training_sessions", "s9.trainees"):
            rep.absent.add(key(c))
        exp("L-03", "old.s9", None)
    elif f == "L-04":
        rep.absent.add(key("s2.interpretations"))
        exp("L-04", "s2.interpretations", None)
    elif f == "L-04u":
        rep.extra.append(("old.s3.received.email", "value", str(k), "5．电子邮件申请数"))
        exp("L-04", "s3.received.email")
    elif f == "L-06":
        item = rng.choice(["s8.dedicated_units", "s6.complaints"])
        rep.raw[key(item)] = rng.choice(["详见附表", "略"])
        exp("L-06", item)


def _faults_modern(rng: random.Random, rep: Report, exclude: frozenset = frozenset()) -> None:
    v, t = rep.values, rep.template
    n02 = "N-02" if t == "v2019" else "N-02b"

    def m(row, col):
        return (f"{t}.s3.{row}", col)

    def g(code):
        return (f"{t}.{code}", "value")

    def exp(code, item, col="value"):
        rep.expected.append((code, f"{t}.{item}", col))
    choices = ["N-01", "N-02", "N-03", "N-04", "N-05", "N-06", "N-07", "N-07f", "N-08", "L-02", "L-02m",
               "L-03", "L-04", "L-04u", "L-06", "B-02"]
    choices += ["N-09"] if t == "v2019" else ["N-13"]
    f = rng.choice([c for c in choices if c not in exclude] if exclude else choices)
    if f == "L-02m" and v[m("result.public", "total")] == 0:
        f = "N-03"
    rep.fault = f
    k = rng.randint(1, 9)
    c = rng.choice(COLS6)
    if f == "N-01":
        v[m("carry_forward", c)] += k
        v[m("carry_forward", "total")] += k
        exp("N-01", "s3.new_received", c)
        exp("N-01", "s3.new_received", "total")
    elif f == "N-02":
        for row in ("result.total", "new_received"):
            v[m(row, c)] += k
            v[m(row, "total")] += k
        exp(n02, "s3.result.total", c)
        exp(n02, "s3.result.total", "total")
    elif f == "N-03":
        v[m("result.public", "total")] += k
        rep.raw[m("result.total", "total")] = _plain(v[m("result.total", "total")])
        exp("N-03", "s3.result.public", "total")
        exp(n02, "s3.result.total", "total")
    elif f in ("N-04", "N-05", "N-06"):
        grp = {"N-04": "review", "N-05": "lit_direct", "N-06": "lit_after_review"}[f]
        v[g(f"s4.{grp}.total")] += k
        exp(f, f"s4.{grp}.total")
    elif f == "N-07":
        rep.raw[g("s2.art20_5.licensing.decisions")] = f"-{k}"
        exp("N-07", "s2.art20_5.licensing.decisions")
    elif f == "N-07f":
        rep.raw[g("s2.art20_6.coercion.decisions")] = f"{k}.5"
        exp("N-07", "s2.art20_6.coercion.decisions")
    elif f == "N-08":
        k = v[m("carry_forward", "total")] + 1 + rng.randint(0, 3)
        for row in ("result.total", "result.public"):
            v[m(row, c)] += k
            v[m(row, "total")] += k
        for col in (c, "total"):
            exp("N-01", "s3.new_received", col)
            exp("N-08", "s3.result.total", col)
    elif f == "N-09":
        row = rng.choice(["regulations", "normative_docs"])
        npub = v[g(f"s2.art20_1.{row}.new_published")] + k
        v[g(f"s2.art20_1.{row}.new_published")] = npub
        v[g(f"s2.art20_1.{row}.total_published")] = npub - k
        exp("N-09", f"s2.art20_1.{row}.total_published")
    elif f == "N-13":
        rep.raw[g("s2.art20_8.fees.amount_wan_yuan")] = f"{rng.randint(1, 99) * 100}元"
        exp("N-13", "s2.art20_8.fees.amount_wan_yuan")
    elif f == "L-02":
        v[g("s4.review.upheld")] += 2
        v[g("s4.review.total")] += 2
        rep.raw[g("s4.review.total")] = rng.choice(["", "/"])
        exp("L-02", "s4.review.total")
        exp("N-04", "s4.review.total")
    elif f == "L-02m":        # 总计 column blank on a result row (the Shanghai pattern)
        rep.raw[m("result.public", "total")] = ""
        exp("L-02", "s3.result.public", "total")
        exp("N-03", "s3.result.public", "total")
        exp(n02, "s3.result.total", "total")
    elif f == "L-03":
        rep.absent.update(kk for kk in v if kk[0].startswith(f"{t}.s4."))
        exp("L-03", "s4", None)
    elif f == "L-04":
        rep.absent.update(kk for kk in v if kk[0].startswith(f"{t}.s2.art20_6.coercion."))
        exp("L-04", "s2.art20_6.coercion", None)
    elif f == "L-04u":
        rep.extra.append((f"{t}.s3.result.withheld.subtotal", "total", str(k), "不予公开小计"))
        exp("L-04", "s3.result.withheld.subtotal", "total")
    elif f == "L-06":
        rep.raw[g("s2.art20_6.penalty.decisions")] = rng.choice(["详见附表", "略"])
        exp("L-06", "s2.art20_6.penalty.decisions")
    elif f == "B-02":
        for kk in v:
            if kk[0].startswith(f"{t}.s2.art20_1."):
                v[kk] = 0
                rep.raw[kk] = ""
        # expected B-02 is derived from the rendering (see _blank_tables)


# --------------------------------------------------------------------------------- rendering

def _plain(val) -> str:
    return f"{val:g}" if isinstance(val, float) else str(val)


def _fmt(rng: random.Random, val, money: bool, signed: bool, style: str) -> str:
    if val == 0:
        if style == "zeros":
            return "0"
        if style == "blank":
            return ""
        if style == "na":
            return "/"
        return rng.choice(["0", "", "/", "0"])
    if money or isinstance(val, float) and val != int(val):
        return f"{val:g}"
    val = int(val)
    if signed and val > 0:
        return f"+{val}"
    if val >= 1000 and rng.random() < 0.1:
        return f"{val:,}"
    return str(val)


def _spec_index(tid: str, variant: str) -> dict:
    tpl = T.load(tid)
    return {(c.item, c.column): c for c in tpl.cells_for(variant or None)}


def _render(rng: random.Random, rep: Report, specs: dict, src_line: list) -> list[tuple]:
    rows = []
    src = f"synth/{rep.agency}_{rep.year}.txt"
    for (item, column), spec in specs.items():
        key = (item, column)
        if key in rep.absent:
            continue
        if key in rep.raw:
            raw = rep.raw[key]
        elif spec.heading:
            raw = "——" if rep.style != "blank" else ""
        else:
            raw = _fmt(rng, rep.values.get(key, 0), spec.money, spec.signed, rep.style)
        src_line[0] += 1
        rows.append((rep.agency, rep.year, rep.template, item, column, raw, src, src_line[0], rep.variant,
                     spec.row_label))
    for item, column, raw, label in rep.extra:
        src_line[0] += 1
        rows.append((rep.agency, rep.year, rep.template, item, column, raw, src, src_line[0], rep.variant, label))
    return rows


def _blank_tables(rep: Report, specs: dict, rows: list[tuple]) -> None:
    """Add B-02/B-03 to the expected findings for tables the rendering left without any number."""
    present: dict[str, list[str]] = {}
    for row in rows:
        spec = specs.get((row[3], row[4]))
        if spec is None or spec.heading:
            continue
        st = parse_cell(row[5], spec.money, spec.signed).state.value
        present.setdefault(spec.table, []).append(st)
    blank = [tid for tid, states in present.items() if all(s in ("EMPTY", "NA") for s in states)]
    if present and len(blank) == len(present):
        rep.expected.append(("B-03", None, None))
    else:
        for tid in blank:
            rep.expected.append(("B-02", f"{rep.template}.{tid}", None))


FRAME_COLUMNS = ("agency", "year", "template", "item", "column", "raw", "source_file", "source_line", "variant",
                 "label")


def generate(n: int = 1000, seed: int = 0, fault_rate: float = 0.5,
             templates: tuple[str, ...] = ("old", "v2019", "v2021")) -> Corpus:
    """``n`` reports (templates in turn), about ``fault_rate`` of them with one injected fault each."""
    rng = random.Random(seed)
    reports, rows = [], []
    specs = {(tid, v): _spec_index(tid, v) for tid in templates for v in ["", *T.load(tid).variants]}
    years = {"old": (2014, 2018), "v2019": (2019, 2020), "v2021": (2021, 2024)}
    line = [0]
    for i in range(n):
        tid = templates[i % len(templates)]
        variant = "ningbo" if tid == "old" and rng.random() < 0.15 else ""
        rep = Report(f"合成机关{i:05d}", rng.randint(*years[tid]), tid, variant, style=rng.choice(STYLES))
        (_old if tid == "old" else _modern)(rng, rep)
        if rng.random() < fault_rate:
            (_faults_old if tid == "old" else _faults_modern)(rng, rep)
        sp = specs[(tid, variant)]
        cells = _render(rng, rep, sp, line)
        _blank_tables(rep, sp, cells)
        reports.append(rep)
        rows.extend(cells)
    frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    return Corpus(frame, reports)


# ----------------------------------------------------------------------------------- loading

def connect_fresh(path: str | Path = ":memory:") -> duckdb.DuckDBPyConnection:
    """A warehouse with checks/schema.sql (no data)."""
    con = duckdb.connect(str(path))
    con.execute(SCHEMA.read_text(encoding="utf-8"))
    return con


def load_direct(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, file: str = "synth") -> int:
    """Insert an extracted-statistics frame into reports/cells directly (cells read with checks.cells)."""
    frame = frame.copy()
    if "variant" not in frame:
        frame["variant"] = ""
    frame["variant"] = frame["variant"].fillna("").astype(str)
    if "label" not in frame:
        frame["label"] = ""
    sf = T.spec_frame()
    sf = sf[sf["variant"] == ""]
    spec = {(t, i, c): (m, s, u) for t, i, c, m, s, u in
            zip(sf["template"], sf["item"], sf["column"], sf["money"], sf["signed"], sf["unit"])}
    base = con.execute("SELECT coalesce(max(report_id), 0), (SELECT coalesce(max(submission_id), 0) "
                       "FROM submissions) FROM reports").fetchall()[0]
    sub_id = int(base[1]) + 1
    keys = frame[["agency", "year", "template", "variant", "source_file"]].drop_duplicates(
        ["agency", "year", "template"]).reset_index(drop=True)
    keys["report_id"] = range(int(base[0]) + 1, int(base[0]) + 1 + len(keys))
    frame = frame.merge(keys[["agency", "year", "template", "report_id"]], on=["agency", "year", "template"])
    parsed = []
    for tid, item, column, raw in zip(frame["template"], frame["item"], frame["column"], frame["raw"]):
        money, signed, unit = spec.get((tid, item, column), (False, False, ""))
        p = parse_cell(raw, money, signed)
        parsed.append((p.state.value, p.value, unit, p.unit or None, p.note or None))
    ps = pd.DataFrame(parsed, columns=["state", "value", "unit", "raw_unit", "note"])
    cells = pd.DataFrame({"report_id": frame["report_id"].values, "item": frame["item"].values,
                          "column": frame["column"].values, "state": ps["state"].values,
                          "value": ps["value"].values, "unit": ps["unit"].values, "raw": frame["raw"].values,
                          "raw_unit": ps["raw_unit"].values, "printed_unit": None, "label": frame["label"].values,
                          "note": ps["note"].values, "source_file": frame["source_file"].values,
                          "source_line": frame["source_line"].astype("int64").values})
    now = dt.datetime.now()
    counts = cells.groupby("report_id").size()
    reports = pd.DataFrame({"report_id": keys["report_id"], "submission_id": sub_id, "agency": keys["agency"],
                            "agency_id": None, "agency_key": keys["agency"], "region": None,
                            "year": keys["year"].astype(int), "template": keys["template"],
                            "variant": keys["variant"].replace("", None), "source_file": keys["source_file"],
                            "content_sha": "synth", "cells": keys["report_id"].map(counts).fillna(0).astype(int),
                            "loaded_at": now})
    con.execute("INSERT INTO submissions (submission_id, file, sha256, kind, loaded_at, rows_total, rows_loaded, "
                "rows_quarantined, reports_new, reports_unchanged) VALUES (?, ?, ?, 'extracted', ?, ?, ?, 0, ?, 0)",
                [sub_id, file, f"synth-{sub_id}", now, len(cells), len(cells), len(reports)])
    con.register("gk_rep_df", reports)
    con.register("gk_cell_df", cells)
    try:
        rcols = ("report_id, submission_id, agency, agency_id, agency_key, region, year, template, variant, "
                 "source_file, content_sha, cells, loaded_at")
        con.execute(f"INSERT INTO reports ({rcols}) SELECT {rcols} FROM gk_rep_df")
        ccols = ('report_id, item, "column", state, value, unit, raw, raw_unit, printed_unit, label, note, '
                 "source_file, source_line")
        con.execute(f"INSERT INTO cells ({ccols}) SELECT {ccols.replace('printed_unit', 'CAST(printed_unit AS VARCHAR)')} "
                    "FROM gk_cell_df")
    finally:
        con.unregister("gk_rep_df")
        con.unregister("gk_cell_df")
    return len(reports)


# ------------------------------------------------------------------------------ inline reports

def template_rows(template: str, cells: dict | None = None, *, agency: str = "测试局", year: int | None = None,
                  variant: str = "", drop=(), extra=()) -> list[dict]:
    """A whole report of ``template`` (and variant) with every cell '0' and headings '——', then ``cells``.

    ``cells`` maps ``(item, column)`` (or just ``item`` for column ``value``) to the raw text;
    ``drop`` leaves out rows (item codes) or cells; ``extra`` adds ``(item, column, raw)`` cells the
    template does not have. For small tests with exact expectations.
    """
    year = year or {"old": 2017, "v2019": 2019, "v2021": 2021}[template]
    over = {(k if isinstance(k, tuple) else (k, "value")): raw for k, raw in (cells or {}).items()}
    rows = []
    for i, c in enumerate(T.load(template).cells_for(variant or None), start=1):
        key = (c.item, c.column)
        if c.item in drop or key in drop:
            over.pop(key, None)
            continue
        raw = over.pop(key, "——" if c.heading else "0")
        rows.append({"agency": agency, "year": year, "template": template, "item": c.item, "column": c.column,
                     "raw": raw, "source_file": f"{agency}.txt", "source_line": i, "variant": variant,
                     "label": c.row_label})
    if over:
        raise KeyError(f"not cells of {template}{'/' + variant if variant else ''}: {sorted(over)}")
    for item, column, raw in extra:
        rows.append({"agency": agency, "year": year, "template": template, "item": item, "column": column,
                     "raw": raw, "source_file": f"{agency}.txt", "source_line": 999, "variant": variant,
                     "label": "插入的行"})
    return rows


def inline_warehouse(*reports: list[dict]) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse holding these reports (lists of rows from :func:`template_rows`)."""
    con = connect_fresh()
    load_direct(con, pd.DataFrame([r for rep in reports for r in rep]))
    return con
