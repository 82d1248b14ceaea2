"""HTML pages → tables (rows of cells, spans expanded) and the text outside the tables.

A small regex tokenizer, tolerant of the broken markup government sites serve: unclosed
``<td>``/``<tr>``, nested layout tables, upper-case tags, attribute values written ``colspan=\\"2\\"``
by a JSON export, scripts and styles (skipped). Entities are decoded with :func:`html.unescape`
(``&nbsp;`` → U+00A0, ``&quot;`` and ``&#34;`` → ``"``). No dependency: the stdlib parser was 4×
slower on long pages and lxml is not installed.

Provenance: a cell's line is the line of its ``<tr>`` (the extracted-statistics format's rule for
HTML); the grid column after span expansion is kept in ``Cell.col``. A cell's text is its decoded
text with the markup's insignificant white space removed (line breaks and indentation of the
source, not ``&nbsp;``); ``<br>`` inside a cell joins the parts with no separator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape as _unescape

from checks.extract.model import Cell, Row

_BLOCK = {"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "title", "section", "article",
          "header", "footer", "ul", "ol", "table", "blockquote", "pre", "hr", "dd", "dt", "center"}
_SKIP = {"script", "style", "noscript", "template"}
_HTML_WS = " \t\r\n\f"
_DIGITS = re.compile(r"\d+")


@dataclass
class _Cell:
    parts: list[str]
    line: int
    colspan: int = 1
    rowspan: int = 1
    part_lines: list[int] = field(default_factory=list)


@dataclass
class HtmlTable:
    rows: list[list[_Cell]] = field(default_factory=list)
    row_lines: list[int] = field(default_factory=list)
    line: int = 0
    closed: bool = False
    end_line: int = 0


def _span(attrs: str, name: str, cap: int) -> int:
    """``colspan="2"``, ``colspan=2``, ``COLSPAN=\\"2\\"`` → 2 (capped; 1 when absent or unreadable)."""
    i = attrs.lower().find(name)
    if i < 0:
        return 1
    m = _DIGITS.search(attrs, i + len(name), i + len(name) + 12)
    return max(1, min(int(m.group()), cap)) if m else 1


_TOKEN = re.compile(r"<!--.*?(?:-->|\Z)|<![^>]*>|<\?[^>]*>|<(/?)([A-Za-z][A-Za-z0-9:-]*)([^>]*)>", re.S)
_SKIP_END = {t: re.compile(rf"</{t}\s*>", re.I) for t in _SKIP}


class _Parser:
    """A small tolerant tokenizer (tags by regex, entities by html.unescape): several times faster
    than html.parser on long pages, and it never raises."""

    def __init__(self):
        self.tables: list[HtmlTable] = []
        self.stack: list[HtmlTable] = []
        self.cell: list[_Cell | None] = []        # current cell per open table
        self.texts: list[tuple[int, str]] = []    # text blocks outside tables: (line, text)
        self._buf: list[str] = []
        self._buf_line = 0
        self._pre = 0                             # inside <pre>: keep lines, tabs and spaces

    def feed(self, text: str) -> None:
        pos, line, counted = 0, 1, 0
        n = len(text)
        while pos < n:
            m = _TOKEN.search(text, pos)
            if m is None:
                line += text.count("\n", counted, pos)
                counted = pos
                self.handle_data(text[pos:], line)
                break
            if m.start() > pos:
                line += text.count("\n", counted, pos)
                counted = pos
                self.handle_data(text[pos:m.start()], line)
            line += text.count("\n", counted, m.start())
            counted = m.start()
            pos = m.end()
            name = m.group(2)
            if not name:
                continue
            tag = name.lower()
            if m.group(1):
                self.handle_endtag(tag, line)
                continue
            attrs = m.group(3)
            if tag in _SKIP and not attrs.rstrip().endswith("/"):
                e = _SKIP_END[tag].search(text, pos)
                pos = e.end() if e else n
                continue
            self.handle_starttag(tag, attrs, line)
        self._flush()

    # text outside tables
    def _flush(self):
        if self._buf:
            t = "".join(self._buf)
            t = re.sub(r"[ \t\r\n\f]+", " ", t).strip(_HTML_WS)
            if t:
                self.texts.append((self._buf_line, t))
            self._buf = []

    def handle_starttag(self, tag, attrs, line):
        if tag == "table":
            self._flush()
            self._close_cell()
            t = HtmlTable(line=line)
            self.tables.append(t)
            self.stack.append(t)
            self.cell.append(None)
        elif self.stack and tag == "tr":
            self._close_cell()
            t = self.stack[-1]
            t.rows.append([])
            t.row_lines.append(line)
        elif self.stack and tag in ("td", "th"):
            self._close_cell()
            t = self.stack[-1]
            if not t.rows:
                t.rows.append([])
                t.row_lines.append(line)
            c = _Cell([], line, _span(attrs, "colspan", 60), _span(attrs, "rowspan", 300))
            t.rows[-1].append(c)
            self.cell[-1] = c
        elif tag in _BLOCK:
            if tag == "pre" and not self.stack:
                self._pre += 1
            if self.stack and self.cell[-1] is not None:
                self.cell[-1].parts.append("\n")
                self.cell[-1].part_lines.append(line)
            elif not self.stack:
                self._flush()

    def _close_cell(self):
        if self.cell:
            self.cell[-1] = None

    def handle_endtag(self, tag, line):
        if tag == "table" and self.stack:
            t = self.stack.pop()
            self.cell.pop()
            t.closed = True
            t.end_line = line
        elif self.stack and tag in ("td", "th", "tr"):
            self._close_cell()
        elif tag in _BLOCK and not self.stack:
            self._flush()
            if tag == "pre":
                self._pre = max(0, self._pre - 1)

    def handle_data(self, data, line):
        if "&" in data:
            data = _unescape(data)
        if self.stack:
            c = self.cell[-1]
            if c is not None:
                c.parts.append(data)
                c.part_lines.append(line + (len(data) - len(data.lstrip("\n")) if data.startswith("\n") else 0))
            return
        if self._pre:
            # preformatted text (a table typed with TABs or pipes): one text line per source line
            self._flush()
            parts = data.split("\n")
            for k, part in enumerate(parts):
                if k == 0 and not part and len(parts) > 1:
                    continue                      # the line break right after <pre>
                self.texts.append((line + k, part.rstrip("\r")))
            return
        if not self._buf:
            self._buf_line = line + (len(data) - len(data.lstrip("\n")) if data.startswith("\n") else 0)
        self._buf.append(data)


def paragraphs(table: HtmlTable) -> list[tuple[int, str]]:
    """The text of a table that is not a statistics table (a page-layout table), as (line, paragraph)
    blocks split at ``<p>``/``<br>``/``<div>``: narrative and metadata often live in such cells."""
    out: list[tuple[int, str]] = []
    for row in table.rows:
        for c in row:
            buf: list[str] = []
            first = 0
            for part, line in zip(c.parts, c.part_lines):
                if part == "\n":
                    t = re.sub(r"[ \t\r\n\f]+", " ", "".join(buf)).strip(_HTML_WS)
                    if t:
                        out.append((first, t))
                    buf, first = [], 0
                    continue
                if not first and part.strip(_HTML_WS):
                    first = line
                buf.append(part)
            t = re.sub(r"[ \t\r\n\f]+", " ", "".join(buf)).strip(_HTML_WS)
            if t:
                out.append((first or c.line, t))
    return out


def _cell_text(parts: list[str]) -> str:
    """Decoded cell text: source line breaks/indentation dropped, ``&nbsp;`` (U+00A0) kept."""
    text = "".join(parts)
    if "\n" in text or "\r" in text:
        text = "".join(p.strip(_HTML_WS) for p in re.split(r"[\r\n]+", text))
    return text.strip(_HTML_WS)


def grid(table: HtmlTable) -> list[Row]:
    """The table's rows with colspan/rowspan expanded; copies are marked ``span``."""
    pending: dict[int, tuple[str, int, int]] = {}      # column → (text, rows left, origin line)
    out: list[Row] = []
    for cells, line in zip(table.rows, table.row_lines):
        row: list[Cell] = []
        col = 0
        it = iter(cells)
        nxt = next(it, None)
        while nxt is not None or any(c >= col for c in pending):
            if col in pending:
                text, left, _ = pending[col]
                row.append(Cell(text, line, own=False, span=True, col=col))
                if left <= 1:
                    del pending[col]
                else:
                    pending[col] = (text, left - 1, line)
                col += 1
                continue
            if nxt is None:
                col += 1
                if col > 400:
                    break
                continue
            text = _cell_text(nxt.parts)
            for k in range(nxt.colspan):
                row.append(Cell(text, line, own=k == 0, span=k > 0, col=col + k))
                if nxt.rowspan > 1:
                    pending[col + k] = (text, nxt.rowspan - 1, line)
            col += nxt.colspan
            nxt = next(it, None)
        # drop trailing placeholders made only of pending spans beyond the row's real cells
        out.append(Row(row, line, " | ".join(c.text for c in row if not c.span)))
    return out


@dataclass
class HtmlDoc:
    tables: list[HtmlTable]
    texts: list[tuple[int, str]]           # (line, text) outside tables, in document order
    has_html_end: bool


def parse(text: str) -> HtmlDoc:
    p = _Parser()
    p.feed(text)
    return HtmlDoc(p.tables, p.texts, "</html>" in text[-2000:].lower())


_SNIFF = re.compile(r"<\s*(?:!doctype\s+html|html|table|body|p|div|td)\b", re.I)


def looks_like_html(text: str) -> bool:
    head = text[:5000]
    return bool(_SNIFF.search(head)) or "<table" in text.lower()
