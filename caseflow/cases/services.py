"""Writes on cases and decisions. Keyword-only, actor first, one transaction each.

The permission policy and the audit trail are wired into these services by the
permission and audit issues; every interface already goes through here.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseflow.core.exceptions import ApplicationError
from caseflow.core.services import reference_next

from .models import CASE_REFERENCE_PREFIX, Case, Decision

JUSTIFICATION_REQUIRED = _("A decision needs a justification.")
DECIDER_REQUIRED = _("A decision needs the person who decided it.")
SUBJECT_REQUIRED = _("A decision belongs to a case or a referral.")


@transaction.atomic
def case_open(*, actor, person, team, level, responsible=None, opened_at=None) -> Case:
    """Open a case with the next ``KE-<year>-<number>`` reference; the minor flag is
    derived from the person's birth date on the opening day."""
    if level not in Case.Level.values:
        raise ApplicationError(_("A case is opened at level 2 or 3."), field="level")
    opened_at = opened_at or timezone.now()
    year = timezone.localtime(opened_at).year
    _number, reference = reference_next(prefix=CASE_REFERENCE_PREFIX, year=year)
    return Case.objects.create(
        reference=reference,
        person=person,
        team=team,
        responsible=responsible,
        level=level,
        opened_at=opened_at,
        is_minor=person.is_minor_on(timezone.localtime(opened_at).date()),
    )


@transaction.atomic
def case_minor_flag_refresh(*, case: Case, on=None) -> bool:
    """Bring ``case.is_minor`` in line with the birth date on ``on`` (default today).

    Returns whether the flag changed. The permission issue hangs the consultant's
    grant and revoke on this change."""
    on = on or timezone.localdate()
    is_minor = case.person.is_minor_on(on)
    if is_minor == case.is_minor:
        return False
    case.is_minor = is_minor
    case.save(update_fields=["is_minor"])
    return True


@transaction.atomic
def decision_record(
    *,
    actor,
    kind,
    justification,
    case=None,
    referral=None,
    outcome="",
    legal_basis="",
    is_formal_decision=False,
    members_present="",
    decided_at=None,
) -> Decision:
    """Record a decision. The decider is the actor; the justification is required.

    Whether the subject was a minor is taken at the date of the decision."""
    if actor is None:
        raise ApplicationError(DECIDER_REQUIRED)
    if not (justification or "").strip():
        raise ApplicationError(JUSTIFICATION_REQUIRED, field="justification")
    if case is None and referral is None:
        raise ApplicationError(SUBJECT_REQUIRED)
    decided_at = decided_at or timezone.now()
    person = case.person if case is not None else referral.person
    subject_was_minor = bool(person and person.is_minor_on(timezone.localtime(decided_at).date()))
    decision = Decision(
        kind=kind,
        case=case,
        referral=referral,
        outcome=outcome,
        justification=justification.strip(),
        legal_basis=legal_basis,
        is_formal_decision=is_formal_decision,
        decided_by=actor,
        members_present=members_present,
        subject_was_minor=subject_was_minor,
        decided_at=decided_at,
    )
    decision.full_clean()
    decision.save()
    return decision
