"""The fast writers give the same files as the slow reference ones (XLSX rows, indented JSON)."""

import json
import zipfile

import pytest

from checks import exports
from checks.inert import INVISIBLE, _escaped, json_dumps

TRICKY = ["=1+2", "-3", "@x", "+4", "\u202e12", "<b>7</b> & co", " lead", "trail ", "x\r\ny\tz", "#N/A", "中文",
          "\U0001F600", "", "1\u200b0", "'quoted\"", "a" * 40000]


def _fs(n_agencies: int = 3) -> exports.FindingSet:
    findings = []
    for i, raw in enumerate(TRICKY * 2):
        f = {c: None for c in exports.EXPORT_COLUMNS}
        f.update(fingerprint=f"{i:016x}", code="N-01", name="sum", severity="error" if i % 2 else "warning",
                 agency=f"单位{i % n_agencies}\u202e", year=2018 + i % 3, raw=raw, label=raw, message=f"m {raw}",
                 message_en="m", expected=i * 1.5, actual=10 ** 18 + i, delta=-i, exact=bool(i % 2), lenient=False,
                 waived=False, new=None if i % 3 else True, source_line=i or None)
        findings.append(f)
    reports = [{"agency": f"单位{a}\u202e", "year": 2018, "template": "old", "variant": "", "region": "=R",
                "errors": 1, "warnings": 0, "infos": 0, "waived": 0, "worst": None, "codes": "N-01", "new": 0,
                "source_file": "x.csv", "report_id": a} for a in range(n_agencies)]
    return exports.FindingSet({"run_id": "r"}, tuple(reports), tuple(findings))


def _members(path):
    with zipfile.ZipFile(path) as z:
        return [(i.filename, z.read(i)) for i in z.infolist() if i.filename != "docProps/core.xml"]


@pytest.mark.parametrize("max_sheets", [500, 2])
def test_xlsx_same_as_openpyxl_cells(tmp_path, max_sheets):
    fs = _fs()
    fast = exports.write_xlsx(fs, tmp_path / "fast.xlsx", max_sheets=max_sheets)
    slow = exports._write_xlsx_openpyxl(fs, tmp_path / "slow.xlsx", max_sheets=max_sheets)
    assert _members(fast) == _members(slow)


def test_indented_json_same_as_json_dumps():
    import datetime as dt

    doc = {"run": {"a": 1, "t": dt.date(2020, 1, 2)}, "e": {}, "l": [], "x": [[], {}, [1, [2.5, None]]],
           "findings": [dict(f) for f in _fs().findings], "nan": float("nan"), "inf": float("-inf"), 1: True}
    for indent in (0, 1, 2):
        want = INVISIBLE.sub(_escaped, json.dumps(doc, ensure_ascii=False, default=str, indent=indent))
        assert json_dumps(doc, indent=indent) == want
