"""Writes of retention and deletion (design.md §4, domain.md §4.7).

The nightly run (:func:`retention_run`, from ``manage.py retention_run`` and the beat
task) applies the retention classes:

- A: an unfounded concern (outcome "unfounded", or shelved for too little information)
  is anonymised ``CASEFLOW_RETENTION_UNFOUNDED_MONTHS`` (12) after it was closed;
- B: a closed adult case is deleted, whole, ``CASEFLOW_RETENTION_CLOSED_CASE_YEARS`` (5)
  after its closure;
- C: a minor's case (see :func:`case_was_minor`) goes to the archive-review queue of its
  team's supervisors ``CASEFLOW_RETENTION_MINOR_REVIEW_YEARS`` (5) after its closure; it
  is deleted only when a supervisor decides so, or kept for some more years;
- D: read events of the audit trail older than ``CASEFLOW_AUDIT_READ_RETENTION_DAYS``
  are pruned (``audit_prune_reads``), the chain staying verifiable.

A legal hold stops A to C for everything of the held person. Every deletion and
anonymisation leaves a :class:`~caseflow.retention.models.DeletionRecord` and an audit
event carrying ids only.

Exactly once, also when two beat processes start the run at the same moment: the run
takes a PostgreSQL session advisory lock (a second run finds it taken and does nothing
but record that), and each item is then processed in its own transaction under a row
lock, re-checked after the lock (gone, already anonymised, held, reopened?), with a
unique constraint on the deletion record as the last guard.
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter
from dataclasses import dataclass, field
from functools import partial

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_prune_reads, audit_record
from caseflow.cases.models import Case
from caseflow.core.exceptions import ApplicationError
from caseflow.documents.models import Document
from caseflow.people.ages import AGE_OF_MAJORITY
from caseflow.people.models import Person
from caseflow.referrals.models import Referral
from permissions.policy import Feature, may_use_for_team

from .deletion import Removal, case_graph_delete, referral_anonymise
from .models import ArchiveReview, DeletionRecord, LegalHold, Rule, TargetType

logger = logging.getLogger("caseflow.retention")

#: Key of the PostgreSQL session advisory lock one retention run holds (b"cfretain").
RUN_LOCK_KEY = int.from_bytes(b"cfretain", "big")

#: The most years a supervisor may keep a minor's case at one review.
KEEP_MAX_YEARS = 10

NOT_SUPERVISOR = _("Only a supervisor of the team can do this.")
REASON_REQUIRED = _("Give a reason.")
TARGET_REQUIRED = _("Choose what the hold is on.")
ALREADY_HELD = _("This is already on legal hold.")
HOLD_ALREADY_LIFTED = _("This legal hold has already been lifted.")
REVIEW_ALREADY_DECIDED = _("This archive review has already been decided.")
REVIEW_CASE_HELD = _("The case is on legal hold: it cannot be deleted until the hold is lifted.")
REVIEW_CASE_GONE = _("The case no longer exists.")
TARGET_GONE = _("The case or referral no longer exists, or changed meanwhile. Try again.")
KEEP_YEARS_RANGE = _("Keep the case for between 1 and %(max)s years.")
UNKNOWN_DECISION = _("Choose whether to delete the case or keep it.")



# --------------------------------------------------------------------------- periods


def unfounded_cutoff(now=None) -> datetime.datetime:
    return (now or timezone.now()) - relativedelta(months=settings.CASEFLOW_RETENTION_UNFOUNDED_MONTHS)


def closed_case_cutoff(now=None) -> datetime.datetime:
    return (now or timezone.now()) - relativedelta(years=settings.CASEFLOW_RETENTION_CLOSED_CASE_YEARS)


def minor_case_cutoff(now=None) -> datetime.datetime:
    return (now or timezone.now()) - relativedelta(years=settings.CASEFLOW_RETENTION_MINOR_REVIEW_YEARS)


# --------------------------------------------------------------------------- legal holds: what is held


@dataclass(frozen=True)
class Held:
    """What the active legal holds cover: people (held directly, or through a held case or
    a referral of theirs), and cases and referrals held directly."""

    person_ids: frozenset[int]
    case_ids: frozenset[int]
    referral_ids: frozenset[int]

    def covers_case(self, case: Case, referral_ids=()) -> bool:
        return (case.pk in self.case_ids or case.person_id in self.person_ids
                or any(pk in self.referral_ids for pk in referral_ids))

    def covers_referral(self, referral: Referral) -> bool:
        return (referral.pk in self.referral_ids or referral.case_id in self.case_ids
                or (referral.person_id is not None and referral.person_id in self.person_ids))


def holds_active() -> Held:
    rows = list(LegalHold.objects.filter(lifted_at__isnull=True).values_list("person_id", "case_id", "referral_id"))
    case_ids = {case_id for _p, case_id, _r in rows if case_id}
    referral_ids = {referral_id for _p, _c, referral_id in rows if referral_id}
    person_ids = {person_id for person_id, _c, _r in rows if person_id}
    person_ids |= set(Case.objects.filter(pk__in=case_ids).values_list("person_id", flat=True))
    person_ids |= set(Referral.objects.filter(pk__in=referral_ids, person__isnull=False)
                      .values_list("person_id", flat=True))
    return Held(frozenset(person_ids), frozenset(case_ids), frozenset(referral_ids))


# --------------------------------------------------------------------------- which rule applies


def case_was_minor(case: Case) -> bool:
    """Was the person under 18 at any time during the case (from its first referral or
    its opening, whichever came first, to its closure)? Minority only ends, so the
    earliest day decides. Also a minor's case: the minor flag is set, a decision was taken
    about a minor, or the birth date is unknown (a child's case may never be deleted
    silently, so doubt goes to the archive review)."""
    if case.is_minor or case.decisions.filter(subject_was_minor=True).exists():
        return True
    birth_date = case.person.birth_date
    if birth_date is None:
        return True
    first_referral = Referral.objects.filter(case_id=case.pk).aggregate(first=Min("received_at"))["first"]
    start = min(filter(None, (case.opened_at, first_referral)))
    try:
        adult_from = birth_date.replace(year=birth_date.year + AGE_OF_MAJORITY)
    except ValueError:  # born 29 February: 18 on 1 March
        adult_from = datetime.date(birth_date.year + AGE_OF_MAJORITY, 3, 1)
    return timezone.localtime(start).date() < adult_from


def _closed_cases(cutoff):
    return Case.objects.filter(closed_at__isnull=False, closed_at__lte=cutoff).exclude(status__in=Case.OPEN_STATUSES)


def _unfounded_candidates(cutoff):
    anonymised = DeletionRecord.objects.filter(
        object_type=TargetType.REFERRAL, action=DeletionRecord.Action.ANONYMISED
    ).values("object_id")
    return (
        Referral.objects.filter(case__isnull=True, closed_at__isnull=False, closed_at__lte=cutoff)
        .filter(Q(outcome=Referral.Outcome.UNFOUNDED) | Q(status=Referral.Status.SHELVED))
        .exclude(pk__in=anonymised)
    )


def _has_open_reopening(case: Case) -> bool:
    """A new concern about the person, not yet screened, that may reopen this case."""
    return Referral.objects.filter(reopen_case_id=case.pk, closed_at__isnull=True, case__isnull=True).exists()


def _case_referral_ids(case: Case) -> list[int]:
    return list(Referral.objects.filter(case_id=case.pk).values_list("pk", flat=True))


def _review_blocks(case: Case, today: datetime.date) -> bool:
    """A pending review, or a decision to keep the case that has not run out."""
    return ArchiveReview.objects.filter(case_id=case.pk).filter(
        Q(status=ArchiveReview.Status.PENDING) | Q(status=ArchiveReview.Status.KEPT, keep_until__gt=today)
    ).exists()


# --------------------------------------------------------------------------- one item each


def _files_remove(names: list[str]) -> None:
    """After commit: remove the deleted documents' files from MEDIA_ROOT. A file that
    cannot be removed is logged by its storage name (random, no content) and left."""
    storage = Document._meta.get_field("file").storage
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.exception("retention: could not remove document file %s", name)


def _record(*, rule, action, object_type, object_id, reference, team_id, removal: Removal, decided_by=None):
    return DeletionRecord.objects.create(
        rule=rule, action=action, object_type=object_type, object_id=object_id, reference=reference,
        team_id=team_id, counts=removal.as_json(), decided_by=decided_by,
    )


def _lock_person(person_id):
    if person_id is not None:
        list(Person.objects.select_for_update().filter(pk=person_id).values_list("pk", flat=True))


def _locked_with_person(queryset, pk):
    """Lock the row's person first, then the row (everyone here locks in that order: the
    run, the review decision and the legal hold), so a case deletion that touches the
    person's other referrals never deadlocks with an anonymisation of one of them.
    None when the row is gone, or its person changed in between (next night, then)."""
    person_id = queryset.filter(pk=pk).values_list("person_id", flat=True).first()
    _lock_person(person_id)
    row = queryset.select_for_update(of=("self",)).filter(pk=pk).first()
    if row is None or row.person_id != person_id:
        return None
    return row


def _case_delete_locked(*, actor, case: Case, rule, decided_by=None) -> DeletionRecord:
    """Delete a locked case; record and audit it. Inside the caller's transaction."""
    case_id, reference, team_id = case.pk, case.reference, case.team_id
    removal = case_graph_delete(case)
    record = _record(rule=rule, action=DeletionRecord.Action.DELETED, object_type=TargetType.CASE,
                     object_id=case_id, reference=reference, team_id=team_id, removal=removal,
                     decided_by=decided_by)
    audit_record(actor=actor, action=AuditAction.RETENTION_DELETED, target_type="cases.case",
                 target_id=str(case_id), case_id=case_id,
                 extra={"rule": rule, "record_id": record.pk, "team_id": team_id, "counts": record.counts})
    transaction.on_commit(partial(_files_remove, list(removal.files)))
    return record


