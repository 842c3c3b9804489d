"""The case page (issue 7 item 2): the header, the timeline and the interventions per
role, the timeline's filter and order, a fixed number of queries whatever the amount
of data, and 404 for those who may not see the case."""

import datetime
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Decision
from caseflow.cases.services import decision_record
from caseflow.cases.timeline import Kind, case_timeline_for, timeline_kinds_parse
from caseflow.interventions.models import Intervention, InterventionReview, InterventionSession
from caseflow.journal.models import JournalNote
from caseflow.journal.services import journal_note_create
from caseflow.people.services import person_identify
from permissions.models import GrantKind
from permissions.policy import case_actions
from tests.factories import CaseFactory, InterventionFactory, TeamFactory, UserFactory, grant
from workflows.flows.case import CaseFlow
from workflows.models import CaseProcess

pytestmark = pytest.mark.django_db

CPR = "0101124321"  # fictional: born 1 January 2012
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def worker(team):
    return UserFactory(team=team, roles=["caseworker"], first_name="Rikke", last_name="Sagsbehandler")


@pytest.fixture
def colleague(team):
    return UserFactory(team=team, roles=["caseworker"], first_name="Kaj", last_name="Kollega")


@pytest.fixture
def group_consultant():
    """A child-focused consultant who reaches the minor's case through the group grant."""
    return UserFactory(team=None, roles=["child_consultant"], first_name="Gitte", last_name="Gruppe")


@pytest.fixture
def bbu():
    return UserFactory(team=None, roles=["bbu_liaison"], first_name="Bente", last_name="Bbu")


@pytest.fixture
def case(team, worker, colleague, bbu, group_consultant):
    """A minor's case with a CPR number: the worker is responsible, the colleague a
    co-worker, a named consultant and BBU contact hold grants."""
    person = person_identify(actor=None, cpr=CPR, first_name="Fiktiv", last_name="Barn")
    case = CaseFactory(team=team, responsible=worker, person=person, is_minor=True, bbu_contact=bbu)
    grant(case, colleague, GrantKind.CO_WORKER)
    grant(case, bbu, GrantKind.BBU)
    return case


@pytest.fixture
def named_consultant(case):
    user = UserFactory(team=None, roles=["child_consultant"], first_name="Karen", last_name="Konsulent")
    grant(case, user, GrantKind.CONSULTANT)
    return user


@pytest.fixture
def reader(case):
    """A caseworker of another team with emergency (break-glass) access."""
    user = UserFactory(team=TeamFactory(name="Tredje hold"), roles=["caseworker"])
    grant(case, user, GrantKind.BREAK_GLASS, valid_until=timezone.now() + datetime.timedelta(hours=1))
    return user


@pytest.fixture
def intervention(case):
    return InterventionFactory(case=case, status=Intervention.Status.ACTIVE)


@pytest.fixture
def mentor(team, intervention):
    user = UserFactory(team=team, roles=["mentor"], first_name="Mads", last_name="Mentor")
    grant(intervention, user, GrantKind.PROVIDER)
    intervention.provider = user
    intervention.started_on = timezone.localdate() - datetime.timedelta(days=20)
    intervention.save(update_fields=["provider", "started_on"])
    return user


def hours_ago(hours):
    return timezone.now() - datetime.timedelta(hours=hours)


@pytest.fixture
def content(case, worker, colleague, named_consultant, intervention, mentor):
    """One of each timeline kind, at known moments."""
    Intervention.objects.filter(pk=intervention.pk).update(created_at=hours_ago(24 * 30))
    journal_note_create(actor=worker, case=case, text="Almindeligt notat om samtalen", event_at=hours_ago(5),
                        source_authority=JournalNote.SourceAuthority.COORDINATION_UNIT, final=True)
    journal_note_create(actor=worker, case=case, text="Politiets oplysninger efter paragraf 115",
                        event_at=hours_ago(4), source_authority=JournalNote.SourceAuthority.POLICE,
                        restricted=True, final=True)
    journal_note_create(actor=colleague, case=case, text="Kollegaens kladde", event_at=hours_ago(3),
                        source_authority=JournalNote.SourceAuthority.COORDINATION_UNIT)
    decision_record(actor=worker, case=case, kind=Decision.Kind.OTHER, justification="Afgørelsens begrundelse",
                    outcome="besluttet", decided_at=hours_ago(2))
    InterventionSession.objects.create(intervention=intervention, held_on=timezone.localdate() - datetime.timedelta(
        days=10), duration_minutes=45, topic="Skole og venner", logged_by=mentor)
    InterventionReview.objects.create(intervention=intervention, goals_status=InterventionReview.GoalsStatus.PARTLY,
                                      outcome=InterventionReview.Outcome.CONTINUE, reviewed_by=worker,
                                      reviewed_at=hours_ago(30))
    process = CaseProcess.objects.create(flow_class=CaseFlow, case=case)
    Task.objects.create(process=process, flow_task=CaseFlow.co_sign, flow_task_type="HUMAN", status=STATUS.DONE,
                        owner=named_consultant, finished=hours_ago(1))


