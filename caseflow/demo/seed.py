"""Fictional demo data for ``make run`` (design.md §5). Every name, date and text
here is invented. Idempotent: running it again changes nothing."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from caseflow.accounts.models import Team, User
from caseflow.accounts.roles import Role
from caseflow.cases.models import Case
from caseflow.cases.services import case_bbu_contact_set, case_open
from caseflow.interventions.models import Intervention
from caseflow.interventions.services import intervention_propose, intervention_start
from caseflow.people.models import CustodyHolder, Person
from caseflow.referrals.models import Referral
from caseflow.referrals.services import referral_register
from workflows import services as workflow
from workflows.flows.referral import ReferralFlow

TEAM_NAME = "Koordineringsenheden"


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: Role | None
    superuser: bool = False


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
            "team": team,
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


def _case_with_intervention(*, actor, team, person, level, responsible, kind, provider, goals, days_ago,
                            bbu_contact=None):
    if Case.objects.filter(person=person).exists():
        return
    opened_at = timezone.now() - timedelta(days=days_ago)
    case = case_open(
        actor=actor, person=person, team=team, level=level, responsible=responsible, opened_at=opened_at
    )
    if bbu_contact is not None:
        case_bbu_contact_set(actor=responsible, case=case, bbu_contact=bbu_contact)
    intervention = intervention_propose(actor=responsible, case=case, kind=kind, provider=provider, goals=goals)
    intervention_start(
        actor=responsible, intervention=intervention, started_on=timezone.localdate() - timedelta(days=days_ago - 14)
    )
    Case.objects.filter(pk=case.pk).update(status=Case.Status.ACTIVE)


def _referral_waiting_for_screening(users, team, person) -> Referral:
    """Registered by caseworker1 and driven through the ReferralFlow's acute triage and
    initial assessment (a minor: BBU contact and the underretning checkpoint), so it
    waits at the screening task in the team's queue."""
    worker = users["caseworker1"]
    referral = referral_register(
        actor=worker, team=team, channel=Referral.Channel.PHONE,
        referrer_type=Referral.ReferrerType.UPPER_SECONDARY, referrer_name="Fiktiv lærer",
        concern_text="Fiktiv henvendelse: eleven deler voldelige memes i klassens chat.",
        warning_signs=[Referral.WarningSign.EXTREMIST_MEDIA], person=person,
        received_at=timezone.now() - timedelta(days=3),
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
            actor=worker, process=process, outcome=workflow.AssessmentOutcome.TO_COORDINATION_UNIT,
            bbu_contact=users["bbu1"], report_needed=False,
            report_justification="Fiktiv begrundelse: ingen tegn på mistrivsel; forældrene samarbejder."),
    )
    return referral


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
            members_present="SSP, politiet (DKS), Socialforvaltningen"),
    )
    return referral


@transaction.atomic
def seed_demo(*, password: str) -> dict:
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    team, _created = Team.objects.get_or_create(name=TEAM_NAME)
    users = {spec.username: _user(spec, team=team, password=password) for spec in DEMO_USERS}
    supervisor = users["supervisor"]

    emil, created = _person(
        "Emil", "Demo-Jensen", _years_ago(14, 40), gender=Person.Gender.MALE, district="Nørrebro-Bispebjerg",
        school_or_workplace="Demo Skole",
    )
    if created:
        CustodyHolder.objects.create(person=emil, name="Karen Demo-Jensen", relation="mor", informed=True)
        CustodyHolder.objects.create(person=emil, name="Lars Demo-Jensen", relation="far", informed=True)
    _case_with_intervention(
        actor=supervisor, team=team, person=emil, level=Case.Level.ANTICIPATORY, responsible=users["caseworker1"],
        kind=Intervention.Kind.MENTOR, provider=users["mentor1"],
        goals="Fiktivt mål: fastholde skolegang og styrke netværk.", days_ago=60, bbu_contact=users["bbu1"],
    )

    jonas, _created = _person("Jonas", "Demo-Holm", _years_ago(24, 100), gender=Person.Gender.MALE)
    _case_with_intervention(
        actor=supervisor, team=team, person=jonas, level=Case.Level.INTERVENING, responsible=users["caseworker2"],
        kind=Intervention.Kind.EXIT_PROGRAMME, provider=users["exitmentor1"],
        goals="Fiktivt mål: bolig, uddannelse og job.", days_ago=120,
    )

    sara, created = _person("Sara", "Demo-Nielsen", _years_ago(16, 200), gender=Person.Gender.FEMALE)
    if created:
        CustodyHolder.objects.create(person=sara, name="Mette Demo-Nielsen", relation="mor", informed=True)
    _case_with_intervention(
        actor=supervisor, team=team, person=sara, level=Case.Level.ANTICIPATORY, responsible=users["caseworker1"],
        kind=Intervention.Kind.PARENT_COACH, provider=users["coach1"],
        goals="Fiktivt mål: støtte forældrene i dialogen.", days_ago=30,
    )

    mikkel, _created = _person("Mikkel", "Demo-Larsen", _years_ago(17, 10), gender=Person.Gender.MALE)
    if not Referral.objects.filter(person=mikkel).exists():
        _referral_waiting_for_screening(users, team, mikkel)

    if not Referral.objects.filter(is_anonymous=True, outcome=Referral.Outcome.UNFOUNDED).exists():
        _referral_unfounded(users, team)

    return {
        "users": len(users),
        "cases": Case.objects.filter(team=team).count(),
        "referrals": Referral.objects.filter(team=team).count(),
    }
