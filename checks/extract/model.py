"""Small data types shared by the extraction modules, and the catalogue of extraction issue codes."""

from __future__ import annotations

from dataclasses import dataclass, field

# code → (short name, severity). Stable: the warehouse and the rule engine key on the code.
ISSUE_CODES: dict[str, tuple[str, str]] = {
    "X-01": ("table-not-found", "error"),      # no statistics table in the report: zero cells, never zeros
    "X-02": ("table-truncated", "error"),      # the table stops before its last row; message names the last row read
    "X-03": ("unmapped-line", "warning"),      # values under no row of the template (line + reason)
    "X-04": ("template-unknown", "error"),     # no template marker (domain.md §0) and no known row labels
    "X-05": ("template-mixed", "error"),       # markers of two templates in the table
    "X-06": ("year-not-found", "error"),
    "X-07": ("agency-not-found", "error"),
    "X-08": ("agency-completed", "info"),      # 市经信局 → 嘉兴市经信局, from place names in the text
    "X-09": ("template-from-labels", "warning"),  # no marker found; template chosen by its row labels
    "X-10": ("metadata-from-text", "info"),    # year or agency taken from the narrative / signature, not a title
    "X-11": ("agency-incomplete", "warning"),  # 市经信局 and no place name in the text to complete it
    "X-12": ("year-conflict", "warning"),      # the title and the table name different years
    "X-13": ("row-cells-mismatch", "warning"),  # a grid/matrix row with fewer or more cells than columns
    "X-14": ("merged-cell", "warning"),        # an HTML value cell spans columns/rows: copies left blank
    "X-15": ("file-cut", "warning"),           # the file ends inside a multi-byte character: read up to the cut
}


@dataclass(slots=True)
class Cell:
    """An HTML table cell after span expansion (never stripped); see :func:`checks.extract.html.grid`."""

    text: str
    line: int               # 1-based line of the text (HTML: the <tr> line)
    own: bool = True        # False: the cell has no text of its own (missing value, span copy)
    span: bool = False      # HTML: a copy made by colspan/rowspan
    col: int = -1           # HTML: grid column after span expansion


@dataclass(slots=True)
class Row:
    """One HTML table row, spans expanded."""

    cells: list[Cell]
    line: int
    text: str = ""          # the row's source text, for issue messages


@dataclass(slots=True)
class Issue:
    code: str
    message: str
    line: int | None = None
    raw: str = ""

    @property
    def severity(self) -> str:
        return ISSUE_CODES[self.code][1]


@dataclass
class ReportResult:
    """Everything extracted from one report file (before it becomes DataFrame rows)."""

    source_file: str
    agency: str = ""
    year: str = ""
    template: str = ""
    variant: str = ""
    layout: str = ""
    encoding: str = ""
    cells: list[tuple] = field(default_factory=list)       # in checks.formats.COLUMNS order
    narrative: list[tuple] = field(default_factory=list)   # in NARRATIVE_COLUMNS order (minus agency/year/file)
    issues: list[Issue] = field(default_factory=list)

    def issue(self, code: str, message: str, line: int | None = None, raw: str = "") -> None:
        self.issues.append(Issue(code, message, line, raw))
