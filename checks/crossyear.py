"""Across years: series of comparable items (checks/templates/series.yaml) per stable agency id.

* :func:`load_series` — the series mapping (data): which cells of each template sum to a series'
  value, so a series continues across the 2019 and 2021 format changes where the meaning allows.
* :func:`base_ctes` — the SQL every cross-year rule starts from: ``amap`` (names → stable id,
  :mod:`checks.agencies`), ``yr`` (one current report per agency id and year), ``mem`` (series
  members) and ``sv`` (one row per agency id × year × series: the value, NULL when every member
  cell is blank — blank is not zero).
* :func:`history` — one agency's series by year (``gongkai history``).

Pure SQL text except :func:`history`, which reads a warehouse connection.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from checks import templates as T
from checks.errors import UserError, read_yaml

SERIES_PATH = Path(__file__).resolve().parent / "templates" / "series.yaml"


class SeriesError(UserError):
    """The series mapping is invalid (exit code 3)."""


@dataclass(frozen=True)
class Series:
    id: str
    label: str
    label_en: str
    members: tuple[tuple[str, str, str], ...]   # (template, item, column)

    def templates(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for t, _, _ in self.members))


@functools.cache
def load_series(path: str | None = None) -> tuple[Series, ...]:
    """The series of ``series.yaml`` with every member resolved to cells of its template."""
    import fnmatch

    p = Path(path) if path else SERIES_PATH
    data = read_yaml(p, "the series mapping", SeriesError)
    spec = T.spec_frame()
    spec = spec[(spec["variant"] == "") & ~spec["heading"]]
    cells = {t: list(zip(g["item"], g["column"])) for t, g in spec.groupby("template")}
    out = []
    for d in data.get("series") or []:
        members = []
        for tid in T.TEMPLATE_IDS:
            for ref in d.get(tid) or []:
                item, _, col = str(ref).partition("@")
                pat, col = f"{tid}.{item}", col or "value"
                hit = [(tid, i, c) for i, c in cells[tid] if c == col and fnmatch.fnmatchcase(i, pat)]
                if not hit:
                    raise SeriesError(f"{p}: series {d.get('id')}: {ref!r} names no cell of template {tid}")
                members += hit
        if not d.get("id") or not members:
            raise SeriesError(f"{p}: a series needs an id and at least one member ({d!r})")
        out.append(Series(str(d["id"]), str(d.get("label", d["id"])), str(d.get("label_en", d["id"])),
                          tuple(members)))
    return tuple(out)


def series_by_id(sid: str) -> Series:
    for s in load_series():
        if s.id == sid:
            return s
    raise SeriesError(f"unknown series {sid!r} (known: {', '.join(s.id for s in load_series())})")


MEM_COLS = [("series", "VARCHAR"), ("template", "VARCHAR"), ("item", "VARCHAR"), ("column", "VARCHAR"),
            ("label", "VARCHAR"), ("label_en", "VARCHAR"), ("sno", "INTEGER")]
WANT_COLS = [("wid", "INTEGER"), ("item", "VARCHAR"), ("column", "VARCHAR")]
COLS7 = ("natural", "commercial", "research", "social", "legal", "other", "total")


def member_rows() -> list[tuple]:
    return [(s.id, t, i, c, s.label, s.label_en, n) for n, s in enumerate(load_series(), 1) for t, i, c in s.members]


@functools.cache
def want_rows() -> tuple[tuple[int, str, str], ...]:
    """(wid, item, column) of every cell a cross-year rule reads: the series members, the carry-over
    rows of v2019/v2021 (every column) and their section 二 cells; ``wid`` is a small integer key."""
    cells = {(r[2], r[3]) for r in member_rows()}
    spec = T.spec_frame()
    for t in ("v2019", "v2021"):
        cells |= {(f"{t}.s3.{row}", c) for row in ("carried_over", "carry_forward") for c in COLS7}
        s2 = spec[(spec["template"] == t) & (spec["variant"] == "") & spec["item"].str.startswith(f"{t}.s2.")]
        cells |= set(zip(s2["item"], s2["column"]))
    return tuple((i, item, col) for i, (item, col) in enumerate(sorted(cells), start=1))


def wid(item: str, column: str) -> int:
    """The integer key of a cell a cross-year rule reads (:func:`want_rows`)."""
    return {(i, c): w for w, i, c in want_rows()}[(item, column)]


YR_SQL = """yr AS (
  SELECT *, dense_rank() OVER (ORDER BY xid) AS xno,
         CASE WHEN level IS NOT NULL AND reg_region IS NOT NULL THEN dense_rank() OVER (ORDER BY level, reg_region) END AS gno
  FROM (SELECT r.report_id, r.agency, a.xid, r.year, r.template, r.variant, r.source_file, a.reg_region, a.level
        FROM reps r JOIN current_reports cr ON cr.report_id = r.report_id
        JOIN amap a ON {on}
        QUALIFY row_number() OVER (PARTITION BY a.xid, r.year ORDER BY r.report_id DESC) = 1))"""
"""One current report per stable agency id and year; ``xno`` and ``gno`` (peer group: level and
region) are integer keys for the window and group-by passes."""

XC_SQL = """xc AS (
  SELECT c.report_id, w.wid, c.value FROM cells c JOIN want w ON w.item = c.item AND w."column" = c."column"
  WHERE c.item IN ({items}) AND c.report_id IN (SELECT report_id FROM yr))"""
"""The cells the cross-year rules read, of the current reports, keyed by ``wid``: one filtered scan
of ``cells`` (a literal IN list filters the scan itself), shared by every cross-year rule of a run."""

SM_SQL = """sm AS (SELECT DISTINCT sno, series, label, label_en FROM mem)"""
"""Series meta: number, id and labels."""

SV_SQL = """svc AS (
  SELECT c.report_id, m.sno, sum(c.value) AS value, count(c.value) AS n_num
  FROM xc c JOIN (SELECT m.sno, w.wid FROM mem m JOIN want w ON w.item = m.item AND w."column" = m."column") m
       ON m.wid = c.wid
  GROUP BY c.report_id, m.sno),
