"""Reads of documents, through the policy: the case file needs VIEW_FILE, material that
may not be passed on needs VIEW_RESTRICTED as well. Invisible documents answer 404 and
record ``access.denied`` (existence is never confirmed)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.cases.models import Case
from permissions.policy import AccessDenied, case_actions, visible_cases
from permissions.rules import Action

from .models import Document

PURPOSE_CASE_WORK = "case_work"


def document_list_for_case(*, actions, case: Case) -> QuerySet[Document] | None:
    """The case's documents a viewer with ``actions`` may see (None: not the case file).
    One query, whatever the number of documents. The case page's own ``case.viewed``
    event covers this read."""
    if Action.VIEW_FILE not in actions:
        return None
    documents = Document.objects.filter(case_id=case.pk).select_related("uploaded_by", "intervention")
    if Action.VIEW_RESTRICTED not in actions:
        documents = documents.filter(restricted=False)
    return documents.order_by("-filed_on", "-uploaded_at", "-pk")


def document_case_get_for(*, actor, case_id, purpose=PURPOSE_CASE_WORK) -> tuple[Case, frozenset[str]]:
    """The case a document is to be filed on and the actor's actions on it. Http404 when
    ``actor`` cannot see the case, AccessDenied (403) when they may see but not change
    it; both record ``access.denied``. The upload form shows no case data beyond its
    reference, so a granted read records nothing here."""
    case = visible_cases(actor).filter(pk=case_id).first()
    if case is None:
        audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target_type="cases.case",
                     target_id=str(case_id), case_id=_int_or_none(case_id), purpose=purpose,
                     extra={"operation": "document_upload"})
        raise Http404
    actions = case_actions(actor, case)
    if Action.CHANGE not in actions:
        audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target=case, purpose=purpose,
                     extra={"wanted": Action.CHANGE, "operation": "document_upload"})
        raise AccessDenied(Action.CHANGE)
    return case, actions


def document_download_for(*, actor, document_id, purpose=PURPOSE_CASE_WORK) -> Document:
    """The document to hand out, recorded as ``document.downloaded``; Http404 and
    ``access.denied`` when the actor may not read it."""
    document = (
        Document.objects.select_related("case")
        .filter(pk=document_id, case__in=visible_cases(actor, Action.VIEW_FILE))
        .first()
    )
    if document is not None and document.restricted and Action.VIEW_RESTRICTED not in case_actions(
            actor, document.case):
        document = None
    if document is None:
        audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target_type="documents.document",
                     target_id=str(document_id), purpose=purpose)
        raise Http404
    audit_record(actor=actor, action=AuditAction.DOCUMENT_DOWNLOADED, target=document, purpose=purpose,
                 extra={"sha256": document.sha256, "size": document.size})
    return document


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
