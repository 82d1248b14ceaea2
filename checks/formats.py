"""The extracted-statistics format: the input contract for cells extracted anywhere.

One row per cell, long layout, in CSV (UTF-8, with or without BOM, header row), JSON lines
(one object per line) or Parquet. Columns:

=============  ========  ===================================================================
column         required  meaning
=============  ========  ===================================================================
agency         yes       the agency as the report names it (填报单位 / title)
year           yes       the report year (the year the statistics describe), e.g. 2018
template       yes       ``old``, ``v2019`` or ``v2021`` (checks.templates)
item           yes       the item code, exactly as domain.md spells it, e.g. ``v2019.s3.new_received``
column         yes       the column code: ``natural`` … ``total`` in the section 三 matrix,
                         ``value`` everywhere else
raw            yes       the cell's text exactly as the report has it ('' for an empty cell)
source_file    yes       the report file the cell was read from
source_line    yes       1-based line of the cell's text in that file (HTML: the ``<tr>`` line);
                         a cell with no text of its own gets the line its row starts on
variant        no        a local form of the template (``ningbo``: no 政府公报 row, no section 九)
region         no        the region (e.g. 浙江省嘉兴市)
agency_id      no        a stable agency identifier; when given it, not ``agency``, identifies
                         the agency across years
label          no        the row label as the report wrote it
printed_unit   no        the text of the form's 单位 column for this row, as printed
source_col     no        HTML: 1-based column of the cell in its table row, after colspan/rowspan
state, value   no        what the extractor read (NUMERIC/ZERO/EMPTY/NA/TEXT, number); the loader
                         always re-reads ``raw`` with checks.cells and keeps its own reading
=============  ========  ===================================================================

Example (CSV)::

    agency,year,template,item,column,raw,source_file,source_line,label,printed_unit,state,value
    嘉善县经济和信息化局,2018,old,old.s1.proactive.total,value,61,000_ebde6dcd4a6dec74.txt,73,(一) 主动公开政府信息数 (不同渠道和方式公开相同信息计 1 条),条,NUMERIC,61
    嘉善县经济和信息化局,2018,old,old.s1.channel.gazette,value,,000_ebde6dcd4a6dec74.txt,77,1. 政府公报公开政府信息数,条,EMPTY,

Reading never guesses: a file that is not UTF-8, not in this layout, empty or cut off raises
:class:`InputError` naming the file and line; a row with the wrong number of fields is kept and
marked (``_error``) so that the loader can quarantine it with its reason.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from checks.errors import UserError

REQUIRED = ("agency", "year", "template", "item", "column", "raw", "source_file", "source_line")
OPTIONAL = ("variant", "region", "agency_id", "label", "printed_unit", "state", "value", "source_col")
COLUMNS = REQUIRED + OPTIONAL
EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
LINE = "_line"
ERROR = "_error"


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """``text`` with line breaks and control characters written as escapes: it stays one line."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


class InputError(UserError):
    """A file that cannot be read as a whole. ``str()`` is the one line shown to the user:
    ``file:line: problem`` (line breaks and control characters in the name or problem escaped)."""

    def __init__(self, path: str | Path, problem: str, line: int | None = None):
        self.path, self.problem, self.line = str(path), problem, line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(one_line(f"{where}: {problem}"))

    def __reduce__(self):       # picklable (extraction in worker processes sends it back)
        return (type(self), (self.path, self.problem, self.line))


class TooBig(InputError):
    """A file over the limits (:class:`Limits`): not read whole. The loader reads such an
    extracted-statistics file in parts instead (CSV and Parquet, :func:`iter_extracted`)."""


