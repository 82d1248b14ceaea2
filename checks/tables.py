"""Rows defined once: the findings table (and the check runs) as data, everything else derived.

A :class:`TableSchema` is a tuple of :class:`Col` (name, DuckDB type, nullability, default, meaning).
From it come the ``CREATE TABLE`` statement (:meth:`TableSchema.ddl`), the SELECT list of every query
that produces rows for it (:meth:`TableSchema.select`: expressions by *name*, missing ones NULL or
their default, in the table's order), the casts of a frame inserted into it
(:meth:`TableSchema.insert_frame`), the columns of exports and of JSON output (:attr:`names`).
No query anywhere depends on remembering the column order.
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

    def ddl(self) -> str:
        """``CREATE TABLE IF NOT EXISTS`` with every column, its type, NOT NULL, default and meaning."""
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
        return f"{head}CREATE TABLE IF NOT EXISTS {self.name} (\n" + "\n".join(lines) + "\n);"

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

    def insert_frame(self, con, frame, view: str = "gk_insert_df") -> None:
        """Insert a pandas frame (columns by name; missing ones take their default) into the table."""
        con.register(view, frame)
        try:
            present = [c for c in self.columns if c.name in frame.columns]
            casts = ", ".join(f"CAST({c.quoted} AS {c.sql}) AS {c.quoted}" for c in present)
            con.execute(f"INSERT INTO {self.name} BY NAME SELECT {casts} FROM {view}")
        finally:
            con.unregister(view)

    def records(self, cursor) -> list[dict]:
        """The rows of an executed query as dicts keyed by column name."""
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


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
