"""Person search across cases (duplicate detection without leaking content)."""

from dataclasses import dataclass

from django.db.models import Q

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.cases.models import Case
from permissions.policy import visible_cases

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


def person_search_for(*, actor, query: str, birth_date=None) -> list[PersonHit]:
    """Find open and closed cases by the person's name (and birth date). For cases the
    searcher may not see, the hit says only that a case exists and whom to contact.
    The search is one read event with its criterion and the case ids it returned."""
    terms = [t for t in (query or "").split() if t][:4]
    if not terms and birth_date is None:
        return []
    condition = Q()
    for term in terms:
        condition &= Q(person__first_name__icontains=term) | Q(person__last_name__icontains=term)
    if birth_date is not None:
        condition &= Q(person__birth_date=birth_date)
    cases = list(
        Case.objects.filter(condition).select_related("person", "responsible").order_by("person_id", "-opened_at")[
            :MAX_RESULTS
        ]
    )
    visible_ids = set(visible_cases(actor).filter(pk__in=[c.pk for c in cases]).values_list("pk", flat=True))
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
    audit_record(actor=actor, action=AuditAction.PERSON_SEARCHED, purpose="duplicate_check",
                 extra={"criterion": {"name": " ".join(terms),
                                      "birth_date": birth_date.isoformat() if birth_date else None},
                        "case_ids": [c.pk for c in cases]})
    return hits
