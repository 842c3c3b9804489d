import datetime
import decimal
import json
import logging

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from caseflow.audit.actions import READ_ACTIONS, AuditAction
from caseflow.audit.chain import GENESIS_HASH, PAYLOAD_FIELDS, event_hash
from caseflow.audit.context import audit_context
from caseflow.audit.models import AuditAppendOnlyError, AuditEvent
from caseflow.audit.redaction import REDACTED
from caseflow.audit.services import audit_record, audit_verify
from tests.factories import CaseFactory, InterventionFactory, UserFactory

pytestmark = pytest.mark.django_db

CPR = "010190-1234"


def test_audit_record_writes_the_expected_event_with_context_fields():
    actor = UserFactory(username="sagsbehandler7", roles=["supervisor", "caseworker"])
    case = CaseFactory()
    with audit_context(request_id="req-1", ip="192.0.2.10", user_agent="Firefox/140"):
        event = audit_record(
            actor=actor,
            action=AuditAction.CASE_CLOSED,
            target=case,
            purpose="closure",
            reason="goals_met",
            changes={"status": ["active", "closed"]},
            extra={"closure_reason": "goals_met"},
        )
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.action == "case.closed"
    assert event.actor == actor
    assert event.actor_username == "sagsbehandler7"
    assert event.actor_role == "caseworker,supervisor"
    assert event.system_actor == ""
    assert (event.target_type, event.target_id, event.case_id) == ("cases.case", str(case.pk), case.pk)
    assert (event.purpose, event.reason) == ("closure", "goals_met")
    assert event.changes == {"status": ["active", "closed"]}
    assert event.extra == {"closure_reason": "goals_met"}
    assert (event.request_id, event.ip, event.user_agent) == ("req-1", "192.0.2.10", "Firefox/140")
    assert len(event.hash) == 64
    assert event.hash == event_hash(event.prev_hash, {name: getattr(event, name) for name in PAYLOAD_FIELDS})


def test_audit_record_numbers_and_links_consecutive_events(record_events):
    first, second, third = record_events(3)
    assert [second.sequence, third.sequence] == [first.sequence + 1, first.sequence + 2]
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert AuditEvent.objects.get(sequence=1).prev_hash == GENESIS_HASH


def test_audit_record_takes_the_case_id_from_a_target_that_belongs_to_a_case():
    intervention = InterventionFactory()
    event = audit_record(actor=None, action=AuditAction.INTERVENTION_VIEWED, target=intervention)
    assert event.target_type == "interventions.intervention"
    assert event.target_id == str(intervention.pk)
    assert event.case_id == intervention.case_id


def test_audit_record_without_model_instance_uses_the_given_type_and_id():
    event = audit_record(actor=None, action=AuditAction.EXPORT_CREATED, target_type="reports.export",
                         target_id="77", case_id=12)
    assert (event.target_type, event.target_id, event.case_id) == ("reports.export", "77", 12)


def test_audit_record_records_the_system_when_nobody_acts():
    event = audit_record(actor=None, action=AuditAction.WORKFLOW_TASK_STARTED)
    assert event.actor is None
    assert event.actor_username == ""
    assert event.actor_role == ""
    assert event.system_actor == "system"
    with audit_context(system_actor="command:seed"):
        assert audit_record(actor=None, action=AuditAction.WORKFLOW_TASK_STARTED).system_actor == "command:seed"


def test_audit_record_accepts_an_anonymous_user_inside_a_request():
    with audit_context(request_id="req-anon", ip="198.51.100.4"):
        event = audit_record(actor=AnonymousUser(), action=AuditAction.LOGIN_FAILED, extra={"username": "x"})
    assert event.actor is None
    assert event.actor_username == ""
    assert event.system_actor == ""  # an anonymous visitor, not the system
    assert event.ip == "198.51.100.4"


def test_audit_record_refuses_free_strings_as_actions():
    with pytest.raises(ValueError, match="case.peeked"):
        audit_record(actor=None, action="case.peeked")
    assert audit_record(actor=None, action="case.viewed").action == AuditAction.CASE_VIEWED


