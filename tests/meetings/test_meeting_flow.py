"""Issue 12 acceptance, as far as this slice goes: three referrals on an agenda, two
partners record register checks, the meeting decides three different outcomes, the
flows move on (screening tasks done, a level-2 outcome opens a case, a minor's outcome
waits for and gets the consultant's co-signature), and after the minutes are approved
the partners' access ends (404, audited)."""

import pytest
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case, Decision
from caseflow.meetings import services
from caseflow.meetings.models import AgendaItem, Meeting, RegisterCheck
from caseflow.referrals.models import Referral
from tests.pdf_utils import pdf_pages, pdf_text
from workflows.flows.referral import ReferralFlow
from workflows.models import ReferralProcess

from .conftest import (
    ADULT_CPR,
    CONCERN,
    act,
    decide,
    execute,
    minutes,
    open_task,
    page,
    record_check,
    to_screening,
)

pytestmark = pytest.mark.django_db

RESTRICTED_SUMMARY = "Kendt i politiets registre for trusler (fiktivt)."
SHARED_SUMMARY = "Løsladt fra afsoning i januar (fiktivt)."


def test_meeting_end_to_end(client, worker, supervisor, consultant, partner1, partner2, agenda):
    meeting, adult_a, adult_b, minor_c = agenda
    items = {item.referral_id: item for item in meeting.items.all()}
    assert [item.order for item in meeting.items.order_by("order")] == [1, 2, 3]

    # Before the agenda is sent the partners see nothing of the meeting.
    assert page(client, partner1, meeting).status_code == 404
    assert act(client, worker, meeting, "send").status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.AGENDA_SENT

    # The partner's view: names and birth dates to search their registers, never the concern.
    response = page(client, partner1, meeting)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Anders" in content
    assert "Carl" in content
    assert adult_a.reference in content
    assert CONCERN not in content
    assert "Fiktiv Lærer" not in content
    assert reverse("referrals:detail", args=[adult_a.pk]) not in content
    assert AuditEvent.objects.filter(action="meeting.viewed", actor=partner1, target_id=str(meeting.pk)).exists()

    # Two partners record their register checks.
    assert record_check(client, partner1, items[adult_a.pk], summary=RESTRICTED_SUMMARY, legal_basis="rpl_115",
                        restricted="on").status_code == 302
    assert record_check(client, partner1, items[adult_b.pk], nothing_found="on").status_code == 302
    assert record_check(client, partner2, items[adult_a.pk], nothing_found="on").status_code == 302
    assert record_check(client, partner2, items[minor_c.pk], summary=SHARED_SUMMARY, legal_basis="other",
                        legal_basis_other="Aftale med forældremyndighedsindehaver").status_code == 302
    assert RegisterCheck.objects.count() == 4
    check = RegisterCheck.objects.get(member=partner1, item=items[adult_a.pk])
    assert check.restricted
    assert check.legal_basis == "rpl_115"
    assert check.authority == "Politiet (DKS)"
    assert AuditEvent.objects.filter(action="meeting.register_check_recorded").count() == 4

    # The other partner never sees the restricted check; the staff and its author do.
    assert RESTRICTED_SUMMARY not in page(client, partner2, meeting).content.decode()
    assert SHARED_SUMMARY in page(client, partner1, meeting).content.decode()
    assert RESTRICTED_SUMMARY in page(client, partner1, meeting).content.decode()
    assert RESTRICTED_SUMMARY in page(client, worker, meeting).content.decode()

    # The meeting is held: partner1 present, partner2 absent.
    assert act(client, worker, meeting, "hold", **{"hold-present": [partner1.pk]}).status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD
    # Partners may still record until the minutes are approved.
    assert record_check(client, partner2, items[adult_b.pk], nothing_found="on").status_code == 302

    # Three different outcomes; the screening tasks complete from the decisions.
    response = decide(client, worker, items[adult_a.pk], "case_level_2")
    assert response.status_code == 302, response.context["form"].errors
    assert decide(client, worker, items[adult_b.pk], "unfounded",
                  dissent="Politiet fandt bekymringen begrundet.").status_code == 302
    assert decide(client, worker, items[minor_c.pk], "referred_elsewhere").status_code == 302

    adult_a.refresh_from_db()
    case = Case.objects.get(person=adult_a.person)
    assert adult_a.status == Referral.Status.ASSESSED
    assert adult_a.case == case
    assert case.level == Case.Level.ANTICIPATORY
    assert case.responsible == worker
    assert ReferralProcess.objects.get(referral=adult_a).status == PROCESS.DONE
    adult_b.refresh_from_db()
    assert adult_b.status == Referral.Status.ASSESSED
    assert adult_b.outcome == "unfounded"
    assert adult_b.closed_at is not None
    assert adult_b.case is None
    for referral in (adult_a, adult_b, minor_c):
        assert Task.objects.get(process__referralprocess__referral=referral,
                                flow_task=ReferralFlow.screen).status == STATUS.DONE
    decision = adult_b.decisions.get(kind=Decision.Kind.SCREENING)
    assert decision.decided_by == worker
    assert "Pia Politi (Politiet (DKS))" in decision.members_present
    assert "Kurt" not in decision.members_present  # absent
    assert "Politiet fandt bekymringen begrundet." in decision.justification
    assert AgendaItem.objects.get(pk=items[adult_b.pk].pk).dissent == "Politiet fandt bekymringen begrundet."

    # The minor's outcome waits for the child-focused consultant's co-signature.
    minor_c.refresh_from_db()
    assert minor_c.status == Referral.Status.TO_COORDINATION_UNIT
    task = open_task(minor_c, ReferralFlow.cosign_screening)
    client.force_login(consultant)
    assert client.post(reverse("workflows:claim", args=[task.pk])).status_code == 302
    response = execute(client, consultant, open_task(minor_c, ReferralFlow.cosign_screening),
                       {"approved": "yes", "justification": "Enig."})
    assert response.status_code == 302
    minor_c.refresh_from_db()
    assert minor_c.status == Referral.Status.ASSESSED
    assert minor_c.outcome == "referred_elsewhere"

    # Only the chair approves the minutes.
    response = act(client, worker, meeting, "approve")
    assert response.status_code == 200
    assert response.context["action_error"] == services.APPROVE_NOT_CHAIR
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD
    assert page(client, partner1, meeting).status_code == 200
    assert act(client, supervisor, meeting, "approve").status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.MINUTES_APPROVED
    approved = AuditEvent.objects.get(action="meeting.minutes_approved", target_id=str(meeting.pk))
    assert set(approved.extra["partner_access_ended_for"]) == {partner1.pk, partner2.pk}

    # Partner access ends: 404 and access.denied, on the page and on the items.
    for partner in (partner1, partner2):
        assert page(client, partner, meeting).status_code == 404
        client.force_login(partner)
        assert client.get(reverse("meetings:register_check", args=[items[adult_a.pk].pk])).status_code == 404
        assert record_check(client, partner, items[adult_a.pk], nothing_found="on").status_code == 404
        assert AuditEvent.objects.filter(action="access.denied", actor=partner,
                                         target_type="meetings.meeting", target_id=str(meeting.pk)).exists()
        client.force_login(partner)
        assert client.get(reverse("meetings:list")).context["meetings"].count() == 0
    # The staff still see the approved meeting.
    assert page(client, worker, meeting).status_code == 200

    # The minutes PDF, generated from the decisions: opened as a reader would.
    response = minutes(client, worker, meeting)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    pages = pdf_pages(response.content)
    assert pages
    assert all(png.startswith(b"\x89PNG") for png, _text in pages)
    text = pdf_text(response.content)
    for label in ("Case opened at level 2", "Unfounded concern", "Referred to another service"):
        assert label in text
    for referral in (adult_a, adult_b, minor_c):
        assert referral.reference in text
    assert "Politiet fandt bekymringen begrundet." in text  # the dissent
    assert "Co-signed by the child-focused consultant" in text  # the minor's item
    assert "Pia Politi" in text
    assert "Politiet (DKS)" in text
    assert "Rådhuset, lokale 12" in text
    assert "Minutes approved by the chair" in text
    # Never the referrer, the concern, a CPR number or a check that may not be passed on.
    assert RESTRICTED_SUMMARY not in text
    assert SHARED_SUMMARY in text
    assert CONCERN not in text
    assert "Fiktiv Lærer" not in text
    assert ADULT_CPR[:6] not in text
    assert ADULT_CPR not in text
    assert AuditEvent.objects.filter(action="meeting.minutes_exported", actor=worker,
                                     target_id=str(meeting.pk)).count() == 1
    # Partners never get the minutes (404, audited).
    for partner in (partner1, partner2):
        assert minutes(client, partner, meeting).status_code == 404
    assert not AuditEvent.objects.filter(action="meeting.minutes_exported", actor__in=[partner1, partner2]).exists()


