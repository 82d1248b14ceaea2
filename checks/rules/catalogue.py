"""The rule catalogue (``catalogue.yaml``): load, validate, configure and expand into rule instances.

A *rule* is data (code, name, kind, templates, severity, target, params, message). Rules over a
matrix are written once; :func:`expand` turns each comparison rule into *instances* — one per
template × local variant × column/row/term as its ``target`` says — from the templates'
structure (``sum_of``, ``includes``, rows and columns). An instance is a small list of terms
(side lhs/rhs, item, column, coefficient); checks.rules.sql joins those terms with the cells of
every report at once.

Everything here is small and pure Python (a few hundred instances); nothing here touches data.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from checks import templates as T
from checks.errors import UserError, read_yaml
from checks.rules import messages as M

HERE = Path(__file__).parent
CATALOGUE_PATH = HERE / "catalogue.yaml"

SEVERITIES = ("error", "warning", "info")
_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CODE = re.compile(r"^[A-Z]-\d{2}[a-z]?$")
DEFAULT_TOLERANCE = 0.001


class CatalogueError(UserError):
    """The catalogue or a configuration of it is invalid (exit code 3)."""


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    kind: str
    templates: tuple[str, ...]
    severity: str
    target: dict = field(default_factory=dict, hash=False, compare=False)
    params: dict = field(default_factory=dict, hash=False, compare=False)
    message: dict = field(default_factory=dict, hash=False, compare=False)  # {"zh": str|dict, "en": ...}
    basis: str = ""
    soft: bool = False
    enabled: bool = True
    severity_overridden: bool = False

    @property
    def family(self) -> str:
        """comparison | cell | structure | surfaced: the family of its kind."""
        return kind_of(self).family

    @property
    def tolerance(self) -> float:
        return float(self.params.get("tolerance", DEFAULT_TOLERANCE))

    def as_dict(self) -> dict:
        d = {"code": self.code, "name": self.name, "kind": self.kind, "templates": list(self.templates),
             "severity": self.severity, "enabled": self.enabled}
        if self.soft:
            d["soft"] = True
        for k in ("target", "params"):
            if getattr(self, k):
                d[k] = getattr(self, k)
        if self.basis:
            d["basis"] = self.basis
        d["message"] = self.message
        return d


@dataclass(frozen=True)
class Catalogue:
    rules: tuple[Rule, ...]
    path: str = str(CATALOGUE_PATH)

    def rule(self, code: str) -> Rule:
        for r in self.rules:
            if r.code.lower() == code.lower():
                return r
        raise CatalogueError(f"unknown rule {code!r} (see `gongkai rules`)")

    def enabled(self, family: str | None = None) -> list[Rule]:
        return [r for r in self.rules if r.enabled and (family is None or r.family == family)]

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.rules]

    def configured(self, severity: dict[str, str] | None = None,
                   disabled: Iterable[str] | None = None, source: str = "configuration") -> "Catalogue":
        """The catalogue with severities changed and rules switched off (validated: bad → CatalogueError)."""
        severity = dict(severity or {})
        disabled = list(disabled or [])
        known = {r.code for r in self.rules}
        for code in [*severity, *disabled]:
            if code not in known:
                raise CatalogueError(f"{source}: unknown rule code {code!r} (known: {', '.join(sorted(known))})")
        for code, sev in severity.items():
            if sev not in SEVERITIES:
                raise CatalogueError(f"{source}: severity of {code} must be one of {', '.join(SEVERITIES)}, "
                                     f"not {sev!r}")
        rules = tuple(dataclasses.replace(r, severity=severity.get(r.code, r.severity),
                                          severity_overridden=r.code in severity,
                                          enabled=r.enabled and r.code not in disabled) for r in self.rules)
        return Catalogue(rules, self.path)


# ------------------------------------------------------------------------------------------ loading

def _placeholders(text: str) -> set[str]:
    try:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}
    except ValueError as e:
        raise CatalogueError(f"bad message template {text!r}: {e}") from None


def kind_of(rule: Rule):
    """The registered kind class of a rule (:mod:`checks.rules.kinds`)."""
    from checks.rules.kinds import kind
    return kind(rule.kind)


def kinds() -> tuple[str, ...]:
    """Every registered rule kind name."""
    from checks.rules.kinds import names
    return names()


def _messages(code: str, kind: str, message: Any) -> dict:
    from checks.rules.kinds import kind as kind_class

    if not isinstance(message, dict) or set(message) != {"zh", "en"}:
        raise CatalogueError(f"rule {code}: message must have exactly the keys zh and en")
    allowed = kind_class(kind).placeholders
    for lang, m in message.items():
        texts = list(m.values()) if isinstance(m, dict) else [m]
        for t in texts:
            if not isinstance(t, str) or not t:
                raise CatalogueError(f"rule {code}: message.{lang} must be text")
            bad = _placeholders(t) - allowed
            if bad:
                raise CatalogueError(f"rule {code}: message.{lang} uses unknown placeholder(s) "
                                     f"{', '.join(sorted(bad))} (allowed for {kind}: {', '.join(sorted(allowed))})")
    return message


def _parse_rule(d: dict) -> Rule:
    if not isinstance(d, dict):
        raise CatalogueError(f"a rule must be a mapping, not {d!r}")
    code = str(d.get("code", ""))
    if not _CODE.match(code):
        raise CatalogueError(f"rule code {code!r} is not like N-01")
    name = str(d.get("name", ""))
    if not _KEBAB.match(name):
        raise CatalogueError(f"rule {code}: name {name!r} is not kebab-case")
    kind = d.get("kind")
    if kind not in kinds():
        raise CatalogueError(f"rule {code}: unknown kind {kind!r} (known: {', '.join(kinds())})")
    templates = tuple(d.get("templates") or ())
    if not templates or any(t not in T.TEMPLATE_IDS for t in templates):
        raise CatalogueError(f"rule {code}: templates must be a non-empty list of {', '.join(T.TEMPLATE_IDS)}")
    sev = d.get("severity")
    if sev not in SEVERITIES:
        raise CatalogueError(f"rule {code}: severity must be one of {', '.join(SEVERITIES)}")
    unknown = set(d) - {"code", "name", "kind", "templates", "severity", "target", "params", "message",
                        "basis", "soft"}
    if unknown:
        raise CatalogueError(f"rule {code}: unknown key(s) {', '.join(sorted(unknown))}")
    return Rule(code=code, name=name, kind=kind, templates=templates, severity=sev,
                target=dict(d.get("target") or {}), params=dict(d.get("params") or {}),
                message=_messages(code, kind, d.get("message")), basis=str(d.get("basis", "")),
                soft=bool(d.get("soft", False)))


def parse_catalogue(data: dict, path: str = "<catalogue>") -> Catalogue:
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise CatalogueError(f"{path}: expected a mapping with a list `rules`")
    rules = tuple(_parse_rule(d) for d in data["rules"])
    seen: set[str] = set()
    for r in rules:
        for key in (r.code, r.name):
            if key in seen:
                raise CatalogueError(f"{path}: duplicate rule code or name {key!r}")
            seen.add(key)
    cat = Catalogue(rules, path)
    for r in cat.rules:  # resolves every reference against the templates: fails early, naming the rule
        kind_of(r).validate(r)
    return cat


@functools.cache
def load_catalogue(path: str | None = None) -> Catalogue:
    """The catalogue (default: checks/rules/catalogue.yaml), validated."""
    p = Path(path) if path else CATALOGUE_PATH
    data = read_yaml(p, "the rule catalogue", CatalogueError)
    return parse_catalogue(data, str(p))


# ------------------------------------------------------------------------------ template geometry

@dataclass(frozen=True)
class Cell:
    """One cell of a template as the rules see it."""

    item: str
    column: str
    row: str           # row code (full)
    col: str           # column code in its table ('value' for list tables)
    tbl: str           # qualified table id, e.g. v2019.s3, old.main
    section: str       # old: old.s1 … old.s9; v2019/v2021: the qualified table id
    row_label: str     # the row's label (after the variant's relabels), with its group where it needs one
    col_label: str     # the column's label ('' for list tables)
    label: str         # the full official label a reviewer reads
    code: str          # short code: s3.new_received@natural
    label_en: str = ""  # the English label (checks/templates/labels_en.yaml) English messages name it by

    @property
    def key(self) -> tuple[str, str]:
        return self.item, self.column


def _row_display(row: T.Row, label: str) -> str:
    if row.group and re.match(r"^\s*\d", label):
        return f"{row.group.split('/')[-1]} {label}"
    return label


def _section_of(tpl: T.Template, table: T.Table, row_code: str) -> str:
    if table.layout == "list":
        parts = row_code.split(".")
        return ".".join(parts[:2])
    return f"{tpl.id}.{table.id}"


class Geometry:
    """Cells, labels, sections and structure of one template in one local variant ('' = the national form)."""

    def __init__(self, tpl: T.Template, variant: str = ""):
        self.tpl, self.variant = tpl, variant
        self.drop = tpl.variant(variant).drop if variant else frozenset()
        relabel = tpl.variant(variant).labels if variant else {}
        self.row_label = {r.code: relabel.get(r.code, r.label) for t in tpl.tables for r in t.rows}
        self.tables = {t.id: t for t in tpl.tables}
        self.row_table = {r.code: t for t in tpl.tables for r in t.rows}
        self.rows = {r.code: r for t in tpl.tables for r in t.rows}

    def short(self, code: str) -> str:
        return code[len(self.tpl.id) + 1:] if code.startswith(self.tpl.id + ".") else code

    def full(self, ref: str) -> str:
        return ref if ref.startswith(self.tpl.id + ".") else f"{self.tpl.id}.{ref}"

    def cell(self, row_code: str, col_code: str | None = None) -> Cell:
        table = self.row_table[row_code]
        row = self.rows[row_code]
        rl = _row_display(row, self.row_label[row_code])
        tbl, section = f"{self.tpl.id}.{table.id}", _section_of(self.tpl, table, row_code)
        col = None
        if table.layout != "list" and col_code is not None:
            col = next((c for c in table.columns if c.code == col_code), None)
            if col is None:
                raise KeyError(f"{row_code}@{col_code}: table {table.id} has no column {col_code!r}")
        item, column = T.cell_key(table.layout, row_code, col_code)
        code = self.short(T.cell_code(item, column))
        if col is None:
            return Cell(item, column, row_code, T.VALUE, tbl, section, rl, "", rl, code, T.row_label_en(row_code))
        group = col.group.split("/")[-1] if col.group else ""
        if table.layout == "grid":
            head = table.title if table.id.startswith("s2.") else ""
            full = " ".join(p for p in (head, rl, group, col.label) if p)
            col_label = f"{group}{col.label}"
        else:
            full, col_label = f"{rl} / {col.label}", col.label
        return Cell(item, column, row_code, col.code, tbl, section, rl, col_label, full, code,
                    T.cell_label_en(row_code, col.code))

    def match_rows(self, ref: str, table: T.Table | None = None) -> list[str]:
        """Row codes a (relative, possibly globbed) row ref names, in template order (headings excluded for globs)."""
        full = self.full(ref)
        pool = table.rows if table is not None else [r for t in self.tpl.tables for r in t.rows]
        if any(ch in full for ch in "*?["):
            out = [r.code for r in pool if fnmatch.fnmatchcase(r.code, full) and not r.heading]
        else:
            out = [r.code for r in pool if r.code == full]
        if not out:
            raise KeyError(f"no row matches {ref!r} in template {self.tpl.id}")
        return out

    def table_for(self, target: dict, refs: Iterable[str]) -> T.Table:
        if target.get("table"):
            try:
                return self.tpl.table(target["table"])
            except KeyError:
                raise KeyError(f"template {self.tpl.id} has no table {target['table']!r}") from None
        for ref in refs:
            row = ref.split("@")[0]
            if row:
                return self.row_table[self.match_rows(row)[0]]
        return self.tpl.tables[0]

    def section_label(self, section: str) -> str:
        for t in self.tpl.tables:
            if f"{self.tpl.id}.{t.id}" == section:
                return self.table_label(t)
        if section in self.rows and self.row_label[section]:
            return self.row_label[section]
        rows = [r for r in self.rows.values() if r.code.startswith(section + ".")]
        return self.row_label[rows[0].code] if rows else section

    def table_label(self, table: T.Table) -> str:
        if table.layout == "list":
            return table.title
        if table.id.startswith("s2."):
            return f"{table.section} {table.title}".strip()
        return table.section or table.title

    def cells(self) -> list[tuple[Cell, T.Row, T.Column | None, T.CellSpec]]:
        """Every cell of this variant (``Template.cells_for``), with its row, column and template spec."""
        out = []
        for spec in self.tpl.cells_for(self.variant or None):
            table = self.tables[spec.table]
            row = table.rows[spec.row_index]
            col = None if table.layout == "list" else table.columns[spec.col_index]
            out.append((self.cell(row.code, col.code if col else None), row, col, spec))
        return out


@functools.cache
def geometry(template_id: str, variant: str = "") -> Geometry:
    return Geometry(T.load(template_id), variant)


def variants_of(template_id: str) -> list[str]:
    return ["", *T.load(template_id).variants]


# ------------------------------------------------------------------------------------- instances

LONG_SUM = 6
"""A side with more terms is named by its first and last label; its values list only the cells holding a number ≠ 0."""


@dataclass(frozen=True)
class Term:
    side: str          # lhs | rhs
    pos: int
    cell: Cell
    coef: float = 1.0
    anchor: bool = False
    label_zh: str = ""  # how the term is named in this instance's message
    label_en: str = ""


@dataclass(frozen=True)
class Instance:
    code: str
    template: str
    variant: str
    anchor: Cell
    terms: tuple[Term, ...]
    where_zh: str
    where_en: str
    msg_zh: str          # static placeholders filled; {op} {lhs_values} {rhs_values} left for SQL
    msg_en: str
    iid: int = 0

    @property
    def lhs(self) -> list[Term]:
        return [t for t in self.terms if t.side == "lhs"]

    @property
    def rhs(self) -> list[Term]:
        return [t for t in self.terms if t.side == "rhs"]


def _resolve(g: Geometry, table: T.Table, ref: str, row: str | None, col: str | None) -> list[Cell]:
    """Cells a ref names in the current expansion context (row for per-row, col for per-column)."""
    ref = str(ref)
    rpart, _, cpart = ref.partition("@")
    if not rpart:
        if row is None:
            raise KeyError(f"{ref!r}: '@column' refs need per: row")
        return [g.cell(row, cpart)]
    rows = g.match_rows(rpart, None)
    if cpart:
        return [g.cell(r, cpart) for r in rows]
    if g.row_table[rows[0]].layout == "list":
        return [g.cell(r) for r in rows]
    if col is None:
        raise KeyError(f"{ref!r}: a matrix/grid row ref needs a column (row@column, or per: column)")
    return [g.cell(r, col) for r in rows]


def _labels(g: Geometry, cells: list[Cell], per: str | None) -> tuple[list[str], list[str], str, str]:
    """Term labels (zh, en) and the {where} text, chosen so the message stays short but exact."""
    cols = {c.col for c in cells}
    rows = {c.row for c in cells}
    table = g.row_table[cells[0].row]
    if table.layout != "list" and len(cols) == 1 and len(rows) > 1 or (per == "column" and len(cols) == 1
                                                                         and table.layout == "matrix"):
        col = next(iter(cols))
        cl = next(c.col_label for c in cells)
        return ([c.row_label for c in cells], [T.row_label_en(c.row) for c in cells],
                M.word("zh", "where_column", label=cl), M.word("en", "where_column", label=T.col_label_en(col)))
    if table.layout != "list" and len(rows) == 1:
        row = next(iter(rows))
        rl = g.row_label[row]
        if table.layout == "grid":
            col_objs = {c.code: c for c in table.columns}
            groups = {col_objs[c.col].group for c in cells}
            where = rl or "/".join(p for p in groups if p)
            labels = [col_objs[c.col].label for c in cells]
            where_zh = M.word("zh", "where_row", label=where) if where else ""
            return (labels, [T.col_label_en(c.col) for c in cells], where_zh,
                    M.word("en", "where_row", label=T.row_label_en(row)))
        return ([c.col_label for c in cells], [T.col_label_en(c.col) for c in cells],
                M.word("zh", "where_row", label=_row_display(g.rows[row], rl)),
                M.word("en", "where_row", label=T.row_label_en(row)))
    return [c.label for c in cells], [c.label_en for c in cells], "", ""


def _join(labels: list[str], lang: str) -> str:
    return M.join_terms(labels, lang, LONG_SUM)


def expand_rule(rule: Rule, tpl: T.Template, variant: str) -> list[Instance]:
    """The instances of one comparison rule for one template and variant ('' = the national form)."""
    if tpl.id not in rule.templates or rule.family != "comparison":
        return []
    g = geometry(tpl.id, variant)
    tg = rule.target
    per = tg.get("per")
    refs = [*tg.get("lhs", []), *tg.get("rhs", [])]
    if tg.get("sum_of"):
        refs = [tg["sum_of"]]
    if tg.get("includes"):
        refs = [tg["includes"]]
    try:
        table = g.table_for(tg, refs)
        plans: list[tuple[list[Cell], list[Cell]]] = []
        if tg.get("sum_of"):
            ref = str(tg["sum_of"])
            if ref.startswith("@"):  # a column that sums other columns, in every row
                colobj = next((c for c in table.columns if c.code == ref[1:]), None)
                if colobj is None or not colobj.sum_of:
                    raise KeyError(f"column {ref[1:]!r} of table {table.id} declares no sum_of")
                per = per or "row"
                for row in table.rows:
                    if row.heading:
                        continue
                    plans.append(([g.cell(row.code, colobj.code)], [g.cell(row.code, c) for c in colobj.sum_of]))
            else:
                parent = g.match_rows(ref)[0]
                prow = g.rows[parent]
                if not prow.sum_of:
                    raise KeyError(f"row {ref!r} declares no sum_of in template {tpl.id}")
                cols = [c.code for c in table.columns] if table.layout == "matrix" else [None]
                for col in cols:
                    plans.append(([g.cell(parent, col)], [g.cell(ch, col) for ch in prow.sum_of]))
        elif tg.get("includes"):
            parent = g.match_rows(str(tg["includes"]))[0]
            prow = g.rows[parent]
            if not prow.includes:
                raise KeyError(f"row {tg['includes']!r} declares no includes in template {tpl.id}")
            cols = [c.code for c in table.columns] if table.layout == "matrix" else [None]
            for col in cols:
                for ch in prow.includes:
                    plans.append(([g.cell(ch, col)], [g.cell(parent, col)]))
        else:
            lhs_refs, rhs_refs = list(tg.get("lhs", [])), list(tg.get("rhs", []))
            if not lhs_refs or not rhs_refs:
                raise KeyError("target needs lhs and rhs (or sum_of / includes)")
            if per == "column":
                contexts = [(None, c.code) for c in table.columns]
            elif per == "row":
                contexts = [(r.code, None) for r in table.rows if not r.heading]
            else:
                contexts = [(None, None)]
            for row, col in contexts:
                lhs = [c for ref in lhs_refs for c in _resolve(g, table, ref, row, col)]
                rhs = [c for ref in rhs_refs for c in _resolve(g, table, ref, row, col)]
                if per == "term":
                    plans.extend(([c], rhs) for c in lhs)
                else:
                    plans.append((lhs, rhs))
        anchor_ref = tg.get("anchor")
    except KeyError as e:
        raise CatalogueError(f"rule {rule.code} ({tpl.id}): {e.args[0]}") from None

    out = []
    for lhs, rhs in plans:
        lhs = [c for c in lhs if c.row not in g.drop]
        rhs = [c for c in rhs if c.row not in g.drop]
        if not lhs or not rhs:
            continue
        cells = lhs + rhs
        if anchor_ref:
            cand = [c for c in cells if c.row == g.full(anchor_ref)]
            anchor = cand[0] if cand else lhs[0]
        else:
            anchor = lhs[0]
        lab_zh, lab_en, where_zh, where_en = _labels(g, cells, per)
        n = len(lhs)
        static_zh = {"lhs": _join(lab_zh[:n], "zh"), "rhs": _join(lab_zh[n:], "zh"), "where": where_zh}
        static_en = {"lhs": _join(lab_en[:n], "en"), "rhs": _join(lab_en[n:], "en"), "where": where_en}
        terms = tuple(Term("lhs", i, c, 1.0, c == anchor, lab_zh[i], lab_en[i]) for i, c in enumerate(lhs)) + \
            tuple(Term("rhs", i, c, 1.0, c == anchor and c not in lhs, lab_zh[n + i], lab_en[n + i])
                  for i, c in enumerate(rhs))
        out.append(Instance(rule.code, tpl.id, variant, anchor, terms, where_zh, where_en,
                            M.fill(rule.message["zh"], static_zh), M.fill(rule.message["en"], static_en)))
    return out


def expand(catalogue: Catalogue, rules: Iterable[Rule] | None = None) -> list[Instance]:
    """Every instance of the (enabled, comparison) rules, numbered 1… in catalogue order."""
    chosen = list(rules) if rules is not None else catalogue.enabled("comparison")
    out: list[Instance] = []
    for rule in chosen:
        if rule.family != "comparison":
            continue
        for tid in rule.templates:
            for v in variants_of(tid):
                out.extend(expand_rule(rule, T.load(tid), v))
    return [dataclasses.replace(inst, iid=i) for i, inst in enumerate(out, start=1)]


def terms_frame(instances: list[Instance]) -> pd.DataFrame:
    """The terms table SQL joins with the cells: one row per (instance, side, term)."""
    rows = [{"instance_id": inst.iid, "code": inst.code, "template": inst.template, "variant": inst.variant,
             "side": t.side, "pos": t.pos, "item": t.cell.item, "column": t.cell.column, "coefficient": t.coef,
             "tbl": t.cell.tbl, "section": t.cell.section, "anchor": t.anchor}
            for inst in instances for t in inst.terms]
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------- per-cell targets

def domain_text(money: bool, signed: bool) -> tuple[str, str]:
    if money:
        return "非负数（万元，可有小数）", "a non-negative amount in 万元"
    if signed:
        return "整数（可为负）", "an integer (may be negative)"
    return "非负整数", "a non-negative integer"


def cell_targets(rule: Rule, tpl: T.Template, variant: str) -> list[tuple[Cell, T.Row, T.Column | None, T.CellSpec]]:
    """The cells a per-cell rule looks at in one template/variant."""
    if tpl.id not in rule.templates:
        return []
    g = geometry(tpl.id, variant)
    sel = rule.target.get("cells", "all")
    allc = g.cells()
    if rule.kind == "heading-has-value" or sel == "headings":
        return [x for x in allc if x[1].heading]
    if sel == "all":
        return [x for x in allc if not x[1].heading]
    if not isinstance(sel, list):
        raise CatalogueError(f"rule {rule.code}: target.cells must be all, headings or a list of refs")
    out = []
    index = {x[0].key: x for x in allc}
    for ref in sel:
        try:
            rpart, _, cpart = str(ref).partition("@")
            for row in g.match_rows(rpart):
                if row in g.drop:
                    continue
                c = g.cell(row, cpart or None)
                out.append(index[c.key])
        except KeyError as e:
            raise CatalogueError(f"rule {rule.code} ({tpl.id}): {e.args[0]}") from None
    return out


@functools.cache
def spec_frame() -> pd.DataFrame:
    """(Cached: do not modify.) :func:`checks.templates.spec_frame` with what the rules add to each cell:
    its qualified table and section, and the labels and value domain messages name it by."""
    base = T.spec_frame()
    rows = []
    for t, v, row_code, col_code, money, signed in zip(base["template"], base["variant"], base["row_code"],
                                                         base["col_code"], base["money"], base["signed"]):
        g = geometry(t, v)
        cell = g.cell(row_code, col_code or None)
        dz, de = domain_text(money, signed)
        rows.append({"tbl": cell.tbl, "section": cell.section, "label": cell.label, "label_en": cell.label_en,
                     "domain": dz, "domain_en": de, "row_label": g.row_label[row_code] or cell.label,
                     "section_label": g.section_label(cell.section),
                     "tbl_label": g.table_label(g.row_table[row_code]),
                     "section_label_en": _section_en(t, cell.section), "row_label_en": T.row_label_en(row_code), "tbl_label_en": T.table_label_en(cell.tbl)})
    extra = pd.DataFrame(rows, index=base.index)
    return pd.concat([base[["template", "variant", "item", "column", "row_code", "heading", "money", "signed"]],
                      extra], axis=1)


def _section_en(template: str, section: str) -> str:
    """English label of a section: its table's for v2019/v2021, the section row's for old (old.s4)."""
    if template != "old":
        return T.table_label_en(section)
    rows = T._english()["rows"]
    short = T._short(section)
    return rows.get(short) or next((v for k, v in rows.items() if k.startswith(short + ".")), short)


@functools.cache
def parent_pairs() -> pd.DataFrame:
    """(Cached: do not modify.) (parent, child) cell pairs of every sum_of / includes in every template and variant (for L-02)."""
    rows = []
    for tpl in T.all_templates():
        for v in variants_of(tpl.id):
            g = geometry(tpl.id, v)
            for table in tpl.tables:
                def add(parent: Cell, kids: list[Cell], relation: str):
                    if parent.row in g.drop:
                        return
                    for i, k in enumerate(c for c in kids if c.row not in g.drop):
                        rows.append({"template": tpl.id, "variant": v, "p_item": parent.item,
                                     "p_column": parent.column, "c_item": k.item, "c_column": k.column,
                                     "relation": relation, "pos": i, "label": parent.label,
                                     "label_en": parent.label_en, "child_label": k.label, "child_code": k.label_en,
                                     "tbl": parent.tbl, "section": parent.section})
                cols = [c.code for c in table.columns] if table.layout == "matrix" else [None]
                for row in table.rows:
                    for rel in ("sum_of", "includes"):
                        kids = getattr(row, rel)
                        if kids:
                            for col in cols:
                                add(g.cell(row.code, col), [g.cell(k, col) for k in kids], rel)
                    for col in table.columns:
                        if col.sum_of and not row.heading:
                            add(g.cell(row.code, col.code), [g.cell(row.code, k) for k in col.sum_of], "sum_of")
    return pd.DataFrame(rows)
