"""Fixtures of the retention tests: whole case graphs (through the services where they
exist, so processes, tasks, grants and audit events are real), unfounded concerns, and
a temporary MEDIA_ROOT. All data fictional."""

import datetime
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from caseflow.cases.consents import consent_record
from caseflow.cases.disclosures import disclosure_record
from caseflow.cases.models import Case, CaseProposal, Consent
from caseflow.cases.services import case_close, case_open
from caseflow.documents.services import document_upload
from caseflow.interventions.models import Intervention, InterventionReview, InterventionSession
from caseflow.interventions.services import intervention_propose
from caseflow.journal.models import JournalNote
from caseflow.journal.services import journal_note_correct, journal_note_create
from caseflow.meetings.models import AgendaItem, Meeting, MeetingMember, RegisterCheck
from caseflow.people.models import CustodyHolder
from caseflow.referrals.models import Referral
from caseflow.referrals.services import referral_case_link, referral_register, referral_screen
from permissions.models import BreakGlassAccess, GrantKind
from permissions.services import access_grant, case_access_grant
from tests.factories import PersonFactory, UserFactory
from workflows.case_services import case_clarification_record, case_process_start
from workflows.intervention_services import intervention_process_start
from workflows.models import DeadlineBreach
from workflows.services import referral_process_start

ADULT = datetime.date(1990, 5, 4)
CHILD = datetime.date(2012, 3, 1)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

#: Fictional personal data planted in every graph, looked for afterwards.
SECRET_NAME = "Fiktivsen"
SECRET_TEXT = "Hemmelig fiktiv bekymringstekst"


@pytest.fixture
def media_root(settings, tmp_path):
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def heads_path(settings, tmp_path):
    settings.CASEFLOW_AUDIT_HEAD_EXPORT_PATH = tmp_path / "audit-heads.jsonl"
    return settings.CASEFLOW_AUDIT_HEAD_EXPORT_PATH


@dataclass
class Graph:
    case: Case
    referral: Referral
    person_id: int
    document_files: list


@pytest.fixture
def mentor(team):
    return UserFactory(team=team, roles=["mentor"])


@pytest.fixture
def partner():
    return UserFactory(team=None, roles=["partner_member"])


