"""The agenda beyond referrals and the meeting's paperwork: cases on the agenda, the
automatic agenda by screening deadline, the agenda e-mail, the consultant's refusal
after a meeting's decision, the minutes PDF's access rules, and the audited list."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task

from caseflow.audit.models import AuditEvent
from caseflow.cases.models import CaseProposal
from caseflow.meetings import services
from caseflow.meetings.models import AgendaItem, Meeting, MeetingMember
from caseflow.meetings.tasks import meeting_agenda_autofill_task, meeting_agenda_notify_task
from caseflow.referrals.models import Referral
from tests.factories import TeamFactory, UserFactory
from tests.pdf_utils import pdf_text
from workflows.flows.referral import ReferralFlow

from .conftest import (
    CONCERN,
    MINOR_BIRTH_DATE,
    act,
    case_with_level_3_plan,
    decide,
    execute,
    minutes,
    open_task,
    page,
    plan_meeting,
    to_screening,
)

pytestmark = pytest.mark.django_db


def _meeting(worker, supervisor, *, days=2, team_worker=None) -> Meeting:
    return services.meeting_create(actor=team_worker or worker,
                                   starts_at=timezone.now() + datetime.timedelta(days=days),
                                   place="Rådhuset", chair=supervisor, minute_taker=team_worker or worker)


# --------------------------------------------------------------------------- cases on the agenda


def test_case_with_a_level_3_plan_is_discussed_and_partners_see_only_the_summary(
        client, worker, supervisor, partner1, partner2):
    case = case_with_level_3_plan(client, worker)
    assert CaseProposal.objects.get(case=case, status="pending").needs_approval
    meeting = plan_meeting(client, worker, supervisor)
    act(client, worker, meeting, "invite", **{"invite-user": partner1.pk, "invite-authority": "Politiet (DKS)"})
    response = page(client, worker, meeting)
    assert case in response.context["case_form"].fields["case"].queryset
    assert act(client, worker, meeting, "add_case", **{"case-case": case.pk}).status_code == 302
    item = meeting.items.get()
    assert (item.kind, item.case_id, item.referral_id) == (AgendaItem.Kind.CASE, case.pk, None)
    assert item.case_reason == AgendaItem.CaseReason.LEVEL_3_PLAN
    added = AuditEvent.objects.get(action="meeting.item_added", target_id=str(meeting.pk))
    assert added.case_id == case.pk
    # Not twice.
    response = act(client, worker, meeting, "add_case", **{"case-case": case.pk})
    assert response.status_code == 200
    assert "case" in response.context["case_form"].errors
    assert meeting.items.count() == 1

    act(client, worker, meeting, "send")
    content = page(client, partner1, meeting).content.decode()
    assert case.reference in content
    assert "Lene" in content
    assert reverse("cases:detail", args=[case.pk]) not in content
    assert CONCERN not in content
    client.force_login(partner1)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    assert reverse("cases:detail", args=[case.pk]) in page(client, worker, meeting).content.decode()

    act(client, worker, meeting, "hold", **{"hold-present": [partner1.pk]})
    client.force_login(worker)
    url = reverse("meetings:decide", args=[item.pk])
    response = client.post(url, {"note": "Drøftet.", "recommendation": "", "dissent": ""})
    assert response.status_code == 200
    assert "recommendation" in response.context["form"].errors
    assert AgendaItem.objects.get(pk=item.pk).decided_at is None
    response = client.post(url, {"note": "Planen er realistisk; Kriminalforsorgen deltager.",
                                 "recommendation": "Godkend planen på niveau 3.", "dissent": ""})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.is_decided
    assert item.recommendation == "Godkend planen på niveau 3."
    assert "Pia Politi (Politiet (DKS))" in item.members_present
    assert "Godkend planen" not in page(client, partner1, meeting).content.decode()  # staff only
    # The case's own flow is not moved: the plan still waits for the supervisor.
    assert CaseProposal.objects.get(case=case, kind="plan").status == "pending"
    assert act(client, supervisor, meeting, "approve").status_code == 302
    text = pdf_text(minutes(client, worker, meeting).content)
    assert case.reference in text
    assert "Godkend planen på niveau 3." in text
    assert "Level-3 plan waiting for approval" in text


def test_only_due_cases_the_actor_may_see_go_on_the_agenda(client, team, worker, supervisor, colleague):
    from tests.factories import CaseFactory

    not_due = CaseFactory(team=team, responsible=worker)
    due = case_with_level_3_plan(client, worker)
    meeting = _meeting(worker, supervisor)
    with pytest.raises(services.ApplicationError):
        services.meeting_case_add(actor=worker, meeting=meeting, case=not_due)
    # A caseworker of the team who may not see the case is not offered it and cannot add it.
    client.force_login(colleague)
    response = client.get(reverse("meetings:detail", args=[meeting.pk]))
    assert due not in response.context["case_form"].fields["case"].queryset
    with pytest.raises(services.ApplicationError):
        services.meeting_case_add(actor=colleague, meeting=meeting, case=due)
    assert not meeting.items.exists()
    # The supervisor sees every case of the team.
    services.meeting_case_add(actor=supervisor, meeting=meeting, case=due)
    assert meeting.items.get().case == due
    # A level change proposed at a review makes a case due as well.
    CaseProposal.objects.create(case=not_due, kind=CaseProposal.Kind.LEVEL_CHANGE, level=3, proposed_by=worker,
                                justification="Fiktiv: risikoen er steget.")
    item = services.meeting_case_add(actor=worker, meeting=meeting, case=not_due)
    assert item.case_reason == AgendaItem.CaseReason.REVIEW


# --------------------------------------------------------------------------- the automatic agenda


def test_autofill_puts_referrals_due_before_the_next_meeting_on_its_agenda_once(
        client, worker, supervisor, outsider):
    overdue = to_screening(client, worker, first_name="Anders")
    fresh = to_screening(client, worker, first_name="Bente")
    elsewhere = to_screening(client, outsider, first_name="Dorte")
    # Explicit dates: the overdue referral's screening task was created three weeks ago,
    # so its deadline (10 working days) falls before the next meeting; the fresh one's
    # falls after it.
    for referral in (overdue, elsewhere):
        Task.objects.filter(pk=open_task(referral, ReferralFlow.screen).pk).update(
            created=timezone.now() - datetime.timedelta(days=21))
    assert services.screening_deadline(open_task(fresh, ReferralFlow.screen).created) > \
        timezone.now() + datetime.timedelta(days=3)
    later = _meeting(worker, supervisor, days=10)
    next_meeting = _meeting(worker, supervisor, days=3)
    held = _meeting(worker, supervisor, days=1)
    held.status = Meeting.Status.AGENDA_SENT  # not planned any more: not filled
    held.save(update_fields=["status"])

    assert meeting_agenda_autofill_task.apply().get() == 1
    item = next_meeting.items.get()
    assert (item.referral, item.added_automatically) == (overdue, True)
    assert not later.items.exists()
    assert not held.items.exists()
    assert not AgendaItem.objects.filter(referral__in=[fresh, elsewhere]).exists()  # another team: no meeting
    event = AuditEvent.objects.get(action="meeting.item_added", target_id=str(next_meeting.pk))
    assert event.actor is None
    assert event.extra["automatic"] is True

    # Idempotent: a second run adds nothing, and the referral is no longer a candidate.
    before = AuditEvent.objects.count()
    assert services.meeting_agenda_autofill() == 0
    assert AgendaItem.objects.count() == 1
    assert AuditEvent.objects.count() == before
    response = act(client, worker, later, "add_item", **{"item-referral": overdue.pk})
    assert "referral" in response.context["item_form"].errors

    # With the fresh referral's deadline passed as well, the next run adds it.
    Task.objects.filter(pk=open_task(fresh, ReferralFlow.screen).pk).update(
        created=timezone.now() - datetime.timedelta(days=30))
    assert services.meeting_agenda_autofill() == 1
    assert set(next_meeting.items.values_list("referral_id", flat=True)) == {overdue.pk, fresh.pk}


# --------------------------------------------------------------------------- the agenda e-mail


def test_agenda_email_says_only_that_an_agenda_is_ready(client, worker, supervisor, partner1, partner2, partner3,
                                                         django_capture_on_commit_callbacks):
    referral = to_screening(client, worker, first_name="Anders")
    meeting = _meeting(worker, supervisor)
    services.meeting_member_invite(actor=worker, meeting=meeting, user=partner1, authority="Politiet (DKS)")
    services.meeting_member_invite(actor=worker, meeting=meeting, user=partner2, authority="Kriminalforsorgen")
    services.meeting_item_add(actor=worker, meeting=meeting, referral=referral)
    with django_capture_on_commit_callbacks() as callbacks:
        services.meeting_agenda_send(actor=worker, meeting=meeting)
    assert len(callbacks) == 1  # queued only when the transaction commits
    assert not mail.outbox

    assert meeting_agenda_notify_task.apply(kwargs={"meeting_id": meeting.pk}).get() == 2
    assert sorted(message.to[0] for message in mail.outbox) == sorted([partner1.email, partner2.email])
    link = reverse("meetings:detail", args=[meeting.pk])
    for message in mail.outbox:
        assert len(message.to) == 1  # nobody sees who else is invited
        text = message.subject + message.body
        assert link in message.body
        for secret in ("Anders", "Testesen", referral.reference, CONCERN, "Fiktiv Lærer", "Pia", "Kurt",
                       "Politiet", "Rådhuset"):
            assert secret not in text, secret
    event = AuditEvent.objects.get(action="notification.sent", target_id=str(meeting.pk))
    assert sorted(event.extra["recipient_ids"]) == sorted([partner1.pk, partner2.pk])
    assert MeetingMember.objects.filter(meeting=meeting, agenda_notified_at__isnull=True).count() == 0

    # Each member is told once; a member invited later gets their own e-mail.
    assert meeting_agenda_notify_task.apply(kwargs={"meeting_id": meeting.pk}).get() == 0
    partner3.email = "sofie@ssp.invalid"
    partner3.save(update_fields=["email"])
    with django_capture_on_commit_callbacks() as callbacks:
        services.meeting_member_invite(actor=worker, meeting=meeting, user=partner3, authority="SSP")
    assert len(callbacks) == 1
    assert meeting_agenda_notify_task.apply(kwargs={"meeting_id": meeting.pk}).get() == 1
    assert mail.outbox[-1].to == [partner3.email]
    assert len(mail.outbox) == 3


def test_no_agenda_email_for_a_planned_meeting(worker, supervisor, partner1):
    meeting = _meeting(worker, supervisor)
    services.meeting_member_invite(actor=worker, meeting=meeting, user=partner1, authority="Politiet (DKS)")
    assert services.meeting_agenda_notify(meeting_id=meeting.pk) == 0
    assert services.meeting_agenda_notify(meeting_id=999999) == 0
    assert not mail.outbox


# --------------------------------------------------------------------------- the consultant's refusal


@pytest.fixture
def minor_decided(client, worker, supervisor, consultant, bbu, partner1):
    """A minor's referral decided at a held meeting: waiting for the co-signature."""
    minor = to_screening(client, worker, first_name="Carl", birth_date=MINOR_BIRTH_DATE, bbu=bbu)
    meeting = plan_meeting(client, worker, supervisor)
    act(client, worker, meeting, "invite", **{"invite-user": partner1.pk, "invite-authority": "Politiet (DKS)"})
    act(client, worker, meeting, "add_item", **{"item-referral": minor.pk})
    act(client, worker, meeting, "send")
    act(client, worker, meeting, "hold", **{"hold-present": [partner1.pk]})
    item = meeting.items.get()
    assert decide(client, worker, item, "case_level_2").status_code == 302
    return meeting, item, minor


