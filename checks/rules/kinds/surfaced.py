"""Surfaced kinds: what the load, extraction and waivers noticed, listed with the findings so nothing is lost."""

from __future__ import annotations

from checks.rules import messages as M
from checks.rules.kinds import PerRule, register
from checks.tables import FINDINGS


class Surfaced(PerRule):
    """Base of the surfaced kinds: one query per rule over a warehouse table."""

    family = "surfaced"
    params: dict[str, str] = {}
    """placeholder → SQL expression over the source table."""

    @classmethod
    def select(cls, b, rule, exprs: dict[str, str]) -> str:
        from checks.rules.sql import lit

        msgs = {"message": M.fill_sql(M.sql_text(rule.message["zh"]), cls.params),
                "message_en": M.fill_sql(M.sql_text(rule.message["en"]), cls.params)}
        return FINDINGS.select({"run_id": lit(b.run_id), "code": lit(rule.code), "name": lit(rule.name),
                                "severity": lit(rule.severity), **msgs, **exprs})


@register
class QuarantinedRow(Surfaced):
    """A row the load contract refused (table ``quarantine``)."""

    name = "quarantined-row"
    placeholders = frozenset({"file", "line", "reason"})
    params = {"file": "q.file", "line": "coalesce(CAST(q.line AS VARCHAR), '?')", "reason": "q.reason"}

    @classmethod
    def rule_sql(cls, b, rule) -> str:
        return cls.select(b, rule, {
            "agency": "q.agency", "year": "TRY_CAST(q.year AS INTEGER)", "template": "q.template", "item": "q.item",
            "column": 'q."column"', "source_file": "q.file", "source_line": "q.line"}) + "\nFROM quarantine q"


@register
class ExtractionIssue(Surfaced):
    """What extraction flagged (table ``extraction_issues``); the issue's code (X-01 …) is a parameter."""

    name = "extraction-issue"
    placeholders = frozenset({"issue", "text"})
    params = {"issue": "e.code", "text": "e.message"}

    @classmethod
    def rule_sql(cls, b, rule) -> str:
        from checks.rules.sql import lit

        sev = (lit(rule.severity) if rule.severity_overridden else
               f"CASE WHEN lower(e.severity) IN ('error', 'warning', 'info') THEN lower(e.severity) "
               f"ELSE {lit(rule.severity)} END")
        return cls.select(b, rule, {
            "severity": sev, "agency": "r.agency", "year": "r.year", "template": "r.template",
            "source_file": "coalesce(e.source_file, r.source_file)", "source_line": "e.source_line",
            "report_id": "e.report_id"}) + """
FROM extraction_issues e LEFT JOIN reports r USING (report_id)
WHERE e.report_id IS NULL OR r.superseded_by IS NULL"""


@register
class WaiverExpired(Surfaced):
    """A waiver past its expiry date: it no longer applies (written by checks.rules.findings.apply_waivers)."""

    name = "waiver-expired"
    placeholders = frozenset({"expires", "code", "agency", "year", "reason"})

    @classmethod
    def sql(cls, b, rules):
        return []

    @classmethod
    def finding(cls, rule, run_id: str, waiver) -> dict:
        """The finding row (as a dict of :data:`checks.tables.FINDINGS` columns) of one expired waiver."""
        vals = {"expires": waiver.expires.isoformat(), "code": waiver.code, "agency": waiver.agency,
                "year": str(waiver.year), "reason": waiver.reason}
        return {"run_id": run_id, "code": rule.code, "name": rule.name, "severity": rule.severity,
                "agency": waiver.agency, "year": waiver.year, "item": waiver.item, "column": waiver.column,
                "message": M.fill(rule.message["zh"], vals), "message_en": M.fill(rule.message["en"], vals)}