def page(client, user, case, query=""):
    client.force_login(user)
    return client.get(reverse("cases:detail", args=[case.pk]) + query, **EN)


# --------------------------------------------------------------------------- header


def test_header_for_the_case_team_shows_masked_cpr_age_and_people(client, case, worker, named_consultant):
    response = page(client, worker, case)
    html = response.content.decode()
    assert response.status_code == 200
    assert case.reference in html
    assert "Fiktiv Barn" in html
    assert "010112-****" in html
    assert CPR not in html
    assert "010112-4321" not in html
    assert f"{case.person.age_on()} years" in html
    assert "Minor" in html
    assert "Rikke Sagsbehandler" in html
    assert "Karen Konsulent" in html
    assert "Child-focused consultant (the team)" in html
    assert "Bente Bbu" in html  # the BBU contact of a minor
    assert "Level 2: anticipatory" in html


def test_header_of_an_adult_case_has_no_minor_badge_nor_bbu_contact(client, team, worker):
    adult = CaseFactory(team=team, responsible=worker)
    html = page(client, worker, adult).content.decode()
    assert 'class="badge minor"' not in html
    assert "BBU contact" not in html
    assert "Child-focused consultant" not in html


@pytest.mark.parametrize("role", ["group_consultant", "bbu", "reader"])
def test_header_for_other_readers_never_shows_the_full_cpr(client, case, named_consultant, role, request):
    user = request.getfixturevalue(role)
    html = page(client, user, case).content.decode()
    assert "010112-****" in html
    assert CPR not in html
    assert "010112-4321" not in html
    assert "Karen Konsulent" in html


# --------------------------------------------------------------------------- timeline per role


def section_of(html: str, section_id: str) -> str:
    start = html.index(f'id="{section_id}"')
    return html[start:html.index("</section>", start)]


def _timeline_html(response) -> str:
    return section_of(response.content.decode(), "timeline")


def response_text(client, user, case):
    return page(client, user, case).content.decode()


def test_timeline_for_the_case_team_has_every_kind_including_restricted_notes(client, case, worker, content):
    timeline = _timeline_html(page(client, worker, case))
    for text in ("Almindeligt notat", "Politiets oplysninger", "besluttet", "Afgørelsens begrundelse",
                 "Co-signature by the child-focused consultant", "Skole og venner", "Progress review",
                 "Mentor programme started", "Mentor programme proposed", "May not be passed on"):
        assert text in timeline, text
    assert "Kollegaens kladde" not in timeline  # another user's draft: never


def test_timeline_shows_the_authors_own_draft_marked_as_draft(client, case, colleague, content):
    timeline = _timeline_html(page(client, colleague, case))
    assert "Kollegaens kladde" in timeline
    assert "Draft" in timeline


def test_timeline_for_the_consultant_has_the_file_but_not_restricted_notes(client, case, group_consultant,
                                                                           content):
    timeline = _timeline_html(page(client, group_consultant, case))
    assert "Almindeligt notat" in timeline
    assert "besluttet" in timeline
    assert "Skole og venner" in timeline
    assert "Co-signature by the child-focused consultant" in timeline
    assert "Politiets oplysninger" not in response_text(client, group_consultant, case)
    assert "Kollegaens kladde" not in timeline


def test_timeline_for_bbu_has_decisions_only(client, case, bbu, content):
    response = page(client, bbu, case)
    timeline = _timeline_html(response)
    assert "besluttet" in timeline
    html = response.content.decode()
    for hidden in ("Almindeligt notat", "Politiets oplysninger", "Skole og venner", "Mentor programme",
                   "Progress review", "Co-signature by the child-focused consultant"):
        assert hidden not in html, hidden
    assert 'name="kinds"' not in html  # one kind only: no filter to offer


def test_timeline_for_a_break_glass_reader_has_the_file_but_not_restricted_notes(client, case, reader, content):
    html = response_text(client, reader, case)
    timeline = section_of(html, "timeline")
    assert "Almindeligt notat" in timeline
    assert "besluttet" in timeline
    assert "Skole og venner" in timeline
    assert "Politiets oplysninger" not in html


