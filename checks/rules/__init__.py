"""One rule catalogue, several backends.

* :mod:`checks.rules.catalogue` — the catalogue (``catalogue.yaml``): load, validate, configure, expand
  rules into instances from the templates;
* :mod:`checks.rules.sql` — compile the catalogue to DuckDB queries over every report at once, run
  them into the ``findings`` table; :func:`evaluation_frame` (one row per report × rule instance,
  for the Great Expectations backend);
* :mod:`checks.rules.findings` — the findings table, configuration (severity overrides, disabled
  rules) and waivers;
* :mod:`checks.rules.pandera_checks` — the per-report structural checks as pandera dataframe checks.
"""

from __future__ import annotations

from checks.rules.catalogue import Catalogue, Rule, load_catalogue  # noqa: F401


def evaluation_frame(con, lenient: bool = False, catalogue=None):
    """One row per (report × comparison rule instance): see :func:`checks.rules.sql.evaluation_frame`."""
    from checks.rules.sql import evaluation_frame as _ef
    return _ef(con, lenient=lenient, catalogue=catalogue)
