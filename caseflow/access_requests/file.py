"""Assembling the file of an access request: everything the request's team holds about
the person, as items the handler releases or withholds (domain.md §4.4).

The file is built from the team's cases and referrals about the person each time it is
read, so what the handler sees is what an export would contain at that moment:

- personal data (name, birth date, CPR number masked; the export carries the full number,
  see ``export.py``), referrals (the concern; never the referrer), decisions with their
  justifications, final journal notes, documents (metadata and a reference to the file),
  consents, interventions with their sessions and reviews, partner authorities' register
  checks, disclosures to other authorities;
- the dates and purposes of the look-ups of the person's cases, referrals and person
  record from the audit trail (CJEU C-579/21: dates and purposes, not who looked).

Rules held here, whatever the handler does:

- **The referrer's identity is never part of the file.** Referrals carry no referrer
  fields at all, and every text of the file passes through :class:`ReferrerScrubber`,
  which replaces the referrer's name, e-mail address and phone number of every referral
  about the person wherever they occur (a journal note quoting the teacher by name, a
  document "received from" them).
- Items tagged "må ikke videregives" (journal notes, documents, register checks) and items
  of police origin are *protected*: withheld under retsplejeloven § 115 unless the handler
  explicitly released them with a release basis (``ReleaseBasis``).
- A referral's concern is written by the referrer and may reveal who they are even with
  their name scrubbed ("as his class teacher..."): it is protected too, withheld under
  databeskyttelsesloven § 22 stk. 1 until the handler has read it and released it.
- A representative who has documented no authority to act for the person (``ingen
  fuldmagt``) gets nothing by default: every item is protected and withheld until the
  handler releases it with a basis, and the page warns about it.
- Who reads the file: its handler and the team's supervisor see all of it; another
  caseworker of the team sees each item only as the policy lets them see its case or
  referral (``permissions.policy.AccessFileReader``); ``access_file_for`` applies that.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Prefetch, Q
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from caseflow.audit.actions import READ_ACTIONS, AuditAction
from caseflow.audit.purposes import PURPOSE_LABELS
from caseflow.audit.selectors import audit_event_search
from caseflow.cases.models import Case, Consent, Decision, Disclosure
from caseflow.documents.models import Document
from caseflow.interventions.models import Intervention, InterventionReview, InterventionSession
from caseflow.journal.models import JournalNote
from caseflow.meetings.models import RegisterCheck
from caseflow.referrals.models import Referral
from permissions.policy import AccessFileReader

from .models import AccessRequest, ItemDecision, ItemKind, ReleaseBasis, WithholdBasis

#: What replaces the referrer's identity in any text of the file.
WITHHELD_MARK = _("[withheld]")

PROTECTED_RESTRICTED = "restricted"
PROTECTED_POLICE = "police"
PROTECTED_REFERRER = "referrer"
PROTECTED_NO_AUTHORITY = "no_authority"
PROTECTED_LABELS = {
    PROTECTED_RESTRICTED: _("May not be passed on (må ikke videregives)"),
    PROTECTED_POLICE: _("Police origin: consult the police before releasing"),
    PROTECTED_REFERRER: _("Written by the referrer: read it for anything that reveals who they are before releasing"),
    PROTECTED_NO_AUTHORITY: _("The representative has documented no authority: release only what they may see"),
}
#: The basis a protected item is withheld under until the handler decides otherwise.
DEFAULT_PROTECTED_BASIS = WithholdBasis.RPL_115
PROTECTED_BASES = {
    PROTECTED_RESTRICTED: WithholdBasis.RPL_115,
    PROTECTED_POLICE: WithholdBasis.RPL_115,
    PROTECTED_REFERRER: WithholdBasis.DBL_22_1,
    PROTECTED_NO_AUTHORITY: WithholdBasis.NO_AUTHORITY,
}
#: The basis the referrer's identity is always withheld under (domain.md §6 scenario 8).
REFERRER_BASIS = WithholdBasis.DBL_22_1

#: Audit actions that are look-ups of personal data (reads, and what carried data out).
LOOKUP_ACTIONS = frozenset(READ_ACTIONS) | {
    AuditAction.PERSON_CPR_REVEALED, AuditAction.DOCUMENT_DOWNLOADED, AuditAction.EXPORT_CREATED,
    AuditAction.ACCESS_REQUEST_EXPORTED, AuditAction.MEETING_MINUTES_EXPORTED,
} - {AuditAction.AUDIT_SEARCHED, AuditAction.AUDIT_USER_LOG_VIEWED, AuditAction.ACCESS_REQUEST_LISTED,
     AuditAction.STATISTICS_VIEWED, AuditAction.RETENTION_REVIEW_LISTED, AuditAction.SUPERVISION_VIEWED}
#: At most this many look-ups (the newest) go into one file.
LOOKUPS_MAX = 10_000

#: Purposes recorded by selectors outside ``audit.purposes``.
EXTRA_PURPOSE_LABELS = {
    "coordination_meeting": _("Coordination-unit meeting"),
    "access_request": _("Access request"),
}

POLICE_REFERRER_TYPES = (Referral.ReferrerType.POLICE, Referral.ReferrerType.PET)

BASIS_LABELS = {**dict(WithholdBasis.choices), **dict(ReleaseBasis.choices)}


def basis_label(code: str) -> str:
    return str(BASIS_LABELS.get(code, code))


# --------------------------------------------------------------------------- the referrer


_EMAIL_RE = re.compile(r"[^\s,;<>()]+@[^\s,;<>()]+")
_DIGIT_RUN_RE = re.compile(r"\+?[0-9][0-9 \-./]{4,}[0-9]")


class ReferrerScrubber:
    """Replaces the referrers' names, e-mail addresses and phone numbers in a text.

    Names: the whole name, and its surname alone (a capitalised last part that is not
    also part of the person's own name). E-mail addresses and phone numbers (whatever
    the separators, with or without +45) wherever they occur."""

    def __init__(self, referrals, *, person=None):
        own = {part.casefold() for part in ((person.first_name + " " + person.last_name).split()
                                            if person is not None else [])}
        patterns: list[str] = []
        for referral in referrals:
            name = " ".join((referral.referrer_name or "").split())
            if name:
                parts = name.split()
                patterns.append(r"\s+".join(re.escape(part) for part in parts))
                surname = parts[-1]
                if len(parts) > 1 and len(surname) >= 3 and surname[0].isupper() and surname.casefold() not in own:
                    patterns.append(re.escape(surname))
            contact = referral.referrer_contact or ""
            if contact.strip():
                patterns.append(re.escape(contact.strip()))
                patterns += [re.escape(email) for email in _EMAIL_RE.findall(contact)]
                for run in _DIGIT_RUN_RE.findall(contact):
                    digits = re.sub(r"[^0-9]", "", run)
                    if len(digits) >= 6:
                        patterns.append(r"(?:\+?45[ \-./]*)?" + r"[ \-./]*".join(digits))
        patterns = sorted(set(patterns), key=len, reverse=True)
        self._re = (re.compile(r"(?<!\w)(?:" + "|".join(patterns) + r")(?!\w)", re.IGNORECASE)
                    if patterns else None)

    def __call__(self, value):
        if self._re is None or value is None:
            return value
        if isinstance(value, str):
            return self._re.sub(str(WITHHELD_MARK), value)
        if isinstance(value, dict):
            return {key: self(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self(item) for item in value]
        return value


# --------------------------------------------------------------------------- items


@dataclass(frozen=True)
class Verdict:
    """An item's effective decision: stored, or the default."""

    released: bool
    basis: str = ""
    note: str = ""
    explicit: bool = False
    decided_by: object = None
    decided_at: datetime.datetime | None = None

    @property
    def basis_label(self) -> str:
        return basis_label(self.basis) if self.basis else ""


