"""The main job, as steps that the CLI (`gongkai run`) and the Prefect flows both call.

Each step is one library call with plain arguments and a plain result, so that a flow task is a
one-line wrapper and the same job runs without Prefect from the command line.
"""

from __future__ import annotations

import json
from pathlib import Path

from checks import warehouse


def load_step(paths: list[str | Path], db: str | Path) -> warehouse.LoadResult:
    """Extract (report files) and load everything under ``paths`` into the warehouse."""
    return warehouse.load_paths(paths, db)


def status_step(db: str | Path, out: str | Path | None = None) -> dict:
    """What the warehouse holds; written to ``out/status.json`` when ``out`` is given."""
    s = warehouse.status(db)
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / "status.json").write_text(json.dumps(s, ensure_ascii=False, indent=2, default=str) + "\n",
                                               encoding="utf-8")
    return s
