"""Reads of cases. Every read goes through the policy's visibility querysets and leaves
one audit event (a list page is one event carrying the ids it showed)."""

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.interventions.models import Intervention
from caseflow.referrals.models import Referral
from permissions.policy import visible_cases

from .models import Case

PURPOSE_CASE_WORK = "case_work"
CASES_PER_PAGE = 50


def case_list_for(*, actor) -> QuerySet[Case]:
    """The cases ``actor`` may see, newest first, with what the list shows joined in."""
    return visible_cases(actor).select_related("person", "responsible", "team").order_by(
        "-opened_at", "-pk"
    )


def case_page_for(*, actor, page_number=1, per_page=CASES_PER_PAGE, purpose=PURPOSE_CASE_WORK) -> Page:
    """One page of the actor's case list (page of 50 plus the exact count), recorded as
    one read event with the ids shown."""
    page = Paginator(case_list_for(actor=actor), per_page).get_page(page_number)
    audit_record(actor=actor, action=AuditAction.CASE_LISTED, purpose=purpose,
                 extra={"page": page.number, "count": page.paginator.count,
                        "ids": [case.pk for case in page.object_list]})
    return page


def case_get_for(*, actor, case_id, purpose=PURPOSE_CASE_WORK) -> Case:
    """The case with what its page shows, if ``actor`` may see it; otherwise Http404 and
    an ``access.denied`` event (existence is never confirmed)."""
    case = (
        visible_cases(actor)
        .select_related("person", "responsible", "team", "bbu_contact")
        .prefetch_related(
            Prefetch("interventions", queryset=Intervention.objects.select_related("provider")),
            Prefetch("referrals", queryset=Referral.objects.order_by("received_at")),
            "decisions__decided_by",
        )
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target_type="cases.case",
                     target_id=str(case_id), case_id=_int_or_none(case_id), purpose=purpose)
        raise Http404
    audit_record(actor=actor, action=AuditAction.CASE_VIEWED, target=case, purpose=purpose)
    return case


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
