"""The check over statistics a user could really hand us: a generated multi-year corpus whose cells
were then written the ways reports write them (negative, halves, blanks, slashes, dashes, formulas,
numbers with words or units or thousands separators). Some rows are quarantined at load, so cells go
missing next to filled ones, across years too. Whatever the cells hold, ``gongkai check`` runs to the
end in strict and lenient mode and every finding has its message in both languages: a finding that
could not be worded once stopped the whole check (C-01 with this year's 上年结转 missing).
"""

from __future__ import annotations

import csv
import random

import pytest

from checks import generate, pipeline, warehouse
from checks.agencies import REGISTRY_ENV

MUTATIONS = {
    "negative": lambda r: "-" + r, "half": lambda r: r + ".5", "blank": lambda r: "", "slash": lambda r: "/",
    "dash": lambda r: "——", "formula": lambda r: "=1+2", "words": lambda r: "约" + r + "件",
    "unit": lambda r: r + "万元", "thousands": lambda r: "1,2" + r, "spaced": lambda r: f" {r} ",
}


@pytest.fixture(scope="module")
def mutated(tmp_path_factory):
    out = tmp_path_factory.mktemp("mutated")
    generate.generate_corpus(out / "corpus", 12, "2018-2022", seed=11, layouts="none", faults=0.2)
    rng = random.Random(5)
    kinds = sorted(MUTATIONS)
    changed = 0
    for f in sorted((out / "corpus" / "stats").rglob("*.csv")):
        if f.name.endswith((".narrative.csv", ".issues.csv")):
            continue
        with open(f, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            fields, rows = reader.fieldnames, list(reader)
        for row in rows:
            # the cells that carry from one year to the next more often: a missing one meets last year's
            rate = 0.4 if "carried_over" in row["item"] else 0.08
            if row["raw"].strip().isdigit() and rng.random() < rate:
                row["raw"] = MUTATIONS[kinds[changed % len(kinds)]](row["raw"])
                changed += 1
        with open(f, "w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fields, lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
    return out, changed


@pytest.mark.parametrize("lenient", [False, True], ids=["strict", "lenient"])
def test_check_runs_to_the_end_and_words_every_finding(mutated, lenient, monkeypatch):
    out, changed = mutated
    assert changed > 500
    monkeypatch.setenv(REGISTRY_ENV, str(out / "corpus" / "agencies.csv"))
    db = out / f"w-{lenient}.duckdb"
    loaded = warehouse.load_paths([out / "corpus" / "stats"], db)
    con = warehouse.connect(db, read_only=True)
    quarantined = con.execute("SELECT count(*) FROM quarantine").fetchall()[0][0]
    con.close()
    assert loaded.exit_code == 1 and quarantined > 0       # some cells never reach the warehouse
    outcome = pipeline.check_step(db, lenient=lenient)
    assert outcome.exit_code in (0, 1) and outcome.errors > 0
    con = warehouse.connect(db, read_only=True)
    try:
        rows = con.execute("SELECT code, count(*), count(*) FILTER (WHERE message = '' OR message_en = '') "
                           "FROM findings WHERE run_id = ? GROUP BY code", [outcome.run_id]).fetchall()
    finally:
        con.close()
    codes = {c for c, _, _ in rows}
    assert {c for c, _, empty in rows if empty} == set()
    assert {"N-01", "Q-01", "C-01"} <= codes        # table sums, quarantined rows, the carry-over chain
