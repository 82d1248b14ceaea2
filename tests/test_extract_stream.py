"""`gongkai extract` streams: files are extracted and written a chunk at a time (bounded memory),
optionally in several processes, and the outputs are exactly what extracting everything at once writes."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from checks.extract import extract_paths, write_extraction
from checks.extract.files import extract_to
from checks.formats import read_extracted
from tests.conftest import seed_copies


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The seeds five times over under other names, plus a file that cannot be read."""
    src = seed_copies(tmp_path_factory.mktemp("stream") / "in", 5)
    os.mkfifo(src / "9_broken.txt")        # not a regular file: refused with its one line, never opened
    return src


@pytest.mark.parametrize("fmt,workers", [("csv", 1), ("jsonl", 1), ("parquet", 2)])
def test_streamed_outputs_equal_the_whole_extraction(corpus, tmp_path, fmt, workers):
    whole = extract_paths([corpus])
    expected = write_extraction(whole, tmp_path / "whole" / f"c.{fmt}", fmt)
    seen = []
    ext = extract_to([corpus], tmp_path / "stream" / f"c.{fmt}", fmt, chunk=4, workers=workers,
                     on_file=lambda f, e, done, total: seen.append((f.name, e is None, done, total)))
    assert [p.name for p in ext.outputs] == [p.name for p in expected]
    assert ext.written == {"cells": len(whole.cells), "narrative": len(whole.narrative), "issues": len(whole.issues)}
    assert ext.n_cells == len(whole.cells) > 2000 and ext.cells.empty      # nothing held in memory
    for a, b in zip(expected, ext.outputs):
        if fmt == "csv":
            assert a.read_text(encoding="utf-8") == b.read_text(encoding="utf-8")
        else:
            read = (lambda p: pd.read_json(p, lines=True, dtype=False)) if fmt == "jsonl" else pd.read_parquet
            x, y = read(a), read(b)
            assert x.astype(str).fillna("").values.tolist() == y.astype(str).fillna("").values.tolist() \
                or x.fillna("").astype(str).values.tolist() == y.fillna("").astype(str).values.tolist()
    # the cells file reads back exactly like the one written at once
    assert read_extracted(ext.outputs[0]).drop(columns=["_line"]).equals(
        read_extracted(expected[0]).drop(columns=["_line"]))
    assert [str(e) for e in ext.errors] == [str(e) for e in whole.errors] and len(ext.errors) == 1
    assert ext.reports.equals(whole.reports) and ext.exit_code == whole.exit_code == 1
    assert [s[2] for s in seen] == list(range(1, 27)) and {s[3] for s in seen} == {26}
    assert [n for n, ok, _, _ in seen if not ok] == ["9_broken.txt"]