@dataclass
class FileItem:
    kind: str
    object_id: int
    title: str
    date: datetime.date | datetime.datetime | None = None
    #: (label, text) pairs for the page and the PDF.
    fields: list[tuple[str, str]] = field(default_factory=list)
    #: The item's content for the JSON export (stable keys, ISO dates).
    data: dict = field(default_factory=dict)
    protected: str = ""
    case_id: int | None = None
    referral_id: int | None = None
    verdict: Verdict | None = None
    #: Look-ups only: (date, purpose label, purpose code, action) rows.
    rows: list[tuple] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return str(dict(ItemKind.choices)[self.kind])

    @property
    def protected_label(self) -> str:
        return str(PROTECTED_LABELS[self.protected]) if self.protected else ""

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.object_id)

    @property
    def sort_at(self) -> datetime.datetime:
        value = self.date
        if value is None:
            return datetime.datetime.min.replace(tzinfo=datetime.UTC)
        if not isinstance(value, datetime.datetime):
            value = datetime.datetime.combine(value, datetime.time.min, tzinfo=timezone.get_current_timezone())
        return value


def _date_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def _iso(value):
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


def _user_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def default_verdict(protected: str) -> Verdict:
    if protected:
        return Verdict(released=False, basis=PROTECTED_BASES.get(protected, DEFAULT_PROTECTED_BASIS))
    return Verdict(released=True)


