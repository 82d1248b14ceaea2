"""The template as a lexicon: every row with its value positions and all the forms its label takes.

A :class:`Lexicon` is built once per template from its YAML (:mod:`checks.templates`):

* a :class:`Slot` per table row, in template order, with the number of value positions it takes
  (``list`` tables: one value, maybe after a unit; ``grid``/``matrix``: one per column);
* every form of a row label, as a *key* (:func:`key`: NFKC, no white space, no numbering such as
  ``（一）``/``1．``/``三、`` anywhere, no ``其中：``, no punctuation): the official label, its
  variants, a local variant's relabel, and each with its group labels in front (``三、本年度办理结果
  （一）予以公开``, ``（三）不予公开 1.属于国家秘密``: a group merged into the row's cell);
* the structural texts of each table: title, section heading, corner note, column headers and
  column groups, row-group labels, the generic ``统计指标 / 单位 / 统计数`` header, footers.

:meth:`Lexicon.match` scores a text against the rows: 1.0 for a key equal to a form; a label cut
short (a prefix of a form) or a form with something appended score by the share they cover; a
typo scores its similarity (≥ 0.8). Results are memoised per text: labels repeat in every report.
"""

from __future__ import annotations

import bisect
import difflib
import functools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from checks.cells import clean
from checks.templates import Template, load

_PUNCT = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "〔": "(", "〕": ")", "【": "(", "】": ")"})
_NUMBERING = re.compile(r"[(][一二三四五六七八九十\d]{1,3}[)]|[一二三四五六七八九十]{1,3}、|(?<![\d.])\d{1,2}\s*[.、](?!\d)")
_LEADING_NUMBER = re.compile(r"^\s*(?:[(][一二三四五六七八九十\d]{1,3}[)]|[一二三四五六七八九十]{1,3}[、.]|\d{1,2}\s*[.、](?!\d))")
_NONWORD = re.compile(r"[\W_]+")
GENERIC_HEADER = re.compile(r"^(?:统计指标|指标名称|指标|单位|计量单位|统计数|数量|数值|序号|项目|备注|本年度|本年|"
                            r"填报单位|盖章|统计表)+$")
TABLE_TITLE = re.compile(r"(?:政府信息公开|政务公开).{0,14}统计(?:报)?表$|^附表\d*$|^附件\d*$|^\d{4}年度?$|^填报单位")
FOOTER = re.compile(r"^(?:单位负责人|审核人|填报人|联系电话|填报日期|制表人|统计负责人|负责人|制表日期|报送日期)")


@functools.lru_cache(maxsize=200_000)
def key(text: str) -> str:
    """A label reduced for matching (see the module docstring)."""
    s = unicodedata.normalize("NFKC", text or "").translate(_PUNCT)
    s = re.sub(r"\s+", "", s)
    s = _NUMBERING.sub("", s)
    s = _NONWORD.sub("", s)
    if s.startswith("其中") and len(s) > 4:
        s = s[2:]
    return s


@functools.lru_cache(maxsize=200_000)
def numbered(text: str) -> bool:
    """The text starts with a numbering (``（七）``, ``3.``, ``一、``): a row, not a column header."""
    s = unicodedata.normalize("NFKC", clean(text))
    return bool(_LEADING_NUMBER.match(s))


@dataclass(frozen=True)
class Slot:
    id: int
    table: int              # index into Lexicon.tables
    row: int                # index into the table's rows
    code: str
    label: str
    heading: bool
    n_values: int           # value positions: list → 1 (after an optional unit), grid/matrix → columns


@dataclass(frozen=True)
class Struct:
    tables: frozenset[int]
    group: bool = False     # a row-group label (三、本年度办理结果, （三）不予公开)
    column: bool = False    # a column header of these tables
    footer: bool = False


@dataclass(frozen=True)
class Match:
    slot: int
    score: float