sv AS MATERIALIZED (
  SELECT y.xno, y.gno, y.year, y.template, y.report_id, m.sno, c.value, coalesce(c.n_num, 0) AS n_num
  FROM yr y JOIN (SELECT DISTINCT sno, template FROM mem) m ON m.template = y.template
  LEFT JOIN svc c ON c.report_id = y.report_id AND c.sno = m.sno)"""
"""Series values, narrow (integers and the value: windows sort these rows): one row per agency × year
× series of the year's template; a series whose members are all blank is NULL (``n_num`` = 0)."""


SHARED = ("amap", "yr", "want", "xc", "sm", "sv")


def base_ctes(b, series: bool = True) -> list[str]:
    """prelude (reps, specs, cx) + amap, yr, want, xc, sm, sv for a rule query. The cross-year rules
    read ``cells`` directly, filtered by item (never the per-run ``cx``), so they cost the same inside
    a check run and on their own.

    With a connection (a check run), these are made once per builder as temp tables (dropped with
    the builder's other temp tables) and every cross-year rule reads them."""
    from checks.agencies import join_amap, map_ctes

    if b.con is not None and getattr(b, "_xy_done", False):
        # made once per builder: the inline tables (registry, members, wanted cells) are not made again
        return b.prelude(set()) + [f"{n} AS (SELECT * FROM gk_xy_{n})" for n in SHARED]
    mem = b.table("mem", MEM_COLS, member_rows())
    items = ", ".join(sorted({f"'{i}'" for _w, i, _c in want_rows()}))
    steps = [("amap", map_ctes(b.table)), ("yr", [YR_SQL.format(on=join_amap("cr", "a"))]),
             ("want", [b.table("want", WANT_COLS, want_rows())]), ("xc", [XC_SQL.format(items=items)]),
             ("sm", [mem, SM_SQL]), ("sv", [mem, SV_SQL])]
    if b.con is None:
        full: list[str] = b.prelude(set())
        for _, cs in steps:
            full += [c for c in cs if c not in full]
        return full
    if not getattr(b, "_xy_done", False):
        done: list[str] = []
        for name, cs in steps:       # each made from the ones before it
            b.con.execute(f"CREATE OR REPLACE TEMP TABLE gk_xy_{name} AS "
                          + b.wrap(b.prelude(set()) + done + cs, f"SELECT * FROM {name}"))
            b._temp.append(f"gk_xy_{name}")
            done.append(f"{name} AS (SELECT * FROM gk_xy_{name})")
        b._xy_done = True
    return b.prelude(set()) + [f"{n} AS (SELECT * FROM gk_xy_{n})" for n in SHARED]


