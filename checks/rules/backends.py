"""Three backends, one catalogue: which rule instances fail, as judged by DuckDB SQL, GX or pandera.

:func:`failures` runs one backend over every current report and returns its verdicts in one
shape — ``code, severity, report_id, agency, year, item, column`` of each failing rule instance —
over the rules that backend covers (:func:`covered`): SQL covers every rule; GX the rules whose
kind gives an expectation and pandera the rules whose kind gives a check — the same rules for both:
the comparisons (evaluation frame), the structural and per-cell rules of the structure frame, and
the cross-year rules of the pair frame. The SQL backend is the
one that records findings with their messages (:func:`checks.rules.sql.run_check`); the others
are independent second opinions: tests assert the three agree.
"""

from __future__ import annotations

import pandas as pd

from checks.rules import catalogue as C
from checks.rules.catalogue import Catalogue

BACKENDS = ("sql", "gx", "pandera")
COLUMNS = ["code", "severity", "report_id", "agency", "year", "item", "column"]


def covered(backend: str, catalogue: Catalogue) -> list[str]:
    """Codes of the enabled rules a backend judges."""
    rules = catalogue.enabled()
    if backend == "gx":
        from checks.gx import CROSSYEAR
        return [r.code for r in rules if any(C.kind_of(r).gx_expectations(r, t) for t in (*r.templates, CROSSYEAR))]
    if backend == "pandera":
        return [r.code for r in rules if C.kind_of(r).frame and C.kind_of(r).pandera_check(r) is not None]
    if backend == "sql":
        return [r.code for r in rules]
    raise C.CatalogueError(f"unknown backend {backend!r} (known: {', '.join(BACKENDS)})")


def _shape(frame: pd.DataFrame, catalogue: Catalogue | None = None) -> pd.DataFrame:
    out = frame.copy()
    if catalogue is not None:   # a frame backend: like SQL, only what is an error or a warning
        out["severity"] = out["code"].map({r.code: r.severity for r in catalogue.rules})
        out = out[out["severity"] != "info"]
    for c in ("item", "column"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out[COLUMNS].sort_values(["agency", "year", "code", "item", "column"], na_position="first") \
        .reset_index(drop=True)


def failures(con, backend: str, catalogue: Catalogue | None = None, *, lenient: bool = False,
             run_id: str | None = None, suites=None) -> pd.DataFrame:
    """The failing rule instances by ``backend`` (``sql``, ``gx`` or ``pandera``), columns :data:`COLUMNS`.

    ``sql``: the non-info, non-waived findings of ``run_id`` (default: a new check run).
    ``gx``: ``suites`` validates only those suites (:func:`checks.gx.validate`; default all), so only
    the rules of those suites can be found.
    """
    catalogue = catalogue or C.load_catalogue()
    codes = covered(backend, catalogue)
    if backend == "sql":
        from checks.rules.sql import run_check
        run_id = run_id or run_check(con, catalogue, lenient=lenient).run_id
        frame = con.execute("""SELECT code, severity, report_id, agency, year, item, "column" FROM findings
                               WHERE run_id = ? AND severity <> 'info' AND NOT waived""", [run_id]).df()
        return _shape(frame)
    if backend == "gx":
        from checks import gx
        frame = gx.validate(con, lenient=lenient, catalogue=catalogue, suites=suites).failures
        return _shape(frame[frame["code"].isin(codes)], catalogue)
    from checks.rules import pandera_checks as P
    from checks.rules.kinds.crossyear import pair_frame
    from checks.rules.sql import evaluation_frame
    ev = evaluation_frame(con, lenient=lenient, catalogue=catalogue)
    parts = [P.findings_of(ev, P.build_evaluation_schema(catalogue), catalogue),
             P.findings_of(P.structure_frame(con), P.build_schema(catalogue), catalogue),
             P.findings_of(pair_frame(con, catalogue), P.build_pairs_schema(catalogue), catalogue)]
    frame = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) \
        else pd.DataFrame(columns=COLUMNS)
    return _shape(frame[frame["code"].isin(codes)], catalogue)
