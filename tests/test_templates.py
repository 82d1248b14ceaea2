"""The templates as data agree with domain.md, the project's reference for the forms."""

from __future__ import annotations

import itertools
import re

import pytest

from checks import templates
from checks.templates import VALUE, normalize_label
from tests.conftest import DOMAIN

TEXT = DOMAIN.read_text(encoding="utf-8")
ARTICLES = {"一": "1", "五": "5", "六": "6", "八": "8", "九": "9"}


def _section(title: str) -> str:
    start = TEXT.index(title)
    end = TEXT.find("\n## ", start + 1)
    return TEXT[start:end]


def _expand_braces(code: str) -> list[str]:
    parts = re.split(r"\{([^}]*)\}", code)
    choices = [[p] if i % 2 == 0 else p.split(",") for i, p in enumerate(parts)]
    return ["".join(c) for c in itertools.product(*choices)]


def domain_codes() -> dict[str, set[str]]:
    """Every cell code domain.md names, per template, as ``item`` or ``item@column``."""
    codes: dict[str, set[str]] = {"old": set(), "v2019": set(), "v2021": set()}
    codes["old"] = set(re.findall(r"^\| (old\.[a-z0-9_.]+) \|", TEXT, re.M))

    v2019 = _section("## 3. `v2019`")
    columns = re.findall(r"^\| (?:法人或其他组织 / )?[^|]+\| `([a-z]+)` \|$", v2019, re.M)
    rows = re.findall(r"^\| (s3\.[a-z0-9_.]+) \|", v2019, re.M)
    assert len(columns) == 7 and len(rows) == 23
    s2: set[str] = set()
    cols_of = {}
    for art, row_cell, col_cell in re.findall(r"^\| 第二十条第（(.)）项 \| (.*?) \| (.*?) \|$", v2019, re.M):
        row_codes = re.findall(r"→ `([a-z_]+)`", row_cell)
        col_codes = re.findall(r"→`([a-z_]+)`", col_cell) or cols_of["五"]
        cols_of[art] = col_codes
        s2 |= {f"s2.art20_{ARTICLES[art]}.{r}.{c}" for r in row_codes for c in col_codes}
    s4 = {f"s4.{g}.{c}" for g in ("review", "lit_direct", "lit_after_review")
          for c in ("upheld", "corrected", "other", "pending", "total")}
    codes["v2019"] = {f"v2019.{r}@{c}" for r in rows for c in columns} | {f"v2019.{x}" for x in s2 | s4}

    v2021 = _section("## 4. `v2021`")
    other = re.findall(r"→ `(s3\.result\.other\.[a-z_]+)`", v2021)
    assert len(other) == 3
    rows21 = [r for r in rows if r != "s3.result.other"] + other
    listed = re.findall(r"`(v2021\.s2\.[^`]+)`", v2021)
    codes["v2021"] = ({f"v2021.{r}@{c}" for r in rows21 for c in columns}
                      | {c for code in listed for c in _expand_braces(code)} | {f"v2021.{x}" for x in s4})
    return codes


@pytest.mark.parametrize("template_id", templates.TEMPLATE_IDS)
def test_every_code_of_domain_md_is_in_the_template(template_id):
    expected = domain_codes()[template_id]
    actual = {c.code for c in templates.load(template_id).cells}
    assert expected, "domain.md parsing found no codes"
    assert expected - actual == set()
    assert actual - expected == set(), "the template has cells domain.md does not name"


def test_cell_counts_match_the_forms():
    """domain.md §6.2: section 三 has 7 columns × 23 (v2019) / 25 (v2021) rows, section 四 15 cells."""
    old, v2019, v2021 = (templates.load(t) for t in templates.TEMPLATE_IDS)
    assert len(old.cells) == 65 and sum(c.heading for c in old.cells) == 7
    for t, rows in ((v2019, 23), (v2021, 25)):
        assert sum(c.table == "s3" for c in t.cells) == rows * 7
        assert sum(c.table == "s4" for c in t.cells) == 15
    assert sum(c.table.startswith("s2") for c in v2019.cells) == 22
    assert sum(c.table.startswith("s2") for c in v2021.cells) == 10


