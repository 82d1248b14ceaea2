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

The cross-year rules have their own suite (``gongkai-crossyear.json``) on their own frame, the pair
frame DuckDB prepares (:func:`checks.rules.kinds.crossyear.pair_frame`: one row per rule ×
agency-year × series or cell with the measure ``score`` and whether the rule applies, ``gate``):
each is ``expect_column_values_to_be_between(score, …)`` on its gated rows.

The whole frame is validated once (a checkpoint per agency would cost ~0.14 s each), with agency,
year and the rule instance as unexpected-index columns, so failures are attributed afterwards.
GX Data Docs are built from the checkpoint. Importing GX takes seconds: this module imports it
only when it validates.
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from checks import templates
from checks.rules import evaluation_frame, load_catalogue
from checks.rules.catalogue import Catalogue, kind_of

SUITE_DIR = Path(__file__).resolve().parent.parent / "expectations"
INDEX_COLUMNS = ["agency", "year", "template", "report_id", "code", "item", "column", "instance_id"]
CROSSYEAR = "crossyear"
"""The suite of the cross-year rules (validated on the pair frame, not per template)."""
SUITES = (*templates.TEMPLATE_IDS, CROSSYEAR)
PAIR_ID_OFFSET = 1_000_000_000
"""Pair-frame rows join the validated frame with their instance ids offset by this (never a rule instance's id)."""
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
    """The frame with every text column GX may render made :func:`inert`."""
    return frame.assign(**{c: frame[c].map(inert) for c in TEXT_COLUMNS if c in frame.columns})


def validate(con, *, lenient: bool = False, docs_dir: Path | None = None, catalogue: Catalogue | None = None,
             suites_dir: Path = SUITE_DIR) -> GXResult:
    """Validate every current report with the committed suites in one checkpoint run."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from checks.rules.kinds.crossyear import pair_frame

    frame = gx_frame(con, lenient=lenient, catalogue=catalogue)
    pairs = pair_frame(con, catalogue)      # the cross-year suite's rows, in the same batch (ids apart)
    frame = pd.concat([frame, pairs.assign(instance_id=pairs["instance_id"] + PAIR_ID_OFFSET)], ignore_index=True)
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (ctx.data_sources.add_pandas("gongkai").add_dataframe_asset("rule_instances")
             .add_batch_definition_whole_dataframe("all_reports"))
    definitions, n_expectations = [], 0
    for t in SUITES:
        path = suites_dir / f"gongkai-{t}.json"
        try:
            spec = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            from checks.errors import UserError
            raise UserError(f"{path}: cannot read this GX suite ({getattr(e, 'strerror', None) or e}); "
                            "run `gongkai expectations build`") from None
        suite = ctx.suites.add(gx.ExpectationSuite(**spec))
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
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": INDEX_COLUMNS}))
    # GX Data Docs put index values into HTML as they are: hand GX inert text, attribute failures by ids
    result = checkpoint.run(batch_parameters={"dataframe": inert_frame(frame)})
    originals = frame.set_index(["report_id", "instance_id"])[list(TEXT_COLUMNS)]
    originals = originals[~originals.index.duplicated()]

    rows = []
    for run in result.run_results.values():
        for r in run.results:
            for idx in r.result.get("unexpected_index_list") or []:
                row = {c: idx.get(c) for c in INDEX_COLUMNS + ["lhs", "rhs"]}
                key = (row["report_id"], row["instance_id"])
                if key in originals.index:
                    row.update(originals.loc[key].to_dict())
                rows.append(row)
    failures = pd.DataFrame(rows, columns=INDEX_COLUMNS + ["lhs", "rhs"])
    docs = Path(docs_dir) / "index.html" if docs_dir is not None else None
    return GXResult(bool(result.success), len(frame), n_expectations, failures, docs)


def validate_warehouse(db, *, lenient: bool = False, docs_dir: Path | None = None) -> GXResult:
    """:func:`validate` on the warehouse file ``db`` (opened read-only)."""
    from checks import warehouse

    con = warehouse.connect(db, read_only=True)
    try:
        return validate(con, lenient=lenient, docs_dir=docs_dir)
    finally:
        con.close()