def _cosign(client, consultant, referral, approved):
    task = open_task(referral, ReferralFlow.cosign_screening)
    client.force_login(consultant)
    assert client.post(reverse("workflows:claim", args=[task.pk])).status_code == 302
    response = execute(client, consultant, open_task(referral, ReferralFlow.cosign_screening),
                       {"approved": "yes" if approved else "no", "justification": "Fiktiv: BBU skal høres først."})
    assert response.status_code == 302


def test_refused_cosignature_returns_the_item_to_be_decided_again(client, worker, supervisor, consultant,
                                                                   minor_decided):
    meeting, item, minor = minor_decided
    assert "Awaiting the child-focused consultant" in page(client, worker, meeting).content.decode()
    _cosign(client, consultant, minor, approved=False)

    response = page(client, worker, meeting)
    shown = {i.pk: i for i in response.context["items"]}[item.pk]
    assert shown.state == AgendaItem.State.RETURNED
    content = response.content.decode()
    assert "Returned by the child-focused consultant" in content
    assert "Fiktiv: BBU skal høres først." in content
    assert reverse("meetings:decide", args=[item.pk]) in content
    # The referral is back at the screening task, and the item is not decided.
    assert open_task(minor, ReferralFlow.screen)
    minor.refresh_from_db()
    assert minor.status == Referral.Status.TO_COORDINATION_UNIT

    # Decided again at the same meeting; this time co-signed.
    response = decide(client, worker, item, "referred_elsewhere", justification="Henvises til BBU.")
    assert response.status_code == 302, response.context["form"].errors
    event = AuditEvent.objects.filter(action="meeting.item_decided", target_id=str(item.pk)).latest("pk")
    assert event.extra["again_after_refusal"] is True
    _cosign(client, consultant, minor, approved=True)
    minor.refresh_from_db()
    assert (minor.status, minor.outcome) == (Referral.Status.ASSESSED, "referred_elsewhere")
    shown = {i.pk: i for i in page(client, worker, meeting).context["items"]}[item.pk]
    assert shown.state == AgendaItem.State.DECIDED
    assert shown.cosignature == "Co-signed by the child-focused consultant"
    # Already decided: no third decision.
    assert decide(client, worker, item, "unfounded").status_code == 200