@pytest.fixture
def build_case(team, worker, supervisor, mentor, partner, outsider, media_root):
    """``build_case(birth_date=..., closed=True)``: a referral screened into a case with
    its whole graph: ReferralFlow, CaseFlow and InterventionFlow processes and tasks,
    decisions, consents, a disclosure, a plan proposal, interventions with a session and
    a review and a provider grant, final journal notes with a correction, a document
    (file on disk), emergency access, a meeting agenda item with a register check, a
    deadline breach, custody holders; then closed by the caseworker."""

    def build(*, birth_date=ADULT, closed=True, person=None) -> Graph:
        person = person or PersonFactory(first_name="Fiktiv", last_name=SECRET_NAME, birth_date=birth_date,
                                         address="Fiktivvej 1")
        CustodyHolder.objects.create(person=person, name="Fiktiv Forælder", contact="fiktiv@example.invalid")
        referral = referral_register(actor=worker, team=team, channel=Referral.Channel.PHONE,
                                     referrer_type=Referral.ReferrerType.PRIMARY_SCHOOL, concern_text=SECRET_TEXT,
                                     person=person, referrer_name="Fiktiv Lærer", referrer_contact="12345678",
                                     warning_signs=["extremist_media"])
        referral_process_start(actor=worker, referral=referral)
        meeting = Meeting.objects.create(team=team, starts_at=timezone.now(), place="Rådhuset", chair=supervisor,
                                         minute_taker=worker, created_by=worker)
        MeetingMember.objects.create(meeting=meeting, user=partner, authority="Politiet")
        item = AgendaItem.objects.create(meeting=meeting, referral=referral, order=1, justification=SECRET_TEXT)
        RegisterCheck.objects.create(item=item, member=partner, authority="Politiet", summary=SECRET_TEXT,
                                     recorded_at=timezone.now())
        referral_screen(actor=worker, referral=referral, outcome=Referral.Outcome.CASE_LEVEL_2,
                        justification=SECRET_TEXT)
        case = case_open(actor=worker, person=person, team=team, level=Case.Level.ANTICIPATORY, responsible=worker)
        referral_case_link(actor=worker, referral=referral, case=case)
        case_process_start(actor=worker, case=case)
        case_clarification_record(actor=worker, case=case, conversation=SECRET_TEXT,
                                  consent_given_by=Consent.GivenBy.SUBJECT, consent_given_on=timezone.localdate())
        CaseProposal.objects.create(case=case, kind=CaseProposal.Kind.PLAN, goals=SECRET_TEXT, proposed_by=worker)
        intervention = intervention_propose(actor=worker, case=case, kind=Intervention.Kind.MENTOR,
                                            goals=SECRET_TEXT)
        intervention_process_start(actor=worker, intervention=intervention)
        access_grant(actor=worker, obj=intervention, kind=GrantKind.PROVIDER, user=mentor)
        InterventionSession.objects.create(intervention=intervention, held_on=timezone.localdate(),
                                           duration_minutes=60, topic="Skole", note=SECRET_TEXT, logged_by=mentor)
        InterventionReview.objects.create(intervention=intervention, goals_status="partly", outcome="continue",
                                          note=SECRET_TEXT, reviewed_by=worker)
        sharing = consent_record(actor=worker, case=case, scope=Consent.Scope.SHARING, given_by=Consent.GivenBy.SUBJECT,
                                 recipient="Jobcentret", given_on=timezone.localdate())
        disclosure_record(actor=worker, case=case, recipient="Jobcentret", data=SECRET_TEXT, legal_basis="consent",
                          justification=SECRET_TEXT, consent=sharing)
        note = journal_note_create(actor=worker, case=case, text=SECRET_TEXT, event_at=timezone.now(),
                                   source_authority=JournalNote.SourceAuthority.COORDINATION_UNIT, final=True)
        journal_note_correct(actor=worker, note=note, text=SECRET_TEXT + " (rettet)")
        journal_note_create(actor=worker, case=case, text=SECRET_TEXT, event_at=timezone.now(),
                            source_authority=JournalNote.SourceAuthority.SCHOOL, intervention=intervention)
        document = document_upload(actor=worker, case=case, subject="Referat",
                                   uploaded_file=SimpleUploadedFile("referat.pdf", PDF, "application/pdf"))
        now = timezone.now()
        access = BreakGlassAccess.objects.create(case=case, user=outsider, reason=SECRET_TEXT, opened_at=now,
                                                 expires_at=now + datetime.timedelta(hours=2))
        case_access_grant(actor=outsider, case=case, kind=GrantKind.BREAK_GLASS, user=outsider,
                          reason=f"break-glass #{access.pk}", valid_until=access.expires_at)
        from viewflow.workflow.models import Task

        task = Task.objects.filter(process__caseprocess__case=case).first()
        DeadlineBreach.objects.create(task=task, process_id=task.process_id, team=team, case=case,
                                      deadline="clarification", due_at=now)
        if closed:
            case_close(actor=worker, case=case, reason=Case.ClosureReason.GOALS_MET, justification=SECRET_TEXT)
        return Graph(case=Case.objects.get(pk=case.pk), referral=Referral.objects.get(pk=referral.pk),
                     person_id=person.pk, document_files=[document.file.name])

    return build


@pytest.fixture
def build_unfounded(team, worker):
    """``build_unfounded(birth_date=..., shelved=False)``: a concern about a person,
    screened unfounded (or shelved for too little information) and so closed now."""

    def build(*, birth_date=ADULT, shelved=False, person=None) -> Referral:
        person = person or PersonFactory(first_name="Fiktiv", last_name=SECRET_NAME, birth_date=birth_date)
        CustodyHolder.objects.create(person=person, name="Fiktiv Forælder")
        referral = referral_register(actor=worker, team=team, channel=Referral.Channel.EMAIL,
                                     referrer_type=Referral.ReferrerType.PARENT_RELATIVE, concern_text=SECRET_TEXT,
                                     person=person, referrer_name="Fiktiv Mor", referrer_contact="fiktiv@example.invalid",
                                     warning_signs=["family_isolation", "violence"],
                                     urgency=Referral.Urgency.HIGH)
        referral_process_start(actor=worker, referral=referral)
        if shelved:
            from caseflow.referrals.services import referral_status_set

            referral_status_set(actor=worker, referral=referral, status=Referral.Status.SHELVED)
        else:
            referral_screen(actor=worker, referral=referral, outcome=Referral.Outcome.UNFOUNDED,
                            justification=SECRET_TEXT, members_present="Fiktiv Medlem")
        return Referral.objects.get(pk=referral.pk)

    return build
