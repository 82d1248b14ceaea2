"""Counts the narrative states (主动公开…N条, 收到…申请N件, 行政复议N件 …), for text-against-table checks.

The patterns are data: :data:`PATTERNS` is a list of ``(templates, keys, regex)``. ``templates``
says which templates the pattern applies to (``old``, ``v`` = v2019 and v2021); ``keys`` are the
item codes the number corresponds to, with ``{t}`` standing for the report's template
(``{t}.s3.new_received`` → ``v2019.s3.new_received``); one number may give several keys
(``行政复议、行政诉讼各1件``). The regex has a named group ``n`` (the number) and ``u`` (its unit).
Patterns are tried in list order and a number is claimed by the first pattern that matches it,
so specific patterns (a channel) come before general ones (a total). Clauses are not crossed at
``。；`` and channel patterns stop at ``、`` (a list of channels is not one channel).

:data:`ZERO_PATTERNS` are statements of *none* (``没有收到信息公开申请``, ``无行政复议、行政诉讼``);
they give value 0 and the phrase as ``raw``.

Keys that are not item codes (documented here, used by the rule engine):

* ``v2019.s4.litigation.total`` / ``v2021.s4.litigation.total``: 行政诉讼 in the narrative, to be
  compared with ``lit_direct.total + lit_after_review.total``;
* ``{t}.s3.result.withheld`` / ``.unable`` / ``.not_processed``: a category total (the sum of its
  sub-rows, or only one of them: domain.md T-04).

Each hit: key, value, raw (the number as written, with its unit), sentence, line, and the
position of the number in its line (``char_start``, ``char_end``; 0-based, end exclusive). In an
HTML page the "line" is the paragraph: its first source line, positions within its decoded text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

N = r"(?P<n>[0-9０-９]+(?:[,，][0-9]{3})*(?:\.[0-9]+)?)"
_C = r"[^。；;，,、\n]"        # inside a clause, not across a list
_S = r"[^。；;\n]"             # inside a sentence part (may cross a comma)

PATTERNS: list[tuple[str, tuple[str, ...], str]] = [
    # ---- old template: 主动公开 (section 一) ----
    ("old", ("old.s1.proactive.normative_docs",), rf"主动公开{_C}{{0,4}}规范性文件{_C}{{0,6}}?{N}\s*(?P<u>件|个|份|条)"),
    ("old", ("old.s1.proactive.normative_docs_issued",), rf"制发{_C}{{0,4}}规范性文件{_C}{{0,6}}?{N}\s*(?P<u>件|个|份)"),
    ("old", ("old.s1.channel.gazette",), rf"政府公报{_C}{{0,20}}?{N}\s*(?P<u>条)"),
    ("old", ("old.s1.channel.website",), rf"网站{_C}{{0,20}}?{N}\s*(?P<u>条)"),
    ("old", ("old.s1.channel.weibo",), rf"微博[^。；;、\n]{{0,40}}?{N}\s*(?P<u>条)"),
    ("old", ("old.s1.channel.wechat",), rf"微信[^。；;、\n]{{0,30}}?{N}\s*(?P<u>条)"),
    ("old", ("old.s1.channel.other",), rf"(?:报纸|报刊|其他方式){_C}{{0,20}}?{N}\s*(?P<u>条)"),
    ("old", ("old.s1.proactive.total",),
     rf"(?:(?:共|全年|累计|合计|总计){_C}{{0,12}}?主动公开|主动公开{_C}{{0,12}}?(?:共|累计|合计|总计)"
     rf"|公开{_C}{{0,15}}?(?:累计|共计|合计|总计)){_C}{{0,20}}?{N}\s*(?P<u>条)"),
    # ---- old template: 回应解读 (section 二) ----
    ("old", ("old.s2.press_conf.total",), rf"新闻发布会{_C}{{0,6}}?{N}\s*(?P<u>次|场)"),
    ("old", ("old.s2.interview.total",), rf"在线访谈{_C}{{0,6}}?{N}\s*(?P<u>次|期|场)"),
    ("old", ("old.s2.interpretations",), rf"解读(?:稿件|文章|材料|文件)?(?:共|累计)?{N}\s*(?P<u>篇|条|次)"),
    # ---- old template: 依申请 (三), 复议 (四), 诉讼 (五), 投诉 (六), 费用 (七), 培训 (九) ----
    ("old", ("old.s3.received.total",), rf"收到(?={_S}{{0,25}}申请){_S}{{0,25}}?{N}\s*(?P<u>件|项|个|份)"),
    ("old", ("old.s3.closed.total",), rf"办结{_C}{{0,10}}?{N}\s*(?P<u>件|项)"),
    ("old", ("old.s3.replied.total",), rf"答复{_C}{{0,10}}?{N}\s*(?P<u>件|项)"),
    ("old", ("old.s4.review.total", "old.s5.litigation.total"), rf"行政复议[、和及与]行政诉讼各{N}\s*(?P<u>件|起)"),
    ("old", ("old.s4.review.total",), rf"行政复议{_C}{{0,10}}?{N}\s*(?P<u>件|起)"),
    ("old", ("old.s5.litigation.total",), rf"行政诉讼{_C}{{0,10}}?{N}\s*(?P<u>件|起)"),
    ("old", ("old.s6.complaints",), rf"(?:举报|投诉){_C}{{0,10}}?{N}\s*(?P<u>件|起)"),
    ("old", ("old.s7.fees",), rf"收取{_C}{{0,12}}?{N}\s*(?P<u>万元|元)"),
    ("old", ("old.s9.trainees",), rf"培训{_C}{{0,12}}?{N}\s*(?P<u>人次)"),
    ("old", ("old.s9.training_sessions",), rf"培训{_C}{{0,10}}?{N}\s*(?P<u>次|期|场)"),
    # ---- v2019 / v2021: sections 三 and 四 ----
    ("v", ("{t}.s3.carried_over",), rf"上年(?:度)?结转{_C}{{0,15}}?{N}\s*(?P<u>件)"),
    ("v", ("{t}.s3.carry_forward",), rf"结转(?:至|到)?下(?:一)?年度?{_C}{{0,15}}?{N}\s*(?P<u>件)"),
    ("v", ("{t}.s3.new_received",), rf"(?:新收|收到)(?={_S}{{0,25}}申请){_S}{{0,25}}?{N}\s*(?P<u>件|项|个|份)"),
    # "予以公开和部分公开共95件" is the sum of two rows: neither row's count (no key: not compared)
    ("v", ("{t}.s3.result.public",), rf"予以公开(?![和及与、]部分公开){_C}{{0,6}}?{N}\s*(?P<u>件)"),
    ("v", ("{t}.s3.result.partial",), rf"(?<!予以公开[和及与、])部分公开{_C}{{0,6}}?{N}\s*(?P<u>件)"),
    ("v", ("{t}.s3.result.withheld",), rf"不予公开{_C}{{0,6}}?{N}\s*(?P<u>件)"),
    ("v", ("{t}.s3.result.unable",), rf"无法提供{_C}{{0,6}}?{N}\s*(?P<u>件)"),
    ("v", ("{t}.s3.result.not_processed",), rf"不予处理{_C}{{0,6}}?{N}\s*(?P<u>件)"),
    ("v", ("{t}.s3.result.total",), rf"(?:办结|答复|办理完毕){_C}{{0,10}}?{N}\s*(?P<u>件)"),
    ("v", ("{t}.s4.review.total", "{t}.s4.litigation.total"), rf"行政复议[、和及与]行政诉讼各{N}\s*(?P<u>件|起)"),
    ("v", ("{t}.s4.review.total",), rf"行政复议{_C}{{0,10}}?{N}\s*(?P<u>件|起)"),
    ("v", ("{t}.s4.litigation.total",), rf"行政诉讼{_C}{{0,10}}?{N}\s*(?P<u>件|起)"),
]

_NONE = r"(?:没有|未|无|不存在|未发生|没有发生)"
ZERO_PATTERNS: list[tuple[str, tuple[str, ...], str]] = [
    ("old", ("old.s3.received.total",), rf"{_NONE}{_C}{{0,8}}?(?:收到|受理){_C}{{0,12}}?申请|无依申请公开"),
    ("v", ("{t}.s3.new_received",), rf"{_NONE}{_C}{{0,8}}?(?:收到|受理){_C}{{0,12}}?申请|无依申请公开"),
    ("old", ("old.s4.review.total",), rf"{_NONE}{_S}{{0,20}}?行政复议"),
    ("old", ("old.s5.litigation.total",), rf"{_NONE}{_S}{{0,30}}?(?:行政)?诉讼"),
    ("v", ("{t}.s4.review.total",), rf"{_NONE}{_S}{{0,20}}?行政复议"),
    ("v", ("{t}.s4.litigation.total",), rf"{_NONE}{_S}{{0,30}}?(?:行政)?诉讼"),
    ("old", ("old.s6.complaints",), rf"{_NONE}{_S}{{0,20}}?(?:举报|投诉)"),
    ("old", ("old.s7.fees",), rf"{_NONE}{_C}{{0,15}}?收取(?:任何)?(?:费用)|无收费"),
]

_FW = str.maketrans("０１２３４５６７８９，", "0123456789,")
_SENT_END = re.compile(r"[。；;！!？?]")


def _compile(table):
    out = []
    for tmpl, keys, rx in table:
        out.append((tmpl, keys, re.compile(rx)))
    return out


_PATTERNS = _compile(PATTERNS)
_ZEROS = _compile(ZERO_PATTERNS)
_TRIGGERS = re.compile(r"%|％|百分之|公开|申请|复议|诉讼|举报|投诉|收取|收费|培训|微博|微信|网站|发布会|访谈|解读|办结|答复|结转|报")


@dataclass(slots=True)
class Hit:
    key: str
    value: float
    raw: str
    sentence: str
    line: int
    start: int
    end: int


def _applies(tmpl: str, template: str) -> bool:
    return tmpl == template or (tmpl == "v" and template in ("v2019", "v2021"))


def _sentence(text: str, start: int, end: int) -> str:
    a = 0
    for m in _SENT_END.finditer(text, 0, start):
        a = m.end()
    m = _SENT_END.search(text, end)
    b = m.end() if m else len(text)
    return text[a:b].strip(" \t\u3000\u00a0")


def extract(lines: list[tuple[int, str]], template: str) -> list[Hit]:
    """The counts stated in the narrative lines ``(line number, text)`` of a report of ``template``."""
    if not template:
        return []
    pats = [(k, rx) for t, k, rx in _PATTERNS if _applies(t, template)]
    zeros = [(k, rx) for t, k, rx in _ZEROS if _applies(t, template)]
    hits: list[Hit] = []
    for line, text in lines:
        if not text or not _TRIGGERS.search(text):
            continue
        norm = text.translate(_FW)
        claimed: set[int] = set()
        found: list[Hit] = []
        for keys, rx in pats:
            for m in rx.finditer(norm):
                s = m.start("n")
                if s in claimed:
                    continue
                claimed.add(s)
                e = m.end("u") if m.group("u") else m.end("n")
                value = float(m.group("n").replace(",", ""))
                sent = _sentence(text, s, e)
                for key in keys:
                    found.append(Hit(key.format(t=template), value, text[s:e], sent, line, s, e))
        for keys, rx in zeros:
            for m in rx.finditer(norm):
                s, e = m.span()
                sent = _sentence(text, s, e)
                for key in keys:
                    k = key.format(t=template)
                    if any(h.key == k and h.start < e and s < h.end for h in found):
                        continue
                    found.append(Hit(k, 0.0, text[s:e], sent, line, s, e))
        found += percentages(text, line, template, found)
        found.sort(key=lambda h: (h.start, h.key))
        hits.extend(found)
    return hits


# ------------------------------------------------------------------ percentages (T-02)
# A percentage is kept only when it can be tied to table counts: the share of a result category
# (予以公开…占办结总数的85.3%, 予以公开率为85.3%) or a year-over-year change of a count stated just
# before it in the same sentence part (收到申请120件，同比增长20%). Everything else (办结率100% of
# 建议提案, 贫困发生率…) yields nothing. Keys:
#
# * ``pct:<numerator>/<base>``: numerator an item or category key (``v2019.s3.result.public``, a
#   category ``v2019.s3.result.withheld``, ``v2019.s3.result.public+partial``), base ``result``
#   (办结/答复/办理 named), ``received`` (收到/新收/申请 named) or ``any`` (no base named: 予以公开率);
# * ``pct:yoy:<count key>``: the signed change (增长 +, 下降 −) of the count whose key follows.
#
# ``raw`` is the percentage as written (``85.3%``), the value its number.

PCT = re.compile(r"(?:(?P<p>[0-9]+(?:\.[0-9]+)?)\s*[%％])|(?:百分之(?P<q>[0-9]+(?:\.[0-9]+)?))")
SHARE_CATEGORIES: list[tuple[str, str, str]] = [
    # (templates, numerator key, regex of the category words; the last one before the percentage counts)
    ("v", "{t}.s3.result.public+partial", r"予以公开(?:和|及|与|、)部分公开"),
    ("v", "{t}.s3.result.public", r"予以公开(?!(?:和|及|与|、)部分公开)"),
    ("v", "{t}.s3.result.partial", r"(?<![和及与、])部分公开"),
    ("v", "{t}.s3.result.withheld", r"不予公开"),
    ("v", "{t}.s3.result.unable", r"无法提供"),
    ("v", "{t}.s3.result.not_processed", r"不予处理"),
    ("old", "old.s3.replied.agree", r"(?<!不)同意公开"),
    ("old", "old.s3.replied.agree_partial", r"(?<!不)同意部分公开"),
    ("old", "old.s3.replied.disagree.total", r"不同意公开"),
]
SHARE_WORDS = re.compile(r"占|比例|比重|率")
SHARE_BASES: list[tuple[str, str]] = [("result", r"办结|答复|办理|总计"), ("received", r"新收|收到|受理|申请")]
YOY = re.compile(r"(?:同比|较上年度?|比上年度?|较去年|比去年|较[0-9]{4}年度?|比[0-9]{4}年度?)(?:同期)?\s*"
                 r"(?P<dir>增长|增加|上升|提高|提升|多|下降|减少|降低|回落|少)了?\s*$")
YOY_KEYS = ("old.s1.proactive.total", "old.s3.received.total", "old.s4.review.total", "old.s5.litigation.total",
            "{t}.s3.new_received", "{t}.s3.result.public", "{t}.s4.review.total", "{t}.s4.litigation.total")
_UP = set("增长 增加 上升 提高 提升 多".split())
_SHARES = [(t, k, re.compile(rx)) for t, k, rx in SHARE_CATEGORIES]
_BASES = [(b, re.compile(rx)) for b, rx in SHARE_BASES]
_PART_END = re.compile(r"[。；;！!？?\n]")


def percentages(text: str, line: int, template: str, counts: list[Hit]) -> list[Hit]:
    """The percentages of one line tied to table counts (``counts``: the count hits of the line)."""
    if "%" not in text and "％" not in text and "百分之" not in text:
        return []
    norm = text.translate(_FW)
    out: list[Hit] = []
    shares = [(k.format(t=template), rx) for t, k, rx in _SHARES if _applies(t, template)]
    yoy_keys = {k.format(t=template) for k in YOY_KEYS}
    for m in PCT.finditer(norm):
        s, e = m.span()
        num = m.group("p") or m.group("q")
        a = 0
        for x in _PART_END.finditer(norm, 0, s):
            a = x.end()
        before = norm[a:s]
        raw, sent = text[s:e], _sentence(text, s, e)
        y = YOY.search(before[-14:])
        if y:
            prior = [h for h in counts if a <= h.start and h.end <= s and h.key in yoy_keys]
            if prior:
                h = max(prior, key=lambda h: h.end)
                between = norm[h.end:s]
                if len(between) <= 20 and not PCT.search(between):
                    sign = 1 if y.group("dir") in _UP else -1
                    out.append(Hit(f"pct:yoy:{h.key}", sign * float(num), raw, sent, line, s, e))
            continue
        best = None
        for key, rx in shares:
            for c in rx.finditer(before):
                if best is None or c.start() > best[1] or (c.start() == best[1] and c.end() > best[2]):
                    best = (key, c.start(), c.end())
        if best is None:
            continue
        key, cs, ce = best
        tail = before[ce:]
        if len(tail) > 30 or not SHARE_WORDS.search(tail) or PCT.search(tail) or "分别" in before[cs:]:
            continue
        base = next((b for b, rx in _BASES if rx.search(tail)), "any")
        out.append(Hit(f"pct:{key}/{base}", float(num), raw, sent, line, s, e))
    return out


# ------------------------------------------------------------------ report structure (S-01 … S-03)
# The six sections of a v2019/v2021 report (国办公开办函〔2019〕60号 / 〔2021〕30号), each recognised by a
# heading line: a Chinese numeral, 、 (or ．.), and the section's title (or a documented variant).
# The numeral is recorded as written; the section is told by its title, so a report that drops
# section 一 and numbers the rest 一…五 still has its sections found (and S-01 says what is wrong).
SECTIONS: list[tuple[int, str, str]] = [
    (1, "总体情况", r"总体情况|概述|总体概况|基本情况|工作概况"),
    (2, "主动公开政府信息情况", r"主动公开政府信息(?:的)?情况|主动公开情况"),
    (3, "收到和处理政府信息公开申请情况", r"收到和处理政府信息公开申请(?:的)?情况|依申请公开(?:政府信息)?(?:的)?情况"),
    (4, "政府信息公开行政复议、行政诉讼情况", r"(?:政府信息公开)?行政复议[、和及与]?行政诉讼(?:的)?情况"),
    (5, "存在的主要问题及改进情况", r"存在的?主要问题(?:及|和|与)?(?:改进|整改)(?:措施|情况)?|存在的?(?:主要)?问题"),
    (6, "其他需要报告的事项", r"其他需要报告的事项|其他需要报告事项|其他事项"),
]
"""(number, official title, regex of the title and its variants)."""
NUMERALS = "一二三四五六七八九十"
_HEAD = re.compile(r"^[\s\u3000]*(?P<num>[一二三四五六七八九十]{1,2})\s*[、．.]\s*(?P<rest>.*)$")
_SECTION_RX = [(n, title, re.compile(r"(?:" + rx + r")")) for n, title, rx in SECTIONS]
_BODY_CHARS = re.compile(r"[\u4e00-\u9fff0-9A-Za-z]")
_NOTHING = re.compile(r"^(?:无|暂无|没有|无其他需要报告的事项|本年度无|无。)$")
FEE = re.compile(r"信息处理费|收费|收取|费用")
FEE_CHARGED = re.compile(r"(?:收取|收缴|收费|信息处理费)[^。；;]{0,20}?[0-9０-９]+(?:\.[0-9]+)?\s*(?:万元|元)"
                         r"|收取(?:了)?(?:[^。；;，,]{0,8})?(?:信息处理费|费用)")
FEE_NONE = re.compile(r"(?:未|没有|不|无|免)[^。；;，,]{0,14}(?:收取|收费|费用|信息处理费)|免费|无收费|零收费")
_NO_SPACE = re.compile(r"[\s\u3000\u00a0]+")


def _numeral(s: str) -> int:
    if s == "十":
        return 10
    if s.startswith("十"):
        return 10 + NUMERALS.index(s[1]) + 1
    if len(s) == 2 and s[1] == "十":
        return 10 * (NUMERALS.index(s[0]) + 1)
    return NUMERALS.index(s[0]) + 1


@functools.lru_cache(maxsize=65536)
def _heading(text: str) -> tuple[int, int, str, int] | None:
    """(section, numeral as written, heading text, end of the heading in ``text``) of a section heading line."""
    m = _HEAD.match(text)
    if not m:
        return None
    rest = m.group("rest")
    flat = _NO_SPACE.sub("", rest)
    for n, _title, rx in _SECTION_RX:
        t = rx.match(flat)
        if not t:
            continue
        after = flat[t.end():]
        if after and not (len(after) <= 4 and not _BODY_CHARS.search(after)) and after[0] not in "。：:.，,":
            continue          # a table row or a sentence that happens to start like a title
        k = 0
        for j, ch in enumerate(rest):            # the heading's end in the unflattened text
            if not ch.isspace():
                k += 1
            if k == t.end():
                end = m.start("rest") + j + 1
                break
        else:
            end = len(text)
        return n, _numeral(m.group("num")), text[m.start("num"):end].strip(), end
    return None


def structure(items: list[tuple[int, str]], mask: list[bool], template: str) -> list[Hit]:
    """What the report's sections look like, as narrative rows with ``doc:`` keys (v2019/v2021):

    * ``doc:sections`` — how many of the six section headings were found (always, for v2019/v2021);
    * ``doc:section.<n>`` — section n's heading: value the numeral as written, its line and position;
    * ``doc:section.5.body`` — how many characters (汉字, letters, digits) section 五 says beyond its
      heading (0 for "无"), the first words as the sentence;
    * ``doc:fee`` — v2019/v2021: section 六 mentions a fee charged (1) or not (0: silent, or says none),
      only when section 六 was found; ``old``: the same over the whole narrative.

    ``items`` are every line (number, text) of the report, the table's too (section headings are
    often the tables' titles); ``mask[i]`` says line i lies outside the tables."""
    out: list[Hit] = []
    if template == "old":
        text = [(n, t) for (n, t), free in zip(items, mask) if free and t and t.strip()]
        out.append(_fee(text, text[0][0] if text else 0))
        return out
    if template not in ("v2019", "v2021"):
        return out
    found: dict[int, tuple[int, int, str, int, int]] = {}       # section → (index, numeral, heading, line, end)
    order: list[tuple[int, int]] = []
    for i, (line, text) in enumerate(items):
        if not text:
            continue
        h = _heading(text)
        if h is None or h[0] in found:
            continue
        n, num, head, end = h
        found[n] = (i, num, head, line, end)
        order.append((i, n))
        out.append(Hit(f"doc:section.{n}", float(num), head, text.strip(), line, text.index(head[0]), end))
    first = min((f[3] for f in found.values()), default=items[0][0] if items else 0)
    out.insert(0, Hit("doc:sections", float(len(found)), "", "", first, 0, 0))

    def body(n: int) -> tuple[list[tuple[int, str]], int]:
        i, _num, _head, line, end = found[n]
        nxt = min((j for j, _ in order if j > i), default=len(items))
        lines = [(line, items[i][1][end:])]
        lines += [(ln, t) for (ln, t), free in zip(items[i + 1:nxt], mask[i + 1:nxt]) if free]
        return [(ln, t) for ln, t in lines if t and t.strip()], line
    if 5 in found:
        lines, line = body(5)
        text = "".join(t.strip() for _, t in lines).lstrip("。：:.，, ")
        chars = 0 if _NOTHING.match(_NO_SPACE.sub("", text)) else len(_BODY_CHARS.findall(text))
        out.append(Hit("doc:section.5.body", float(chars), text[:20], text[:80], line, 0, 0))
    if 6 in found:
        lines, line = body(6)
        out.append(_fee(lines, line))
    return out


_HEADING_LIKE = re.compile(r"^[\s\u3000]*[（(]?[一二三四五六七八九十0-9]{1,2}[)）、．.]|情况[。：:]?$")


def _fee(lines: list[tuple[int, str]], line: int) -> Hit:
    """``doc:fee``: 1 when ``lines`` state a fee charged (收取信息处理费…元, 收取费用), 0 when they say none
    (未收取任何费用, 免费) or are silent. Headings (四、收费及减免情况) and "规范收费" state nothing."""
    none_hit = None
    for ln, t in lines:
        a = 0
        for part in re.split(r"(?<=[。；;！!？?])", t):
            if FEE.search(part):
                none = FEE_NONE.search(part)
                if none is not None:
                    if none_hit is None:
                        s, e = a + none.start(), a + none.end()
                        none_hit = Hit("doc:fee", 0.0, t[s:e], part.strip(), ln, s, e)
                elif FEE_CHARGED.search(part) and not _HEADING_LIKE.search(part.strip()):
                    m = FEE_CHARGED.search(part)
                    return Hit("doc:fee", 1.0, m.group(), part.strip(), ln, a + m.start(), a + m.end())
            a += len(part)
    return none_hit or Hit("doc:fee", 0.0, "", "", line, 0, 0)