@transaction.atomic
def case_retention_apply(*, case_id: int, now=None) -> tuple[str, str]:
    """Apply rule B or C to one closed case: lock it and its person, re-check everything
    under the lock, then delete it (adult) or queue it for review (minor). Returns the
    rule and what happened: ``deleted``, ``queued``, ``held``, ``kept`` or ``skipped``."""
    now = now or timezone.now()
    case = _locked_with_person(Case.objects.select_related("person"), case_id)
    if case is None:
        return Rule.ADULT_CASE_DELETED, "skipped"  # deleted meanwhile (by another run, or a review)
    minor = case_was_minor(case)
    rule = Rule.MINOR_CASE_REVIEWED if minor else Rule.ADULT_CASE_DELETED
    if case.is_open or case.closed_at is None or _has_open_reopening(case):
        return rule, "skipped"
    if case.closed_at > (minor_case_cutoff(now) if minor else closed_case_cutoff(now)):
        return rule, "skipped"
    if holds_active().covers_case(case, _case_referral_ids(case)):
        return rule, "held"
    if not minor:
        _case_delete_locked(actor=None, case=case, rule=Rule.ADULT_CASE_DELETED)
        return rule, "deleted"
    if _review_blocks(case, timezone.localtime(now).date()):
        return rule, "kept"
    review = ArchiveReview.objects.create(case=case, case_reference=case.reference, team_id=case.team_id)
    audit_record(actor=None, action=AuditAction.RETENTION_REVIEW_QUEUED, target=case,
                 extra={"review_id": review.pk})
    return rule, "queued"