@dataclass
class AccessFile:
    request: AccessRequest
    items: list[FileItem]
    case_ids: list[int]
    referral_ids: list[int]
    scrub: ReferrerScrubber
    #: False when the items were filtered to what the reader may see (not the handler).
    whole: bool = True

    def find(self, kind: str, object_id: int) -> FileItem | None:
        return next((item for item in self.items if item.kind == kind and item.object_id == object_id), None)

    @property
    def released(self) -> list[FileItem]:
        return [item for item in self.items if item.verdict.released]

    @property
    def withheld(self) -> list[FileItem]:
        return [item for item in self.items if not item.verdict.released]


# --------------------------------------------------------------------------- building


def _person_item(person, scrub) -> FileItem:
    fields = [
        (gettext("Name"), person.full_name),
        (gettext("Date of birth"), _date_text(person.birth_date)),
        (gettext("CPR number"), person.cpr_masked),
        (gettext("Address"), person.address),
        (gettext("District"), person.district),
        (gettext("School or workplace"), person.school_or_workplace),
        (gettext("Language"), person.language),
        (gettext("Needs an interpreter"), gettext("Yes") if person.needs_interpreter else gettext("No")),
    ]
    data = {"first_name": person.first_name, "last_name": person.last_name, "birth_date": _iso(person.birth_date),
            "cpr_masked": person.cpr_masked, "address": person.address, "district": person.district,
            "school_or_workplace": person.school_or_workplace, "language": person.language,
            "needs_interpreter": person.needs_interpreter}
    return FileItem(kind=ItemKind.PERSON, object_id=person.pk, title=gettext("Personal data"),
                    fields=[(label, scrub(value)) for label, value in fields if value], data=scrub(data))


def _referral_items(referrals, scrub) -> list[FileItem]:
    items = []
    for referral in referrals:
        police = referral.referrer_type in POLICE_REFERRER_TYPES or referral.channel == Referral.Channel.POLICE
        signs = [str(label) for label in referral.get_warning_sign_labels()]
        fields = [
            (gettext("Reference"), referral.reference),
            (gettext("Received"), _date_text(referral.received_at)),
            (gettext("Concern"), referral.concern_text),
            (gettext("Warning signs"), ", ".join(signs)),
            (gettext("Status"), referral.get_status_display()),
            (gettext("Outcome"), referral.get_outcome_display() if referral.outcome else ""),
            (gettext("Referrer"), gettext("Withheld (%(basis)s)") % {"basis": basis_label(REFERRER_BASIS)}),
        ]
        data = {"reference": referral.reference, "received_at": _iso(referral.received_at),
                "concern": referral.concern_text, "warning_signs": list(referral.warning_signs),
                "status": referral.status, "outcome": referral.outcome,
                "referrer": {"withheld": True, "basis": REFERRER_BASIS}}
        items.append(FileItem(
            kind=ItemKind.REFERRAL, object_id=referral.pk, date=referral.received_at,
            title=gettext("Referral %(reference)s") % {"reference": referral.reference},
            fields=[(label, scrub(value)) for label, value in fields if value], data=scrub(data),
            protected=PROTECTED_POLICE if police else PROTECTED_REFERRER if referral.concern_text.strip() else "",
            referral_id=referral.pk, case_id=referral.case_id))
    return items


