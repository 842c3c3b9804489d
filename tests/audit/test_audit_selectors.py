import datetime

import pytest
from django.utils import timezone

from caseflow.audit.actions import AuditAction
from caseflow.audit.selectors import audit_event_search, audit_events_for_case, audit_events_for_user
from caseflow.audit.services import audit_record
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def history():
    alice, bob = UserFactory(), UserFactory()
    case, other_case = CaseFactory(), CaseFactory()
    events = [
        audit_record(actor=alice, action=AuditAction.CASE_OPENED, target=case),
        audit_record(actor=bob, action=AuditAction.CASE_VIEWED, target=case, purpose="case page"),
        audit_record(actor=alice, action=AuditAction.CASE_VIEWED, target=other_case),
        audit_record(actor=bob, action=AuditAction.ACCESS_DENIED, target=other_case),
    ]
    return {"alice": alice, "bob": bob, "case": case, "other_case": other_case, "events": events}


def pks(queryset):
    return [event.pk for event in queryset]


def test_audit_events_for_case_is_the_cases_history_in_order(history):
    first, second, _, _ = history["events"]
    assert pks(audit_events_for_case(case_id=history["case"].pk)) == [first.pk, second.pk]


def test_audit_events_for_user_is_their_access_log(history):
    first, _, third, _ = history["events"]
    assert pks(audit_events_for_user(user_id=history["alice"].pk)) == [first.pk, third.pk]


def test_audit_event_search_combines_criteria(history):
    events = history["events"]
    assert pks(audit_event_search(user_id=history["bob"].pk, action=AuditAction.ACCESS_DENIED)) == [events[3].pk]
    assert pks(audit_event_search(case_id=history["other_case"].pk, action=[
        AuditAction.CASE_VIEWED, AuditAction.ACCESS_DENIED])) == [events[2].pk, events[3].pk]
    mine = audit_event_search(case_id=history["case"].pk)
    assert pks(mine) == [events[0].pk, events[1].pk]


def test_audit_event_search_by_period_uses_whole_local_days(history):
    today = timezone.localdate()
    case_id = history["case"].pk
    assert len(audit_event_search(case_id=case_id, date_from=today, date_to=today)) == 2
    assert len(audit_event_search(case_id=case_id, date_to=today - datetime.timedelta(days=1))) == 0
    assert len(audit_event_search(case_id=case_id, date_from=today + datetime.timedelta(days=1))) == 0
    later = history["events"][1].occurred_at
    assert pks(audit_event_search(case_id=case_id, date_from=later)) == [history["events"][1].pk]
    assert pks(audit_event_search(case_id=case_id, date_to=later)) == [history["events"][0].pk]


def test_audit_event_search_refuses_unknown_actions(history):
    with pytest.raises(ValueError, match="case.peeked"):
        audit_event_search(action="case.peeked")


def test_a_long_history_is_read_in_one_query(history, django_assert_num_queries):
    for _ in range(30):
        audit_record(actor=history["bob"], action=AuditAction.CASE_VIEWED, target=history["case"])
    with django_assert_num_queries(1):
        names = [event.actor.username for event in audit_events_for_case(case_id=history["case"].pk)]
    assert len(names) == 32
