"""The official statistical tables, as data.

Each national template (``old``, ``v2019``, ``v2021``; domain.md §2–§4) is one YAML file in this
folder. A template is a list of tables; a table has rows and, for grids and matrices, columns.
Every fillable place of a table is a :class:`CellSpec` with the stable pair of codes that names it
in our output:

* ``list`` tables (the ``old`` form, ``label | 单位 | 统计数``): item = the row code, column ``value``;
* ``grid`` tables (v2019/v2021 section 二 and 四): item = ``<row code>.<column code>``, column ``value``;
* ``matrix`` tables (v2019/v2021 section 三): item = the row code, column = the column code.

So ``v2021.s3.result.withheld.state_secret@natural`` is item ``v2021.s3.result.withheld.state_secret``,
column ``natural``; ``v2019.s4.review.upheld`` is item ``v2019.s4.review.upheld``, column ``value``.

Templates also carry the form's own structure, which the rule catalogue and the extractor use:
``sum_of`` (a 总计 equals the sum of these) and ``includes`` (其中: these are parts of it), units,
which cells hold money (万元, decimals) and which may be negative (v2019 ``本年增/减``). A template
may have local *variants* (seed 003's 宁波 form) that drop rows and relabel others.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from checks.errors import yaml_loader

HERE = Path(__file__).parent
TEMPLATE_IDS = ("old", "v2019", "v2021")
VALUE = "value"
"""Column code of tables that have one value per row (and of grid cells)."""


LAYOUTS = ("list", "grid", "matrix")


def cell_key(layout: str, row_code: str, col_code: str | None = None) -> tuple[str, str]:
    """The (item, column) codes of the cell at a row and column of a table with this layout.

    The one place that says how cell codes are formed (domain.md §2–§4):

    >>> cell_key("list", "old.s1.proactive.total")
    ('old.s1.proactive.total', 'value')
    >>> cell_key("grid", "v2019.s4.review", "upheld")
    ('v2019.s4.review.upheld', 'value')
    >>> cell_key("matrix", "v2021.s3.result.withheld.state_secret", "natural")
    ('v2021.s3.result.withheld.state_secret', 'natural')

    Raises ``KeyError`` for a list table given a column or a grid/matrix table given none.
    """
    if layout == "list":
        if col_code not in (None, VALUE):
            raise KeyError(f"{row_code}@{col_code}: list tables have one value per row")
        return row_code, VALUE
    if layout not in LAYOUTS:
        raise KeyError(f"unknown table layout {layout!r} (known: {', '.join(LAYOUTS)})")
    if not col_code:
        raise KeyError(f"{row_code}: a {layout} row needs a column")
    return (f"{row_code}.{col_code}", VALUE) if layout == "grid" else (row_code, col_code)


def cell_code(item: str, column: str | None = VALUE) -> str:
    """The written code of a cell: ``item`` for column ``value`` (or none), else ``item@column``."""
    return item if column in (None, "", VALUE) else f"{item}@{column}"


def parse_code(code: str) -> tuple[str, str]:
    """``item@column`` or ``item`` → (item, column); the inverse of :func:`cell_code`.

    >>> parse_code("v2021.s3.result.withheld.state_secret@natural")
    ('v2021.s3.result.withheld.state_secret', 'natural')
    >>> parse_code("old.s1.proactive.total")
    ('old.s1.proactive.total', 'value')
    """
    item, _, column = str(code).partition("@")
    return item, column or VALUE


@dataclass(frozen=True)
class Column:
    code: str
    label: str
    unit: str = ""
    group: str = ""
    money: bool = False
    signed: bool = False
    variants: tuple[str, ...] = ()
    sum_of: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Row:
    code: str
    label: str
    unit: str = ""
    group: str = ""
    heading: bool = False
    money: bool = False
    variants: tuple[str, ...] = ()
    sum_of: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Table:
    id: str
    title: str
    layout: str
    rows: tuple[Row, ...]
    columns: tuple[Column, ...] = ()
    section: str = ""
    corner: str = ""
    header: str = ""
    value_label: str = ""

    def row(self, code: str) -> Row:
        for r in self.rows:
            if r.code == code:
                return r
        raise KeyError(code)


@dataclass(frozen=True)
class CellSpec:
    """One fillable cell of a template: its codes, labels, unit and place in the table."""

    item: str
    column: str
    template: str
    table: str
    row_index: int
    col_index: int
    row_label: str
    col_label: str
    unit: str
    money: bool
    signed: bool
    heading: bool
    row_code: str = ""
    col_code: str = ""     # '' in list tables

    @property
    def code(self) -> str:
        """The full public code, ``item`` or ``item@column``."""
        return cell_code(self.item, self.column)

    @property
    def label(self) -> str:
        """The official label a reviewer reads, e.g. ``（一）予以公开 / 自然人``."""
        parts = [p for p in (self.row_label, self.col_label) if p]
        return " / ".join(parts)


@dataclass(frozen=True)
class Variant:
    id: str
    description: str
    drop: frozenset[str]
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Template:
    id: str
    name: str
    basis: str
    years: tuple[int | None, int | None]
    markers: tuple[str, ...]
    tables: tuple[Table, ...]
    variants: dict[str, Variant]

    @functools.cached_property
    def cells(self) -> tuple[CellSpec, ...]:
        """Every cell of the full form, in reading order (table by table, row by row)."""
        out: list[CellSpec] = []
        for table in self.tables:
            for ri, row in enumerate(table.rows):
                if table.layout == "list":
                    out.append(CellSpec(*cell_key(table.layout, row.code), self.id, table.id, ri, 0, row.label, "",
                                        row.unit, row.money, False, row.heading, row.code))
                    continue
                for ci, col in enumerate(table.columns):
                    out.append(CellSpec(*cell_key(table.layout, row.code, col.code), self.id, table.id, ri, ci,
                                        row.label, col.label, col.unit or row.unit, col.money or row.money,
                                        col.signed, row.heading, row.code, col.code))
        return tuple(out)

    @functools.cached_property
    def cell_index(self) -> dict[tuple[str, str], CellSpec]:
        return {(c.item, c.column): c for c in self.cells}

    def cells_for(self, variant: str | None = None) -> tuple[CellSpec, ...]:
        """The cells a report of this template (and local variant) is expected to fill."""
        if not variant:
            return self.cells
        drop = self.variant(variant).drop
        return tuple(c for c in self.cells if c.item not in drop)

    def variant(self, name: str) -> Variant:
        try:
            return self.variants[name]
        except KeyError:
            raise KeyError(f"template {self.id} has no variant {name!r} "
                           f"(known: {', '.join(self.variants) or 'none'})") from None

    def row_labels(self, variant: str | None = None) -> dict[str, list[str]]:
        """Row code → the labels it may carry (official first, then variants), after a variant's relabels."""
        relabel = self.variant(variant).labels if variant else {}
        out: dict[str, list[str]] = {}
        for table in self.tables:
            for row in table.rows:
                labels = [relabel.get(row.code, row.label), row.label, *row.variants]
                out[row.code] = list(dict.fromkeys(labels))
        return out

    def table(self, table_id: str) -> Table:
        for t in self.tables:
            if t.id == table_id:
                return t
        raise KeyError(table_id)


