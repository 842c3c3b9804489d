"""Issue 7 acceptance in a real browser, in Danish: a school's concern about a
15-year-old goes from the registration form through the referral's tasks, the
consultant's co-signatures, the case's clarification and plan, to the mentor's
accepted intervention and first session — every step through the pages, by labels
and buttons. The mentor then sees their intervention and nothing else."""

import datetime

import pytest
from django.utils import timezone

from caseflow.cases.models import Case, Consent
from caseflow.interventions.models import Intervention, InterventionSession
from caseflow.referrals.models import Referral
from tests.browser.conftest import screenshot, sign_in
from tests.factories import CaseFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

GOALS = "Fiktivt mål: fast skolegang og en fritidsaktivitet."
DONE = "Opgaven er udført."
COMPLETE = "Afslut opgaven"


# --------------------------------------------------------------------------- page helpers


def assert_danish(page):
    assert page.locator("html").get_attribute("lang") == "da"


def go(page, url):
    response = page.goto(url)
    assert response.status == 200, f"{url}: {response.status}"
    assert_danish(page)
    return response


def submit(page, button_name, expect_text=None):
    """Click a submit button and wait for the next page (a redirect after a POST)."""
    with page.expect_navigation():
        page.get_by_role("button", name=button_name, exact=True).click()
    page.wait_for_load_state("domcontentloaded")
    assert_danish(page)
    errors = page.locator("[role=alert], .errorlist")
    assert errors.count() == 0, f"form refused on {page.url}: {errors.all_inner_texts()}"
    if expect_text:
        assert expect_text in page.content(), f"{expect_text!r} missing on {page.url}"


def open_from_inbox(page, title):
    """/tasks/: open the task titled ``title`` (assigned to the signed-in user)."""
    go(page, "/tasks/")
    row = page.get_by_role("row").filter(has_text=title)
    assert row.count() == 1, f"{title!r} is not once in the inbox: {page.locator('main').inner_text()}"
    with page.expect_navigation():
        row.get_by_role("link", name="Åben", exact=True).click()
    assert_danish(page)
    assert "/workflows/" in page.url


def take_from_queue(page, title):
    """/tasks/queue/: take the unassigned task titled ``title``; lands on its page."""
    go(page, "/tasks/queue/")
    row = page.get_by_role("row").filter(has_text=title)
    assert row.count() == 1, f"{title!r} is not once in the queue: {page.locator('main').inner_text()}"
    with page.expect_navigation():
        row.get_by_role("button", name="Tag opgaven", exact=True).click()
    assert_danish(page)
    assert "Opgaven er din." in page.content()
    assert "/workflows/" in page.url


def radio(page, name, value):
    page.locator(f"input[type=radio][name={name}][value={value}]").check()


def field(page, label):
    return page.get_by_label(label, exact=True)


# --------------------------------------------------------------------------- the journey


