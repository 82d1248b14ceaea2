"""The Great Expectations backend: the catalogue's comparison rules as GX suites.

The suites are generated from the rule catalogue (one JSON file per template in ``expectations/``,
written by ``gongkai expectations build``; a test fails when a committed file is stale). GX 1.x
cannot run on DuckDB through SQLAlchemy, so DuckDB prepares the frame GX validates:
:func:`checks.rules.evaluation_frame`, one row per (report × rule instance) with the evaluated
left and right sides. Each rule becomes the expectation its kind gives (:mod:`checks.rules.kinds`),
restricted to its rows (a ``row_condition`` on template and rule code): GX itself compares ``lhs``
and ``rhs``:

==================  ==========================================================================
rule kind           expectation
==================  ==========================================================================
sum-equals          ``expect_column_pair_values_to_be_equal(lhs, rhs)``
at-most             ``expect_column_pair_values_a_to_be_greater_than_b(rhs, lhs, or_equal)``
at-least            ``expect_column_pair_values_a_to_be_greater_than_b(lhs, rhs, or_equal)``
implies-positive    ``expect_column_values_to_be_between(rhs, min_value=0, strict_min)`` where ``lhs > 0``
==================  ==========================================================================

The structural and per-cell rules are expectations in the template suites too, on the structure frame
(:func:`checks.rules.pandera_checks.structure_frame`, the frame pandera checks: one row per report ×
cell of its template, present or not, and per cell the template lacks), each restricted to the
structure rows (``frame == "structure"``) of its template and the cells it is about:

==================  ==========================================================================
rule kind           expectation(s) on the structure rows
==================  ==========================================================================
required-section    ``expect_column_values_to_be_in_set(section_present, [True])`` on number cells
required-row        ``…_to_be_in_set(known, [True])``; ``…_to_not_be_null(state)`` on number cells of present sections
blank-table         ``…_to_be_in_set(tbl_blank, [False])`` on the template's cells of a report not blank altogether
blank-report        ``…_to_be_in_set(report_blank, [False])``
value-domain        ``…_to_be_between(value, min_value=0)`` unless signed; ``expect_column_pair_values_to_be_equal(value, value_whole)`` unless money
not-text            ``…_to_not_be_in_set(state, ["TEXT"])`` on number cells
heading-has-value   ``…_to_not_be_in_set(state, ["NUMERIC", "ZERO"])``; ``…_to_not_match_regex(raw_words, "[0-9０-９]")`` on TEXT headings
==================  ==========================================================================

Their failing rows are folded into findings by the kind (:meth:`checks.rules.kinds.Kind.fold`) as
pandera's are: a missing section is one finding, a wholly missing row one, a blank table one.

The cross-year rules have their own suite (``gongkai-crossyear.json``) on their own frame, the pair
frame DuckDB prepares (:func:`checks.rules.kinds.crossyear.pair_frame`: one row per rule ×
agency-year × series or cell with the measure ``score`` and whether the rule applies, ``gate``):
each is ``expect_column_values_to_be_between(score, …)`` on its gated rows.

The three frames are stacked into one (column ``frame`` tells them apart) and validated once, every
suite in one checkpoint run (a checkpoint per agency would cost ~0.14 s each), with agency, year and
the rule instance as unexpected-index columns, so failures are attributed afterwards. ``suites=``
validates only some suites, and only the frames they need are built. GX Data Docs are built from the
checkpoint. Importing GX takes seconds: this module imports it only when it validates.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import pandas as pd

from checks import templates
from checks.rules import evaluation_frame, load_catalogue
from checks.rules.catalogue import Catalogue, kind_of

SUITE_DIR = Path(__file__).resolve().parent.parent / "expectations"
INDEX_COLUMNS = ["agency", "year", "template", "report_id", "code", "item", "column", "instance_id"]
GX_INDEX_COLUMNS = ["agency", "year", "report_id", "instance_id"]
"""What GX lists per failing row (its Data Docs show these): GX reads them one value at a time, so only
who and which year plus the two ids the failures are attributed by; the rest comes from the frame."""
CROSSYEAR = "crossyear"
"""The suite of the cross-year rules (validated on the pair frame, not per template)."""
SUITES = (*templates.TEMPLATE_IDS, CROSSYEAR)
PAIR_ID_OFFSET = 1_000_000_000
"""Pair-frame rows join the validated frame with their instance ids offset by this (never a rule instance's id)."""
STRUCTURE_ID_OFFSET = 2_000_000_000
"""Structure-frame rows join it with instance ids from this on (one per row)."""
STRUCTURE = "structure"
DECIMALS = 3
"""Both sides are rounded to this many decimals, the catalogue's default tolerance (0.001)."""


def suite_dict(catalogue: Catalogue, template: str) -> dict:
    """The GX suite of one template: each enabled rule's expectations (from its kind) that apply to it."""
    if template == CROSSYEAR:
        expectations = [e for r in catalogue.enabled() if kind_of(r).frame == "pairs"
                        for e in kind_of(r).gx_expectations(r, template)]
    else:
        expectations = [e for r in catalogue.enabled() if template in r.templates and kind_of(r).frame != "pairs"
                        for e in kind_of(r).gx_expectations(r, template)]
    return {"name": f"gongkai-{template}",
            "expectations": expectations,
            "meta": {"generated_by": "gongkai expectations build",
                     "source": "checks/rules/catalogue.yaml",
                     "template": template if template != CROSSYEAR else "all (the cross-year pair frame)",
                     "note": "generated from the rule catalogue; do not edit by hand"}}


def _render(suite: dict) -> str:
    return json.dumps(suite, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def build_suites(catalogue: Catalogue | None = None, directory: Path = SUITE_DIR) -> list[Path]:
    """Write one suite JSON per template into ``directory``; returns the files written."""
    catalogue = catalogue or load_catalogue()
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for t in SUITES:
        path = directory / f"gongkai-{t}.json"
        path.write_text(_render(suite_dict(catalogue, t)), encoding="utf-8")
        out.append(path)
    return out


def stale_suites(catalogue: Catalogue | None = None, directory: Path = SUITE_DIR) -> list[str]:
    """Suite files that are missing or differ from what the catalogue generates."""
    catalogue = catalogue or load_catalogue()
    stale = []
    for t in SUITES:
        path = directory / f"gongkai-{t}.json"
        if not path.exists() or path.read_text(encoding="utf-8") != _render(suite_dict(catalogue, t)):
            stale.append(str(path))
    return stale


def gx_frame(con, lenient: bool = False, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """The frame GX validates: DuckDB's evaluation of every comparison instance, sides rounded."""
    frame = evaluation_frame(con, lenient=lenient, catalogue=catalogue)
    frame = frame.assign(lhs=frame["lhs"].round(DECIMALS), rhs=frame["rhs"].round(DECIMALS))
    return frame.astype({"year": "int64", "instance_id": "int64", "report_id": "int64"})


def structure_gx_frame(con, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """The structure rows GX validates: :func:`checks.rules.pandera_checks.structure_frame` (the frame pandera
    checks) with an instance id per row and the columns the kinds' expectations derive from it."""
    from checks.rules.pandera_checks import structure_frame

    catalogue = catalogue or load_catalogue()
    frame = structure_frame(con)
    derived: dict = {}
    for r in catalogue.enabled():
        k = kind_of(r)
        if k.frame == STRUCTURE and hasattr(k, "gx_columns"):
            derived.update(k.gx_columns())
    frame = frame.assign(**{c: fn(frame) for c, fn in derived.items()})
    frame["instance_id"] = STRUCTURE_ID_OFFSET + np.arange(len(frame), dtype="int64")
    return frame.astype({"year": "int64", "report_id": "int64"})


def suite_names(suites: Iterable[str] | None = None) -> tuple[str, ...]:
    """The suites (:data:`SUITES`, as ``old`` or ``gongkai-old``) to validate: all by default."""
    if suites is None:
        return SUITES
    chosen = tuple(dict.fromkeys(s.removeprefix("gongkai-") for s in suites))
    unknown = [s for s in chosen if s not in SUITES]
    if unknown or not chosen:
        from checks.errors import UserError
        raise UserError(f"unknown GX suite(s) {', '.join(unknown) or '(none given)'} "
                        f"(known: {', '.join(f'gongkai-{t}' for t in SUITES)})")
    return chosen


def _stack(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One frame of the frames GX validates (``frame`` names each row's); flags absent from a row's frame are False."""
    parts = [f.assign(frame=name) for name, f in frames.items() if f is not None]
    if not parts:
        return pd.DataFrame(columns=[*INDEX_COLUMNS, "frame"])
    flags = {c for f in parts for c in f.columns if f[c].dtype == bool}
    out = pd.concat(parts, ignore_index=True)
    for c in flags:
        out[c] = out[c].fillna(False).astype(bool)
    return out


@dataclass
class GXResult:
    success: bool
    evaluated: int                 # rows of the frame (report × rule instance)
    expectations: int
    failures: pd.DataFrame         # INDEX_COLUMNS + lhs, rhs of every unexpected row
    docs_index: Path | None


TEXT_COLUMNS = ("agency", "template", "code", "item", "column")
"""Index columns of text GX shows in Data Docs (agency names come from outside websites)."""


def inert(text) -> str:
    """``text`` safe to put into HTML as it is: control, zero-width and right-to-left characters
    shown as ``‹U+202E›`` (:func:`checks.inert.reveal`, as in every output) so that they cannot
    reorder or hide what the page shows, then markup characters as entities."""
    from checks.inert import reveal

    return html.escape(reveal(str(text)), quote=True)


def inert_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text column GX may render made :func:`inert` (each distinct value once)."""
    def shown(col: pd.Series) -> pd.Series:
        if isinstance(col.dtype, pd.CategoricalDtype):
            cats = pd.Index([inert(c) for c in col.cat.categories], dtype=object)
            return col.cat.rename_categories(cats) if cats.is_unique else col.map(inert)
        return col.map({v: inert(v) for v in col.dropna().unique()})
    return frame.assign(**{c: shown(frame[c]) for c in TEXT_COLUMNS if c in frame.columns})


def _columns_used(specs: Iterable[dict]) -> set[str]:
    """The frame columns the expectations of ``specs`` read (their columns and row conditions)."""
    def walk(cond) -> Iterable[str]:
        if isinstance(cond, dict):
            if isinstance(cond.get("column"), dict):
                yield cond["column"]["name"]
            for c in cond.get("conditions") or []:
                yield from walk(c)
    out = set()
    for spec in specs:
        for e in spec["expectations"]:
            kw = e["kwargs"]
            out.update(kw[k] for k in ("column", "column_A", "column_B") if isinstance(kw.get(k), str))
            out.update(walk(kw.get("row_condition")))
    return out


CATEGORIES = (*TEXT_COLUMNS, "frame", "state", "sub")
"""Text columns with few distinct values: categorical in the frame GX validates (cheap to filter and copy)."""


def _for_gx(frame: pd.DataFrame, specs: Iterable[dict]) -> pd.DataFrame:
    """The columns of ``frame`` that GX reads or reports (each expectation filters and copies the rows it is
    about, so every further column costs time), text as categories or Python strings."""
    keep = [c for c in dict.fromkeys([*INDEX_COLUMNS, "lhs", "rhs", "frame", *sorted(_columns_used(specs))])
            if c in frame.columns]
    out = frame[keep].copy()
    for c in keep:
        if c in CATEGORIES:     # categories as Python strings: GX reads the failing rows' values one by one
            cat = out[c].astype(object).astype("category")
            out[c] = cat.cat.rename_categories(pd.Index(list(cat.cat.categories), dtype=object))
        elif out[c].dtype != bool and not pd.api.types.is_numeric_dtype(out[c].dtype):
            out[c] = out[c].astype(object)
    return out


def validate(con, *, lenient: bool = False, docs_dir: Path | None = None, catalogue: Catalogue | None = None,
             suites_dir: Path = SUITE_DIR, suites: Iterable[str] | None = None) -> GXResult:
    """Validate every current report with the committed suites (or only ``suites``, e.g.
    ``("gongkai-crossyear",)``) in one checkpoint run."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    chosen = suite_names(suites)
    specs = {}
    for t in chosen:
        path = suites_dir / f"gongkai-{t}.json"
        try:
            specs[t] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            from checks.errors import UserError
            raise UserError(f"{path}: cannot read this GX suite ({getattr(e, 'strerror', None) or e}); "
                            "run `gongkai expectations build`") from None
    on = {(e.get("meta") or {}).get("frame") for t in chosen if t != CROSSYEAR for e in specs[t]["expectations"]}

    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from checks.rules.kinds.crossyear import pair_frame

    catalogue = catalogue or load_catalogue()
    frames: dict[str, pd.DataFrame | None] = {"evaluation": None, "pairs": None, STRUCTURE: None}
    if on - {STRUCTURE}:
        frames["evaluation"] = gx_frame(con, lenient=lenient, catalogue=catalogue)
    if CROSSYEAR in chosen:     # the cross-year suite's rows, in the same batch (ids apart)
        pairs = pair_frame(con, catalogue)
        frames["pairs"] = pairs.assign(instance_id=pairs["instance_id"] + PAIR_ID_OFFSET)
    if STRUCTURE in on:
        frames[STRUCTURE] = structure_gx_frame(con, catalogue)
    frame = _stack(frames)
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (ctx.data_sources.add_pandas("gongkai").add_dataframe_asset("rule_instances")
             .add_batch_definition_whole_dataframe("all_reports"))
    definitions, n_expectations = [], 0
    for t in chosen:
        suite = ctx.suites.add(gx.ExpectationSuite(**specs[t]))
        n_expectations += len(suite.expectations)
        definitions.append(ctx.validation_definitions.add(
            gx.ValidationDefinition(name=f"validate-{t}", data=batch, suite=suite)))
    actions = []
    if docs_dir is not None:
        ctx.add_data_docs_site(site_name="gongkai", site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                              "base_directory": str(Path(docs_dir).resolve())},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"}})
        actions.append(gx.checkpoint.UpdateDataDocsAction(name="docs", site_names=["gongkai"]))
    checkpoint = ctx.checkpoints.add(gx.Checkpoint(
        name="gongkai-check", validation_definitions=definitions, actions=actions,
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": GX_INDEX_COLUMNS}))
    # GX Data Docs put index values into HTML as they are: hand GX inert text, attribute failures by ids
    result = checkpoint.run(batch_parameters={"dataframe": inert_frame(_for_gx(frame, specs.values()))})
    failures = _attribute(result, frame, catalogue)
    docs = Path(docs_dir) / "index.html" if docs_dir is not None else None
    return GXResult(bool(result.success), len(frame), n_expectations, failures, docs)


def _attribute(result, frame: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """The failures of a checkpoint result: one row per unexpected row of the evaluation and pair frames,
    and the unexpected structure rows of each rule folded into its findings by its kind (as pandera's)."""
    columns = INDEX_COLUMNS + ["lhs", "rhs"]
    rows, structural = [], {}
    for run in result.run_results.values():
        for r in run.results:
            meta = r.expectation_config.meta or {}
            ids = r.result.get("unexpected_index_list") or []
            if meta.get("frame") == STRUCTURE:
                structural.setdefault(meta["code"], set()).update(int(i["instance_id"]) for i in ids)
            else:
                rows.extend((int(i["report_id"]), int(i["instance_id"])) for i in ids)
    # GX saw inert text: the text columns come from the frame itself, by (report_id, instance_id)
    keys = pd.DataFrame(rows, columns=["report_id", "instance_id"])
    found = [keys.merge(frame[frame["frame"] != STRUCTURE].drop_duplicates(["report_id", "instance_id"]),
                        on=["report_id", "instance_id"], how="left")
             .reindex(columns=columns)]
    if structural:
        cells = frame[frame["frame"] == STRUCTURE].set_index("instance_id", drop=False)
        meta = cells[["report_id", "agency", "year", "template"]].drop_duplicates("report_id")
        for code, ids in sorted(structural.items()):
            if ids:
                rule = catalogue.rule(code)
                f = kind_of(rule).fold(rule, cells.loc[sorted(ids)].reset_index(drop=True))
                found.append(f.drop_duplicates().merge(meta, on="report_id", how="left").assign(code=code)
                             .reindex(columns=columns))
    out = pd.concat(found, ignore_index=True).astype(object)
    return out.where(out.notna(), None)


def validate_warehouse(db, *, lenient: bool = False, docs_dir: Path | None = None,
                       suites: Iterable[str] | None = None) -> GXResult:
    """:func:`validate` on the warehouse file ``db`` (opened read-only)."""
    from checks import warehouse

    con = warehouse.connect(db, read_only=True)
    try:
        return validate(con, lenient=lenient, docs_dir=docs_dir, suites=suites)
    finally:
        con.close()
