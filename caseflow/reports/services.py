"""Writes of the statistics store: the projection from live data.

``statistics_refresh`` upserts one row per referral, intervention and deadline breach.
It is idempotent (a second run changes nothing), never deletes a row (a referral that
retention deleted or anonymised keeps its row: the published counts do not change), and
does not rewrite a row whose source has settled (its referral ended, and its case, if
any, is closed; its intervention ended; a breach is settled when recorded). While a
source is still moving, a refresh never replaces a known value by an unknown one (an
anonymised person leaves the age band as it was).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.cases.models import Decision
from caseflow.interventions.models import Intervention
from caseflow.people.ages import age_on
from caseflow.referrals.models import Referral
from workflows.models import DeadlineBreach, InterventionProcess

from .keys import statistics_pseudonym
from .models import (
    AgeBand,
    DeadlineBreachStatistic,
    InterventionStatistic,
    ReferralStatistic,
    StatisticsOutcome,
)

#: Serialises refreshes (beat and the command at once) on PostgreSQL.
REFRESH_LOCK_ID = 0x5354_4154  # "STAT"
CHUNK = 2000

CASE_OUTCOME_LEVELS = {Referral.Outcome.CASE_LEVEL_2: 2, Referral.Outcome.CASE_LEVEL_3: 3}
_REFERRAL_FIELDS = ("received_month", "referrer_type", "age_band", "outcome", "founded", "level", "phenomenon",
                    "screened_month", "days_to_screening", "deadline_breaches", "settled")
_INTERVENTION_FIELDS = ("kind", "level", "started_month", "ended_month", "end_reason", "deadline_breaches",
                        "settled")
#: Values that mean "not known": a refresh does not write them over a known value.
_UNKNOWN = (None, "", AgeBand.UNKNOWN)


@dataclass
class RefreshResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    settled_skipped: int = 0

    def add(self, other: RefreshResult) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.settled_skipped += other.settled_skipped


def month_of(day: datetime.date | None) -> datetime.date | None:
    return None if day is None else day.replace(day=1)


def _local_date(moment) -> datetime.date | None:
    return None if moment is None else timezone.localdate(moment)


def age_band(birth_date: datetime.date | None, on: datetime.date) -> str:
    if birth_date is None or birth_date > on:
        return AgeBand.UNKNOWN
    age = age_on(birth_date, on)
    if age < 15:
        return AgeBand.UNDER_15
    if age < 18:
        return AgeBand.AGE_15_17
    if age < 25:
        return AgeBand.AGE_18_24
    return AgeBand.AGE_25_PLUS


def _outcome(referral: Referral) -> str:
    if referral.outcome:
        return referral.outcome
    if referral.status == Referral.Status.SHELVED:
        return StatisticsOutcome.SHELVED
    if referral.status == Referral.Status.TRANSFERRED:
        return StatisticsOutcome.TRANSFERRED
    return StatisticsOutcome.PENDING


def _breach_count(field: str) -> Coalesce:
    """The number of deadline breaches whose ``field`` is the outer row's pk."""
    counted = (DeadlineBreach.objects.filter(**{field: OuterRef("pk")}).order_by().values(field)
               .annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _referral_values(referral: Referral) -> dict:
    received = _local_date(referral.received_at)
    outcome = _outcome(referral)
    founded = None if outcome == StatisticsOutcome.PENDING else outcome in CASE_OUTCOME_LEVELS
    screened = _local_date(referral.screened_at) if referral.outcome else None
    case = referral.case
    ended = outcome != StatisticsOutcome.PENDING and referral.status in (
        Referral.Status.ASSESSED, Referral.Status.SHELVED, Referral.Status.TRANSFERRED)
    return {
        "received_month": month_of(received),
        "referrer_type": referral.referrer_type,
        "age_band": age_band(referral.person.birth_date if referral.person else None, received),
        "outcome": outcome,
        "founded": founded,
        "level": CASE_OUTCOME_LEVELS.get(outcome),
        "phenomenon": case.phenomenon if case is not None else "",
        "screened_month": month_of(screened),
        "days_to_screening": (screened - received).days if screened and screened >= received else None,
        "deadline_breaches": referral.breaches,
        "settled": bool(ended and (case is None or case.closed_at is not None)),
    }


def _intervention_values(intervention: Intervention) -> dict:
    return {
        "kind": intervention.kind,
        "level": intervention.case.level if intervention.case_id else None,
        "started_month": month_of(intervention.started_on),
        "ended_month": month_of(intervention.ended_on),
        "end_reason": intervention.end_reason,
        "deadline_breaches": intervention.breaches,
        "settled": intervention.status == Intervention.Status.ENDED and intervention.ended_on is not None,
    }


def _merge(row, values: dict, fields) -> bool:
    """Write ``values`` into ``row`` without replacing known values by unknown ones;
    True when anything changed."""
    changed = False
    for name in fields:
        new = values[name]
        old = getattr(row, name)
        if new in _UNKNOWN and old not in _UNKNOWN:
            continue
        if name == "deadline_breaches" and new < old:  # a deleted task takes its breach row along
            continue
        if new != old:
            setattr(row, name, new)
            changed = True
    return changed


def _upsert(model, kind: str, sources, values_of, fields, now) -> RefreshResult:
    result = RefreshResult()
    batch: list = []

    def flush():
        keys = {statistics_pseudonym(kind, source.pk): source for source in batch}
        existing = {row.key: row for row in model.objects.filter(key__in=list(keys))}
        to_create, to_update = [], []
        for key, source in keys.items():
            values = values_of(source)
            row = existing.get(key)
            if row is None:
                to_create.append(model(key=key, refreshed_at=now, **values))
            elif row.settled:
                result.settled_skipped += 1
            elif _merge(row, values, fields):
                row.refreshed_at = now
                to_update.append(row)
            else:
                result.unchanged += 1
        model.objects.bulk_create(to_create)
        if to_update:
            model.objects.bulk_update(to_update, [*fields, "refreshed_at"])
        result.created += len(to_create)
        result.updated += len(to_update)
        batch.clear()

    for source in sources.iterator(chunk_size=CHUNK):
        batch.append(source)
        if len(batch) >= CHUNK:
            flush()
    if batch:
        flush()
    return result


def _breach_subject(breach) -> str:
    if breach.referral_id:
        return DeadlineBreachStatistic.Subject.REFERRAL
    if breach.is_intervention:
        return DeadlineBreachStatistic.Subject.INTERVENTION
    return DeadlineBreachStatistic.Subject.CASE


def _breaches_insert(now) -> RefreshResult:
    """Breaches are events: inserted once, never changed."""
    result = RefreshResult()
    breaches = DeadlineBreach.objects.order_by("pk").only("pk", "referral_id", "deadline", "breached_at", "process_id")
    batch: list = []

    def flush():
        keys = {statistics_pseudonym("breach", breach.pk): breach for breach in batch}
        known = set(DeadlineBreachStatistic.objects.filter(key__in=list(keys)).values_list("key", flat=True))
        interventions = set(InterventionProcess.objects.filter(pk__in=[b.process_id for b in batch])
                            .values_list("pk", flat=True))
        rows = []
        for key, breach in keys.items():
            if key in known:
                result.settled_skipped += 1
                continue
            breach.is_intervention = breach.process_id in interventions
            rows.append(DeadlineBreachStatistic(
                key=key, breached_month=month_of(_local_date(breach.breached_at)), deadline=breach.deadline[:60],
                subject=_breach_subject(breach), refreshed_at=now,
            ))
        DeadlineBreachStatistic.objects.bulk_create(rows)
        result.created += len(rows)
        batch.clear()

    for breach in breaches.iterator(chunk_size=CHUNK):
        batch.append(breach)
        if len(batch) >= CHUNK:
            flush()
    if batch:
        flush()
    return result


@transaction.atomic
def statistics_refresh(*, actor=None) -> dict[str, RefreshResult]:
    """Project live referrals, interventions and deadline breaches into the store.
    ``actor``: None for the beat task and the command (the system). Audited as
    ``statistics.refreshed`` with counts only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK_ID])
    now = timezone.now()
    screened_at = (Decision.objects.filter(referral=OuterRef("pk"), kind=Decision.Kind.SCREENING,
                                           outcome=OuterRef("outcome"))
                   .order_by("-decided_at", "-pk").values("decided_at")[:1])
    referrals = (Referral.objects.order_by("pk")
                 .select_related("person", "case")
                 .only("pk", "received_at", "referrer_type", "outcome", "status", "person__birth_date",
                       "case__phenomenon", "case__closed_at")
                 .annotate(screened_at=Subquery(screened_at), breaches=_breach_count("referral_id")))
    interventions = (Intervention.objects.order_by("pk").select_related("case")
                     .only("pk", "kind", "status", "started_on", "ended_on", "end_reason", "case__level")
                     .annotate(breaches=_breach_count("process__interventionprocess__intervention_id")))
    results = {
        "referrals": _upsert(ReferralStatistic, "referral", referrals, _referral_values, _REFERRAL_FIELDS, now),
        "interventions": _upsert(InterventionStatistic, "intervention", interventions, _intervention_values,
                                 _INTERVENTION_FIELDS, now),
        "deadline_breaches": _breaches_insert(now),
    }
    audit_record(actor=actor, action=AuditAction.STATISTICS_REFRESHED, target_type="reports.statistics",
                 extra={name: vars(result) for name, result in results.items()})
    return results