def test_decision_needs_a_held_meeting_and_a_justification(client, worker, supervisor, partner1, agenda):
    meeting, adult_a, *_ = agenda
    item = meeting.items.get(referral=adult_a)
    assert decide(client, worker, item, "unfounded").status_code == 200  # not held yet
    act(client, worker, meeting, "send")
    act(client, worker, meeting, "hold", **{"hold-present": [partner1.pk]})
    response = decide(client, worker, item, "unfounded", justification="")
    assert response.status_code == 200
    assert "justification" in response.context["form"].errors
    adult_a.refresh_from_db()
    assert adult_a.status == Referral.Status.TO_COORDINATION_UNIT
    assert not AgendaItem.objects.get(pk=item.pk).is_decided
    # The minutes cannot be approved while an item is undecided.
    assert act(client, supervisor, meeting, "approve").status_code == 200
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD


def test_screen_task_taken_by_another_caseworker_is_a_clear_error(client, worker, colleague, partner1, agenda):
    meeting, adult_a, *_ = agenda
    item = meeting.items.get(referral=adult_a)
    act(client, worker, meeting, "send")
    act(client, worker, meeting, "hold", **{"hold-present": [partner1.pk]})
    client.force_login(colleague)
    assert client.post(reverse("workflows:claim", args=[open_task(adult_a, ReferralFlow.screen).pk])
                       ).status_code == 302
    response = decide(client, worker, item, "unfounded")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    adult_a.refresh_from_db()
    assert adult_a.status == Referral.Status.TO_COORDINATION_UNIT
    assert not AuditEvent.objects.filter(action="meeting.item_decided").exists()


