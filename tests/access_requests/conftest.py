"""A person with a case and a referral of the team, the file's material, and the
roles the access rules are about. All data fictional."""

import datetime
import hashlib

import pytest
from django.utils import timezone

from caseflow.cases.models import Consent
from caseflow.cases.selectors import case_get_for
from caseflow.cases.services import decision_record
from caseflow.documents.models import Document
from caseflow.journal.services import journal_note_create
from caseflow.people.services import person_identify
from permissions.models import GrantKind
from tests.factories import CaseFactory, InterventionFactory, ReferralFactory, UserFactory, grant

CPR = "0101901234"  # fictional; 1 January 1990
REFERRER_NAME = "Hanne Referentsen"
REFERRER_EMAIL = "hanne.referentsen@skole.example.invalid"
REFERRER_PHONE = "22 33 44 55"
CONCERN = "Fiktiv bekymring: deler voldelige memes i klassen."
ORDINARY_NOTE = "Fiktiv samtale med Anders om skolen og fritiden."
QUOTING_NOTE = f"Fiktivt opkald: {REFERRER_NAME} ({REFERRER_PHONE}) fortalte om nye venner."
RESTRICTED_NOTE = "Fortrolige politioplysninger (fiktive) om netværket."
JUSTIFICATION = "Fiktiv begrundelse: bekymringen er begrundet."


@pytest.fixture
def person(worker):
    return person_identify(actor=worker, cpr=CPR, first_name="Anders", last_name="Fiktivsen")


@pytest.fixture
def case(team, worker, person):
    return CaseFactory(team=team, responsible=worker, person=person)


@pytest.fixture
def referral(team, worker, person, case):
    return ReferralFactory(team=team, person=person, case=case, registered_by=worker, concern_text=CONCERN,
                           referrer_name=REFERRER_NAME, referrer_contact=f"{REFERRER_EMAIL}, {REFERRER_PHONE}",
                           received_at=timezone.now() - datetime.timedelta(days=30))


@pytest.fixture
def material(worker, case, referral):
    """Decisions, notes (one tagged "må ikke videregives"), a document, a consent, an
    intervention, and one look-up of the case (the case page, purpose case work)."""
    event_at = timezone.now() - datetime.timedelta(days=3)
    decision = decision_record(actor=worker, kind="screening", justification=JUSTIFICATION, case=case,
                               referral=referral, outcome="case_level_2")
    ordinary = journal_note_create(actor=worker, case=case, text=ORDINARY_NOTE, event_at=event_at,
                                   source_authority="coordination_unit", final=True)
    quoting = journal_note_create(actor=worker, case=case, text=QUOTING_NOTE, event_at=event_at,
                                  source_authority="school", final=True)
    restricted = journal_note_create(actor=worker, case=case, text=RESTRICTED_NOTE, event_at=event_at,
                                     source_authority="police", restricted=True, final=True)
    draft = journal_note_create(actor=worker, case=case, text="Fiktiv kladde.", event_at=event_at,
                                source_authority="coordination_unit")
    document = Document.objects.create(
        case=case, subject="Fiktivt skoleudtalelse", received_from=REFERRER_NAME, file="documents/x/fiktiv",
        original_name="udtalelse.pdf", content_type="application/pdf", size=123,
        sha256=hashlib.sha256(b"fiktiv").hexdigest(), uploaded_by=worker)
    consent = Consent.objects.create(case=case, scope="case_work", given_by="subject",
                                     given_on=timezone.localdate(), recorded_by=worker)
    intervention = InterventionFactory(case=case, goals="Fiktivt mål: fast fritidsjob.")
    case_get_for(actor=worker, case_id=case.pk)
    return {"decision": decision, "ordinary": ordinary, "quoting": quoting, "restricted": restricted,
            "draft": draft, "document": document, "consent": consent, "intervention": intervention}


@pytest.fixture
def colleague(team):
    """Another caseworker of the team with no relation to the person's case: never sees
    the request or its file (issue 20 point 1)."""
    return UserFactory(team=team, roles=["caseworker"])


@pytest.fixture
def co_worker(team, case):
    """A caseworker of the team who works on the person's case: reads the team's
    requests about the person, does not handle them."""
    user = UserFactory(team=team, roles=["caseworker"])
    grant(case, user, GrantKind.CO_WORKER)
    return user


@pytest.fixture
def others(team, case):
    """Roles that never see access requests."""
    bbu = UserFactory(team=None, roles=["bbu_liaison"])
    grant(case, bbu, GrantKind.BBU)
    mentor = UserFactory(team=team, roles=["mentor"])
    auditor = UserFactory(team=None, roles=["auditor"])
    partner = UserFactory(team=None, roles=["partner_member"])
    return {"bbu": bbu, "mentor": mentor, "auditor": auditor, "partner": partner}
