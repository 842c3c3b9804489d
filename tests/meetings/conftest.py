"""People, referrals waiting for screening and a meeting, shared by the meeting tests."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from caseflow.referrals.models import Referral
from tests.factories import UserFactory

ADULT_BIRTH_DATE = "1990-05-04"
MINOR_BIRTH_DATE = (timezone.localdate() - datetime.timedelta(days=15 * 365)).isoformat()
CONCERN = "Fiktiv bekymring om voldelige memes."


def open_task(referral, node) -> Task:
    return Task.objects.get(process__referralprocess__referral=referral, flow_task=node,
                            status__in=(STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED))


def execute(client, user, task, data):
    client.force_login(user)
    return client.post(task.flow_task.reverse("execute", args=[task.process_id, task.pk]), data)


def to_screening(client, worker, *, first_name, birth_date=ADULT_BIRTH_DATE, bbu=None) -> Referral:
    """Register a referral and take it through triage and the initial assessment, so
    it waits at the ReferralFlow's screening task."""
    from workflows.flows.referral import ReferralFlow

    client.force_login(worker)
    response = client.post(reverse("referrals:new"), {
        "received_at": (timezone.localtime() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "channel": "phone", "referrer_type": "primary_school", "referrer_name": "Fiktiv Lærer",
        "referrer_contact": "skole@example.invalid", "concern_text": CONCERN,
        "warning_signs": ["extremist_media"], "urgency": "normal", "cpr": "",
        "first_name": first_name, "last_name": "Testesen", "birth_date": birth_date,
    })
    assert response.status_code == 302, response.context["form"].errors
    referral = Referral.objects.latest("pk")
    assert execute(client, worker, open_task(referral, ReferralFlow.acute_triage),
                   {"police_alerted": "no", "note": ""}).status_code == 302
    data = {"outcome": "to_coordination_unit", "note": ""}
    if bbu is not None:
        data.update(bbu_contact=bbu.pk, report_needed="no", report_justification="Ingen tegn på mistrivsel.")
    assert execute(client, worker, open_task(referral, ReferralFlow.assess), data).status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.TO_COORDINATION_UNIT
    return referral


@pytest.fixture
def bbu():
    return UserFactory(team=None, roles=["bbu_liaison"])


@pytest.fixture
def partner1():
    return UserFactory(first_name="Pia", last_name="Politi", team=None, roles=["partner_member"])


@pytest.fixture
def partner2():
    return UserFactory(first_name="Kurt", last_name="Forsorg", team=None, roles=["partner_member"])


@pytest.fixture
def partner3():
    """A partner member invited to no meeting."""
    return UserFactory(first_name="Sofie", last_name="Ssp", team=None, roles=["partner_member"])


@pytest.fixture
def colleague(team):
    return UserFactory(team=team, roles=["caseworker"])
