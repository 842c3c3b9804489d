"""Disclosures (videregivelse) of case data to other authorities (domain.md §4.6, §6
scenario 12). Every disclosure is recorded with its recipient, the data, the legal basis
and who decided. Consent as the basis needs a sharing consent to that recipient that
holds today; a withdrawn or expired one stops only consent-based sharing, so another
basis (e.g. retsplejeloven § 115) can still be chosen and justified. Refusals write
nothing but a ``disclosure.refused`` event carrying the reason code."""

import datetime

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.core.exceptions import ApplicationError
from permissions.policy import Action, can

from . import consents as consent_rules
from .models import Case, Consent, Disclosure

NOT_ALLOWED = _("You are not allowed to record disclosures on this case.")
RECIPIENT_REQUIRED = _("Name the authority the data were disclosed to.")
DATA_REQUIRED = _("Describe which data were disclosed.")
JUSTIFICATION_REQUIRED = _("Give the justification for the disclosure.")
LEGAL_BASIS_REQUIRED = _("Choose the legal basis of the disclosure.")
LEGAL_BASIS_OTHER_REQUIRED = _("Name the other legal basis.")
RESTRICTED_MATERIAL = _(
    "Material tagged “may not be passed on” (police, § 115) may not be disclosed. "
    "Leave it out of the disclosure."
)
FUTURE_DECISION = _("The decision cannot be in the future.")
CONSENT_OTHER_CASE = _("The consent belongs to another case.")
CONSENT_NOT_SHARING = _(
    "The consent does not cover sharing with %(recipient)s. Choose another legal basis and justify it."
)
CONSENT_MISSING = _(
    "No consent to share with %(recipient)s is recorded. Record the consent, "
    "or choose another legal basis and justify it."
)
CONSENT_WITHDRAWN = _(
    "The consent to share with %(recipient)s was withdrawn on %(date)s: it can no longer be the basis of a "
    "disclosure. Choose another legal basis and justify it."
)
CONSENT_EXPIRED = _(
    "The consent to share with %(recipient)s expired on %(date)s: it can no longer be the basis of a "
    "disclosure. Choose another legal basis and justify it."
)
CONSENT_NOT_YET_GIVEN = _(
    "The consent to share with %(recipient)s was given after the disclosure. "
    "Choose another legal basis and justify it."
)
CONSENT_GIVER_NOT_ACCEPTED = _(
    "The consent to share with %(recipient)s was given by a custody holder, and the person is now an adult: "
    "only their own consent counts. Choose another legal basis and justify it."
)

#: Reason codes of ``disclosure.refused`` events (and ``ApplicationError.extra["reason"]``).
REASON_NOT_ALLOWED = "not_allowed"
REASON_INVALID_INPUT = "invalid_input"
REASON_RESTRICTED_MATERIAL = "restricted_material"
REASON_CONSENT_OTHER_CASE = "consent_other_case"
REASON_CONSENT_NOT_SHARING = "consent_not_sharing"

_CONSENT_MESSAGES = {
    consent_rules.CONSENT_MISSING: CONSENT_MISSING,
    consent_rules.CONSENT_WITHDRAWN: CONSENT_WITHDRAWN,
    consent_rules.CONSENT_EXPIRED: CONSENT_EXPIRED,
    consent_rules.CONSENT_NOT_YET_GIVEN: CONSENT_NOT_YET_GIVEN,
    consent_rules.CONSENT_GIVER_NOT_ACCEPTED: CONSENT_GIVER_NOT_ACCEPTED,
}


class _Refused(Exception):
    def __init__(self, code: str, message, field: str | None = None):
        super().__init__(code)
        self.code, self.message, self.field = code, message, field


def _date(value: datetime.date | None) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else ""


def disclosure_record(
    *, actor, case: Case, recipient: str, data: str, legal_basis: str, justification: str, consent=None,
    legal_basis_other: str = "", restricted_included: bool = False, decided_at: datetime.datetime | None = None,
) -> Disclosure:
    """Record that ``data`` were disclosed to ``recipient`` on ``legal_basis``.

    Needs CHANGE on the case. With the consent basis, ``consent`` (or, if not given, the
    latest sharing consent to ``recipient``) must hold on the day of the decision.
    A refusal raises ApplicationError (``extra["reason"]`` = the code), writes nothing
    and leaves a ``disclosure.refused`` event, committed even though the refused work
    is rolled back (unless the caller's own transaction rolls back)."""
    try:
        with transaction.atomic():
            return _disclosure_create(
                actor=actor, case=case, recipient=recipient or "", data=data or "", legal_basis=legal_basis or "",
                justification=justification or "", consent=consent, legal_basis_other=legal_basis_other or "",
                restricted_included=restricted_included, decided_at=decided_at,
            )
    except _Refused as refusal:
        with transaction.atomic():
            audit_record(
                actor=actor, action=AuditAction.DISCLOSURE_REFUSED, target_type=Disclosure._meta.label_lower,
                case_id=case.pk, reason=refusal.code,
                extra={"reason": refusal.code, "legal_basis": legal_basis or "",
                       "recipient": (recipient or "").strip()[:200], "consent_id": getattr(consent, "pk", None)},
            )
        raise ApplicationError(refusal.message, field=refusal.field, extra={"reason": refusal.code}) from None


