"""Re-render a report's cells in each supported layout (for property tests and the benchmark).

:func:`render` writes a small but complete report — a title naming the agency and year, a
narrative paragraph stating the number of requests, the statistics table(s) of the template (or
local variant) in the chosen layout, and a footer — from a mapping ``(item, column) → raw``.
Cells not in the mapping are left blank. Extraction of the result must give the same cells
back: that is the round-trip property of ``tests/test_extract_props.py``.

Layouts: ``tab-rows``, ``tab-cells``, ``glued`` (``old``
only; values must be digits or blank), ``pipe-vertical``, ``pipe-rows`` (``| a | b |``, so raw
gains the padding spaces), ``pipe-compact`` (``|a|b|``), ``line-blocks`` (no TAB: a blank cell
cannot be written, so only trailing blank cells of a row are allowed), ``html`` (``<table>`` with
the official colspan/rowspan structure; ``&nbsp;`` for blank cells, quotes escaped as ``&quot;``).
"""

from __future__ import annotations

import html as _h
import re

from checks.templates import Table, Template, cell_key, load

LAYOUTS = ("tab-rows", "tab-cells", "glued", "pipe-vertical", "pipe-rows", "pipe-compact", "line-blocks", "html")
EXACT_RAW = {"tab-rows", "tab-cells", "pipe-compact", "pipe-vertical", "line-blocks"}
"""Layouts in which a cell's raw text comes back byte for byte (others differ only in white space)."""

_WRAP = re.compile(r"^(.{4,}?)([（(][^（()）]{8,}[)）])$")


def _rows(tmpl: Template, variant: str | None, omit: frozenset = frozenset()):
    drop = (tmpl.variant(variant).drop if variant else frozenset()) | omit
    relabel = tmpl.variant(variant).labels if variant else {}
    for table in tmpl.tables:
        rows = [r for r in table.rows if r.code not in drop]
        if rows or not omit:
            yield table, rows, relabel


def _key(table: Table, row, col=None) -> tuple[str, str]:
    return cell_key(table.layout, row.code, col.code if col is not None else None)


def _model(tmpl: Template, variant: str | None, values: dict, stop_after: str | None, omit: frozenset = frozenset()):
    """The report's tables as text rows: ('line', text) | ('header', cells) | ('row', prefix, label, rest, heading)."""
    out: list[tuple] = []
    for table, rows, relabel in _rows(tmpl, variant, omit):
        if table.layout == "list":
            out.append(("line", table.title))
            out.append(("header", ["统计指标", "单位", "统计数"]))
        else:
            if table.section and (not out or table.section not in [o[1] for o in out if o[0] == "line"]):
                out.append(("line", table.section))
            if table.layout == "grid" and table.corner:
                out.append(("line", table.title))
                out.append(("header", [table.corner, *[c.label for c in table.columns]]))
            elif table.layout == "matrix":
                out.append(("header", [table.corner, table.header]))
                groups = list(dict.fromkeys(c.group for c in table.columns if c.group))
                top = [""]
                for c in table.columns:
                    if not c.group:
                        top.append(c.label)
                    elif c.group in groups:
                        top.append(c.group)
                        groups.remove(c.group)
                out.append(("header", top))
                out.append(("header", ["", *[("" if not c.group else c.label) for c in table.columns]]))
            else:   # section 四
                g1 = list(dict.fromkeys(c.group.split("/")[0] for c in table.columns))
                out.append(("header", g1))
                second = [c.label for c in table.columns if "/" not in c.group]
                second += list(dict.fromkeys(c.group.split("/")[1] for c in table.columns if "/" in c.group))
                out.append(("header", second))
                out.append(("header", ["" if "/" not in c.group else c.label for c in table.columns]))
        seen_groups: set[str] = set()
        for row in rows:
            label = relabel.get(row.code, row.label)
            if table.layout == "list":
                unit = "——" if row.heading else row.unit
                val = values.get(_key(table, row), "——" if row.heading and (row.code, "value") not in values else "")
                out.append(("row", [], label, [unit, val], row.heading, row.unit))
            else:
                vals = [values.get(_key(table, row, c), "") for c in table.columns]
                prefix: list[str] = []
                if row.group:
                    parts = row.group.split("/")
                    for depth, _ in enumerate(parts):
                        g = "/".join(parts[: depth + 1])
                        prefix.append(parts[depth] if g not in seen_groups else "")
                        seen_groups.add(g)
                out.append(("row", prefix, label, vals, False, ""))
            if stop_after and row.code == stop_after:
                return out, True
    return out, False


def _wrap(label: str) -> tuple[str, str]:
    m = _WRAP.match(label)
    return (m.group(1), m.group(2)) if m and len(label) > 18 else (label, "")


