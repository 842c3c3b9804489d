"""Person search across cases and referrals (duplicate detection without leaking content)."""

import datetime
import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.cases.models import CASE_REFERENCE_PREFIX, Case
from caseflow.core.exceptions import ApplicationError
from caseflow.referrals.models import Referral
from caseflow.referrals.services import REFERRAL_REFERENCE_PREFIX
from permissions.policy import visible_cases, visible_referrals

from .cpr import cpr_birth_date, cpr_clean_or_error, cpr_index
from .models import Person

MAX_RESULTS = 50


@dataclass(frozen=True)
class CaseHit:
    """A case found for a person. ``case`` is set only when the searcher may see it;
    otherwise only the responsible caseworker's name is given ("contact …")."""

    case_id: int
    reference: str | None
    case: Case | None
    contact: str


@dataclass(frozen=True)
class PersonHit:
    label: str  # the name, only when at least one of the person's cases is visible
    cases: list[CaseHit]


PURPOSE_SEARCH = "search"

SEARCH_EMPTY = _("Enter a name, a reference, a date of birth or a CPR number.")
SEARCH_BAD_DATE = _("Enter a valid date of birth, as dd-mm-yyyy.")
SEARCH_TWO_DATES = _("Enter only one date of birth.")

KIND_NAME = "name"
KIND_CASE_REFERENCE = "case_reference"
KIND_REFERRAL_REFERENCE = "referral_reference"
KIND_CPR = "cpr"

_CASE_REFERENCE_RE = re.compile(rf"^{CASE_REFERENCE_PREFIX}-[0-9]{{4}}-[0-9]{{1,6}}$", re.IGNORECASE | re.ASCII)
_REFERRAL_REFERENCE_RE = re.compile(rf"^{REFERRAL_REFERENCE_PREFIX}-[0-9]{{4}}-[0-9]{{1,6}}$",
                                    re.IGNORECASE | re.ASCII)
#: Ten digits, optionally with a dash (or a typographic dash) after the sixth.
_CPR_LIKE_RE = re.compile(r"^[0-9]{6}[-\u2010\u2011\u2012\u2013]?[0-9]{4}$", re.ASCII)
_DANISH_DATE_RE = re.compile(r"^([0-9]{1,2})[-./]([0-9]{1,2})[-./]([0-9]{4})$", re.ASCII)
_ISO_DATE_RE = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$", re.ASCII)


@dataclass(frozen=True)
class SearchResult:
    """What one search box found. ``people``: cases grouped by person (invisible ones
    only as "a case exists — contact …"); ``referrals``: referrals the searcher may see
    (an invisible referral is never mentioned)."""

    kind: str
    people: list[PersonHit]
    referrals: list[Referral]


def _date_or_none(token: str):
    match = _DANISH_DATE_RE.match(token)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = _ISO_DATE_RE.match(token)
        if not match:
            return None
        year, month, day = (int(g) for g in match.groups())
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ApplicationError(SEARCH_BAD_DATE, field="q") from None


def _person_hits(actor, cases: list[Case]) -> list[PersonHit]:
    visible_ids = (set(visible_cases(actor).filter(pk__in=[c.pk for c in cases]).values_list("pk", flat=True))
                   if cases else set())
    by_person: dict[int, list[Case]] = {}
    for case in cases:
        by_person.setdefault(case.person_id, []).append(case)
    hits = []
    for person_cases in by_person.values():
        case_hits = [
            CaseHit(case_id=c.pk, reference=c.reference, case=c, contact=str(c.responsible or ""))
            if c.pk in visible_ids
            else CaseHit(case_id=c.pk, reference=None, case=None, contact=str(c.responsible or ""))
            for c in person_cases
        ]
        any_visible = any(h.case is not None for h in case_hits)
        hits.append(PersonHit(label=str(person_cases[0].person) if any_visible else "", cases=case_hits))
    return hits


def _cases(condition: Q) -> list[Case]:
    return list(
        Case.objects.filter(condition).select_related("person", "responsible").order_by("person_id", "-opened_at")[
            :MAX_RESULTS
        ]
    )


def _name_condition(terms, birth_date, prefix="person__") -> Q:
    condition = Q()
    for term in terms:
        condition &= Q(**{f"{prefix}first_name__icontains": term}) | Q(**{f"{prefix}last_name__icontains": term})
    if birth_date is not None:
        condition &= Q(**{f"{prefix}birth_date": birth_date})
    return condition