@dataclass(frozen=True)
class Limits:
    """How big an input may be to be read whole. A bigger file or table is never read whole: a report
    text or a JSON-lines file is refused with a message (:class:`TooBig`); the loader reads a CSV or
    Parquet file of extracted statistics in parts instead (memory stays bounded however big it is).

    Defaults: 50 MB per file, 1,000,000 rows (lines) per table; environment variables
    ``GONGKAI_MAX_FILE_MB`` and ``GONGKAI_MAX_ROWS`` change them.
    """

    max_bytes: int = 50 * 1024 * 1024
    max_rows: int = 1_000_000

    @classmethod
    def from_env(cls) -> "Limits":
        d = cls()
        try:
            mb = float(os.environ.get("GONGKAI_MAX_FILE_MB", "") or d.max_bytes / 1024 / 1024)
            rows = int(os.environ.get("GONGKAI_MAX_ROWS", "") or d.max_rows)
        except ValueError:
            raise UserError("GONGKAI_MAX_FILE_MB and GONGKAI_MAX_ROWS must be numbers") from None
        return cls(int(mb * 1024 * 1024), rows)


def is_folder(path: str | Path) -> bool:
    """``path`` is a folder. Unlike :meth:`Path.is_dir`, never raises: a path that cannot be looked at
    (a parent folder without permission) is not a folder, and reading it later says why in one line."""
    return os.path.isdir(path)


