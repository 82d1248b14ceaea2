"""Agency identity across years: a registry of names and aliases → a stable agency id, region and level.

Agencies are renamed (经济和信息化委员会 → 经济和信息化局) and written differently (full name, 市经信局,
with or without the region). The registry (``data/agencies.csv``, editable; another file with
``GONGKAI_AGENCIES``) lists, per agency, its id, its current name, its aliases (``|``-separated),
its region (the area its peers share, e.g. the province) and its level (province, city, county,
district, department …).

A report's agency name is resolved, set-based in DuckDB (:func:`map_ctes`), in this order:

1. ``id``: the report carries an ``agency_id`` that the registry knows;
2. ``name``: the name is a registered name or alias, exactly;
3. ``normalised``: the names agree after :func:`norm_sql` (spaces and punctuation dropped,
   经济和信息化 → 经信, 工业和信息化 → 工信, 人民政府 → 政府, 委员会 → 委, 办公室 → 办) and point at one id;
4. ``short``: the names agree once the leading place names are stripped too (市经信局 → 经信局), and
   one registered agency fits (narrowed by the report's region when it has one);
5. otherwise ``ambiguous`` (several ids fit: reported, never merged) or ``unmatched`` (none fits).

An ambiguous or unmatched name keeps its own key (the report's ``agency_key``): its reports form a
series only with reports of exactly the same name. Everything here is pure except
:func:`agency_table`, which reads the warehouse.
"""

from __future__ import annotations

import csv
import functools
import os
from dataclasses import dataclass
from pathlib import Path

from checks.errors import UserError

ROOT = Path(__file__).resolve().parent.parent
REGISTRY_PATH = ROOT / "data" / "agencies.csv"
REGISTRY_ENV = "GONGKAI_AGENCIES"
COLUMNS = ("agency_id", "name", "aliases", "region", "level")

ABBREVIATIONS = (("经济和信息化", "经信"), ("工业和信息化", "工信"), ("人民政府", "政府"), ("委员会", "委"),
                 ("办公室", "办"))
"""Long forms → the short forms reports also use (applied in this order by :func:`norm_sql`)."""

_PUNCT = "[\\s\u3000\u00a0（）()《》〈〉“”\"''·・,，、.．:：;；\\-—_]"   # a SQL literal's body: ' doubled
_PLACE = r"^(.{0,7}?(省|自治区|市|自治州|州|盟|地区|县|区|旗))+"


class RegistryError(UserError):
    """The agency registry cannot be read (exit code 3)."""


@dataclass(frozen=True)
class Agency:
    agency_id: str
    name: str
    aliases: tuple[str, ...]
    region: str
    level: str

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


def registry_path() -> Path:
    """The registry in use: ``$GONGKAI_AGENCIES`` or ``data/agencies.csv``."""
    return Path(os.environ.get(REGISTRY_ENV) or REGISTRY_PATH)


@functools.cache
def _read(path: str, mtime: float) -> tuple[Agency, ...]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise RegistryError(f"{path}: cannot read the agency registry ({e})") from None
    out, seen = [], set()
    for i, row in enumerate(rows, start=2):
        missing = [c for c in ("agency_id", "name") if not (row.get(c) or "").strip()]
        if missing:
            raise RegistryError(f"{path}:{i}: {', '.join(missing)} missing")
        aid = row["agency_id"].strip()
        if aid in seen:
            raise RegistryError(f"{path}:{i}: agency_id {aid!r} appears twice")
        seen.add(aid)
        aliases = tuple(a.strip() for a in (row.get("aliases") or "").split("|") if a.strip())
        out.append(Agency(aid, row["name"].strip(), aliases, (row.get("region") or "").strip(),
                          (row.get("level") or "").strip()))
    return tuple(out)


def load_registry(path: Path | str | None = None) -> tuple[Agency, ...]:
    """The registry's agencies (empty when the file does not exist)."""
    p = Path(path) if path else registry_path()
    if not p.exists():
        return ()
    return _read(str(p), p.stat().st_mtime)


def norm_sql(expr: str) -> str:
    """SQL: a name normalised (punctuation and spaces dropped, long forms shortened)."""
    e = f"regexp_replace(coalesce({expr}, ''), '{_PUNCT}', '', 'g')"
    for long, short in ABBREVIATIONS:
        e = f"replace({e}, '{long}', '{short}')"
    return e


def short_sql(normed: str) -> str:
    """SQL: a normalised name without its leading place names (嘉兴市经信局 → 经信局)."""
    return f"regexp_replace({normed}, '{_PLACE}', '')"


