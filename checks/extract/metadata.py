"""Report metadata: the agency and the report year, each with where it was found.

Sources, strongest first:

* agency: the title (``台州市经信委2017年度政务信息公开工作总结``), ``填报单位：…``, an agency-name
  line under the title (``嘉善县经济和信息化局``), the signature line at the end, ``发布机构：…``;
* year: the title, the table's own heading (``2017年度政府信息公开情况统计表``, ``(2018 年度)``,
  ``（2018年1月1日至2018年12月31日）``), then the narrative (``2018年度`` most often, then
  ``2018年``); dates such as ``2019 年 1 月 16 日`` (publication) never count.

Nothing is guessed silently: a year or agency taken from the narrative or a signature gives an
``X-10`` info issue, a short agency name (``市经信局``) completed from the place names in the text
gives ``X-08``, and one that cannot be completed ``X-11``; a missing year or agency ``X-06``/``X-07``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from checks.extract.model import Issue

_WS = " \t\u3000\u00a0\r\n\u200b\ufeff"
_YEAR = r"((?:19|20)\d{2})"
_YEAR_PHRASE = re.compile(r"[（(]?\s*" + _YEAR + r"\s*年\s*度?\s*[）)]?(?!\s*\d{1,2}\s*月)")
_TITLE_HINT = re.compile(r"(?:政府|政务)信息公开|政务公开")
_TITLE_KIND = re.compile(r"报告|总结|汇报|年报")
_CUT = re.compile(r"(?:关于)?(?:(?:政府|政务)信息公开|政务公开|信息公开)")
_AGENCY_END = ("局", "委员会", "委", "办公室", "办", "人民政府", "政府", "厅", "部", "院", "中心", "署", "所",
               "站", "馆", "队", "会", "处", "社", "街道办事处", "管委会", "公司", "集团")
_AGENCY_LINE = re.compile(r"^[\u4e00-\u9fff（）()·]{3,30}$")
_AGENCY_NOT = re.compile(r"情况|报告|总结|统计表|附件|附表|目录|首页|说明|措施|问题|领导小组")
_FILLER = re.compile(r"填报单位\s*(?:[（(]\s*盖\s*章\s*[)）])?\s*[:：]\s*([^\t|]*)")
_PUBLISHER = re.compile(r"(?:发布机构|信息来源|来源)\s*[:：]\s*([\u4e00-\u9fff（）()]{2,30})")
_TABLE_YEAR = [
    re.compile(_YEAR + r"\s*年\s*度?\s*(?:政府|政务)信息公开.{0,6}统计"),
    re.compile(r"^[（(]\s*" + _YEAR + r"\s*年\s*度?\s*[)）]$"),
    re.compile(r"[（(]\s*" + _YEAR + r"\s*年\s*1\s*月\s*1\s*日?\s*[至到\-—~]+\s*\d{4}\s*年\s*12\s*月\s*31\s*日?\s*[)）]"),
]
_NARR_YEARDU = re.compile(_YEAR + r"\s*年度")
_NARR_YEAR = re.compile(_YEAR + r"\s*年(?!\s*\d{1,2}\s*月)")
_LEVELS = "市县区州旗盟"
_PLACE_STOP = set("全本我各该城上超都门股省地县区市两分在到入与和及的等对在全于向从为有年月日个多")


@dataclass
class Meta:
    agency: str = ""
    year: str = ""
    agency_source: str = ""
    year_source: str = ""
    issues: list[Issue] = field(default_factory=list)
    facts: list = field(default_factory=list)
    """The report year as each place states it (S-04), as narrative rows (:class:`checks.extract.narrative.Hit`):
    ``doc:year.title``, ``doc:year.table`` (the table's heading) and ``doc:year.narrative`` (the year the
    narrative's ``YYYY年度`` phrases name most often, when one year clearly does)."""


def _is_agency(s: str) -> bool:
    return (2 <= len(s) <= 30 and s.endswith(_AGENCY_END) and not _AGENCY_NOT.search(s)
            and bool(re.fullmatch(r"[\u4e00-\u9fff（）()·]+", s)))


def _title_agency(title: str) -> str:
    t = _YEAR_PHRASE.sub("", title)
    m = _CUT.search(t)
    head = t[: m.start()] if m else ""
    head = head.strip(_WS + ":：，,、-—")
    for suffix in ("关于", "的"):
        if head.endswith(suffix):
            head = head[: -len(suffix)]
    head = head.strip(_WS)
    return head if _is_agency(head) else ""


def _complete(agency: str, text: str) -> tuple[str, str]:
    """``市经信局`` → ``嘉兴市经信局`` when the text names its place often enough; (name, evidence)."""
    level = agency[0]
    root = agency[1:]
    for end in ("局", "委员会", "委", "办公室", "办"):
        if root.endswith(end) and len(root) > len(end):
            root = root[: -len(end)]
            break
    scores: Counter[str] = Counter()
    evidence: dict[str, Counter[str]] = {}
    p = text.find(level)
    while p >= 0:
        for k in (2, 3):
            x = text[max(0, p - k):p]
            if (len(x) == k and all("\u4e00" <= ch <= "\u9fff" for ch in x)
                    and x[-1] not in _PLACE_STOP and x[0] not in _PLACE_STOP):
                scores[x] += 0          # a candidate
        p = text.find(level, p + 1)
    for x in list(scores):
        ev = Counter()
        ev[x + level] = text.count(x + level)
        ev["中国" + x] = text.count("中国" + x) + text.count("中国·" + x)
        if root:
            ev[x + root[:2]] = text.count(x + root[:2])
        s = ev[x + level] + 2 * ev["中国" + x] + (2 * ev[x + root[:2]] if root else 0)
        if text.count(x) >= 2:
            s += 1
        scores[x] = s
        evidence[x] = ev
    if not scores:
        return "", ""
    best, s = scores.most_common(1)[0]
    ties = [x for x, v in scores.items() if v == s]
    if s < 3 or len(ties) > 1:
        return "", ""
    ev = ", ".join(f"{k} ×{v}" for k, v in evidence[best].items() if v)
    return best + agency, ev


def _year_facts(stripped, ln, nonempty, mask, title_i, t_year, table_i, table_year) -> list:
    from checks.extract.narrative import Hit

    out = []
    for key, i, y in (("doc:year.title", title_i, t_year), ("doc:year.table", table_i, table_year)):
        if y and i is not None:
            s = stripped[i]
            p = s.find(y)
            out.append(Hit(key, float(y), y, s, ln(i), p, p + 4))
    c: Counter[str] = Counter()
    first: dict[str, tuple[int, str, int]] = {}
    for i in nonempty:
        if i in (title_i, table_i) or (mask is not None and not mask[i]) or "年" not in stripped[i]:
            continue
        for m in _NARR_YEARDU.finditer(stripped[i]):
            c[m.group(1)] += 1
            first.setdefault(m.group(1), (i, stripped[i], m.start()))
    if c:
        (y, k), *rest = c.most_common()
        if not rest or k > rest[0][1]:
            i, s, p = first[y]
            out.append(Hit("doc:year.narrative", float(y), f"{y}年度", s, ln(i), p, p + 4))
    return out


def find(lines: list[str], linenos: list[int] | None, narrative_mask: list[bool] | None = None,
         agency: str | None = None, year: int | str | None = None) -> Meta:
    """Agency and year of a report from its lines (``narrative_mask[i]``: line i is outside the tables)."""
    ln = (lambda i: i + 1) if linenos is None else (lambda i: linenos[i])
    meta = Meta()
    stripped = [l.strip(_WS) for l in lines]
    nonempty = [i for i, s in enumerate(stripped) if s]
    head = nonempty[:12]
    title_i = None
    for i in head:
        s = stripped[i]
        if (len(s) <= 80 and "。" not in s and ">" not in s and _TITLE_HINT.search(s) and _TITLE_KIND.search(s)
                and "统计表" not in s):
            title_i = i
            break
    t_agency = t_year = ""
    if title_i is not None:
        title = stripped[title_i]
        m = _YEAR_PHRASE.search(title)
        if m:
            t_year = m.group(1)
        t_agency = _title_agency(title)

    # ---- year ----
    table_year = ""
    table_line = 0
    table_i = None
    for i in nonempty:
        s = stripped[i]
        if len(s) > 60 or "年" not in s:        # every _TABLE_YEAR pattern has a 年
            continue
        for rx in _TABLE_YEAR:
            m = rx.search(s)
            if m:
                table_year, table_line, table_i = m.group(1), ln(i), i
                break
        if table_year:
            break
    meta.facts = _year_facts(stripped, ln, nonempty, narrative_mask, title_i, t_year, table_i, table_year)
    if year is not None and str(year).strip():
        meta.year, meta.year_source = str(int(year)), "option"
    elif t_year:
        meta.year, meta.year_source = t_year, "title"
        if table_year and table_year != t_year:
            meta.issues.append(Issue("X-12", f"年度不一致 / the title says {t_year}, the table heading "
                                             f"(line {table_line}) says {table_year}; {t_year} was used",
                                     table_line))
    elif table_year:
        meta.year, meta.year_source = table_year, "table"
    else:
        narr = [i for i in nonempty if narrative_mask is None or narrative_mask[i]]
        for rx, what in ((_NARR_YEARDU, "年度"), (_NARR_YEAR, "年")):
            c: Counter[str] = Counter()
            first: dict[str, int] = {}
            for i in narr:
                for m in rx.finditer(stripped[i]):
                    c[m.group(1)] += 1
                    first.setdefault(m.group(1), ln(i))
            if c:
                (y, k), *rest = c.most_common()
                if rest and rest[0][1] == k:
                    continue
                meta.year, meta.year_source = y, "narrative"
                meta.issues.append(Issue("X-10", f"报告年度取自正文 / year {y} taken from the narrative "
                                                 f"(“{y}{what}” ×{k}, first at line {first[y]}): no title or "
                                                 "table heading names it", first[y]))
                break
        if not meta.year:
            meta.issues.append(Issue("X-06", "未找到报告年度 / no report year in the title, the table heading or "
                                             "the text; pass --year", None))

    # ---- agency ----
    if agency:
        meta.agency, meta.agency_source = agency, "option"
        return meta
    found, source, where = t_agency, "title", (ln(title_i) if title_i is not None else None)
    if not found:
        for i in nonempty:
            m = _FILLER.search(stripped[i])
            if m:
                cand = m.group(1).strip(_WS + "：:")
                if cand and _is_agency(cand):
                    found, source, where = cand, "填报单位", ln(i)
                    break
    if not found:
        for i in head:
            if i == title_i:
                continue
            s = stripped[i]
            if _AGENCY_LINE.match(s) and _is_agency(s):
                found, source, where = s, "heading", ln(i)
                break
    if not found:
        tail = [i for i in nonempty if narrative_mask is None or narrative_mask[i]][-15:]
        for i in reversed(tail):
            s = stripped[i]
            if _AGENCY_LINE.match(s) and _is_agency(s):
                found, source, where = s, "signature", ln(i)
                meta.issues.append(Issue("X-10", f"机构名称取自落款 / agency «{s}» taken from the signature line",
                                         ln(i), s))
                break
    if not found:
        for i in nonempty[:40]:
            m = _PUBLISHER.search(stripped[i])
            if m and _is_agency(m.group(1)):
                found, source, where = m.group(1), "publisher", ln(i)
                meta.issues.append(Issue("X-10", f"机构名称取自网页发布机构 / agency «{found}» taken from the "
                                                 "page's 发布机构/来源 line", ln(i), stripped[i]))
                break
    if not found:
        meta.issues.append(Issue("X-07", "未找到填报机构 / no agency in the title, 填报单位, heading or signature; "
                                         "pass --agency", None))
        return meta
    if found[0] in _LEVELS:
        full, ev = _complete(found, "\n".join(stripped))
        if full:
            meta.issues.append(Issue("X-08", f"机构名称已补全 / agency «{found}» ({source}) completed to «{full}» "
                                             f"from the place named in the text ({ev})", where, found))
            found = full
        else:
            meta.issues.append(Issue("X-11", f"机构名称不完整 / agency «{found}» ({source}) does not name its "
                                             f"{found[0]} and the text does not tell which; pass --agency",
                                     where, found))
    meta.agency, meta.agency_source = found, source
    return meta