def is_there(path: str | Path) -> bool:
    """``path`` exists, or may (it cannot be looked at: permission denied); False only when it is missing.
    Unlike :meth:`Path.exists`, never raises."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except (OSError, ValueError):
        return True
    return True


def check_file(path: str | Path, limits: Limits | None = None) -> os.stat_result:
    """Stat ``path`` without opening it: an :class:`InputError` when it is missing, not a regular
    file (a FIFO or a device would block or never end), or bigger than the limit."""
    path = Path(path)
    limits = limits or Limits.from_env()
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except OSError as e:
        raise InputError(path, f"cannot read the file ({e.strerror or e})") from None
    if not stat.S_ISREG(st.st_mode):
        kind = ("a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode)
                else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
                else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
        raise InputError(path, f"skipped: {kind}, not a regular file")
    if st.st_size > limits.max_bytes:
        raise TooBig(path, f"the file is too big ({st.st_size / 1024 / 1024:.1f} MB; the limit is "
                               f"{limits.max_bytes / 1024 / 1024:g} MB, GONGKAI_MAX_FILE_MB): not read")
    return st


def read_bytes(path: str | Path, limits: Limits | None = None) -> bytes:
    """The bytes of a regular file within the size limit (:func:`check_file`); never blocks on a FIFO."""
    limits = limits or Limits.from_env()
    check_file(path, limits)
    try:
        with open(path, "rb") as f:
            # a buffer of the file's size, not of the limit (50 MB asked for per file cost more than the read)
            want = min(os.fstat(f.fileno()).st_size, limits.max_bytes) + 1
            data = f.read(want)
            if len(data) == want and want <= limits.max_bytes:     # it grew since: read on, up to the limit
                data += f.read(limits.max_bytes + 1 - want)
    except OSError as e:
        raise InputError(path, f"cannot read the file ({e.strerror or e})") from None
    if len(data) > limits.max_bytes:
        raise TooBig(path, f"the file is too big (over the {limits.max_bytes / 1024 / 1024:g} MB limit, "
                               "GONGKAI_MAX_FILE_MB): not read")
    return data


def too_many_rows(path: str | Path, rows: int, limits: Limits, line: int | None = None) -> InputError:
    return TooBig(path, f"the table has more than {limits.max_rows:,} rows (the limit, GONGKAI_MAX_ROWS): "
                            "nothing was loaded from it", line)


def _decode(path: Path, data: bytes) -> str:
    if not data.strip():
        raise InputError(path, "the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(path, "the file is UTF-16; the extracted-statistics format is UTF-8")
    if b"\x00" in data[:65536]:
        kind = "a CSV" if path.suffix.lower() == ".csv" else "a JSON-lines"
        raise InputError(path, f"not {kind} file: it holds binary data")
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as e:
        at = bom + e.start          # the offset in the file, BOM included
        line = data[:at].count(b"\n") + 1
        raise InputError(path, f"not UTF-8 text (byte 0x{data[at]:02x} at offset {at}); "
                               "save it as UTF-8", line) from None


def _check_header(path: Path, header: list[str]) -> None:
    seen: set[str] = set()
    for h in header:
        if h in seen:
            name = f"{h[:40]!r}" if h else "an empty name"
            raise InputError(path, f"the header names column {name} twice: which one holds the data is "
                                   "ambiguous", 1)
        seen.add(h)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        shown = ",".join(h[:20] for h in header[:6])
        raise InputError(path, f"not an extracted-statistics file: missing column(s) {', '.join(missing)} "
                               f"(header starts {shown!r})", 1)


def _read_csv(path: Path, text: str, limits: Limits) -> pd.DataFrame:
    if "\n" not in text.rstrip("\r\n") and text.count(",") < len(REQUIRED) - 1:
        raise InputError(path, "not a CSV file with a header row and data rows", 1)
    return _read_csv_python(path, text, limits)


def _refuse_long_early(path: Path, data: bytes, header: list[str], start: int, end: int, newlines: int,
                       limits: Limits) -> None:
    """Refuse a file over the row limit before parsing it, with the error the Python reader would
    give (its line: the first row past the limit), when its rows are its lines: no quote, no blank
    line, no NUL between ``start`` (the first row) and ``end`` (the last line end stripped;
    ``newlines``: the line ends from ``start`` on, counted by the caller). The
    errors that come before it on the slow way come first here too: not UTF-8 (the file is then left
    to it), then the header. Otherwise nothing is decided here."""
    import numpy as np
    import pyarrow as pa

    rows = newlines - data.count(b"\n", end) + 1
    if rows <= limits.max_rows or data.find(b'"', start, end) >= 0 or data.find(b"\x00", start, end) >= 0 \
            or data.find(b"\n\n", start, end) >= 0 or data.find(b"\n\r\n", start, end) >= 0:
        return
    try:        # UTF-8 throughout, checked without decoding (as str the text would take several times its bytes)
        pa.LargeStringArray.from_buffers(1, pa.py_buffer(np.array([0, len(data)], np.int64)),
                                         pa.py_buffer(data)).validate(full=True)
    except pa.ArrowInvalid:
        return
    _check_header(path, header)
    raise too_many_rows(path, rows, limits, limits.max_rows + 2)


def _fast_header(data: bytes) -> tuple[list[str], int] | None:
    """The header of a CSV file's bytes when it is one simple line (UTF-8, ``\n`` or ``\r\n`` end, after
    an optional BOM), and where the rows start; None for anything else (the Python reader decides)."""
    if not data or data.isspace() or data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:65536]:
        return None
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    cut = data.find(b"\n", start)
    if cut < 0 or b"\r" in data[start:cut][:-1]:
        return None
    try:
        head = data[start:cut + 1].decode("utf-8")
    except UnicodeDecodeError:
        return None
    reader = csv.reader(io.StringIO(head, newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error):
        return None
    if reader.line_num != 1:
        return None
    return header, cut + 1


def _line_ends(data: bytes, start: int) -> tuple[int, int] | None:
    """Where the rows of ``data[start:]`` end (trailing line ends stripped) and how many ``\n`` they
    hold, when there is a row and every ``\r`` is part of a ``\r\n``; None otherwise (the Python
    reader says what is wrong)."""
    end = len(data)
    while end > start and data[end - 1] in b"\r\n":
        end -= 1
    if end == start:
        return None
    if data.find(b"\r", start) >= 0 and data.count(b"\r", start) != data.count(b"\r\n", start):
        return None
    return end, data.count(b"\n", start)


def _fast_rows(data: bytes, start: int, header: list[str], max_rows: int | None = None,
               lines: tuple[int, int] | None = None) -> pd.DataFrame | None:
    """Rows of ``data[start:]`` (whole lines, after the header) read by pyarrow, when each record is one
    line: no line break inside a field, no blank line, ``\n`` or ``\r\n`` line ends, every row with the
    header's number of fields, every field UTF-8, quotes as the Python reader (strict) reads them; at
    most ``max_rows`` rows. None otherwise. ``_line`` counts the rows from 0 (the caller adds the line
    of the first one); ``_error`` is ''. ``lines``: :func:`_line_ends`, when the caller has it."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    lines = _line_ends(data, start) if lines is None else lines
    if lines is None:
        return None
    newlines = lines[1]
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(data).slice(start)),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.large_string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                 check_utf8=True))
    except (pa.ArrowException, ValueError):
        return None
    n = table.num_rows
    if not n or (max_rows is not None and n > max_rows) or newlines != (n if data.endswith(b"\n") else n - 1):
        return None
    if data.find(b'"', start) >= 0 and not _same_quoted_rows(data[start:], table):
        return None
    df = table.rename_columns(header).to_pandas(
        types_mapper=lambda t: pd.StringDtype() if t == pa.large_string() else None)
    # what assigning lists (range, [""] * n) makes, without a Python object per row
    df[LINE] = np.arange(0, n, dtype=np.int64)
    df[ERROR] = pd.array(pa.LargeStringArray.from_buffers(n, pa.py_buffer(np.zeros(n + 1, np.int64)),
                                                          pa.py_buffer(b"")), dtype=_LIST_STR)
    return df