def test_timeline_is_newest_first(case, worker, content):
    timeline = case_timeline_for(actor=worker, case=case, actions=case_actions(worker, case))
    moments = [entry.at for entry in timeline.entries]
    assert moments == sorted(moments, reverse=True)
    assert [entry.kind for entry in timeline.entries[:3]] == [Kind.STEP, Kind.DECISION, Kind.NOTE]
    assert not timeline.truncated


def test_timeline_filter_by_kind(client, case, worker, content):
    timeline = _timeline_html(page(client, worker, case, "?kinds=decision,step"))
    assert "besluttet" in timeline
    assert "Co-signature by the child-focused consultant" in timeline
    assert "Almindeligt notat" not in timeline
    assert "Skole og venner" not in timeline
    assert 'value="decision" checked' in timeline
    assert 'value="note" checked' not in timeline
    # The form's own encoding (repeated parameter) works the same way.
    timeline = _timeline_html(page(client, worker, case, "?kinds=note&kinds=bogus"))
    assert "Almindeligt notat" in timeline
    assert "besluttet" not in timeline


def test_timeline_filter_cannot_widen_what_the_viewer_sees(client, case, bbu, content):
    html = response_text(client, bbu, case) + page(client, bbu, case, "?kinds=note,intervention").content.decode()
    assert "Almindeligt notat" not in html
    assert "Skole og venner" not in html


def test_timeline_kinds_parse():
    assert timeline_kinds_parse(["note,decision"]) == (Kind.NOTE, Kind.DECISION)
    assert timeline_kinds_parse(["step", "intervention"]) == (Kind.STEP, Kind.INTERVENTION)
    assert timeline_kinds_parse(["nonsense"]) is None
    assert timeline_kinds_parse([]) is None


def test_timeline_says_when_it_shows_only_the_newest(case, worker):
    _bulk_notes(case, worker, 8)
    timeline = case_timeline_for(actor=worker, case=case, actions=case_actions(worker, case), limit=5)
    assert timeline.truncated
    assert len(timeline.entries) == 5
    assert [entry.title for entry in timeline.entries] == [f"Masse-notat {n}" for n in (7, 6, 5, 4, 3)]


def test_timeline_links_notes_and_interventions(client, case, worker, content, intervention):
    timeline = _timeline_html(page(client, worker, case))
    note = JournalNote.objects.get(text__startswith="Almindeligt")
    assert reverse("journal:detail", args=[note.pk]) in timeline
    assert reverse("interventions:detail", args=[intervention.pk]) in timeline


# --------------------------------------------------------------------------- interventions section


def test_interventions_section_lists_sessions_and_reviews(client, case, worker, content):
    html = response_text(client, worker, case)
    section = section_of(html, "interventions")
    assert "Mentor programme" in section
    assert "Active" in section
    assert "Mads Mentor" in section
    assert "Skole og venner" in section
    assert "45 min." in section
    assert "Goals partly met" in section
    assert "Continue the intervention" in section


def test_bbu_sees_no_interventions_section(client, case, bbu, content):
    assert 'id="interventions"' not in response_text(client, bbu, case)


# --------------------------------------------------------------------------- open tasks


@pytest.fixture
def open_co_sign(case):
    process = CaseProcess.objects.create(flow_class=CaseFlow, case=case)
    return Task.objects.create(process=process, flow_task=CaseFlow.co_sign, flow_task_type="HUMAN",
                               status=STATUS.NEW, owner_permission="cases.cosign_case")


def test_open_tasks_the_case_team_sees_all_the_consultant_may_take_it_bbu_sees_none(
        client, case, worker, group_consultant, bbu, open_co_sign):
    title = "Co-signature by the child-focused consultant"
    team_view = section_of(response_text(client, worker, case), "tasks")
    assert title in team_view
    assert "Take the task" not in team_view
    assert "<svg" in team_view  # the process chart
    consultant_view = section_of(response_text(client, group_consultant, case), "tasks")
    assert title in consultant_view
    assert "Take the task" in consultant_view
    bbu_view = section_of(response_text(client, bbu, case), "tasks")
    assert title not in bbu_view
    assert "<svg" not in bbu_view
    assert "No open tasks." in bbu_view


# --------------------------------------------------------------------------- the forms on the page


