"""The findings table, the configuration of the catalogue and the waivers.

Configuration (severity overrides, switched-off rules) comes from ``[tool.gongkai]`` in the
``pyproject.toml`` of the working directory, or from a YAML file given with ``--config``::

    severity: {O-11: info, O-03: error}
    disabled: [O-12]

Waivers accept a known finding for one agency and year, with a reason and an expiry date
(``--waivers FILE``; default ``waivers.yaml`` next to the warehouse)::

    waivers:
      - code: O-03
        agency: 嘉善县经济和信息化局
        year: 2018
        reason: 微信数为全年推送总量，已与单位核实
        expires: 2026-06-30
        item: old.s1.channel.wechat      # optional: only this cell
        column: value                    # optional
        fingerprint: 3f2a…               # optional: only the finding with this fingerprint (exports)

A waived finding stays in the findings table (``waived`` = true, ``waiver_reason``) and is
listed, but does not count for the exit code. An expired waiver no longer applies and is itself
reported (``W-01``, info).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from checks.errors import UserError, read_yaml
from checks.rules.catalogue import SEVERITIES, Catalogue, CatalogueError, kind_of
from checks.exports import FINGERPRINT_SQL
from checks.tables import CHECK_RUNS, FINDING_ORDER, FINDINGS

FINDING_COLUMNS = FINDINGS.names
CONFIG_KEYS = {"severity", "disabled", "waivers", "fail_on", "lenient", "keep_runs"}


class ConfigError(UserError):
    """A configuration or waivers file that cannot be used (exit code 3)."""


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``findings`` and ``check_runs`` (:mod:`checks.tables`) if they do not exist."""
    con.execute(FINDINGS.ddl() + "\n" + CHECK_RUNS.ddl())


# ------------------------------------------------------------------------------------ config

@dataclass(frozen=True)
class Config:
    severity: dict[str, str] = field(default_factory=dict)
    disabled: tuple[str, ...] = ()
    waivers: str | None = None
    fail_on: str | None = None
    lenient: bool | None = None
    source: str = "defaults"
    keep_runs: int | None = None
    """Automatic retention: after each `gongkai run`, keep the findings of this many newest check runs."""

    def apply(self, catalogue: Catalogue) -> Catalogue:
        return catalogue.configured(self.severity, self.disabled, source=self.source)


def _config_from(data: Any, source: str) -> Config:
    if data is None:
        return Config(source=source)
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping (severity, disabled, waivers, fail_on, lenient, keep_runs)")
    unknown = set(data) - CONFIG_KEYS
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) {', '.join(sorted(unknown))} "
                          f"(known: {', '.join(sorted(CONFIG_KEYS))})")
    sev = data.get("severity") or {}
    if not isinstance(sev, dict):
        raise ConfigError(f"{source}: severity must map rule codes to error/warning/info")
    for code, s in sev.items():
        if s not in SEVERITIES:
            raise ConfigError(f"{source}: severity of {code} must be one of {', '.join(SEVERITIES)}, not {s!r}")
    disabled = data.get("disabled") or []
    if not isinstance(disabled, list) or not all(isinstance(c, str) for c in disabled):
        raise ConfigError(f"{source}: disabled must be a list of rule codes")
    fail_on = data.get("fail_on")
    if fail_on not in (None, "error", "warning"):
        raise ConfigError(f"{source}: fail_on must be error or warning, not {fail_on!r}")
    lenient = data.get("lenient")
    if lenient is not None and not isinstance(lenient, bool):
        raise ConfigError(f"{source}: lenient must be true or false")
    keep_runs = data.get("keep_runs")
    if keep_runs is not None and (isinstance(keep_runs, bool) or not isinstance(keep_runs, int) or keep_runs < 1):
        raise ConfigError(f"{source}: keep_runs must be a whole number of runs, 1 or more, not {keep_runs!r}")
    waivers = data.get("waivers")
    return Config({str(k): str(v) for k, v in sev.items()}, tuple(disabled),
                  str(waivers) if waivers else None, fail_on, lenient, source, keep_runs)


def load_config(path: str | Path | None = None, pyproject: str | Path | None = None) -> Config:
    """The configuration: ``path`` (YAML) if given, else ``[tool.gongkai]`` of ``pyproject`` (default ./pyproject.toml)."""
    if path is not None:
        p = Path(path)
        data = read_yaml(p, "the configuration", ConfigError)
        return _config_from(data, str(p))
    p = Path(pyproject) if pyproject else Path.cwd() / "pyproject.toml"
    if not p.is_file():
        return Config()
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{p}: cannot read [tool.gongkai] ({e})") from None
    section = data.get("tool", {}).get("gongkai")
    return _config_from(section, f"{p} [tool.gongkai]") if section is not None else Config()


def configured_catalogue(catalogue: Catalogue, config: Config) -> Catalogue:
    try:
        return config.apply(catalogue)
    except CatalogueError as e:
        raise ConfigError(str(e)) from None


# ----------------------------------------------------------------------------------- waivers

@dataclass(frozen=True)
class Waiver:
    code: str
    agency: str
    year: int
    reason: str
    expires: dt.date
    item: str | None = None
    column: str | None = None
    fingerprint: str | None = None   # the finding's stable id (checks.exports.fingerprint): only that finding

    def expired(self, today: dt.date) -> bool:
        return self.expires < today


