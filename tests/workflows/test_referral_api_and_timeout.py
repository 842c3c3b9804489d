"""The ReferralFlow beyond the staff form: partner API referrals start it too (their tasks
wait in the team's queue), and waiting for information times out into a shelved referral."""

import datetime
import json

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS
from viewflow.workflow.timers import fire_due_timers

from caseflow.accounts.roles import Role
from caseflow.audit.models import AuditEvent
from caseflow.core.workdays import add_working_days
from caseflow.intake.models import PartnerOrganisation
from caseflow.intake.services import partner_referral_submit, partner_token_issue
from caseflow.referrals.models import Referral
from tests.factories import UserFactory
from tests.workflows.test_referral_flow import execute, open_task, register
from workflows.flows.referral import ReferralFlow
from workflows.models import ReferralProcess
from workflows.tasks import workflow_timers_fire_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisation(team):
    service_user = UserFactory(username="svc-fiktiv-skole", team=None, roles=[Role.PARTNER_INTAKE])
    return PartnerOrganisation.objects.create(name="Fiktiv Skole", team=team, service_user=service_user)


def queue(client, user):
    client.force_login(user)
    response = client.get(reverse("workflows:queue"))
    assert response.status_code == 200
    return {task.pk for task in response.context["tasks"]}


# --------------------------------------------------------------------------- partner API


def test_api_referral_starts_the_flow_with_triage_in_the_teams_queue(client, organisation, worker, outsider):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {partner_token_issue(actor=None, organisation=organisation)}")
    response = api.post("/api/v1/referrals/", data=json.dumps({
        "referrer_type": "primary_school", "referrer_name": "Fiktiv Lærer",
        "concern_text": "Eleven har delt ekstremistisk materiale i klassen.", "urgency": "high",
    }), content_type="application/json")
    assert response.status_code == 201, response.content

    referral = Referral.objects.get()
    assert referral.status == Referral.Status.ACUTE_TRIAGE
    process = ReferralProcess.objects.get(referral=referral)
    assert process.status == PROCESS.NEW
    triage = open_task(referral, ReferralFlow.acute_triage)
    assert triage.owner is None
    assert triage.status == STATUS.NEW
    assert queue(client, worker) == {triage.pk}
    assert queue(client, outsider) == set()
    assert AuditEvent.objects.filter(action="referral.changed", target_id=str(referral.pk),
                                     actor_id=organisation.service_user.pk).exists()

    # a caseworker claims it and the flow carries on with them
    client.force_login(worker)
    assert client.post(reverse("workflows:claim", args=[triage.pk])).status_code == 302
    assert execute(client, worker, open_task(referral, ReferralFlow.acute_triage),
                   {"police_alerted": "no"}).status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.INITIAL_ASSESSMENT
    assess = open_task(referral, ReferralFlow.assess)
    assert assess.owner is None
    assert queue(client, worker) == {assess.pk}


def test_api_referral_registered_by_a_caseworker_is_assigned_to_them(organisation, worker):
    result = partner_referral_submit(actor=worker, organisation=organisation, channel="partner_system",
                                     referrer_type="primary_school", concern_text="Fiktiv bekymring.")
    assert open_task(result.referral, ReferralFlow.acute_triage).owner == worker


def test_api_replay_does_not_start_a_second_process(organisation):
    kwargs = dict(actor=organisation.service_user, organisation=organisation, idempotency_key="k-1",
                  body_hash="h", channel="partner_system", referrer_type="primary_school",
                  concern_text="Fiktiv bekymring.")
    first = partner_referral_submit(**kwargs)
    second = partner_referral_submit(**kwargs)
    assert second.replayed
    assert second.referral == first.referral
    assert ReferralProcess.objects.count() == 1


# --------------------------------------------------------------------------- information timeout


def to_waiting(client, worker) -> Referral:
    referral = register(client, worker)
    execute(client, worker, open_task(referral, ReferralFlow.acute_triage), {"police_alerted": "no"})
    execute(client, worker, open_task(referral, ReferralFlow.assess), {"outcome": "awaiting_information"})
    referral.refresh_from_db()
    assert referral.status == Referral.Status.AWAITING_INFORMATION
    return referral


def timer_of(referral) -> Task:
    return Task.objects.get(process__referralprocess__referral=referral,
                            flow_task=ReferralFlow.receive_information__timeout)


@override_settings(CASEFLOW_INFO_WAIT_WORKING_DAYS=7)
def test_waiting_timer_is_scheduled_in_working_days(client, worker):
    referral = to_waiting(client, worker)
    timer = timer_of(referral)
    assert timer.status == STATUS.SCHEDULED
    due = add_working_days(timezone.localdate(), 7)
    assert timezone.localtime(timer.scheduled).date() == due
    assert fire_due_timers() == 0


def test_waiting_for_information_times_out_and_shelves_once(client, worker):
    referral = to_waiting(client, worker)
    waiting = open_task(referral, ReferralFlow.receive_information)
    Task.objects.filter(pk=timer_of(referral).pk).update(
        scheduled=timezone.now() - datetime.timedelta(minutes=1))

    workflow_timers_fire_task()
    workflow_timers_fire_task()

    referral.refresh_from_db()
    assert referral.status == Referral.Status.SHELVED
    assert referral.closed_at is not None
    decision = referral.decisions.get()
    assert decision.outcome == "shelved_info_timeout"
    assert decision.justification
    assert decision.decided_by == worker
    waiting.refresh_from_db()
    assert waiting.status == STATUS.CANCELED
    assert timer_of(referral).status == STATUS.DONE
    process = ReferralProcess.objects.get(referral=referral)
    assert process.status == PROCESS.DONE
    assert process.task_set.filter(flow_task=ReferralFlow.end_shelved, status=STATUS.DONE).count() == 1
    shelved = AuditEvent.objects.filter(action="referral.changed", target_id=str(referral.pk),
                                        changes__status__1=Referral.Status.SHELVED)
    assert shelved.count() == 1
    assert shelved.get().actor_id is None
    assert AuditEvent.objects.filter(action="decision.recorded", target_id=str(decision.pk),
                                     actor_id__isnull=True).count() == 1
    # the human can no longer act on the canceled task
    assert execute(client, worker, waiting, {"sufficient": "yes"}).status_code in (403, 404)


def test_answering_in_time_cancels_the_timer(client, worker):
    referral = to_waiting(client, worker)
    assert execute(client, worker, open_task(referral, ReferralFlow.receive_information),
                   {"sufficient": "yes"}).status_code == 302
    timer = timer_of(referral)
    assert timer.status == STATUS.CANCELED
    Task.objects.filter(pk=timer.pk).update(scheduled=timezone.now() - datetime.timedelta(minutes=1))
    assert fire_due_timers() == 0
    referral.refresh_from_db()
    assert referral.status == Referral.Status.TO_COORDINATION_UNIT
