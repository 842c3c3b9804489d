"""InterventionFlow end to end through the task URLs as the right users (and refused to
the wrong ones), on the real PostgreSQL: statuses, consent, matching with capacity,
the provider's answer, sessions, reviews by timer, dropout and the unstaffed alert."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS
from viewflow.workflow.timers import fire_due_timers

from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Consent
from caseflow.core.exceptions import ApplicationError
from caseflow.interventions.models import (
    Intervention,
    InterventionReview,
    InterventionSession,
    ProviderProfile,
)
from caseflow.interventions.services import intervention_propose
from permissions.policy import Action, can
from tests.factories import CaseFactory, PersonFactory, ReferralFactory, UserFactory
from workflows.flows.intervention import InterventionFlow
from workflows.intervention_services import intervention_process_start
from workflows.models import DeadlineBreach, InterventionProcess

pytestmark = pytest.mark.django_db

GOALS = "Fiktivt mål: fast fritidsaktivitet og skolegang."
OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


@pytest.fixture
def mentor2(team):
    return UserFactory(team=team, roles=["mentor"])


@pytest.fixture
def coach(team):
    return UserFactory(team=team, roles=["parent_coach"])


@pytest.fixture
def case(team, worker):
    return CaseFactory(team=team, responsible=worker, person=PersonFactory(birth_date=datetime.date(1995, 3, 2)))


@pytest.fixture
def minor_case(team, worker):
    birth = timezone.localdate() - datetime.timedelta(days=15 * 365)
    return CaseFactory(team=team, responsible=worker, person=PersonFactory(birth_date=birth), is_minor=True)


def start(worker, case, kind=Intervention.Kind.MENTOR) -> Intervention:
    intervention = intervention_propose(actor=worker, case=case, kind=kind, goals=GOALS)
    intervention_process_start(actor=worker, intervention=intervention)
    return intervention


def open_task(intervention, node) -> Task:
    return Task.objects.get(process__interventionprocess__intervention=intervention, flow_task=node,
                            status__in=OPEN)


def has_open(intervention, node) -> bool:
    return Task.objects.filter(process__interventionprocess__intervention=intervention, flow_task=node,
                               status__in=OPEN).exists()


def execute_url(task):
    return task.flow_task.reverse("execute", args=[task.process_id, task.pk])


def execute(client, user, task, data):
    client.force_login(user)
    return client.post(execute_url(task), data, HTTP_ACCEPT_LANGUAGE="en")


def page(client, user, task):
    """The task's page renders for its owner (GET takes no lock and changes nothing)."""
    client.force_login(user)
    response = client.get(execute_url(task), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def ok(response):
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    return response


def events(intervention, action=None):
    rows = AuditEvent.objects.filter(target_type="interventions.intervention", target_id=str(intervention.pk))
    return rows.filter(action=action) if action else rows


def consent(client, worker, intervention, **data):
    payload = {"given_by": "subject", "given_by_name": "", "given_on": timezone.localdate().isoformat(),
               "expires_on": "", "note": ""}
    payload.update(data)
    return execute(client, worker, open_task(intervention, InterventionFlow.obtain_consent), payload)


def match(client, worker, intervention, provider, partner_roles=""):
    return execute(client, worker, open_task(intervention, InterventionFlow.match_provider),
                   {"provider": provider.pk, "partner_roles": partner_roles})


def accept(client, provider, intervention, goals=GOALS):
    return execute(client, provider, open_task(intervention, InterventionFlow.answer_offer),
                   {"answer": "accept", "goals": goals, "started_on": timezone.localdate().isoformat(),
                    "reason": ""})


def log_session(client, user, intervention, topic="Samtale om skole", minutes=60):
    client.force_login(user)
    return client.post(reverse("interventions:detail", args=[intervention.pk]),
                       {"session-held_on": timezone.localdate().isoformat(), "session-duration_minutes": minutes,
                        "session-topic": topic, "session-note": "Kort fiktiv note."}, HTTP_ACCEPT_LANGUAGE="en")


def to_active(client, worker, intervention, provider, partner_roles=""):
    ok(consent(client, worker, intervention))
    ok(match(client, worker, intervention, provider, partner_roles))
    ok(accept(client, provider, intervention))
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.ACTIVE


# --------------------------------------------------------------------------- end to end


@pytest.mark.parametrize(("kind", "provider_fixture", "level", "partner_roles"), [
    (Intervention.Kind.MENTOR, "mentor", 2, ""),
    (Intervention.Kind.PARENT_COACH, "coach", 2, ""),
    (Intervention.Kind.EXIT_PROGRAMME, "mentor", 3, "Politi/PET: risikovurdering. Kriminalforsorgen: tilsyn."),
])
def test_intervention_flow_end_to_end(client, request, team, worker, mentor2, outsider, kind, provider_fixture,
                                      level, partner_roles):
    provider = request.getfixturevalue(provider_fixture)
    case = CaseFactory(team=team, responsible=worker, level=level)
    intervention = start(worker, case, kind)
    process = InterventionProcess.objects.get(intervention=intervention)

    # Consent: the responsible caseworker's task; others are refused and nothing changes.
    task = open_task(intervention, InterventionFlow.obtain_consent)
    assert task.owner == worker
    assert task.owner_permission == "cases.change_case"
    assert "only the person's own consent counts" in page(client, worker, task)
    for intruder in (outsider, provider):
        assert consent(client, intruder, intervention).status_code in (403, 404)
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.PROPOSED
    assert not Consent.objects.exists()
    ok(consent(client, worker, intervention))
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.CONSENT_OBTAINED

    # Matching: the exit programme needs the partners' roles; the provider gets access.
    assert provider.last_name in page(client, worker, open_task(intervention, InterventionFlow.match_provider))
    if kind == Intervention.Kind.EXIT_PROGRAMME:
        response = match(client, worker, intervention, provider, "")
        assert response.status_code == 200
        assert "which partner owns which element" in response.content.decode()
        intervention.refresh_from_db()
        assert intervention.provider is None
    if kind == Intervention.Kind.PARENT_COACH:  # a mentor is not offered for coaching
        assert match(client, worker, intervention, mentor2).status_code == 200
    assert not can(provider, Action.VIEW, intervention)
    ok(match(client, worker, intervention, provider, partner_roles))
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.MATCHING
    assert intervention.provider == provider
    assert intervention.partner_roles == partner_roles
    assert can(provider, Action.VIEW, intervention)

    # The provider's answer: in their inbox; the other mentor and the caseworker cannot do it.
    task = open_task(intervention, InterventionFlow.answer_offer)
    assert task.owner == provider
    assert task.owner_permission == "interventions.claim_intervention_task"
    client.force_login(provider)
    assert execute_url(task) in client.get(reverse("workflows:inbox")).content.decode()
    assert GOALS in page(client, provider, task)
    client.force_login(mentor2)
    assert execute_url(task) not in client.get(reverse("workflows:inbox")).content.decode()
    assert accept(client, mentor2, intervention).status_code in (403, 404)
    assert accept(client, worker, intervention).status_code in (403, 404)
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.MATCHING
    ok(accept(client, provider, intervention, goals=GOALS + " Aftalt på opstartsmødet."))
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.ACTIVE
    assert intervention.started_on == timezone.localdate()
    assert intervention.goals.endswith("Aftalt på opstartsmødet.")
    assert has_open(intervention, InterventionFlow.follow)

    # Sessions: the provider logs them on the intervention page; the other mentor cannot.
    assert log_session(client, provider, intervention).status_code == 302
    assert log_session(client, provider, intervention, topic="Job").status_code == 302
    assert log_session(client, provider, intervention, minutes=0).status_code == 400
    assert log_session(client, mentor2, intervention).status_code == 404
    assert InterventionSession.objects.filter(intervention=intervention).count() == 2
    assert events(intervention, "intervention.session_logged").count() == 2

    # The review falls due after CASEFLOW_REVIEW_MONTHS[level] months.
    months = {2: 3, 3: 1}[level]
    assert fire_due_timers() == 0
    with time_machine.travel(timezone.now() + datetime.timedelta(days=31 * months + 1)):
        assert fire_due_timers() >= 1
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.REVIEW
    assert not has_open(intervention, InterventionFlow.follow)
    review = open_task(intervention, InterventionFlow.review)
    assert review.owner == worker
    page(client, worker, review)
    assert execute(client, outsider, review, {"goals_status": "partly", "outcome": "continue"}).status_code \
        in (403, 404)
    ok(execute(client, worker, review, {"goals_status": "partly", "outcome": "continue", "end_reason": "",
                                        "note": "Fremgang."}))
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.ACTIVE
    assert InterventionReview.objects.get(intervention=intervention).goals_status == "partly"

    # Ending needs a reason; then the provider's access ends and the process is done.
    follow = open_task(intervention, InterventionFlow.follow)
    page(client, worker, follow)
    assert execute(client, worker, follow, {"action": "end", "end_reason": "", "note": ""}).status_code == 200
    ok(execute(client, worker, follow, {"action": "end", "end_reason": "goals_met", "note": ""}))
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.ENDED
    assert intervention.end_reason == Intervention.EndReason.GOALS_MET
    assert intervention.ended_on == timezone.localdate()
    assert not can(provider, Action.VIEW, intervention)
    client.force_login(provider)
    assert client.get(reverse("interventions:detail", args=[intervention.pk])).status_code == 404
    process.refresh_from_db()
    assert process.status == PROCESS.DONE
    actions = set(events(intervention).values_list("action", flat=True))
    assert {"intervention.consent_obtained", "intervention.matched", "intervention.accepted",
            "intervention.session_logged", "intervention.reviewed", "intervention.ended",
            "access.granted", "access.revoked"} <= actions


def test_review_can_end_the_intervention(client, worker, mentor, case):
    intervention = start(worker, case)
    to_active(client, worker, intervention, mentor)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=100)):
        fire_due_timers()
    review = open_task(intervention, InterventionFlow.review)
    assert execute(client, worker, review, {"goals_status": "met", "outcome": "end", "end_reason": ""}
                   ).status_code == 200
    assert not InterventionReview.objects.exists()
    ok(execute(client, worker, review, {"goals_status": "met", "outcome": "end", "end_reason": "goals_met"}))
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.ENDED
    assert not can(mentor, Action.VIEW, intervention)