def load_waivers(path: str | Path, catalogue: Catalogue) -> list[Waiver]:
    """Waivers from a YAML file (a list, or a mapping with ``waivers:``), validated."""
    p = Path(path)
    data = read_yaml(p, "the waivers", ConfigError)
    if data is None:
        return []
    if isinstance(data, dict):
        data = data.get("waivers")
    if not isinstance(data, list):
        raise ConfigError(f"{p}: expected a list of waivers (or `waivers:` with a list)")
    codes = set(catalogue.codes)
    out = []
    for i, w in enumerate(data, start=1):
        where = f"{p}: waiver {i}"
        if not isinstance(w, dict):
            raise ConfigError(f"{where}: must be a mapping with code, agency, year, reason, expires")
        missing = [k for k in ("code", "agency", "year", "reason", "expires") if not w.get(k)]
        if missing:
            raise ConfigError(f"{where}: missing {', '.join(missing)}")
        unknown = set(w) - {"code", "agency", "year", "reason", "expires", "item", "column", "fingerprint"}
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        if w["code"] not in codes:
            raise ConfigError(f"{where}: unknown rule code {w['code']!r}")
        try:
            year = int(w["year"])
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: year must be a number, not {w['year']!r}") from None
        exp = w["expires"]
        if isinstance(exp, str):
            try:
                exp = dt.date.fromisoformat(exp)
            except ValueError:
                raise ConfigError(f"{where}: expires must be a date like 2026-12-31, not {exp!r}") from None
        if isinstance(exp, dt.datetime):
            exp = exp.date()
        if not isinstance(exp, dt.date):
            raise ConfigError(f"{where}: expires must be a date like 2026-12-31")
        out.append(Waiver(str(w["code"]), str(w["agency"]), year, str(w["reason"]), exp,
                          str(w["item"]) if w.get("item") else None, str(w["column"]) if w.get("column") else None,
                          str(w["fingerprint"]) if w.get("fingerprint") else None))
    return out


def apply_waivers(con: duckdb.DuckDBPyConnection, run_id: str, waivers: list[Waiver],
                  catalogue: Catalogue, today: dt.date, table: str = FINDINGS.name) -> None:
    """Mark the run's findings (in ``table``: findings, or the run's staging copy) that an active
    waiver accepts; report expired waivers as W-01."""
    active = [w for w in waivers if not w.expired(today)]
    if active:
        frame = pd.DataFrame([{"code": w.code, "agency": w.agency, "year": w.year, "reason": w.reason,
                               "item": w.item, "column": w.column, "fingerprint": w.fingerprint} for w in active])
        con.register("gk_waivers_df", frame)
        try:
            con.execute("""
                UPDATE {TABLE} AS f SET waived = TRUE, waiver_reason = w.reason
                FROM gk_waivers_df AS w
                WHERE f.run_id = ? AND f.code = w.code AND f.agency = w.agency AND f.year = w.year
                  AND (w.item IS NULL OR f.item = w.item) AND (w."column" IS NULL OR f."column" = w."column")
                  AND (w.fingerprint IS NULL OR {FINGERPRINT_SQL} = CAST(w.fingerprint AS VARCHAR))
            """.replace("{FINGERPRINT_SQL}", FINGERPRINT_SQL).replace("{TABLE}", table), [run_id])
        finally:
            con.unregister("gk_waivers_df")
    expired = [w for w in waivers if w.expired(today)]
    rule = next((r for r in catalogue.rules if r.kind == "waiver-expired"), None)
    if not expired or rule is None or not rule.enabled:
        return
    kind = kind_of(rule)
    FINDINGS.insert_frame(con, pd.DataFrame([kind.finding(rule, run_id, w) for w in expired]), table=table)


def run_findings(con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> pd.DataFrame:
    """The findings of one run (default: the latest), as a frame with :data:`checks.tables.FINDINGS` columns."""
    if run_id is None:
        rows = con.execute("SELECT run_id FROM check_runs ORDER BY started_at DESC LIMIT 1").fetchall()
        if not rows:
            return pd.DataFrame(columns=list(FINDING_COLUMNS))
        run_id = rows[0][0]
    return con.execute(f"SELECT {FINDINGS.column_list()} FROM findings WHERE run_id = ? ORDER BY {FINDING_ORDER}",
                       [run_id]).df()


def read_findings(con: duckdb.DuckDBPyConnection, run_id: str, *, info: bool = True,
                  limit: int = 0) -> tuple[list[dict], int]:
    """(rows, total) of one run's findings, listed in :data:`checks.tables.FINDING_ORDER` without
    ``run_id``: all of them, or (``info=False``) errors, warnings and waived ones; at most ``limit``
    rows (0 = all); ``total`` is how many there are before the limit."""
    where = "run_id = ?" + ("" if info else " AND (severity IN ('error', 'warning') OR waived)")
    total = con.execute(f"SELECT count(*) FROM findings WHERE {where}", [run_id]).fetchall()[0][0]
    cur = con.execute(f"SELECT {FINDINGS.column_list(exclude=('run_id',))} FROM findings WHERE {where} "
                      f"ORDER BY {FINDING_ORDER}" + (f" LIMIT {int(limit)}" if limit else ""), [run_id])
    return FINDINGS.records(cur), int(total)
