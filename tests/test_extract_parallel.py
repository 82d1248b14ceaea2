"""`gongkai extract --workers 2` writes the same bytes as one process: the workers send the chunk's CSV
lines as UTF-8 bytes, which the parent appends as they are; report files are read with a buffer sized
by their size, with the limit and refusals of :func:`checks.formats.read_bytes`."""

from __future__ import annotations


import pytest

from checks.extract.files import extract_to
from checks.formats import InputError, Limits, read_bytes
from tests.conftest import seed_copies


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return seed_copies(tmp_path_factory.mktemp("parallel") / "in", 3)


def test_workers_write_the_bytes_one_process_writes(corpus, tmp_path):
    one = extract_to([corpus], tmp_path / "one" / "c.csv", chunk=3, workers=1)
    two = extract_to([corpus], tmp_path / "two" / "c.csv", chunk=3, workers=2)
    assert one.written == two.written and one.written["cells"] > 1000 and one.written["narrative"] > 0
    for a, b in zip(one.outputs, two.outputs):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert one.reports.equals(two.reports) and one.issues.equals(two.issues)


def test_read_bytes_reads_exactly_the_file_within_the_limit(tmp_path):
    """read_bytes sizes its buffer by the file (not by the 50 MB limit): every size reads whole, the
    limit itself is allowed, one byte over is refused, a missing file is one line."""
    f = tmp_path / "r.txt"
    for data in (b"", b"x", "表格\n".encode() * 5000):
        f.write_bytes(data)
        assert read_bytes(f, Limits()) == data
    small = Limits(max_bytes=10)
    f.write_bytes(b"0123456789")
    assert read_bytes(f, small) == b"0123456789"
    f.write_bytes(b"0123456789a")
    with pytest.raises(InputError, match="too big"):
        read_bytes(f, small)
    with pytest.raises(InputError):
        read_bytes(tmp_path / "missing.txt", Limits())
