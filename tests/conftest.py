"""Shared fixtures: where the seeds, golden samples and domain reference live; a fresh warehouse."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "data" / "seeds"
SAMPLES = ROOT / "data" / "samples"
DOMAIN = ROOT / "data" / "reference" / "domain.md"
SEED_STEMS = ("000_ebde6dcd4a6dec74", "001_f432b4650208066c", "002_75ba8c7c95ed2a3b",
              "003_ac397f543ad98429", "004_1779f513d25e1c56")

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Path of a warehouse that does not exist yet."""
    return tmp_path / "warehouse.duckdb"
