"""`gongkai generate` (issue 13, part 1): deterministic for a seed, templates by year, levels and
regions, the truth matches the injected faults (the checks find exactly its rows through the real
loader), and the texts extract to the cells of the stats files."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from checks import generate as G
from checks import pipeline, warehouse
from checks.cells import clean
from checks.extract import extract_paths
from checks.extract.render import EXACT_RAW

YEARS = (2017, 2018, 2019, 2020, 2021, 2022)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "corpus"
    G.generate_corpus(out, 16, YEARS, seed=13, faults=1 / 6)      # every agency gets a fault, every kind occurs
    return out


def _files(folder: Path) -> list[Path]:
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file() and p.name != "manifest.json")


def test_same_seed_same_corpus_other_seed_other(corpus, tmp_path):
    again = tmp_path / "again"
    G.generate_corpus(again, 16, YEARS, seed=13, faults=1 / 6, workers=2)      # any number of processes
    assert _files(again) == _files(corpus)
    _, mismatch, errors = filecmp.cmpfiles(corpus, again, [str(p) for p in _files(corpus)], shallow=False)
    assert not mismatch and not errors
    other = tmp_path / "other"
    G.generate_corpus(other, 16, YEARS, seed=12, faults=1 / 6, layouts="none")
    assert (other / "truth.csv").read_bytes() != (corpus / "truth.csv").read_bytes()


def test_templates_follow_the_year_levels_regions_renames(corpus):
    rep = pd.read_csv(corpus / "reports.csv", dtype={"year": int})
    assert dict(zip(rep["year"], rep["template"])) == {y: G.template_of(y) for y in YEARS}
    assert G.template_of(2018) == "old" and G.template_of(2019) == "v2019" and G.template_of(2021) == "v2021"
    assert len(rep) == 96 and rep["region"].nunique() >= 12
    stats = pd.concat(pd.read_csv(p, dtype=str, keep_default_na=False)
                      for p in (corpus / "stats").rglob("*.csv") if ".narrative." not in p.name)
    assert set(stats.groupby("year")["template"].unique().map(tuple)) == {("old",), ("v2019",), ("v2021",)}
    assert (stats["agency_id"] != "").all() and stats["source_file"].str.match(r"A\d{12}_\d{4}\.(txt|html)$").all()
    agencies = G.make_agencies(3000, 1)
    levels = pd.Series([p.agency.level for p in agencies]).value_counts()
    assert set(levels.index) == {"province", "city", "county"} and levels["county"] > levels["city"]
    assert len({p.agency.name(2022) for p in agencies}) == 3000             # names unique
    assert any(p.agency.renamed_to for p in agencies)
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["agency_years"] == 96 and manifest["truth_rows"] == len(G.read_truth(corpus))


def _found(db: Path, run_id: str, who: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f"""SELECT r.{who}, f.year, f.code, coalesce(f.item, ''), coalesce(f."column", ''),
                                      f.severity
                               FROM findings f JOIN reports r USING (report_id)
                               WHERE f.run_id = ? AND f.severity IN ('error', 'warning') AND NOT f.waived""",
                           [run_id]).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("what, key", [("stats", "agency_id"), ("texts", "agency")])
def test_checks_find_exactly_the_truth(corpus, tmp_path, monkeypatch, what, key):
    """Loaded through the real loader (stats files, or the texts extracted on the way), checked with
    the whole catalogue: every truth row is found, every error found is a truth row, and warnings
    appear only where a fault sits (its year or the next: a copied table also breaks the chain)."""
    monkeypatch.setenv("GONGKAI_AGENCIES", str(corpus / "agencies.csv"))
    db = tmp_path / "w.duckdb"
    loaded = warehouse.load_paths([corpus / what], db)
    assert not loaded.rejected and not any(f.rows_quarantined for f in loaded.files)
    checked = pipeline.check_step(db)
    truth = G.read_truth(corpus)
    m = G.match_truth(truth, _found(db, checked.run_id, key), key=key)
    assert len(truth) >= 16 and {t["fault"] for t in truth} >= {"jump", "chain", "copy", "narrative", "stock"}
    assert m.missed == [] and m.unexpected_errors == [] and m.stray_warnings == []
    assert checked.errors == sum(1 for f in _found(db, checked.run_id, key) if f[5] == "error") > 0


def test_texts_round_trip_through_the_extractor(corpus):
    rep = pd.read_csv(corpus / "reports.csv", dtype=str, keep_default_na=False)
    sample = rep.groupby("layout").head(3)            # every layout
    assert set(sample["layout"]) == {"tab-rows", "tab-cells", "glued", "pipe-vertical", "pipe-rows",
                                     "pipe-compact", "line-blocks", "html"}
    ext = extract_paths([corpus / f for f in sample["text_file"]])
    assert not ext.errors and ext.issues.empty
    stats = pd.concat(pd.read_csv(corpus / f, dtype=str, keep_default_na=False) for f in set(sample["stats_file"]))
    names = set(Path(f).name for f in sample["text_file"])
    want = {(r.source_file, r.item, r.column): r.raw for r in stats.itertuples() if r.source_file in names}
    got = {(r.source_file, r.item, r.column): r.raw for r in ext.cells.itertuples()}
    assert set(got) == set(want)
    layout = {Path(f).name: lay for f, lay in zip(sample["text_file"], sample["layout"])}
    for k, raw in want.items():
        assert (got[k] if layout[k[0]] in EXACT_RAW else clean(got[k])) == (raw if layout[k[0]] in EXACT_RAW
                                                                            else clean(raw)), k
    meta = ext.reports.set_index("source_file")
    first = stats.drop_duplicates("source_file").set_index("source_file")
    for f in names:
        assert (meta.loc[f, "agency"], str(meta.loc[f, "year"])) == (first.loc[f, "agency"], first.loc[f, "year"])


def test_parquet_and_bad_arguments(tmp_path):
    from checks.errors import UserError
    from checks.formats import read_extracted

    s = G.generate_corpus(tmp_path / "p", 5, "2019-2021", seed=1, layouts="none", fmt="parquet")
    files = sorted((tmp_path / "p" / "stats").rglob("*.parquet"))
    assert s.text_files == 0 and s.agency_years == 15 and len(files) == 2 * s.stats_files    # + narrative
    cells = pd.concat(read_extracted(f) for f in files if ".narrative." not in f.name)
    assert len(cells) == s.cells and set(cells["template"]) == {"v2019", "v2021"}
    assert G.parse_years("2016-2018") == (2016, 2017, 2018) and G.parse_years(3) == (2020, 2021, 2022)
    for bad in ({"years": "1990"}, {"layouts": "nope"}, {"fmt": "xlsx"}):
        with pytest.raises(UserError):
            G.generate_corpus(tmp_path / "x", 2, **{"years": 2, **bad})
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "mine.txt").write_text("x")
    with pytest.raises(UserError, match="neither an empty folder"):
        G.generate_corpus(tmp_path / "busy", 2)