class Lexicon:
    """Everything extraction needs to know about one template's labels (see the module docstring)."""

    def __init__(self, template: Template):
        self.template = template
        self.tables = template.tables
        self.slots: list[Slot] = []
        self.forms: dict[str, list[int]] = {}           # key → slots
        self.struct: dict[str, Struct] = {}
        self.columns: dict[int, dict[str, int]] = {}    # table → column key → column index
        self.valueonly: dict[int, int] = {}             # table without row labels (四) → its slot
        self.table_slots: dict[int, list[int]] = {}
        relabels: dict[str, list[str]] = {}
        for v in template.variants.values():
            for code, lab in v.labels.items():
                relabels.setdefault(code, []).append(lab)
        for ti, table in enumerate(self.tables):
            n = 1 if table.layout == "list" else len(table.columns)
            for ri, row in enumerate(table.rows):
                sid = len(self.slots)
                self.slots.append(Slot(sid, ti, ri, row.code, row.label, row.heading, n))
                self.table_slots.setdefault(ti, []).append(sid)
                if not row.label:
                    self.valueonly[ti] = sid
                    continue
                groups = [g for g in row.group.split("/") if g] if row.group else []
                prefixes = [""] + ["".join(key(g) for g in groups[i:]) for i in range(len(groups))]
                prefixes += [key(g) for g in groups]
                for lab in dict.fromkeys([row.label, *row.variants, *relabels.get(row.code, ())]):
                    k = key(lab)
                    for p in dict.fromkeys(prefixes):
                        if k:
                            self.forms.setdefault(p + k, []).append(sid)
                for g in groups:
                    self._struct(g, ti, group=True)
            for text in (table.title, table.section, table.corner, table.header):
                self._struct(text, ti)
            looks: dict[str, int] = {}
            for ci, col in enumerate(table.columns):
                for lab in (col.label, *col.variants):
                    self._struct(lab, ti, column=True)
                    looks.setdefault(key(lab), ci)
                for g in col.group.split("/") if col.group else ():
                    self._struct(g, ti)
            self.columns[ti] = looks
        for k in self.forms:
            self.forms[k] = sorted(set(self.forms[k]))
        self._by_len = sorted(self.forms, key=len)
        self._lens = [len(f) for f in self._by_len]
        self._form_at = {f: i for i, f in enumerate(self._by_len)}
        self._prefixed: dict[str, list[int]] = {}      # a prefix of 4+ characters → the forms starting with it
        for i, f in enumerate(self._by_len):
            for n in range(4, len(f)):
                self._prefixed.setdefault(f[:n], []).append(i)
        self._most: dict[str, int] = {}               # a character → the most times one form holds it
        for f in self._by_len:
            for c in set(f):
                self._most[c] = max(self._most.get(c, 0), f.count(c))
        self._cache: dict[str, tuple[Match, ...]] = {}

    def _struct(self, text: str, ti: int, group: bool = False, column: bool = False) -> None:
        k = key(text)
        if not k:
            return
        old = self.struct.get(k, Struct(frozenset()))
        self.struct[k] = Struct(old.tables | {ti}, old.group or group, old.column or column)

    # ------------------------------------------------------------------ classification
    def structure(self, text: str) -> Struct | None:
        """The structural role of a text (heading, title, column header, group, footer), if any."""
        s = clean(text)
        if not s or len(s) > 120:
            return None
        if FOOTER.match(s):
            return Struct(frozenset(), footer=True)
        k = key(s)
        st = self.struct.get(k)
        if st is None and k and (GENERIC_HEADER.match(k) or TABLE_TITLE.search(k)):
            return Struct(frozenset())
        if st is None and " " in s.strip():
            # a header line whose words are each a header (``结果维持 结果纠正 其他结果 尚未审结 总计``)
            parts = [self.struct.get(key(w)) for w in s.split()]
            if all(p is not None for p in parts) and len(parts) >= 2:
                tables = frozenset.intersection(*[p.tables for p in parts]) or frozenset().union(*[p.tables for p in parts])
                return Struct(tables, column=any(p.column for p in parts))
        return st

    def match(self, text: str, fuzzy: bool = True) -> tuple[Match, ...]:
        """The rows this text may be the label of, best first (empty when none)."""
        s = clean(text)
        if not s or len(s) > 150 or "。" in s:
            return ()
        hit = self._cache.get(s if fuzzy else "\0" + s)
        if hit is not None:
            return hit
        if len(self._cache) > 200_000:
            self._cache.clear()
        res = self._match(s, fuzzy)
        self._cache[s if fuzzy else "\0" + s] = res
        return res

    def _match(self, s: str, fuzzy: bool) -> tuple[Match, ...]:
        k = key(s)
        if len(k) < 2:
            return ()
        exact = self.forms.get(k)
        if exact:
            st = self.struct.get(k)
            if st is not None and st.column and not numbered(s):
                return ()           # 总计 / 其他 unnumbered: a column header, not the row （七）总计 / 3.其他
            return tuple(Match(sid, 1.0) for sid in exact)
        if k in self.struct:
            return ()
        out: dict[int, float] = {}
        if len(k) >= 4:
            # only the forms that can pass (k is a prefix of them, or they of k), in _by_len order
            by_len, at = self._by_len, self._form_at
            near = set(self._prefixed.get(k, ()))
            near.update(at[k[:n]] for n in range(4, len(k)) if k[:n] in at)
            for f in [by_len[i] for i in sorted(near)]:
                lf = len(f)
                if lf > len(k) and f.startswith(k) and len(k) >= max(4, 0.3 * lf):
                    sc = 0.6 + 0.35 * len(k) / lf           # a label cut short
                elif lf < len(k) and k.startswith(f) and lf >= max(4, 0.6 * len(k)):
                    sc = 0.6 + 0.3 * lf / len(k)            # a label with something appended
                else:
                    continue
                for sid in self.forms[f]:
                    out[sid] = max(out.get(sid, 0.0), sc)
        if not out and fuzzy and len(k) >= 4:
            sm = difflib.SequenceMatcher(None, autojunk=False)
            sm.set_seq2(k)
            width = max(2, 0.25 * len(k))
            lo = bisect.bisect_left(self._lens, len(k) - width - 1)
            hi = bisect.bisect_right(self._lens, len(k) + width + 1)
            # k's characters that one form can hold: no form shares more with k, so a form whose
            # quick_ratio cannot reach 0.8 even then is passed over as the quick_ratio test below would
            most = self._most
            shared = sum(min(n, most.get(c, 0)) for c, n in Counter(k).items())
            for f in self._by_len[lo:hi]:          # the others fail the length test below
                if abs(len(f) - len(k)) > max(2, 0.25 * len(k)):
                    continue
                if 2.0 * min(shared, len(f)) / (len(f) + len(k)) < 0.8:
                    continue
                sm.set_seq1(f)
                if sm.real_quick_ratio() < 0.8 or sm.quick_ratio() < 0.8:
                    continue
                r = sm.ratio()
                if r >= 0.8:
                    for sid in self.forms[f]:
                        out[sid] = max(out.get(sid, 0.0), 0.5 + 0.45 * r)
        return tuple(sorted((Match(s_, sc) for s_, sc in out.items()), key=lambda m: -m.score))

    def column_of(self, table: int, text: str) -> int | None:
        return self.columns.get(table, {}).get(key(text))


@functools.cache
def lexicon(template_id: str) -> Lexicon:
    """The lexicon of a template (built once per process)."""
    return Lexicon(load(template_id))