def test_audit_record_redacts_cpr_like_values_everywhere_and_never_logs_them(caplog):
    caplog.set_level(logging.WARNING, logger="caseflow.audit")
    event = audit_record(
        actor=None,
        action=AuditAction.PERSON_SEARCHED,
        purpose=f"search for {CPR}",
        reason="called about 0101901234",
        changes={"note": ["", "cpr 010190 1234 noted"]},
        extra={"criterion": {"cpr": CPR, "names": ["Fiktiv", "3112991234"]}, CPR: "as a key"},
    )
    event = AuditEvent.objects.get(pk=event.pk)
    stored = json.dumps([event.purpose, event.reason, event.changes, event.extra])
    for digits in ("010190", "0101901234", "3112991234"):
        assert digits not in stored
    assert event.purpose == f"search for {REDACTED}"
    assert event.reason == f"called about {REDACTED}"
    assert event.extra["criterion"] == {"cpr": REDACTED, "names": ["Fiktiv", REDACTED]}
    assert event.extra[REDACTED] == "as a key"
    assert event.changes == {"note": ["", f"cpr {REDACTED} noted"]}
    assert "extra.criterion.cpr" in caplog.text
    assert "0101901234" not in caplog.text
    assert "1234" not in caplog.text


@pytest.mark.parametrize(
    "value",
    [
        "KE-2026-0001",  # a case reference
        "3fa85f64-5717-4562-b3fc-2c963f66afa6",  # a uuid
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  # a hash
        "20261123",  # a date
        "+45 12345678",  # a phone number
        "991301-1234",  # month 13: not a date
        "01019012345",  # eleven digits
    ],
)
def test_audit_record_keeps_values_that_only_resemble_cpr_numbers(value):
    assert audit_record(actor=None, action=AuditAction.AUDIT_SEARCHED, extra={"q": value}).extra == {"q": value}


def test_audit_record_stores_what_it_hashed_for_awkward_json():
    event = audit_record(
        actor=None,
        action=AuditAction.CASE_CHANGED,
        changes={
            "deadline": [datetime.date(2026, 1, 2), datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)],
            "amount": [decimal.Decimal("1.50"), 2.0],
            "big": [1e20, 0.1],
            "odd": [float("nan"), "nul\x00byte"],
            "nested": {"3": {"b": [1, {"æøå": True}]}},
        },
        reason="with a \x00 in it",
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.changes == event.changes
    assert stored.changes["amount"] == ["1.50", 2]
    assert stored.changes["odd"] == ["nan", "nulbyte"]
    assert stored.reason == "with a  in it"
    assert audit_verify().ok


def test_audit_record_cuts_long_texts_to_their_columns():
    event = audit_record(actor=None, action=AuditAction.BREAK_GLASS_OPENED, reason="r" * 900, purpose="p" * 300)
    assert len(event.reason) == 500
    assert len(event.purpose) == 200
    assert audit_verify().ok


def test_audit_record_is_rolled_back_with_the_callers_transaction():
    before = AuditEvent.objects.count()
    def service_that_fails_after_auditing():
        with transaction.atomic():
            audit_record(actor=None, action=AuditAction.CASE_OPENED)
            raise RuntimeError("the service failed after auditing")

    with pytest.raises(RuntimeError):
        service_that_fails_after_auditing()
    assert AuditEvent.objects.count() == before


def test_audit_events_cannot_be_changed_or_deleted_through_the_orm(record_events):
    (event,) = record_events(1)
    event.reason = "rewritten"
    with pytest.raises(AuditAppendOnlyError):
        event.save()
    with pytest.raises(AuditAppendOnlyError):
        event.delete()
    with pytest.raises(AuditAppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(AuditAppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()


def test_read_actions_are_the_viewed_listed_and_searched_ones():
    assert AuditAction.CASE_VIEWED in READ_ACTIONS
    assert AuditAction.CASE_HISTORY_VIEWED in READ_ACTIONS
    assert AuditAction.PERSON_SEARCHED in READ_ACTIONS
    assert AuditAction.AUDIT_USER_LOG_VIEWED in READ_ACTIONS
    for kept in (AuditAction.PERSON_CPR_REVEALED, AuditAction.DOCUMENT_DOWNLOADED, AuditAction.EXPORT_CREATED,
                 AuditAction.CASE_CLOSED, AuditAction.ACCESS_DENIED, AuditAction.AUDIT_PRUNED):
        assert kept not in READ_ACTIONS


def test_audit_action_member_names_follow_the_contract():
    assert AuditAction.BREAK_GLASS_OPENED == "access.break_glass_opened"
    assert AuditAction.BREAK_GLASS_REVIEWED == "access.break_glass_reviewed"
    assert (AuditAction.LOGIN, AuditAction.LOGIN_FAILED, AuditAction.LOGOUT) == (
        "auth.logged_in", "auth.login_failed", "auth.logged_out")
    assert AuditAction.WORKFLOW_TASK_STARTED == "workflow.task_started"