def _tuple(v) -> tuple:
    return tuple(v or ())


def _parse(data: dict) -> Template:
    tables = []
    for t in data["tables"]:
        rows = tuple(Row(code=r["code"], label=r.get("label", ""), unit=r.get("unit", ""),
                         group=r.get("group", ""), heading=bool(r.get("heading")),
                         money=bool(r.get("money")), variants=_tuple(r.get("variants")),
                         sum_of=_tuple(r.get("sum_of")), includes=_tuple(r.get("includes")),
                         note=r.get("note", "")) for r in t["rows"])
        cols = tuple(Column(code=c["code"], label=c["label"], unit=c.get("unit", ""), group=c.get("group", ""),
                            money=bool(c.get("money")), signed=bool(c.get("signed")),
                            variants=_tuple(c.get("variants")), sum_of=_tuple(c.get("sum_of")),
                            note=c.get("note", "")) for c in t.get("columns", ()))
        tables.append(Table(id=t["id"], title=t.get("title", ""), layout=t["layout"], rows=rows, columns=cols,
                            section=t.get("section", ""), corner=t.get("corner", ""), header=t.get("header", ""),
                            value_label=t.get("value_label", "")))
    variants = {name: Variant(name, v.get("description", ""), frozenset(v.get("drop", ())), dict(v.get("labels", {})))
                for name, v in (data.get("variants") or {}).items()}
    years = tuple(data.get("years") or (None, None))
    return Template(id=data["id"], name=data["name"], basis=data.get("basis", ""), years=years,
                    markers=_tuple(data.get("markers")), tables=tuple(tables), variants=variants)