@transaction.atomic
def referral_retention_apply(*, referral_id: int, now=None) -> tuple[str, str]:
    """Apply rule A to one concern: lock it and its person, re-check, anonymise, record.
    Returns the rule and ``anonymised``, ``held`` or ``skipped``."""
    rule = Rule.UNFOUNDED_ANONYMISED
    referral = _locked_with_person(Referral.objects.all(), referral_id)
    if referral is None or not _unfounded_candidates(unfounded_cutoff(now)).filter(pk=referral_id).exists():
        return rule, "skipped"
    if holds_active().covers_referral(referral):
        return rule, "held"
    removal = referral_anonymise(referral)
    record = _record(rule=Rule.UNFOUNDED_ANONYMISED, action=DeletionRecord.Action.ANONYMISED,
                     object_type=TargetType.REFERRAL, object_id=referral.pk, reference=referral.reference,
                     team_id=referral.team_id, removal=removal)
    audit_record(actor=None, action=AuditAction.RETENTION_ANONYMISED, target_type="referrals.referral",
                 target_id=str(referral.pk),
                 extra={"rule": Rule.UNFOUNDED_ANONYMISED, "record_id": record.pk, "team_id": referral.team_id,
                        "counts": record.counts})
    return rule, "anonymised"


# --------------------------------------------------------------------------- the run


@dataclass
class RetentionRunResult:
    dry_run: bool
    #: True when another run held the lock: this one did nothing.
    skipped: bool = False
    #: Per rule: anonymised / deleted / queued / held / kept / failed (a dry run: what would be).
    counts: dict = field(default_factory=dict)
    audit_reads_pruned: int = 0
    errors: list = field(default_factory=list)

    def as_json(self) -> dict:
        return {"dry_run": self.dry_run, "skipped": self.skipped, "counts": self.counts,
                "audit_reads_pruned": self.audit_reads_pruned, "errors": self.errors}