def _disclosure_create(*, actor, case, recipient, data, legal_basis, justification, consent, legal_basis_other,
                       restricted_included, decided_at) -> Disclosure:
    if not can(actor, Action.CHANGE, case):
        raise _Refused(REASON_NOT_ALLOWED, NOT_ALLOWED)
    recipient, data, justification = recipient.strip(), data.strip(), justification.strip()
    legal_basis_other = legal_basis_other.strip()
    if not recipient:
        raise _Refused(REASON_INVALID_INPUT, RECIPIENT_REQUIRED, "recipient")
    if not data:
        raise _Refused(REASON_INVALID_INPUT, DATA_REQUIRED, "data")
    if legal_basis not in Disclosure.LegalBasis.values:
        raise _Refused(REASON_INVALID_INPUT, LEGAL_BASIS_REQUIRED, "legal_basis")
    if legal_basis == Disclosure.LegalBasis.OTHER and not legal_basis_other:
        raise _Refused(REASON_INVALID_INPUT, LEGAL_BASIS_OTHER_REQUIRED, "legal_basis_other")
    if not justification:
        raise _Refused(REASON_INVALID_INPUT, JUSTIFICATION_REQUIRED, "justification")
    if restricted_included:
        raise _Refused(REASON_RESTRICTED_MATERIAL, RESTRICTED_MATERIAL, "restricted_included")
    now = timezone.now()
    decided_at = decided_at or now
    if decided_at > now:
        raise _Refused(REASON_INVALID_INPUT, FUTURE_DECISION, "decided_at")
    if legal_basis == Disclosure.LegalBasis.CONSENT:
        consent = _sharing_consent(case=case, recipient=recipient, consent=consent,
                                   on=timezone.localdate(decided_at))
    else:
        consent, legal_basis_other = None, legal_basis_other if legal_basis == Disclosure.LegalBasis.OTHER else ""
    disclosure = Disclosure.objects.create(
        case=case, recipient=recipient, data=data, legal_basis=legal_basis, legal_basis_other=legal_basis_other,
        consent=consent, justification=justification, restricted_included=False, decided_by=actor,
        decided_at=decided_at,
    )
    audit_record(actor=actor, action=AuditAction.DISCLOSURE_RECORDED, target=disclosure, case_id=case.pk,
                 extra={"recipient": recipient, "legal_basis": legal_basis,
                        "consent_id": getattr(consent, "pk", None)})
    return disclosure


def _sharing_consent(*, case, recipient, consent, on) -> Consent:
    """The consent that makes a consent-based disclosure to ``recipient`` lawful on
    ``on``, locked against a concurrent withdrawal; else ``_Refused`` saying why."""
    params = {"recipient": recipient}
    if consent is not None:
        candidates = list(Consent.objects.select_for_update().filter(pk=consent.pk))
        if not candidates or candidates[0].case_id != case.pk:
            raise _Refused(REASON_CONSENT_OTHER_CASE, CONSENT_OTHER_CASE, "legal_basis")
        chosen = candidates[0]
        if chosen.scope != Consent.Scope.SHARING or chosen.recipient.strip().lower() != recipient.lower():
            raise _Refused(REASON_CONSENT_NOT_SHARING, CONSENT_NOT_SHARING % params, "legal_basis")
    else:
        candidates = list(Consent.objects.select_for_update().filter(
            case=case, scope=Consent.Scope.SHARING, recipient__iexact=recipient).order_by("-given_on", "-pk"))
        if not candidates:
            code = consent_rules.CONSENT_MISSING
            raise _Refused(code, _CONSENT_MESSAGES[code] % params, "legal_basis")
    first_reason, first = None, None
    for candidate in candidates:
        candidate.case = case
        reason = consent_rules.consent_invalid_reason(candidate, on=on)
        if reason is None:
            return candidate
        if first_reason is None:
            first_reason, first = reason, candidate
    date = first.withdrawn_on if first_reason == consent_rules.CONSENT_WITHDRAWN else first.expires_on
    raise _Refused(first_reason, _CONSENT_MESSAGES[first_reason] % {**params, "date": _date(date)}, "legal_basis")