def _decision_items(decisions, scrub) -> list[FileItem]:
    items = []
    for decision in decisions:
        fields = [
            (gettext("Kind"), decision.get_kind_display()),
            (gettext("Outcome"), str(decision.outcome_label) if decision.outcome else ""),
            (gettext("Justification"), decision.justification),
            (gettext("Legal basis"), decision.legal_basis),
            (gettext("Formal decision (afgørelse)"), gettext("Yes") if decision.is_formal_decision else ""),
            (gettext("Decided by"), _user_name(decision.decided_by)),
        ]
        data = {"kind": decision.kind, "outcome": decision.outcome, "justification": decision.justification,
                "legal_basis": decision.legal_basis, "is_formal_decision": decision.is_formal_decision,
                "decided_by": _user_name(decision.decided_by), "decided_at": _iso(decision.decided_at),
                "case_id": decision.case_id, "referral_id": decision.referral_id}
        items.append(FileItem(
            kind=ItemKind.DECISION, object_id=decision.pk, date=decision.decided_at,
            title=f"{decision.get_kind_display()}",
            fields=[(label, scrub(value)) for label, value in fields if value], data=scrub(data),
            case_id=decision.case_id, referral_id=decision.referral_id))
    return items


def _note_items(notes, scrub) -> list[FileItem]:
    items = []
    for note in notes:
        protected = (PROTECTED_RESTRICTED if note.restricted
                     else PROTECTED_POLICE if note.source_authority == JournalNote.SourceAuthority.POLICE else "")
        fields = [
            (gettext("Time of the event"), _date_text(note.event_at)),
            (gettext("Written"), _date_text(note.written_at)),
            (gettext("Source"), note.get_source_authority_display()),
            (gettext("Corrects"), gettext("Journal note %(id)s") % {"id": note.corrects_id}
             if note.corrects_id else ""),
            (gettext("Text"), note.text),
        ]
        data = {"event_at": _iso(note.event_at), "written_at": _iso(note.written_at),
                "source": note.source_authority, "corrects": note.corrects_id, "text": note.text,
                "case_id": note.case_id}
        items.append(FileItem(
            kind=ItemKind.JOURNAL_NOTE, object_id=note.pk, date=note.event_at,
            title=gettext("Journal note %(id)s") % {"id": note.pk},
            fields=[(label, scrub(value)) for label, value in fields if value], data=scrub(data),
            protected=protected, case_id=note.case_id))
    return items


def _document_items(documents, scrub) -> list[FileItem]:
    items = []
    for document in documents:
        fields = [
            (gettext("Subject"), document.subject),
            (gettext("Filed on"), _date_text(document.filed_on)),
            (gettext("Received from"), document.received_from),
            (gettext("File"), f"{document.original_name} ({document.type_label}, {document.size} B)"),
            (gettext("SHA-256"), document.sha256),
        ]
        data = {"subject": document.subject, "filed_on": _iso(document.filed_on),
                "received_from": document.received_from, "case_id": document.case_id,
                "file": {"reference": f"document:{document.pk}", "name": document.original_name,
                         "content_type": document.content_type, "size": document.size,
                         "sha256": document.sha256}}
        items.append(FileItem(
            kind=ItemKind.DOCUMENT, object_id=document.pk, date=document.filed_on,
            title=document.subject, fields=[(label, scrub(value)) for label, value in fields if value],
            data=scrub(data), protected=PROTECTED_RESTRICTED if document.restricted else "",
            case_id=document.case_id))
    for item in items:
        item.title = scrub(item.title)
    return items


