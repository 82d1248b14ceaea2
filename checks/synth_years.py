"""A synthetic multi-year corpus: agencies followed over years and across both template changes.

:func:`generate` returns a :class:`YearsCorpus`: ``n`` agencies × the years 2016–2022 (``old``
2016–2018, ``v2019`` 2019–2020, ``v2021`` 2021–2022), each report consistent within itself (every
within-report rule holds) and across years (values drift by at most ±25 % around the agency's own
level, the carry-over chain and the stock/flow identities hold), with narrative counts that agree
with the table (quoting it the documented ways: the 总计 column, the 自然人 column, new + carried
over, litigation = direct + after review). Agencies are renamed (经济和信息化委员会 → 经济和信息化局 in
2019, the old name a registered alias) and written in short forms the registry does not list
(经济和信息化 → 经信), which only normalisation resolves.

With ``faults=True`` the same corpus (same seed, same values) gets faults at known agency-years,
one per agency-year, recorded in :attr:`YearsCorpus.injected` as (kind, agency name, year):

=============  ===========================================================  ================
kind           what is changed                                              found by
=============  ===========================================================  ================
``jump``       one single-cell series ×10 (a value ≥ 10)                     Y-01 / Y-02
``chain``      上年结转 (自然人, 总计) + k, the year's results + k (N-01 holds)    C-01
``copy``       the whole table of the previous year, or another agency's     L-05
``narrative``  a count stated in the narrative off by k                      T-01
``stock``      v2019 上一年项目数量 + k (N-11) / v2021 现行有效件数 + k (N-12)     N-11 / N-12
=============  ===========================================================  ================

:func:`load` writes a corpus into a warehouse (cells, narrative) and the registry CSV it needs.
"""

from __future__ import annotations

import csv
import random
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from checks import templates as T

YEARS = tuple(range(2016, 2023))
TEMPLATE_OF = {2016: "old", 2017: "old", 2018: "old", 2019: "v2019", 2020: "v2019", 2021: "v2021", 2022: "v2021"}
PROVINCES = ("浙江省", "江苏省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省")
DEPTS = (("经济和信息化委员会", "经济和信息化局"), ("发展和改革委员会", None), ("人力资源和社会保障局", None),
         ("自然资源和规划局", None), ("生态环境局", None), ("住房和城乡建设局", None), ("交通运输局", None),
         ("农业农村局", None), ("商务局", None), ("人民政府办公室", None), ("市场监督管理局", None), ("统计局", None))
_A = "东西南北安平宁和兴康泰华昌隆永清"
_B = "阳山江海城州原川林田水湖泉桥"
KINDS = ("jump", "chain", "copy", "narrative", "stock")
CODES = {"jump": ("Y-01", "Y-02"), "chain": ("C-01",), "copy": ("L-05",), "narrative": ("T-01",),
         "stock": ("N-11", "N-12")}
LEAVES = ("public", "partial", "withheld", "not_held", "duplicate", "other")


@dataclass(frozen=True)
class Agency:
    agency_id: str
    place: str
    dept: str
    renamed_to: str | None
    region: str
    level: str

    def name(self, year: int) -> str:
        dept = self.renamed_to if self.renamed_to and year >= 2019 else self.dept
        return self.place + dept

    def written(self, year: int) -> str:
        """The name as the report of ``year`` writes it: every third year a short form the registry
        does not list (经济和信息化 → 经信), which only normalisation resolves."""
        name = self.name(year)
        return name.replace("经济和信息化", "经信") if year % 3 == 0 else name

    @property
    def aliases(self) -> list[str]:
        return [self.place + self.dept] if self.renamed_to else []


@dataclass
class YearsCorpus:
    agencies: list[Agency]
    frame: pd.DataFrame                      # extracted-statistics rows (checks.formats), all reports
    narrative: pd.DataFrame                  # agency, year, key, value, raw, sentence, source_line
    injected: list[tuple[str, str, int]] = field(default_factory=list)   # (kind, agency name, year)

    @property
    def agency_years(self) -> int:
        return int(self.frame[["agency", "year"]].drop_duplicates().shape[0])


def _f(rng: random.Random, base: float) -> int:
    """The agency's level ``base`` this year: ±25 % (never 0 when base > 0)."""
    if base <= 0:
        return 0
    return max(1, round(base * rng.uniform(0.8, 1.25)))