def _text(model, layout: str) -> list[str]:
    lines: list[str] = []
    for item in model:
        kind = item[0]
        if kind == "line":
            lines.append(item[1])
            if layout in ("tab-cells", "line-blocks"):
                lines.append("")
            continue
        li = -1
        if kind == "header":
            cells = item[1]
        else:
            _, prefix, label, rest, heading, unit = item
            cells = [*prefix, label, *rest] if label else [*prefix, *rest]
            li = len(prefix) if label else -1
        if layout == "tab-rows":
            lines.append("\t".join(cells))
        elif layout in ("pipe-rows", "pipe-compact"):
            sep = " | " if layout == "pipe-rows" else "|"
            edge = ("| ", " |") if layout == "pipe-rows" else ("|", "|")
            lines.append(edge[0] + sep.join(cells) + edge[1])
        elif layout == "tab-cells":
            for i, c in enumerate(cells):
                if i == li:
                    a, b = _wrap(c)
                    lines.append("\t" + a)
                    if b:
                        lines.append("\u3000\u3000" + b)
                else:
                    lines.append("\t" + c)
            lines.append("")
        elif layout == "line-blocks":
            if kind == "header":
                body = [c for c in cells if c]
            else:
                body = [c for c in cells[:li] if c] + cells[li:]
                while body and body[-1] == "":
                    body.pop()
                if "" in body:
                    raise ValueError("line-blocks cannot write a blank cell before the end of a row")
            lines.extend(body)
            lines.append("")
        elif layout == "pipe-vertical":
            for i, c in enumerate(cells):
                if i == li:
                    a, b = _wrap(c)
                    lines.append(a)
                    if b:
                        lines.append(b)
                elif c:
                    lines.append(c)
                lines.append("|")
        elif layout == "glued":
            if kind == "header":
                lines.append("".join(cells))
                continue
            _, prefix, label, rest, heading, unit = item
            u, v = rest
            shown_unit = "——" if heading else (unit if unit in ("万元", "人次") else "")
            a, b = _wrap(label)
            lines.append(" " + a + shown_unit + v if b else " " + label + shown_unit + v)
            if b:
                lines.append(b)
        else:
            raise ValueError(f"unknown layout {layout!r}")
    return lines


