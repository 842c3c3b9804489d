"""Reads of the statistics, with who may read them and the recording of each read.

Who: the management (supervisors) and the DPO (auditor). The figures are aggregates of
the pseudonymised store, suppressed below 5 and with no route back to a case, so they
are not case content: the auditor, who never sees case content, may check that the
statistics respect GDPR art. 89 (suppression, pseudonyms). Nobody else: caseworkers,
consultants, BBU, providers and partners get 403 (the page confirms no object's
existence, so 403 rather than 404), recorded as ``access.denied``.
"""

from __future__ import annotations

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from permissions.policy import AccessDenied, Feature, may_use

from .statistics import YearStatistics, statistics_build

TARGET_TYPE = "reports.statistics"
PURPOSE_STATISTICS = "statistics"


def statistics_allowed(actor) -> bool:
    return may_use(actor, Feature.STATISTICS)


def statistics_require(*, actor, what: str = "page") -> None:
    """Refuse (and record the refusal) unless ``actor`` may read the statistics."""
    if not statistics_allowed(actor):
        audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target_type=TARGET_TYPE,
                     purpose=PURPOSE_STATISTICS, extra={"what": what})
        raise AccessDenied


def _shown(stats: YearStatistics) -> dict:
    states = stats.publication.states
    return {"year": stats.year, "figures": len(states),
            "suppressed": sum(1 for state in states.values() if state != "shown")}


def statistics_get_for(*, actor, year: int) -> YearStatistics:
    """The year's statistics for the page; one ``statistics.viewed``."""
    statistics_require(actor=actor)
    stats = statistics_build(year=year)
    audit_record(actor=actor, action=AuditAction.STATISTICS_VIEWED, target_type=TARGET_TYPE,
                 target_id=str(year), purpose=PURPOSE_STATISTICS, extra=_shown(stats))
    return stats


def statistics_export_for(*, actor, year: int) -> YearStatistics:
    """The year's statistics for the CSV download; one ``statistics.exported``."""
    statistics_require(actor=actor, what="csv")
    stats = statistics_build(year=year)
    audit_record(actor=actor, action=AuditAction.STATISTICS_EXPORTED, target_type=TARGET_TYPE,
                 target_id=str(year), purpose=PURPOSE_STATISTICS, extra=_shown(stats))
    return stats
