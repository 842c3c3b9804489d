"""Issuing and revoking partner tokens: audited, one active token per partner."""

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from caseflow.audit.models import AuditEvent
from caseflow.core.exceptions import ApplicationError
from caseflow.intake.models import PartnerToken
from caseflow.intake.services import partner_token_issue, partner_token_revoke, token_hash
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_partner_token_issue_stores_only_the_hash(organisation):
    clear = partner_token_issue(actor=None, organisation=organisation)

    token = PartnerToken.objects.get()
    assert len(clear) >= 40
    assert token.token_hash == token_hash(clear)
    assert token.prefix == clear[:8]
    assert token.revoked_at is None
    event = AuditEvent.objects.get(action="access.granted")
    assert event.target_type == "intake.partnerorganisation"
    assert event.target_id == str(organisation.pk)
    assert event.extra["token_prefix"] == clear[:8]
    assert clear not in str(event.extra)


def test_partner_token_issue_revokes_the_previous(organisation):
    first = partner_token_issue(actor=None, organisation=organisation)
    second = partner_token_issue(actor=None, organisation=organisation)

    assert first != second
    old, new = PartnerToken.objects.get(prefix=first[:8]), PartnerToken.objects.get(prefix=second[:8])
    assert old.revoked_at is not None
    assert new.revoked_at is None
    revoked = AuditEvent.objects.get(action="access.revoked")
    assert revoked.extra["token_id"] == old.pk


def test_partner_token_one_active_per_partner_in_the_database(organisation):
    partner_token_issue(actor=None, organisation=organisation)
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerToken.objects.create(organisation=organisation, token_hash="0" * 64, prefix="00000000")


def test_partner_token_issue_by_admin_records_creator(organisation):
    admin = UserFactory(is_superuser=True, is_staff=True)

    partner_token_issue(actor=admin, organisation=organisation)

    assert PartnerToken.objects.get().created_by == admin
    assert AuditEvent.objects.get(action="access.granted").actor_id == admin.pk


def test_partner_token_issue_denied_for_caseworker(organisation):
    caseworker = UserFactory(roles=["caseworker"])

    with pytest.raises(ApplicationError):
        partner_token_issue(actor=caseworker, organisation=organisation)
    assert not PartnerToken.objects.exists()
    assert not AuditEvent.objects.filter(action="access.granted").exists()


def test_partner_token_issue_refused_for_inactive_organisation(organisation):
    organisation.active = False
    organisation.save()

    with pytest.raises(ApplicationError):
        partner_token_issue(actor=None, organisation=organisation)
    assert not PartnerToken.objects.exists()


def test_partner_token_revoke_is_audited(organisation, token):
    stored = PartnerToken.objects.get()

    partner_token_revoke(actor=None, token=stored)

    stored.refresh_from_db()
    assert stored.revoked_at is not None
    event = AuditEvent.objects.get(action="access.revoked")
    assert event.extra["token_prefix"] == token[:8]
    with pytest.raises(ApplicationError):
        partner_token_revoke(actor=None, token=stored)


def test_partner_token_revoke_denied_for_caseworker(token):
    with pytest.raises(ApplicationError):
        partner_token_revoke(actor=UserFactory(roles=["caseworker"]), token=PartnerToken.objects.get())
    assert PartnerToken.objects.get().revoked_at is None


def test_partner_token_issue_command_prints_token_once(organisation, capsys):
    call_command("partner_token_issue", organisation.name)

    out = capsys.readouterr().out.strip()
    assert PartnerToken.objects.get().token_hash == token_hash(out)
    assert AuditEvent.objects.get(action="access.granted").system_actor == "command:partner_token_issue"


def test_partner_token_issue_command_unknown_organisation(organisation):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("partner_token_issue", "Ingen Sådan")