class _RunLock:
    """A PostgreSQL session advisory lock held for the whole run (each item commits on
    its own, so a transaction-level lock would not do). SQLite: no lock (development)."""

    def __init__(self):
        self.acquired = False

    def __enter__(self):
        if connection.vendor != "postgresql":
            self.acquired = True
            return self
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [RUN_LOCK_KEY])
            self.acquired = bool(cursor.fetchone()[0])
        return self

    def __exit__(self, *exc):
        if self.acquired and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [RUN_LOCK_KEY])
        return False


def _plan(now) -> dict:
    """What each rule would do now (a dry run), from the same candidates as a real run."""
    held = holds_active()
    counts = {str(rule): Counter() for rule in Rule}
    for referral in _unfounded_candidates(unfounded_cutoff(now)).only("pk", "person_id", "case_id"):
        counts["unfounded_referral"]["held" if held.covers_referral(referral) else "anonymised"] += 1
    today = timezone.localtime(now).date()
    latest = max(closed_case_cutoff(now), minor_case_cutoff(now))
    for case in _closed_cases(latest).select_related("person"):
        if _has_open_reopening(case):
            continue
        minor = case_was_minor(case)
        if case.closed_at > (minor_case_cutoff(now) if minor else closed_case_cutoff(now)):
            continue
        rule = "minor_case_review" if minor else "closed_adult_case"
        if held.covers_case(case, _case_referral_ids(case)):
            counts[rule]["held"] += 1
        elif not minor:
            counts[rule]["deleted"] += 1
        elif _review_blocks(case, today):
            counts[rule]["kept"] += 1
        else:
            counts[rule]["queued"] += 1
    return {rule: dict(counter) for rule, counter in counts.items()}


def _apply(function, counts: dict, errors: list, **kwargs) -> None:
    try:
        rule, outcome = function(**kwargs)
    except Exception as exc:  # one item's failure must not stop the others
        counts["failed"] = counts.get("failed", 0) + 1
        errors.append({"item": kwargs.get("case_id") or kwargs.get("referral_id"), "error": type(exc).__name__})
        logger.exception("retention: %s failed for %s", function.__name__,
                         {key: value for key, value in kwargs.items() if key.endswith("_id")})
        return
    if outcome != "skipped":
        counts.setdefault(str(rule), Counter())[outcome] += 1


def retention_run(*, actor=None, dry_run: bool = False, now=None) -> RetentionRunResult:
    """Apply every retention rule once (see the module docstring). A dry run changes
    nothing and records one ``retention.run`` event with what would happen per rule.
    Ends with one ``retention.run`` event carrying the counts (ids only)."""
    now = now or timezone.now()
    result = RetentionRunResult(dry_run=dry_run)
    with _RunLock() as lock:
        if not lock.acquired:
            result.skipped = True
        elif dry_run:
            result.counts = _plan(now)
            result.audit_reads_pruned = audit_prune_reads(actor=actor, now=now, dry_run=True).deleted
        else:
            _run_rules(result, now)
            try:
                result.audit_reads_pruned = audit_prune_reads(actor=actor, now=now).deleted
            except ApplicationError as exc:  # a broken chain: reported, never pruned
                result.errors.append({"item": "audit", "error": str(exc.message)})
        audit_record(actor=actor, action=AuditAction.RETENTION_RUN, extra=result.as_json())
    return result


def _run_rules(result: RetentionRunResult, now) -> None:
    counts: dict = {str(rule): Counter() for rule in Rule}
    for referral_id in list(_unfounded_candidates(unfounded_cutoff(now)).values_list("pk", flat=True)):
        _apply(referral_retention_apply, counts, result.errors, referral_id=referral_id, now=now)
    latest = max(closed_case_cutoff(now), minor_case_cutoff(now))
    for case_id in list(_closed_cases(latest).order_by("closed_at", "pk").values_list("pk", flat=True)):
        _apply(case_retention_apply, counts, result.errors, case_id=case_id, now=now)
    result.counts = {key: dict(value) if isinstance(value, Counter) else value for key, value in counts.items()}


# --------------------------------------------------------------------------- archive review


