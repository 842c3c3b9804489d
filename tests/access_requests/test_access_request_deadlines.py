"""Deadline clocks: GDPR one month; aktindsigt 7 working days (Danish holidays do not
count); a delay letter moves the deadline to the expected date; due/overdue labels."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from caseflow.access_requests import services
from caseflow.access_requests.deadlines import deadline_of, original_due_on
from caseflow.access_requests.models import AccessRequest
from caseflow.audit.models import AuditEvent
from caseflow.core.exceptions import ApplicationError
from caseflow.core.workdays import is_working_day

pytestmark = pytest.mark.django_db


def test_gdpr_deadline_is_one_month():
    assert original_due_on(legal_basis="gdpr_15", received_on=datetime.date(2026, 3, 10)) == datetime.date(2026, 4, 10)
    # The end of a longer month clamps to the end of the shorter one.
    assert original_due_on(legal_basis="gdpr_15", received_on=datetime.date(2026, 1, 31)) == datetime.date(2026, 2, 28)


def test_aktindsigt_deadline_is_seven_working_days_skipping_easter():
    # Wednesday 1 April 2026: Maundy Thursday, Good Friday, the weekend and Easter Monday do not count.
    received = datetime.date(2026, 4, 1)
    assert not is_working_day(datetime.date(2026, 4, 2))
    assert not is_working_day(datetime.date(2026, 4, 6))
    assert original_due_on(legal_basis="fvl", received_on=received) == datetime.date(2026, 4, 15)
    assert original_due_on(legal_basis="offl", received_on=received) == datetime.date(2026, 4, 15)
    # An ordinary week: Monday 9 March 2026 → Wednesday 18 March.
    assert original_due_on(legal_basis="fvl", received_on=datetime.date(2026, 3, 9)) == datetime.date(2026, 3, 18)


def test_deadline_states_and_labels(worker, person, case):
    today = timezone.localdate()
    request = services.access_request_register(actor=worker, person=person, received_on=today - datetime.timedelta(days=40),
                                               legal_basis="gdpr_15", requester="subject")
    deadline = deadline_of(request)
    assert deadline.state == "overdue"
    with translation.override("en"):
        assert deadline.label == "Overdue"
    assert deadline.is_overdue
    fresh = services.access_request_register(actor=worker, person=person, received_on=today,
                                             legal_basis="gdpr_15", requester="subject")
    assert deadline_of(fresh).state == "on_time"
    assert deadline_of(fresh, today=deadline_of(fresh).due_on - datetime.timedelta(days=1)).state == "due_soon"


def test_delay_letter_moves_the_deadline(client, worker, person, case):
    received = timezone.localdate() - datetime.timedelta(days=20)
    request = services.access_request_register(actor=worker, person=person, received_on=received,
                                               legal_basis="fvl", requester="subject")
    original = original_due_on(legal_basis="fvl", received_on=received)
    assert deadline_of(request).state == "overdue"
    expected = timezone.localdate() + datetime.timedelta(days=10)
    client.force_login(worker)
    response = client.post(reverse("access_requests:delay", args=[request.pk]), {
        "delay-letter_on": (received + datetime.timedelta(days=3)).isoformat(),
        "delay-reason": "Politiet skal høres (fiktivt).", "delay-expected_on": expected.isoformat()})
    assert response.status_code == 302
    request.refresh_from_db()
    deadline = deadline_of(request)
    assert deadline.delayed
    assert deadline.due_on == expected
    assert deadline.original_due_on == original
    assert deadline.state == "on_time"
    event = AuditEvent.objects.get(action="access_request.delayed")
    assert event.changes == {"delay_expected_on": [None, expected.isoformat()]}
    page = client.get(reverse("access_requests:detail", args=[request.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200


def test_gdpr_delay_is_limited_to_three_months(worker, person, case):
    received = timezone.localdate()
    request = services.access_request_register(actor=worker, person=person, received_on=received,
                                               legal_basis="gdpr_15", requester="subject")
    with pytest.raises(ApplicationError) as refused:
        services.access_request_delay(actor=worker, request=request, letter_on=received, reason="Fiktiv.",
                                      expected_on=received + datetime.timedelta(days=120))
    assert refused.value.field == "expected_on"
    request.refresh_from_db()
    assert request.delay_expected_on is None
    assert not AuditEvent.objects.filter(action="access_request.delayed").exists()
    assert AccessRequest.objects.count() == 1