def _agencies(rng: random.Random, n: int) -> list[Agency]:
    places = [a + b for a in _A for b in _B]
    rng.shuffle(places)
    out, i = [], 0
    for p in places:
        prov = PROVINCES[i % len(PROVINCES)]
        county = rng.random() < 0.4
        place = prov + p + ("县" if county else "市")
        for dept, new in rng.sample(DEPTS, 4):
            renamed = new if new and rng.random() < 0.6 else None
            out.append(Agency(f"SY{len(out) + 1:05d}", place, dept, renamed, prov, "county" if county else "city"))
            if len(out) >= n:
                return out
        i += 1
    raise ValueError("too many agencies for the place list")


def _bases(rng: random.Random) -> dict:
    def lv(hi, p0=0.2):
        return 0 if rng.random() < p0 else rng.uniform(3, hi)
    return {"total": rng.uniform(40, 2000), "weibo": rng.uniform(0, 0.3), "wechat": rng.uniform(0, 0.3),
            "gazette": rng.uniform(0, 0.05), "nd": lv(30), "hot": lv(20), "press": lv(6, 0.5),
            "interp": lv(30), "resp": lv(20), "review": lv(3, 0.7), "lit": lv(3, 0.7),
            "natural": {k: lv(v) for k, v in zip(LEAVES, (60, 10, 8, 20, 5, 5))},
            "commercial": {k: lv(v, 0.6) for k, v in zip(LEAVES, (8, 3, 3, 4, 3, 3))},
            "staff_ft": rng.randint(0, 3), "staff_pt": rng.randint(1, 5), "train": lv(5, 0.3),
            "licensing": lv(3000, 0.3), "penalty": lv(400, 0.3), "coercion": lv(40, 0.5),
            "reg_inf": rng.randint(0, 30), "nd_inf": rng.randint(5, 200), "fees_amt": lv(30, 0.7),
            "counts": {r: rng.randint(0, 300) for r in ("licensing", "other_services", "penalty", "coercion", "fees")}}


# ------------------------------------------------------------------------------- one report