def test_register_check_validation(client, worker, partner1, agenda):
    meeting, adult_a, *_ = agenda
    item = meeting.items.get(referral=adult_a)
    act(client, worker, meeting, "send")
    response = record_check(client, partner1, item)  # neither nothing found nor a summary
    assert response.status_code == 200
    assert "summary" in response.context["form"].errors
    response = record_check(client, partner1, item, summary="Noget.", legal_basis="")
    assert "legal_basis" in response.context["form"].errors
    response = record_check(client, partner1, item, summary="Noget.", legal_basis="other")
    assert "legal_basis_other" in response.context["form"].errors
    assert 'role="alert"' in response.content.decode()
    assert not RegisterCheck.objects.exists()
    # Recording again replaces the partner's own check.
    assert record_check(client, partner1, item, nothing_found="on").status_code == 302
    assert record_check(client, partner1, item, summary="Noget.", legal_basis="fvl_28").status_code == 302
    check = RegisterCheck.objects.get()
    assert not check.nothing_found
    assert check.summary == "Noget."


def test_agenda_accepts_only_waiting_referrals_of_the_team(client, worker, outsider, agenda):
    meeting, adult_a, *_ = agenda
    # Already on this agenda.
    response = act(client, worker, meeting, "add_item", **{"item-referral": adult_a.pk})
    assert response.status_code == 200
    assert "referral" in response.context["item_form"].errors
    assert meeting.items.count() == 3
    # Another team's waiting referral is not offered.
    other = to_screening(client, outsider, first_name="Dorte")
    response = act(client, worker, meeting, "add_item", **{"item-referral": other.pk})
    assert response.status_code == 200
    assert "referral" in response.context["item_form"].errors
    assert not meeting.items.filter(referral=other).exists()