def person_search_for(*, actor, query: str, birth_date=None) -> list[PersonHit]:
    """Find open and closed cases by the person's name (and birth date). For cases the
    searcher may not see, the hit says only that a case exists and whom to contact.
    The search is one read event with its criterion and the case ids it returned."""
    terms = [t for t in (query or "").split() if t][:4]
    if not terms and birth_date is None:
        return []
    cases = _cases(_name_condition(terms, birth_date))
    hits = _person_hits(actor, cases)
    audit_record(actor=actor, action=AuditAction.PERSON_SEARCHED, purpose="duplicate_check",
                 extra={"criterion": {"name": " ".join(terms),
                                      "birth_date": birth_date.isoformat() if birth_date else None},
                        "case_ids": [c.pk for c in cases]})
    return hits


def search_for(*, actor, query: str) -> SearchResult:
    """One search box: a case reference (``KE-2026-0001``), a referral reference
    (``HV-2026-0001``), a CPR number (exact, through the blind index), or a name with
    or without a date of birth (``dd-mm-yyyy`` or ``yyyy-mm-dd``).

    Cases the searcher may not see answer only "a case exists — contact …" (never the
    person's name or the reference); a referral the searcher may not see is not
    mentioned at all, so its reference is never confirmed. One ``person.searched``
    event with the criterion and the ids returned; for a CPR number the criterion says
    only that one was given (never the number, nor anything else typed with it).
    Bad input raises ``ApplicationError`` (field ``q``)."""
    tokens = (query or "").split()
    if not tokens:
        raise ApplicationError(SEARCH_EMPTY, field="q")
    compact = "".join(tokens)
    cpr_like = compact if _CPR_LIKE_RE.match(compact) else next(
        (t for t in tokens if _CPR_LIKE_RE.match(t)), None)

    people: list[PersonHit] = []
    referrals: list[Referral] = []
    cases: list[Case] = []
    if cpr_like is not None:
        kind = KIND_CPR
        index = cpr_index(cpr_clean_or_error(cpr_like, field="q"))
        cases = _cases(Q(person__cpr_index=index))
        referrals = list(visible_referrals(actor).filter(person__cpr_index=index)
                         .select_related("person").order_by("-received_at", "-pk")[:MAX_RESULTS])
        criterion = {"kind": kind, "cpr": True}
    elif len(tokens) == 1 and _CASE_REFERENCE_RE.match(tokens[0]):
        kind = KIND_CASE_REFERENCE
        reference = tokens[0].upper()
        cases = _cases(Q(reference=reference))
        criterion = {"kind": kind, "reference": reference, "cpr": False}
    elif len(tokens) == 1 and _REFERRAL_REFERENCE_RE.match(tokens[0]):
        kind = KIND_REFERRAL_REFERENCE
        reference = tokens[0].upper()
        referrals = list(visible_referrals(actor).filter(reference=reference).select_related("person"))
        criterion = {"kind": kind, "reference": reference, "cpr": False}
    else:
        kind = KIND_NAME
        birth_date, terms = None, []
        for token in tokens:
            day = _date_or_none(token)
            if day is None:
                terms.append(token)
            elif birth_date is not None:
                raise ApplicationError(SEARCH_TWO_DATES, field="q")
            else:
                birth_date = day
        terms = terms[:4]
        cases = _cases(_name_condition(terms, birth_date))
        referrals = list(visible_referrals(actor).filter(person__isnull=False)
                         .filter(_name_condition(terms, birth_date))
                         .select_related("person").order_by("-received_at", "-pk")[:MAX_RESULTS])
        criterion = {"kind": kind, "name": " ".join(terms),
                     "birth_date": birth_date.isoformat() if birth_date else None, "cpr": False}
    people = _person_hits(actor, cases)
    audit_record(actor=actor, action=AuditAction.PERSON_SEARCHED, purpose=PURPOSE_SEARCH,
                 extra={"criterion": criterion, "case_ids": [c.pk for c in cases],
                        "referral_ids": [r.pk for r in referrals]})
    return SearchResult(kind=kind, people=people, referrals=referrals)


# --------------------------------------------------------------------------- duplicate detection

PURPOSE_DUPLICATE_CHECK = "duplicate_check"
MAX_DUPLICATE_HITS = 50

STATUS_OPEN = _("Open")
STATUS_CLOSED = _("Closed")


@dataclass(frozen=True)
class DuplicateHit:
    """A possible duplicate: an open or recently closed case or referral about a person
    with the same CPR number (``match="cpr"``) or the same first name, last name and
    birth date (``match="name_birth_date"``).

    For an object the actor may not see (``visible=False``) the hit says only that it
    exists and whom to contact: ``reference`` is None, ``status_label`` only "Open" or
    "Closed", ``contact`` the responsible caseworker (a case; its team without one) or
    the team (a referral)."""

    kind: str  # "case" | "referral"
    match: str  # "cpr" | "name_birth_date"
    object_id: int
    reference: str | None
    visible: bool
    status_label: str
    contact: str