def test_caseworker_journey_from_referral_to_the_mentors_first_session(new_page):
    team = TeamFactory(name="Koordineringsenheden")
    worker = UserFactory(username="karin", first_name="Karin", last_name="Sagsbehandler", team=team,
                         roles=["caseworker"])
    colleague = UserFactory(username="kollega", first_name="Kim", last_name="Kollega", team=team,
                            roles=["caseworker"])
    consultant = UserFactory(username="konsulent", first_name="Bente", last_name="Børnefaglig", team=None,
                             roles=["child_consultant"])
    UserFactory(username="leder", first_name="Lise", last_name="Leder", team=team, roles=["supervisor"])
    UserFactory(username="bbu", first_name="Bo", last_name="BBU", team=None, roles=["bbu_liaison"])
    mentor = UserFactory(username="mentor1", first_name="Mads", last_name="Mentor", team=team, roles=["mentor"])
    other_case = CaseFactory(team=team, responsible=colleague)

    today = timezone.localdate()
    born = today.replace(year=today.year - 15) - datetime.timedelta(days=40)

    # ------------------------------------------------------------ the caseworker registers the referral
    page = new_page()
    sign_in(page, worker.username)
    go(page, "/referrals/new/")
    received = (timezone.localtime() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    field(page, "Modtaget").fill(received)
    field(page, "Kanal").select_option("phone")
    field(page, "Hastegrad").select_option("normal")
    field(page, "Bekymring").fill("Eleven deler voldelige ekstremistiske memes i klassens chat.")
    page.locator("input[name=warning_signs][value=extremist_media]").check()
    field(page, "Henvendertype").select_option("primary_school")
    field(page, "Henvenders navn").fill("Fiktiv Lærer")
    field(page, "Henvenders kontaktoplysninger").fill("skole@example.invalid")
    field(page, "Fornavn").fill("Emil")
    field(page, "Efternavn").fill("Fiktivsen")
    field(page, "Fødselsdato").fill(born.isoformat())
    submit(page, "Registrér henvendelse")
    referral = Referral.objects.get()
    assert referral.reference in page.content()
    assert referral.person.is_minor_on(today)

    # acute triage and the initial assessment from the inbox (BBU contact, underretning)
    open_from_inbox(page, "Akut triage")
    radio(page, "police_alerted", "no")
    submit(page, COMPLETE, DONE)
    open_from_inbox(page, "Indledende vurdering")
    radio(page, "outcome", "to_coordination_unit")
    field(page, "BBU-kontaktperson").select_option(label="Bo BBU")
    radio(page, "report_needed", "yes")
    field(page, "Begrundelse for vurderingen af underretning").fill(
        "Deler voldelige memes; kan have brug for særlig støtte.")
    submit(page, COMPLETE, DONE)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.TO_COORDINATION_UNIT

    # ------------------------------------------------------------ the colleague screens: level 2
    colleague_page = new_page()
    sign_in(colleague_page, colleague.username)
    take_from_queue(colleague_page, "Vurdering i Koordineringsenheden")
    radio(colleague_page, "outcome", "case_level_2")
    field(colleague_page, "Begrundelse").fill("Drøftet i enheden; niveau 2.")
    field(colleague_page, "Fremmødte medlemmer").fill("Karin, Kim og Lise")
    field(colleague_page, "Sagsansvarlig").select_option(label="Karin Sagsbehandler")
    submit(colleague_page, COMPLETE, DONE)
    assert not Case.objects.filter(person=referral.person).exists()  # waits for the co-signature

    # ------------------------------------------------------------ the consultant co-signs; the case opens
    consultant_page = new_page()
    sign_in(consultant_page, consultant.username)
    take_from_queue(consultant_page, "Medunderskrift på screening af en mindreårig")
    radio(consultant_page, "approved", "yes")
    field(consultant_page, "Begrundelse").fill("Børnefagligt forsvarligt.")
    submit(consultant_page, COMPLETE, DONE)
    case = Case.objects.get(person=referral.person)
    assert (case.level, case.is_minor, case.responsible) == (Case.Level.ANTICIPATORY, True, worker)

    # ------------------------------------------------------------ clarification and plan
    open_from_inbox(page, "Udredning")
    field(page, "Bekymringssamtalen").fill("Samtale med Emil og forældrene.")
    field(page, "Samtykke til sagsarbejdet givet af").select_option("custody_holder")
    field(page, "Forældremyndighedsindehaverens navn").fill("Fiktiv Forælder")
    field(page, "Samtykke givet den").fill(today.isoformat())
    submit(page, COMPLETE, DONE)
    assert Consent.objects.get(case=case, scope=Consent.Scope.CASE_WORK).given_by == Consent.GivenBy.CUSTODY_HOLDER
    open_from_inbox(page, "Indsatsplan")
    field(page, "Mål").fill(GOALS)
    page.locator("input[name=interventions][value=mentor]").check()
    submit(page, COMPLETE, DONE)

    take_from_queue(consultant_page, "Medunderskrift fra børnefaglig konsulent")
    radio(consultant_page, "decision", "yes")
    field(consultant_page, "Begrundelse").fill("Planen er børnefagligt god.")
    submit(consultant_page, COMPLETE, DONE)
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE
    intervention = case.interventions.get()

    # ------------------------------------------------------------ consent to the intervention, matching
    open_from_inbox(page, "Samtykke til indsatsen")
    radio(page, "given_by", "custody_holder")
    field(page, "Forældremyndighedsindehaverens navn").fill("Fiktiv Forælder")
    # The date field comes filled with today (ISO in the input, shown in Danish by the browser).
    assert field(page, "Givet den").input_value() == today.isoformat()
    submit(page, COMPLETE, DONE)
    open_from_inbox(page, "Vælg en udfører")
    field(page, "Udfører").select_option(label="Mads Mentor")
    submit(page, COMPLETE, DONE)
    intervention.refresh_from_db()
    assert intervention.provider == mentor

    # ------------------------------------------------------------ mentor1 accepts and logs a session
    mentor_page = new_page()
    sign_in(mentor_page, mentor.username)
    open_from_inbox(mentor_page, "Accepter eller afvis indsatsen")
    assert case.reference not in mentor_page.content()
    radio(mentor_page, "answer", "accept")
    field(mentor_page, "Opstartsmøde holdt den").fill(today.isoformat())
    submit(mentor_page, COMPLETE, DONE)
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.ACTIVE

    go(mentor_page, f"/interventions/{intervention.pk}/")
    field(mentor_page, "Dato").fill(today.isoformat())
    field(mentor_page, "Varighed (minutter)").fill("60")
    field(mentor_page, "Emne").fill("Skole og fritid")
    field(mentor_page, "Kort note").fill("Kort fiktiv note.")
    submit(mentor_page, "Registrér mødet", "Mødet er registreret.")
    assert "Skole og fritid" in mentor_page.locator("main").inner_text()
    assert InterventionSession.objects.get(intervention=intervention).logged_by == mentor
    screenshot(mentor_page, "mentor-intervention")

    # ... and sees nothing else
    for url in (f"/cases/{case.pk}/", f"/cases/{other_case.pk}/"):
        response = mentor_page.goto(url)
        assert response.status == 404, url
        assert case.reference not in mentor_page.content()
    response = mentor_page.goto("/cases/")
    if response.status == 200:
        listing = mentor_page.locator("main").inner_text()
        assert case.reference not in listing
        assert other_case.reference not in listing
        assert mentor_page.locator("main table tbody tr").count() == 0
    else:
        assert response.status in (403, 404)
    go(mentor_page, "/tasks/")
    assert mentor_page.locator("main table tbody tr").count() == 0
    assert "Du har ingen åbne opgaver." in mentor_page.content()
    go(mentor_page, "/tasks/queue/")
    assert mentor_page.locator("main table tbody tr").count() == 0

    # ------------------------------------------------------------ the caseworker's view at the end
    go(page, f"/cases/{case.pk}/")
    assert page.locator("h1").first.inner_text().startswith(case.reference)
    assert screenshot(page, "case-page").stat().st_size > 1000
    go(page, "/dashboard/")
    assert case.reference in page.locator("#my-cases").inner_text()
    assert page.locator("#my-tasks").get_by_text("Igangværende indsats").count() >= 1
    assert screenshot(page, "dashboard").stat().st_size > 1000
