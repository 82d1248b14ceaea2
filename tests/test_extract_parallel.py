"""`gongkai extract --workers 2` writes the same bytes as one process: the workers send the chunk's CSV
lines as UTF-8 bytes, which the parent appends as they are; report files are read with a buffer sized
by their stat, with the same bytes and the same refusals as :func:`checks.formats.read_bytes`."""

from __future__ import annotations

import shutil

import pytest

from checks.extract.files import _read, extract_to
from checks.formats import InputError, Limits, read_bytes
from tests.conftest import SEEDS


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    src = tmp_path_factory.mktemp("parallel") / "in"
    src.mkdir()
    for k in range(3):
        for p in sorted(SEEDS.iterdir()):
            shutil.copy(p, src / f"{k}_{p.name}")
    return src


def test_workers_write_the_bytes_one_process_writes(corpus, tmp_path):
    one = extract_to([corpus], tmp_path / "one" / "c.csv", chunk=3, workers=1)
    two = extract_to([corpus], tmp_path / "two" / "c.csv", chunk=3, workers=2)
    assert one.written == two.written and one.written["cells"] > 1000 and one.written["narrative"] > 0
    for a, b in zip(one.outputs, two.outputs):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert one.reports.equals(two.reports) and one.issues.equals(two.issues)


def test_sized_read_matches_read_bytes(tmp_path):
    f = tmp_path / "r.txt"
    for data in (b"", b"x", "表格\n".encode() * 5000):
        f.write_bytes(data)
        assert _read(f, Limits()) == read_bytes(f, Limits())
    small = Limits(max_bytes=10)
    f.write_bytes(b"0123456789")
    assert _read(f, small) == read_bytes(f, small) == b"0123456789"
    f.write_bytes(b"0123456789a")
    with pytest.raises(InputError) as mine:
        _read(f, small)
    with pytest.raises(InputError) as theirs:
        read_bytes(f, small)
    assert str(mine.value) == str(theirs.value)
    with pytest.raises(InputError) as mine:
        _read(tmp_path / "missing.txt", Limits())
    with pytest.raises(InputError) as theirs:
        read_bytes(tmp_path / "missing.txt", Limits())
    assert str(mine.value) == str(theirs.value)
