"""The Danish page walk (issue 7 acceptance): the main pages, rendered in Danish for the
users who use them, show no English source string of the catalogue. Every entry of
locale/da/LC_MESSAGES/django.po whose msgstr differs from its msgid and whose msgid has
at least two words is looked for (as whole words) in each page's visible text; the
failure lists every string found and the page it was found on."""

import datetime
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS
from viewflow.workflow.timers import fire_due_timers

from caseflow.cases.models import Case
from caseflow.documents.services import document_upload
from caseflow.journal.models import JournalNote
from caseflow.journal.services import journal_note_create
from caseflow.referrals.models import Referral
from permissions.models import GrantKind
from tests.factories import CaseFactory, PersonFactory, ReferralFactory, TeamFactory, UserFactory, grant
from workflows.case_services import case_process_start
from workflows.flows.case import CaseFlow
from workflows.flows.intervention import InterventionFlow
from workflows.flows.referral import ReferralFlow
from workflows.models import DeadlineBreach
from workflows.services import referral_process_start

pytestmark = pytest.mark.django_db

CATALOGUE = Path(__file__).resolve().parents[1] / "locale" / "da" / "LC_MESSAGES" / "django.po"
DA = {"HTTP_ACCEPT_LANGUAGE": "da"}
OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
#: Stored data, not a UI string, that happens to equal a catalogue msgid (by page-name
#: prefix). Purposes are codes shown through their labels, so none is known today.
RECORDED_DATA: dict[str, set[str]] = {}
#: Attributes a user reads (or hears, with a screen reader).
VISIBLE_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")


# --------------------------------------------------------------------------- the catalogue and the check


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def english_sources() -> list[tuple[str, re.Pattern, str]]:
    """The catalogue's English strings that must not show on a Danish page: translated
    (or waiting for a translation) to something else, and at least two words long.
    Each with its state, to tell a stale compiled catalogue from a missing translation."""
    sources = []
    for entry in polib.pofile(str(CATALOGUE)):
        if entry.obsolete:
            continue
        translated = entry.msgstr or (entry.msgstr_plural or {}).get(0, "")
        state = "fuzzy in django.po" if entry.fuzzy else (
            "translated in django.po (django.mo not compiled?)" if translated else "not translated yet")
        for msgid in filter(None, (entry.msgid, entry.msgid_plural)):
            text = _normalise(msgid)
            if text == _normalise(translated) or len(text.split()) < 2:
                continue
            # Placeholders are filled in at render time: a placeholder stands for one word.
            parts = [re.escape(part) for part in re.split(r"%\(\w+\)[sd]|\{\{\s*\w+\s*\}\}|%[sd]", text)]
            pattern = r"\w+".join(parts).replace(r"\ ", r"\s+")
            # Whole words only; "cases.case" (a stored type name) is not the word "cases", nor
            # is "task:workflows..." (a task's request id in the audit log) the word "task".
            sources.append((text, re.compile(r"(?<![\w.:])" + pattern + r"(?![\w.:])"), state))
    return sources