def _read_csv_fast(path: Path, data: bytes, limits: Limits) -> pd.DataFrame | None:
    """The common case read by pyarrow's CSV parser straight from the file's bytes: UTF-8 text (with or
    without BOM), a well-formed file, one record per line (no line break inside a field, no blank line,
    ``\n`` or ``\r\n`` line ends), every row with the header's number of fields, within the row limit.
    None for anything else: the file is then decoded (:func:`_decode`) and read by the Python reader
    (:func:`_read_csv_python`), which finds what is wrong and says so with its line.

    The whole text is never decoded here: pyarrow checks that every field is UTF-8 (the bytes between
    fields are ASCII commas, quotes and line ends) and the header line is decoded on its own, so a
    frame comes back only for a file :func:`_decode` accepts, and it is the one the Python reader would
    make (``tests/test_formats.py`` compares them, on text and on random bytes). Errors come in the
    same order as on the slow way: an empty, UTF-16, binary, one-line or non-UTF-8 file goes there;
    the header is checked only once the whole file is known to be UTF-8."""
    got = _fast_header(data)
    if got is None:
        return None
    header, start = got
    lines = _line_ends(data, start)
    if lines is None:
        return None
    _refuse_long_early(path, data, header, start, *lines, limits)
    df = _fast_rows(data, start, header, limits.max_rows, lines)
    if df is None:
        return None
    _check_header(path, header)         # the file is UTF-8 throughout: the header's errors come first
    df[LINE] += 2
    return df


_LIST_STR = pd.Series([""]).dtype
"""The dtype pandas gives a column assigned from a list of str (the Python reader's ``_error``)."""


def _same_quoted_rows(body: bytes, table) -> bool:
    """Whether the Python reader (strict quoting) reads every line holding a quote as pyarrow did:
    pyarrow accepts what strict quoting refuses (text after a closing quote, …)."""
    for i, line in enumerate(body.split(b"\n")):
        if b'"' not in line:
            continue
        text = line.decode("utf-8")
        text = text[:-1] if text.endswith("\r") else text
        try:
            rec = next(csv.reader([text], strict=True))
        except (StopIteration, csv.Error):
            return False
        if rec != [c[i].as_py() for c in table.columns]:
            return False
    return True


def _read_csv_python(path: Path, text: str, limits: Limits) -> pd.DataFrame:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header = _python_header(path, reader)
    batches = list(_python_records(path, reader, len(header), 2, 0, None, limits))
    if not batches:
        raise InputError(path, "the file has a header but no data rows")
    rows, lines, errors = batches[0]
    _last_row_whole(path, text.endswith(("\n", "\r")), errors[-1], lines[-1])
    return _python_frame(rows, header, lines, errors)