def test_simple_kind_is_carried_out_and_concluded(client, worker, outsider, case):
    intervention = start(worker, case, Intervention.Kind.CONCERN_CONVERSATION)
    assert not has_open(intervention, InterventionFlow.obtain_consent)
    task = open_task(intervention, InterventionFlow.carry_out)
    today = timezone.localdate().isoformat()
    assert execute(client, outsider, task, {"started_on": today}).status_code in (403, 404)
    ok(execute(client, worker, task, {"started_on": today}))
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.ACTIVE
    ok(execute(client, worker, open_task(intervention, InterventionFlow.conclude),
               {"end_reason": "goals_met", "ended_on": today}))
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.ENDED
    assert InterventionProcess.objects.get(intervention=intervention).status == PROCESS.DONE


def test_process_start_is_refused_to_others_and_twice(worker, outsider, case):
    intervention = intervention_propose(actor=worker, case=case, kind=Intervention.Kind.MENTOR)
    with pytest.raises(ApplicationError):
        intervention_process_start(actor=outsider, intervention=intervention)
    assert not InterventionProcess.objects.exists()
    intervention_process_start(actor=worker, intervention=intervention)
    with pytest.raises(ApplicationError):
        intervention_process_start(actor=worker, intervention=intervention)
    assert InterventionProcess.objects.count() == 1


