"""`extract_to` writes the cells' CSV line by line (no DataFrame): the bytes must be what
``DataFrame.to_csv`` writes for the same rows, whatever the fields hold (commas, quotes, line breaks,
a carriage return, blanks) and however pandas would type the agency and year columns."""

from __future__ import annotations

import pytest

from checks.extract.files import _cell_frame, _csv_cells, _rows
from checks.extract.model import ReportResult

_CELL = ("v2019", "v2019.s1.x", "new", "12", 7, "", "一、本年新制作数量", "件", "NUMERIC", "12", 3)
_ODD = ["a,b", 'say "x"', "two\nlines", "cr\rhere", "", " ", "１２", "\t", "a\r\nb", '"', ","]


def _result(agency, year, cells):
    r = ReportResult(source_file="f,1.txt" if agency == "quoted" else "f.txt")
    r.agency, r.year = agency, year
    r.cells = list(cells)
    return r


def _pandas(results) -> str:
    return _cell_frame(_rows(results)[0]).to_csv(index=False, lineterminator="\n", header=False)


@pytest.mark.parametrize("years", [(2019, 2020), ("2019", "2020"), ("2019", None), (2019, "x"), (None, None),
                                   (2019, None)])
def test_csv_lines_equal_pandas(years):
    cells = []
    for k, odd in enumerate(_ODD):
        c = list(_CELL)
        c[3], c[6] = odd, odd + "标签"
        c[10] = k if k % 2 else ""
        cells.append(tuple(c))
    results = [_result("某局", years[0], cells), _result("quoted", years[1], cells[:3]), _result(None, 2021, [])]
    text = _csv_cells(results)
    if years == (2019, None):
        assert text is None         # a float column in pandas: framed by the caller
    else:
        assert text == _pandas(results)
