-- Findings of `gongkai check` (checks.rules). Created on the first check; every statement is idempotent.
-- One row per finding; each run adds rows under a new run_id and older runs are kept (history).
CREATE TABLE IF NOT EXISTS findings (
    run_id          VARCHAR NOT NULL,      -- the check run (see check_runs)
    code            VARCHAR NOT NULL,      -- rule code, e.g. N-01 (checks/rules/catalogue.yaml)
    name            VARCHAR NOT NULL,      -- rule name, e.g. applications-balance
    severity        VARCHAR NOT NULL,      -- error | warning | info
    agency          VARCHAR,
    year            INTEGER,
    template        VARCHAR,
    item            VARCHAR,               -- the cell the finding points at (item code), or the row/table/section
    "column"        VARCHAR,               -- its column code ('value' outside the section 三 matrix); NULL for rows/tables
    expected        DOUBLE,                -- comparisons: the right-hand side (lenient value when blanks took part)
    actual          DOUBLE,                -- comparisons: the left-hand side; per-cell rules: the cell's value
    delta           DOUBLE,                -- actual - expected
    message         VARCHAR NOT NULL,      -- Chinese, with official labels and the arithmetic
    message_en      VARCHAR NOT NULL,
    source_file     VARCHAR,
    source_line     INTEGER,
    report_id       BIGINT,
    exact           BOOLEAN NOT NULL,      -- false when blank (EMPTY/NA), text or missing cells took part
    lenient         BOOLEAN NOT NULL,      -- true when --lenient counted blanks as 0 for this finding
    waived          BOOLEAN NOT NULL,      -- accepted by a waiver (still listed, not counted)
    waiver_reason   VARCHAR
);

CREATE TABLE IF NOT EXISTS check_runs (
    run_id          VARCHAR PRIMARY KEY,
    started_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP,
    lenient         BOOLEAN NOT NULL,
    reports         INTEGER,
    errors          INTEGER,               -- counts exclude waived findings
    warnings        INTEGER,
    infos           INTEGER,
    waived          INTEGER,
    config          VARCHAR,               -- where severities/disabled rules came from
    waivers_file    VARCHAR,
    disabled        VARCHAR                -- comma-separated rule codes switched off
);