def _consent_items(consents, scrub) -> list[FileItem]:
    items = []
    for consent in consents:
        fields = [
            (gettext("Scope"), consent.get_scope_display()),
            (gettext("Recipient"), consent.recipient),
            (gettext("Given by"), consent.get_given_by_display()),
            (gettext("Given on"), _date_text(consent.given_on)),
            (gettext("Expires on"), _date_text(consent.expires_on)),
            (gettext("Withdrawn on"), _date_text(consent.withdrawn_on)),
            (gettext("Note"), consent.note),
        ]
        data = {"scope": consent.scope, "recipient": consent.recipient, "given_by": consent.given_by,
                "given_on": _iso(consent.given_on), "expires_on": _iso(consent.expires_on),
                "withdrawn_on": _iso(consent.withdrawn_on), "note": consent.note, "case_id": consent.case_id}
        items.append(FileItem(
            kind=ItemKind.CONSENT, object_id=consent.pk, date=consent.given_on, title=consent.get_scope_display(),
            fields=[(label, scrub(value)) for label, value in fields if value], data=scrub(data),
            case_id=consent.case_id))
    return items


def _intervention_items(interventions, scrub) -> list[FileItem]:
    items = []
    for intervention in interventions:
        sessions = list(intervention.sessions.all())
        reviews = list(intervention.reviews.all())
        session_lines = "\n".join(
            f"{_date_text(s.held_on)}: {s.topic}" + (f" ({s.note})" if s.note else "") for s in sessions)
        review_lines = "\n".join(
            f"{_date_text(r.reviewed_at)}: {r.get_goals_status_display()}, {r.get_outcome_display()}"
            + (f" ({r.note})" if r.note else "") for r in reviews)
        fields = [
            (gettext("Kind"), intervention.get_kind_display()),
            (gettext("Status"), intervention.get_status_display()),
            (gettext("Goals"), intervention.goals),
            (gettext("Started"), _date_text(intervention.started_on)),
            (gettext("Ended"), _date_text(intervention.ended_on)),
            (gettext("End reason"), intervention.get_end_reason_display() if intervention.end_reason else ""),
            (gettext("Sessions"), session_lines),
            (gettext("Progress reviews"), review_lines),
        ]
        data = {"kind": intervention.kind, "status": intervention.status, "goals": intervention.goals,
                "started_on": _iso(intervention.started_on), "ended_on": _iso(intervention.ended_on),
                "end_reason": intervention.end_reason, "case_id": intervention.case_id,
                "sessions": [{"held_on": _iso(s.held_on), "duration_minutes": s.duration_minutes,
                              "topic": s.topic, "note": s.note} for s in sessions],
                "reviews": [{"reviewed_at": _iso(r.reviewed_at), "goals_status": r.goals_status,
                             "outcome": r.outcome, "note": r.note} for r in reviews]}
        items.append(FileItem(
            kind=ItemKind.INTERVENTION, object_id=intervention.pk,
            date=intervention.started_on or intervention.created_at, title=intervention.get_kind_display(),
            fields=[(label, scrub(value)) for label, value in fields if value], data=scrub(data),
            case_id=intervention.case_id))
    return items


def _register_check_items(checks, scrub) -> list[FileItem]:
    items = []
    for check in checks:
        protected = (PROTECTED_RESTRICTED if check.restricted
                     else PROTECTED_POLICE if check.legal_basis == RegisterCheck.LegalBasis.RPL_115 else "")
        fields = [
            (gettext("Authority"), check.authority),
            (gettext("Recorded"), _date_text(check.recorded_at)),
            (gettext("Summary"), check.summary),
            (gettext("Legal basis for sharing"), check.get_legal_basis_display() if check.legal_basis else ""),
        ]
        data = {"authority": check.authority, "recorded_at": _iso(check.recorded_at), "summary": check.summary,
                "legal_basis": check.legal_basis, "referral_id": check.item.referral_id}
        items.append(FileItem(
            kind=ItemKind.REGISTER_CHECK, object_id=check.pk, date=check.recorded_at,
            title=gettext("Register check: %(authority)s") % {"authority": check.authority},
            fields=[(label, scrub(value)) for label, value in fields if value], data=scrub(data),
            protected=protected, referral_id=check.item.referral_id, case_id=check.item.referral.case_id))
    return items


