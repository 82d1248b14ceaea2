-- The warehouse (DuckDB), generated from checks/tables.py by `python -m checks.tables`: do not edit.
-- Created by checks.warehouse.connect(); every statement is idempotent.
-- Nothing is ever deleted: a corrected resubmission supersedes a report (superseded_by), and a row
-- that fails the load contract goes to quarantine with its reason.

-- One row per loaded file.
CREATE TABLE IF NOT EXISTS submissions (
    "submission_id"  BIGINT PRIMARY KEY,
    "file"           VARCHAR NOT NULL,  -- the path as given to `gongkai load`
    "sha256"         VARCHAR NOT NULL,  -- of the file's bytes: the same file twice is loaded once
    "kind"           VARCHAR NOT NULL,  -- 'extracted' (the extracted-statistics format) or 'report'
    "loaded_at"      TIMESTAMP NOT NULL,
    "rows_total"     INTEGER NOT NULL,
    "rows_loaded"    INTEGER NOT NULL,
    "rows_quarantined" INTEGER NOT NULL,
    "reports_new"    INTEGER NOT NULL,  -- reports added (new, or superseding an older one)
    "reports_unchanged" INTEGER NOT NULL  -- reports whose cells equal the current ones: nothing added
);

-- One row per agency-year report; a corrected resubmission supersedes the older row.
CREATE TABLE IF NOT EXISTS reports (
    "report_id"      BIGINT PRIMARY KEY,
    "submission_id"  BIGINT NOT NULL,
    "agency"         VARCHAR NOT NULL,
    "agency_id"      VARCHAR,
    "agency_key"     VARCHAR NOT NULL,  -- agency_id when given, else agency: identifies the agency across years
    "region"         VARCHAR,
    "year"           INTEGER NOT NULL,
    "template"       VARCHAR NOT NULL,
    "variant"        VARCHAR,
    "source_file"    VARCHAR,
    "content_sha"    VARCHAR NOT NULL,  -- of the report's cells: an identical resubmission adds nothing
    "cells"          INTEGER NOT NULL,
    "loaded_at"      TIMESTAMP NOT NULL,
    "superseded_by"  BIGINT  -- the report that replaced this one; NULL = current
);

-- One row per statistical cell, with its raw text and where it was read.
CREATE TABLE IF NOT EXISTS cells (
    "report_id"      BIGINT NOT NULL,
    "item"           VARCHAR NOT NULL,  -- item code (checks.templates), e.g. v2019.s3.new_received
    "column"         VARCHAR NOT NULL,  -- column code: natural … total in section 三, else 'value'
    "state"          VARCHAR NOT NULL,  -- NUMERIC | ZERO | EMPTY | NA | TEXT (checks.cells)
    "value"          DOUBLE,  -- NULL unless NUMERIC or ZERO; money in 万元
    "unit"           VARCHAR,  -- the unit of value, from the template (件, 条, 万元 …)
    "raw"            VARCHAR NOT NULL,  -- the cell text exactly as the report has it
    "raw_unit"       VARCHAR,  -- a unit written inside the cell text (251000元 → 元)
    "printed_unit"   VARCHAR,  -- the form's 单位 column for the row, as printed
    "label"          VARCHAR,  -- the row label as the report wrote it
    "note"           VARCHAR,  -- what the parser did (e.g. 251000元 → 25.1万元)
    "source_file"    VARCHAR,
    "source_line"    INTEGER,
    "source_col"     INTEGER  -- HTML: column of the cell in its <tr>, after colspan/rowspan
);

-- Rows that failed the load contract, with their reasons: nothing is lost.
CREATE TABLE IF NOT EXISTS quarantine (
    "submission_id"  BIGINT NOT NULL,
    "file"           VARCHAR NOT NULL,  -- the loaded file
    "line"           INTEGER,  -- the row's line in that file
    "agency"         VARCHAR,
    "year"           VARCHAR,
    "template"       VARCHAR,
    "item"           VARCHAR,
    "column"         VARCHAR,
    "raw"            VARCHAR,
    "raw_row"        VARCHAR NOT NULL,  -- the whole input row as JSON
    "reason"         VARCHAR NOT NULL  -- every contract check the row failed
);

-- Counts stated in a report's narrative (主动公开…N条, 收到…申请N件, …), for text-against-table checks.
CREATE TABLE IF NOT EXISTS narrative (
    "report_id"      BIGINT NOT NULL,
    "key"            VARCHAR NOT NULL,  -- what the number counts, e.g. s3.received (checks.extract.narrative)
    "value"          DOUBLE,
    "raw"            VARCHAR,  -- the number as written, with its unit
    "sentence"       VARCHAR,
    "source_file"    VARCHAR,
    "source_line"    INTEGER,
    "char_start"     INTEGER,  -- position of the number in its line
    "char_end"       INTEGER
);

-- What extraction noticed about a report (table not found, truncated table, unmapped line, …).
CREATE TABLE IF NOT EXISTS extraction_issues (
    "report_id"      BIGINT,
    "submission_id"  BIGINT NOT NULL,
    "code"           VARCHAR NOT NULL,
    "severity"       VARCHAR NOT NULL,
    "message"        VARCHAR NOT NULL,
    "source_file"    VARCHAR,
    "source_line"    INTEGER,
    "raw"            VARCHAR
);

CREATE OR REPLACE VIEW current_reports AS
    SELECT * FROM reports WHERE superseded_by IS NULL;

CREATE OR REPLACE VIEW current_cells AS
    SELECT r.agency, r.agency_key, r.year, r.template, r.variant, c.*
    FROM cells c JOIN reports r USING (report_id)
    WHERE r.superseded_by IS NULL;
