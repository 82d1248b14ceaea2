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
    ("v", ("{t}.s3.result.public",), rf"予以公开{_C}{{0,6}}?{N}\s*(?P<u>件)"),
    ("v", ("{t}.s3.result.partial",), rf"部分公开{_C}{{0,6}}?{N}\s*(?P<u>件)"),
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
_TRIGGERS = re.compile(r"公开|申请|复议|诉讼|举报|投诉|收取|收费|培训|微博|微信|网站|发布会|访谈|解读|办结|答复|结转|报")


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
        found.sort(key=lambda h: (h.start, h.key))
        hits.extend(found)
    return hits
