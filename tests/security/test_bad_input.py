"""Bad input on every form (issue 10 point 5).

For each state-changing form view of the URLconf, as a user allowed to use it,
hypothesis posts hostile values (unicode incl. astral characters, 100k strings, control
characters, NUL, HTML/JS, SQL fragments, huge and negative numbers, malformed dates)
into the fields of an otherwise valid submission, and asserts:

* never a 500 (the test client re-raises a view's exception);
* a refusal (the form re-rendered with errors: 200/400, or 403/404) wrote nothing: the
  row counts of every domain table are unchanged and no audit event other than a read
  or a refusal was recorded;
* an acceptance stored the values as submitted (after the form's whitespace strip).

Each example runs in a savepoint that is rolled back, so every example starts from the
same demo state. ``test_every_post_view_is_covered`` fails when a new POST view is routed
without being added here (or to ``NOT_A_FORM`` with a reason)."""

from __future__ import annotations

import dataclasses
import datetime
import os
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.security.conftest import WriteProbe, post_routes

pytestmark = pytest.mark.django_db

hypothesis_settings.register_profile(
    "security", max_examples=20, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
hypothesis_settings.register_profile(
    "security-long", parent=hypothesis_settings.get_profile("security"), max_examples=300, derandomize=False,
)
PROFILE = hypothesis_settings.get_profile(os.environ.get("CASEFLOW_SECURITY_PROFILE", "security"))

# --------------------------------------------------------------------------- hostile values

HUGE = 100_000
SAMPLES = [
    "", " ", "\x00", "a\x00b", "\x1b[31mred", "\x07\x08\x0b\x0c", "line\r\nbreak", "\t\n",
    "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "{{ 7*7 }}{% debug %}",
    "'; DROP TABLE cases_case; --", "' OR '1'='1", "1; SELECT pg_sleep(5)", "%s%s%n", "\\",
    "😀🏴‍☠️𝕏𐍈", "\U0010fffd", "\u202eevil", "\ufeff", "ÆØÅ æøå", "A" * HUGE, "<" * HUGE, "😀" * 30_000,
]
NUMBERS = ["-1", "0", "-0", "1e309", "NaN", "inf", "-inf", "1.5", "0x10", " 5 ", "٣", "９", str(2**63),
           str(-(2**63) - 1), "9" * 400, "1_000"]
DATES = ["2026-02-30", "0000-00-00", "0001-01-01", "9999-12-31", "10000-01-01", "-2020-01-01", "31/12/2026",
         "2026-13-01", "2026-1-1", "2026-01-01T25:61", "1970-01-01T00:00", "9999-12-31T23:59", "2026-01-01 24:00",
         "today", "\x00", "2026-01-01\x00"]

text = st.one_of(
    st.sampled_from(SAMPLES),
    st.text(st.characters(codec="utf-8"), max_size=300),  # any code point but surrogates
    st.text(st.characters(max_codepoint=0x1f), min_size=1, max_size=20),
    st.builds(lambda a, b: a + b, st.sampled_from(SAMPLES), st.text(st.characters(codec="utf-8"), max_size=20)),
)
number = st.one_of(st.sampled_from(NUMBERS), st.integers(-(10**30), 10**30).map(str), text)
date = st.one_of(st.sampled_from(DATES), st.dates().map(str), text)
datetime_ = st.one_of(st.sampled_from(DATES), st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")), text)
KINDS = {"text": text, "number": number, "date": date, "datetime": datetime_, "choice": text, "bool": text}


#: Always tried, in every attacked field at once (random draws may miss them).
MUST_TRY = ["a\x00b", "A" * HUGE, "<script>alert(1)</script>", "'; DROP TABLE cases_case; --",
            "\x01\x1f\x7f😀\U0010fffd"]


#: Always tried in date-time fields: year 1 at Copenhagen time is BC in UTC (a value
#: PostgreSQL stores and Python cannot read back).
MUST_TRY_MOMENTS = ["0001-01-01T00:00", "0001-01-01T00:49", "10000-01-01T00:00"]


def with_must_try(fields: dict[str, str]):
    """Decorate a ``@given(hostile(fields))`` test with the MUST_TRY examples."""
    def decorate(test):
        for value in MUST_TRY:
            test = example(dict.fromkeys(fields, value))(test)
        moments = [name for name, kind in fields.items() if kind == "datetime"]
        for value in MUST_TRY_MOMENTS if moments else ():
            test = example(dict.fromkeys(moments, value))(test)
        return test
    return decorate


def hostile(fields: dict[str, str]):
    """Some of ``fields`` (at least one) each with a hostile value of its kind."""
    return st.dictionaries(st.sampled_from(sorted(fields)), st.just(None), min_size=1).flatmap(
        lambda chosen: st.fixed_dictionaries({name: KINDS[fields[name]] for name in chosen}))


# --------------------------------------------------------------------------- the forms


@dataclasses.dataclass
class Spec:
    """One form view: who uses it, a valid submission, the fields to attack, and where
    an accepted submission lands (``stored(ctx) -> model instance``, ``roundtrip``:
    form field -> attribute)."""

    user: str
    setup: Callable[[dict], dict]  # demo users -> context (``url_kwargs``, objects)
    valid: Callable[[dict], dict]
    fields: dict[str, str]
    stored: Callable[[dict], object] | None = None
    roundtrip: dict[str, str] = dataclasses.field(default_factory=dict)
    files: Callable[[], dict] | None = None
    #: Audit actions that this form writes even on refusal (e.g. a failed sign-in).
    refusal_audit: tuple[str, ...] = ()
    #: The answer to an accepted submission; any other answer must have written nothing.
    accepted_status: int = 302
    #: Sign in with the second factor verified (False: the two-factor pages themselves).
    otp: bool = True
    #: Round-tripped fields the service stores on one line by design (runs of whitespace,
    #: line breaks and separators become one space: ``access_requests.services._short``).
    collapsed: tuple[str, ...] = ()


def _past(days=3):
    return (timezone.localtime() - datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def _today():
    return timezone.localdate().isoformat()


def _case_of(username):
    from caseflow.cases.models import Case

    return Case.objects.filter(responsible__username=username).order_by("pk").first()


def _newest(model):
    return lambda ctx: model.objects.order_by("-pk").first()


def _case_ctx(users, **extra):
    case = _case_of("caseworker1")
    return {"url_kwargs": {"pk": case.pk}, "case": case, **extra}


def _note(users, *, final):
    from caseflow.journal.models import JournalNote
    from caseflow.journal.services import journal_note_create

    case = _case_of("caseworker1")
    note = journal_note_create(actor=users["caseworker1"], case=case, text="Fiktiv note.",
                               event_at=timezone.now() - datetime.timedelta(days=1),
                               source_authority=JournalNote.SourceAuthority.COORDINATION_UNIT, final=final)
    return {"url_kwargs": {"pk": note.pk}, "note": note, "case": case}


def _journal_valid(ctx):
    return {"note-event_at": _past(), "note-source_authority": "coordination_unit", "note-text": "Fiktiv samtale.",
            "save": "draft"}


def _consent(users):
    from caseflow.cases.models import Consent

    case = _case_of("caseworker1")
    consent = Consent.objects.filter(case=case, withdrawn_on__isnull=True).order_by("pk").first()
    return {"url_kwargs": {"pk": case.pk, "consent_pk": consent.pk}, "case": case, "consent": consent}


def _intervention_of(username):
    from caseflow.interventions.models import Intervention

    return Intervention.objects.filter(provider__username=username).order_by("pk").first()


def _break_glass(users):
    from permissions.services import break_glass_open

    access = break_glass_open(actor=users["caseworker2"], case=_case_of("caseworker1"), reason="Akut opkald.")
    return {"url_kwargs": {}, "access": access}


def _open_referral(users):
    from caseflow.referrals.models import Referral

    referral = Referral.objects.filter(person__isnull=False, closed_at__isnull=True, case__isnull=True)\
        .order_by("pk").first()
    return {"url_kwargs": {"pk": referral.pk}, "referral": referral}


def _task(node_name, username):
    """The demo's open task of ``node_name``, assigned to ``username`` (claimed if new)."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    def setup(users):
        task = next(task for task in Task.objects.filter(status__in=(STATUS.NEW, STATUS.ASSIGNED)).order_by("pk")
                    if task.flow_task.name == node_name)
        if task.owner_id is None:
            task.flow_task.activation_class(task).assign(users[username])
        return {"url_kwargs": {"process_pk": task.process_id, "task_pk": task.pk}, "task": task}
    return setup


def _stored_decision(ctx):
    from caseflow.cases.models import Decision

    return Decision.objects.order_by("-pk").first()


def _stored_session(ctx):
    from caseflow.interventions.models import InterventionSession

    return InterventionSession.objects.order_by("-pk").first()


def _models():
    from caseflow.cases.models import Consent, Disclosure
    from caseflow.documents.models import Document
    from caseflow.journal.models import JournalNote
    from caseflow.referrals.models import Referral
    from permissions.models import BreakGlassAccess

    return Consent, Disclosure, Document, JournalNote, Referral, BreakGlassAccess


def _lazy(index):
    return lambda ctx: _models()[index].objects.order_by("-pk").first()


def _refreshed(key):
    def get(ctx):
        obj = ctx[key]
        obj.refresh_from_db()
        return obj
    return get


# --------------------------------------------------------------------------- the newer apps' objects


def _user_pk(ctx, username):
    return str(ctx["users"][username].pk)


def _fresh_meeting(users):
    """A planned meeting of the demo team (nobody invited yet)."""
    from caseflow.meetings.services import meeting_create

    meeting = meeting_create(actor=users["supervisor"], starts_at=timezone.now() + datetime.timedelta(days=5),
                             place="Fiktivt mødelokale", chair=users["supervisor"], minute_taker=users["caseworker1"])
    return {"url_kwargs": {"pk": meeting.pk}, "meeting": meeting, "users": users}


def _demo_meeting():
    from caseflow.meetings.models import Meeting

    return Meeting.objects.filter(status=Meeting.Status.AGENDA_SENT).order_by("pk").first()


def _demo_meeting_ctx(users):
    meeting = _demo_meeting()
    return {"url_kwargs": {"pk": meeting.pk}, "meeting": meeting,
            "present": list(meeting.members.values_list("user_id", flat=True))}


def _item_to_check(users):
    """An item of the demo meeting (agenda sent) partner1 has not checked yet."""
    item = _demo_meeting().items.exclude(register_checks__member=users["partner1"]).order_by("order", "pk").first()
    return {"url_kwargs": {"pk": item.pk}, "item": item}


def _item_to_decide(users):
    """The first referral item of the demo meeting, the meeting held with both partners."""
    from caseflow.meetings.services import meeting_hold

    meeting = _demo_meeting()
    meeting_hold(actor=users["supervisor"], meeting=meeting,
                 present_user_ids=list(meeting.members.values_list("user_id", flat=True)))
    item = meeting.items.filter(referral__isnull=False).order_by("order", "pk").first()
    return {"url_kwargs": {"pk": item.pk}, "item": item}


def _access_request(users):
    """An open access request about the person of caseworker1's case, handled by them."""
    from caseflow.access_requests.models import AccessRequest
    from caseflow.access_requests.services import access_request_register

    request = access_request_register(actor=users["caseworker1"], person=_case_of("caseworker1").person,
                                      received_on=timezone.localdate() - datetime.timedelta(days=2),
                                      legal_basis=AccessRequest.LegalBasis.GDPR_15,
                                      requester=AccessRequest.Requester.SUBJECT)
    return {"url_kwargs": {"pk": request.pk}, "request": request}


def _access_request_item(users):
    from caseflow.access_requests.file import access_file_build

    ctx = _access_request(users)
    item = access_file_build(ctx["request"]).items[0]
    ctx["url_kwargs"] = {"pk": ctx["request"].pk, "kind": item.kind, "object_id": item.object_id}
    return ctx


def _delay_valid(ctx):
    from caseflow.access_requests.deadlines import original_due_on

    request = ctx["request"]
    original = original_due_on(legal_basis=request.legal_basis, received_on=request.received_on)
    return {"delay-letter_on": _today(), "delay-reason": "Fiktivt: mange sager.",
            "delay-expected_on": (original + datetime.timedelta(days=1)).isoformat()}


def _task_to_move(users):
    """An open task of caseworker1, and a colleague the task's own permission lets do it."""
    from caseflow.supervision.selectors import REASSIGNABLE_STATUSES, team_members, team_tasks
    from workflows.selectors import task_reachable

    owner = users["caseworker1"]
    task = team_tasks(team_id=owner.team_id).filter(owner=owner, status__in=REASSIGNABLE_STATUSES).order_by("pk").first()
    to = next(user for user in team_members(team_id=owner.team_id).exclude(pk=owner.pk).order_by("pk")
              if task_reachable(actor=user, task_pk=task.pk) is not None)
    return {"url_kwargs": {"task_pk": task.pk}, "task": task, "to": to}


def _archive_review(users):
    from caseflow.retention.models import ArchiveReview

    case = _case_of("caseworker1")
    review = ArchiveReview.objects.create(case=case, case_reference=case.reference, team_id=case.team_id)
    return {"url_kwargs": {"pk": review.pk}, "review": review}


def _legal_hold(users):
    from caseflow.retention.services import legal_hold_set

    hold = legal_hold_set(actor=users["supervisor"], target=_case_of("caseworker1"), reason="Fiktiv retssag.")
    return {"url_kwargs": {"pk": hold.pk}, "hold": hold}


def _totp_code(device) -> str:
    from django_otp.oath import TOTP

    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"


def _otp_enrolled(users):
    """A confirmed authenticator for the signed-in user (they have none in the demo)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=users["auditor"], name="authenticator", confirmed=True)
    return {"url_kwargs": {}, "device": device}


def _otp_enrolling(users):
    from caseflow.accounts.otp import enrolment_device

    return {"url_kwargs": {}, "device": enrolment_device(users["caseworker2"])}


def _stored(model_path, **lookup):
    def get(ctx):
        from django.utils.module_loading import import_string

        return import_string(model_path).objects.filter(**lookup).order_by("-pk").first()
    return get


FORMS: dict[str, Spec] = {
    "referrals:new": Spec(
        user="caseworker1", setup=lambda users: {"url_kwargs": {}},
        valid=lambda ctx: {"received_at": _past(), "channel": "phone", "referrer_type": "police",
                           "referrer_name": "Fiktiv Betjent", "concern_text": "Fiktiv bekymring.",
                           "urgency": "normal", "first_name": "Testa", "last_name": "Testesen",
                           "birth_date": "2001-02-03"},
        fields={"received_at": "datetime", "channel": "choice", "referrer_type": "choice", "is_anonymous": "bool",
                "referrer_name": "text", "referrer_contact": "text", "concern_text": "text",
                "warning_signs": "choice", "urgency": "choice", "cpr": "text", "first_name": "text",
                "last_name": "text", "birth_date": "date"},
        stored=_lazy(4), roundtrip={"concern_text": "concern_text", "referrer_name": "referrer_name",
                                    "referrer_contact": "referrer_contact"},
    ),
    "journal:new": Spec(
        user="caseworker1", setup=lambda users: {"url_kwargs": {"case_id": _case_of("caseworker1").pk}},
        valid=_journal_valid,
        fields={"note-event_at": "datetime", "note-source_authority": "choice", "note-intervention": "choice",
                "note-restricted": "bool", "note-text": "text", "save": "choice"},
        stored=_lazy(3), roundtrip={"note-text": "text"},
    ),
    "journal:edit": Spec(
        user="caseworker1", setup=lambda users: _note(users, final=False), valid=_journal_valid,
        fields={"note-event_at": "datetime", "note-source_authority": "choice", "note-intervention": "choice",
                "note-restricted": "bool", "note-text": "text", "save": "choice"},
        stored=_refreshed("note"), roundtrip={"note-text": "text"},
    ),
    "journal:correct": Spec(
        user="caseworker1", setup=lambda users: _note(users, final=True), valid=_journal_valid,
        fields={"note-event_at": "datetime", "note-source_authority": "choice", "note-intervention": "choice",
                "note-restricted": "bool", "note-text": "text", "save": "choice"},
        stored=_lazy(3), roundtrip={"note-text": "text"},
    ),
    "documents:upload": Spec(
        user="caseworker1", setup=lambda users: {"url_kwargs": {"case_id": _case_of("caseworker1").pk}},
        valid=lambda ctx: {"document-subject": "Fiktivt brev", "document-filed_on": _today(),
                           "document-received_from": "Skolen"},
        files=lambda: {"document-file": SimpleUploadedFile("brev.txt", b"Fiktivt indhold.\n", "text/plain")},
        fields={"document-subject": "text", "document-filed_on": "date", "document-received_from": "text",
                "document-intervention": "number", "document-restricted": "bool"},
        stored=_lazy(2), roundtrip={"document-subject": "subject", "document-received_from": "received_from"},
    ),
    "cases:consent_new": Spec(
        user="caseworker1", setup=_case_ctx,
        valid=lambda ctx: {"scope": "case_work", "given_by": "subject", "given_on": _today(), "note": "Mundtligt."},
        fields={"scope": "choice", "recipient": "text", "intervention": "number", "given_by": "choice",
                "given_by_name": "text", "given_on": "date", "expires_on": "date", "note": "text"},
        stored=_lazy(0), roundtrip={"note": "note", "recipient": "recipient", "given_by_name": "given_by_name"},
    ),
    "cases:consent_withdraw": Spec(
        user="caseworker1", setup=_consent,
        valid=lambda ctx: {"withdrawn_on": _today(), "note": "Trukket tilbage mundtligt."},
        fields={"withdrawn_on": "date", "note": "text"},
        stored=_refreshed("consent"),
    ),
    "cases:disclosure_new": Spec(
        user="caseworker1", setup=_case_ctx,
        valid=lambda ctx: {"recipient": "Politiet", "data": "Fiktive oplysninger.", "legal_basis": "sel_49b",
                           "justification": "Fiktiv begrundelse."},
        fields={"recipient": "text", "data": "text", "legal_basis": "choice", "legal_basis_other": "text",
                "justification": "text", "restricted_included": "bool"},
        # legal_basis_other is kept only with the basis "other" (by design), so not round-tripped.
        stored=_lazy(1), roundtrip={"recipient": "recipient", "data": "data", "justification": "justification"},
    ),
    "interventions:detail": Spec(
        user="mentor1", setup=lambda users: {"url_kwargs": {"pk": _intervention_of("mentor1").pk}},
        valid=lambda ctx: {"session-held_on": _today(), "session-duration_minutes": "45", "session-topic": "Fodbold",
                           "session-note": "Godt møde."},
        fields={"session-held_on": "date", "session-duration_minutes": "number", "session-topic": "text",
                "session-note": "text"},
        stored=_stored_session, roundtrip={"session-topic": "topic", "session-note": "note"},
    ),
    "interventions:dropout": Spec(
        user="mentor1", setup=lambda users: {"url_kwargs": {"pk": _intervention_of("mentor1").pk}},
        valid=lambda ctx: {"dropout-note": "Flytter."}, fields={"dropout-note": "text"},
    ),
    "people:search": Spec(
        user="caseworker1", setup=lambda users: {"url_kwargs": {}}, valid=lambda ctx: {"q": "Nielsen"},
        fields={"q": "text"}, accepted_status=200,
    ),
    "permissions:break_glass_open": Spec(
        user="caseworker2", setup=lambda users: {"url_kwargs": {}, "case": _case_of("caseworker1")},
        valid=lambda ctx: {"case_id": str(ctx["case"].pk), "reason": "Borgeren ringer akut."},
        fields={"case_id": "number", "reason": "text"},
        stored=_lazy(5), roundtrip={"reason": "reason"},
    ),
    "permissions:break_glass_reviews": Spec(
        user="supervisor", setup=_break_glass,
        valid=lambda ctx: {"access_id": str(ctx["access"].pk), "justified": "yes", "comment": "I orden."},
        fields={"access_id": "number", "justified": "choice", "comment": "text"},
        stored=_refreshed("access"), roundtrip={"comment": "review_comment"},
    ),
    "referrals:reveal_cpr": Spec(
        user="caseworker1", setup=_open_referral, valid=lambda ctx: {"purpose": "Opslag i CPR."},
        fields={"purpose": "text"}, accepted_status=200,
    ),
    "login": Spec(
        user="", setup=lambda users: {"url_kwargs": {}}, valid=lambda ctx: {"username": "nobody", "password": "x"},
        fields={"username": "text", "password": "text"}, refusal_audit=("auth.login_failed", "auth.locked_out"),
    ),
    "set_language": Spec(
        user="", setup=lambda users: {"url_kwargs": {}}, valid=lambda ctx: {"language": "en", "next": "/"},
        fields={"language": "choice", "next": "text"},
    ),
    "referral:screen:execute": Spec(
        user="caseworker1", setup=_task("screen", "caseworker1"),
        valid=lambda ctx: {"outcome": "unfounded", "justification": "Fiktiv vurdering.",
                           "members_present": "Anna, Bo"},
        fields={"outcome": "choice", "justification": "text", "members_present": "text", "responsible": "number"},
        stored=_stored_decision, roundtrip={"justification": "justification", "members_present": "members_present"},
    ),
    "intervention:follow:execute": Spec(
        user="caseworker1", setup=_task("follow", "caseworker1"),
        valid=lambda ctx: {"action": "end", "end_reason": "goals_met", "note": "Fiktiv afslutning."},
        fields={"action": "choice", "end_reason": "choice", "note": "text"},
    ),
    "meetings:new": Spec(
        user="supervisor", setup=lambda users: {"url_kwargs": {}, "users": users},
        valid=lambda ctx: {"starts_at": (timezone.localtime() + datetime.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
                           "place": "Fiktivt mødelokale", "chair": _user_pk(ctx, "supervisor"),
                           "minute_taker": _user_pk(ctx, "caseworker1")},
        fields={"starts_at": "datetime", "place": "text", "chair": "number", "minute_taker": "number"},
        stored=_stored("caseflow.meetings.models.Meeting"), roundtrip={"place": "place"},
    ),
    "meetings:detail": Spec(
        user="supervisor", setup=_fresh_meeting,
        valid=lambda ctx: {"action": "invite", "invite-user": _user_pk(ctx, "partner1"),
                           "invite-authority": "Politiet (DKS)"},
        fields={"action": "choice", "invite-user": "number", "invite-authority": "text", "item-referral": "number",
                "case-case": "number", "hold-present": "number"},
        stored=_stored("caseflow.meetings.models.MeetingMember"), roundtrip={"invite-authority": "authority"},
    ),
    # The meeting page takes one POST per staff action (``action``); holding the meeting
    # is attacked on its own too ("#": a second entry for the same route).
    "meetings:detail#hold": Spec(
        user="supervisor", setup=_demo_meeting_ctx,
        valid=lambda ctx: {"action": "hold", "hold-present": [str(pk) for pk in ctx["present"]]},
        fields={"action": "choice", "hold-present": "number"},
        stored=_refreshed("meeting"),
    ),
    "meetings:register_check": Spec(
        user="partner1", setup=_item_to_check,
        valid=lambda ctx: {"summary": "Fiktivt: kendt for uro.", "legal_basis": "rpl_115"},
        fields={"nothing_found": "bool", "summary": "text", "legal_basis": "choice", "legal_basis_other": "text",
                "restricted": "bool"},
        stored=_stored("caseflow.meetings.models.RegisterCheck"),
        roundtrip={"summary": "summary"},
    ),
    "meetings:decide": Spec(
        user="supervisor", setup=_item_to_decide,
        valid=lambda ctx: {"outcome": "unfounded", "justification": "Fiktiv vurdering.", "dissent": ""},
        fields={"outcome": "choice", "justification": "text", "dissent": "text", "responsible": "number"},
        stored=_refreshed("item"), roundtrip={"justification": "justification", "dissent": "dissent"},
    ),
    "access_requests:find_person": Spec(
        user="caseworker1", setup=lambda users: {"url_kwargs": {}}, valid=lambda ctx: {"q": "Demo-Jensen"},
        fields={"q": "text"}, accepted_status=200,
    ),
    "access_requests:new": Spec(
        user="caseworker1",
        setup=lambda users: {"url_kwargs": {"person_id": _case_of("caseworker1").person_id}},
        valid=lambda ctx: {"received_on": _today(), "legal_basis": "gdpr_15", "requester": "representative",
                           "representative_note": "Fiktiv advokat med fuldmagt.",
                           "representative_authority": "power_of_attorney"},
        fields={"received_on": "date", "legal_basis": "choice", "requester": "choice",
                "representative_note": "text", "representative_authority": "choice"},
        stored=_stored("caseflow.access_requests.models.AccessRequest"),
        roundtrip={"representative_note": "representative_note"}, collapsed=("representative_note",),
    ),
    "access_requests:delay": Spec(
        user="caseworker1", setup=_access_request, valid=_delay_valid,
        fields={"delay-letter_on": "date", "delay-reason": "text", "delay-expected_on": "date"},
        stored=_refreshed("request"), roundtrip={"delay-reason": "delay_reason"}, collapsed=("delay-reason",),
    ),
    "access_requests:decide": Spec(
        user="caseworker1", setup=_access_request_item,
        valid=lambda ctx: {"decision": "withhold", "withhold_basis": "offl_30", "note": "Fiktiv note."},
        fields={"decision": "choice", "withhold_basis": "choice", "release_basis": "choice", "note": "text"},
        stored=_stored("caseflow.access_requests.models.ItemDecision"), roundtrip={"note": "note"},
        collapsed=("note",),
    ),
    "supervision:case_reassign": Spec(
        user="supervisor", setup=lambda users: {**_case_ctx(users), "users": users},
        valid=lambda ctx: {"responsible": _user_pk(ctx, "caseworker2"), "reason": "Fiktivt: ferie."},
        fields={"responsible": "number", "reason": "text"},
        stored=_refreshed("case"),
    ),
    "supervision:task_reassign": Spec(
        user="supervisor",
        setup=_task_to_move, valid=lambda ctx: {"user": str(ctx["to"].pk), "reason": "Fiktivt: sygdom."},
        fields={"user": "number", "reason": "text"},
        stored=_refreshed("task"),
    ),
    "retention:review_decide": Spec(
        user="supervisor", setup=_archive_review,
        valid=lambda ctx: {"decision": "keep", "keep_years": "2", "reason": "Fiktivt: sagen er aktuel."},
        fields={"decision": "choice", "keep_years": "number", "reason": "text"},
        stored=_refreshed("review"), roundtrip={"reason": "reason"},
    ),
    "retention:holds": Spec(
        user="supervisor", setup=lambda users: {"url_kwargs": {}},
        valid=lambda ctx: {"reference": _case_of("caseworker1").reference, "reason": "Fiktiv retssag."},
        fields={"reference": "text", "whole_person": "bool", "reason": "text"},
        stored=_stored("caseflow.retention.models.LegalHold"), roundtrip={"reason": "reason"},
    ),
    "retention:hold_lift": Spec(
        user="supervisor", setup=_legal_hold, valid=lambda ctx: {"reason": "Fiktivt: sagen er afgjort."},
        fields={"reason": "text"},
        stored=_refreshed("hold"), roundtrip={"reason": "lift_reason"},
    ),
    "notifications:preferences": Spec(
        user="caseworker1", setup=lambda users: {"url_kwargs": {}, "users": users},
        valid=lambda ctx: {"mode": "digest"}, fields={"mode": "choice"},
        stored=_stored("caseflow.notifications.models.NotificationPreference", user__username="caseworker1"),
    ),
    "accounts:otp_verify": Spec(
        user="auditor", setup=_otp_enrolled, valid=lambda ctx: {"code": _totp_code(ctx["device"]), "next": "/"},
        fields={"code": "text", "next": "text"}, refusal_audit=("auth.otp_failed",),
        stored=lambda ctx: ctx["device"], otp=False,
    ),
    "accounts:otp_enrol": Spec(
        user="caseworker2", setup=_otp_enrolling,
        valid=lambda ctx: {"code": _totp_code(ctx["device"]), "next": "/"},
        fields={"code": "text", "next": "text"}, refusal_audit=("auth.otp_failed",),
        stored=lambda ctx: ctx["device"], otp=False,
    ),
}

#: POST routes that are not forms with user input, by view (dotted path), with the reason.
NOT_A_FORM = {
    "django.views.generic.base.RedirectView": "the root redirect; POST just redirects",
    "caseflow.core.views.healthz": "GET-only health check (a function view)",
    "django.contrib.auth.views.LogoutView": "a sign-out button, no input",
    "caseflow.journal.views.JournalNoteFinaliseView": "a confirmation button, no input",
    "caseflow.journal.views.JournalNoteDeleteView": "a confirmation button, no input",
    "workflows.views.TaskClaimView": "a claim button, no input (the IDOR crawl posts it)",
    "workflows.views.TaskAssignView": "viewflow's assign confirmation, no input",
    "workflows.views.PostOnlyUnassignTaskView": "viewflow's confirmation, no input",
    "workflows.views.PostOnlyUndoTaskView": "viewflow's confirmation, no input (manage perm only)",
    "workflows.views.PostOnlyCancelTaskView": "viewflow's confirmation, no input (manage perm only)",
    "workflows.views.PostOnlyReviveTaskView": "viewflow's confirmation, no input (manage perm only)",
    "viewflow.workflow.flow.views.detail.UserIndexTaskView": "redirects to the task's page",
    "viewflow.workflow.flow.views.detail.IndexTaskView": "redirects to the task's page",
    "viewflow.workflow.flow.views.detail.DetailTaskView": "a read-only page",
    "workflows.views.TaskDetailView": "a read-only page",
    "caseflow.intake.views.ReferralCreateView": "JSON API, fuzzed by schemathesis in tests/intake/test_schema.py",
    "caseflow.access_requests.views.CompleteView": "a confirmation button, no input",
    "caseflow.accounts.views.RecoveryCodesView": "a renew button, no input",
}

#: Task views the demo has no open task for: their forms are attacked directly (the
#: task view only adds the activation around ``form.is_valid()`` and one service call).
FORM_LEVEL_ONLY = {
    "workflows.views.AcuteTriageView": ("workflows.forms.AcuteTriageForm", {}),
    "workflows.views.AssessView": ("workflows.forms.AssessmentForm", {"is_minor": True}),
    "workflows.views.ReceiveInformationView": ("workflows.forms.InformationForm", {}),
    "workflows.views.CosignScreeningView": ("workflows.forms.CosignForm", {}),
    "workflows.views.BbuAcknowledgeView": ("workflows.forms.BbuAcknowledgeForm", {}),
    "workflows.intervention_views.AnswerView": ("workflows.intervention_forms.AnswerForm",
                                                {"intervention": lambda: _unsaved_intervention()}),
    "workflows.intervention_views.CarryOutView": ("workflows.intervention_forms.CarryOutForm", {}),
    "workflows.intervention_views.ConcludeView": ("workflows.intervention_forms.ConcludeForm", {}),
    "workflows.intervention_views.MatchView": ("workflows.intervention_forms.MatchForm",
                                               {"intervention": lambda: _unsaved_intervention()}),
    "workflows.intervention_views.ConsentView": ("workflows.intervention_forms.ConsentForm", {}),
    "workflows.intervention_views.ReviewView": ("workflows.intervention_forms.ReviewForm", {}),
    "workflows.case_views.ApproveView": ("workflows.case_forms.SignForm", {}),
    "workflows.case_views.CoSignView": ("workflows.case_forms.SignForm", {}),
    "workflows.case_views.ClarifyView": ("workflows.case_forms.ClarificationForm", {}),
    "workflows.case_views.FollowUpView": ("workflows.case_forms.NoteForm", {}),
    "workflows.case_views.PlanView": ("workflows.case_forms.PlanForm", {}),
    "workflows.case_views.AdultTransitionView": ("workflows.case_forms.NoteForm", {}),
    "workflows.case_views.ReviewView": ("workflows.case_forms.ReviewForm", {}),
}

def _unsaved_intervention():
    from caseflow.interventions.models import Intervention

    return Intervention(kind=Intervention.Kind.EXIT_PROGRAMME, goals="Fiktive mål.", partner_roles="")


def _form_routes() -> set[str]:
    """The route names of FORMS ("name#variant": another submission to the same route)."""
    return {name.split("#")[0] for name in FORMS}


def _covered(route) -> str | None:
    if route.name in _form_routes():
        return "forms"
    if route.view_path in NOT_A_FORM:
        return "not a form"
    if route.view_path in FORM_LEVEL_ONLY:
        return "form level"
    return None


def test_every_post_view_is_covered():
    uncovered = sorted(f"{route.name or route.route} ({route.view_path})" for route in post_routes()
                       if _covered(route) is None)
    assert uncovered == [], "add these POST views to FORMS or NOT_A_FORM in tests/security/test_bad_input.py"
    names = {route.name for route in post_routes()}
    assert _form_routes() <= names, "a FORMS entry names a route that does not exist"


# --------------------------------------------------------------------------- the attack


def _route(name):
    return next(route for route in post_routes() if route.name == name)


def _post(client, url, data, files):
    payload = {**data, **(files() if files else {})}
    return client.post(url, payload)


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


def _check(spec, ctx, response, probe, sent):
    status = response.status_code
    assert status < 500
    changed = probe.changed_tables()
    writes = [action for action in probe.audit_writes() if action not in spec.refusal_audit]
    if status != spec.accepted_status:
        assert changed == {}, f"refused ({status}) but wrote rows: {changed}"
        assert writes == [], f"refused ({status}) but recorded {writes}"
    if (changed or writes) and spec.stored is not None:
        stored = spec.stored(ctx)
        for field, attribute in spec.roundtrip.items():
            if field in sent:
                expected = " ".join(sent[field].split()) if field in spec.collapsed else _stripped(sent[field])
                assert getattr(stored, attribute) == expected, f"{field} did not round-trip"
    return bool(changed or writes)


@pytest.mark.parametrize("name", sorted(FORMS))
def test_form_survives_hostile_input(demo, name):
    spec = FORMS[name]
    client = Client()
    if spec.user:
        client.force_login(demo[spec.user], otp=spec.otp)
    route = _route(name.split("#")[0])

    def attempt(overrides):
        with transaction.atomic():
            ctx = spec.setup(demo)
            data = {**spec.valid(ctx), **overrides}
            probe = WriteProbe.take()
            response = _post(client, route.url(**ctx["url_kwargs"]), data, spec.files)
            accepted = _check(spec, ctx, response, probe, overrides)
            transaction.set_rollback(True)
        return response, accepted

    # The valid submission is accepted (else the attack below proves little).
    response, accepted = attempt({})
    assert response.status_code in (200, 302), response.status_code
    if spec.stored is not None or name in ("interventions:dropout", "intervention:follow:execute"):
        assert accepted, f"the valid submission to {name} was not accepted"

    @PROFILE
    @with_must_try(spec.fields)
    @given(hostile(spec.fields))
    def attack(overrides):
        attempt(overrides)

    attack()


@pytest.mark.parametrize("view", sorted(FORM_LEVEL_ONLY))
def test_task_form_survives_hostile_input(db, view):
    from django.utils.module_loading import import_string

    form_path, kwargs = FORM_LEVEL_ONLY[view]
    kwargs = {key: value() if callable(value) else value for key, value in kwargs.items()}
    form_class = import_string(form_path)
    fields = {name: "text" for name in form_class(**kwargs).fields}

    @PROFILE
    @with_must_try(fields)
    @given(hostile(fields))
    def attack(data):
        form = form_class(data=data, **kwargs)
        if form.is_valid():
            for name, value in form.cleaned_data.items():
                assert "\x00" not in str(value), f"{name} lets NUL through to PostgreSQL"
        else:
            assert form.errors

    attack()


@pytest.mark.parametrize("starts_at", ["0001-01-01T00:00", "0001-01-01T00:49", "3000-01-01T10:00"])
def test_a_meeting_at_the_edge_of_the_calendar_is_refused_not_a_500(demo, starts_at):
    """Regression (found by the security-long profile): year 1 in Copenhagen time is
    before year 1 in UTC; the meeting was stored with a BC timestamp that psycopg cannot
    read back (DataError: a 500)."""
    client = Client()
    client.force_login(demo["supervisor"])
    probe = WriteProbe.take()
    response = client.post("/meetings/new/", {"starts_at": starts_at, "place": "Fiktivt mødelokale",
                                              "chair": demo["supervisor"].pk, "minute_taker": demo["supervisor"].pk})
    assert response.status_code == 200
    assert "starts_at" in response.context["form"].errors
    assert probe.changed_tables() == {}
    assert probe.audit_writes() == []
