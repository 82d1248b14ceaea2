"""Template detection from content (domain.md §0 markers), never from the year.

The markers of each template (``markers`` in its YAML, plus the ``early`` markers of §0) are
looked for in the report's *table-like* text: short lines (no sentence of the narrative), joined
without white space so that a label wrapped over two lines (``本年新`` / ``制作数量``) still counts.

* one template has markers → that template;
* two have at least two markers each → ``X-05 template-mixed`` (the one with most markers is used);
* ``early`` markers win → ``X-04``: the early local forms are not supported yet (no cells);
* no marker → the caller tries each template's row labels (``X-09``) before giving up (``X-04``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from checks.templates import TEMPLATE_IDS, load

EARLY_MARKERS = ("申请总数", "对申请的答复总数", "否决公开", "免予公开范围")
_EARLY_RE = re.compile(r"不予公开范围\d")
_WS = re.compile(r"[\s\u3000\u00a0]+")


def _norm(s: str) -> str:
    return _WS.sub("", unicodedata.normalize("NFKC", s))


def _markers() -> dict[str, tuple[str, ...]]:
    out = {t: tuple(_norm(m) for m in load(t).markers) for t in TEMPLATE_IDS}
    out["early"] = tuple(_norm(m) for m in EARLY_MARKERS)
    return out


_MARKERS = _markers()


@dataclass
class Detection:
    template: str | None
    hits: dict[str, list[str]]
    mixed: bool = False

    def describe(self) -> str:
        return "; ".join(f"{t}: {', '.join(h)}" for t, h in self.hits.items() if h) or "no marker"


def table_text(lines) -> str:
    """The short lines of a report, normalised and joined without white space; plus, for a header
    whose words were flattened into lines (PDF text: ``本年新 本年新 对外公开`` / ``制作数量 公开数量
    总数量``), the words of two consecutive lines joined column by column from the right."""
    keep = [l for l in lines if l and len(l) <= 160 and "。" not in l]
    out = ["".join(keep)]
    prev: list[str] = []
    for l in keep:
        words = l.split()
        if len(prev) >= 2 and len(words) >= 2:
            out.extend(a + b for a, b in zip(reversed(prev), reversed(words)))
        prev = words
    # _norm of the whole, piece by piece (memoised per line): NFKC of a concatenation is the
    # concatenation of the parts' NFKC when each part starts with a stable character (_stable:
    # nothing before it reorders or composes with it); the white space
    # removed is removed character by character. Otherwise the whole text at once, as before.
    pieces = keep + out[1:]
    stable = _STABLE
    if all(stable.get(ch) or _stable(ch) for ch in {x[0] for x in pieces}):
        get = _NORM.get
        parts = [get(x) or _norm_line(x) for x in pieces]
        k = len(keep)
        return "|".join(["".join(parts[:k]), *parts[k:]])
    return _norm("|".join(out))


_NORM: dict[str, str] = {}


def _norm_line(x: str) -> str:
    if len(_NORM) > 50_000:
        _NORM.clear()
    y = _NORM[x] = _norm(x)
    return y
_STABLE: dict[str, bool] = {}


def _stable(ch: str) -> bool:
    """Nothing before ``ch`` can reorder or compose with it: its decomposition starts with a starter
    that is no mark and no Hangul jamo (the characters that compose with one before them are marks,
    a few of class 0, and the jamo)."""
    hit = _STABLE.get(ch)
    if hit is None:
        d = unicodedata.normalize("NFKD", ch)
        hit = _STABLE[ch] = bool(d) and unicodedata.combining(d[0]) == 0 and not unicodedata.category(
            d[0]).startswith("M") and not ("\u1100" <= d[0] <= "\u11ff" or "\ua960" <= d[0] <= "\ua97f"
                                          or "\ud7b0" <= d[0] <= "\ud7ff")
    return hit


def detect(compact: str) -> Detection:
    hits = {t: [m for m in ms if m in compact] for t, ms in _MARKERS.items()}
    if _EARLY_RE.search(compact):
        hits["early"].append("不予公开范围N")
    ranked = sorted(hits, key=lambda t: (-len(hits[t]), list(_MARKERS).index(t)))
    best, second = ranked[0], ranked[1]
    if not hits[best]:
        return Detection(None, hits)
    mixed = len(hits[second]) >= 2
    return Detection(best, hits, mixed)
