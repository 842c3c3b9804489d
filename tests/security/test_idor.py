"""The IDOR crawl (issue 10 point 5).

On the demo data (``seed_demo``), as each demo role, every object URL of the URLconf
(every pattern with an id) is requested for every object of its kind. Whether the user
may see the object is computed from the permission policy (``permissions.policy``), not
listed by hand. An object the user may not see answers 404 (never 403, which would
confirm that it exists); one they may see answers 200/302 (or 403/405 for an action the
policy does not allow them on it, or a method the view does not take). Never a 500.
A second pass requests ids that do not exist."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Iterable

import pytest
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, resolve
from django.utils import timezone

from caseflow.accounts.roles import Role
from permissions.policy import can
from permissions.rules import Action
from tests.security.conftest import app_routes

pytestmark = pytest.mark.django_db

VISIBLE_OK = {200, 302, 403, 405}
#: An action page may also answer 404 to a user who sees the object but not the part the
#: action is about (e.g. BBU sees a case's summary, not its consents): nothing leaks.
VISIBLE_ACTION_OK = VISIBLE_OK | {404}
MISSING_ID = 987_654


@dataclasses.dataclass
class Kind:
    """Objects behind a URL parameter set: ``objects()`` yields them, ``kwargs(obj)``
    fills the URL, ``may_see(user, obj)`` asks the policy."""

    objects: Callable[[], Iterable]
    kwargs: Callable[[object], dict]
    may_see: Callable[[object, object], bool]


def _cases():
    from caseflow.cases.models import Case

    return Case.objects.order_by("pk")


def _referrals():
    from caseflow.referrals.models import Referral

    return Referral.objects.select_related("person").order_by("pk")


def _interventions():
    from caseflow.interventions.models import Intervention

    return Intervention.objects.select_related("case").order_by("pk")


def _consent_pairs():
    """Every consent under its case's URL (under another case's URL it answers 404 or,
    to a user who may see that case but not change it, 403 whatever the consent id)."""
    from caseflow.cases.models import Consent

    return [(consent.case, consent) for consent in Consent.objects.select_related("case").order_by("pk")]


def _notes():
    from caseflow.journal.models import JournalNote

    return JournalNote.objects.select_related("case").order_by("pk")


def _documents():
    from caseflow.documents.models import Document

    return Document.objects.select_related("case").order_by("pk")


def _users():
    from caseflow.accounts.models import User

    return User.objects.order_by("pk")


def _note_visible(user, note) -> bool:
    if not can(user, Action.VIEW_FILE, note.case):
        return False
    if note.restricted and not can(user, Action.VIEW_RESTRICTED, note.case):
        return False
    return note.status == note.Status.FINAL or note.author_id == user.pk


def _document_visible(user, document) -> bool:
    return can(user, Action.VIEW_FILE, document.case) and (
        not document.restricted or can(user, Action.VIEW_RESTRICTED, document.case))


def _user_log_visible(reader, subject) -> bool:
    if reader.has_role(Role.AUDITOR):
        return True
    return bool(reader.has_role(Role.SUPERVISOR) and reader.team_id and reader.team_id == subject.team_id)


CASE = Kind(_cases, lambda case: {"pk": case.pk}, lambda user, case: can(user, Action.VIEW, case))
CASE_ID = Kind(_cases, lambda case: {"case_id": case.pk}, lambda user, case: can(user, Action.VIEW, case))
CONSENT = Kind(_consent_pairs, lambda pair: {"pk": pair[0].pk, "consent_pk": pair[1].pk},
               lambda user, pair: pair[1].case_id == pair[0].pk and can(user, Action.VIEW, pair[0]))
REFERRAL = Kind(_referrals, lambda referral: {"pk": referral.pk},
                lambda user, referral: can(user, Action.VIEW, referral))
INTERVENTION = Kind(_interventions, lambda intervention: {"pk": intervention.pk},
                    lambda user, intervention: can(user, Action.VIEW, intervention))
NOTE = Kind(_notes, lambda note: {"pk": note.pk}, _note_visible)
DOCUMENT = Kind(_documents, lambda document: {"pk": document.pk}, _document_visible)
USER_LOG = Kind(_users, lambda subject: {"user_id": subject.pk}, _user_log_visible)


# --------------------------------------------------------------------------- meetings, access requests, supervision,
# retention: "may see" from each app's own selectors (the querysets its pages are scoped by)


def _meetings():
    from caseflow.meetings.models import Meeting

    return Meeting.objects.order_by("pk")


def _agenda_items():
    from caseflow.meetings.models import AgendaItem

    return AgendaItem.objects.select_related("meeting").order_by("pk")


def _meeting_visible(user, meeting) -> bool:
    from caseflow.meetings.selectors import visible_meetings

    return visible_meetings(user).filter(pk=meeting.pk).exists()


def _minutes_visible(user, meeting) -> bool:
    from caseflow.meetings.selectors import viewer_is_staff

    return _meeting_visible(user, meeting) and viewer_is_staff(user, meeting)


def _people():
    from caseflow.people.models import Person

    return Person.objects.order_by("pk")


def _person_requestable(user, person) -> bool:
    from permissions.policy import may_register_access_request

    return may_register_access_request(user, person)


def _access_requests():
    from caseflow.access_requests.models import AccessRequest

    return AccessRequest.objects.order_by("pk")


def _access_request_visible(user, access_request) -> bool:
    from caseflow.access_requests.selectors import visible_access_requests

    return visible_access_requests(user).filter(pk=access_request.pk).exists()


def _access_request_items():
    """Every item of every request's file, under its request's URL (and the first item
    of each under another request's URL: the item is looked up in that request's file)."""
    from caseflow.access_requests.file import access_file_build

    requests = list(_access_requests())
    pairs = []
    for index, access_request in enumerate(requests):
        items = access_file_build(access_request).items
        pairs += [(access_request, item) for item in items]
        if items and len(requests) > 1:
            pairs.append((requests[(index + 1) % len(requests)], items[0]))
    return pairs


def _open_team_tasks():
    from viewflow.workflow.models import Task

    from caseflow.supervision.selectors import OPEN_TASK_STATUSES

    return Task.objects.filter(flow_task_type="HUMAN", status__in=OPEN_TASK_STATUSES).order_by("pk")


def _team_task_visible(user, task) -> bool:
    from caseflow.supervision.selectors import team_tasks
    from permissions.policy import Feature, may_use

    return may_use(user, Feature.SUPERVISION) and team_tasks(team_id=user.team_id).filter(pk=task.pk).exists()


def _archive_reviews():
    from caseflow.retention.models import ArchiveReview

    return ArchiveReview.objects.order_by("pk")


def _legal_holds():
    from caseflow.retention.models import LegalHold

    return LegalHold.objects.order_by("pk")


def _retention_visible(user, obj) -> bool:
    """A review or hold of the supervisor's own team (``retention.selectors``)."""
    from permissions.policy import Feature, may_use_for_team

    return may_use_for_team(user, Feature.RETENTION, obj.team_id)