def _report(rng: random.Random, tid: str, year: int, b: dict, state: dict) -> tuple[dict, list]:
    """(cell values {(item, column): number}, narrative [(key, value, raw, sentence)]) of one report."""
    v: dict = {}
    narr: list = []
    leaves = {c: {k: _f(rng, b[c][k]) for k in LEAVES} for c in ("natural", "commercial")}
    review = [_f(rng, b["review"]), 0, 0, 0]
    lit = [_f(rng, b["lit"]), 0, 0, 0]
    if tid == "old":
        P = "old."
        t = _f(rng, b["total"])
        ch = {"gazette": round(t * b["gazette"]), "website": round(t * 0.8), "weibo": round(t * b["weibo"]),
              "wechat": round(t * b["wechat"])}
        ch["other"] = max(0, t - sum(ch.values()))
        nd = min(_f(rng, b["nd"]), t)
        s = {"s1.proactive.total": t, "s1.proactive.normative_docs": nd, "s1.proactive.normative_docs_issued": nd,
             **{f"s1.channel.{k}": x for k, x in ch.items()},
             "s2.hotspots": _f(rng, b["hot"]), "s2.interpretations": _f(rng, b["interp"]),
             "s2.weibo_wechat_responses": _f(rng, b["resp"]), "s2.other_responses": 0}
        pc = _f(rng, b["press"])
        s.update({"s2.press_conf.total": pc, "s2.press_conf.principal": min(pc, 1), "s2.interview.total": 0,
                  "s2.interview.principal": 0})
        L = {k: leaves["natural"][k] + leaves["commercial"][k] for k in LEAVES}
        ap = round(L["public"] * 0.3)
        rep = {"already_public": ap, "agree": L["public"] - ap, "agree_partial": L["partial"],
               "disagree.total": L["withheld"], "not_this_agency": L["not_held"] // 2,
               "not_exist": L["not_held"] - L["not_held"] // 2, "asked_to_amend": 0,
               "other_channel": L["duplicate"] + L["other"]}
        total = sum(rep.values())
        s.update({f"s3.replied.{k}": x for k, x in rep.items()})
        s.update({f"s3.replied.disagree.{k}": 0 for k in ("state_secret", "trade_secret", "privacy",
                                                            "security_stability", "not_gov_info")})
        s["s3.replied.disagree.other_legal"] = L["withheld"]
        s.update({"s3.replied.total": total, "s3.closed.total": total, "s3.closed.on_time": total,
                  "s3.closed.extended": 0, "s3.received.total": total, "s3.received.in_person": 0,
                  "s3.received.fax": 0, "s3.received.online": total, "s3.received.letter": 0})
        for sec, grp, parts in (("s4", "review", review), ("s5", "litigation", lit)):
            s.update({f"{sec}.{grp}.upheld": parts[0], f"{sec}.{grp}.corrected": 0, f"{sec}.{grp}.other": 0,
                      f"{sec}.{grp}.total": parts[0]})
        tr = _f(rng, b["train"])
        s.update({"s6.complaints": 0, "s7.fees": 0, "s8.dedicated_units": 1, "s8.inspection_points": 1,
                  "s8.staff.full_time": b["staff_ft"], "s8.staff.part_time": b["staff_pt"],
                  "s8.staff.total": b["staff_ft"] + b["staff_pt"], "s8.budget": 0, "s9.meetings": 1,
                  "s9.training_sessions": tr, "s9.trainees": tr * 20})
        v = {(P + k, "value"): x for k, x in s.items()}
        return v, narrative_for(tid, year, v)
    P = tid + "."
    cols = ("natural", "commercial", "research", "social", "legal", "other")
    leaf_rows = {"public": "s3.result.public", "partial": "s3.result.partial",
                 "withheld": "s3.result.withheld.process_info", "not_held": "s3.result.unable.not_held",
                 "duplicate": "s3.result.not_processed.duplicate",
                 "other": "s3.result.other" if tid == "v2019" else "s3.result.other.other"}
    cf_prev = state.get("cf", {})
    m: dict[str, dict[str, int]] = {}
    for c in cols:
        lv = leaves.get(c, dict.fromkeys(LEAVES, 0))
        co = cf_prev.get(c, rng.randint(0, 3) if c == "natural" else 0)
        cf = rng.randint(0, 3) if c == "natural" else 0
        total = sum(lv.values())
        if total + cf - co < 0:
            lv = dict(lv, public=lv["public"] + co - total - cf)
            total = sum(lv.values())
        for k, row in leaf_rows.items():
            m.setdefault(row, {})[c] = lv[k]
        m.setdefault("s3.carried_over", {})[c] = co
        m.setdefault("s3.carry_forward", {})[c] = cf
        m.setdefault("s3.result.total", {})[c] = total
        m.setdefault("s3.new_received", {})[c] = total + cf - co
    state["cf"] = dict(m["s3.carry_forward"])
    for row, byc in m.items():
        for c, x in byc.items():
            v[(P + row, c)] = x
        v[(P + row, "total")] = sum(byc.values())
    for grp, parts in (("review", review), ("lit_direct", lit), ("lit_after_review", [0, 0, 0, 0])):
        for k, x in zip(("upheld", "corrected", "other", "pending"), parts):
            v[(f"{P}s4.{grp}.{k}", "value")] = x
        v[(f"{P}s4.{grp}.total", "value")] = sum(parts)
    g = {}
    if tid == "v2019":
        for row in ("regulations", "normative_docs"):
            npub = _f(rng, 3 if row == "regulations" else 10)
            g.update({f"s2.art20_1.{row}.new_made": npub, f"s2.art20_1.{row}.new_published": npub,
                      f"s2.art20_1.{row}.total_published": npub + 50})
        counts = state.setdefault("counts", dict(b["counts"]))
        for tab, row in (("art20_5", "licensing"), ("art20_5", "other_services"), ("art20_6", "penalty"),
                         ("art20_6", "coercion"), ("art20_8", "fees")):
            change = rng.choice([0, 0, 1, -1, 2]) if counts[row] > 2 else rng.choice([0, 1])
            g[f"s2.{tab}.{row}.prev_count"] = counts[row]
            g[f"s2.{tab}.{row}.change"] = change
            counts[row] += change
            if tab != "art20_8":
                g[f"s2.{tab}.{row}.decisions"] = _f(rng, b.get(row, 0)) if row != "other_services" else 0
        g.update({"s2.art20_9.procurement.projects": 0, "s2.art20_9.procurement.amount": 0})
    else:
        inf = state.setdefault("in_force", {"regulations": b["reg_inf"], "normative_docs": b["nd_inf"]})
        for row in ("regulations", "normative_docs"):
            issued = rng.randint(0, 3 if row == "regulations" else 12)
            repealed = min(inf[row] + issued, rng.randint(0, 3))
            inf[row] = inf[row] + issued - repealed
            g.update({f"s2.art20_1.{row}.issued": issued, f"s2.art20_1.{row}.repealed": repealed,
                      f"s2.art20_1.{row}.in_force": inf[row]})
        g.update({"s2.art20_5.licensing.decisions": _f(rng, b["licensing"]),
                  "s2.art20_6.penalty.decisions": _f(rng, b["penalty"]),
                  "s2.art20_6.coercion.decisions": _f(rng, b["coercion"]),
                  "s2.art20_8.fees.amount_wan_yuan": 0})
    v.update({(P + k, "value"): x for k, x in g.items()})
    style = rng.randrange(3)
    state["narrative_style"] = style
    return v, narrative_for(tid, year, v, style)


