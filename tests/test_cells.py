"""The one cell parser: every raw spelling met in the seed layouts, and blank is never zero."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from checks.cells import State, parse_cell

N, Z, E, NA, T = State.NUMERIC, State.ZERO, State.EMPTY, State.NA, State.TEXT


@pytest.mark.parametrize("raw,state,value", [
    # seed 000: tab fields, '——' in heading rows, blank value fields
    ("61", N, 61), ("2218", N, 2218), ("0", Z, 0), ("", E, None), ("——", NA, None),
    # seed 001: one cell per line with stray spaces, money with a unit suffix
    (" 1", N, 1), ("3 ", N, 3), (" ", E, None), ("\t", E, None),
    # seed 002: values split off glued labels; seed 004: money with decimals
    ("492", N, 492), ("0.5", N, 0.5),
    # spellings of not-applicable and zero
    ("—", NA, None), ("-", NA, None), ("/", NA, None), ("／", NA, None), ("无", NA, None), ("不适用", NA, None),
    ("零", Z, 0), ("0件", Z, 0), ("0.0", Z, 0),
    # blank look-alikes
    ("\u00a0", E, None), ("&nbsp;", E, None), ("\u3000", E, None), (" &nbsp; ", E, None),
    # full-width digits, separators, spaces inside numbers, unit suffixes
    ("１２３", N, 123), ("1,234", N, 1234), ("1，234", N, 1234), ("1 234", N, 1234), ("12\u00a0345", N, 12345),
    ("2279条", N, 2279), ("5件", N, 5), ("3人次", N, 3),
    # text where a number belongs (L-06)
    ("详见附表", T, None), ("略", T, None), ("2019. 1. 16", T, None), ("1,23", T, None), ("100%", T, None),
])
def test_states_and_values(raw, state, value):
    p = parse_cell(raw)
    assert p.state is state
    assert p.value == value


@pytest.mark.parametrize("raw,value,unit,note", [
    ("251000元", 25.1, "元", "251000元 → 25.1万元"),
    ("7168600元", 716.86, "元", "7168600元 → 716.86万元"),
    ("0.5万元", 0.5, "万元", ""),
    ("2", 2, "", ""),
    ("1.2亿元", 12000, "亿元", "1.2亿元 → 12000万元"),
])
def test_money_is_normalised_to_wan_yuan_and_the_raw_kept(raw, value, unit, note):
    p = parse_cell(raw, money=True)
    assert (p.state, p.value, p.unit, p.note) == (N, value, unit, note)


@pytest.mark.parametrize("raw,value", [("+3", 3), ("-2", -2), ("增2", 2), ("减1", -1), ("增加4", 4), ("减少5", -5),
                                       ("－2", -2), ("0", 0)])
def test_signed_cells(raw, value):
    assert parse_cell(raw, signed=True).value == value


def test_a_negative_count_is_read_but_marked():
    p = parse_cell("-2")
    assert (p.state, p.value) == (N, -2)
    assert "cannot be negative" in p.note


def test_money_in_yuan_outside_a_money_cell_keeps_its_number():
    p = parse_cell("251000元")
    assert (p.value, p.unit, p.note) == (251000, "元", "")


@given(st.text(max_size=30))
def test_any_text_parses_to_exactly_one_state(raw):
    p = parse_cell(raw)
    assert p.state in State
    assert (p.value is None) == (p.state in (E, NA, T))
    if not raw.strip(" \t\r\n\u00a0\u3000"):
        assert p.state is E


@given(st.integers(min_value=0, max_value=10**9))
def test_integers_round_trip_in_every_spelling(n):
    for raw in (str(n), f"{n:,}", f" {n}件 ", str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))):
        assert parse_cell(raw).value == n