MEETING = Kind(_meetings, lambda meeting: {"pk": meeting.pk}, _meeting_visible)
MINUTES = Kind(_meetings, lambda meeting: {"pk": meeting.pk}, _minutes_visible)
AGENDA_ITEM = Kind(_agenda_items, lambda item: {"pk": item.pk}, lambda user, item: _meeting_visible(user, item.meeting))
PERSON = Kind(_people, lambda person: {"person_id": person.pk}, _person_requestable)
ACCESS_REQUEST = Kind(_access_requests, lambda request: {"pk": request.pk}, _access_request_visible)
ACCESS_EXPORT = Kind(_access_requests, lambda request: {"pk": request.pk, "export_format": "json"},
                     _access_request_visible)
ACCESS_ITEM = Kind(_access_request_items,
                   lambda pair: {"pk": pair[0].pk, "kind": pair[1].kind, "object_id": pair[1].object_id},
                   lambda user, pair: _access_request_visible(user, pair[0]))
TEAM_TASK = Kind(_open_team_tasks, lambda task: {"task_pk": task.pk}, _team_task_visible)
ARCHIVE_REVIEW = Kind(_archive_reviews, lambda review: {"pk": review.pk}, _retention_visible)
LEGAL_HOLD = Kind(_legal_holds, lambda hold: {"pk": hold.pk}, _retention_visible)