def _python_header(path: Path, reader) -> list[str]:
    """The header row of a ``csv.reader`` at the file's start, checked."""
    try:
        header = [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error) as e:
        raise InputError(path, f"not a CSV file ({e})", 1) from None
    _check_header(path, header)
    return header


def _python_records(path: Path, reader, n: int, first_line: int, lines_before: int, batch: int | None,
                    limits: Limits | None = None) -> Iterator[tuple[list, list, list]]:
    """The records of a ``csv.reader`` as rows of ``n`` fields, in batches of ``batch`` (None: one)
    rows: (rows, their lines, why each is malformed or ''). A blank line is skipped; a row with the
    wrong number of fields is kept, padded or cut, and marked. ``first_line``: the line of the first
    record; ``lines_before``: the lines before the reader's first one. Over ``limits.max_rows`` rows
    :class:`TooBig`; a quoting error ends it with its line."""
    rows, lines, errors = [], [], []
    line, seen = first_line, 0
    try:
        for rec in reader:
            if rec:
                if limits is not None and seen >= limits.max_rows:
                    raise too_many_rows(path, seen, limits, line)
                errors.append("" if len(rec) == n else f"row has {len(rec)} fields, the header has {n}")
                rows.append((rec + [""] * n)[:n])
                lines.append(line)
                seen += 1
                if batch is not None and len(rows) >= batch:
                    yield rows, lines, errors
                    rows, lines, errors = [], [], []
            line = lines_before + reader.line_num + 1
    except csv.Error as e:
        raise InputError(path, f"the file is cut off or malformed ({e}); nothing was loaded from it", line) from None
    if rows:
        yield rows, lines, errors


def _last_row_whole(path: Path, ends_line: bool, error: str, line: int) -> None:
    """A file whose last row is malformed and not ended by a line break is cut off."""
    if not ends_line and error:
        raise InputError(path, f"the file is cut off: its last row is incomplete ({error})", line)


def _python_frame(rows: list, header: list[str], lines: list, errors: list) -> pd.DataFrame:
    """A frame of rows as the Python reader makes it."""
    df = pd.DataFrame(rows, columns=header, dtype="string")
    df[LINE] = lines
    df[ERROR] = errors
    return df