def _open_or_closed_since(cutoff) -> Q:
    return Q(closed_at__isnull=True) | Q(closed_at__gte=cutoff)


def duplicate_candidates_for(*, actor, cpr: str = "", first_name: str = "", last_name: str = "",
                             birth_date=None, exclude_referral_id=None) -> list[DuplicateHit]:
    """Open cases and referrals, and those closed within ``CASEFLOW_DUPLICATE_WINDOW_DAYS``,
    about the same person: the same CPR number (exact, via the blind index), or the same
    first and last name (case-insensitive) and birth date. Without a ``birth_date`` the
    CPR number's is used; a person with another CPR number is never a name match.

    Never merges anything. Cases first, then referrals, newest first; at most
    :data:`MAX_DUPLICATE_HITS` of each. One ``person.searched`` event (purpose
    ``duplicate_check``) with the criterion (whether a CPR number was given, never the
    number) and the ids returned. Nothing to match on: an empty list and no event.
    An invalid CPR number raises ``ApplicationError`` (field ``cpr``)."""
    index = ""
    if cpr and cpr.strip():
        number = cpr_clean_or_error(cpr)
        index = cpr_index(number)
        birth_date = birth_date or cpr_birth_date(number)
    first_name = (first_name or "").strip()
    last_name = (last_name or "").strip()

    person_match = Q(pk__in=[])
    if index:
        person_match |= Q(cpr_index=index)
    by_name = first_name and last_name and birth_date is not None
    if by_name:
        name_match = Q(first_name__iexact=first_name, last_name__iexact=last_name, birth_date=birth_date)
        if index:  # another CPR number is another person
            name_match &= Q(cpr_index="")
        person_match |= name_match
    if not index and not by_name:
        return []
    persons = Person.objects.filter(person_match)

    cutoff = timezone.now() - datetime.timedelta(days=settings.CASEFLOW_DUPLICATE_WINDOW_DAYS)
    cases = list(
        Case.objects.filter(person__in=persons).filter(_open_or_closed_since(cutoff))
        .select_related("person", "responsible", "team").order_by("-opened_at", "-pk")[:MAX_DUPLICATE_HITS]
    )
    referrals_qs = Referral.objects.filter(person__in=persons).filter(_open_or_closed_since(cutoff))
    if exclude_referral_id is not None:
        referrals_qs = referrals_qs.exclude(pk=exclude_referral_id)
    referrals = list(
        referrals_qs.select_related("person", "team").order_by("-received_at", "-pk")[:MAX_DUPLICATE_HITS]
    )
    visible_case_ids = (
        set(visible_cases(actor).filter(pk__in=[c.pk for c in cases]).values_list("pk", flat=True))
        if cases else set()
    )
    visible_referral_ids = (
        set(visible_referrals(actor).filter(pk__in=[r.pk for r in referrals]).values_list("pk", flat=True))
        if referrals else set()
    )

    def match_of(person) -> str:
        return "cpr" if index and person.cpr_index == index else "name_birth_date"

    hits = []
    for case in cases:
        visible = case.pk in visible_case_ids
        hits.append(DuplicateHit(
            kind="case", match=match_of(case.person), object_id=case.pk,
            reference=case.reference if visible else None, visible=visible,
            status_label=str(case.get_status_display() if visible
                             else STATUS_OPEN if case.closed_at is None else STATUS_CLOSED),
            contact=str(case.responsible or case.team),
        ))
    for referral in referrals:
        visible = referral.pk in visible_referral_ids
        hits.append(DuplicateHit(
            kind="referral", match=match_of(referral.person), object_id=referral.pk,
            reference=referral.reference if visible else None, visible=visible,
            status_label=str(referral.get_status_display() if visible
                             else STATUS_OPEN if referral.closed_at is None else STATUS_CLOSED),
            contact=str(referral.team),
        ))
    audit_record(
        actor=actor, action=AuditAction.PERSON_SEARCHED, purpose=PURPOSE_DUPLICATE_CHECK,
        extra={"criterion": {"cpr": bool(index), "name": " ".join(p for p in (first_name, last_name) if p),
                             "birth_date": birth_date.isoformat() if birth_date else None},
               "case_ids": [c.pk for c in cases], "referral_ids": [r.pk for r in referrals]},
    )
    return hits


def person_closed_case_for(*, person) -> Case | None:
    """The person's most recently closed case (to link a new referral for reopening),
    or None. A case that has been reopened again counts as open."""
    if person is None or person.pk is None:
        return None
    return (
        Case.objects.filter(person_id=person.pk, closed_at__isnull=False)
        .exclude(status__in=Case.OPEN_STATUSES).order_by("-closed_at", "-pk").first()
    )