#: Every object URL of our apps, by URL name.
OBJECT_ROUTES: dict[str, Kind] = {
    "cases:detail": CASE,
    "cases:history": CASE,
    "cases:consent_new": CASE,
    "cases:disclosure_new": CASE,
    "cases:consent_withdraw": CONSENT,
    "referrals:detail": REFERRAL,
    "referrals:reveal_cpr": REFERRAL,
    "interventions:detail": INTERVENTION,
    "interventions:dropout": INTERVENTION,
    "journal:new": CASE_ID,
    "journal:detail": NOTE,
    "journal:edit": NOTE,
    "journal:finalise": NOTE,
    "journal:delete": NOTE,
    "journal:correct": NOTE,
    "documents:upload": CASE_ID,
    "documents:download": DOCUMENT,
    "audit:user_log": USER_LOG,
    "meetings:detail": MEETING,
    "meetings:minutes": MINUTES,
    "meetings:register_check": AGENDA_ITEM,
    "meetings:decide": AGENDA_ITEM,
    "access_requests:new": PERSON,
    "access_requests:detail": ACCESS_REQUEST,
    "access_requests:delay": ACCESS_REQUEST,
    "access_requests:complete": ACCESS_REQUEST,
    "access_requests:export": ACCESS_EXPORT,
    "access_requests:decide": ACCESS_ITEM,
    "supervision:case_reassign": CASE,
    "supervision:task_reassign": TEAM_TASK,
    "retention:review_decide": ARCHIVE_REVIEW,
    "retention:hold_lift": LEGAL_HOLD,
}

#: Pages whose refusal is recorded as ``access.denied`` (design.md §2).
DENIAL_RECORDED = {"cases:detail", "referrals:detail", "interventions:detail", "journal:detail",
                   "documents:download", "audit:user_log", "meetings:detail", "meetings:minutes",
                   "meetings:register_check", "meetings:decide", "access_requests:new", "access_requests:detail",
                   "access_requests:delay", "access_requests:complete", "access_requests:export",
                   "access_requests:decide", "supervision:case_reassign", "supervision:task_reassign",
                   "retention:review_decide", "retention:hold_lift"}


def _not_a_supervisor(user) -> bool:
    from permissions.policy import Feature, may_use

    return not may_use(user, Feature.SUPERVISION)


#: Object URLs behind a role check made before the id is looked at: a user without the
#: role gets 403 for every id, existing or not (so the answer confirms nothing), by
#: design of the app (the supervisor's workspace). URL name -> "lacks the role".
ROLE_GATED: dict[str, Callable[[object], bool]] = {
    "supervision:task_reassign": _not_a_supervisor,
}

FLOW_NAMESPACES = ("referral:", "intervention:", "case:")


def _object_routes():
    return [route for route in app_routes() if route.params]


def _is_flow_route(route) -> bool:
    return route.name.startswith(FLOW_NAMESPACES) and route.params == ["process_pk", "task_pk"]


def test_every_object_url_is_crawled():
    uncrawled = sorted(
        route.name or route.route for route in _object_routes()
        if route.name not in OBJECT_ROUTES and not _is_flow_route(route) and route.name != "workflows:claim"
    )
    assert uncrawled == [], "give these object URLs a Kind in tests/security/test_idor.py"


# --------------------------------------------------------------------------- the crawl


@pytest.fixture
def more_objects(demo):
    """What the demo lacks, so that its URLs are crawled with real ids (``add_more_objects``)."""
    add_more_objects(demo)
    return demo


