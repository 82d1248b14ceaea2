"""The fast CSV reader (pyarrow) and the Python reader make the same frame, or the fast one steps aside."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest

from checks import formats
from checks.formats import InputError, Limits

HEADER = "agency,year,template,item,column,raw,source_file,source_line"
SAMPLE = Path(__file__).parents[1] / "data" / "samples" / "000_ebde6dcd4a6dec74.csv"
PIECES = ["a", "测", " ", ",", '"', '""', "\n", "\r\n", "\r", "\x00", "\t", "1", "'", "\u00a0"]


def _python(text: str) -> pd.DataFrame | str:
    try:
        return formats._read_csv_python("f.csv", text, Limits())
    except InputError as e:
        return str(e)


def _fields(rng: random.Random) -> str:
    out = []
    for _ in range(8 + rng.choice([0, 0, 0, 0, -1, 1])):
        v = "".join(rng.choice(PIECES) for _ in range(rng.choice([0, 1, 1, 2, 4])))
        if rng.random() < 0.3:
            v = '"' + v.replace('"', '""') + '"'
        out.append(v)
    return ",".join(out)


def _texts(n: int, seed: int):
    rng = random.Random(seed)
    for _ in range(n):
        end = rng.choice(["\n", "\r\n", "\n", "\r"])
        rows = [_fields(rng) if rng.random() < 0.3 else
                ",".join(rng.choice(["测试局", "2018", "", "x y", "1,5"]).replace(",", "") for _ in range(8))
                for _ in range(rng.randint(1, 5))]
        text = (rng.choice(["", "\ufeff"]) + HEADER + end + end.join(rows)
                + rng.choice([end, "", end + end, " "]))
        yield text


@pytest.mark.parametrize("seed", range(4))
def test_the_fast_reader_agrees_with_the_python_reader(seed):
    fast_used = 0
    for text in _texts(500, seed):
        data = text.encode("utf-8")
        slow = _python(data.decode("utf-8-sig"))         # the text as read_extracted decodes it
        try:
            fast = formats._read_csv_fast("f.csv", data, Limits())
        except InputError as e:
            assert str(e) == slow, text
            continue
        if fast is None:
            continue
        fast_used += 1
        assert not isinstance(slow, str), (text, slow)
        pd.testing.assert_frame_equal(fast, slow, check_dtype=True), text
    assert fast_used > 50


def test_well_formed_files_take_the_fast_path(tmp_path):
    f = tmp_path / "ok.csv"
    f.write_text(HEADER + "\n" + "测试局,2018,old,old.s1.proactive.total,value,61,r.txt,73\n"
                 '测试局,2018,old,old.s6.complaints,value,"1,0",r.txt,74\r\n', encoding="utf-8")
    fast = formats._read_csv_fast(f, f.read_bytes(), Limits())
    assert fast is not None and fast["raw"].tolist() == ["61", "1,0"] and fast["_line"].tolist() == [2, 3]
    pd.testing.assert_frame_equal(formats.read_extracted(f), formats.read_extracted(f))


@pytest.mark.parametrize("text", [
    HEADER + "\n" + "a,2018,old,i,value,1,r.txt\n",                 # a row short: quarantined by the Python reader
    HEADER + "\n\n" + "a,2018,old,i,value,1,r.txt,1\n",              # a blank line: line numbers shift
    HEADER + "\n" + 'a,2018,old,i,value,"1\n2",r.txt,1\n',          # a line break inside a field
    HEADER + "\r" + "a,2018,old,i,value,1,r.txt,1\r",                # old Mac line ends
])
def test_the_fast_reader_steps_aside_for_what_it_cannot_vouch_for(text):
    assert formats._read_csv_fast("f.csv", text.encode(), Limits()) is None


def _slow_way(path, data: bytes, limits: Limits = Limits()) -> pd.DataFrame | str:
    """What read_extracted made before the fast reader read bytes: the whole text decoded, then read."""
    try:
        df = formats._read_csv(path, formats._decode(path, data), limits)
    except InputError as e:
        return str(e)
    for col in formats.COLUMNS:
        if col not in df.columns:
            df[col] = ""
    return df


BYTES = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\xef\xbb\xbf", b"\r", b"\n", b"", b"", b""]


@pytest.mark.parametrize("seed", range(3))
def test_read_extracted_from_bytes_agrees_with_decoding_first(tmp_path, seed):
    """Bytes that are not UTF-8, a NUL, a BOM, UTF-16, blank or one-line files, a bad header: the
    same frame or the same one-line error as decoding the whole text and reading it with Python."""
    rng = random.Random(seed)
    fast_used = 0
    for k, text in enumerate(_texts(300, seed + 10)):
        data = text.encode("utf-8")
        pos = rng.randrange(len(data) + 1)
        choice = rng.random()
        if choice < 0.4:
            data = data[:pos] + rng.choice(BYTES) + data[pos:]
        elif choice < 0.45:
            data = rng.choice([b"\xff\xfe", b"\xfe\xff", b" \n", b"", b"a,b\n"]) + data[:rng.choice([0, pos])]
        elif choice < 0.5:
            data = data.replace(b"source_line", rng.choice([b"agency", b"source_lin", b"source_line,x"]), 1)
        f = tmp_path / f"{k}.csv"
        f.write_bytes(data)
        slow = _slow_way(f, data)
        try:
            got = formats.read_extracted(f, Limits())
        except InputError as e:
            assert str(e) == slow, data
            continue
        assert not isinstance(slow, str), (data, slow)
        pd.testing.assert_frame_equal(got, slow, check_dtype=True)
        fast_used += formats._read_csv_fast(f, data, Limits()) is not None
    assert fast_used > 30


@pytest.mark.parametrize("seed", range(3))
def test_a_file_over_the_row_limit_is_refused_before_it_is_parsed(tmp_path, seed, monkeypatch):
    """Over the row limit, the same one-line error (and line) as the slow way, or the same error that
    comes before it (not UTF-8, a bad header); a file whose rows are its lines (no quote, no blank
    line) is refused before pyarrow parses it (a 3 GB file took 46 s and 22 GB to be refused)."""
    import pyarrow.csv as pacsv

    rng = random.Random(seed)
    early = 0
    for k, text in enumerate(_texts(200, seed + 20)):
        data = text.encode("utf-8")
        if rng.random() < 0.6:
            data = data.replace(b'"', b"")
        pos = rng.randrange(len(data) + 1)
        choice = rng.random()
        if choice < 0.3:
            data = data[:pos] + rng.choice(BYTES) + data[pos:]
        elif choice < 0.4:
            data = data.replace(b"source_line", rng.choice([b"agency", b"source_line,x"]), 1)
        limits = Limits(max_rows=rng.choice([1, 2, 3, 5, 50]))
        f = tmp_path / f"{k}.csv"
        f.write_bytes(data)
        slow = _slow_way(f, data, limits)
        try:
            got = formats.read_extracted(f, limits)
        except InputError as e:
            assert str(e) == slow, data
            if "rows (the limit" in str(e):
                with monkeypatch.context() as m:
                    m.setattr(pacsv, "read_csv", lambda *a, **kw: pytest.fail("parsed"))
                    try:
                        formats._read_csv_fast(f, data, limits)
                    except InputError as e2:
                        assert str(e2) == slow
                        early += 1
                    except pytest.fail.Exception:
                        assert b'"' in data or b"\n\n" in data.rstrip(b"\r\n") or b"\n\r\n" in data.rstrip(b"\r\n")
            continue
        assert not isinstance(slow, str), (data, slow)
        pd.testing.assert_frame_equal(got, slow, check_dtype=True)
    assert early > 10


def _streamed(path, rng: random.Random) -> pd.DataFrame | str:
    try:
        parts = [t[0] for t in formats.iter_extracted(path, block_bytes=rng.choice([1, 7, 40, 200, 1 << 20]),
                                                      rows=rng.choice([1, 2, 3, 1000]))]
    except InputError as e:
        return str(e)
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize("seed", range(3))
def test_a_file_read_in_parts_is_the_file_read_whole(tmp_path, seed):
    """Read in blocks (the fast way while a block's lines are its records, the Python reader from the
    first block that is not), the parts put together are the frame read whole, or the same one-line
    error: on the random texts and bytes above, blocks from 1 byte (every line its own block) up."""
    rng = random.Random(seed)
    unlimited = Limits(max_bytes=1 << 40, max_rows=1 << 40)
    compared = errors = 0
    for k, text in enumerate(_texts(300, seed + 20)):
        data = text.encode("utf-8")
        if rng.random() < 0.4:
            pos = rng.randrange(len(data) + 1)
            data = data[:pos] + rng.choice(BYTES) + data[pos:]
        # longer files too: many blocks, a fault anywhere in them
        if rng.random() < 0.3:
            body = data.split(b"\n", 1)[1] if b"\n" in data else b""
            data = data + body * rng.randint(1, 5)
        f = tmp_path / f"{k}.csv"
        f.write_bytes(data)
        try:
            whole = formats.read_extracted(f, unlimited)
        except InputError as e:
            whole = str(e)
        parts = _streamed(f, rng)
        if isinstance(whole, str):
            errors += 1
            assert isinstance(parts, str) and parts.startswith(str(f)), (data, whole, parts)
            # the whole-file reader decodes all the text before it reads a row: with a byte that is not
            # UTF-8 further on, it names that byte where the parts name a fault before it
            if "not UTF-8" in parts or "not UTF-8" not in whole:
                assert parts == whole, (data, whole, parts)
            continue
        assert not isinstance(parts, str), (data, parts)
        pd.testing.assert_frame_equal(parts, whole, check_dtype=True)
        compared += 1
    assert compared > 60 and errors > 20


def test_a_parquet_file_read_in_parts_is_the_file_read_whole(tmp_path):
    src = formats.read_extracted(SAMPLE)
    f = tmp_path / "x.parquet"
    formats.write_extracted(src, f)
    whole = formats.read_extracted(f)
    parts = [t[0] for t in formats.iter_extracted(f, rows=7)]
    assert len(parts) == -(-len(whole) // 7)
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), whole, check_dtype=True)