def normalise(name: str) -> str:
    """:func:`norm_sql` in Python (the same expression, run by DuckDB): one definition. Its own
    in-memory connection, closed at once: never DuckDB's process-wide default one, whose threads a
    forked process would inherit without them."""
    import duckdb
    with duckdb.connect() as con:
        return con.execute(f"SELECT {norm_sql('?')}", [name]).fetchone()[0]


def registry_rows(agencies: tuple[Agency, ...]) -> list[tuple]:
    """(agency_id, name, region, level, is_alias) for every registered name and alias."""
    return [(a.agency_id, n, a.region, a.level, i > 0) for a in agencies for i, n in enumerate(a.names)]


REG_COLS = [("agency_id", "VARCHAR"), ("name", "VARCHAR"), ("region", "VARCHAR"), ("level", "VARCHAR"),
            ("is_alias", "BOOLEAN")]


def map_ctes(table, reports: str = "current_reports") -> list[str]:
    """CTEs ending in ``amap``: one row per distinct (agency, agency_id, region) of ``reports`` with
    ``xid`` (the stable id the series use), ``how`` (id | name | normalised | short | ambiguous |
    unmatched), ``candidates`` (the ids that fitted, for ambiguous names), ``reg_region``, ``level``.

    ``table(name, cols, rows)`` makes an inline table (checks.rules.sql.Builder.table or values_cte).
    """
    reg = table("reg", REG_COLS, registry_rows(load_registry()))
    return [reg, f"""regk AS (
  SELECT agency_id, name, region, level, {norm_sql('name')} AS nkey,
         {short_sql(norm_sql('name'))} AS skey FROM reg)""",
            f"""nm AS (
  SELECT DISTINCT agency, agency_id AS given_id, region AS rep_region, agency_key,
         {norm_sql('agency')} AS nkey, {short_sql(norm_sql('agency'))} AS skey
  FROM {reports})""",
            """m_id AS (SELECT DISTINCT n.agency, n.given_id, n.rep_region, g.agency_id
  FROM nm n JOIN reg g ON g.agency_id = n.given_id)""",
            """m_name AS (SELECT n.agency, n.given_id, n.rep_region, min(g.agency_id) AS agency_id,
         count(DISTINCT g.agency_id) AS k, string_agg(DISTINCT g.agency_id, ', ') AS ids
  FROM nm n JOIN reg g ON g.name = n.agency GROUP BY ALL)""",
            """m_norm AS (SELECT n.agency, n.given_id, n.rep_region, min(g.agency_id) AS agency_id,
         count(DISTINCT g.agency_id) AS k, string_agg(DISTINCT g.agency_id, ', ') AS ids
  FROM nm n JOIN regk g ON g.nkey = n.nkey GROUP BY ALL)""",
            """nm_rest AS (SELECT n.* FROM nm n
  WHERE NOT EXISTS (SELECT 1 FROM reg g WHERE g.name = n.agency)
    AND (n.given_id IS NULL OR NOT EXISTS (SELECT 1 FROM reg g WHERE g.agency_id = n.given_id))
    AND NOT EXISTS (SELECT 1 FROM regk g WHERE g.nkey = n.nkey))""",
            """m_short AS (SELECT n.agency, n.given_id, n.rep_region, min(g.agency_id) AS agency_id,
         count(DISTINCT g.agency_id) AS k, string_agg(DISTINCT g.agency_id, ', ') AS ids
  FROM nm_rest n JOIN regk g ON g.skey = n.skey AND n.skey <> ''
   AND (n.rep_region IS NULL OR g.region = '' OR contains(g.region, n.rep_region) OR contains(n.rep_region, g.region))
  GROUP BY ALL)""",
            """amap0 AS (
  SELECT n.agency, n.given_id, n.rep_region, n.agency_key,
         CASE WHEN i.agency_id IS NOT NULL THEN i.agency_id
              WHEN a.k = 1 THEN a.agency_id WHEN a.k > 1 THEN NULL
              WHEN b.k = 1 THEN b.agency_id WHEN b.k > 1 THEN NULL
              WHEN s.k = 1 THEN s.agency_id END AS reg_id,
         CASE WHEN i.agency_id IS NOT NULL THEN 'id'
              WHEN a.k = 1 THEN 'name' WHEN a.k > 1 THEN 'ambiguous'
              WHEN b.k = 1 THEN 'normalised' WHEN b.k > 1 THEN 'ambiguous'
              WHEN s.k = 1 THEN 'short' WHEN s.k > 1 THEN 'ambiguous' ELSE 'unmatched' END AS how,
         CASE WHEN a.k > 1 THEN a.ids WHEN b.k > 1 THEN b.ids WHEN s.k > 1 THEN s.ids END AS candidates
  FROM nm n
  LEFT JOIN m_id i ON i.agency = n.agency AND i.given_id IS NOT DISTINCT FROM n.given_id
                  AND i.rep_region IS NOT DISTINCT FROM n.rep_region
  LEFT JOIN m_name a ON a.agency = n.agency AND a.given_id IS NOT DISTINCT FROM n.given_id
                    AND a.rep_region IS NOT DISTINCT FROM n.rep_region
  LEFT JOIN m_norm b ON b.agency = n.agency AND b.given_id IS NOT DISTINCT FROM n.given_id
                    AND b.rep_region IS NOT DISTINCT FROM n.rep_region
  LEFT JOIN m_short s ON s.agency = n.agency AND s.given_id IS NOT DISTINCT FROM n.given_id
                     AND s.rep_region IS NOT DISTINCT FROM n.rep_region)""",
            """amap AS (
  SELECT m.agency, m.given_id, m.rep_region, m.agency_key, m.how, m.candidates, m.reg_id,
         coalesce(m.reg_id, m.agency_key) AS xid,
         coalesce(nullif(g.region, ''), m.rep_region) AS reg_region, nullif(g.level, '') AS level,
         g.name AS reg_name
  FROM amap0 m LEFT JOIN (SELECT agency_id, any_value(region) AS region, any_value(level) AS level,
                                 any_value(name) FILTER (WHERE NOT is_alias) AS name FROM reg GROUP BY ALL) g
         ON g.agency_id = m.reg_id)"""]