def add_more_objects(users):
    """Notes (final, draft, restricted) and a document on every demo case, and the
    objects of the newer apps (``_newer_app_objects``)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from caseflow.cases.models import Case
    from caseflow.documents.services import document_upload
    from caseflow.journal.models import JournalNote
    from caseflow.journal.services import journal_note_create

    for case in Case.objects.select_related("responsible").order_by("pk"):
        author = case.responsible
        when = timezone.now() - datetime.timedelta(days=1)
        for final, restricted in ((True, False), (False, False), (True, True)):
            journal_note_create(actor=author, case=case, text="Fiktiv note.", event_at=when,
                                source_authority=JournalNote.SourceAuthority.POLICE if restricted
                                else JournalNote.SourceAuthority.COORDINATION_UNIT,
                                restricted=restricted, final=final)
        document_upload(actor=author, case=case, subject="Fiktivt brev",
                        uploaded_file=SimpleUploadedFile("brev.txt", b"Fiktivt indhold.\n", "text/plain"))
    _newer_app_objects(users)


def _newer_app_objects(users):
    """Objects of the meetings, access-request and retention apps the demo lacks: a
    planned meeting (agenda not sent: the invited partner may not see it yet), two
    access requests (different handlers), an archive review and a legal hold; and the
    same kinds in another team (a supervisor there), which nobody of the demo team sees."""
    from caseflow.access_requests.models import AccessRequest
    from caseflow.access_requests.services import access_request_register
    from caseflow.meetings.services import meeting_create, meeting_member_invite
    from caseflow.retention.models import ArchiveReview, LegalHold, TargetType
    from caseflow.retention.services import legal_hold_set
    from tests.factories import CaseFactory, TeamFactory, UserFactory

    supervisor, today = users["supervisor"], timezone.localdate()
    planned = meeting_create(actor=supervisor, starts_at=timezone.now() + datetime.timedelta(days=9),
                             place="Fiktivt mødelokale 2", chair=supervisor, minute_taker=users["caseworker1"])
    meeting_member_invite(actor=supervisor, meeting=planned, user=users["partner1"], authority="Politiet (DKS)")
    cases = {name: _cases().filter(responsible=users[name]).first() for name in ("caseworker1", "caseworker2")}
    for name, case in cases.items():
        access_request_register(actor=users[name], person=case.person, received_on=today,
                                legal_basis=AccessRequest.LegalBasis.GDPR_15,
                                requester=AccessRequest.Requester.SUBJECT)
    case = cases["caseworker1"]
    ArchiveReview.objects.create(case=case, case_reference=case.reference, team_id=case.team_id)
    legal_hold_set(actor=supervisor, target=case, reason="Fiktiv retssag.")

    other_team = TeamFactory(name="Andet hold (IDOR)")
    boss = UserFactory(team=other_team, roles=["supervisor"])
    meeting_create(actor=boss, starts_at=timezone.now() + datetime.timedelta(days=3), place="Andet lokale",
                   chair=boss, minute_taker=boss)
    other_case = CaseFactory(team=other_team, responsible=boss)
    AccessRequest.objects.create(team=other_team, person=other_case.person, received_on=today,
                                 legal_basis=AccessRequest.LegalBasis.GDPR_15,
                                 requester=AccessRequest.Requester.SUBJECT, handler=boss)
    ArchiveReview.objects.create(case=other_case, case_reference=other_case.reference, team=other_team)
    LegalHold.objects.create(target_type=TargetType.CASE, case=other_case, target_reference=other_case.reference,
                             team=other_team, reason="Fiktiv.", set_by=boss)


def _request(client, route, url):
    """GET, or POST (rolled back) for a view that takes only POST."""
    if route.view_class is not None and "get" not in route.view_class.http_method_names:
        with transaction.atomic():
            response = client.post(url, {})
            transaction.set_rollback(True)
        return response
    return client.get(url)


def _denials():
    from caseflow.audit.models import AuditEvent

    return AuditEvent.objects.filter(action="access.denied").count()


@pytest.mark.parametrize("username", ["caseworker1", "caseworker2", "consultant", "supervisor", "bbu1", "mentor1",
                                      "coach1", "auditor", "partner1", "partner2"])
def test_object_urls_answer_404_to_whoever_may_not_see(more_objects, username):
    assert username in more_objects, f"the demo has no {username}"
    user = more_objects[username]
    client = Client()
    client.force_login(user)
    routes = {route.name: route for route in _object_routes()}
    wrong, crawled = [], 0
    for name, kind in OBJECT_ROUTES.items():
        route = routes[name]
        for obj in kind.objects():
            visible = kind.may_see(user, obj)
            denials = _denials()
            response = _request(client, route, route.url(**kind.kwargs(obj)))
            crawled += 1
            status = response.status_code
            if name in ROLE_GATED and ROLE_GATED[name](user):
                if status != 403 or visible:
                    wrong.append(f"{name} {kind.kwargs(obj)}: role-gated, got {status}")
            elif visible and status not in (VISIBLE_OK if name in DENIAL_RECORDED else VISIBLE_ACTION_OK):
                wrong.append(f"{name} {kind.kwargs(obj)}: visible, got {status}")
            elif not visible and status != 404:
                wrong.append(f"{name} {kind.kwargs(obj)}: not visible, got {status}")
            elif not visible and name in DENIAL_RECORDED and _denials() == denials:
                wrong.append(f"{name} {kind.kwargs(obj)}: 404 without an access.denied event")
    assert wrong == []
    assert crawled > 50


def _flow_tasks():
    """The open tasks of every process, plus one finished task of each node."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    chosen, seen_nodes = [], set()
    for task in Task.objects.select_related("process").order_by("pk"):
        node = (task.process.flow_class.__name__, task.flow_task.name)
        if task.status in (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED) or node not in seen_nodes:
            chosen.append(task)
            seen_nodes.add(node)
    return chosen


def _subject_visible(user, process) -> bool:
    from workflows.subjects import subject_of

    subject = subject_of(process.coerced)
    return subject is not None and can(user, Action.VIEW, subject)


def _status(client, url):
    """The answer's status; a view's exception counts as the 500 it would be."""
    try:
        with transaction.atomic():
            response = client.post(url, {}) if _post_only(url) else client.get(url)
            transaction.set_rollback(True)
    except Exception as exc:  # noqa: BLE001 - reported, not swallowed
        return f"500 ({type(exc).__name__}: {str(exc)[:80]})"
    return response.status_code


