"""HTML pages → tables (rows of cells, spans expanded) and the text outside the tables.

The page is parsed by lxml (libxml2's HTML parser, :class:`lxml.etree.HTMLParser`), which copes with
the broken markup government sites serve: unclosed ``<td>``/``<tr>``, nested layout tables, upper-case
tags, end tags that close nothing (ignored). It decodes entities (``&nbsp;`` → U+00A0, ``&quot;`` and
``&#34;`` → ``"``); a span written ``colspan=\\"2\\"`` by a JSON export is read from the first digits of
the attribute's value. The tree is walked once in document order (:func:`lxml.etree.iterwalk`):
``<table>`` opens a table, ``<tr>`` a row and ``<td>``/``<th>`` a cell of the innermost open table (a
nested table ends the outer table's current cell); text in a table outside its cells is dropped;
block elements split the text outside tables into blocks (one per source line inside ``<pre>``) and a
cell's text into paragraphs; scripts, styles, ``<noscript>`` and ``<template>`` are skipped, comments
ignored. A page the parser finds no element in (empty, blank, only a comment) has no tables and no text.

Provenance: a cell's line is the line of its ``<tr>`` (the extracted-statistics format's rule for
HTML); the grid column after span expansion is kept in ``Cell.col``. Lines are those of the text as
the caller passed it, counting ``\\n`` (``\\r\\n`` once, a lone ``\\r`` or a BOM not at all). lxml's
``sourceline`` cannot be used as it is: it is the line of a start tag's closing ``>`` (Word's HTML export
wraps long tags over lines), it stops at 65535, and text and end tags have none. So the walk locates
each element's start tag in the text, in document order and on the line ``sourceline`` gives for its
``>``, and each explicit end tag before the next element (:class:`_Walker`): that gives the line of
every ``<tr``, of every piece of text, and whether a table's ``</table>`` is in the page
(:attr:`HtmlTable.closed`, false for a page cut off inside the table).

A cell's text is its decoded text with the markup's insignificant white space removed (line breaks
and indentation of the source, not ``&nbsp;``); ``<br>`` inside a cell joins the parts with no
separator.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from lxml import etree

from checks.extract.model import Cell, Row

_BLOCK = {"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "title", "section", "article",
          "header", "footer", "ul", "ol", "table", "blockquote", "pre", "hr", "dd", "dt", "center"}
_SKIP = {"script", "style", "noscript", "template"}
# elements whose content the parser keeps as text, not markup: located by their end tag
_RAW = {"script", "style", "title", "textarea", "xmp", "iframe", "noembed", "noframes", "noscript"}
# elements without an end tag: their tail starts right after the start tag
_VOID = {"area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img", "input",
         "keygen", "link", "meta", "param", "source", "track", "wbr"}
_HTML_WS = " \t\r\n\f"
_DIGITS = re.compile(r"\d+")
_SOURCELINE_CAP = 65535                    # libxml2 keeps an element's line in 16 bits
# libxml2's end priorities (htmlEndPriority): a misplaced end tag closes the open elements above its
# own only when none of them has a higher priority (</div> does not close a cell, </table> does)
_END_PRIORITY = {"div": 150, "td": 160, "th": 160, "tr": 170, "thead": 180, "tbody": 180, "tfoot": 180,
                 "table": 190, "head": 200, "body": 200, "html": 220}

# The rest of a start tag after its name, up to its closing ">" (a ">" in a quoted value does not
# close it), and the next "<" that can open an element or a comment: the end tag of an element is
# looked for before it. (<html>/<head>/<body> repeated in a page make no element.)
_TAG_REST = re.compile(r"""(?:[^>=]++|=[\t\n\f ]*+"[^"]*+"|=[\t\n\f ]*+'[^']*+'|=)*+>""")
_NEXT_OPEN = re.compile(r"<(?:[!?]|(?!(?:html|head|body)[\t\n\f />])[A-Za-z])", re.I)
_COMMENT_OPEN = re.compile(r"<(?:!|\?|/(?![A-Za-z]))")
# what the parser passes over without a node before text: end tags it ignored, a doctype, and (when
# the text does not start with it) white space it dropped
_IGNORED = re.compile(r"(?:</[A-Za-z][^>]*+>|<!doctype[^>]*+>)*+", re.I)
_IGNORED_WS = re.compile(r"(?:</[A-Za-z][^>]*+>|<!doctype[^>]*+>|[ \t\r\n\f]++)*+", re.I)
_OPEN: dict[str, re.Pattern] = {}
_CLOSE: dict[str, re.Pattern] = {}