def _disclosure_items(disclosures, scrub) -> list[FileItem]:
    items = []
    for disclosure in disclosures:
        fields = [
            (gettext("Recipient"), disclosure.recipient),
            (gettext("Data disclosed"), disclosure.data),
            (gettext("Legal basis"), disclosure.legal_basis_label),
            (gettext("Justification"), disclosure.justification),
            (gettext("Decided"), _date_text(disclosure.decided_at)),
        ]
        data = {"recipient": disclosure.recipient, "data": disclosure.data, "legal_basis": disclosure.legal_basis,
                "legal_basis_other": disclosure.legal_basis_other, "justification": disclosure.justification,
                "decided_at": _iso(disclosure.decided_at), "case_id": disclosure.case_id}
        items.append(FileItem(
            kind=ItemKind.DISCLOSURE, object_id=disclosure.pk, date=disclosure.decided_at,
            title=gettext("Disclosure to %(recipient)s") % {"recipient": scrub(disclosure.recipient)},
            fields=[(label, scrub(value)) for label, value in fields if value], data=scrub(data),
            case_id=disclosure.case_id))
    return items


def purpose_text(code: str, action: str) -> str:
    """The purpose as the person reads it: its label, or the action's when none was recorded."""
    if code:
        label = PURPOSE_LABELS.get(code) or EXTRA_PURPOSE_LABELS.get(code)
        return str(label) if label else code
    try:
        return str(AuditAction(action).label)
    except ValueError:
        return action


def _lookup_condition(*, person_id, case_ids, referral_ids, request_ids) -> Q:
    condition = (Q(case_id__in=case_ids)
                 | Q(target_type="referrals.referral", target_id__in=[str(pk) for pk in referral_ids])
                 | Q(target_type="people.person", target_id=str(person_id))
                 | Q(target_type="access_requests.accessrequest", target_id__in=[str(pk) for pk in request_ids]))
    if connection.features.supports_json_field_contains:
        # Lists and searches record the ids they showed (one event per page or search).
        for case_id in case_ids:
            condition |= Q(action=AuditAction.CASE_LISTED, extra__ids__contains=[case_id])
            condition |= Q(action=AuditAction.PERSON_SEARCHED, extra__case_ids__contains=[case_id])
        for referral_id in referral_ids:
            condition |= Q(action__in=[AuditAction.PERSON_SEARCHED, AuditAction.MEETING_VIEWED],
                           extra__referral_ids__contains=[referral_id])
    return condition


def _lookups_item(*, person, case_ids, referral_ids, request_ids, scrub) -> FileItem:
    events = (audit_event_search()
              .filter(_lookup_condition(person_id=person.pk, case_ids=case_ids, referral_ids=referral_ids,
                                        request_ids=request_ids))
              .filter(action__in=[action.value for action in LOOKUP_ACTIONS])
              .order_by("-sequence").values_list("occurred_at", "purpose", "action")[:LOOKUPS_MAX])
    rows = [(occurred_at, scrub(purpose_text(purpose, action)), purpose, action)
            for occurred_at, purpose, action in reversed(list(events))]
    data = {"lookups": [{"date": timezone.localdate(at).isoformat(), "time": timezone.localtime(at).strftime("%H:%M"),
                         "purpose": label, "purpose_code": code or None, "action": action}
                        for at, label, code, action in rows]}
    return FileItem(kind=ItemKind.LOOKUPS, object_id=0, title=gettext("Look-ups of your data"),
                    date=rows[-1][0] if rows else None, data=data, rows=rows,
                    fields=[(gettext("Number of look-ups"), str(len(rows)))])