def join_amap(r: str = "cr", a: str = "a") -> str:
    """The ON condition joining a current_reports row ``r`` with its ``amap`` row ``a``."""
    return (f"{a}.agency = {r}.agency AND {a}.given_id IS NOT DISTINCT FROM {r}.agency_id "
            f"AND {a}.rep_region IS NOT DISTINCT FROM {r}.region")


def agency_table(con) -> list[dict]:
    """Every agency name of the current reports with how it resolved: agency, xid, how, candidates,
    region, level, registered name, years (sorted), reports. Registered agencies with no report too
    (how = 'registered', no years)."""
    from checks.rules.sql import values_cte

    ctes = map_ctes(lambda n, c, r: values_cte(n, c, r))
    sql = "WITH " + ",\n".join(ctes) + f""",
yrs AS (SELECT cr.agency, cr.agency_id, cr.region, list(DISTINCT cr.year ORDER BY cr.year) AS years,
               count(*) AS reports FROM current_reports cr GROUP BY ALL)
SELECT a.agency, a.xid, a.how, a.candidates, a.reg_region AS region, a.level, a.reg_name, y.years, y.reports
FROM amap a JOIN yrs y ON {join_amap('y', 'a')}
UNION ALL
SELECT g.name, g.agency_id, 'registered', NULL, g.region, g.level, g.name, [], 0
FROM reg g WHERE NOT g.is_alias AND g.agency_id NOT IN (SELECT reg_id FROM amap WHERE reg_id IS NOT NULL)
ORDER BY 3 DESC, 2, 1"""
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


@dataclass(frozen=True)
class AgencyListing:
    """What ``gongkai agencies`` shows: every name with how it resolved, and the registry in use."""

    rows: tuple[dict, ...]
    registry: str

    @property
    def ambiguous(self) -> list[dict]:
        return [r for r in self.rows if r["how"] == "ambiguous"]

    @property
    def unmatched(self) -> list[dict]:
        return [r for r in self.rows if r["how"] == "unmatched"]

    @property
    def exit_code(self) -> int:
        """1 when a name is ambiguous (it is kept apart, never merged: fix the registry), else 0."""
        return 1 if self.ambiguous else 0

    def as_dict(self) -> dict:
        return {"registry": self.registry, "agencies": [dict(r, years=list(r["years"] or [])) for r in self.rows],
                "ambiguous": len(self.ambiguous), "unmatched": len(self.unmatched)}


def list_agencies(db) -> AgencyListing:
    """The agencies of the warehouse ``db`` (opened read-only) as the registry resolves them."""
    from checks import warehouse

    con = warehouse.connect(db, read_only=True)
    try:
        return AgencyListing(tuple(agency_table(con)), str(registry_path()))
    finally:
        con.close()