def _open_re(tag: str) -> re.Pattern:
    p = _OPEN.get(tag)
    if p is None:
        p = _OPEN[tag] = re.compile("<" + re.escape(tag) + r"(?=[\t\n\f />])", re.I)
    return p


def _close_re(tag: str) -> re.Pattern:
    p = _CLOSE.get(tag)
    if p is None:
        p = _CLOSE[tag] = re.compile("</" + re.escape(tag) + r"(?=[\t\n\f />])", re.I)
    return p


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
    closed: bool = False                   # its </table> is in the page (not cut off)
    end_line: int = 0                      # the line of that </table>


def _span(value: str | None, cap: int) -> int:
    """``"2"``, ``2``, ``\\"2\\"`` → 2 (capped; 1 when absent or unreadable)."""
    if not value:
        return 1
    m = _DIGITS.search(value, 0, 12)
    return max(1, min(int(m.group()), cap)) if m else 1


# ------------------------------------------------------------------ parsing
_local = threading.local()


def _parser() -> etree.HTMLParser:
    p = getattr(_local, "parser", None)
    if p is None:       # one per thread: lxml parsers must not be shared between threads
        p = _local.parser = etree.HTMLParser(encoding="utf-8", huge_tree=True, no_network=True)
    return p


_PLACEHOLDERS = [chr(c) for c in range(0xFDD0, 0xFDF0)]      # noncharacters: never in a report
_SURROGATE = re.compile("[\ud800-\udfff]")


def _prepare(text: str) -> tuple[str, dict[int, str] | None]:
    """The text handed to the parser (same lines), and the characters to translate back in its text.

    ``\\r\\n`` becomes ``\\n`` (the parser counts it once, as here). The parser would make a lone
    ``\\r`` a line break, which it is not here: it becomes a form feed (white space in a tag, like
    ``\\r``) and is turned back in text (a space if the page has form feeds). NUL, which the parser
    makes U+FFFD, is carried by a noncharacter the page does not use.
    """
    back: dict[int, str] = {}
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            if "\f" in text:
                text = text.replace("\r", " ")
            else:
                text = text.replace("\r", "\f")
                back[ord("\f")] = "\r"
    if "\x00" in text:
        ph = next((c for c in _PLACEHOLDERS if c not in text), None)
        if ph is not None:
            text = text.replace("\x00", ph)
            back[ord(ph)] = "\x00"
    return text, back or None


def _tree(src: str):
    """The document's top-level nodes in order (comments, the root element, more after </html>)."""
    try:
        data = src.encode("utf-8")
    except UnicodeEncodeError:                    # lone surrogates (not from a decoded file)
        data = _SURROGATE.sub("\ufffd", src).encode("utf-8")
    try:
        root = etree.fromstring(data, _parser())
    except (etree.LxmlError, ValueError):
        return []
    if root is None:
        return []
    return [*reversed(list(root.itersiblings(preceding=True))), root, *root.itersiblings()]