def narrative_for(tid: str, year: int, v: dict, style: int = 0) -> list:
    """The narrative counts [(key, value, sentence)] of a report whose table holds ``v``, quoting it
    one of the documented ways (``style`` for v2019/v2021: 0 new requests, 1 new + carried over,
    2 the 自然人 column)."""
    if tid == "old":
        t, total = v[("old.s1.proactive.total", "value")], v[("old.s3.received.total", "value")]
        review = v[("old.s4.review.total", "value")]
        return [("old.s1.proactive.total", t, f"{year}年共主动公开政府信息{t}条。"),
                ("old.s3.received.total", total, f"全年共收到政府信息公开申请{total}件。"),
                ("old.s4.review.total", review, f"发生行政复议{review}件。")]
    P = tid + "."
    new_t = v[(P + "s3.new_received", "total")]
    co_t = v[(P + "s3.carried_over", "total")]
    review = v[(P + "s4.review.total", "value")]
    lit_t = v[(P + "s4.lit_direct.total", "value")] + v[(P + "s4.lit_after_review.total", "value")]
    if style == 0:
        narr = [(P + "s3.new_received", new_t, f"本年度新收政府信息公开申请{new_t}件。")]
    elif style == 1:
        narr = [(P + "s3.new_received", new_t + co_t, f"全年共收到政府信息公开申请{new_t + co_t}件（含上年结转）。")]
    else:
        nat = v[(P + "s3.new_received", "natural")]
        narr = [(P + "s3.new_received", nat, f"收到自然人提出的政府信息公开申请{nat}件。")]
    narr += [(P + "s4.review.total", review, f"发生行政复议{review}件。"),
             (P + "s4.litigation.total", lit_t, f"发生行政诉讼{lit_t}件。")]
    return narr


# ------------------------------------------------------------------------------------- faults

JUMP_CELLS = {"old": ("old.s1.proactive.total", "old.s1.channel.website"),
              "v2019": ("v2019.s2.art20_5.licensing.decisions", "v2019.s2.art20_6.penalty.decisions"),
              "v2021": ("v2021.s2.art20_5.licensing.decisions", "v2021.s2.art20_6.penalty.decisions")}


def _inject(rng: random.Random, kind: str, tid: str, year: int, v: dict, narr: list, prev: dict | None,
            other: dict | None) -> dict | list | None:
    """Apply one fault in place; return the new values (copy) or None when it does not apply here."""
    if kind == "jump":
        cands = [(i, "value") for i in JUMP_CELLS[tid] if v.get((i, "value"), 0) >= 10]
        if not cands or year in (2016, 2019):     # a series needs a previous year in the same series
            return None
        k = rng.choice(cands)
        v[k] = v[k] * 10
        if k[0] == "old.s1.proactive.total":   # keep O-03/O-04 true: the jump sits in 其他方式 too
            v[("old.s1.channel.other", "value")] += v[k] - v[k] // 10
        return v
    if kind == "chain":
        if tid == "old" or year in (2019,):
            return None
        k = rng.randint(3, 8)
        P = tid + "."
        for row in ("s3.carried_over", "s3.result.public", "s3.result.total"):
            for c in ("natural", "total"):
                v[(P + row, c)] += k
        return v
    if kind == "copy":
        if prev is not None and rng.random() < 0.7:
            return dict(prev)
        if other is not None:
            return dict(other)
        return None
    if kind == "narrative":
        i = rng.randrange(len(narr))
        key, val, sent = narr[i]
        # a contradiction, not another documented way of quoting the table (a column, new + carried over)
        pre = key.split(".", 1)[0] + "."
        alts = {key, pre + "s4.lit_direct.total", pre + "s4.lit_after_review.total"}
        avoid = {x for (item, _c), x in v.items() if item in alts}
        avoid |= {v.get((key, c), 0) + v.get((key.replace("new_received", "carried_over"), c), 0)
                  for c in ("total", "natural")}
        bad = val + max(3, round(val * 0.3))
        while bad in avoid:
            bad += 1
        narr[i] = (key, bad, sent.replace(str(val), str(bad), 1) if str(val) in sent else sent + f"（{bad}件）")
        return v
    if kind == "stock":
        k = rng.randint(3, 9)
        if tid == "v2019" and year >= 2020:     # the year before is v2019 too
            v[("v2019.s2.art20_5.licensing.prev_count", "value")] += k
            return v
        if tid == "v2021" and year >= 2022:
            v[("v2021.s2.art20_1.normative_docs.in_force", "value")] += k
            return v
        return None
    raise ValueError(kind)