class _FormParts(HTMLParser):
    """Each element's id and each label's ``for``, with the action of the form around it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[str] = []
        self.ids: list[tuple[str, str | None]] = []
        self.labels: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(attrs.get("action") or "")
        form = self.forms[-1] if self.forms else None
        if attrs.get("id"):
            self.ids.append((attrs["id"], form))
        if tag == "label" and attrs.get("for"):
            self.labels.append((attrs["for"], form))

    def handle_endtag(self, tag):
        if tag == "form" and self.forms:
            self.forms.pop()


def test_the_forms_on_the_case_page_share_no_id_and_each_label_names_its_own_field(
        client, case, worker, intervention):
    """Issue 20 point 5: the journal form and the upload form both rendered
    ``id_restricted``, so the upload form's "may not be passed on" label ticked the
    journal form's box. Each form has its prefix now."""
    parts = _FormParts()
    parts.feed(response_text(client, worker, case))
    ids = [value for value, _form in parts.ids]
    assert sorted(value for value in set(ids) if ids.count(value) > 1) == []
    form_of = dict(parts.ids)
    strays = [(target, form, form_of.get(target)) for target, form in parts.labels if form_of.get(target) != form]
    assert strays == []

    note_form, upload_form = reverse("journal:new", args=[case.pk]), reverse("documents:upload", args=[case.pk])
    for prefix, action in (("note", note_form), ("document", upload_form)):
        assert (f"id_{prefix}-restricted", action) in parts.labels
        assert (f"id_{prefix}-restricted_helptext", action) in parts.ids
        assert (f"id_{prefix}-intervention", action) in parts.labels


# --------------------------------------------------------------------------- who may not see the page


@pytest.mark.parametrize("who", ["mentor", "outsider"])
def test_providers_and_outsiders_get_404_and_an_access_denied_event(client, case, mentor, who):
    user = mentor if who == "mentor" else UserFactory(team=TeamFactory(name="Andet hold"), roles=["caseworker"])
    response = page(client, user, case)
    assert response.status_code == 404
    assert case.reference.encode() not in response.content
    assert AuditEvent.objects.filter(actor=user, action="access.denied").exists()
    assert not AuditEvent.objects.filter(actor=user, action="case.viewed").exists()


def test_the_page_read_is_one_case_viewed_event(client, case, worker, content):
    before = AuditEvent.objects.filter(actor=worker, action="case.viewed").count()
    page(client, worker, case)
    assert AuditEvent.objects.filter(actor=worker, action="case.viewed").count() == before + 1


# --------------------------------------------------------------------------- constant queries


def _bulk_notes(case, author, count, start=0):
    now = timezone.now()
    JournalNote.objects.bulk_create([
        JournalNote(case=case, author=author, text=f"Masse-notat {n}", status=JournalNote.Status.FINAL,
                    finalised_at=now, event_at=now - datetime.timedelta(days=400) + datetime.timedelta(hours=n),
                    source_authority=JournalNote.SourceAuthority.COORDINATION_UNIT, restricted=n % 5 == 0)
        for n in range(start, start + count)
    ])


def _bulk(case, worker, intervention, mentor, count):
    now = timezone.now()
    _bulk_notes(case, worker, count)
    Decision.objects.bulk_create([
        Decision(case=case, kind=Decision.Kind.OTHER, justification=f"Masse-afgørelse {n}", decided_by=worker,
                 decided_at=now - datetime.timedelta(hours=n))
        for n in range(count)
    ])
    InterventionSession.objects.bulk_create([
        InterventionSession(intervention=intervention, held_on=timezone.localdate() - datetime.timedelta(days=n),
                            duration_minutes=30, topic=f"Emne {n}", logged_by=mentor)
        for n in range(count)
    ])
    InterventionReview.objects.bulk_create([
        InterventionReview(intervention=intervention, goals_status=InterventionReview.GoalsStatus.MET,
                           outcome=InterventionReview.Outcome.CONTINUE, reviewed_by=worker,
                           reviewed_at=now - datetime.timedelta(days=n))
        for n in range(count // 5)
    ])


def _count_page_queries(client, user, case):
    client.force_login(user)
    url = reverse("cases:detail", args=[case.pk])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **EN)
    assert response.status_code == 200
    return len(queries), response


def test_the_case_page_reads_the_same_number_of_queries_for_10_or_500_entries(client, team, worker, mentor, case,
                                                                              intervention):
    small = CaseFactory(team=team, responsible=worker, person=case.person, is_minor=True)
    small_intervention = InterventionFactory(case=small, status=Intervention.Status.ACTIVE, provider=mentor)
    _bulk(small, worker, small_intervention, mentor, 3)  # ~10 entries
    _bulk(case, worker, intervention, mentor, 160)  # ~500 entries
    small_count, _response = _count_page_queries(client, worker, small)
    big_count, response = _count_page_queries(client, worker, case)
    assert big_count == small_count
    assert b"Showing the newest 200 entries." in response.content
    assert response.content.count(b'class="timeline-entry') == 200