def test_old_labels_and_units_are_the_official_ones():
    table = re.findall(r"^\| (old\.[a-z0-9_.]+) \| (.+?) \| (\S+) \|", TEXT, re.M)
    by_code = {c.item: c for c in templates.load("old").cells}
    assert len(table) == 65
    for code, label, unit in table:
        cell = by_code[code]
        assert normalize_label(cell.row_label) == normalize_label(label), code
        assert cell.unit == ("" if unit == "—" else unit), code


def test_structure_money_and_signs():
    old = templates.load("old")
    main = old.table("main")
    assert main.row("old.s3.received.total").sum_of == (
        "old.s3.received.in_person", "old.s3.received.fax", "old.s3.received.online", "old.s3.received.letter")
    assert main.row("old.s1.proactive.total").includes == ("old.s1.proactive.normative_docs",)
    assert len(main.row("old.s3.replied.total").sum_of) == 8
    assert {c.item for c in old.cells if c.money} == {"old.s7.fees", "old.s8.budget"}
    v2019, v2021 = templates.load("v2019"), templates.load("v2021")
    assert {c.item for c in v2019.cells if c.signed} == {
        "v2019.s2.art20_5.licensing.change", "v2019.s2.art20_5.other_services.change",
        "v2019.s2.art20_6.penalty.change", "v2019.s2.art20_6.coercion.change", "v2019.s2.art20_8.fees.change"}
    assert {c.item for c in v2019.cells if c.money} == {"v2019.s2.art20_9.procurement.amount"}
    assert {c.item for c in v2021.cells if c.money} == {"v2021.s2.art20_8.fees.amount_wan_yuan"}
    assert not any(c.signed for c in v2021.cells)
    assert len(v2019.table("s3").row("v2019.s3.result.total").sum_of) == 19
    assert len(v2021.table("s3").row("v2021.s3.result.total").sum_of) == 21
    total = v2021.table("s3").columns[-1]
    assert total.code == "total" and len(total.sum_of) == 6
    for t in (v2019, v2021):
        for table in t.tables:
            codes = {r.code for r in table.rows} | {c.code for c in table.columns}
            for r in table.rows:
                assert set(r.sum_of) | set(r.includes) <= codes, r.code
            for c in table.columns:
                assert set(c.sum_of) <= codes, c.code


def test_codes_are_ascii_and_unique():
    for t in templates.all_templates():
        codes = [c.code for c in t.cells]
        assert len(codes) == len(set(codes))
        assert all(c.isascii() and c.startswith(t.id + ".") for c in codes)
        assert all(c.column == VALUE or t.table(c.table).layout == "matrix" for c in t.cells)


def test_ningbo_variant_of_old():
    """Seed 003's local form: no 政府公报 row, no section 九, relabelled staff row."""
    old = templates.load("old")
    cells = {c.item for c in old.cells_for("ningbo")}
    assert len(cells) == 60
    assert "old.s1.channel.gazette" not in cells and not any(c.startswith("old.s9") for c in cells)
    labels = old.row_labels("ningbo")
    assert labels["old.s8.staff.full_time"][0] == "1．专职人员数（不包括政府网站工作人员数）"
    assert labels["old.s1.channel.website"][0].startswith("1．")
    with pytest.raises(KeyError, match="no variant"):
        old.cells_for("atlantis")


@pytest.mark.parametrize("raw,expected", [
    ("（一）主动公开政府信息数（不同渠道和方式公开相同信息计1条）", "主动公开政府信息数(不同渠道和方式公开相同信息计1条)"),
    ("(一) 主动公开政府信息数 (不同渠道和方式公开相同信息计 1 条)", "主动公开政府信息数(不同渠道和方式公开相同信息计1条)"),
    ("1．政府公报公开政府信息数", "政府公报公开政府信息数"),
    ("1. 政府公报公开政府信息数", "政府公报公开政府信息数"),
    ("其中：主动公开规范性文件数", "主动公开规范性文件数"),
    ("3.危及“三安全一稳定”", '危及"三安全一稳定"'),
    ("　　一、主动公开情况", "主动公开情况"),
])
def test_label_normalisation(raw, expected):
    assert normalize_label(raw) == expected