def shared_cte(b, name: str, body: str, deps: list[str]) -> str:
    """``name AS (body)``; with a connection, ``body`` (over the CTEs ``deps``) is made once as a temp table."""
    if b.con is None:
        return f"{name} AS MATERIALIZED ({body})"
    tmp = f"gk_xy_{name}"
    if tmp not in b._temp:
        b.con.execute(f"CREATE OR REPLACE TEMP TABLE {tmp} AS " + b.wrap(deps, body))
        b._temp.append(tmp)
    return f"{name} AS (SELECT * FROM {tmp})"


def short_item(item: str) -> str:
    """``v2019.s3.carried_over`` → ``s3.carried_over`` (items compared across templates)."""
    return item.split(".", 1)[1] if "." in item else item


def history(con, agency: str, item: str | None = None) -> dict:
    """An agency's series by year. ``agency``: a name, an alias or an agency id (resolved like the
    rules do); ``item``: a series id, or an item code without template (``s3.carried_over@total``),
    default every series. Returns {agency, xid, how, years, rows: [{key, label, values: {year: v}}]}.
    ``v`` is None for a blank cell, absent for a year whose template lacks the item."""
    from checks.agencies import agency_table
    from checks.rules.catalogue import load_catalogue
    from checks.rules.sql import Builder

    names = agency_table(con)
    hit = [r for r in names if r["years"] and agency in (r["agency"], r["xid"], r["reg_name"])]
    if not hit:
        raise UserError(f"no reports of agency {agency!r} (see `gongkai agencies`)", 1)
    xid = hit[0]["xid"]
    b = Builder(load_catalogue())
    ctes = base_ctes(b, series=True)
    if item and not any(s.id == item for s in load_series()):
        row, _, col = item.partition("@")
        sql = Builder.wrap(ctes, f"""SELECT y.year, y.template, c.state, c.value FROM yr y
LEFT JOIN cells c ON c.report_id = y.report_id AND c.item = y.template || '.' || ? AND c."column" = ?
WHERE y.xid = ? ORDER BY y.year""")
        rows = con.execute(sql, [row, col or "value", xid]).fetchall()
        values = {int(y): (v if st is not None else "absent") for y, _t, st, v in rows}
        out = [{"key": item, "label": item, "values": {y: v for y, v in values.items() if v != "absent"}}]
        years = sorted(values)
    else:
        where = "AND m.series = ?" if item else ""
        sql = Builder.wrap(ctes, f"""SELECT m.series, m.label, s.year, CASE WHEN s.n_num > 0 THEN s.value END
FROM sv s JOIN sm m USING (sno) JOIN yr y USING (report_id) WHERE y.xid = ? {where} ORDER BY m.series, s.year""")
        rows = con.execute(sql, [xid, item] if item else [xid]).fetchall()
        order = [s.id for s in load_series()]
        by: dict[str, dict] = {}
        for sid, label, year, v in rows:
            by.setdefault(sid, {"key": sid, "label": label, "values": {}})["values"][int(year)] = v
        out = sorted(by.values(), key=lambda r: order.index(r["key"]))
        yrs = con.execute(Builder.wrap(ctes, "SELECT DISTINCT year FROM yr WHERE xid = ? ORDER BY 1"), [xid])
        years = [int(y) for (y,) in yrs.fetchall()]
    return {"agency": hit[0]["reg_name"] or hit[0]["agency"], "xid": xid, "how": hit[0]["how"],
            "names": sorted({r["agency"] for r in names if r["xid"] == xid}), "years": years, "rows": out}


def history_of(db, agency: str, item: str | None = None) -> dict:
    """:func:`history` on the warehouse ``db`` (opened read-only)."""
    from checks import warehouse

    con = warehouse.connect(db, read_only=True)
    try:
        return history(con, agency, item)
    finally:
        con.close()