class _TextExtractor(HTMLParser):
    """The visible text of a page: text nodes outside <script>/<style>, plus the
    attributes people read."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(content: str) -> str:
    parser = _TextExtractor()
    parser.feed(content)
    parser.close()
    return _normalise(html.unescape(" ".join(parts for parts in parser.parts)))


class PageWalk:
    """Collects pages as the given users see them (GET, or a POST that re-renders a form)."""

    def __init__(self, client):
        self.client = client
        self.pages: dict[str, str] = {}

    def _keep(self, name, response):
        content = response.content.decode()
        assert 'lang="da"' in content, f"{name}: not rendered in Danish"
        self.pages[name] = visible_text(content)
        return response

    def get(self, name, user, url, **params):
        self.client.force_login(user)
        response = self.client.get(url, params, **DA)
        assert response.status_code == 200, f"{name} ({url}) as {user}: {response.status_code}"
        return self._keep(name, response)

    def post_invalid(self, name, user, url, data, summary=True):
        """A POST the page refuses: the form comes back with its errors in Danish."""
        self.client.force_login(user)
        response = self.client.post(url, data, **DA)
        assert response.status_code in (200, 400), f"{name} ({url}): {response.status_code}"
        assert 'class="errorlist"' in response.content.decode(), f"{name}: no error next to the field"
        if summary:
            assert 'role="alert"' in response.content.decode(), f"{name}: no error summary"
        return self._keep(name, response)

    def assert_no_english(self):
        assert self.pages, "no page was walked"
        hits = []
        for text, pattern, state in english_sources():
            for name, page in self.pages.items():
                if any(name.startswith(prefix) and text in known for prefix, known in RECORDED_DATA.items()):
                    continue
                found = pattern.search(page)
                if found:
                    context = page[max(found.start() - 60, 0):found.end() + 60]
                    hits.append(f"{name}: {text!r} ({state}) in “…{context}…”")
        assert not hits, "English source strings on Danish pages:\n" + "\n".join(sorted(hits))


def test_the_check_finds_english_and_passes_danish():
    """The checker itself: an English catalogue string is found as whole words, its
    Danish translation is not, nor a Danish word that merely contains it."""
    sources = {text for text, _pattern, _state in english_sources()}
    assert "Complete the task" in sources
    walk = PageWalk(client=None)
    walk.pages["english"] = visible_text('<html lang="da"><button>Complete the task</button></html>')
    with pytest.raises(AssertionError, match="english: 'Complete the task'"):
        walk.assert_no_english()
    walk.pages = {"danish": visible_text(
        '<html lang="da"><button title="Afslut opgaven">Afslut opgaven</button>'
        '<script>var s = "Complete the task";</script></html>')}
    walk.assert_no_english()


# --------------------------------------------------------------------------- the world


def execute_url(task):
    return task.flow_task.reverse("execute", args=[task.process_id, task.pk])


def open_task(node, **lookup) -> Task:
    return Task.objects.get(flow_task=node, status__in=OPEN, **lookup)


def ok(response):
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    return response


def perform(client, user, task, data):
    """Do a task through its page, as the user does (claims it first if unassigned)."""
    client.force_login(user)
    if task.owner_id is None:
        ok(client.post(reverse("workflows:claim", args=[task.pk]), **DA))
    return ok(client.post(execute_url(task), data, **DA))


def years_ago(years, days=40):
    today = timezone.localdate()
    return today.replace(year=today.year - years) - datetime.timedelta(days=days)


@pytest.fixture
def media_root(settings, tmp_path):
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def people():
    team = TeamFactory(name="Koordineringsenheden")
    return {
        "team": team,
        "worker": UserFactory(team=team, roles=["caseworker"], first_name="Karin", last_name="Sagsbehandler"),
        "colleague": UserFactory(team=team, roles=["caseworker"], first_name="Kim", last_name="Kollega"),
        "supervisor": UserFactory(team=team, roles=["supervisor"], first_name="Lise", last_name="Leder"),
        "consultant": UserFactory(team=None, roles=["child_consultant"], first_name="Bente", last_name="Konsulent"),
        "bbu": UserFactory(team=None, roles=["bbu_liaison"], first_name="Bo", last_name="Bbu"),
        "mentor": UserFactory(team=team, roles=["mentor"], first_name="Mads", last_name="Mentor"),
        "auditor": UserFactory(team=None, roles=["auditor"], first_name="Dorte", last_name="Revisor"),
    }


# --------------------------------------------------------------------------- the walks


def test_referral_pages_are_danish(client, people):
    worker, colleague, consultant, bbu = (people[k] for k in ("worker", "colleague", "consultant", "bbu"))
    walk = PageWalk(client)
    walk.get("new referral form", worker, reverse("referrals:new"))
    walk.post_invalid("new referral form with errors", worker, reverse("referrals:new"),
                      {"channel": "phone", "concern_text": ""})

    person = PersonFactory(first_name="Emil", last_name="Fiktivsen", birth_date=years_ago(15))
    referral = ReferralFactory(team=people["team"], registered_by=worker, person=person)
    referral_process_start(actor=worker, referral=referral)
    walk.get("referral page", worker, reverse("referrals:detail", args=[referral.pk]))
    of_referral = {"process__referralprocess__referral": referral}

    triage = open_task(ReferralFlow.acute_triage, **of_referral)
    walk.get("task inbox", worker, reverse("workflows:inbox"))
    walk.get("task: acute triage", worker, execute_url(triage))
    walk.post_invalid("task: acute triage with errors", worker, execute_url(triage), {"note": ""})
    perform(client, worker, triage, {"police_alerted": "no", "note": ""})

    assess = open_task(ReferralFlow.assess, **of_referral)
    walk.get("task: initial assessment (minor)", worker, execute_url(assess))
    perform(client, worker, assess, {"outcome": "to_coordination_unit", "note": "", "bbu_contact": bbu.pk,
                                     "report_needed": "yes", "report_justification": "Fiktiv begrundelse."})

    walk.get("task: BBU acknowledgement", bbu, execute_url(open_task(ReferralFlow.bbu_acknowledge, **of_referral)))
    walk.get("task queue", colleague, reverse("workflows:queue"))
    screen = open_task(ReferralFlow.screen, **of_referral)
    client.force_login(colleague)
    ok(client.post(reverse("workflows:claim", args=[screen.pk]), **DA))
    walk.get("task: screening", colleague, execute_url(screen))
    perform(client, colleague, open_task(ReferralFlow.screen, **of_referral),
            {"outcome": "case_level_2", "justification": "Niveau 2.", "members_present": "A og B",
             "responsible": worker.pk})

    cosign = open_task(ReferralFlow.cosign_screening, **of_referral)
    walk.get("task queue (consultant)", consultant, reverse("workflows:queue"))
    client.force_login(consultant)
    ok(client.post(reverse("workflows:claim", args=[cosign.pk]), **DA))
    walk.get("task: co-signature of the screening", consultant, execute_url(cosign))
    perform(client, consultant, open_task(ReferralFlow.cosign_screening, **of_referral),
            {"approved": "yes", "justification": "Børnefagligt forsvarligt."})
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ASSESSED
    walk.get("referral page (assessed)", people["supervisor"], reverse("referrals:detail", args=[referral.pk]))

    walk.assert_no_english()


def test_case_and_intervention_pages_are_danish(client, people, media_root):
    worker, consultant, mentor, bbu = (people[k] for k in ("worker", "consultant", "mentor", "bbu"))
    team = people["team"]
    case = CaseFactory(team=team, responsible=worker, is_minor=True,
                       person=PersonFactory(first_name="Emil", last_name="Fiktivsen", birth_date=years_ago(15)))
    grant(case, bbu, GrantKind.BBU)
    case_process_start(actor=worker, case=case)
    of_case = {"process__caseprocess__case": case}
    walk = PageWalk(client)

    clarify = open_task(CaseFlow.clarify, **of_case)
    walk.get("task: clarification", worker, execute_url(clarify))
    walk.post_invalid("task: clarification with errors", worker, execute_url(clarify), {"conversation": ""})
    perform(client, worker, clarify, {
        "conversation": "Samtale med Emil og forældrene.", "consent_given_by": "custody_holder",
        "consent_given_by_name": "Fiktiv Forælder", "consent_given_on": timezone.localdate().isoformat()})
    plan = open_task(CaseFlow.plan, **of_case)
    walk.get("task: plan", worker, execute_url(plan))
    perform(client, worker, plan, {"goals": "Skolegang og fritid.", "interventions": ["mentor"]})

    co_sign = open_task(CaseFlow.co_sign, **of_case)
    client.force_login(consultant)
    ok(client.post(reverse("workflows:claim", args=[co_sign.pk]), **DA))
    walk.get("task: co-signature of the plan", consultant, execute_url(co_sign))
    perform(client, consultant, open_task(CaseFlow.co_sign, **of_case),
            {"decision": "yes", "justification": "Godkendt."})
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE

    intervention = case.interventions.get()
    of_intervention = {"process__interventionprocess__intervention": intervention}
    consent = open_task(InterventionFlow.obtain_consent, **of_intervention)
    walk.get("task: intervention consent", worker, execute_url(consent))
    walk.post_invalid("task: intervention consent with errors", worker, execute_url(consent),
                      {"given_by": "subject", "given_on": timezone.localdate().isoformat()})
    perform(client, worker, consent, {"given_by": "custody_holder", "given_by_name": "Fiktiv Forælder",
                                      "given_on": timezone.localdate().isoformat(), "expires_on": "", "note": ""})
    match = open_task(InterventionFlow.match_provider, **of_intervention)
    walk.get("task: choose a provider", worker, execute_url(match))
    perform(client, worker, match, {"provider": mentor.pk, "partner_roles": ""})
    answer = open_task(InterventionFlow.answer_offer, **of_intervention)
    walk.get("task inbox (mentor)", mentor, reverse("workflows:inbox"))
    walk.get("task: accept or decline", mentor, execute_url(answer))
    perform(client, mentor, answer, {"answer": "accept", "goals": "Skolegang.",
                                     "started_on": timezone.localdate().isoformat(), "reason": ""})
    intervention_url = reverse("interventions:detail", args=[intervention.pk])
    ok(client.post(intervention_url, {"session-held_on": timezone.localdate().isoformat(),
                                      "session-duration_minutes": 60, "session-topic": "Skole",
                                      "session-note": "Kort note."}, **DA))
    walk.get("intervention page (mentor)", mentor, intervention_url)
    walk.post_invalid("intervention page with errors", mentor, intervention_url, {"session-duration_minutes": "0"})
    walk.get("intervention page (caseworker)", worker, intervention_url)
    walk.get("task: running intervention", worker,
             execute_url(open_task(InterventionFlow.follow, **of_intervention)))
    walk.get("dashboard (mentor)", mentor, reverse("dashboard:home"))

    # the case file: journal notes (one restricted), a document, the consents
    now = timezone.now()
    journal_note_create(actor=worker, case=case, text="Samtale med skolen om Emils fravær.", event_at=now,
                        source_authority=JournalNote.SourceAuthority.SCHOOL, final=True)
    journal_note_create(actor=worker, case=case, text="Oplysning fra politiet.", event_at=now,
                        source_authority=JournalNote.SourceAuthority.POLICE, restricted=True, final=True)
    draft = journal_note_create(actor=worker, case=case, text="Kladde til notat.", event_at=now,
                                source_authority=JournalNote.SourceAuthority.COORDINATION_UNIT)
    document_upload(actor=worker, case=case, uploaded_file=SimpleUploadedFile(
        "referat.pdf", PDF, content_type="application/pdf"), subject="Referat af skolemøde")

    case_url = reverse("cases:detail", args=[case.pk])
    walk.get("case page (caseworker)", worker, case_url)
    walk.get("case page (consultant)", consultant, case_url)
    walk.get("case page (BBU)", bbu, case_url)
    walk.get("case history (supervisor)", people["supervisor"], reverse("cases:history", args=[case.pk]))
    walk.get("case list", worker, reverse("cases:list"))
    walk.get("dashboard (caseworker)", worker, reverse("dashboard:home"))
    walk.get("journal note (draft)", worker, reverse("journal:detail", args=[draft.pk]))
    walk.get("journal note form", worker, reverse("journal:new", args=[case.pk]))
    walk.post_invalid("journal note form with errors", worker, reverse("journal:new", args=[case.pk]), {"text": ""})
    walk.get("document upload form", worker, reverse("documents:upload", args=[case.pk]))
    walk.get("new consent form", worker, reverse("cases:consent_new", args=[case.pk]))
    walk.get("new disclosure form", worker, reverse("cases:disclosure_new", args=[case.pk]))
    walk.get("person search", worker, reverse("people:search"), q="Emil")

    walk.assert_no_english()


def test_supervisor_and_auditor_pages_are_danish(client, people):
    worker, supervisor, auditor = people["worker"], people["supervisor"], people["auditor"]
    referral = ReferralFactory(team=people["team"], registered_by=worker)
    referral_process_start(actor=worker, referral=referral)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=14), tick=False):
        fire_due_timers()
        assert DeadlineBreach.objects.filter(referral=referral).exists()
        walk = PageWalk(client)
        walk.get("breached deadlines", supervisor, reverse("workflows:deadline_breaches"))
        walk.get("dashboard (supervisor)", supervisor, reverse("dashboard:home"))
    walk.get("emergency access reviews", supervisor, reverse("permissions:break_glass_reviews"))
    walk.get("audit search", auditor, reverse("audit:search"))
    walk.get("audit log of a user", auditor, reverse("audit:user_log", args=[worker.pk]))
    walk.get("dashboard (auditor)", auditor, reverse("dashboard:home"))

    walk.assert_no_english()


def test_sign_in_pages_are_danish(client):
    """Sign-in, the second step, enrolment, recovery codes and the lockout page."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import UserFactory

    walk = PageWalk(client)
    enrolled = UserFactory(username="da-enrolled", roles=["caseworker"])
    TOTPDevice.objects.create(user=enrolled, name="phone", confirmed=True)
    newcomer = UserFactory(username="da-new", roles=["caseworker"])
    walk._keep("sign-in", client.get(reverse("login"), **DA))
    walk._keep("sign-in refused", client.post(reverse("login"), {"username": "da-new", "password": "forkert"}, **DA))

    client.force_login(enrolled, otp=False)
    walk._keep("two-factor step", client.get(reverse("accounts:otp_verify"), **DA))
    walk._keep("two-factor step refused", client.post(reverse("accounts:otp_verify"), {"code": "000000"}, **DA))
    client.force_login(newcomer, otp=False)
    walk._keep("enrolment", client.get(reverse("accounts:otp_enrol"), **DA))
    walk._keep("enrolment refused", client.post(reverse("accounts:otp_enrol"), {"code": "000000"}, **DA))
    walk.get("recovery codes", enrolled, reverse("accounts:otp_recovery_codes"))
    client.post(reverse("logout"))

    for _ in range(5):
        response = client.post(reverse("login"), {"username": "da-new", "password": "forkert-igen"},
                               REMOTE_ADDR="192.0.2.99", **DA)
    assert response.status_code == 429
    walk._keep("sign-in locked", response)
    walk.assert_no_english()
