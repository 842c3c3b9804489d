"""Writes of the partner intake API: issuing and revoking partner tokens, and receiving a
partner's referral (idempotently)."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.core.exceptions import ApplicationError
from caseflow.people.services import person_identify
from caseflow.referrals.models import Referral
from caseflow.referrals.services import referral_register
from workflows.services import referral_process_start

from .models import IdempotencyRecord, PartnerOrganisation, PartnerToken

TOKEN_NOT_ALLOWED = _("You are not allowed to manage partner API tokens.")
ORGANISATION_INACTIVE = _("The partner organisation is not active.")
TOKEN_ALREADY_REVOKED = _("This token has already been revoked.")
IDEMPOTENCY_CONFLICT = _("This Idempotency-Key was already used with a different request body.")

#: Random bytes in a token (its text is ~43 URL-safe characters).
TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _may_manage_tokens(actor) -> bool:
    """A command or shell (no actor) may; a user needs the model permission (admins)."""
    return actor is None or (actor.is_active and actor.has_perm("intake.add_partnertoken"))


@transaction.atomic
def partner_token_issue(*, actor, organisation: PartnerOrganisation) -> str:
    """Issue a new token for ``organisation`` and return it in clear text; it is shown
    once and never stored (only its hash). The organisation's active token, if any, is
    revoked in the same transaction."""
    if not _may_manage_tokens(actor):
        raise ApplicationError(TOKEN_NOT_ALLOWED)
    organisation = PartnerOrganisation.objects.select_for_update().get(pk=organisation.pk)
    if not organisation.active:
        raise ApplicationError(ORGANISATION_INACTIVE)
    for old in PartnerToken.objects.filter(organisation=organisation, revoked_at__isnull=True):
        _token_revoke(actor=actor, token=old)
    clear = secrets.token_urlsafe(TOKEN_BYTES)
    token = PartnerToken.objects.create(
        organisation=organisation,
        token_hash=token_hash(clear),
        prefix=clear[: PartnerToken.PREFIX_LENGTH],
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    audit_record(actor=actor, action=AuditAction.ACCESS_GRANTED, target=organisation,
                 extra={"channel": "api", "token_id": token.pk, "token_prefix": token.prefix})
    return clear


@transaction.atomic
def partner_token_revoke(*, actor, token: PartnerToken) -> PartnerToken:
    if not _may_manage_tokens(actor):
        raise ApplicationError(TOKEN_NOT_ALLOWED)
    token = PartnerToken.objects.select_for_update().select_related("organisation").get(pk=token.pk)
    if token.revoked_at is not None:
        raise ApplicationError(TOKEN_ALREADY_REVOKED)
    return _token_revoke(actor=actor, token=token)


def _token_revoke(*, actor, token: PartnerToken) -> PartnerToken:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action=AuditAction.ACCESS_REVOKED, target=token.organisation,
                 extra={"channel": "api", "token_id": token.pk, "token_prefix": token.prefix})
    return token


# --------------------------------------------------------------------------- receiving referrals


class IdempotencyConflict(Exception):
    """The key was used before with another body (HTTP 409)."""

    message = IDEMPOTENCY_CONFLICT


@dataclass(frozen=True)
class PartnerReferralResult:
    referral: Referral
    #: True when an earlier request with the same key and body created it.
    replayed: bool


def request_body_hash(data) -> str:
    """SHA-256 of the parsed JSON body in canonical form (sorted keys, no whitespace), so
    a retry that serialises the same document differently counts as the same body."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def idempotent_referral_get(*, organisation, key: str, body_hash: str) -> Referral | None:
    """The referral created earlier under ``key``, or None if the key is new. Raises
    :class:`IdempotencyConflict` when the key was used with another body."""
    record = (
        IdempotencyRecord.objects.select_related("referral")
        .filter(organisation=organisation, key=key).first()
    )
    if record is None:
        return None
    if record.body_hash != body_hash:
        raise IdempotencyConflict()
    return record.referral


def partner_referral_submit(
    *, actor, organisation: PartnerOrganisation, idempotency_key: str = "", body_hash: str = "",
    person: dict | None = None, **fields,
) -> PartnerReferralResult:
    """Register a partner's referral for ``organisation``'s team, as ``actor`` (its service
    user). ``fields`` are :func:`referral_register`'s referral fields; ``person`` the
    optional ``{cpr, first_name, last_name, birth_date}``.

    With an ``idempotency_key``, a repeated request with the same body answers the
    referral created first (writing nothing), and one with another body raises
    :class:`IdempotencyConflict`. Identification, registration and the idempotency record
    and the start of the screening workflow are one transaction: a refusal (``ApplicationError``) writes nothing. Two concurrent
    requests with the same key meet at the record's unique constraint; the loser rolls
    back and answers as a retry would.
    """
    if idempotency_key:
        earlier = idempotent_referral_get(organisation=organisation, key=idempotency_key, body_hash=body_hash)
        if earlier is not None:
            return PartnerReferralResult(referral=earlier, replayed=True)
    try:
        with transaction.atomic():
            referral = _register(actor=actor, organisation=organisation, person=person, **fields)
            # The screening starts at once, like a referral registered by staff; its
            # tasks wait unassigned in the team's queue (or go to a registering caseworker).
            referral_process_start(actor=actor, referral=referral)
            referral.refresh_from_db()
            if idempotency_key:
                IdempotencyRecord.objects.create(
                    organisation=organisation, key=idempotency_key, body_hash=body_hash, referral=referral
                )
    except IntegrityError:
        if not idempotency_key:
            raise
        earlier = idempotent_referral_get(organisation=organisation, key=idempotency_key, body_hash=body_hash)
        if earlier is None:  # the conflict was not the key's
            raise
        return PartnerReferralResult(referral=earlier, replayed=True)
    return PartnerReferralResult(referral=referral, replayed=False)


def _register(*, actor, organisation, person, **fields) -> Referral:
    identified = None
    if person and any(person.get(name) for name in ("cpr", "first_name", "last_name", "birth_date")):
        try:
            identified = person_identify(
                actor=actor,
                cpr=person.get("cpr") or "",
                first_name=person.get("first_name") or "",
                last_name=person.get("last_name") or "",
                birth_date=person.get("birth_date"),
            )
        except ApplicationError as exc:
            raise ApplicationError(exc.message, field=f"person.{exc.field}" if exc.field else "person") from exc
    return referral_register(actor=actor, team=organisation.team, person=identified, **fields)