def test_item_returned_after_approval_goes_on_a_later_meeting(client, worker, supervisor, consultant,
                                                             partner1, minor_decided):
    meeting, item, minor = minor_decided
    assert act(client, supervisor, meeting, "approve").status_code == 302
    _cosign(client, consultant, minor, approved=False)
    content = page(client, worker, meeting).content.decode()
    assert "Returned by the child-focused consultant" in content
    assert "Put the referral on a later meeting" in content
    text = pdf_text(minutes(client, worker, meeting).content)
    assert "Refused by the child-focused consultant" in text
    # The approved meeting does not take a new decision; a later one does.
    assert decide(client, worker, item, "unfounded").status_code == 200
    later = plan_meeting(client, worker, supervisor, days=9)
    assert act(client, worker, later, "add_item", **{"item-referral": minor.pk}).status_code == 302
    assert later.items.get().referral == minor


# --------------------------------------------------------------------------- minutes and list: who may


def test_minutes_only_for_the_teams_staff(client, worker, supervisor, partner1, agenda):
    meeting = agenda[0]
    response = minutes(client, worker, meeting)  # not held yet: a message, no file
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="meeting.minutes_exported").exists()
    act(client, worker, meeting, "send")
    act(client, worker, meeting, "hold", **{"hold-present": [partner1.pk]})
    assert page(client, partner1, meeting).status_code == 200  # the partner sees the meeting...
    assert minutes(client, partner1, meeting).status_code == 404  # ...but never its minutes
    assert AuditEvent.objects.filter(action="access.denied", actor=partner1, target_id=str(meeting.pk)).exists()
    other_team = UserFactory(team=TeamFactory(name="Andet hold"), roles=["caseworker"])
    assert minutes(client, other_team, meeting).status_code == 404
    for staff in (worker, supervisor):
        response = minutes(client, staff, meeting)
        assert response.status_code == 200
        assert "Draft: the chair has not approved the minutes yet." in pdf_text(response.content)
    assert AuditEvent.objects.filter(action="meeting.minutes_exported").count() == 2


def test_meeting_list_is_one_audited_read(client, worker, partner1, agenda):
    meeting = agenda[0]
    client.force_login(worker)
    before = AuditEvent.objects.filter(action="meeting.viewed").count()
    response = client.get(reverse("meetings:list"))
    assert response.status_code == 200
    events = AuditEvent.objects.filter(action="meeting.viewed").order_by("pk")
    assert events.count() == before + 1
    assert events.last().extra["listed"] == [meeting.pk]
    client.force_login(partner1)  # not sent yet: nothing listed, still one event
    client.get(reverse("meetings:list"))
    assert AuditEvent.objects.filter(action="meeting.viewed", actor=partner1).get().extra["listed"] == []
