"""Writes on people: identifying the subject of a referral, and revealing a CPR number.

Keyword-only, actor first. Refusals are :class:`ApplicationError` with the form field
they belong to; a refusal writes nothing.
"""

from __future__ import annotations

import datetime
import unicodedata

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.core.exceptions import ApplicationError
from permissions.policy import visible_cases, visible_referrals
from permissions.rules import Action

from .cpr import (
    MAX_AGE_YEARS,
    cpr_birth_date,
    cpr_clean_or_error,
    cpr_decrypt,
    cpr_encrypt,
    cpr_index,
    cpr_mask,
    earliest_birth_date,
)
from .models import Person

CPR_BIRTH_DATE_MISMATCH = _("The date of birth does not match the CPR number.")
BIRTH_DATE_FUTURE = _("The date of birth cannot be in the future.")
BIRTH_DATE_TOO_OLD = _("The date of birth cannot be more than %(years)s years ago.")
BIRTH_DATE_INVALID = _("Enter a valid date of birth.")
NAME_TOO_LONG = _("The name can be at most %(max)s characters long.")
NAME_CONTROL_CHARACTERS = _("Remove the control characters from the name.")
CPR_REVEAL_NOT_ALLOWED = _("You may not see this person's full CPR number.")
CPR_REVEAL_PURPOSE_REQUIRED = _("State why you need the full CPR number.")
CPR_NONE = _("No CPR number is registered for this person.")

#: Bidirectional embeddings, overrides and isolates: they make a name display as
#: something else. (Other format characters such as the zero-width non-joiner belong
#: to the spelling of some names and are kept.)
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

#: Purposes are short; they go into the audit event's ``purpose``.
PURPOSE_MAX_LENGTH = 200


def _name_clean(value, *, field: str) -> str:
    """``value`` stripped and NFC-normalised; control characters and over-long names refused."""
    text = unicodedata.normalize("NFC", str(value or "")).strip()
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Co") or ch in _BIDI_CONTROLS for ch in text):
        raise ApplicationError(NAME_CONTROL_CHARACTERS, field=field)
    max_length = Person._meta.get_field(field).max_length
    if len(text) > max_length:
        raise ApplicationError(NAME_TOO_LONG % {"max": max_length}, field=field)
    return text


def birth_date_check(value, *, field: str = "birth_date") -> datetime.date | None:
    """``value`` if it is a plausible birth date: not in the future and at most
    :data:`~caseflow.people.cpr.MAX_AGE_YEARS` years back."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        raise ApplicationError(BIRTH_DATE_INVALID, field=field)
    today = timezone.localdate()
    if value > today:
        raise ApplicationError(BIRTH_DATE_FUTURE, field=field)
    if value < earliest_birth_date(today):
        raise ApplicationError(BIRTH_DATE_TOO_OLD % {"years": MAX_AGE_YEARS}, field=field)
    return value


@transaction.atomic
def person_identify(*, actor, cpr: str = "", first_name: str = "", last_name: str = "",
                    birth_date=None) -> Person | None:
    """The person a referral is about, or None when nothing identifies them.

    With a CPR number: the person already registered with it (found by the blind index;
    their names are never overwritten), or a new person whose birth date comes from the
    number. A ``birth_date`` that contradicts the number is refused (field ``cpr``).
    Without one: a new person from the name and/or birth date; people are never merged,
    possible duplicates are only flagged (``people.selectors.duplicate_candidates_for``).

    Refusals (:class:`ApplicationError`, field ``cpr``, ``first_name``, ``last_name`` or
    ``birth_date``): an invalid CPR number, a birth date in the future or more than 120
    years back, control characters or over-long names.
    """
    first_name = _name_clean(first_name, field="first_name")
    last_name = _name_clean(last_name, field="last_name")
    birth_date = birth_date_check(birth_date)
    cpr = (cpr or "").strip()
    if cpr:
        number = cpr_clean_or_error(cpr)
        born = cpr_birth_date(number)
        if birth_date is not None and birth_date != born:
            raise ApplicationError(CPR_BIRTH_DATE_MISMATCH, field="cpr")
        index = cpr_index(number)
        existing = Person.objects.filter(cpr_index=index).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():  # a concurrent registration meets the unique index
                person = Person.objects.create(
                    first_name=first_name, last_name=last_name, birth_date=born,
                    cpr_encrypted=cpr_encrypt(number), cpr_index=index, cpr_masked=cpr_mask(number),
                )
        except IntegrityError:
            return Person.objects.get(cpr_index=index)
    elif first_name or last_name or birth_date is not None:
        person = Person.objects.create(first_name=first_name, last_name=last_name, birth_date=birth_date)
    else:
        return None
    audit_record(actor=actor, action=AuditAction.PERSON_CREATED, target=person,
                 extra={"with_cpr": bool(person.cpr_index), "with_birth_date": person.birth_date is not None})
    return person


def person_cpr_reveal(*, actor, person: Person, purpose: str) -> str:
    """The full CPR number of ``person`` for ``actor``, if they may see the whole file of
    a case about the person or a referral about them. Recorded as
    ``person.cpr_revealed`` with ``purpose`` (never the number); a refusal is recorded
    as ``access.denied`` and raised as :class:`ApplicationError`."""
    purpose = " ".join(str(purpose or "").split())[:PURPOSE_MAX_LENGTH]
    if not purpose:
        raise ApplicationError(CPR_REVEAL_PURPOSE_REQUIRED, field="purpose")
    case_id = (
        visible_cases(actor, Action.VIEW_FILE).filter(person_id=person.pk)
        .order_by("-opened_at", "-pk").values_list("pk", flat=True).first()
    )
    allowed = case_id is not None or visible_referrals(actor).filter(person_id=person.pk).exists()
    if not allowed:
        # Outside any transaction of ours, so the refusal stays on record.
        audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target=person, purpose=purpose,
                     extra={"wanted": "reveal_cpr"})
        raise ApplicationError(CPR_REVEAL_NOT_ALLOWED)
    if not person.cpr_encrypted:
        raise ApplicationError(CPR_NONE)
    number = cpr_decrypt(person.cpr_encrypted)
    audit_record(actor=actor, action=AuditAction.PERSON_CPR_REVEALED, target=person, case_id=case_id,
                 purpose=purpose)
    return number
