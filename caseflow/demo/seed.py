"""Fictional demo data for ``make run`` (design.md §5). Every name, date and text
here is invented. Idempotent: running it again changes nothing."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from caseflow.accounts.models import Team, User
from caseflow.accounts.roles import Role
from caseflow.cases.models import Case, Consent
from caseflow.cases.services import case_bbu_contact_set
from caseflow.interventions.models import Intervention
from caseflow.interventions.services import intervention_accept, intervention_match, intervention_session_log
from caseflow.meetings import services as meetings
from caseflow.meetings.models import Meeting, RegisterCheck
from caseflow.people.models import CustodyHolder, Person
from caseflow.referrals.models import Referral
from caseflow.referrals.services import referral_register
from permissions.policy import Action
from workflows import case_services
from workflows import services as workflow
from workflows.driving import flow_task_perform
from workflows.flows.case import CaseFlow
from workflows.flows.intervention import InterventionFlow
from workflows.flows.referral import ReferralFlow
from workflows.intervention_services import intervention_consent_obtain
from workflows.models import InterventionProcess

TEAM_NAME = "Koordineringsenheden"
MEMBERS_PRESENT = "SSP, politiet (DKS), Socialforvaltningen"


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: Role | None
    superuser: bool = False
    teamless: bool = False  # a partner member belongs to their own authority, not to the unit's team


DEMO_USERS = [
    DemoUser("caseworker1", "Anne", "Demo-Sagsbehandler", Role.CASEWORKER),
    DemoUser("caseworker2", "Bo", "Demo-Sagsbehandler", Role.CASEWORKER),
    DemoUser("consultant", "Cecilie", "Demo-Konsulent", Role.CHILD_CONSULTANT),
    DemoUser("supervisor", "Dorte", "Demo-Leder", Role.SUPERVISOR),
    DemoUser("bbu1", "Erik", "Demo-BBU", Role.BBU_LIAISON),
    DemoUser("mentor1", "Faisal", "Demo-Mentor", Role.MENTOR),
    DemoUser("coach1", "Grethe", "Demo-Coach", Role.PARENT_COACH),
    DemoUser("exitmentor1", "Jens", "Demo-Exitmentor", Role.MENTOR),
    DemoUser("auditor", "Henrik", "Demo-Revisor", Role.AUDITOR),
    DemoUser("partner1", "Pernille", "Demo-Politi", Role.PARTNER_MEMBER, teamless=True),
    DemoUser("partner2", "Kasper", "Demo-Kriminalforsorg", Role.PARTNER_MEMBER, teamless=True),
    DemoUser("admin", "Ida", "Demo-Admin", None, superuser=True),
]


def _years_ago(years: int, days: int = 0) -> date:
    today = timezone.localdate()
    try:
        born = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        born = today.replace(year=today.year - years, day=28)
    return born - timedelta(days=days)


def _user(spec: DemoUser, *, team: Team, password: str) -> User:
    user, created = User.objects.get_or_create(
        username=spec.username,
        defaults={
            "first_name": spec.first_name,
            "last_name": spec.last_name,
            "email": f"{spec.username}@caseflow.invalid",
            "team": None if spec.teamless else team,
            "is_superuser": spec.superuser,
            "is_staff": spec.superuser,
        },
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    if spec.role is not None:
        user.groups.add(Group.objects.get_or_create(name=spec.role.value)[0])
    return user


def _person(first_name, last_name, birth_date, **extra) -> tuple[Person, bool]:
    existing = Person.objects.filter(first_name=first_name, last_name=last_name).first()
    if existing is not None:
        return existing, False
    return Person.objects.create(
        first_name=first_name, last_name=last_name, birth_date=birth_date, **extra
    ), True


@dataclass(frozen=True)
class DemoCase:
    """One demo case, driven from a referral through the three flows. ``days_ago`` is
    when the referral came in; the dates the services take (consents, the start of the
    intervention, its sessions) follow from it. The case's own opening date and the
    steps' timestamps are today's: the flows record when they really ran."""

    registrar: str
    screener: str
    responsible: str
    outcome: str
    referrer_type: str
    referrer_name: str
    concern_text: str
    warning_signs: tuple
    kind: str
    provider: str
    goals: str
    days_ago: int
    conversation: str
    consent_by: str = ""  # a custody holder's name (a minor), else the person consents
    partner_roles: str = ""
    sessions: tuple = ()
    case_bbu_contact: str = ""  # BBU stays involved in the case (a minor's)


def _ago(days: int) -> date:
    return timezone.localdate() - timedelta(days=days)


def _case_through_the_flows(users, team, person, spec: DemoCase) -> Case:
    """Referral → acute triage → initial assessment (a minor: BBU contact bbu1 and the
    underretning checkpoint) → screening (a minor's outcome: the consultant co-signs) →
    the case is opened and its CaseFlow runs: clarification with consent → plan with the
    intervention → signatures (consultant for a minor, supervisor for level 3) → ACTIVE,
    waiting for its review timer; the intervention's InterventionFlow: consent →
    matching → the provider accepts → running, with its sessions logged."""
    worker, screener, responsible = users[spec.registrar], users[spec.screener], users[spec.responsible]
    consultant, provider = users["consultant"], users[spec.provider]
    minor = person.is_minor_on(timezone.localdate())

    # ------------------------------------------------------------------ ReferralFlow
    referral = referral_register(
        actor=worker, team=team, channel=Referral.Channel.PHONE, referrer_type=spec.referrer_type,
        referrer_name=spec.referrer_name, concern_text=spec.concern_text, warning_signs=list(spec.warning_signs),
        person=person, received_at=timezone.now() - timedelta(days=spec.days_ago),
    )
    workflow.referral_process_start(actor=worker, referral=referral)
    workflow.referral_task_perform(
        actor=worker, referral=referral, node=ReferralFlow.acute_triage,
        perform=lambda process: workflow.referral_triage_record(
            actor=worker, referral=process.referral, police_alerted=False),
    )
    minor_fields = {}
    if minor:
        minor_fields = dict(bbu_contact=users["bbu1"], report_needed=False,
                            report_justification="Fiktiv begrundelse: ingen tegn på mistrivsel; "
                                                 "forældrene samarbejder.")
    workflow.referral_task_perform(
        actor=worker, referral=referral, node=ReferralFlow.assess,
        perform=lambda process: workflow.referral_assessment_record(
            actor=worker, process=process, outcome=workflow.AssessmentOutcome.TO_COORDINATION_UNIT, **minor_fields),
    )
    workflow.referral_task_perform(
        actor=screener, referral=referral, node=ReferralFlow.screen,
        perform=lambda process: workflow.referral_screening_record(
            actor=screener, process=process, outcome=spec.outcome, responsible=responsible,
            justification="Fiktiv begrundelse: bekymringen er konkret og kræver en koordineret indsats.",
            members_present=MEMBERS_PRESENT),
    )
    if minor:
        workflow.referral_task_perform(
            actor=consultant, referral=referral, node=ReferralFlow.cosign_screening,
            perform=lambda process: workflow.referral_screening_cosign(
                actor=consultant, process=process, approved=True,
                justification="Fiktiv begrundelse: børnefagligt forsvarligt."),
        )
    case = Referral.objects.get(pk=referral.pk).case

    # ------------------------------------------------------------------ CaseFlow
    if spec.case_bbu_contact:
        case_bbu_contact_set(actor=responsible, case=case, bbu_contact=users[spec.case_bbu_contact])
    case_process = case_services.running_process(case)
    consent_by = Consent.GivenBy.CUSTODY_HOLDER if spec.consent_by else Consent.GivenBy.SUBJECT
    flow_task_perform(
        actor=responsible, process=case_process, node=CaseFlow.clarify,
        perform=lambda process: case_services.case_clarification_record(
            actor=responsible, case=process.case, conversation=spec.conversation, consent_given_by=consent_by,
            consent_given_by_name=spec.consent_by, consent_given_on=_ago(spec.days_ago - 7)),
    )
    flow_task_perform(
        actor=responsible, process=case_process, node=CaseFlow.plan,
        perform=lambda process: case_services.case_plan_propose(
            actor=responsible, case=process.case, goals=spec.goals, interventions=[spec.kind]),
    )
    proposal = case_services.latest_proposal(case)
    if proposal.needs_co_signature:
        flow_task_perform(
            actor=consultant, process=case_process, node=CaseFlow.co_sign,
            perform=lambda process: case_services.case_proposal_sign(
                actor=consultant, proposal=proposal, role=Action.CO_SIGN, approve=True,
                justification="Fiktiv begrundelse: planen tager hensyn til barnets bedste."),
        )
    if proposal.needs_approval:
        supervisor = users["supervisor"]
        flow_task_perform(
            actor=supervisor, process=case_process, node=CaseFlow.approve,
            perform=lambda process: case_services.case_proposal_sign(
                actor=supervisor, proposal=proposal, role=Action.APPROVE, approve=True,
                justification="Fiktiv begrundelse: exitforløbet er relevant og forsvarligt."),
        )

    # ------------------------------------------------------------------ InterventionFlow
    intervention = case.interventions.get(kind=spec.kind)
    intervention_process = InterventionProcess.objects.get(intervention=intervention)
    flow_task_perform(
        actor=responsible, process=intervention_process, node=InterventionFlow.obtain_consent,
        perform=lambda process: intervention_consent_obtain(
            actor=responsible, intervention=process.intervention, given_by=consent_by,
            given_by_name=spec.consent_by, given_on=_ago(spec.days_ago - 14)),
    )
    flow_task_perform(
        actor=responsible, process=intervention_process, node=InterventionFlow.match_provider,
        perform=lambda process: intervention_match(
            actor=responsible, intervention=process.intervention, provider=provider,
            partner_roles=spec.partner_roles or None),
    )
    started_on = _ago(spec.days_ago - 21)
    flow_task_perform(
        actor=provider, process=intervention_process, node=InterventionFlow.answer_offer,
        perform=lambda process: intervention_accept(
            actor=provider, intervention=process.intervention, goals=spec.goals, started_on=started_on),
    )
    for days_after_start, minutes, topic in spec.sessions:
        intervention_session_log(actor=provider, intervention=intervention,
                                 held_on=started_on + timedelta(days=days_after_start),
                                 duration_minutes=minutes, topic=topic, note="Fiktiv note fra forløbet.")
    return Case.objects.get(pk=case.pk)


def _referral_waiting_for_screening(users, team, person, *, registrar="caseworker1",
                                    referrer_type=Referral.ReferrerType.UPPER_SECONDARY,
                                    referrer_name="Fiktiv lærer",
                                    concern_text="Fiktiv henvendelse: eleven deler voldelige memes i klassens chat.",
                                    warning_signs=(Referral.WarningSign.EXTREMIST_MEDIA,),
                                    days_ago=3) -> Referral:
    """Registered by ``registrar`` and driven through the ReferralFlow's acute triage and
    initial assessment (a minor: BBU contact and the underretning checkpoint), so it
    waits at the screening task in the team's queue."""
    worker = users[registrar]
    referral = referral_register(
        actor=worker, team=team, channel=Referral.Channel.PHONE, referrer_type=referrer_type,
        referrer_name=referrer_name, concern_text=concern_text, warning_signs=list(warning_signs), person=person,
        received_at=timezone.now() - timedelta(days=days_ago),
    )
    workflow.referral_process_start(actor=worker, referral=referral)
    workflow.referral_task_perform(
        actor=worker, referral=referral, node=ReferralFlow.acute_triage,
        perform=lambda process: workflow.referral_triage_record(
            actor=worker, referral=process.referral, police_alerted=False),
    )
    minor_fields = {}
    if person.is_minor_on(timezone.localdate()):
        minor_fields = dict(bbu_contact=users["bbu1"], report_needed=False,
                            report_justification="Fiktiv begrundelse: ingen tegn på mistrivsel; "
                                                 "forældrene samarbejder.")
    workflow.referral_task_perform(
        actor=worker, referral=referral, node=ReferralFlow.assess,
        perform=lambda process: workflow.referral_assessment_record(
            actor=worker, process=process, outcome=workflow.AssessmentOutcome.TO_COORDINATION_UNIT, **minor_fields),
    )
    return referral


DEMO_MEETING_PLACE = "Demo: Rådhuset, mødelokale 3"
PARTNER_AUTHORITIES = {"partner1": "Politiet (DKS)", "partner2": "Kriminalforsorgen"}


def _demo_meeting(users, team, referrals) -> Meeting:
    """A coordination-unit meeting in two days, chaired by the supervisor, with the two
    partner members invited, the three waiting referrals on its agenda, the agenda
    sent (the members get the e-mail that it is ready) and two register checks."""
    worker, supervisor = users["caseworker1"], users["supervisor"]
    starts_at = (timezone.localtime() + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    meeting = meetings.meeting_create(actor=worker, starts_at=starts_at, place=DEMO_MEETING_PLACE,
                                      chair=supervisor, minute_taker=worker)
    for username, authority in PARTNER_AUTHORITIES.items():
        meetings.meeting_member_invite(actor=worker, meeting=meeting, user=users[username], authority=authority)
    items = [meetings.meeting_item_add(actor=worker, meeting=meeting, referral=referral) for referral in referrals]
    meetings.meeting_agenda_send(actor=worker, meeting=meeting)
    meetings.register_check_record(
        actor=users["partner1"], item=items[0], nothing_found=False, legal_basis=RegisterCheck.LegalBasis.RPL_115,
        summary="Fiktivt: kendt fra en bekymringssamtale med politiet sidste år.", restricted=True)
    meetings.register_check_record(actor=users["partner2"], item=items[1], nothing_found=True)
    return meeting


def _referral_unfounded(users, team) -> Referral:
    """An anonymous tip, concluded "unfounded" at the flow's screening (closed)."""
    worker = users["caseworker2"]
    referral = referral_register(
        actor=worker, team=team, channel=Referral.Channel.UNIT_HOTLINE,
        referrer_type=Referral.ReferrerType.ANONYMOUS, is_anonymous=True,
        concern_text="Fiktivt anonymt tip om en person i en klub; ingen identificerbare oplysninger.",
        received_at=timezone.now() - timedelta(days=45),
    )
    workflow.referral_process_start(actor=worker, referral=referral)
    workflow.referral_task_perform(
        actor=worker, referral=referral, node=ReferralFlow.acute_triage,
        perform=lambda process: workflow.referral_triage_record(
            actor=worker, referral=process.referral, police_alerted=False),
    )
    workflow.referral_task_perform(
        actor=worker, referral=referral, node=ReferralFlow.assess,
        perform=lambda process: workflow.referral_assessment_record(
            actor=worker, process=process, outcome=workflow.AssessmentOutcome.TO_COORDINATION_UNIT),
    )
    workflow.referral_task_perform(
        actor=worker, referral=referral, node=ReferralFlow.screen,
        perform=lambda process: workflow.referral_screening_conclude(
            actor=worker, referral=process.referral, outcome=Referral.Outcome.UNFOUNDED,
            justification="Fiktiv begrundelse: ingen konkrete tegn på radikalisering.",
            members_present=MEMBERS_PRESENT),
    )
    return referral


@transaction.atomic
def seed_demo(*, password: str) -> dict:
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    team, _created = Team.objects.get_or_create(name=TEAM_NAME)
    users = {spec.username: _user(spec, team=team, password=password) for spec in DEMO_USERS}

    emil, created = _person(
        "Emil", "Demo-Jensen", _years_ago(14, 40), gender=Person.Gender.MALE, district="Nørrebro-Bispebjerg",
        school_or_workplace="Demo Skole",
    )
    if created:
        CustodyHolder.objects.create(person=emil, name="Karen Demo-Jensen", relation="mor", informed=True)
        CustodyHolder.objects.create(person=emil, name="Lars Demo-Jensen", relation="far", informed=True)
    if not Referral.objects.filter(person=emil).exists():
        _case_through_the_flows(users, team, emil, DemoCase(
            registrar="caseworker1", screener="caseworker2", responsible="caseworker1",
            outcome=Referral.Outcome.CASE_LEVEL_2, referrer_type=Referral.ReferrerType.PRIMARY_SCHOOL,
            referrer_name="Fiktiv klasselærer",
            concern_text="Fiktiv henvendelse: eleven deler voldelige ekstremistiske memes og trækker sig fra "
                         "klassen.",
            warning_signs=(Referral.WarningSign.EXTREMIST_MEDIA, Referral.WarningSign.NEW_NETWORK),
            kind=Intervention.Kind.MENTOR, provider="mentor1",
            goals="Fiktivt mål: fastholde skolegang og styrke netværk.", days_ago=60,
            conversation="Fiktiv bekymringssamtale med Emil og forældrene på skolen.",
            consent_by="Karen Demo-Jensen", case_bbu_contact="bbu1",
            sessions=((3, 60, "Første møde: interesser og skole"), (10, 90, "Fodbold og snak om venner"),
                      (24, 60, "Samtale om nettet og memes")),
        ))

    jonas, _created = _person("Jonas", "Demo-Holm", _years_ago(24, 100), gender=Person.Gender.MALE)
    if not Referral.objects.filter(person=jonas).exists():
        _case_through_the_flows(users, team, jonas, DemoCase(
            registrar="caseworker2", screener="caseworker1", responsible="caseworker2",
            outcome=Referral.Outcome.CASE_LEVEL_3, referrer_type=Referral.ReferrerType.PRISON_PROBATION,
            referrer_name="Fiktiv kriminalforsorgsmedarbejder",
            concern_text="Fiktiv henvendelse: løsladt fra afsoning, ønsker at forlade et ekstremistisk miljø.",
            warning_signs=(Referral.WarningSign.VIOLENCE, Referral.WarningSign.TOTALITARIAN_SYMBOLS),
            kind=Intervention.Kind.EXIT_PROGRAMME, provider="exitmentor1",
            goals="Fiktivt mål: bolig, uddannelse og job.", days_ago=120,
            conversation="Fiktiv samtale med Jonas om motivation for at forlade miljøet.",
            partner_roles="Fiktivt: Politiet (DKS) risikovurdering; Kriminalforsorgen tilsyn; "
                          "Jobcenteret uddannelse og job.",
            sessions=((7, 90, "Exitsamtale: netværk og sikkerhed"), (35, 60, "Boligsituation"),
                      (70, 60, "Uddannelsesmuligheder")),
        ))

    sara, created = _person("Sara", "Demo-Nielsen", _years_ago(16, 200), gender=Person.Gender.FEMALE)
    if created:
        CustodyHolder.objects.create(person=sara, name="Mette Demo-Nielsen", relation="mor", informed=True)
    if not Referral.objects.filter(person=sara).exists():
        _case_through_the_flows(users, team, sara, DemoCase(
            registrar="caseworker1", screener="caseworker2", responsible="caseworker1",
            outcome=Referral.Outcome.CASE_LEVEL_2, referrer_type=Referral.ReferrerType.PARENT_RELATIVE,
            referrer_name="Fiktiv forælder",
            concern_text="Fiktiv henvendelse: moren er bekymret for datterens nye netværk og isolation.",
            warning_signs=(Referral.WarningSign.FAMILY_ISOLATION, Referral.WarningSign.NEW_NETWORK),
            kind=Intervention.Kind.PARENT_COACH, provider="coach1",
            goals="Fiktivt mål: støtte forældrene i dialogen.", days_ago=30,
            conversation="Fiktiv bekymringssamtale med Sara og hendes mor.",
            consent_by="Mette Demo-Nielsen",
            sessions=((1, 60, "Forældresamtale: at holde dialogen åben"), (6, 45, "Opfølgning med moren")),
        ))

    mikkel, _created = _person("Mikkel", "Demo-Larsen", _years_ago(17, 10), gender=Person.Gender.MALE)
    if not Referral.objects.filter(person=mikkel).exists():
        _referral_waiting_for_screening(users, team, mikkel)

    if not Referral.objects.filter(is_anonymous=True, outcome=Referral.Outcome.UNFOUNDED).exists():
        _referral_unfounded(users, team)

    # Two more referrals waiting for the screening decision, for the meeting's agenda.
    ali, _created = _person("Ali", "Demo-Hansen", _years_ago(19, 45), gender=Person.Gender.MALE)
    if not Referral.objects.filter(person=ali).exists():
        _referral_waiting_for_screening(
            users, team, ali, registrar="caseworker2", referrer_type=Referral.ReferrerType.POLICE,
            referrer_name="Fiktiv betjent", days_ago=5,
            concern_text="Fiktiv henvendelse: har truet en tidligere klassekammerat og omtaler voldelige grupper.",
            warning_signs=(Referral.WarningSign.VIOLENCE,))
    nora, _created = _person("Nora", "Demo-Petersen", _years_ago(23, 120), gender=Person.Gender.FEMALE)
    if not Referral.objects.filter(person=nora).exists():
        _referral_waiting_for_screening(
            users, team, nora, referrer_type=Referral.ReferrerType.PARENT_RELATIVE, referrer_name="Fiktiv søster",
            days_ago=2, concern_text="Fiktiv henvendelse: søsteren er bekymret for nye venner og rejseplaner.",
            warning_signs=(Referral.WarningSign.NEW_NETWORK, Referral.WarningSign.CONFLICT_TRAVEL))

    if not Meeting.objects.filter(team=team, place=DEMO_MEETING_PLACE).exists():
        waiting = [Referral.objects.filter(person=person, status=Referral.Status.TO_COORDINATION_UNIT).first()
                   for person in (mikkel, ali, nora)]
        if all(waiting):
            _demo_meeting(users, team, waiting)

    return {
        "users": len(users),
        "cases": Case.objects.filter(team=team).count(),
        "referrals": Referral.objects.filter(team=team).count(),
        "interventions": Intervention.objects.filter(case__team=team).count(),
        "meetings": Meeting.objects.filter(team=team).count(),
    }
