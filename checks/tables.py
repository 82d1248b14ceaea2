"""Rows defined once: every warehouse table (cells, findings, …) as data, everything else derived.

A :class:`TableSchema` is a tuple of :class:`Col` (name, DuckDB type, nullability, default, meaning).
From it come the ``CREATE TABLE`` statement (:meth:`TableSchema.ddl`), the SELECT list of every query
that produces rows for it (:meth:`TableSchema.select`: expressions by *name*, missing ones NULL or
their default, in the table's order), the casts of a frame inserted into it
(:meth:`TableSchema.insert_frame`), the columns of exports and of JSON output (:attr:`names`).
No query anywhere depends on remembering the column order.

:data:`WAREHOUSE` lists the load-side tables in creation order; :func:`warehouse_sql` is the whole
schema (tables and views) that :func:`checks.warehouse.connect` runs. ``checks/schema.sql`` is that text
written out for readers (``python -m checks.tables`` rewrites it; a test fails when it is stale).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Col:
    """One column: ``sql`` is its DuckDB type; ``default`` a SQL literal for rows that do not set it."""

    name: str
    sql: str
    nullable: bool = True
    default: str | None = None
    doc: str = ""

    @property
    def quoted(self) -> str:
        return f'"{self.name}"'


@dataclass(frozen=True)
class TableSchema:
    """A table: its name, columns and meaning."""

    name: str
    columns: tuple[Col, ...]
    doc: str = ""
    key: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Column names in table order."""
        return tuple(c.name for c in self.columns)

    def col(self, name: str) -> Col:
        """The column called ``name`` (``KeyError`` if there is none)."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    def ddl(self, name: str | None = None, temp: bool = False) -> str:
        """``CREATE TABLE IF NOT EXISTS`` with every column, its type, NOT NULL, default and meaning;
        ``name``/``temp``: a (temporary) table of the same columns, replaced if it exists."""
        lines = []
        for i, c in enumerate(self.columns):
            spec = f"    {c.quoted:<16} {c.sql}"
            if self.key == c.name:
                spec += " PRIMARY KEY"
            elif not c.nullable:
                spec += " NOT NULL"
            if c.default is not None:
                spec += f" DEFAULT {c.default}"
            comma = "," if i < len(self.columns) - 1 else ""
            lines.append(f"{spec}{comma}" + (f"  -- {c.doc}" if c.doc else ""))
        head = f"-- {self.doc}\n" if self.doc else ""
        create = (f"CREATE OR REPLACE {'TEMP ' if temp else ''}TABLE {name or self.name}" if name or temp
                  else f"CREATE TABLE IF NOT EXISTS {self.name}")
        return f"{head}{create} (\n" + "\n".join(lines) + "\n);"

    def column_list(self, exclude: tuple[str, ...] = ()) -> str:
        """``"a", "b", …`` for SELECT or INSERT."""
        return ", ".join(c.quoted for c in self.columns if c.name not in exclude)

    def select(self, exprs: dict[str, str]) -> str:
        """``SELECT`` list producing one row of this table from SQL expressions given by column name.

        Columns not in ``exprs`` are their default or a typed NULL. Naming a column the table does
        not have is a programming error (``KeyError``).
        """
        unknown = set(exprs) - set(self.names)
        if unknown:
            raise KeyError(f"{self.name} has no column(s) {', '.join(sorted(unknown))}")
        out = []
        for c in self.columns:
            e = exprs.get(c.name, c.default if c.default is not None else "NULL")
            out.append(f"CAST({e} AS {c.sql}) AS {c.quoted}")
        return "SELECT " + ",\n       ".join(out)

    def insert_frame(self, con, frame, empty_as_null: tuple[str, ...] = (), table: str | None = None) -> None:
        """Insert a pandas frame (columns by name; missing ones take their default) into the table
        (or into ``table``, another table of the same columns, e.g. a staging copy).

        Columns named in ``empty_as_null`` store an empty string as NULL. The frame is read from a
        variable of this function (DuckDB's replacement scan), not registered as a view: inside a
        transaction a view, even dropped, holds its frame until the transaction ends (a file loaded
        in parts grew by all its rows)."""
        present = [c for c in self.columns if c.name in frame.columns]
        casts = ", ".join(
            f"CAST({f'nullif({c.quoted}, {chr(39) * 2})' if c.name in empty_as_null else c.quoted} AS {c.sql}) "
            f"AS {c.quoted}" for c in present)
        gk_insert_df = frame      # noqa: F841 - read by the query below
        con.execute(f"INSERT INTO {table or self.name} BY NAME SELECT {casts} FROM gk_insert_df")

    def records(self, cursor) -> list[dict]:
        """The rows of an executed query as dicts keyed by column name."""
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


SUBMISSIONS = TableSchema("submissions", (
    Col("submission_id", "BIGINT", False),
    Col("file", "VARCHAR", False, doc="the path as given to `gongkai load`"),
    Col("sha256", "VARCHAR", False, doc="of the file's bytes: the same file twice is loaded once"),
    Col("kind", "VARCHAR", False, doc="'extracted' (the extracted-statistics format) or 'report'"),
    Col("loaded_at", "TIMESTAMP", False),
    Col("rows_total", "INTEGER", False),
    Col("rows_loaded", "INTEGER", False),
    Col("rows_quarantined", "INTEGER", False),
    Col("reports_new", "INTEGER", False, doc="reports added (new, or superseding an older one)"),
    Col("reports_unchanged", "INTEGER", False, doc="reports whose cells equal the current ones: nothing added"),
), doc="One row per loaded file.", key="submission_id")

REPORTS = TableSchema("reports", (
    Col("report_id", "BIGINT", False),
    Col("submission_id", "BIGINT", False),
    Col("agency", "VARCHAR", False),
    Col("agency_id", "VARCHAR"),
    Col("agency_key", "VARCHAR", False, doc="agency_id when given, else agency: identifies the agency across years"),
    Col("region", "VARCHAR"),
    Col("year", "INTEGER", False),
    Col("template", "VARCHAR", False),
    Col("variant", "VARCHAR"),
    Col("source_file", "VARCHAR"),
    Col("content_sha", "VARCHAR", False, doc="of the report's cells: an identical resubmission adds nothing"),
    Col("cells", "INTEGER", False),
    Col("loaded_at", "TIMESTAMP", False),
    Col("superseded_by", "BIGINT", doc="the report that replaced this one; NULL = current"),
), doc="One row per agency-year report; a corrected resubmission supersedes the older row.", key="report_id")

CELLS = TableSchema("cells", (
    Col("report_id", "BIGINT", False),
    Col("item", "VARCHAR", False, doc="item code (checks.templates), e.g. v2019.s3.new_received"),
    Col("column", "VARCHAR", False, doc="column code: natural … total in section 三, else 'value'"),
    Col("state", "VARCHAR", False, doc="NUMERIC | ZERO | EMPTY | NA | TEXT (checks.cells)"),
    Col("value", "DOUBLE", doc="NULL unless NUMERIC or ZERO; money in 万元"),
    Col("unit", "VARCHAR", doc="the unit of value, from the template (件, 条, 万元 …)"),
    Col("raw", "VARCHAR", False, doc="the cell text exactly as the report has it"),
    Col("raw_unit", "VARCHAR", doc="a unit written inside the cell text (251000元 → 元)"),
    Col("printed_unit", "VARCHAR", doc="the form's 单位 column for the row, as printed"),
    Col("label", "VARCHAR", doc="the row label as the report wrote it"),
    Col("note", "VARCHAR", doc="what the parser did (e.g. 251000元 → 25.1万元)"),
    Col("source_file", "VARCHAR"),
    Col("source_line", "INTEGER"),
    Col("source_col", "INTEGER", doc="HTML: column of the cell in its <tr>, after colspan/rowspan"),
), doc="One row per statistical cell, with its raw text and where it was read.")
CELLS_EMPTY_AS_NULL = ("unit", "raw_unit", "printed_unit", "label", "note", "source_file")
"""Cells columns where the extracted-statistics files write "" for "none"."""

QUARANTINE = TableSchema("quarantine", (
    Col("submission_id", "BIGINT", False),
    Col("file", "VARCHAR", False, doc="the loaded file"),
    Col("line", "INTEGER", doc="the row's line in that file"),
    Col("agency", "VARCHAR"),
    Col("year", "VARCHAR"),
    Col("template", "VARCHAR"),
    Col("item", "VARCHAR"),
    Col("column", "VARCHAR"),
    Col("raw", "VARCHAR"),
    Col("raw_row", "VARCHAR", False, doc="the whole input row as JSON"),
    Col("reason", "VARCHAR", False, doc="every contract check the row failed"),
), doc="Rows that failed the load contract, with their reasons: nothing is lost.")

NARRATIVE = TableSchema("narrative", (
    Col("report_id", "BIGINT", False),
    Col("key", "VARCHAR", False, doc="what the number counts, e.g. s3.received (checks.extract.narrative)"),
    Col("value", "DOUBLE"),
    Col("raw", "VARCHAR", doc="the number as written, with its unit"),
    Col("sentence", "VARCHAR"),
    Col("source_file", "VARCHAR"),
    Col("source_line", "INTEGER"),
    Col("char_start", "INTEGER", doc="position of the number in its line"),
    Col("char_end", "INTEGER"),
), doc="Counts stated in a report's narrative (主动公开…N条, 收到…申请N件, …), for text-against-table checks.")

EXTRACTION_ISSUES = TableSchema("extraction_issues", (
    Col("report_id", "BIGINT"),
    Col("submission_id", "BIGINT", False),
    Col("code", "VARCHAR", False),
    Col("severity", "VARCHAR", False),
    Col("message", "VARCHAR", False),
    Col("source_file", "VARCHAR"),
    Col("source_line", "INTEGER"),
    Col("raw", "VARCHAR"),
), doc="What extraction noticed about a report (table not found, truncated table, unmapped line, …).")

WAREHOUSE = (SUBMISSIONS, REPORTS, CELLS, QUARANTINE, NARRATIVE, EXTRACTION_ISSUES)
"""The load-side tables, in creation order (findings and check runs are created by the checker)."""

VIEWS = """\
CREATE OR REPLACE VIEW current_reports AS
    SELECT * FROM reports WHERE superseded_by IS NULL;

CREATE OR REPLACE VIEW current_cells AS
    SELECT r.agency, r.agency_key, r.year, r.template, r.variant, c.*
    FROM cells c JOIN reports r USING (report_id)
    WHERE r.superseded_by IS NULL;
"""

SCHEMA_HEADER = """\
-- The warehouse (DuckDB), generated from checks/tables.py by `python -m checks.tables`: do not edit.
-- Created by checks.warehouse.connect(); every statement is idempotent.
-- Nothing is ever deleted: a corrected resubmission supersedes a report (superseded_by), and a row
-- that fails the load contract goes to quarantine with its reason.
"""


def warehouse_sql() -> str:
    """The load-side schema: every table of :data:`WAREHOUSE` and the ``current_*`` views."""
    return SCHEMA_HEADER + "\n" + "\n\n".join(t.ddl() for t in WAREHOUSE) + "\n\n" + VIEWS


FINDINGS = TableSchema("findings", (
    Col("run_id", "VARCHAR", False, doc="the check run (see check_runs)"),
    Col("code", "VARCHAR", False, doc="rule code, e.g. N-01 (checks/rules/catalogue.yaml)"),
    Col("name", "VARCHAR", False, doc="rule name, e.g. applications-balance"),
    Col("severity", "VARCHAR", False, doc="error | warning | info"),
    Col("agency", "VARCHAR"),
    Col("year", "INTEGER"),
    Col("template", "VARCHAR"),
    Col("item", "VARCHAR", doc="the cell the finding points at (item code), or the row/table/section"),
    Col("column", "VARCHAR", doc="its column code ('value' outside the section 三 matrix); NULL for rows/tables"),
    Col("expected", "DOUBLE", doc="comparisons: the right-hand side (lenient value when blanks took part)"),
    Col("actual", "DOUBLE", doc="comparisons: the left-hand side; per-cell rules: the cell's value"),
    Col("delta", "DOUBLE", doc="actual - expected"),
    Col("message", "VARCHAR", False, doc="Chinese, with official labels and the arithmetic"),
    Col("message_en", "VARCHAR", False),
    Col("source_file", "VARCHAR"),
    Col("source_line", "INTEGER"),
    Col("report_id", "BIGINT"),
    Col("exact", "BOOLEAN", False, "TRUE", "false when blank (EMPTY/NA), text or missing cells took part"),
    Col("lenient", "BOOLEAN", False, "FALSE", "true when --lenient counted blanks as 0 for this finding"),
    Col("waived", "BOOLEAN", False, "FALSE", "accepted by a waiver (still listed, not counted)"),
    Col("waiver_reason", "VARCHAR"),
), doc="Findings of `gongkai check`: one row per finding; each run adds rows under a new run_id (history).")

CHECK_RUNS = TableSchema("check_runs", (
    Col("run_id", "VARCHAR", False),
    Col("started_at", "TIMESTAMP", False),
    Col("finished_at", "TIMESTAMP"),
    Col("lenient", "BOOLEAN", False),
    Col("reports", "INTEGER"),
    Col("errors", "INTEGER", doc="counts exclude waived findings"),
    Col("warnings", "INTEGER"),
    Col("infos", "INTEGER"),
    Col("waived", "INTEGER"),
    Col("config", "VARCHAR", doc="where severities/disabled rules came from"),
    Col("waivers_file", "VARCHAR"),
    Col("disabled", "VARCHAR", doc="comma-separated rule codes switched off"),
), doc="One row per `gongkai check` run.", key="run_id")

FINDING_ORDER = ('agency, year, report_id, CASE severity WHEN \'error\' THEN 0 WHEN \'warning\' THEN 1 ELSE 2 END, '
                 'code, item, "column"')
"""How findings are listed: by report, most severe first."""


if __name__ == "__main__":  # python -m checks.tables: rewrite checks/schema.sql
    from pathlib import Path

    Path(__file__).with_name("schema.sql").write_text(warehouse_sql(), encoding="utf-8")
