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
    consent.withdrawn_on = withdrawn_on
    if note.strip():
        consent.note = f"{consent.note}\n{note.strip()}".strip()
    consent.save(update_fields=["withdrawn_on", "note"])
    audit_record(actor=actor, action=AuditAction.CONSENT_WITHDRAWN, target=consent, case_id=consent.case_id,
                 changes={"withdrawn_on": [None, withdrawn_on.isoformat()]})
    return consent


def consent_is_valid(*, case: Case, scope: str, intervention=None, recipient: str = "",
                     on: datetime.date | None = None) -> bool:
    """Is there a consent for ``scope`` that holds on ``on`` (today)? Given on or
    before that day, not expired, not withdrawn, and given by someone who counts on
    that day: the custody holders while the person is a minor, the person always."""
    on = on or _today()
    consents = Consent.objects.filter(case=case, scope=scope, given_on__lte=on).exclude(
        withdrawn_on__lte=on).exclude(expires_on__lt=on)
    if intervention is not None:
        consents = consents.filter(intervention=intervention)
    if recipient:
        consents = consents.filter(recipient__iexact=recipient.strip())
    if not case.person.is_minor_on(on):
        consents = consents.filter(given_by=Consent.GivenBy.SUBJECT)
    return consents.exists()