def _html_table(table: Table, rows, relabel, values, stop_after) -> tuple[str, bool]:
    e = _h.escape
    out = ["<table border=\"1\" cellspacing=\"0\">"]
    stopped = False
    if table.layout == "list":
        out.append("<tr><td>统计指标</td><td>单位</td><td>统计数</td></tr>")
        for row in rows:
            label = relabel.get(row.code, row.label)
            val = values.get(_key(table, row), "——" if row.heading else "")
            cell = e(val) if val else "&nbsp;"
            out.append(f"<tr>\n  <td>{e(label)}</td>\n  <td>{e('——' if row.heading else row.unit)}</td>\n"
                       f"  <td>{cell}</td>\n</tr>")
            if stop_after and row.code == stop_after:
                return "\n".join(out), True
        out.append("</table>")
        return "\n".join(out), False
    cols = table.columns
    depth = max((len(r.group.split("/")) for r in rows if r.group), default=0) + 1
    if table.layout == "grid" and table.corner:
        out.append(f"<tr><td colspan=\"{len(cols) + 1}\">{e(table.title)}</td></tr>")
        out.append("<tr><td>" + e(table.corner) + "</td>" + "".join(f"<td>{e(c.label)}<br/></td>" for c in cols)
                   + "</tr>")
    elif table.layout == "matrix":
        out.append(f"<tr><td rowspan=\"3\" colspan=\"{depth}\">{e(table.corner)}</td>"
                   f"<td colspan=\"{len(cols)}\">{e(table.header)}</td></tr>")
        top, groups = [], {}
        for c in cols:
            groups[c.group] = groups.get(c.group, 0) + 1
        done = set()
        for c in cols:
            if not c.group:
                top.append(f"<td rowspan=\"2\">{e(c.label)}</td>")
            elif c.group not in done:
                top.append(f"<td colspan=\"{groups[c.group]}\">{e(c.group)}</td>")
                done.add(c.group)
        out.append("<tr>" + "".join(top) + "</tr>")
        out.append("<tr>" + "".join(f"<td>{e(c.label)}</td>" for c in cols if c.group) + "</tr>")
    else:
        g1: dict[str, int] = {}
        for c in cols:
            g = c.group.split("/")[0]
            g1[g] = g1.get(g, 0) + 1
        out.append("<tr>" + "".join(f"<td colspan=\"{n}\">{e(g)}</td>" for g, n in g1.items()) + "</tr>")
        second, g2 = [], {}
        for c in cols:
            if "/" in c.group:
                g2[c.group] = g2.get(c.group, 0) + 1
        done = set()
        for c in cols:
            if "/" not in c.group:
                second.append(f"<td rowspan=\"2\">{e(c.label)}</td>")
            elif c.group not in done:
                second.append(f"<td colspan=\"{g2[c.group]}\">{e(c.group.split('/')[1])}</td>")
                done.add(c.group)
        out.append("<tr>" + "".join(second) + "</tr>")
        out.append("<tr>" + "".join(f"<td>{e(c.label)}</td>" for c in cols if "/" in c.group) + "</tr>")
    seen: set[str] = set()
    for row in rows:
        label = relabel.get(row.code, row.label).replace("“", '"').replace("”", '"')
        tds = []
        parts = row.group.split("/") if row.group else []
        for d in range(len(parts)):
            g = "/".join(parts[: d + 1])
            if g not in seen:
                span = sum(1 for r in rows if r.group == g or r.group.startswith(g + "/"))
                tds.append(f"<td rowspan=\"{span}\">{e(parts[d])}</td>")
                seen.add(g)
        colspan = depth - len(parts)
        if label or table.layout != "grid" or table.corner:
            tds.append(f"<td{f' colspan={chr(34)}{colspan}{chr(34)}' if colspan > 1 else ''}>{e(label)}</td>")
        for c in cols:
            v = values.get(_key(table, row, c), "")
            tds.append(f"<td>{e(v) if v else '&nbsp;'}</td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
        if stop_after and row.code == stop_after:
            stopped = True
            break
    if not stopped:
        out.append("</table>")
    return "\n".join(out), stopped


def render(template_id: str, values: dict[tuple[str, str], str], layout: str, *, variant: str | None = None,
           agency: str = "示例市示例局", year: int = 2020, stop_after: str | None = None,
           sentences: list[str] | None = None, omit: frozenset[str] = frozenset()) -> str:
    """A whole report in ``layout`` whose table holds ``values``; ``stop_after`` cuts the page after that row.

    ``sentences``: the narrative's counting sentences (default: one stating the requests received,
    from the table); ``omit``: row codes left out of the table altogether (a missing row or section;
    a table with no row left is left out with its headers).
    """
    tmpl = load(template_id)
    if layout == "glued" and tmpl.id != "old":
        raise ValueError("the glued layout exists only for the old template")
    received = next((values.get(k) for k in (("old.s3.received.total", "value"), (f"{tmpl.id}.s3.new_received", "total"))
                     if k in values), None)
    title = f"{agency}{year}年度政府信息公开工作年度报告"
    para = f"{year}年，{agency}认真贯彻落实《中华人民共和国政府信息公开条例》，扎实推进政府信息公开工作。"
    if sentences is not None:
        para += "".join(sentences)
    elif received and received.strip().isdigit():
        para += f"全年共收到政府信息公开申请{received.strip()}件，均已按时办结。"
    footer = ["单位负责人：张三\t审核人：李四\t填报人：王五", "", "五、存在的主要问题及改进情况", "",
              "我们将进一步完善政府信息公开工作机制，不断提高公开质量。"]
    opening = []
    if tmpl.id != "old":      # the six sections of the 2019/2021 forms (一 before the narrative, 六 at the end)
        opening = ["一、总体情况"]
        footer += ["", "六、其他需要报告的事项", "", "本年度无其他需要报告的事项。"]
    if layout == "html":
        parts = [f"<html><head><meta charset=\"utf-8\"><title>{_h.escape(title)}</title></head><body>",
                 f"<h1>{_h.escape(title)}</h1>", *[f"<p>{_h.escape(x)}</p>" for x in opening],
                 f"<p>{_h.escape(para)}</p>"]
        stopped = False
        for table, rows, relabel in _rows(tmpl, variant, omit):
            if table.section:
                parts.append(f"<p>{_h.escape(table.section)}</p>")
            text, stopped = _html_table(table, rows, relabel, values, stop_after)
            parts.append(text)
            if stopped:
                break
        if not stopped:
            parts += [f"<p>{_h.escape(line)}</p>" for line in footer if line.strip() and "\t" not in line]
            parts.append("</body></html>")
        return "\n".join(parts) + "\n"
    model, stopped = _model(tmpl, variant, values, stop_after, omit)
    lines = [title, "", *[x for o in opening for x in (o, "")], para, "", "附表：", ""]
    lines += _text(model, layout)
    if not stopped:
        lines += [""] + footer
    return "\n".join(lines) + "\n"