# --------------------------------------------------------------------------- decline, dropout


def test_decline_goes_back_to_matching(client, worker, mentor, mentor2, case):
    intervention = start(worker, case)
    ok(consent(client, worker, intervention))
    ok(match(client, worker, intervention, mentor))
    task = open_task(intervention, InterventionFlow.answer_offer)
    decline = {"answer": "decline", "goals": "", "started_on": "", "reason": ""}
    assert execute(client, mentor, task, decline).status_code == 200  # the reason is required
    ok(execute(client, mentor, task, {**decline, "reason": "Ingen tid i denne periode."}))
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.MATCHING
    assert intervention.provider is None
    assert not can(mentor, Action.VIEW, intervention)
    assert events(intervention, "intervention.declined").count() == 1
    assert open_task(intervention, InterventionFlow.match_provider).owner == worker
    ok(match(client, worker, intervention, mentor2))
    ok(accept(client, mentor2, intervention))
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.ACTIVE
    assert intervention.provider == mentor2


def test_dropout_rematching_and_unstaffed_alert_once(client, team, worker, mentor, mentor2, case):
    supervisor = UserFactory(team=team, roles=["supervisor"])
    intervention = start(worker, case)
    to_active(client, worker, intervention, mentor)
    for topic in ("Skole", "Fritid", "Familie"):
        assert log_session(client, mentor, intervention, topic=topic).status_code == 302

    dropped_at = timezone.now()
    ok(execute(client, worker, open_task(intervention, InterventionFlow.follow),
               {"action": "provider_stopped", "end_reason": "", "note": "Mentoren er flyttet."}))
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.REMATCHING
    assert intervention.provider is None
    assert InterventionSession.objects.filter(intervention=intervention).count() == 3
    assert not can(mentor, Action.VIEW, intervention)
    client.force_login(mentor)
    assert client.get(reverse("interventions:detail", args=[intervention.pk])).status_code == 404
    assert events(intervention, "intervention.provider_dropped").count() == 1
    assert open_task(intervention, InterventionFlow.match_provider).owner == worker

    alert = "intervention.unstaffed_alerted"
    with time_machine.travel(dropped_at + datetime.timedelta(days=13)):
        fire_due_timers()
    assert not events(intervention, alert).exists()
    with time_machine.travel(dropped_at + datetime.timedelta(days=14, minutes=1)):
        fire_due_timers()
        fire_due_timers()  # a second dispatcher run changes nothing
    assert events(intervention, alert).count() == 1
    matching = open_task(intervention, InterventionFlow.match_provider)
    assert DeadlineBreach.objects.filter(task=matching, team=team).exists()
    client.force_login(supervisor)
    assert client.get(reverse("workflows:deadline_breaches")).status_code == 200

    # The new mentor sees the goals and the history, not the case.
    ok(match(client, worker, intervention, mentor2))
    ok(accept(client, mentor2, intervention))
    client.force_login(mentor2)
    page = client.get(reverse("interventions:detail", args=[intervention.pk]))
    assert page.status_code == 200
    assert GOALS in page.content.decode()
    assert "Familie" in page.content.decode()
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    assert events(intervention, alert).count() == 1


