"""Consent records (domain.md §4.6): recorded and withdrawn through these services,
and asked through ``consent_is_valid`` by every step that needs consent."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.core.exceptions import ApplicationError
from permissions.policy import Action, can

from .models import Case, Consent

NOT_ALLOWED = _("You are not allowed to record consent on this case.")
CUSTODY_HOLDER_NAME_REQUIRED = _("Name the custody holder who gave the consent.")
ADULT_CONSENTS_HIMSELF = _("The person is an adult: only their own consent counts.")
EXPIRY_BEFORE_GIVEN = _("A consent cannot expire before it was given.")
RECIPIENT_REQUIRED = _("Name the recipient of the data.")
ALREADY_WITHDRAWN = _("This consent has already been withdrawn.")
FUTURE_DATE = _("The date cannot be in the future.")
WITHDRAWN_BEFORE_GIVEN = _("A consent cannot be withdrawn before it was given.")


def _today() -> datetime.date:
    return timezone.localdate()


@transaction.atomic
def consent_record(
    *, actor, case: Case, scope: str, given_by: str, given_on: datetime.date, given_by_name: str = "",
    intervention=None, recipient: str = "", expires_on: datetime.date | None = None, note: str = "",
) -> Consent:
    """Record a consent given on ``given_on``. For an adult only the person's own
    consent is accepted; a custody holder's consent needs the holder's name."""
    if not can(actor, Action.CHANGE, case):
        raise ApplicationError(NOT_ALLOWED)
    if scope not in Consent.Scope.values:
        raise ApplicationError(_("Choose what the consent covers."), field="scope")
    if given_by not in Consent.GivenBy.values:
        raise ApplicationError(_("Choose who gave the consent."), field="given_by")
    if given_on > _today():
        raise ApplicationError(FUTURE_DATE, field="given_on")
    if expires_on is not None and expires_on < given_on:
        raise ApplicationError(EXPIRY_BEFORE_GIVEN, field="expires_on")
    if given_by == Consent.GivenBy.CUSTODY_HOLDER:
        if not case.person.is_minor_on(given_on):
            raise ApplicationError(ADULT_CONSENTS_HIMSELF, field="given_by")
        if not given_by_name.strip():
            raise ApplicationError(CUSTODY_HOLDER_NAME_REQUIRED, field="given_by_name")
    if scope == Consent.Scope.SHARING and not recipient.strip():
        raise ApplicationError(RECIPIENT_REQUIRED, field="recipient")
    if intervention is not None and intervention.case_id != case.pk:
        raise ApplicationError(_("The intervention belongs to another case."), field="intervention")
    consent = Consent.objects.create(
        case=case, intervention=intervention, scope=scope, recipient=recipient.strip(), given_by=given_by,
        given_by_name=given_by_name.strip(), given_on=given_on, expires_on=expires_on, note=note.strip(),
        recorded_by=actor,
    )
    audit_record(actor=actor, action=AuditAction.CONSENT_RECORDED, target=consent, case_id=case.pk,
                 extra={"scope": scope, "given_by": given_by,
                        "intervention_id": getattr(intervention, "pk", None)})
    return consent


@transaction.atomic
def consent_withdraw(*, actor, consent: Consent, withdrawn_on: datetime.date | None = None,
                     note: str = "") -> Consent:
    consent = Consent.objects.select_for_update().select_related("case").get(pk=consent.pk)
    if not can(actor, Action.CHANGE, consent.case):
        raise ApplicationError(NOT_ALLOWED)
    if consent.withdrawn_on is not None:
        raise ApplicationError(ALREADY_WITHDRAWN)
    withdrawn_on = withdrawn_on or _today()
    if withdrawn_on > _today():
        raise ApplicationError(FUTURE_DATE, field="withdrawn_on")
    if withdrawn_on < consent.given_on:
        raise ApplicationError(WITHDRAWN_BEFORE_GIVEN, field="withdrawn_on")
    consent.withdrawn_on = withdrawn_on
    if note.strip():
        consent.note = f"{consent.note}\n{note.strip()}".strip()
    consent.save(update_fields=["withdrawn_on", "note"])
    audit_record(actor=actor, action=AuditAction.CONSENT_WITHDRAWN, target=consent, case_id=consent.case_id,
                 changes={"withdrawn_on": [None, withdrawn_on.isoformat()]})
    return consent


def _valid_consents(*, case: Case, scope: str, intervention=None, recipient: str = "",
                    on: datetime.date | None = None):
    on = on or _today()
    consents = Consent.objects.filter(case=case, scope=scope, given_on__lte=on).exclude(
        withdrawn_on__lte=on).exclude(expires_on__lt=on)
    if intervention is not None:
        consents = consents.filter(intervention=intervention)
    if recipient:
        consents = consents.filter(recipient__iexact=recipient.strip())
    if not case.person.is_minor_on(on):
        consents = consents.filter(given_by=Consent.GivenBy.SUBJECT)
    return consents


def consent_is_valid(*, case: Case, scope: str, intervention=None, recipient: str = "",
                     on: datetime.date | None = None) -> bool:
    """Is there a consent for ``scope`` that holds on ``on`` (today)? Given on or
    before that day, not expired, not withdrawn, and given by someone who counts on
    that day: the custody holders while the person is a minor, the person always."""
    return _valid_consents(case=case, scope=scope, intervention=intervention, recipient=recipient,
                           on=on).exists()


def consent_valid_for(*, case: Case, scope: str, intervention=None, recipient: str = "",
                      on: datetime.date | None = None) -> Consent | None:
    """The most recent consent that makes ``consent_is_valid`` true, or None."""
    return _valid_consents(case=case, scope=scope, intervention=intervention, recipient=recipient,
                           on=on).order_by("-given_on", "-pk").first()


#: Why no consent holds (``consent_invalid_reason``): codes for the audit trail.
CONSENT_MISSING = "consent_missing"
CONSENT_WITHDRAWN = "consent_withdrawn"
CONSENT_EXPIRED = "consent_expired"
CONSENT_NOT_YET_GIVEN = "consent_not_yet_given"
CONSENT_GIVER_NOT_ACCEPTED = "consent_giver_not_accepted"


#: How the case page names a consent's state (None = it holds today).
CONSENT_STATES = {
    None: _("Valid"),
    CONSENT_WITHDRAWN: _("Withdrawn"),
    CONSENT_EXPIRED: _("Expired"),
    CONSENT_NOT_YET_GIVEN: _("Not yet in force"),
    CONSENT_GIVER_NOT_ACCEPTED: _("No longer valid: the person is an adult"),
}


def consent_invalid_reason(consent: Consent, *, on: datetime.date | None = None) -> str | None:
    """None when ``consent`` holds on ``on`` (today), else why not (one of the codes
    above): the same rule as ``consent_is_valid``, for one consent."""
    on = on or _today()
    if consent.withdrawn_on is not None and consent.withdrawn_on <= on:
        return CONSENT_WITHDRAWN
    if consent.expires_on is not None and consent.expires_on < on:
        return CONSENT_EXPIRED
    if consent.given_on > on:
        return CONSENT_NOT_YET_GIVEN
    if consent.given_by != Consent.GivenBy.SUBJECT and not consent.case.person.is_minor_on(on):
        return CONSENT_GIVER_NOT_ACCEPTED
    return None


# --------------------------------------------------------------------------- reads

PURPOSE_CONSENT_WORK = "consent_work"
PURPOSE_DISCLOSURE = "disclosure"


def case_get_for_change(*, actor, case_id, purpose: str, record_read: bool = True) -> Case:
    """The case, for a page that writes to its file (consents, disclosures).

    Who cannot see the case file gets Http404 (existence is not confirmed); who sees
    it but may not change it (the consultant, an emergency reader) gets AccessDenied
    (403). Both are recorded as ``access.denied``. A page shown (``record_read``) is one
    ``case.viewed`` event with its purpose."""
    from django.http import Http404

    from permissions.policy import AccessDenied, case_actions, visible_cases

    try:
        case_pk = int(case_id)
    except (TypeError, ValueError):
        case_pk = None
    case = (visible_cases(actor, Action.VIEW_FILE).select_related("person", "team")
            .filter(pk=case_pk).first() if case_pk is not None else None)
    if case is None:
        audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target_type=Case._meta.label_lower,
                     target_id=str(case_id), case_id=case_pk, purpose=purpose)
        raise Http404
    if Action.CHANGE not in case_actions(actor, case):
        audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target=case, purpose=purpose,
                     extra={"wanted": Action.CHANGE})
        raise AccessDenied(Action.CHANGE)
    if record_read:
        audit_record(actor=actor, action=AuditAction.CASE_VIEWED, target=case, purpose=purpose)
    return case


def consent_list_for_case(*, case: Case, scope: str | None = None) -> list[Consent]:
    """The case's consents, newest first, with what the lists show joined in (one
    query); each carries ``invalid_reason`` (None while it holds today). The caller has
    checked that the viewer may see the case file."""
    consents = Consent.objects.filter(case=case).select_related("recorded_by", "intervention")
    if scope:
        consents = consents.filter(scope=scope)
    consents = list(consents.order_by("-given_on", "-pk"))
    today = _today()
    for consent in consents:
        consent.case = case
        consent.invalid_reason = consent_invalid_reason(consent, on=today)
        consent.state_label = CONSENT_STATES[consent.invalid_reason]
    return consents
