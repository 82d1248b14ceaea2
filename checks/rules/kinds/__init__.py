"""Rule kinds as a registry: each kind is one class that owns everything about it.

A catalogue rule names its ``kind``; the class registered under that name says

* what a rule of the kind may say in the catalogue: the message placeholders it fills
  (:attr:`Kind.placeholders`) and :meth:`Kind.validate` (refs resolved against the templates);
* its SQL: :meth:`Kind.sql` returns the queries that produce its findings (rows of
  :data:`checks.tables.FINDINGS`) for every current report at once; kinds with the same
  :attr:`Kind.batch` run as one query;
* its Great Expectations expectation(s) on the evaluation frame (:meth:`Kind.gx_expectations`);
* its pandera check (:meth:`Kind.pandera_check`, on the frame named by :attr:`Kind.frame`) and
  how failing rows become findings (:meth:`Kind.fold`).

Adding a kind is one module in this package (every module here is imported, and its
``@register``-ed classes join the registry) plus the catalogue entries that use it; see README,
"Adding a rule".
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from checks.rules.catalogue import Rule
    from checks.rules.sql import Builder

FAMILIES = ("comparison", "cell", "structure", "surfaced", "crossyear", "narrative")
FRAMES = ("evaluation", "structure", "pairs")
"""The frames the frame backends (GX, pandera) validate: checks.rules.sql.evaluation_frame (one row per
report × comparison instance), checks.rules.pandera_checks.structure_frame (one row per report × cell) and
checks.rules.kinds.crossyear.pair_frame_sql (one row per rule × agency-year × series or cell, across years)."""

_REGISTRY: dict[str, type["Kind"]] = {}


class Kind:
    """A rule kind. Subclasses set :attr:`name` and :attr:`family` and implement what applies."""

    name: ClassVar[str] = ""
    family: ClassVar[str] = ""
    placeholders: ClassVar[frozenset[str]] = frozenset()
    frame: ClassVar[str | None] = None
    """The frame its pandera check (and GX expectation) runs on, or None when it has none."""

    @classmethod
    def batch(cls) -> object:
        """Rules of kinds with the same batch run in one query (default: one query per kind)."""
        return cls

    @classmethod
    def validate(cls, rule: "Rule") -> None:
        """Raise :class:`checks.rules.catalogue.CatalogueError` when the rule cannot apply (default: fine)."""

    @classmethod
    def sql(cls, b: "Builder", rules: list["Rule"]) -> list[tuple[str, str]]:
        """(label, SQL) queries whose rows are the findings of ``rules`` (all of this batch)."""
        return []

    @classmethod
    def gx_expectations(cls, rule: "Rule", template: str) -> list[dict]:
        """GX expectation configurations for one template (default: none)."""
        return []

    @classmethod
    def pandera_check(cls, rule: "Rule"):
        """A ``pandera.Check`` named by the rule code on :attr:`frame` (default: none)."""
        return None

    @classmethod
    def fold(cls, rule: "Rule", rows: "pd.DataFrame") -> "pd.DataFrame":
        """The failing rows of :attr:`frame` → one row per finding: report_id, item, column."""
        return rows[["report_id", "item", "column"]]


class PerRule(Kind):
    """A kind whose rules run one query each (:meth:`rule_sql`)."""

    @classmethod
    def sql(cls, b: "Builder", rules: list["Rule"]) -> list[tuple[str, str]]:
        return [(r.code, cls.rule_sql(b, r)) for r in rules]

    @classmethod
    def rule_sql(cls, b: "Builder", rule: "Rule") -> str:
        """The query whose rows are the findings of one rule."""
        raise NotImplementedError


def register(cls: type[Kind]) -> type[Kind]:
    """Class decorator: add a kind to the registry under ``cls.name``."""
    if not cls.name or cls.family not in FAMILIES:
        raise ValueError(f"{cls.__name__}: a kind needs a name and a family in {FAMILIES}")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"rule kind {cls.name!r} registered twice ({_REGISTRY[cls.name].__name__}, {cls.__name__})")
    if cls.frame not in (None, *FRAMES):
        raise ValueError(f"{cls.__name__}: frame must be one of {FRAMES} or None")
    _REGISTRY[cls.name] = cls
    return cls


def _discover() -> None:
    for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        importlib.import_module(f"{__name__}.{m.name}")


def registry() -> dict[str, type[Kind]]:
    """Every registered kind by name (the modules of this package are imported on first use)."""
    if not _REGISTRY or not getattr(registry, "_done", False):
        _discover()
        registry._done = True  # type: ignore[attr-defined]
    return _REGISTRY


def kind(name: str) -> type[Kind]:
    """The kind registered as ``name`` (``KeyError`` if none)."""
    return registry()[name]


def names(family: str | None = None) -> tuple[str, ...]:
    """Names of the registered kinds (of one family), in registration order."""
    return tuple(n for n, k in registry().items() if family is None or k.family == family)