def generate(n: int = 500, seed: int = 0, faults: bool = False, rate: float = 0.15,
             years: tuple[int, ...] = YEARS) -> YearsCorpus:
    """``n`` agencies × ``years``; with ``faults``, about ``rate`` of the agency-years get one fault."""
    rng = random.Random(seed)
    frng = random.Random(seed + 1)
    agencies = _agencies(rng, n)
    specs = {t: T.load(t).cells_for(None) for t in T.TEMPLATE_IDS}
    values: dict[tuple[str, int], dict] = {}
    narrs: dict[tuple[str, int], list] = {}
    bases = {a.agency_id: _bases(rng) for a in agencies}
    states: dict[str, dict] = {a.agency_id: {} for a in agencies}
    for year in years:
        for a in agencies:
            v, narr = _report(rng, TEMPLATE_OF[year], year, bases[a.agency_id], states[a.agency_id])
            values[(a.agency_id, year)], narrs[(a.agency_id, year)] = v, narr
    injected = []
    if faults:
        touched: set[str] = set()
        for year in years[1:]:
            tid = TEMPLATE_OF[year]
            peers = [a for a in agencies if a.agency_id not in touched]
            for a in agencies:
                if a.agency_id in touched or frng.random() >= rate:
                    continue
                kind = KINDS[frng.randrange(len(KINDS))]
                key = (a.agency_id, year)
                prev = values.get((a.agency_id, year - 1)) if TEMPLATE_OF.get(year - 1) == tid else None
                donor = frng.choice(peers)
                other = values[(donor.agency_id, year)] if donor.agency_id != a.agency_id else None
                new = _inject(frng, kind, tid, year, dict(values[key]), narrs[key], prev, other)
                if new is None:
                    continue
                values[key] = new
                touched.add(a.agency_id)     # one fault per agency: attribution stays clean
                injected.append((kind, a.written(year), year))
    rows, nrows = [], []
    for a in agencies:
        for year in years:
            tid = TEMPLATE_OF[year]
            name = a.written(year)
            src = f"synth/{a.agency_id}_{year}.txt"
            v = values[(a.agency_id, year)]
            blank = v.get(("style", "blank"), zlib.crc32(f"{a.agency_id}/{year}".encode()) % 5 == 0)
            filled = {c.table for c in specs[tid] if not c.heading and v.get((c.item, c.column), 0)}
            for line, c in enumerate(specs[tid], start=1):
                if c.heading:
                    raw = "——"
                else:
                    x = v.get((c.item, c.column), 0)    # zeros blank in one report of five, unless the table is all 0
                    raw = "" if (x == 0 and blank and c.table in filled) else (f"{x:g}" if isinstance(x, float) else str(x))
                rows.append((name, year, tid, c.item, c.column, raw, src, line, "", c.row_label))
            for j, (key, val, sent) in enumerate(narrs[(a.agency_id, year)], start=1):
                nrows.append((name, year, key, float(val), f"{val}件" if "件" in sent else f"{val}条", sent, j))
    from checks.synth import FRAME_COLUMNS
    frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    narrative = pd.DataFrame(nrows, columns=["agency", "year", "key", "value", "raw", "sentence", "source_line"])
    return YearsCorpus(agencies, frame, narrative, injected)


def write_registry(agencies: list[Agency], path: Path) -> Path:
    """The registry CSV (checks.agencies) of a corpus: current name, the old name as an alias."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["agency_id", "name", "aliases", "region", "level", "note"])
        for a in agencies:
            w.writerow([a.agency_id, a.name(2022), "|".join(a.aliases), a.region, a.level, ""])
    return path


def load(con, corpus: YearsCorpus) -> int:
    """Insert a corpus into a warehouse (checks.synth.load_direct) with its narrative counts."""
    from checks.synth import load_direct

    n = load_direct(con, corpus.frame, file="synth-years")
    con.register("gk_narr_df", corpus.narrative)
    try:
        con.execute("""INSERT INTO narrative (report_id, key, value, raw, sentence, source_file, source_line,
                                              char_start, char_end)
            SELECT r.report_id, n.key, n.value, n.raw, n.sentence, r.source_file, n.source_line, 0, 0
            FROM gk_narr_df n JOIN reports r ON r.agency = n.agency AND r.year = n.year""")
    finally:
        con.unregister("gk_narr_df")
    return n