# --------------------------------------------------------------------------- capacity, conflict


def test_provider_at_capacity_cannot_be_matched(client, worker, mentor, case):
    ProviderProfile.objects.create(user=mentor, max_active=1)
    busy = start(worker, CaseFactory(team=case.team, responsible=worker))
    to_active(client, worker, busy, mentor)
    intervention = start(worker, case)
    ok(consent(client, worker, intervention))
    response = match(client, worker, intervention, mentor)
    assert response.status_code == 200
    assert "as many interventions as they can take (1)" in response.content.decode()
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.CONSENT_OBTAINED
    assert intervention.provider is None
    assert not can(mentor, Action.VIEW, intervention)
    assert not events(intervention, "intervention.matched").exists()
    assert open_task(intervention, InterventionFlow.match_provider).owner == worker


def test_default_capacity_comes_from_settings(client, settings, worker, mentor, case):
    settings.CASEFLOW_PROVIDER_CAPACITY = 0
    intervention = start(worker, case)
    ok(consent(client, worker, intervention))
    assert match(client, worker, intervention, mentor).status_code == 200
    settings.CASEFLOW_PROVIDER_CAPACITY = 1
    ok(match(client, worker, intervention, mentor))


def test_provider_who_registered_a_referral_about_the_person_is_refused(client, team, worker, mentor, case):
    ReferralFactory(team=team, registered_by=mentor, person=case.person)
    intervention = start(worker, case)
    ok(consent(client, worker, intervention))
    response = match(client, worker, intervention, mentor)
    assert response.status_code == 200
    assert "conflict of interest" in response.content.decode()
    intervention.refresh_from_db()
    assert intervention.provider is None


# --------------------------------------------------------------------------- consent


def test_adult_consents_only_himself(client, worker, case):
    intervention = start(worker, case)
    response = consent(client, worker, intervention, given_by="custody_holder", given_by_name="Fiktiv Mor")
    assert response.status_code == 200
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.PROPOSED
    assert not Consent.objects.exists()
    assert has_open(intervention, InterventionFlow.obtain_consent)
    ok(consent(client, worker, intervention, given_by="subject"))
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.CONSENT_OBTAINED


