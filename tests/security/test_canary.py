"""The canary crawl (issue 20): from status codes to content.

test_idor.py checks that an object URL answers 404 to whoever may not see the object.
That says nothing about what a page a user *may* open shows of other objects: a case
page that lists a restricted note to the consultant, a meeting page that shows a
partner the other partner's "må ikke videregives" check, an export that carries a
draft, an e-mail with a concern text in it. Here the content itself is followed.

1. On the demo data (``seed_demo``), one case is chosen: the minor's level-2 case of
   caseworker1 with the mentor intervention (BBU contact bbu1, the child-focused
   consultant, mentor1). A unique marker (``CANARY-<hex>-<kind>-<field>``) is written
   into every free-text field of every object kind on and around it: its referral and
   a second referral about the same person (waiting for screening, on a meeting's
   agenda), decisions, the plan proposal, consents, a disclosure, journal notes (final,
   restricted, draft, one about the intervention), documents (their metadata and the
   file's content), the intervention with its sessions and a review, a meeting with the
   case and the second referral on its agenda, register checks (tagged and untagged, of
   both partners), the meeting's discussion of the case, an access request about the
   person (its representative, delay letter and item decisions), the person and their
   custody holders. Each marker is registered with the level the permission policy
   (``permissions.policy``) must allow to see it; who is allowed is computed from the
   policy functions, never listed by hand.
2. As every demo role (and the administrator on the admin site), every URL pattern of
   the app is requested (GET) with the ids of those objects: the pages, the exports
   (PDF text extracted, CSV, JSON), the document downloads, the task pages of the case's
   processes, the admin site (with the delete confirmations of users and the team). The
   partner API is posted to with a partner token (it answers a receipt). The e-mails the
   run produced are collected.
3. A marker may appear only in answers to users the policy lets see its object at its
   level (all violations are reported at once: user, URL, marker kind and field, the
   level it needs); no e-mail carries any marker; an access request's export carries
   only the items released in its file; the partner API answers only its receipt.
   Every marker must be seen by someone allowed (``NEVER_SHOWN`` and ``SHOWN_FOR_SOME``
   list the fields no page, or only some pages, show), so the test cannot pass by
   seeing nothing.
4. Coverage: a URL pattern that is neither requested nor listed in ``URL_EXCLUSIONS``
   (for the workflow task pages: whose view was not requested and is not listed in
   ``FLOW_VIEW_EXCLUSIONS`` or ``FLOW_EXECUTE_WITHOUT_TASK``), and a free-text field of
   the domain apps that is neither marked nor listed in ``FIELD_EXCLUSIONS``, fail the
   test: a new page or a new kind of text fails here until it is covered.

A leak the policy must fix may be listed in ``KNOWN_LEAKS`` (empty today): it is left
out of the main assertion, and a test fails once it no longer leaks, so the list only
shrinks.

The seeding, the markers and the crawl happen once per module (inside the seeding's
transaction, rolled back at the end); each request runs in a savepoint that is rolled
back, so no request changes what the next one sees.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import secrets
from collections.abc import Callable

import pytest
from django.apps import apps
from django.db import models, transaction
from django.test import Client
from django.urls import NoReverseMatch, resolve, reverse
from django.utils import timezone

from permissions.policy import can
from permissions.rules import Action
from tests.pdf_utils import pdf_text
from tests.security.conftest import app_routes
from tests.security.test_idor import (
    ACCESS_EXPORT,
    ACCESS_ITEM,
    ACCESS_REQUEST,
    AGENDA_ITEM,
    ARCHIVE_REVIEW,
    CASE,
    CASE_ID,
    CONSENT,
    DOCUMENT,
    INTERVENTION,
    LEGAL_HOLD,
    MEETING,
    MINUTES,
    NOTE,
    OBJECT_ROUTES,
    PERSON,
    REFERRAL,
    TEAM_TASK,
    USER_LOG,
    _is_flow_route,
)

pytestmark = pytest.mark.django_db

ROLES = ("caseworker1", "caseworker2", "consultant", "supervisor", "bbu1", "mentor1", "exitmentor1", "coach1",
         "auditor", "partner1", "partner2", "admin")

MARKER_RE = re.compile(r"CANARY-([0-9a-f]{8})")
#: Anything that starts like a marker: a marker cut short by a page is reported too.
FRAGMENT_RE = re.compile(r"CANARY-[0-9a-f]{0,7}(?![0-9a-f])")

#: The domain apps whose free-text fields must all carry a marker (or be excluded below).
DOMAIN_APPS = ("cases", "referrals", "journal", "documents", "interventions", "meetings", "access_requests",
               "people")

#: Free-text fields (CharField/TextField without choices) of the domain apps that are not
#: marked, each with the reason. A new field fails ``test_every_free_text_field_is_marked``
#: until it is marked in ``canary`` below or listed here.
FIELD_EXCLUSIONS = {
    "cases.Case.reference": "a generated reference (KE-yyyy-nnnn), shown wherever the case is named",
    "referrals.Referral.reference": "a generated reference (HV-yyyy-nnnn)",
    "cases.Decision.outcome": "a code (Referral.Outcome values, approved/refused), shown as its label",
    "documents.Document.content_type": "the detected MIME type (an enum of ALLOWED_TYPES), not user text",
    "documents.Document.sha256": "a hash of the file",
    "people.Person.cpr_encrypted": "ciphertext (never shown; CPR is tested in test_cpr_key.py)",
    "people.Person.cpr_index": "a keyed hash (the blind index)",
    "people.Person.cpr_masked": "DDMMYY-****: the masked CPR number, shown by design",
    "access_requests.ItemDecision.basis": "a code (WithholdBasis/ReleaseBasis values), shown as its label",
}

#: Marked fields that no page, export or e-mail shows today (stored only). Their markers
#: are exempt from "seen by someone allowed"; once a page shows one, the test asks for it
#: to be removed here (so the list stays true).
NEVER_SHOWN = {
    "people.CustodyHolder.name": "custody holders are recorded (seed, flows) but no page lists them",
    "people.CustodyHolder.relation": "as above",
    "people.CustodyHolder.contact": "as above",
    "people.CustodyHolder.informed_exception_reason": "as above",
}

#: Marked fields that pages show for some of their objects only: at least one of their
#: markers must be seen by someone allowed (the others are there to catch a leak).
SHOWN_FOR_SOME = {
    "cases.Decision.members_present": "shown only on the consultant's co-signature page of a pending screening "
                                      "decision (the meeting's decision on the second referral)",
}

#: URL patterns not requested, by URL name (or route), each with the reason. A GET of
#: these either changes state or has no content of its own to show.
URL_EXCLUSIONS = {
    "logout": "POST only (Django 5): ends the session",
    "workflows:claim": "POST only: claims a task and redirects",
    "intake:referral-create": "POST only; posted to with a partner token in _partner_api (answers a receipt)",
    "referrals:reveal_cpr": "POST only: reveals the CPR number (audited; test_cpr_key.py); a marker is no CPR number",
    "interventions:dropout": "POST only: the provider stops; redirects",
    "journal:finalise": "POST only: makes a draft final and redirects",
    "journal:delete": "POST only: deletes a draft and redirects",
    "access_requests:complete": "POST only: completes the request and redirects",
    "permissions:break_glass_open": "POST only: opens a case in an emergency (a write, audited) and redirects",
}

#: The workflow task pages are one pattern per flow node and page, served by a handful
#: of shared views (``workflows.views.TaskDetailView`` ...) and one ``execute`` view per
#: node. Their patterns are requested with every task of the canary's processes; a
#: pattern counts as covered when its view was requested through any node. Views listed
#: here were not requested, with the reason.
FLOW_VIEW_EXCLUSIONS = {
    "workflows.views.PostOnlyCancelTaskView": "POST only: cancels the task",
    "workflows.views.PostOnlyReviveTaskView": "POST only: revives the task",
    "workflows.views.PostOnlyUndoTaskView": "POST only: undoes the task",
    "workflows.views.PostOnlyUnassignTaskView": "POST only: unassigns the task",
}
#: Execute views of nodes that have no task in the canary's processes (nothing ended,
#: waited for information, dropped out or turned 18): nothing to request.
FLOW_EXECUTE_WITHOUT_TASK = {
    "workflows.views.ReceiveInformationView": "the canary's referrals never waited for information",
    "workflows.views.BbuAcknowledgeView": "no child-welfare report was needed on the canary's referrals",
    "workflows.case_views.FollowUpView": "the case is not closed",
    "workflows.case_views.AdultTransitionView": "the person is 14",
    "workflows.case_views.ApproveView": "a level-2 case: no supervisor's approval",
    "workflows.intervention_views.CarryOutView": "an intervention without a provider's step; the canary's is a mentor's",
    "workflows.intervention_views.ConcludeView": "an intervention without a provider's step; the canary's is a mentor's",
}

#: Query strings that make a page show more than its empty state (``{case}``,
#: ``{case_reference}``, ``{referral_reference}``: the canary's).
EXTRA_QUERIES = {
    "people:search": ("?q=CANARY", "?q={case_reference}", "?q={referral_reference}"),
    "audit:search": ("?case_id={case}",),
    "audit:export": ("?case_id={case}",),
}

#: Known leaks, to be fixed in the policy: (user, URL name, marker kind) -> what leaks.
#: Each is left out of ``test_no_marker_reaches_a_user_the_policy_does_not_allow`` and
#: asserted on its own in ``test_known_leak`` (strict xfail: fixing it fails that test
#: until the entry is removed).
KNOWN_LEAKS: dict[tuple[str, str, str], str] = {}


# --------------------------------------------------------------------------- markers and levels


class Level:
    """What the policy must allow for a marker to be seen: a predicate on the user, with
    a description for the report. Answers are cached per user (the data does not change
    during the crawl)."""

    def __init__(self, description: str, predicate: Callable[[object], bool]):
        self.description = description
        self.predicate = predicate
        self._answers: dict[int, bool] = {}

    def __call__(self, user) -> bool:
        if user.pk not in self._answers:
            self._answers[user.pk] = bool(self.predicate(user))
        return self._answers[user.pk]

    def __or__(self, other: Level) -> Level:
        return Level(f"{self.description} | {other.description}", lambda user: self(user) or other(user))

    def __and__(self, other: Level) -> Level:
        return Level(f"[{self.description} & {other.description}]", lambda user: self(user) and other(user))


@dataclasses.dataclass(frozen=True)
class Marker:
    text: str
    kind: str  # "restricted journal note"
    field: str  # "journal.JournalNote.text"
    level: Level
    #: The item of an access request's file the text belongs to, (kind, object id): an
    #: export may carry it only when the item is released. None: never in an export.
    file_item: tuple[str, int] | None = None
    #: The request's own text (the delay letter's reason, the representative): for the requester.
    to_requester: bool = False

    @property
    def key(self) -> str:
        return MARKER_RE.match(self.text).group(1)


def _label(model_or_obj) -> str:
    meta = model_or_obj._meta
    return f"{meta.app_label}.{meta.object_name}"


class Canary:
    def __init__(self):
        self.markers: dict[str, Marker] = {}
        self.marked_fields: set[str] = set()
        self.objects: dict[str, list] = {}
        self.mails: list[tuple[str, str]] = []
        self.users: dict[str, object] = {}

    def new(self, model, field: str, kind: str, level: Level, **export) -> str:
        """A fresh marker for ``model.field``, registered with its level (``export``:
        ``file_item``, ``to_requester`` of :class:`Marker`)."""
        while True:
            key = secrets.token_hex(4)
            # No long digit runs: the access file scrubs digit runs of a referrer's
            # contact (phone numbers) wherever they occur.
            if key not in self.markers and not re.search(r"[0-9]{5}", key):
                break
        slug = re.sub(r"[^a-z0-9]+", "", kind.lower())
        text = f"CANARY-{key}-{slug}-{field}"
        label = f"{_label(model)}.{field}"
        self.markers[key] = Marker(text=text, kind=kind, field=label, level=level, **export)
        self.marked_fields.add(label)
        return text

    def mark(self, obj, fields, kind: str, level: Level, **export) -> None:
        """Write a marker into each of ``fields`` of a stored object (an UPDATE, no
        service: the object already exists; its services are tested elsewhere)."""
        values = {field: self.new(type(obj), field, kind, level, **export) for field in fields}
        type(obj)._default_manager.filter(pk=obj.pk).update(**values)
        for field, value in values.items():
            setattr(obj, field, value)

    def belongs_to(self, texts, file_item: tuple[str, int]) -> None:
        """The markers ``texts`` (made before their object existed) belong to ``file_item``."""
        for text in texts:
            key = MARKER_RE.match(text).group(1)
            self.markers[key] = dataclasses.replace(self.markers[key], file_item=file_item)

    def find(self, text: str) -> tuple[list[Marker], list[str]]:
        found = [self.markers[key] for key in set(MARKER_RE.findall(text)) if key in self.markers]
        unknown = sorted({match for match in MARKER_RE.findall(text) if match not in self.markers})
        fragments = [fragment for fragment in FRAGMENT_RE.findall(text)]
        return found, unknown + fragments


class Levels:
    """The levels of the canary's objects, each a question to the permission policy
    (``can`` and the policy's and the meetings app's own visibility functions)."""

    def __init__(self, person):
        self.person = person

    @staticmethod
    def on(obj, *actions) -> Level:
        """``can(user, action, obj)`` for each action."""
        name = "+".join(action.upper() for action in actions)
        return Level(f"{name} on {obj._meta.model_name} {obj}",
                     lambda user: all(can(user, action, obj) for action in actions))

    def _requests(self):
        from caseflow.access_requests.models import AccessRequest

        return list(AccessRequest.objects.filter(person_id=self.person.pk))

    def in_access_file(self, kind, *, case_id=None, referral_id=None, protected="") -> Level:
        """An item of the file of an access request about the person, for a user who
        may open the request (``access_request_actions``), as ``AccessFileReader`` lets
        them read it: the handler and the supervisor all of it, another reader each
        item as the policy lets them see its case or referral."""
        from caseflow.access_requests.file import PROTECTED_POLICE, PROTECTED_RESTRICTED
        from permissions.policy import AccessFileReader, access_request_actions

        def sees(user):
            return any(access_request_actions(user, request) and AccessFileReader(user, request).sees(
                kind=kind, case_id=case_id, referral_id=referral_id,
                protected=protected in (PROTECTED_RESTRICTED, PROTECTED_POLICE)) for request in self._requests())
        return Level(f"the {kind} item of an access request's file (AccessFileReader)", sees)

    def whole_access_file(self) -> Level:
        """The handler's and the supervisor's whole file of an access request about the person."""
        from permissions.policy import AccessFileReader, access_request_actions

        return Level("the whole file of an access request (its handler, the supervisor)",
                     lambda user: any(access_request_actions(user, request) and AccessFileReader(user, request).whole
                                      for request in self._requests()))

    def access_request(self, request) -> Level:
        from permissions.policy import access_request_actions

        return Level(f"access request {request.pk} visible (access_request_actions)",
                     lambda user: bool(access_request_actions(user, request)))

    def access_file_item(self, request, item) -> Level:
        """One item of one request's file, for a user who may open the request."""
        from caseflow.access_requests.file import PROTECTED_POLICE, PROTECTED_RESTRICTED
        from permissions.policy import AccessFileReader

        return self.access_request(request) & Level(
            f"its {item.kind} item {item.object_id} (AccessFileReader)",
            lambda user: AccessFileReader(user, request).sees(
                kind=item.kind, case_id=item.case_id, referral_id=item.referral_id,
                protected=item.protected in (PROTECTED_RESTRICTED, PROTECTED_POLICE)))

    @staticmethod
    def draft_of(author, file_level) -> Level:
        return Level(f"the draft's author {author.username} with {file_level.description}",
                     lambda user: user.pk == author.pk and file_level(user))

    def person_reachable(self) -> Level:
        from permissions.policy import person_reachable

        return Level(f"one of person {self.person.pk}'s cases or referrals visible (person_reachable)",
                     lambda user: person_reachable(user, self.person.pk))

    def on_a_visible_agenda(self) -> Level:
        """A partner sees the name of an agenda item's person (meetings.selectors)."""
        from django.db.models import Q

        from caseflow.meetings.selectors import visible_meetings

        about = Q(items__referral__person_id=self.person.pk) | Q(items__case__person_id=self.person.pk)
        return Level(f"a visible meeting with person {self.person.pk} on its agenda (visible_meetings)",
                     lambda user: visible_meetings(user).filter(about).exists())

    @staticmethod
    def meeting(meeting) -> Level:
        from caseflow.meetings.selectors import visible_meetings

        return Level(f"meeting {meeting.pk} visible (visible_meetings)",
                     lambda user: visible_meetings(user).filter(pk=meeting.pk).exists())

    @classmethod
    def meeting_staff(cls, meeting) -> Level:
        from caseflow.meetings.selectors import viewer_is_staff

        return cls.meeting(meeting) & Level(f"staff of meeting {meeting.pk} (viewer_is_staff)",
                                            lambda user: viewer_is_staff(user, meeting))

    def register_check(self, check) -> Level:
        """A register check: on its meeting's pages as ``register_checks_visible`` lets
        the user read it; in an access request's file for the handler and the
        supervisor (the whole file), and for another reader of the file only a check
        ``register_checks_visible`` would show them as the unit's staff (the file's item
        rule alone would let the screening team of a referral read a tagged check about
        a person whose case they may not see: the check's own rule decides)."""
        from caseflow.access_requests.file import PROTECTED_POLICE, PROTECTED_RESTRICTED
        from caseflow.access_requests.models import ItemKind
        from caseflow.meetings.models import RegisterCheck
        from caseflow.meetings.selectors import viewer_is_staff
        from permissions.policy import register_checks_visible

        meeting, item = check.item.meeting, check.item

        def rule(user, as_staff):
            return register_checks_visible(user, RegisterCheck.objects.filter(pk=check.pk), as_staff=as_staff).exists()

        on_meeting = self.meeting(meeting) & Level(
            f"register check {check.pk} (register_checks_visible)",
            lambda user: rule(user, viewer_is_staff(user, meeting)))
        if item.referral_id is None:
            return on_meeting  # the file holds only the checks of referrals' items
        protected = PROTECTED_RESTRICTED if check.restricted else \
            PROTECTED_POLICE if check.legal_basis == RegisterCheck.LegalBasis.RPL_115 else ""
        in_file = self.in_access_file(ItemKind.REGISTER_CHECK, referral_id=item.referral_id,
                                      case_id=item.referral.case_id, protected=protected)
        return on_meeting | self.whole_access_file() | (in_file & Level(
            f"register check {check.pk} for the unit's staff (register_checks_visible)",
            lambda user: rule(user, True)))