TASK_ACTIONS = ("index", "detail", "execute", "assign", "unassign", "undo", "cancel", "revive")


def _post_only(url) -> bool:
    view_class = getattr(resolve(url).func, "view_class", None)
    return view_class is not None and "get" not in view_class.http_method_names


@pytest.mark.parametrize("username", ["caseworker2", "consultant", "bbu1", "mentor1"])
def test_task_urls_answer_404_to_whoever_may_not_see(demo, username):
    user = demo[username]
    client = Client()
    client.force_login(user)
    wrong, crawled = [], 0
    for task in _flow_tasks():
        visible = _subject_visible(user, task.process)
        for action in TASK_ACTIONS:
            try:
                url = task.flow_task.reverse(action, args=[task.process_id, task.pk])
            except NoReverseMatch:
                continue  # the node has no such view
            status = _status(client, url)
            crawled += 1
            if not visible and status != 404:
                wrong.append(f"{url}: not visible, got {status}")
            elif visible and status not in VISIBLE_OK:
                wrong.append(f"{url}: visible, got {status}")
    assert wrong == []
    assert crawled > 30


def _one_route_per_view():
    """The flows route the same views under every node name: one of each is enough for
    ids that do not exist (the crawl above requests every task of every node)."""
    chosen = {}
    for route in _object_routes():
        key = route.view_path if _is_flow_route(route) else route.name or route.route
        chosen.setdefault(key, route)
    return list(chosen.values())


@pytest.mark.parametrize("username", ["caseworker1", "supervisor", "mentor1", "auditor"])
def test_ids_that_do_not_exist_answer_404(demo, username):
    client = Client()
    client.force_login(demo[username])
    wrong = []
    for route in _one_route_per_view():
        if route.name == "workflows:claim":
            continue
        response = _request(client, route, route.url(**dict.fromkeys(route.params, MISSING_ID)))
        # A role check before the lookup answers 403 whatever the id: the same answer as
        # for an existing id (test_object_urls_answer_404_to_whoever_may_not_see), no leak.
        gated = route.name in ROLE_GATED and ROLE_GATED[route.name](demo[username])
        allowed = {403} if gated else {404}
        if response.status_code not in allowed:
            wrong.append(f"{route.name or route.route}: {response.status_code}")
    assert wrong == []


@pytest.mark.parametrize("username", ["caseworker2", "coach1"])
def test_claiming_a_task_of_an_invisible_case_answers_404(demo, username):
    user = demo[username]
    client = Client()
    client.force_login(user)
    wrong = []
    for task in _flow_tasks():
        if _subject_visible(user, task.process):
            continue
        with transaction.atomic():
            status = client.post(f"/tasks/{task.pk}/claim/").status_code
            transaction.set_rollback(True)
        if status != 404:
            wrong.append(f"task {task.pk}: {status}")
    assert wrong == []


def test_a_task_url_of_an_invisible_process_is_404_and_recorded(demo):
    """Regression: viewflow's own checks answered 403 (or redirected) here, which
    confirmed that the process and task ids exist."""
    from caseflow.audit.models import AuditEvent

    task = next(task for task in _flow_tasks() if not _subject_visible(demo["coach1"], task.process)
                and task.flow_task_type == "HUMAN")
    client = Client()
    client.force_login(demo["coach1"])
    for action in ("index", "detail", "execute", "assign"):
        url = task.flow_task.reverse(action, args=[task.process_id, task.pk])
        denials = _denials()
        assert client.get(url).status_code == 404, url
        assert _denials() == denials + 1
    event = AuditEvent.objects.filter(action="access.denied").order_by("-pk").first()
    assert (event.target_type, event.target_id) == ("viewflow.task", str(task.pk))
    # the task's id under another process: 404 too, even for who may see both
    other = next(t for t in _flow_tasks() if t.process_id != task.process_id)
    client.force_login(demo["supervisor"])
    assert client.get(task.flow_task.reverse("detail", args=[other.process_id, task.pk])).status_code == 404


def test_the_page_of_a_step_that_is_not_a_human_task_renders(demo):
    """Regression: viewflow's stock detail page of a start, gateway or timer step raised
    TemplateSyntaxError (it needs viewflow's frontend site): a 500."""
    task = next(task for task in _flow_tasks() if task.flow_task_type != "HUMAN"
                and _subject_visible(demo["supervisor"], task.process))
    client = Client()
    client.force_login(demo["supervisor"])
    response = client.get(task.flow_task.reverse("detail", args=[task.process_id, task.pk]))
    assert response.status_code == 200