def test_minor_needs_a_custody_holders_consent(client, worker, minor_case):
    intervention = start(worker, minor_case)
    assert consent(client, worker, intervention, given_by="subject").status_code == 200
    assert consent(client, worker, intervention, given_by="custody_holder").status_code == 200  # no name
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.PROPOSED
    assert not Consent.objects.exists()
    ok(consent(client, worker, intervention, given_by="custody_holder", given_by_name="Fiktiv Far"))
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.CONSENT_OBTAINED
    assert Consent.objects.get().intervention == intervention


def test_expired_consent_does_not_move_the_flow(client, worker, case):
    intervention = start(worker, case)
    today = timezone.localdate()
    response = consent(client, worker, intervention, given_on=(today - datetime.timedelta(days=30)).isoformat(),
                       expires_on=(today - datetime.timedelta(days=1)).isoformat())
    assert response.status_code == 200
    assert "no valid consent" in response.content.decode()
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.PROPOSED
    assert not Consent.objects.exists()
    assert has_open(intervention, InterventionFlow.obtain_consent)


def test_consultant_and_other_team_cannot_take_caseworker_tasks(client, worker, outsider, consultant, minor_case):
    intervention = start(worker, minor_case)
    task = open_task(intervention, InterventionFlow.obtain_consent)
    for intruder in (consultant, outsider):
        client.force_login(intruder)
        assert client.post(reverse("workflows:claim", args=[task.pk])).status_code == 404
        assert consent(client, intruder, intervention, given_by="custody_holder",
                       given_by_name="Fiktiv Far").status_code in (403, 404)
    task.refresh_from_db()
    assert task.owner == worker
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.PROPOSED
    assert not Consent.objects.exists()


# --------------------------------------------------------------------------- the provider reports their dropout


def test_provider_reports_own_dropout_from_the_intervention_page(client, worker, mentor, mentor2, case):
    intervention = start(worker, case)
    to_active(client, worker, intervention, mentor)
    assert log_session(client, mentor, intervention).status_code == 302
    follow = open_task(intervention, InterventionFlow.follow)
    client.force_login(mentor)
    assert "I stop as provider" in client.get(reverse("interventions:detail", args=[intervention.pk]),
                                              HTTP_ACCEPT_LANGUAGE="en").content.decode()
    url = reverse("interventions:dropout", args=[intervention.pk])

    # another mentor cannot (404), and nothing changes
    client.force_login(mentor2)
    assert client.post(url, {"dropout-note": "x"}).status_code == 404
    intervention.refresh_from_db()
    assert (intervention.status, intervention.provider) == (Intervention.Status.ACTIVE, mentor)
    assert not events(intervention, "intervention.provider_dropped").exists()

    client.force_login(mentor)
    assert client.post(url, {"dropout-note": "Jeg flytter."}).status_code == 302
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.REMATCHING
    assert intervention.provider is None
    assert not can(mentor, Action.VIEW, intervention)
    assert client.get(reverse("interventions:detail", args=[intervention.pk])).status_code == 404
    event = events(intervention, "intervention.provider_dropped").get()
    assert (event.actor, event.reason) == (mentor, "Jeg flytter.")
    assert Task.objects.get(pk=follow.pk).status == STATUS.DONE
    assert open_task(intervention, InterventionFlow.match_provider).owner == worker
    assert InterventionSession.objects.filter(intervention=intervention).count() == 1

    # a second report (no longer the provider) is refused
    assert client.post(url, {"dropout-note": "igen"}).status_code == 404
    ok(match(client, worker, intervention, mentor2))
    ok(accept(client, mentor2, intervention))


def test_provider_dropout_is_refused_during_a_review_and_to_the_caseworker(client, worker, mentor, case):
    from workflows.intervention_services import intervention_provider_dropout_report

    intervention = start(worker, case)
    to_active(client, worker, intervention, mentor)
    with pytest.raises(ApplicationError):
        intervention_provider_dropout_report(actor=worker, intervention=intervention)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=95)):
        fire_due_timers()
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.REVIEW
    client.force_login(mentor)
    response = client.post(reverse("interventions:dropout", args=[intervention.pk]), {"dropout-note": ""},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Tell the caseworker" in response.content.decode()
    intervention.refresh_from_db()
    assert (intervention.status, intervention.provider) == (Intervention.Status.REVIEW, mentor)
    assert not events(intervention, "intervention.provider_dropped").exists()