# --------------------------------------------------------------------------- writing the markers


def _fire_timer(process, node_name: str) -> None:
    """Fire the scheduled timer ``node_name`` of ``process`` now (a ``flow.Timer`` or a
    task's ``OnTimeout``, named ``<task>__timeout``), as
    ``viewflow.workflow.timers.fire_due_timers`` does when it is due."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    scheduled = Task.objects.filter(process_id=process.pk, flow_task_type="TIMER", status=STATUS.SCHEDULED)
    task = next(task for task in scheduled if task.flow_task.name == node_name)
    Task.objects.filter(pk=task.pk).update(scheduled=timezone.now() - datetime.timedelta(seconds=1))
    task.refresh_from_db()
    with task.activation() as activation:
        activation.start()
        activation.execute()


def _assign(process, node, user) -> None:
    """Assign the open task ``node`` of ``process`` to ``user`` (as claiming it does)."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    with node.flow_class.lock(process.pk):
        task = Task.objects.get(process_id=process.pk, flow_task=node, status=STATUS.NEW)
        node.activation_class(task).assign(user)


def _mark_case(canary: Canary, users) -> None:
    """Markers on the chosen case and everything around it (see the module docstring).
    The objects are made through their services where one exists, and the markers of
    objects the demo made already are written with an UPDATE."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from caseflow.access_requests.file import access_file_build
    from caseflow.access_requests.models import AccessRequest, ItemDecision, ItemKind, WithholdBasis
    from caseflow.access_requests.services import (
        access_request_delay,
        access_request_item_decide,
        access_request_register,
    )
    from caseflow.cases.disclosures import disclosure_record
    from caseflow.cases.models import Case, CaseProposal, Consent, Decision, Disclosure
    from caseflow.demo.seed import _referral_waiting_for_screening
    from caseflow.documents.models import Document
    from caseflow.documents.services import document_upload
    from caseflow.interventions.models import Intervention, InterventionReview, InterventionSession
    from caseflow.journal.models import JournalNote
    from caseflow.journal.services import journal_note_create
    from caseflow.meetings import services as meetings
    from caseflow.meetings.models import AgendaItem, MeetingMember, RegisterCheck
    from caseflow.people.models import CustodyHolder
    from caseflow.referrals.models import Referral
    from caseflow.retention.models import ArchiveReview
    from caseflow.retention.services import legal_hold_set
    from workflows.flows.referral import ReferralFlow
    from workflows.models import CaseProcess, InterventionProcess, ReferralProcess

    worker, supervisor = users["caseworker1"], users["supervisor"]
    case = (Case.objects.select_related("person", "team")
            .get(responsible=worker, level=Case.Level.ANTICIPATORY, is_minor=True, bbu_contact=users["bbu1"],
                 interventions__kind=Intervention.Kind.MENTOR, interventions__provider=users["mentor1"]))
    person = case.person
    referral = Referral.objects.get(case=case)
    intervention = Intervention.objects.get(case=case, kind=Intervention.Kind.MENTOR)
    levels = Levels(person)
    on = levels.on

    # ------------------------------------------------------------------ the flows moved on
    # Around the case: a new referral about the same person, registered by another
    # caseworker and waiting for the screening decision (the team's screeners see it).
    second = _referral_waiting_for_screening(users, case.team, person, registrar="caseworker2", days_ago=1)
    # The case's progress review is due (its task shows the plan) and so is the
    # intervention's (the case may go on a meeting's agenda, the review pages render).
    _fire_timer(CaseProcess.objects.get(case=case), "wait_review")
    _fire_timer(InterventionProcess.objects.get(intervention=intervention), "follow__timeout")

    # ------------------------------------------------------------------ the person
    names = levels.person_reachable() | levels.in_access_file(ItemKind.PERSON) | levels.on_a_visible_agenda()
    in_file = {"file_item": (ItemKind.PERSON, person.pk)}
    canary.mark(person, ["last_name"], "person", names, **in_file)
    # The first name: also on the intervention's page, for its provider ("Citizen").
    canary.mark(person, ["first_name"], "person", names | on(intervention, Action.VIEW), **in_file)
    canary.mark(person, ["address", "district", "school_or_workplace", "language"], "person",
                levels.person_reachable() | levels.in_access_file(ItemKind.PERSON), **in_file)
    for index, holder in enumerate(CustodyHolder.objects.filter(person=person).order_by("pk"), start=1):
        canary.mark(holder, ["name", "relation", "contact", "informed_exception_reason"], f"custody holder {index}",
                    on(case, Action.VIEW_FILE))

    # ------------------------------------------------------------------ referrals
    for name, obj in (("referral", referral), ("second referral", second)):
        concern = on(obj, Action.VIEW) | levels.in_access_file(ItemKind.REFERRAL, case_id=obj.case_id,
                                                                referral_id=obj.pk)
        referrer = on(obj, Action.VIEW_REFERRER)
        if obj.case_id:
            concern |= on(case, Action.VIEW_FILE)
            referrer |= on(case, Action.VIEW_REFERRER)
        canary.mark(obj, ["concern_text"], name, concern, file_item=(ItemKind.REFERRAL, obj.pk))
        canary.mark(obj, ["referrer_name", "referrer_contact"], name, referrer)

    # ------------------------------------------------------------------ consents, a disclosure
    for index, consent in enumerate(Consent.objects.filter(case=case).order_by("pk"), start=1):
        canary.mark(consent, ["recipient", "given_by_name", "note"], f"consent {index}",
                    on(case, Action.VIEW_FILE) | levels.in_access_file(ItemKind.CONSENT, case_id=case.pk),
                    file_item=(ItemKind.CONSENT, consent.pk))
    disclosure = on(case, Action.VIEW_FILE) | levels.in_access_file(ItemKind.DISCLOSURE, case_id=case.pk)
    texts = {field: canary.new(Disclosure, field, "disclosure", disclosure)
             for field in ("recipient", "data", "legal_basis_other", "justification")}
    made = disclosure_record(actor=worker, case=case, legal_basis=Disclosure.LegalBasis.OTHER, **texts)
    canary.belongs_to(texts.values(), (ItemKind.DISCLOSURE, made.pk))

    # ------------------------------------------------------------------ journal notes
    notes = []
    for kind, restricted, final, about_intervention in (
            ("journal note", False, True, False),
            ("restricted journal note", True, True, False),
            ("draft journal note", False, False, False),
            ("journal note about the intervention", False, True, True)):
        file_level = on(case, Action.VIEW_FILE, Action.VIEW_RESTRICTED) if restricted \
            else on(case, Action.VIEW_FILE)
        if final:
            level = file_level | levels.in_access_file(ItemKind.JOURNAL_NOTE, case_id=case.pk,
                                                       protected="restricted" if restricted else "")
        else:
            level = levels.draft_of(worker, file_level)
        text = canary.new(JournalNote, "text", kind, level)
        notes.append(journal_note_create(
            actor=worker, case=case, text=text, event_at=timezone.now() - datetime.timedelta(hours=3),
            source_authority=JournalNote.SourceAuthority.POLICE if restricted
            else JournalNote.SourceAuthority.COORDINATION_UNIT,
            restricted=restricted, final=final, intervention=intervention if about_intervention else None))
        if final:  # a draft is not part of the file
            canary.belongs_to([text], (ItemKind.JOURNAL_NOTE, notes[-1].pk))

    # ------------------------------------------------------------------ documents
    documents = []
    for kind, restricted, about_intervention in (("document", False, False), ("restricted document", True, False),
                                                 ("document about the intervention", False, True)):
        level = on(case, Action.VIEW_FILE, Action.VIEW_RESTRICTED) if restricted else on(case, Action.VIEW_FILE)
        level |= levels.in_access_file(ItemKind.DOCUMENT, case_id=case.pk,
                                       protected="restricted" if restricted else "")
        texts = {field: canary.new(Document, field, kind, level)
                 for field in ("file", "original_name", "subject", "received_from")}  # file: its content
        documents.append(document_upload(
            actor=worker, case=case, subject=texts["subject"], received_from=texts["received_from"],
            restricted=restricted, intervention=intervention if about_intervention else None,
            uploaded_file=SimpleUploadedFile(f"{texts['original_name']}.txt",
                                             f"Fiktivt indhold.\n{texts['file']}\n".encode(), "text/plain")))
        canary.belongs_to(texts.values(), (ItemKind.DOCUMENT, documents[-1].pk))

    # ------------------------------------------------------------------ the intervention
    intervention_file = on(intervention, Action.VIEW_FILE) | levels.in_access_file(ItemKind.INTERVENTION,
                                                                                    case_id=case.pk)
    in_file = {"file_item": (ItemKind.INTERVENTION, intervention.pk)}
    canary.mark(intervention, ["goals", "partner_roles"], "intervention", intervention_file, **in_file)
    for index, session in enumerate(InterventionSession.objects.filter(intervention=intervention).order_by("pk"),
                                    start=1):
        canary.mark(session, ["topic", "note"], f"session {index}", intervention_file, **in_file)
    InterventionReview.objects.create(
        intervention=intervention, goals_status=InterventionReview.GoalsStatus.PARTLY,
        outcome=InterventionReview.Outcome.CONTINUE, reviewed_by=worker,
        note=canary.new(InterventionReview, "note", "progress review", intervention_file, **in_file))

    # ------------------------------------------------------------------ a meeting
    meeting = meetings.meeting_create(actor=worker, starts_at=timezone.now() + datetime.timedelta(hours=2),
                                      place="Fiktivt lokale", chair=supervisor, minute_taker=worker)
    canary.mark(meeting, ["place"], "meeting", levels.meeting(meeting))
    for partner in ("partner1", "partner2"):
        meetings.meeting_member_invite(
            actor=worker, meeting=meeting, user=users[partner],
            authority=canary.new(MeetingMember, "authority", f"meeting member {partner}", levels.meeting(meeting)))
    referral_item = meetings.meeting_item_add(actor=worker, meeting=meeting, referral=second)
    case_item = meetings.meeting_case_add(actor=worker, meeting=meeting, case=case)
    meetings.meeting_agenda_send(actor=worker, meeting=meeting)
    checks = []
    for partner, item, restricted, legal_basis in (
            ("partner1", referral_item, True, RegisterCheck.LegalBasis.RPL_115),
            ("partner2", referral_item, False, RegisterCheck.LegalBasis.OTHER),
            ("partner1", case_item, False, RegisterCheck.LegalBasis.FVL_28),
            ("partner2", case_item, True, RegisterCheck.LegalBasis.OTHER)):
        check = meetings.register_check_record(
            actor=users[partner], item=item, nothing_found=False, summary="Fiktivt.", legal_basis=legal_basis,
            legal_basis_other="Fiktivt." if legal_basis == RegisterCheck.LegalBasis.OTHER else "",
            restricted=restricted)
        fields = ["authority", "summary"] + (["legal_basis_other"] if check.legal_basis_other else [])
        kind = (f"{'tagged' if restricted else 'untagged'} register check by {partner} on the "
                f"{'referral' if item.referral_id else 'case'}")
        # The authority is the member's (a copy): its own marker, so a leak is told apart.
        canary.mark(check, fields, kind, levels.register_check(check),
                    file_item=(ItemKind.REGISTER_CHECK, check.pk) if item.referral_id else None)
        checks.append(check)
    meetings.meeting_hold(actor=worker, meeting=meeting, present_user_ids=[users["partner1"].pk, users["partner2"].pk])
    staff = levels.meeting_staff(meeting)
    meetings.meeting_case_discuss(
        actor=worker, item=case_item, note=canary.new(AgendaItem, "justification", "meeting on the case", staff),
        recommendation=canary.new(AgendaItem, "recommendation", "meeting on the case", staff),
        dissent=canary.new(AgendaItem, "dissent", "meeting on the case", staff))
    meetings.meeting_item_decide(
        actor=worker, item=referral_item, outcome=Referral.Outcome.ADVICE_TO_REFERRER,
        justification=canary.new(AgendaItem, "justification", "meeting on the second referral", staff),
        dissent=canary.new(AgendaItem, "dissent", "meeting on the second referral", staff))
    canary.mark(case_item, ["members_present"], "meeting on the case", staff)
    canary.mark(referral_item, ["members_present"], "meeting on the second referral", staff)
    # A minor's screening outcome waits for the consultant's co-signature: their task
    # page shows the meeting's decision.
    _assign(ReferralProcess.objects.get(referral=second), ReferralFlow.cosign_screening, users["consultant"])

    # ------------------------------------------------------------------ decisions, the plan
    # After the meeting: its decision on the second referral quotes the item's texts,
    # which the decision's own markers replace.
    decisions = Decision.objects.filter(case=case).union(Decision.objects.filter(referral__in=[referral, second]))
    for index, decision in enumerate(decisions.order_by("pk"), start=1):
        level = levels.in_access_file(ItemKind.DECISION, case_id=decision.case_id, referral_id=decision.referral_id)
        if decision.case_id:
            level |= on(case, Action.VIEW)
        if decision.referral_id:
            decided = referral if decision.referral_id == referral.pk else second
            level |= on(decided, Action.VIEW)
            if decided.case_id:
                level |= on(case, Action.VIEW)
        canary.mark(decision, ["justification", "legal_basis", "members_present"], f"decision {index}", level,
                    file_item=(ItemKind.DECISION, decision.pk))
    for index, proposal in enumerate(CaseProposal.objects.filter(case=case).order_by("pk"), start=1):
        canary.mark(proposal, ["goals", "justification"], f"plan proposal {index}", on(case, Action.VIEW_FILE))

    # ------------------------------------------------------------------ an access request
    access_request = access_request_register(
        actor=worker, person=person, received_on=timezone.localdate(), legal_basis=AccessRequest.LegalBasis.GDPR_15,
        requester=AccessRequest.Requester.REPRESENTATIVE, representative_note="Fiktiv advokat",
        representative_authority=AccessRequest.Authority.POWER_OF_ATTORNEY)
    canary.mark(access_request, ["representative_note"], "access request", levels.access_request(access_request),
                to_requester=True)
    access_request_delay(
        actor=worker, request=access_request, letter_on=timezone.localdate(),
        reason=canary.new(AccessRequest, "delay_reason", "access request", levels.access_request(access_request),
                          to_requester=True),
        expected_on=timezone.localdate() + datetime.timedelta(days=60))
    access_file = access_file_build(access_request)
    for kind, object_id, release in ((ItemKind.JOURNAL_NOTE, notes[0].pk, True),
                                     (ItemKind.INTERVENTION, intervention.pk, False),
                                     (ItemKind.REFERRAL, second.pk, False)):
        level = levels.access_file_item(access_request, access_file.find(kind, object_id))
        access_request_item_decide(
            actor=worker, request=access_request, kind=kind, object_id=object_id, release=release,
            basis="" if release else WithholdBasis.OFFL_30,
            note=canary.new(ItemDecision, "note", f"access request decision on the {kind}", level))

    # ------------------------------------------------------------------ retention (for their pages)
    review = ArchiveReview.objects.create(case=case, case_reference=case.reference, team_id=case.team_id)
    hold = legal_hold_set(actor=supervisor, target=case, reason="Fiktiv retssag.")

    canary.objects = {
        "case": [case], "referrals": [referral, second], "intervention": [intervention], "notes": notes,
        "documents": documents, "consents": list(Consent.objects.filter(case=case).order_by("pk")),
        "meeting": [meeting], "items": [referral_item, case_item], "person": [person],
        "access_request": [access_request], "archive_review": [review], "legal_hold": [hold],
    }


# --------------------------------------------------------------------------- e-mails


def _send_pending_mail(since, users) -> None:
    """What would have been mailed after the commits: the outbox's tasks (the meeting's
    agenda e-mails) run here, in this process (the test's transaction never commits, so
    their on-commit publication never happens), then the notification scans (now, and
    a month on, when deadlines are near and passed) and the daily digest (the consultant
    prefers it)."""
    from caseflow.celery import app as celery_app
    from caseflow.meetings import tasks as _meeting_tasks  # noqa: F401 - registers the task
    from caseflow.notifications import tasks as _notification_tasks  # noqa: F401 - registers the tasks
    from caseflow.notifications.models import NotificationPreference, OutboxMessage
    from caseflow.notifications.services import notification_digest_send, notification_scan

    NotificationPreference.objects.update_or_create(user=users["consultant"],
                                                    defaults={"mode": NotificationPreference.Mode.DIGEST})
    for message in OutboxMessage.objects.filter(delivered_at__isnull=True, created_at__gte=since).order_by("pk"):
        celery_app.tasks[message.task_name].apply(kwargs=message.kwargs, throw=True)
    notification_scan()
    notification_scan(now=timezone.now() + datetime.timedelta(days=30))
    notification_digest_send()


def _mail_texts(messages) -> list[tuple[str, str]]:
    """(recipients, everything of the message) per e-mail."""
    texts = []
    for message in messages:
        parts = [message.subject, message.body, *(str(header) for header in message.extra_headers.values())]
        parts += [content for content, _type in getattr(message, "alternatives", [])]
        parts += [str(attachment) for attachment in message.attachments]
        texts.append((", ".join(message.to), "\n".join(parts)))
    return texts


# --------------------------------------------------------------------------- the module's data


@pytest.fixture(scope="module")
def canary(seeded, django_db_blocker) -> Canary:
    """The demo with the markers written, and the e-mails that produced."""
    from django.core import mail

    from caseflow.accounts.models import User

    with django_db_blocker.unblock():
        result = Canary()
        result.users = {user.username: user for user in User.objects.filter(username__in=ROLES)}
        started, sent_before = timezone.now(), len(mail.outbox)
        _mark_case(result, result.users)
        _send_pending_mail(started, result.users)
        result.mails = _mail_texts(mail.outbox[sent_before:])
    return result


# --------------------------------------------------------------------------- the crawl


@dataclasses.dataclass(frozen=True)
class Seen:
    username: str
    name: str  # the URL's name (or route)
    url: str
    markers: tuple[Marker, ...]
    fragments: tuple[str, ...]


@dataclasses.dataclass
class Crawl:
    canary: Canary
    seen: list[Seen]
    requested: set[str]  # URL names (or routes) requested
    flow_views: set[str]  # view paths of the task pages requested
    requests: dict[str, int]  # per user
    errors: list[str]
    partner_api: list[str]  # what the partner API answered that it should not


def _takes_get(route) -> bool:
    view_class = route.view_class
    if view_class is None:
        return True
    methods = getattr(route.callback, "view_initkwargs", {}).get("http_method_names") \
        or view_class.http_method_names
    return "get" in methods and hasattr(view_class, "get")


class _KindMap(dict):
    """Objects per kind, keyed by the kind object itself (test_idor's kinds are not hashable)."""

    def __init__(self, pairs):
        super().__init__()
        self.update({id(kind): objects for kind, objects in pairs})

    def has(self, kind) -> bool:
        return id(kind) in self

    def of(self, kind) -> list:
        return self[id(kind)]


def _kind_objects(canary: Canary) -> _KindMap:
    """The objects behind each kind of object URL (test_idor's kinds): the canary's."""
    from viewflow.workflow.models import Task

    from caseflow.access_requests.file import access_file_build
    from caseflow.supervision.selectors import OPEN_TASK_STATUSES

    objects = canary.objects
    case = objects["case"][0]
    access_request = objects["access_request"][0]
    return _KindMap([
        (CASE, objects["case"]),
        (CASE_ID, objects["case"]),
        (CONSENT, [(case, consent) for consent in objects["consents"]]),
        (REFERRAL, objects["referrals"]),
        (INTERVENTION, objects["intervention"]),
        (NOTE, objects["notes"]),
        (DOCUMENT, objects["documents"]),
        (USER_LOG, [canary.users[name] for name in ("caseworker1", "caseworker2", "mentor1", "partner1", "partner2")]),
        (MEETING, objects["meeting"]),
        (MINUTES, objects["meeting"]),
        (AGENDA_ITEM, objects["items"]),
        (PERSON, objects["person"]),
        (ACCESS_REQUEST, objects["access_request"]),
        (ACCESS_EXPORT, objects["access_request"]),
        (ACCESS_ITEM, [(access_request, item) for item in access_file_build(access_request).items]),
        (TEAM_TASK, list(Task.objects.filter(process__in=_processes(canary), flow_task_type="HUMAN",
                                             status__in=OPEN_TASK_STATUSES).order_by("pk"))),
        (ARCHIVE_REVIEW, objects["archive_review"]),
        (LEGAL_HOLD, objects["legal_hold"]),
    ])


def _processes(canary: Canary) -> list:
    from workflows.models import CaseProcess, InterventionProcess, ReferralProcess

    objects = canary.objects
    return [*ReferralProcess.objects.filter(referral__in=objects["referrals"]),
            *CaseProcess.objects.filter(case__in=objects["case"]),
            *InterventionProcess.objects.filter(intervention__in=objects["intervention"])]


def _object_urls(route, kind, objects) -> list[str]:
    urls = []
    for obj in objects:
        kwargs = kind.kwargs(obj)
        if kind is ACCESS_EXPORT:
            urls += [route.url(**{**kwargs, "export_format": export_format}) for export_format in ("json", "pdf")]
        else:
            urls.append(route.url(**kwargs))
    return urls


def _app_pages(canary: Canary) -> list[tuple[str, str]]:
    """(name, URL) of every routed page to request, the same for every user."""
    case = canary.objects["case"][0]
    fill = {"case": case.pk, "case_reference": case.reference,
            "referral_reference": canary.objects["referrals"][1].reference}
    kind_objects = _kind_objects(canary)
    pages = []
    for route in app_routes():
        name = route.name or route.route
        if _is_flow_route(route) or name in URL_EXCLUSIONS or not _takes_get(route):
            continue
        if not route.params:
            pages.append((name, route.url()))
            pages += [(name, route.url() + query.format(**fill)) for query in EXTRA_QUERIES.get(name, ())]
        elif route.name in OBJECT_ROUTES and kind_objects.has(OBJECT_ROUTES[route.name]):
            kind = OBJECT_ROUTES[route.name]
            pages += [(name, url) for url in _object_urls(route, kind, kind_objects.of(kind))]
    return pages


#: The GET pages of a task (``index`` redirects to one of the others).
TASK_PAGES = ("index", "detail", "execute", "assign")


def _task_pages(canary: Canary) -> list[tuple[str, str, str, int | None]]:
    """(name, URL, view path, user id or None) of the task pages of every task of the
    canary's processes: every page of a task still to do for everyone; of a finished
    task its ``detail`` page for everyone, its other pages (which only send a user
    away now) for the user who did it (a shortcut: 12 users times every step took
    too long)."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    pages = []
    for task in Task.objects.filter(process__in=_processes(canary)).order_by("pk"):
        finished = task.status in (STATUS.DONE, STATUS.CANCELED)
        for action in TASK_PAGES:
            try:
                url = task.flow_task.reverse(action, args=[task.process_id, task.pk])
            except NoReverseMatch:
                continue
            match = resolve(url)
            view_class = getattr(match.func, "view_class", match.func)
            only_for = task.owner_id if finished and action != "detail" else None
            if finished and action != "detail" and only_for is None:
                continue  # a finished step nobody did (a gateway, a timer): its detail page only
            pages.append((match.view_name, url, f"{view_class.__module__}.{view_class.__qualname__}", only_for))
    return pages


def _admin_pages(canary: Canary) -> list[tuple[str, str]]:
    """The admin site: its index, each app's index, each model's list and add form, the
    change and history pages of the users, the team, the processes and tasks of the
    canary, and the delete confirmations of the users and the team."""
    from django.contrib import admin
    from viewflow.workflow.models import Process, Task

    from caseflow.accounts.models import Team, User

    processes = _processes(canary)
    named = {
        User: list(User.objects.filter(username__in=ROLES)),
        Team: [Team.objects.get(pk=canary.objects["case"][0].team_id)],
        Process: [Process.objects.get(pk=process.pk) for process in processes],
        Task: list(Task.objects.filter(process__in=processes).order_by("pk")),
    }
    pages = [("admin:index", reverse("admin:index"))]
    for app_label in sorted({model._meta.app_label for model in admin.site._registry}):
        pages.append(("admin:app_list", reverse("admin:app_list", args=[app_label])))
    for model in sorted(admin.site._registry, key=lambda model: model._meta.label):
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages += [(f"{info}_changelist", reverse(f"{info}_changelist")), (f"{info}_add", reverse(f"{info}_add"))]
        objects = named.get(model) or list(model._default_manager.order_by("pk")[:1])
        for obj in objects:
            pages.append((f"{info}_change", reverse(f"{info}_change", args=[obj.pk])))
            if model in (User, Team):
                pages += [(f"{info}_history", reverse(f"{info}_history", args=[obj.pk])),
                          (f"{info}_delete", reverse(f"{info}_delete", args=[obj.pk]))]
    return pages


def _body(response) -> str:
    """Everything the answer carries: its headers and its content (a PDF's text)."""
    data = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/pdf"):
        text = pdf_text(data)
    else:
        text = data.decode("utf-8", "replace")
    headers = "\n".join(f"{header}: {value}" for header, value in response.items())
    return f"{headers}\n\n{text}"


def _get(client, url) -> tuple[int | None, str]:
    """GET in a savepoint that is rolled back (what the page writes, audit events
    included, is gone before the next request); a view's exception is returned as text."""
    try:
        with transaction.atomic():
            response = client.get(url)
            # Not response.close(): the test client closes the answer itself (a streamed
            # one when its content is read), with the connection-closing signal held off.
            body = _body(response)
            transaction.set_rollback(True)
    except Exception as exc:  # noqa: BLE001 - reported by test_no_request_fails
        return None, f"{type(exc).__name__}: {str(exc)[:200]}"
    return response.status_code, body


def _partner_api(canary: Canary) -> list[str]:
    """A partner system posts a referral about the canary's person (their name and date
    of birth): it gets its receipt, nothing of the person's file. What it sent itself
    (the name) does not count."""
    from rest_framework.test import APIClient

    from caseflow.accounts.roles import Role
    from caseflow.intake.models import PartnerOrganisation
    from caseflow.intake.services import partner_token_issue
    from tests.factories import UserFactory

    person = canary.objects["person"][0]
    with transaction.atomic():
        service_user = UserFactory(username="svc-canary", team=None, roles=[Role.PARTNER_INTAKE])
        organisation = PartnerOrganisation.objects.create(name="Fiktiv skole (canary)", team=person.cases.first().team,
                                                          service_user=service_user)
        client = APIClient(REMOTE_ADDR="10.250.250.1")
        client.credentials(HTTP_AUTHORIZATION=f"Token {partner_token_issue(actor=None, organisation=organisation)}")
        sent = {"referrer_type": "primary_school", "referrer_name": "Fiktiv lærer", "concern_text": "Fiktiv.",
                "warning_signs": ["extremist_media"], "urgency": "normal",
                "person": {"first_name": person.first_name, "last_name": person.last_name,
                           "birth_date": person.birth_date.isoformat()}}
        response = client.post("/api/v1/referrals/", sent, format="json")
        body = _body(response)
        transaction.set_rollback(True)
    wrong = [] if response.status_code == 201 else [f"the partner API answered {response.status_code}: {body[-300:]}"]
    own = {canary.find(value)[0][0].key for value in sent["person"].values() if canary.find(value)[0]}
    found, fragments = canary.find(body)
    wrong += [f"the partner API's answer carries {marker.kind} ({marker.field})" for marker in found
              if marker.key not in own]
    return wrong + [f"the partner API's answer carries {fragment!r}" for fragment in fragments]


def _signed_in(user) -> Client:
    """A client signed in as after a finished two-factor sign-in (as tests/conftest.py's
    ``_test_client_second_factor`` does for each test; the crawl runs in a module
    fixture, before that per-test fixture)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    device = (TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
              or TOTPDevice.objects.create(user=user, name="test", confirmed=True))
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture(scope="module")
def crawl(canary, django_db_blocker) -> Crawl:
    from django.core import mail

    with django_db_blocker.unblock():
        result = Crawl(canary=canary, seen=[], requested=set(), flow_views=set(), requests={}, errors=[],
                       partner_api=[])
        app_pages = _app_pages(canary)
        task_pages = _task_pages(canary)
        admin_pages = _admin_pages(canary)
        sent_before = len(mail.outbox)
        for username in ROLES:
            user = canary.users[username]
            client = _signed_in(user)
            pages = [(name, url, "") for name, url in app_pages]
            pages += [(name, url, view_path) for name, url, view_path, only_for in task_pages
                      if only_for in (None, user.pk)]
            if user.is_superuser:
                pages += [(name, url, "") for name, url in admin_pages]
            for name, url, view_path in pages:
                status, body = _get(client, url)
                result.requests[username] = result.requests.get(username, 0) + 1
                result.requested.add(name)
                if view_path:
                    result.flow_views.add(view_path)
                if status is None or status >= 500:
                    result.errors.append(f"{username} GET {url}: {status or body}")
                    continue
                found, fragments = canary.find(body)
                if found or fragments:
                    result.seen.append(Seen(username, name, url, tuple(found), tuple(fragments)))
        result.partner_api = _partner_api(canary)
        canary.mails += _mail_texts(mail.outbox[sent_before:])
    return result


# --------------------------------------------------------------------------- the tests


def _violations(crawl: Crawl, username: str) -> list[tuple[tuple[str, str, str], str]]:
    user = crawl.canary.users[username]
    found = []
    for seen in crawl.seen:
        if seen.username != username:
            continue
        for marker in seen.markers:
            if not marker.level(user):
                found.append(((username, seen.name, marker.kind),
                              f"{username} GET {seen.url} ({seen.name}): {marker.kind} {marker.field} "
                              f"[needs {marker.level.description}]"))
        for fragment in seen.fragments:
            found.append(((username, seen.name, "a marker cut short"),
                          f"{username} GET {seen.url} ({seen.name}): a marker cut short: {fragment!r}"))
    return found


@pytest.mark.parametrize("username", ROLES)
def test_no_marker_reaches_a_user_the_policy_does_not_allow(crawl, username):
    wrong = sorted({text for key, text in _violations(crawl, username) if key not in KNOWN_LEAKS})
    assert wrong == [], "\n".join(wrong)
    assert crawl.requests[username] > 100, f"only {crawl.requests[username]} requests as {username}"


def test_each_known_leak_still_leaks(crawl):
    """A leak listed in ``KNOWN_LEAKS`` (left out of the main assertion) must still be
    there: once the policy is fixed, the entry goes, and the main assertion covers it."""
    fixed = [key for key in KNOWN_LEAKS if not any(found == key for found, _ in _violations(crawl, key[0]))]
    assert fixed == [], f"no longer leaking, remove from KNOWN_LEAKS: {fixed}"


def test_every_marker_is_seen_by_someone_allowed(crawl):
    """Otherwise the test could pass by finding nothing (a marker in a field no page
    shows, a crawl that got only 404s)."""
    users = crawl.canary.users
    seen_by_allowed = {marker.key for seen in crawl.seen for marker in seen.markers
                       if marker.level(users[seen.username])}
    fields_seen = {marker.field for marker in crawl.canary.markers.values() if marker.key in seen_by_allowed}
    unseen = sorted(f"{marker.kind}: {marker.field}" for marker in crawl.canary.markers.values()
                    if marker.key not in seen_by_allowed and marker.field not in NEVER_SHOWN
                    and not (marker.field in SHOWN_FOR_SOME and marker.field in fields_seen))
    assert unseen == [], "no one allowed saw these markers:\n" + "\n".join(unseen)
    shown = sorted({marker.field for seen in crawl.seen for marker in seen.markers if marker.field in NEVER_SHOWN})
    assert shown == [], f"shown after all (remove from NEVER_SHOWN): {shown}"


def test_no_email_carries_a_marker(crawl):
    """E-mails say that there is something to look at, with a link; never case content
    (design.md §3)."""
    mails = crawl.canary.mails
    assert len(mails) >= 3, f"only {len(mails)} e-mails were produced: the check would see nothing"
    wrong = []
    for recipients, text in mails:
        found, fragments = crawl.canary.find(text)
        wrong += [f"to {recipients}: {marker.kind} {marker.field}" for marker in found]
        wrong += [f"to {recipients}: {fragment!r}" for fragment in fragments]
    assert wrong == [], "\n".join(wrong)


def test_an_access_request_export_carries_only_released_items(crawl):
    """The export leaves the unit (to the person or their representative): only the
    items released in the request's file, and the request's own letters. Never the
    referrer, a draft, material that may not be passed on (unless released with a
    basis), an item withheld, the handler's notes on the items, or what the file does
    not hold (meetings' discussions, the plan)."""
    from caseflow.access_requests.file import access_file_build

    access_file = access_file_build(crawl.canary.objects["access_request"][0])
    released = {item.key for item in access_file.released}
    exports = [seen for seen in crawl.seen if seen.name == "access_requests:export"]
    assert exports, "no export carried a marker: the check would see nothing"
    wrong = sorted({f"{seen.url}: {marker.kind} {marker.field}" for seen in exports for marker in seen.markers
                    if not marker.to_requester and marker.file_item not in released})
    assert wrong == [], "\n".join(wrong)


def test_the_partner_api_answers_only_a_receipt(crawl):
    assert crawl.partner_api == []


def test_no_request_fails(crawl):
    assert crawl.errors == [], "\n".join(crawl.errors)


def test_every_url_pattern_is_requested_or_excluded(crawl):
    """A new page fails here until it is requested (an object URL needs a kind in
    test_idor.OBJECT_ROUTES and its objects in ``_kind_objects``) or excluded with a
    reason."""
    missing, stale = [], []
    for route in app_routes():
        name = route.name or route.route
        if _is_flow_route(route):
            if route.view_path not in crawl.flow_views and route.view_path not in FLOW_VIEW_EXCLUSIONS \
                    and route.view_path not in FLOW_EXECUTE_WITHOUT_TASK:
                missing.append(f"{name} ({route.view_path})")
        elif name not in crawl.requested and name not in URL_EXCLUSIONS:
            missing.append(name)
    flow_paths = {route.view_path for route in app_routes() if _is_flow_route(route)}
    stale += [path for path in [*FLOW_VIEW_EXCLUSIONS, *FLOW_EXECUTE_WITHOUT_TASK] if path not in flow_paths
              or path in crawl.flow_views]
    stale += [name for name in URL_EXCLUSIONS if name in crawl.requested
              or name not in {route.name or route.route for route in app_routes()}]
    assert sorted(set(missing)) == [], "neither requested nor excluded"
    assert stale == [], "excluded but requested, or gone: remove from the exclusion lists"


def _free_text_fields():
    for app_label in DOMAIN_APPS:
        for model in apps.get_app_config(app_label).get_models():
            if model._meta.proxy or not model._meta.managed:
                continue
            for field in model._meta.concrete_fields:
                if isinstance(field, models.CharField | models.TextField) and not field.choices:
                    yield f"{_label(model)}.{field.name}"


def test_every_free_text_field_is_marked_or_excluded(canary):
    """A new free-text field of a domain model fails here until the canary writes a
    marker into it (and its pages are checked) or it is excluded with a reason."""
    fields = set(_free_text_fields())
    assert sorted(fields - canary.marked_fields - set(FIELD_EXCLUSIONS)) == []
    assert sorted(set(FIELD_EXCLUSIONS) - fields) == [], "excluded fields that are gone or not free text"
    assert sorted(set(FIELD_EXCLUSIONS) & canary.marked_fields) == [], "both marked and excluded"
