"""Reads of access requests, through the policy (``permissions.policy``): a team's
supervisor sees all of the team's requests, a caseworker those they handle and those
about a person whose case or referral they may view; nobody else sees any (the list
answers 403, a request 404 with ``access.denied``). The file is shown as the reader may
see it (``file.access_file_for``). Each read is one audit event."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.people.models import Person
from caseflow.people.selectors import search_for
from permissions.policy import Feature, may_register_access_request, may_use
from permissions.policy import visible_access_requests as policy_visible_access_requests

from .file import AccessFile, access_file_for
from .models import AccessRequest

PURPOSE_ACCESS_REQUEST = "access_request"
REQUESTS_PER_PAGE = 50


def may_use_access_requests(actor) -> bool:
    return may_use(actor, Feature.ACCESS_REQUESTS)


def visible_access_requests(actor) -> QuerySet[AccessRequest]:
    return policy_visible_access_requests(actor)


def access_request_page_for(*, actor, page_number=1, status: str = "") -> Page:
    """One page of the team's requests (open first, then by receipt), recorded as one
    ``access_request.listed`` event with the ids shown."""
    requests = visible_access_requests(actor).select_related("person", "handler")
    if status in AccessRequest.Status.values:
        requests = requests.filter(status=status)
    requests = requests.order_by("-status", "received_on", "pk")  # "open" > "completed": open first
    page = Paginator(requests, REQUESTS_PER_PAGE).get_page(page_number)
    audit_record(actor=actor, action=AuditAction.ACCESS_REQUEST_LISTED, purpose=PURPOSE_ACCESS_REQUEST,
                 extra={"page": page.number, "count": page.paginator.count, "status": status or None,
                        "ids": [request.pk for request in page.object_list]})
    return page


def _deny(actor, *, target_type, target_id):
    audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target_type=target_type, target_id=str(target_id),
                 purpose=PURPOSE_ACCESS_REQUEST)
    raise Http404


def access_request_reachable(*, actor, request_id) -> AccessRequest:
    """The request, for a write or an export (which record their own event); Http404
    with ``access.denied`` when the actor may not see it."""
    request = (visible_access_requests(actor).select_related("person", "handler", "team")
               .filter(pk=request_id).first() if str(request_id).isdigit() else None)
    if request is None:
        _deny(actor, target_type="access_requests.accessrequest", target_id=request_id)
    return request


def access_request_get_for(*, actor, request_id) -> tuple[AccessRequest, AccessFile]:
    """The request and its assembled file as the actor may read it, recorded as one
    ``access_request.viewed`` event with the cases and referrals read."""
    request = access_request_reachable(actor=actor, request_id=request_id)
    access_file = access_file_for(actor, request)
    audit_record(actor=actor, action=AuditAction.ACCESS_REQUEST_VIEWED, target=request,
                 purpose=PURPOSE_ACCESS_REQUEST,
                 extra={"person_id": request.person_id, "case_ids": access_file.case_ids,
                        "referral_ids": access_file.referral_ids, "whole_file": access_file.whole})
    return request, access_file


def person_for_request(*, actor, person_id) -> Person:
    """The person a request may be registered for: the actor may view one of their cases
    or referrals. Otherwise Http404 with ``access.denied``."""
    person = Person.objects.filter(pk=person_id).first() if str(person_id).isdigit() else None
    if not may_register_access_request(actor, person):
        _deny(actor, target_type="people.person", target_id=person_id)
    return person


def person_candidates_for(*, actor, query: str) -> list[Person]:
    """People found by the person search (``people.selectors.search_for``: a name, a
    date of birth, a reference or a CPR number; one ``person.searched`` event) whose
    visible cases or referrals belong to the actor's team."""
    result = search_for(actor=actor, query=query)
    people: dict[int, Person] = {}
    for hit in result.people:
        for case_hit in hit.cases:
            case = case_hit.case
            if case is not None and case.team_id == actor.team_id:
                people.setdefault(case.person_id, case.person)
    for referral in result.referrals:
        if referral.person_id and referral.team_id == actor.team_id:
            people.setdefault(referral.person_id, referral.person)
    return sorted(people.values(), key=lambda p: (p.last_name, p.first_name, p.pk))