@transaction.atomic
def archive_review_decide(*, actor, review: ArchiveReview, delete: bool, keep_years: int | None = None,
                          reason: str = "") -> ArchiveReview:
    """A supervisor of the case's team decides a pending archive review: delete the case
    now (the whole graph, with a deletion record naming them), or keep it for
    ``keep_years`` (1 to 10) more years with a reason; after that it is queued again."""
    review = ArchiveReview.objects.select_for_update().get(pk=review.pk)
    if not may_use_for_team(actor, Feature.RETENTION, review.team_id):
        raise ApplicationError(NOT_SUPERVISOR)
    if review.status != ArchiveReview.Status.PENDING:
        raise ApplicationError(REVIEW_ALREADY_DECIDED)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(REASON_REQUIRED, field="reason")
    now = timezone.now()
    extra = {"review_id": review.pk}
    if delete:
        case = _locked_with_person(Case.objects.all(), review.case_id) if review.case_id else None
        if case is None:
            raise ApplicationError(REVIEW_CASE_GONE)
        if holds_active().covers_case(case, _case_referral_ids(case)):
            raise ApplicationError(REVIEW_CASE_HELD)
        record = _case_delete_locked(actor=actor, case=case, rule=Rule.MINOR_CASE_REVIEWED, decided_by=actor)
        review.status, review.case, extra["record_id"] = ArchiveReview.Status.DELETED, None, record.pk
    else:
        if keep_years is None or not 1 <= keep_years <= KEEP_MAX_YEARS:
            raise ApplicationError(KEEP_YEARS_RANGE % {"max": KEEP_MAX_YEARS}, field="keep_years")
        review.status = ArchiveReview.Status.KEPT
        review.keep_until = timezone.localtime(now).date() + relativedelta(years=keep_years)
        extra["keep_until"] = review.keep_until.isoformat()
    review.decided_by, review.decided_at, review.reason = actor, now, reason
    review.save()
    audit_record(actor=actor, action=AuditAction.RETENTION_REVIEW_DECIDED, target_type="retention.archivereview",
                 target_id=str(review.pk), case_id=case.pk if delete else review.case_id,
                 reason=reason, extra={**extra, "decision": review.status})
    return review


# --------------------------------------------------------------------------- legal holds


@transaction.atomic
def legal_hold_set(*, actor, target, whole_person: bool = False, reason: str) -> LegalHold:
    """A supervisor of the target's team puts a case or a referral (or, with
    ``whole_person``, its person) on legal hold. The person and the target row are
    locked first, as the retention run locks them, so a run that is deleting the case
    either finishes first (and the hold finds nothing) or sees the hold."""
    if not isinstance(target, (Case, Referral)):
        raise ApplicationError(TARGET_REQUIRED, field="reference")
    if not may_use_for_team(actor, Feature.RETENTION, target.team_id):
        raise ApplicationError(NOT_SUPERVISOR)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(REASON_REQUIRED, field="reason")
    model = type(target)
    target = _locked_with_person(model.objects.all(), target.pk)
    if target is None:
        raise ApplicationError(TARGET_GONE)
    if whole_person and target.person_id is not None:
        fields = {"target_type": TargetType.PERSON, "person_id": target.person_id}
    elif model is Case:
        fields = {"target_type": TargetType.CASE, "case": target}
    else:
        fields = {"target_type": TargetType.REFERRAL, "referral": target}
    lookup = {key: value for key, value in fields.items() if key != "target_type"}
    if LegalHold.objects.filter(lifted_at__isnull=True, **lookup).exists():
        raise ApplicationError(ALREADY_HELD)
    hold = LegalHold.objects.create(**fields, target_reference=target.reference, team_id=target.team_id,
                                    reason=reason, set_by=actor)
    audit_record(actor=actor, action=AuditAction.LEGAL_HOLD_SET, target_type="retention.legalhold",
                 target_id=str(hold.pk), case_id=target.pk if model is Case else target.case_id,
                 reason=reason, extra={"target_type": hold.target_type, "person_id": hold.person_id,
                                       "case_id": hold.case_id, "referral_id": hold.referral_id})
    return hold


@transaction.atomic
def legal_hold_lift(*, actor, hold: LegalHold, reason: str) -> LegalHold:
    """A supervisor of the hold's team lifts it, with a reason."""
    hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
    if not may_use_for_team(actor, Feature.RETENTION, hold.team_id):
        raise ApplicationError(NOT_SUPERVISOR)
    if hold.lifted_at is not None:
        raise ApplicationError(HOLD_ALREADY_LIFTED)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(REASON_REQUIRED, field="reason")
    hold.lifted_at, hold.lifted_by, hold.lift_reason = timezone.now(), actor, reason
    hold.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    audit_record(actor=actor, action=AuditAction.LEGAL_HOLD_LIFTED, target_type="retention.legalhold",
                 target_id=str(hold.pk), case_id=hold.case_id, reason=reason,
                 extra={"target_type": hold.target_type})
    return hold