def _all_columns(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every column of the format (those the file has not: '')."""
    for col in COLUMNS:
        if col not in df.columns:
            df[col] = ""
    return df


def _scalar(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (dict, list)):
        raise ValueError("a value is a JSON object or array, not text or a number")
    return str(v)


def _read_jsonl(path: Path, text: str, limits: Limits) -> pd.DataFrame:
    records, lines, errors = [], [], []
    raw_lines = text.split("\n")
    if raw_lines and raw_lines[-1] == "":
        raw_lines.pop()
    for i, line in enumerate(raw_lines, start=1):
        if not line.strip():
            continue
        if len(records) >= limits.max_rows:
            raise too_many_rows(path, len(records), limits, i)
        try:
            try:
                obj = json.loads(line)
            except RecursionError:
                raise ValueError("nested too deeply") from None
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
            records.append({str(k): _scalar(v) for k, v in obj.items()})
            errors.append("")
        except ValueError as e:
            if i == len(raw_lines) and not text.endswith("\n"):
                raise InputError(path, f"the file is cut off: its last line is not complete JSON "
                                       f"({one_line(str(e))[:200]})", i) from None
            records.append({})
            errors.append(f"not a JSON object: {one_line(str(e))[:200]}")
        lines.append(i)
    if not any(records):
        raise InputError(path, "no JSON object in the file (is it JSON lines?)", 1)
    header = list(dict.fromkeys(k for r in records for k in r))
    _check_header(path, header)
    df = pd.DataFrame(records, columns=header).fillna("").astype("string")
    df[LINE] = lines
    df[ERROR] = errors
    return df


def _read_parquet(path: Path, limits: Limits) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq
    try:
        meta = pq.ParquetFile(path).metadata
        if meta.num_rows > limits.max_rows:
            raise too_many_rows(path, meta.num_rows, limits)
        table = pq.read_table(path)
        header = table.column_names
        _check_header(path, header)
        df = table.to_pandas().fillna("").astype("string")
    except (pa.ArrowException, OSError, ValueError, TypeError) as e:
        msg = (str(e).splitlines() or [type(e).__name__])[0]
        raise InputError(path, f"not a readable Parquet file ({one_line(msg)[:200]})") from None
    if df.empty:
        raise InputError(path, "the Parquet file has no rows")
    df[LINE] = range(1, len(df) + 1)
    df[ERROR] = ""
    return df


STREAM_BLOCK_BYTES = 16 << 20
"""A file read in parts is cut into blocks of about this many bytes, at line ends."""
STREAM_ROWS = 100_000
"""Rows per frame where a file read in parts is read row by row (the Python reader, Parquet)."""


@dataclass(frozen=True)
class CsvBlock:
    """Bytes ``start`` to ``end`` of a CSV file: whole lines after its one-line header."""

    path: str
    header: tuple[str, ...]
    start: int
    end: int


def _head_errors(path: Path, head: bytes, size: int) -> None:
    """The errors :func:`_decode` gives from a file's first bytes (empty, UTF-16, binary)."""
    if size <= len(head) and not head.strip():
        raise InputError(path, "the file is empty")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(path, "the file is UTF-16; the extracted-statistics format is UTF-8")
    if b"\x00" in head[:65536]:
        raise InputError(path, "not a CSV file: it holds binary data")
    if size <= len(head):
        try:
            _read_csv(path, head.decode("utf-8-sig"), Limits(max_rows=0))
        except UnicodeDecodeError:
            pass
        except InputError as e:
            if e.line == 1 and e.problem.startswith("not a CSV file with a header row"):
                raise


def csv_blocks(path: str | Path, block_bytes: int = STREAM_BLOCK_BYTES) -> tuple[list[str], int, list[CsvBlock]] | None:
    """A CSV file's header, where its rows start and the rows cut into blocks of whole lines; None when
    its header is not one simple line (:func:`iter_extracted` then reads it all the Python way).
    Raises :class:`InputError` for what the file's first bytes show (empty, UTF-16, binary, the header)."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            head = f.read(1 << 16)
            _head_errors(path, head, size)
            got = _fast_header(head)
            if got is None:
                return None
            header, start = got
            _check_header(path, header)
            blocks, pos = [], start
            while pos < size:
                end = pos + block_bytes
                if end >= size:
                    end = size
                else:
                    f.seek(end)
                    while True:
                        window = f.read(1 << 16)
                        cut = window.find(b"\n")
                        if cut >= 0:
                            end += cut + 1
                            break
                        if not window:
                            break
                        end += len(window)
                    end = min(end, size)
                blocks.append(CsvBlock(str(path), tuple(header), pos, end))
                pos = end
    except OSError as e:
        raise InputError(path, f"cannot read the file ({e.strerror or e})") from None
    return header, start, blocks


def read_block(block: CsvBlock) -> tuple[int, pd.DataFrame] | None:
    """A block's rows the fast way (:func:`_fast_rows`; ``_line`` from 0) and its count of line ends,
    or None when they cannot be read so (the Python reader reads on from the block's start)."""
    try:
        with open(block.path, "rb") as f:
            f.seek(block.start)
            data = f.read(block.end - block.start)
    except OSError as e:
        raise InputError(block.path, f"cannot read the file ({e.strerror or e})") from None
    if len(data) != block.end - block.start:
        return None
    df = _fast_rows(data, 0, list(block.header))
    if df is None:
        return None
    return data.count(b"\n"), _all_columns(df)


def _utf8_error(path: Path, start: int, first_line: int) -> InputError | None:
    """The error :func:`_decode` gives for the first byte from ``start`` on that is not UTF-8
    (its line counted from ``first_line`` at ``start``), or None when there is none."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    pos, line = start, first_line
    with open(path, "rb") as f:
        f.seek(start)
        for block in iter(lambda: f.read(1 << 20), b""):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as e:
                # the decoder holds back at most 3 bytes of an unfinished character from the block before
                held = len(e.object) - len(block)
                at = pos - held + e.start
                f.seek(start)
                before = f.read(at - start)
                line = first_line + before.count(b"\n")
                return InputError(path, f"not UTF-8 text (byte 0x{e.object[e.start]:02x} at offset {at}); "
                                        "save it as UTF-8", line)
            pos += len(block)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as e:
            at = pos - len(e.object) + e.start
            f.seek(start)
            line = first_line + f.read(at - start).count(b"\n")
            return InputError(path, f"not UTF-8 text (byte 0x{e.object[e.start]:02x} at offset {at}); "
                                    "save it as UTF-8", line)
    return None


def _iter_csv_python(path: Path, start: int, first_line: int, header: list[str] | None, rows: int,
                     seen: int) -> Iterator[pd.DataFrame]:
    """:func:`_read_csv_python` from byte ``start`` on (the line ``first_line``; ``header`` None: the
    file's start, header included), ``rows`` rows per frame; ``seen``: rows read before ``start``."""
    last = None
    try:
        with open(path, "rb") as raw:
            raw.seek(start)
            text = io.TextIOWrapper(raw, encoding="utf-8-sig" if start == 0 else "utf-8", newline="")
            reader = csv.reader(text, strict=True)
            if header is None:
                header = _python_header(path, reader)
                first_line, lines_before = 2, 0
            else:
                lines_before = first_line - 1
            for last in _python_records(path, reader, len(header), first_line, lines_before, rows):
                got, lines, errors = last
                seen += len(got)
                yield _all_columns(_python_frame(got, header, lines, errors))
            raw.seek(-1, os.SEEK_END)
            ends_line = raw.read(1) in (b"\n", b"\r")
    except UnicodeDecodeError:
        raise (_utf8_error(path, start, first_line if start else 1)
               or InputError(path, "not UTF-8 text; save it as UTF-8")) from None
    except OSError as e:
        raise InputError(path, f"cannot read the file ({e.strerror or e})") from None
    if not seen:
        raise InputError(path, "the file has a header but no data rows")
    if last is not None:
        _last_row_whole(path, ends_line, last[2][-1], last[1][-1])


def _iter_parquet(path: Path, rows: int) -> Iterator[pd.DataFrame]:
    """:func:`_read_parquet` in frames of ``rows`` rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    line = 1
    try:
        pf = pq.ParquetFile(path)
        _check_header(path, pf.schema_arrow.names)
        for batch in pf.iter_batches(batch_size=rows):
            df = batch.to_pandas().fillna("").astype("string")
            df[LINE] = range(line, line + len(df))
            df[ERROR] = ""
            line += len(df)
            yield _all_columns(df)
    except (pa.ArrowException, OSError, ValueError, TypeError) as e:
        msg = (str(e).splitlines() or [type(e).__name__])[0]
        raise InputError(path, f"not a readable Parquet file ({one_line(msg)[:200]})") from None
    if line == 1:
        raise InputError(path, "the Parquet file has no rows")


def iter_extracted(path: str | Path, block_bytes: int = STREAM_BLOCK_BYTES, rows: int = STREAM_ROWS,
                   read_blocks=None) -> Iterator[tuple]:
    """A CSV or Parquet file of extracted statistics read in parts, in file order, never whole: an
    iterator of tuples whose first item is a frame of rows. Put together, the frames are the frame
    :func:`read_extracted` makes of the file with no limits (``tests/test_formats.py`` compares
    them), and a file it refuses raises the same :class:`InputError` (an error may come after some
    parts: the caller keeps the parts apart until the end; a file wrong in two ways may name the one
    further on, as the whole-file reader says which comes first in its own order).

    A CSV file is cut into blocks of about ``block_bytes`` at line ends. Each block is read the fast
    way (:func:`read_block`) while its lines are its records; from the first block that is not, the
    rest is read by the Python reader, ``rows`` rows per frame. ``read_blocks(blocks)``: an iterator of
    the outcome of :func:`read_block` for each block in order (e.g. read in another process), whose
    tuples may carry more frames after the rows (each gets the same line numbers); by default they
    are read here, one by one."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        for df in _iter_parquet(path, rows):
            yield (df,)
        return
    if EXTENSIONS.get(path.suffix.lower()) != "csv":
        raise InputError(path, f"a {path.suffix} file is not read in parts (CSV and Parquet are): not read")
    planned = csv_blocks(path, block_bytes)
    if planned is None:
        yield from ((df,) for df in _iter_csv_python(path, 0, 2, None, rows, 0))
        return
    header, start, blocks = planned
    outcomes = read_blocks(blocks) if read_blocks is not None else map(read_block, blocks)
    line, seen = 2, 0
    try:
        for block in blocks:
            got = next(outcomes, None)
            if got is None:
                yield from ((df,) for df in _iter_csv_python(path, block.start, line, list(block.header), rows, seen))
                return
            newlines, *frames = got
            for df in frames:
                if df is not None:
                    df[LINE] = df[LINE].to_numpy() + line
            line += newlines
            seen += len(frames[0])
            yield tuple(frames)
    finally:
        close = getattr(outcomes, "close", None)
        if close is not None:
            close()
    if not blocks:         # a header and nothing else: the Python reader says so
        yield from ((df,) for df in _iter_csv_python(path, start, 2, header, rows, 0))


def read_extracted(path: str | Path, limits: Limits | None = None, data: bytes | None = None) -> pd.DataFrame:
    """Read one extracted-statistics file into a frame of strings.

    The frame has the file's columns, every optional column (filled with ''), ``_line`` (the
    1-based line of the row in the file; Parquet: the row number) and ``_error`` (why the row
    itself is malformed, '' if it is not). Raises :class:`InputError` for a file that cannot
    be read at all. ``data``: the bytes of a CSV or JSON-lines file when the caller read them
    already (:func:`read_bytes`, e.g. to hash them): the file is not read again.
    """
    path = Path(path)
    limits = limits or Limits.from_env()
    kind = EXTENSIONS.get(path.suffix.lower())
    if kind is None:
        raise InputError(path, f"unknown file type {path.suffix!r} (expected .csv, .jsonl or .parquet)")
    try:
        if kind == "parquet":
            check_file(path, limits)
            df = _read_parquet(path, limits)
        else:
            data = read_bytes(path, limits) if data is None else data
            df = _read_csv_fast(path, data, limits) if kind == "csv" else None
            if df is None:
                text = _decode(path, data)
                df = _read_csv(path, text, limits) if kind == "csv" else _read_jsonl(path, text, limits)
    except OSError as e:
        raise InputError(path, f"cannot read the file ({e.strerror or e})") from None
    return _all_columns(df)


def write_extracted(df: pd.DataFrame, path: str | Path, fmt: str | None = None) -> Path:
    """Write cells in the extracted-statistics format (csv, jsonl or parquet, from ``fmt`` or the suffix)."""
    path = Path(path)
    fmt = fmt or EXTENSIONS.get(path.suffix.lower(), "csv")
    cols = [c for c in COLUMNS if c in df.columns]
    out = df[cols]
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        out.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    elif fmt == "jsonl":
        out.to_json(path, orient="records", lines=True, force_ascii=False)
    elif fmt == "parquet":
        out.to_parquet(path, index=False)
    else:
        raise ValueError(f"unknown format {fmt!r} (csv, jsonl or parquet)")
    return path