class _Walker:
    """Builds the tables and the text blocks from lxml's tree, locating tags in the source as it goes.

    ``pos`` is how far the source is accounted for. A start tag is looked for from there (its ``>``
    must be on the element's ``sourceline``). End events are held until the next element or comment
    is located, then matched to the end tags before it (:meth:`_settle`).
    """

    def __init__(self, src: str, back: dict[int, str] | None):
        self.src = src
        self.back = back
        self.pos = 0
        self.last = src.count("\n") + 1          # the last line
        self._lpos, self._lline = 0, 1            # line cache: _lline is the line of _lpos
        self.pending: list = []                   # elements ended, end tags not yet located
        self._raw: tuple[str, int | None] | None = None   # a raw-text element's end, already located
        self.skip = 0                             # inside script/style/noscript/template
        self.tables: list[HtmlTable] = []
        self.stack: list[HtmlTable] = []
        self.cell: list[_Cell | None] = []        # current cell per open table
        self.texts: list[tuple[int, str]] = []    # text blocks outside tables: (line, text)
        self._buf: list[str] = []
        self._buf_line = 0
        self._pre = 0                             # inside <pre>: keep lines, tabs and spaces

    # ---------------------------------------------------------------- source positions
    def line(self, p: int) -> int:
        if p >= self._lpos:
            self._lline += self.src.count("\n", self._lpos, p)
        else:
            self._lline -= self.src.count("\n", p, self._lpos)
        self._lpos = p
        return self._lline

    def _find_open(self, tag: str, sourceline: int | None) -> tuple[int, int, int] | None:
        """(start, end, line of start) of the element's start tag, the first from ``pos`` whose ``>``
        is on ``sourceline``; None when the parser made the element up (or its tag is not found)."""
        if not sourceline:
            return None
        src, pat = self.src, _OPEN.get(tag) or _open_re(tag)
        p = self.pos
        while True:
            m = pat.search(src, p)
            if m is None:
                return None
            r = _TAG_REST.match(src, m.end())
            if r is None:                         # never closed: the parser dropped it, and all after
                return None
            ln = self.line(r.end() - 1)
            if sourceline < _SOURCELINE_CAP:
                if ln > sourceline:
                    return None
                if ln < sourceline:               # a tag the parser did not take
                    p = m.end()
                    continue
            elif ln < _SOURCELINE_CAP:
                p = m.end()
                continue
            return m.start(), r.end(), ln - src.count("\n", m.start(), r.end())

    def _find_comment(self, text: str) -> tuple[int, int] | None:
        """(start, end) of a comment (``<!--…-->``, ``<!…>``, ``<?…>``) with this text, from ``pos``."""
        src, p = self.src, self.pos
        for _ in range(8):
            m = _COMMENT_OPEN.search(src, p)
            if m is None:
                return None
            i = src.find(text, m.start() + 1, m.start() + 4 + len(text)) if text else m.end()
            if i >= 0:
                e = src.find(">", i + len(text))
                return m.start(), (e + 1 if e >= 0 else len(src))
            p = m.end()
        return None

    def _settle(self, limit: int | None) -> None:
        """Match the held end events to the explicit end tags before ``limit`` and finish them.

        In end order, an element takes the next end tag of its name unless an end tag of an element
        that ended after it comes first (then the parser implied its end)."""
        pending = self.pending
        if not pending:
            return
        self.pending = []
        src = self.src
        if limit is None:
            m = _NEXT_OPEN.search(src, self.pos)
            limit = m.start() if m else len(src)
        tags = [el.tag for el in pending]          # (lxml makes a new string at each .tag)
        for i, el in enumerate(pending):
            tag = tags[i]
            q = self.pos
            m = (_CLOSE.get(tag) or _close_re(tag)).search(src, q, limit)
            if m is not None and i + 1 < len(pending):
                # the held elements are a chain (each the parent of the one before); an end tag of
                # an ancestor before this element's own closed it (and all between) only if none of
                # those has a higher end priority than the ancestor, else the parser ignored it
                top = _END_PRIORITY.get(tag, 100)
                for ltag in tags[i + 1:]:
                    pri = _END_PRIORITY.get(ltag, 100)
                    if (ltag != tag and pri >= top
                            and _close_re(ltag).search(src, q, m.start()) is not None):
                        m = None
                        break
                    top = max(top, pri)
            line = None
            if m is not None:
                line = self.line(m.start())
                e = src.find(">", m.end(), limit)
                self.pos = e + 1 if e >= 0 else m.end()
            self._finish(el, line, tag)

    def _text_line(self, text: str) -> int:
        """The line where text starting at ``pos`` starts: past end tags the parser ignored, and past
        white space it dropped."""
        p, src = self.pos, self.src
        if p < len(src) and (src[p] == "<" or (src[p] in _HTML_WS and text[0] not in _HTML_WS)):
            p = (_IGNORED_WS if text[0] not in _HTML_WS else _IGNORED).match(src, p).end()
        return self.line(p)

    # ---------------------------------------------------------------- the walk
    def walk(self, tops) -> None:
        start, end, comment = self._start, self._end, self._comment
        for node in tops:
            if isinstance(node.tag, str):
                for ev, el in etree.iterwalk(node, events=("start", "end", "comment")):
                    if ev == "start":
                        start(el)
                    elif ev == "end":
                        end(el)
                    else:
                        comment(el)
            elif node.tag is etree.Comment:
                comment(node)
        self._settle(len(self.src))
        self._flush()

    def _comment(self, el) -> None:
        at = self._find_comment(el.text or "")
        if self.pending:
            self._settle(at[0] if at else None)
        if at:
            self.pos = at[1]
        if el.tail and not self.skip and self._keeps_text():
            self._data(el.tail, self._text_line(el.tail))

    def _start(self, el) -> None:
        tag = el.tag
        sl = el.sourceline
        at = self._find_open(tag, sl)
        if self.pending:
            self._settle(at[0] if at else None)
        if at:
            self.pos = at[1]
            line = at[2]
        else:                                     # made up by the parser, or not found
            line = self.line(self.pos)
            if sl and line < sl < _SOURCELINE_CAP:
                line = sl
        if self.skip or tag in _SKIP:
            if tag in _SKIP:
                self.skip += 1
            if tag in _RAW and not len(el):
                self._skip_raw(el)
            return
        self._starttag(tag, el, line)
        text = el.text
        if text and self._keeps_text():
            ln = self._text_line(text)
            if sl and ln < sl < _SOURCELINE_CAP:  # the text follows the ">" of the start tag
                ln = sl
            self._data(text, ln)
        if tag in _RAW and not len(el):
            self._skip_raw(el)

    def _skip_raw(self, el) -> None:
        """A raw-text element (script, style, title …) has no markup inside: its content ends at the
        first ``</tag`` and its end is settled at once."""
        m = _close_re(el.tag).search(self.src, self.pos)
        line = None
        if m is not None:
            line = self.line(m.start())
            e = self.src.find(">", m.end())
            self.pos = e + 1 if e >= 0 else len(self.src)
        self._raw = (el.tag, line)

    def _end(self, el) -> None:
        tag = el.tag
        if self._raw is not None and self._raw[0] == tag:
            _, line = self._raw
            self._raw = None
            self._finish(el, line, tag)
        elif tag in _VOID and not len(el):
            self._finish(el, None, tag)
        else:
            self.pending.append(el)

    def _finish(self, el, end_line: int | None, tag: str) -> None:
        """An element's end: ``end_line`` is the line of its explicit end tag (None: implied)."""
        if self.skip:
            if tag in _SKIP:
                self.skip -= 1
            if self.skip or tag not in _SKIP:
                return
        else:
            self._endtag(tag, end_line)
        tail = el.tail
        if tail and self._keeps_text():
            self._data(tail, self._text_line(tail))

    # ---------------------------------------------------------------- tables and text blocks
    def _keeps_text(self) -> bool:
        """Text here is kept: outside tables, or in a table's open cell (not between cells)."""
        return not self.stack or self.cell[-1] is not None

    def _flush(self):
        if self._buf:
            t = "".join(self._buf)
            t = re.sub(r"[ \t\r\n\f]+", " ", t).strip(_HTML_WS)
            if t:
                self.texts.append((self._buf_line, t))
            self._buf = []

    def _starttag(self, tag, el, line):
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
            c = _Cell([], line, _span(el.get("colspan"), 60), _span(el.get("rowspan"), 300))
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

    def _endtag(self, tag, end_line: int | None):
        if tag == "table" and self.stack:
            t = self.stack.pop()
            self.cell.pop()
            t.closed = end_line is not None
            t.end_line = end_line or 0
        elif self.stack and tag in ("td", "th", "tr"):
            self._close_cell()
        elif tag in _BLOCK and not self.stack:
            self._flush()
            if tag == "pre":
                self._pre = max(0, self._pre - 1)

    def _lead(self, line: int, data: str) -> int:
        """The line of text starting on ``line``, past its leading line breaks (an entity such as
        ``&#10;`` is a line break of the text but not of the page: never past the last line)."""
        if data.startswith("\n"):
            return min(line + len(data) - len(data.lstrip("\n")), self.last)
        return line

    def _data(self, data, line):
        if self.back:
            data = data.translate(self.back)
        if self.stack:
            c = self.cell[-1]
            if c is not None:
                c.parts.append(data)
                c.part_lines.append(self._lead(line, data))
            return
        if self._pre:
            # preformatted text (a table typed with TABs or pipes): one text line per source line
            self._flush()
            parts = data.split("\n")
            for k, part in enumerate(parts):
                if k == 0 and not part and len(parts) > 1:
                    continue                      # the line break right after <pre>
                self.texts.append((min(line + k, self.last), part.rstrip("\r")))
            return
        if not self._buf:
            self._buf_line = self._lead(line, data)
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
    src, back = _prepare(text)
    w = _Walker(src, back)
    w.walk(_tree(src))
    return HtmlDoc(w.tables, w.texts, "</html>" in text[-2000:].lower())


_SNIFF = re.compile(r"<\s*(?:!doctype\s+html|html|table|body|p|div|td)\b", re.I)


def looks_like_html(text: str) -> bool:
    head = text[:5000]
    return bool(_SNIFF.search(head)) or "<table" in text.lower()
