"""Writes of documents: ``document_upload``.

A refused file leaves nothing behind (no row, no file on disk) except one
``document.refused`` audit event with the reason code and the size. That event is
written outside the upload's own transaction so it survives the refusal; the stored
file and the row are written in one transaction, and the file is removed again if
anything in it fails.
"""

from __future__ import annotations

import datetime
import hashlib

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.cases.models import Case
from caseflow.core.exceptions import ApplicationError
from caseflow.interventions.models import Intervention
from permissions.policy import AccessDenied, case_actions
from permissions.rules import Action

from .content import ContentRefused, Refusal, content_detect, display_name
from .models import Document

DEFAULT_MAX_BYTES = 10 * 1024 * 1024

SUBJECT_REQUIRED = _("Give the document a short subject.")
SUBJECT_TOO_LONG = _("The subject can be at most %(max)d characters.")
FILED_ON_REQUIRED = _("Give the filing date.")
FILED_IN_FUTURE = _("The filing date cannot be in the future.")
RECEIVED_FROM_TOO_LONG = _("The sender can be at most %(max)d characters.")
INTERVENTION_NOT_OF_CASE = _("The intervention does not belong to this case.")
CASE_ARCHIVED = _("The case is archived; documents can no longer be filed on it.")

REFUSAL_MESSAGES = {
    Refusal.EMPTY: _("The file is empty."),
    Refusal.TOO_LARGE: _("The file is too large. The limit is %(limit)s MB."),
    Refusal.EXECUTABLE: _("Programs and scripts cannot be filed, whatever the file is called."),
    Refusal.MACROS: _("Office files with macros cannot be filed. Save the file without macros and try again."),
    Refusal.UNSUPPORTED: _("This type of file cannot be filed. Allowed: PDF, PNG, JPEG, DOCX, XLSX, ODT and "
                           "plain text (UTF-8)."),
    Refusal.NOT_TEXT: _("This type of file cannot be filed. Allowed: PDF, PNG, JPEG, DOCX, XLSX, ODT and "
                        "plain text (UTF-8)."),
}
FILE_REQUIRED = _("Choose a file to upload.")


def document_max_bytes() -> int:
    return int(getattr(settings, "CASEFLOW_DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def document_upload(
    *,
    actor,
    case: Case,
    uploaded_file,
    subject: str,
    filed_on: datetime.date | None = None,
    restricted: bool = False,
    received_from: str = "",
    intervention: Intervention | None = None,
) -> Document:
    """File ``uploaded_file`` on ``case`` with a subject and a filing date.

    Needs CHANGE on the case, and VIEW_RESTRICTED as well to tag it "may not be passed
    on" (AccessDenied otherwise). The type is decided by the content
    (``content.content_detect``); a refused file raises ApplicationError on the
    ``file`` field after recording ``document.refused``.
    """
    actions = case_actions(actor, case)
    wanted = Action.CHANGE if Action.CHANGE not in actions else Action.VIEW_RESTRICTED
    if Action.CHANGE not in actions or (restricted and Action.VIEW_RESTRICTED not in actions):
        audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target=case,
                     extra={"wanted": wanted, "operation": "document_upload"})
        raise AccessDenied(wanted)
    if case.status == Case.Status.ARCHIVED:
        raise ApplicationError(CASE_ARCHIVED)
    subject = (subject or "").strip()
    if not subject:
        raise ApplicationError(SUBJECT_REQUIRED, field="subject")
    if len(subject) > Document.SUBJECT_MAX_LENGTH:
        raise ApplicationError(SUBJECT_TOO_LONG % {"max": Document.SUBJECT_MAX_LENGTH}, field="subject")
    received_from = (received_from or "").strip()
    if len(received_from) > Document._meta.get_field("received_from").max_length:
        raise ApplicationError(RECEIVED_FROM_TOO_LONG % {"max": Document._meta.get_field("received_from").max_length},
                               field="received_from")
    if filed_on is None:
        filed_on = timezone.localdate()
    if filed_on > timezone.localdate():
        raise ApplicationError(FILED_IN_FUTURE, field="filed_on")
    if intervention is not None and intervention.case_id != case.pk:
        raise ApplicationError(INTERVENTION_NOT_OF_CASE, field="intervention")
    if uploaded_file is None:
        raise ApplicationError(FILE_REQUIRED, field="file")

    try:
        data = _read_bounded(uploaded_file, document_max_bytes())
        detected = content_detect(data)
    except ContentRefused as refusal:
        raise _refused(actor=actor, case=case, reason=refusal.reason, size=uploaded_file.size) from None
    return _document_store(
        actor=actor, case=case, data=data, detected=detected, subject=subject, filed_on=filed_on,
        restricted=restricted, received_from=received_from, intervention=intervention,
        original_name=uploaded_file.name,
    )


def _read_bounded(uploaded_file, limit: int) -> bytes:
    """The file's bytes, refusing before reading anything when the declared size is over
    ``limit``, and while reading if the content turns out longer than declared."""
    if uploaded_file.size is not None and uploaded_file.size > limit:
        raise ContentRefused(Refusal.TOO_LARGE)
    if uploaded_file.size == 0:
        raise ContentRefused(Refusal.EMPTY)
    chunks, total = [], 0
    uploaded_file.seek(0)
    for chunk in uploaded_file.chunks():
        total += len(chunk)
        if total > limit:
            raise ContentRefused(Refusal.TOO_LARGE)
        chunks.append(chunk)
    return b"".join(chunks)


def _refused(*, actor, case: Case, reason: str, size) -> ApplicationError:
    """Record the refusal (reason code and size; no content, no name) and return the
    error to raise."""
    audit_record(actor=actor, action=AuditAction.DOCUMENT_REFUSED, target=case,
                 extra={"reason": reason, "size": size})
    message = REFUSAL_MESSAGES[reason]
    if reason == Refusal.TOO_LARGE:
        message = message % {"limit": _megabytes(document_max_bytes())}
    return ApplicationError(message, field="file", extra={"reason": reason})


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


@transaction.atomic
def _document_store(*, actor, case, data, detected, subject, filed_on, restricted, received_from, intervention,
                    original_name) -> Document:
    document = Document(
        case=case, intervention=intervention, subject=subject, filed_on=filed_on, received_from=received_from,
        restricted=restricted, original_name=display_name(original_name, detected.extension,
                                                          max_length=Document.NAME_MAX_LENGTH),
        content_type=detected.content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor, uploaded_at=timezone.now(),
    )
    document.file.save("upload", ContentFile(data), save=False)
    try:
        document.save()
        audit_record(
            actor=actor, action=AuditAction.DOCUMENT_UPLOADED, target=document,
            changes={"filed_on": ["", filed_on.isoformat()], "restricted": [False, restricted]},
            extra={"content_type": detected.content_type, "size": len(data), "sha256": document.sha256,
                   "intervention_id": intervention.pk if intervention else None},
        )
    except BaseException:
        # Nothing stored when the row or its audit event cannot be written. (Django has
        # no rollback hook: a caller's own outer transaction that rolls back later would
        # leave the file; no caller wraps this service in one.)
        document.file.storage.delete(document.file.name)
        raise
    return document
