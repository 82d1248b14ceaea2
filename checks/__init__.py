"""gongkai-audit: audit the statistical tables of 政府信息公开工作年度报告.

The public API — what a user imports to extract, load and check from Python::

    from checks import extract_paths, load_paths, run, check

* :func:`extract_paths` — report files (text, HTML) → an :class:`Extraction` (cells, narrative, issues);
* :func:`load_paths` — extracted-statistics or report files → the DuckDB warehouse;
* :func:`check` — run the rule catalogue over the warehouse (backend ``sql``, ``gx`` or ``pandera``);
* :func:`run` — the main job: load, check, export findings, GX Data Docs, status;
* :func:`load_catalogue`, :func:`parse_cell`, :class:`UserError` (every error that is the user's to fix).

Names are resolved on first use, so ``import checks`` stays light.
"""

from __future__ import annotations

import os as _os

# No telemetry, no analytics, nothing to the network: set before anything imports GX or Prefect
# (an explicit setting in the environment still wins).
for _name, _value in (("GX_ANALYTICS_ENABLED", "False"), ("PREFECT_SERVER_ANALYTICS_ENABLED", "false"),
                      ("DO_NOT_TRACK", "1")):
    _os.environ.setdefault(_name, _value)

_API = {
    "extract_paths": "checks.extract", "Extraction": "checks.extract", "write_extraction": "checks.extract",
    "load_paths": "checks.warehouse", "status": "checks.warehouse",
    "check": "checks.pipeline", "run": "checks.pipeline",
    "load_catalogue": "checks.rules.catalogue", "parse_cell": "checks.cells", "UserError": "checks.errors",
}
__all__ = sorted(_API)


def __getattr__(name: str):
    if name in _API:
        import importlib
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'checks' has no attribute {name!r}")