def access_file_build(request: AccessRequest) -> AccessFile:
    """The request's file with each item's effective decision. A fixed number of
    queries (one per source), whatever the amount of data. No audit event: the callers
    (the detail selector, the export service) record their own."""
    person = request.person
    all_referrals = list(Referral.objects.filter(person_id=person.pk).only(
        "pk", "referrer_name", "referrer_contact"))
    scrub = ReferrerScrubber(all_referrals, person=person)

    cases = list(Case.objects.filter(person_id=person.pk, team_id=request.team_id).values_list("pk", flat=True))
    referrals = list(Referral.objects.filter(person_id=person.pk, team_id=request.team_id).order_by(
        "received_at", "pk"))
    referral_ids = [r.pk for r in referrals]
    items = [_person_item(person, scrub)]
    items += _referral_items(referrals, scrub)
    items += _decision_items(
        Decision.objects.filter(Q(case_id__in=cases) | Q(referral_id__in=referral_ids))
        .select_related("decided_by").order_by("decided_at", "pk"), scrub)
    items += _note_items(
        JournalNote.objects.filter(case_id__in=cases, status=JournalNote.Status.FINAL).order_by("event_at", "pk"),
        scrub)
    items += _document_items(Document.objects.filter(case_id__in=cases).order_by("filed_on", "pk"), scrub)
    items += _consent_items(Consent.objects.filter(case_id__in=cases).order_by("given_on", "pk"), scrub)
    items += _intervention_items(
        Intervention.objects.filter(case_id__in=cases).prefetch_related(
            Prefetch("sessions", queryset=InterventionSession.objects.order_by("held_on", "pk")),
            Prefetch("reviews", queryset=InterventionReview.objects.order_by("reviewed_at", "pk")),
        ).order_by("created_at", "pk"), scrub)
    items += _register_check_items(
        RegisterCheck.objects.filter(item__referral_id__in=referral_ids, nothing_found=False)
        .select_related("item__referral").order_by("recorded_at", "pk"), scrub)
    items += _disclosure_items(Disclosure.objects.filter(case_id__in=cases).order_by("decided_at", "pk"), scrub)
    request_ids = list(AccessRequest.objects.filter(person_id=person.pk).values_list("pk", flat=True))
    items.append(_lookups_item(person=person, case_ids=cases, referral_ids=referral_ids, request_ids=request_ids,
                               scrub=scrub))

    if request.lacks_authority:
        for item in items:
            item.protected = item.protected or PROTECTED_NO_AUTHORITY
    stored = {(d.kind, d.object_id): d for d in ItemDecision.objects.filter(request=request)
              .select_related("decided_by")}
    for item in items:
        decision = stored.get(item.key)
        if decision is None:
            item.verdict = default_verdict(item.protected)
        else:
            item.verdict = Verdict(released=decision.released, basis=decision.basis, note=decision.note,
                                   explicit=True, decided_by=decision.decided_by, decided_at=decision.decided_at)
        if item.protected and item.verdict.released and item.verdict.basis not in ReleaseBasis.values:
            # Only an explicit release with a release basis lets protected material out.
            item.verdict = default_verdict(item.protected)
    return AccessFile(request=request, items=items, case_ids=cases, referral_ids=referral_ids, scrub=scrub)


def access_file_for(actor, request: AccessRequest) -> AccessFile:
    """The file as ``actor`` may read it: whole for its handler and the team's supervisor,
    else only the items the policy lets them see (``AccessFileReader``)."""
    access_file = access_file_build(request)
    reader = AccessFileReader(actor, request)
    if reader.whole:
        return access_file
    access_file.items = [
        item for item in access_file.items
        if reader.sees(kind=item.kind, case_id=item.case_id, referral_id=item.referral_id,
                       protected=item.protected in (PROTECTED_RESTRICTED, PROTECTED_POLICE))]
    # The cases and referrals this reader reads of the file (for the audit event).
    access_file.case_ids = [pk for pk in access_file.case_ids if reader.sees(kind=ItemKind.CONSENT, case_id=pk)]
    access_file.referral_ids = [pk for pk in access_file.referral_ids
                                if reader.sees(kind=ItemKind.REFERRAL, referral_id=pk)]
    access_file.whole = False
    return access_file
