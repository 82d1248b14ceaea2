"""Extracted cells, narrative counts and issues from report files (text or HTML), with provenance.

Reads one stream of tokens per report and aligns it to the template as a grammar, in any layout a
report page uses (see :mod:`checks.extract.report`). The layout is a diagnostic, never a branch.

Public API (the loader, the CLI and the nightly flow call these)::

    from checks.extract import extract_paths, extract_file, extract_text, write_extraction, Extraction
    ext = extract_paths([Path("reports/")], agency=None, year=None)
    ext.cells       # checks.formats.COLUMNS, one row per template cell the report's table contains
    ext.narrative   # counts stated in the text (checks.extract.narrative)
    ext.issues      # what extraction noticed (codes X-01 … in checks.extract.model.ISSUE_CODES)
    ext.errors      # InputError for files that could not be read at all
    ext.reports     # one row per report: file, agency, year, template, layout, cells, errors, warnings
    write_extraction(ext, Path("out/cells.csv"), None)   # + cells.narrative.csv, cells.issues.csv
"""

from checks.extract.files import (ISSUE_COLUMNS, NARRATIVE_COLUMNS, REPORT_COLUMNS, REPORT_SUFFIXES, Extraction,
                                  extract_bytes, extract_file, extract_paths, to_extraction, write_extraction)
from checks.extract.model import ISSUE_CODES, ReportResult
from checks.extract.report import extract_text

__all__ = ["extract_paths", "extract_file", "extract_text", "extract_bytes", "to_extraction", "write_extraction",
           "Extraction", "ReportResult", "REPORT_SUFFIXES", "NARRATIVE_COLUMNS", "ISSUE_COLUMNS", "REPORT_COLUMNS",
           "ISSUE_CODES"]