@functools.cache
def load(template_id: str) -> Template:
    """The template with this id (``old``, ``v2019`` or ``v2021``)."""
    if template_id not in TEMPLATE_IDS:
        raise KeyError(f"unknown template {template_id!r} (known: {', '.join(TEMPLATE_IDS)})")
    with open(HERE / f"{template_id}.yaml", encoding="utf-8") as f:
        return _parse(yaml.load(f, Loader=yaml_loader()))


def all_templates() -> list[Template]:
    """The three national templates, in :data:`TEMPLATE_IDS` order."""
    return [load(t) for t in TEMPLATE_IDS]


SPEC_COLUMNS = ("template", "variant", "item", "column", "code", "table", "layout", "row_code", "col_code",
                "row_index", "col_index", "row_label", "col_label", "unit", "money", "signed", "heading")
"""Columns of :func:`spec_frame`."""


@functools.cache
def spec_frame():
    """(Cached: do not modify.) The per-cell spec frame: one row per cell of every template and local variant.

    ``variant`` is ``''`` for the national form; a variant's rows are its template's minus the rows
    it drops, with its relabels in ``row_label``. Columns: :data:`SPEC_COLUMNS`. This is the one
    table of "which cells exist and what they hold" that the load contract, the rules, the
    extractor and the generator share.
    """
    import pandas as pd

    rows = []
    for tpl in all_templates():
        for variant in ("", *tpl.variants):
            relabel = tpl.variant(variant).labels if variant else {}
            layouts = {t.id: t.layout for t in tpl.tables}
            for c in tpl.cells_for(variant or None):
                rows.append((tpl.id, variant, c.item, c.column, c.code, c.table, layouts[c.table], c.row_code,
                             c.col_code, c.row_index, c.col_index, relabel.get(c.row_code, c.row_label),
                             c.col_label, c.unit, c.money, c.signed, c.heading))
    return pd.DataFrame(rows, columns=list(SPEC_COLUMNS))


_NUMBERING = re.compile(
    r"^\s*(?:[（(][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+[、.．]|\d+\s*[、.．]|[（(]\d+[)）])\s*")
_PUNCT = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "〔": "(", "〕": ")", "【": "(", "】": ")",
                        "—": "-", "–": "-", "－": "-"})


def normalize_label(text: str, *, strip_numbering: bool = True) -> str:
    """A label reduced for matching: NFKC (full-width → half-width), no spaces, no leading numbering.

    >>> normalize_label("（一）主动公开政府信息数 （不同渠道…）")
    '主动公开政府信息数(不同渠道...)'
    """
    s = unicodedata.normalize("NFKC", text or "").translate(_PUNCT)
    s = re.sub(r"\s+", "", s)
    if strip_numbering:
        s = _NUMBERING.sub("", s, count=1)
        s = re.sub(r"^其中[:：]", "", s)
    return s


@functools.cache
def _english() -> dict:
    with open(HERE / "labels_en.yaml", encoding="utf-8") as f:
        return yaml.load(f, Loader=yaml_loader())


def _short(code: str) -> str:
    head, _, rest = code.partition(".")
    return rest if head in TEMPLATE_IDS else code


def row_label_en(row_code: str) -> str:
    """The English label of a row (``labels_en.yaml``), e.g. ``v2019.s3.new_received`` →
    ``I. New applications this year``; the short code when none is recorded."""
    return _english()["rows"].get(_short(row_code), _short(row_code))


def col_label_en(col_code: str | None) -> str:
    """The English label of a column (``''`` for ``value``); the code when none is recorded."""
    if not col_code or col_code == VALUE:
        return ""
    return _english()["columns"].get(col_code, col_code)


def table_label_en(table_id: str) -> str:
    """The English title of a table (``s3``, ``main``, qualified ``v2019.s3`` too)."""
    return _english()["tables"].get(_short(table_id), _short(table_id))


def cell_label_en(row_code: str, col_code: str | None = None) -> str:
    """A cell's English label: its row's, then its column's after `` / `` (none for ``value``)."""
    return " / ".join(p for p in (row_label_en(row_code), col_label_en(col_code)) if p)
