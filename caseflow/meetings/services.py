"""Writes of the coordination unit's meetings. Each service checks who may act, writes
and records one audit event, in one transaction (style.md).

Who does what:
- the unit's staff (caseworkers and supervisors of the meeting's team) plan the
  meeting, put referrals waiting for screening on the agenda, invite the partner members,
  send the agenda, record who was present and the decision on each item;
- an invited partner member records their register check on the items, from the
  agenda's sending until the minutes are approved;
- the chair approves the minutes, which ends the partners' access to the items.

The system puts referrals whose screening deadline falls before the team's next planned
meeting on its agenda (``meeting_agenda_autofill``, hourly from beat), and e-mails each
invited member that the agenda is ready (``meeting_agenda_notify``, a Celery task queued
when the transaction commits; ids only, no content in the mail).
"""

from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.cases.models import Case, CaseProposal
from caseflow.core.exceptions import ApplicationError
from caseflow.referrals.models import Referral
from permissions.policy import (
    Action,
    Duty,
    Feature,
    can,
    may_hold,
    may_use,
    may_use_for_team,
    users_who_may_hold,
)

from .models import AgendaItem, Meeting, MeetingMember, RegisterCheck, items_with_cosignature, open_items

NOT_STAFF = _("Only the coordination unit's caseworkers and supervisors can do this.")
CHAIR_MUST_BE_STAFF = _("The chair must be a caseworker or supervisor of the team.")
MINUTE_TAKER_MUST_BE_STAFF = _("The minute-taker must be a caseworker or supervisor of the team.")
PLACE_REQUIRED = _("Give the place of the meeting.")
MEMBER_MUST_BE_PARTNER = _("Only a partner member can be invited as a member.")
AUTHORITY_REQUIRED = _('Name the member\'s authority, for example "Politiet (DKS)".')
ALREADY_INVITED = _("This member is already invited.")
AGENDA_CLOSED = _("The agenda can only be changed before the meeting is held.")
REFERRAL_NOT_WAITING = _("Only the team's referrals waiting for the screening decision can go on the agenda.")
REFERRAL_ALREADY_ON_AGENDA = _("This referral is already on an agenda that has not decided it.")
CASE_NOT_DUE = _("Only the team's open cases due for a review or a level change, or with a level-3 plan waiting "
                 "for approval, can go on the agenda, and only by someone who may see the case.")
CASE_ALREADY_ON_AGENDA = _("This case is already on an agenda that has not discussed it.")
NOT_A_CASE_ITEM = _("This item is a case to discuss, not a referral to screen.")
NOT_A_REFERRAL_ITEM = _("This item is a referral to screen, not a case to discuss.")
NOTE_REQUIRED = _("Write the discussion note.")
RECOMMENDATION_REQUIRED = _("Write the meeting's recommendation.")
NOTHING_TO_SEND = _("The agenda needs at least one item and one invited member before it is sent.")
AGENDA_NOT_PLANNED = _("The agenda has already been sent.")
CHECK_NOT_ALLOWED = _("Only the partner members invited to this meeting can record register checks on it.")
CHECK_CLOSED = _("Register checks can be recorded from the sending of the agenda until the minutes are approved.")
CHECK_SUMMARY_OR_NOTHING = _('Either tick "nothing found" or summarise what your registers hold.')
CHECK_LEGAL_BASIS_REQUIRED = _("Choose the legal basis for sharing this information.")
CHECK_OTHER_BASIS_REQUIRED = _("Describe the other legal basis.")
HOLD_NOT_ALLOWED = _("The meeting can be held once its agenda has been sent, and only once.")
NOT_A_MEMBER = _("Only invited members can be marked present.")
DECIDE_NOT_HELD = _("Decisions are recorded at a held meeting whose minutes are not yet approved.")
ALREADY_DECIDED = _("This agenda item has already been decided.")
OUTCOME_REQUIRED = _("Choose a screening outcome.")
JUSTIFICATION_REQUIRED = _("Give a justification.")
APPROVE_NOT_CHAIR = _("Only the chair approves the minutes.")
APPROVE_NOT_HELD = _("The minutes can be approved once the meeting is held and every item is decided.")
MINUTES_NOT_READY = _("The minutes can be downloaded once the meeting is held.")

def _require_staff(actor, team_id):
    if not may_use_for_team(actor, Feature.MEETING_PLANNING, team_id):
        raise ApplicationError(NOT_STAFF)


def _locked(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().get(pk=meeting.pk)


@transaction.atomic
def meeting_create(*, actor, starts_at, place: str, chair, minute_taker) -> Meeting:
    """Plan a meeting of the actor's team."""
    team_id = getattr(actor, "team_id", None)
    _require_staff(actor, team_id)
    if not (place or "").strip():
        raise ApplicationError(PLACE_REQUIRED, field="place")
    if chair is None or not may_hold(chair, Duty.MEETING_STAFF, team_id):
        raise ApplicationError(CHAIR_MUST_BE_STAFF, field="chair")
    if minute_taker is None or not may_hold(minute_taker, Duty.MEETING_STAFF, team_id):
        raise ApplicationError(MINUTE_TAKER_MUST_BE_STAFF, field="minute_taker")
    meeting = Meeting.objects.create(team_id=team_id, starts_at=starts_at, place=place.strip(), chair=chair,
                                     minute_taker=minute_taker, created_by=actor)
    audit_record(actor=actor, action=AuditAction.MEETING_CREATED, target=meeting,
                 extra={"chair_id": chair.pk, "minute_taker_id": minute_taker.pk,
                        "starts_at": meeting.starts_at.isoformat()})
    return meeting


@transaction.atomic
def meeting_member_invite(*, actor, meeting: Meeting, user, authority: str) -> MeetingMember:
    """Invite a partner member, with the authority they represent."""
    meeting = _locked(meeting)
    _require_staff(actor, meeting.team_id)
    if meeting.status not in (Meeting.Status.PLANNED, Meeting.Status.AGENDA_SENT):
        raise ApplicationError(AGENDA_CLOSED)
    if user is None or not may_hold(user, Duty.MEETING_PARTNER):
        raise ApplicationError(MEMBER_MUST_BE_PARTNER, field="user")
    if not (authority or "").strip():
        raise ApplicationError(AUTHORITY_REQUIRED, field="authority")
    if meeting.members.filter(user=user).exists():
        raise ApplicationError(ALREADY_INVITED, field="user")
    member = MeetingMember.objects.create(meeting=meeting, user=user, authority=authority.strip())
    audit_record(actor=actor, action=AuditAction.MEETING_MEMBER_INVITED, target=meeting,
                 extra={"member_id": user.pk, "authority": member.authority})
    if meeting.status == Meeting.Status.AGENDA_SENT:  # invited late: they get the agenda e-mail too
        _agenda_notice_enqueue(meeting.pk)
    return member


def referral_awaits_screening(referral: Referral) -> bool:
    """Waiting at the ReferralFlow's screening task (open, not yet decided)."""
    from workflows.flows.referral import ReferralFlow

    return (referral.status == Referral.Status.TO_COORDINATION_UNIT and referral.closed_at is None
            and Task.objects.filter(process__referralprocess__referral=referral, flow_task=ReferralFlow.screen,
                                    status__in=(STATUS.NEW, STATUS.ASSIGNED)).exists())


def _item_create(*, actor, meeting: Meeting, referral: Referral | None = None, case: Case | None = None,
                 case_reason: str = "", automatic: bool = False) -> AgendaItem:
    order = (meeting.items.aggregate(last=Max("order"))["last"] or 0) + 1
    kind = AgendaItem.Kind.CASE if case is not None else AgendaItem.Kind.REFERRAL
    item = AgendaItem.objects.create(meeting=meeting, kind=kind, referral=referral, case=case,
                                     case_reason=case_reason, order=order, added_automatically=automatic)
    extra = {"item_id": item.pk, "kind": kind, "order": order}
    if referral is not None:
        extra["referral_id"] = referral.pk
    if case is not None:
        extra.update(case_reason=case_reason)
    if automatic:
        extra["automatic"] = True
    audit_record(actor=actor, action=AuditAction.MEETING_ITEM_ADDED, target=meeting,
                 case_id=case.pk if case is not None else None, extra=extra)
    return item


@transaction.atomic
def meeting_item_add(*, actor, meeting: Meeting, referral: Referral) -> AgendaItem:
    """Put one of the team's referrals waiting for the screening decision on the agenda."""
    meeting = _locked(meeting)
    _require_staff(actor, meeting.team_id)
    if meeting.status not in (Meeting.Status.PLANNED, Meeting.Status.AGENDA_SENT):
        raise ApplicationError(AGENDA_CLOSED)
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.team_id != meeting.team_id or not referral_awaits_screening(referral):
        raise ApplicationError(REFERRAL_NOT_WAITING, field="referral")
    if open_items().filter(referral=referral).exists() or meeting.items.filter(referral=referral).exists():
        raise ApplicationError(REFERRAL_ALREADY_ON_AGENDA, field="referral")
    return _item_create(actor=actor, meeting=meeting, referral=referral)


def _open_review_tasks():
    from workflows.flows.case import CaseFlow

    return Task.objects.filter(flow_task=CaseFlow.review, status__in=(STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED))


def _pending_proposals():
    return CaseProposal.objects.filter(status=CaseProposal.Status.PENDING)


def cases_due_for_agenda(team_id):
    """The team's open cases the meeting may discuss: a progress review open (where a
    level change is decided) or a level change proposed, or a level-3 plan waiting
    for the supervisor's approval; not already on an open agenda item."""
    from django.db.models import Q

    review = _open_review_tasks().values("process__caseprocess__case_id")
    level_change = _pending_proposals().filter(kind=CaseProposal.Kind.LEVEL_CHANGE).values("case_id")
    level_3_plan = _pending_proposals().filter(kind=CaseProposal.Kind.PLAN, needs_approval=True).values("case_id")
    on_agenda = open_items().filter(case__isnull=False).values("case_id")
    return (Case.objects.filter(team_id=team_id, status__in=Case.OPEN_STATUSES)
            .filter(Q(pk__in=review) | Q(pk__in=level_change) | Q(pk__in=level_3_plan))
            .exclude(pk__in=on_agenda))


def case_agenda_reason(case: Case) -> str:
    """Why the case may be on an agenda (an ``AgendaItem.CaseReason``), or ""."""
    if not case.is_open:
        return ""
    if _pending_proposals().filter(case=case, kind=CaseProposal.Kind.PLAN, needs_approval=True).exists():
        return AgendaItem.CaseReason.LEVEL_3_PLAN
    if (_pending_proposals().filter(case=case, kind=CaseProposal.Kind.LEVEL_CHANGE).exists()
            or _open_review_tasks().filter(process__caseprocess__case=case).exists()):
        return AgendaItem.CaseReason.REVIEW
    return ""


@transaction.atomic
def meeting_case_add(*, actor, meeting: Meeting, case: Case) -> AgendaItem:
    """Put one of the team's cases on the agenda for discussion: due for a review or a
    level change, or with a level-3 plan waiting for approval. The actor must be able
    to see the case (the policy); the meeting records a note and a recommendation, the
    case's own flow is not moved."""
    meeting = _locked(meeting)
    _require_staff(actor, meeting.team_id)
    if meeting.status not in (Meeting.Status.PLANNED, Meeting.Status.AGENDA_SENT):
        raise ApplicationError(AGENDA_CLOSED)
    case = Case.objects.select_for_update().get(pk=case.pk)
    reason = case_agenda_reason(case) if case.team_id == meeting.team_id else ""
    if not reason or not can(actor, Action.VIEW, case):
        raise ApplicationError(CASE_NOT_DUE, field="case")
    if open_items().filter(case=case).exists() or meeting.items.filter(case=case).exists():
        raise ApplicationError(CASE_ALREADY_ON_AGENDA, field="case")
    return _item_create(actor=actor, meeting=meeting, case=case, case_reason=reason)


def screening_deadline(task_created):
    """The deadline of a screening task created at ``task_created``, as its escalation
    timer counts it (working days, to the end of the day)."""
    from workflows.nodes import working_days_deadline

    return working_days_deadline("screening")(SimpleNamespace(task=SimpleNamespace(created=task_created)))


@transaction.atomic
def meeting_agenda_autofill(*, now=None) -> int:
    """System action (beat): for each team, put the referrals waiting at the screening
    task whose screening deadline falls before or at the start of the team's next
    planned meeting on that meeting's agenda. Idempotent: a referral already on an
    open agenda item is never added again. Returns how many items were added."""
    from workflows.flows.referral import ReferralFlow

    from .selectors import referrals_awaiting_screening

    now = now or timezone.now()
    next_meeting = {}
    for meeting in Meeting.objects.filter(status=Meeting.Status.PLANNED, starts_at__gte=now).order_by(
            "starts_at", "pk"):
        next_meeting.setdefault(meeting.team_id, meeting)
    added = 0
    for team_id, meeting in sorted(next_meeting.items()):
        meeting = _locked(meeting)
        if meeting.status != Meeting.Status.PLANNED:
            continue
        candidates = list(referrals_awaiting_screening(team_id=team_id).exclude(agenda_items__meeting=meeting))
        created = dict(Task.objects.filter(
            flow_task=ReferralFlow.screen, status__in=(STATUS.NEW, STATUS.ASSIGNED),
            process__referralprocess__referral__in=candidates,
        ).values_list("process__referralprocess__referral_id", "created"))
        for referral in candidates:
            if referral.pk in created and screening_deadline(created[referral.pk]) <= meeting.starts_at:
                _item_create(actor=None, meeting=meeting, referral=referral, automatic=True)
                added += 1
    return added


@transaction.atomic
def meeting_agenda_send(*, actor, meeting: Meeting) -> Meeting:
    """The agenda goes to the invited members: from now on they see its items."""
    meeting = _locked(meeting)
    _require_staff(actor, meeting.team_id)
    if meeting.status != Meeting.Status.PLANNED:
        raise ApplicationError(AGENDA_NOT_PLANNED)
    if not (meeting.items.exists() and meeting.members.filter(invited=True).exists()):
        raise ApplicationError(NOTHING_TO_SEND)
    meeting.status, meeting.agenda_sent_at = Meeting.Status.AGENDA_SENT, timezone.now()
    meeting.save(update_fields=["status", "agenda_sent_at"])
    audit_record(actor=actor, action=AuditAction.MEETING_AGENDA_SENT, target=meeting,
                 changes={"status": [Meeting.Status.PLANNED, meeting.status]},
                 extra={"member_ids": list(meeting.members.filter(invited=True).values_list("user_id", flat=True)),
                        "referral_ids": [pk for pk in meeting.items.values_list("referral_id", flat=True) if pk],
                        "case_ids": [pk for pk in meeting.items.values_list("case_id", flat=True) if pk]})
    _agenda_notice_enqueue(meeting.pk)
    return meeting


def _agenda_notice_enqueue(meeting_id: int) -> None:
    """Through the transactional outbox: delivered after the commit, or by the relay
    when the broker is back."""
    from caseflow.notifications.outbox import outbox_enqueue

    from .tasks import meeting_agenda_notify_task

    outbox_enqueue(meeting_agenda_notify_task, meeting_id=meeting_id)


def meeting_agenda_notify(*, meeting_id: int) -> int:
    """System action (a Celery task): each invited member not yet told gets one e-mail
    saying only that a meeting agenda is ready, with a link to the meeting page (no
    names, CPR numbers or case text). Each member is told once; a second run sends
    nothing. Returns how many e-mails were sent."""
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().filter(pk=meeting_id).first()
        if meeting is None or meeting.status not in (Meeting.Status.AGENDA_SENT, Meeting.Status.HELD):
            return 0
        members = list(MeetingMember.objects.select_for_update().filter(
            meeting=meeting, invited=True, agenda_notified_at__isnull=True).order_by("pk"))
        users = get_user_model().objects.in_bulk([member.user_id for member in members])
        sent = []
        with translation.override(settings.LANGUAGE_CODE):
            link = f"{settings.CASEFLOW_BASE_URL}{reverse('meetings:detail', args=[meeting.pk])}"
            subject = str(_("Caseflow: a meeting agenda is ready"))
            body = str(_("An agenda for a coordination-unit meeting is ready for you in Caseflow:\n%(link)s")
                       % {"link": link})
        for member in members:
            user = users.get(member.user_id)
            if user is None or not user.is_active or not user.email:
                continue
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
            member.agenda_notified_at = timezone.now()
            member.save(update_fields=["agenda_notified_at"])
            sent.append(user.pk)
        if sent:
            audit_record(actor=None, action=AuditAction.NOTIFICATION_SENT, target=meeting,
                         extra={"recipient_ids": sent, "about": "meeting_agenda", "automatic": True})
        return len(sent)


def _member_of(meeting: Meeting, actor) -> MeetingMember | None:
    if not may_use(actor, Feature.MEETING_PARTNER):
        return None
    return meeting.members.filter(user_id=actor.pk, invited=True).first()


@transaction.atomic
def register_check_record(*, actor, item: AgendaItem, nothing_found: bool, summary: str = "",
                          legal_basis: str = "", legal_basis_other: str = "",
                          restricted: bool = False) -> RegisterCheck:
    """A partner member's register check on one agenda item (recording it again
    replaces their earlier one). Only for items of meetings they are invited to, from
    the agenda's sending until the minutes are approved."""
    item = AgendaItem.objects.select_related("meeting").get(pk=item.pk)
    meeting = _locked(item.meeting)
    member = _member_of(meeting, actor)
    if member is None:
        raise ApplicationError(CHECK_NOT_ALLOWED)
    if meeting.status not in (Meeting.Status.AGENDA_SENT, Meeting.Status.HELD):
        raise ApplicationError(CHECK_CLOSED)
    summary = (summary or "").strip()
    legal_basis_other = (legal_basis_other or "").strip()
    if nothing_found == bool(summary):
        raise ApplicationError(CHECK_SUMMARY_OR_NOTHING, field="summary")
    if nothing_found:
        legal_basis, legal_basis_other, restricted = "", "", False
    else:
        if legal_basis not in RegisterCheck.LegalBasis.values:
            raise ApplicationError(CHECK_LEGAL_BASIS_REQUIRED, field="legal_basis")
        if legal_basis == RegisterCheck.LegalBasis.OTHER and not legal_basis_other:
            raise ApplicationError(CHECK_OTHER_BASIS_REQUIRED, field="legal_basis_other")
        if legal_basis != RegisterCheck.LegalBasis.OTHER:
            legal_basis_other = ""
    check, created = RegisterCheck.objects.update_or_create(
        item=item, member=actor,
        defaults={"authority": member.authority, "nothing_found": nothing_found, "summary": summary,
                  "legal_basis": legal_basis, "legal_basis_other": legal_basis_other,
                  "restricted": bool(restricted), "recorded_at": timezone.now()},
    )
    audit_record(actor=actor, action=AuditAction.MEETING_REGISTER_CHECK_RECORDED, target=check,
                 extra={"meeting_id": meeting.pk, "item_id": item.pk, "referral_id": item.referral_id,
                        "nothing_found": nothing_found, "legal_basis": legal_basis,
                        "restricted": check.restricted, "replaced": not created})
    return check


@transaction.atomic
def meeting_hold(*, actor, meeting: Meeting, present_user_ids) -> Meeting:
    """The meeting takes place: who of the invited members is present is recorded
    (and goes into every decision's "members present")."""
    meeting = _locked(meeting)
    _require_staff(actor, meeting.team_id)
    if meeting.status != Meeting.Status.AGENDA_SENT:
        raise ApplicationError(HOLD_NOT_ALLOWED)
    present = {int(pk) for pk in present_user_ids or ()}
    invited = set(meeting.members.filter(invited=True).values_list("user_id", flat=True))
    if not present <= invited:
        raise ApplicationError(NOT_A_MEMBER, field="present")
    meeting.members.update(present=False)
    meeting.members.filter(user_id__in=present).update(present=True)
    meeting.status, meeting.held_at = Meeting.Status.HELD, timezone.now()
    meeting.save(update_fields=["status", "held_at"])
    audit_record(actor=actor, action=AuditAction.MEETING_HELD, target=meeting,
                 changes={"status": [Meeting.Status.AGENDA_SENT, meeting.status]},
                 extra={"present_ids": sorted(present)})
    return meeting


def members_present_text(meeting: Meeting) -> str:
    """The chair, the minute-taker and the members marked present, with authorities."""
    def name(user):
        return user.get_full_name() or user.get_username()

    people = [f"{name(meeting.chair)} ({_('chair')})"]
    if meeting.minute_taker_id != meeting.chair_id:
        people.append(f"{name(meeting.minute_taker)} ({_('minute-taker')})")
    members = meeting.members.filter(present=True).select_related("user").order_by("authority", "pk")
    people += [f"{name(member.user)} ({member.authority})" for member in members]
    return ", ".join(people)


@transaction.atomic
def meeting_item_decide(*, actor, item: AgendaItem, outcome: str, justification: str, dissent: str = "",
                        responsible=None) -> AgendaItem:
    """The meeting's screening outcome on one item, with its justification and any
    dissent. The members present are taken from the meeting; the referral's screening
    task completes with this decision (a minor's outcome then waits for the child-
    focused consultant's co-signature, as at the task)."""
    from workflows.services import referral_screening_from_meeting

    AgendaItem.objects.select_for_update().filter(pk=item.pk).first()
    item = items_with_cosignature(AgendaItem.objects.filter(pk=item.pk)).get()
    meeting = _locked(item.meeting)
    _require_staff(actor, meeting.team_id)
    if item.is_case:
        raise ApplicationError(NOT_A_REFERRAL_ITEM)
    if meeting.status != Meeting.Status.HELD:
        raise ApplicationError(DECIDE_NOT_HELD)
    if item.is_decided:
        raise ApplicationError(ALREADY_DECIDED)
    again = item.is_returned
    if outcome not in Referral.Outcome.values:
        raise ApplicationError(OUTCOME_REQUIRED, field="outcome")
    if not (justification or "").strip():
        raise ApplicationError(JUSTIFICATION_REQUIRED, field="justification")
    dissent = (dissent or "").strip()
    members_present = members_present_text(meeting)
    full_justification = justification.strip()
    if dissent:
        full_justification += "\n\n" + str(_("Dissent: %(dissent)s")) % {"dissent": dissent}
    referral_screening_from_meeting(actor=actor, referral=item.referral, outcome=outcome,
                                    justification=full_justification, members_present=members_present,
                                    responsible=responsible)
    item.outcome, item.justification, item.dissent = outcome, justification.strip(), dissent
    item.members_present, item.decided_at, item.decided_by = members_present, timezone.now(), actor
    item.save(update_fields=["outcome", "justification", "dissent", "members_present", "decided_at",
                             "decided_by"])
    audit_record(actor=actor, action=AuditAction.MEETING_ITEM_DECIDED, target=item,
                 extra={"meeting_id": meeting.pk, "referral_id": item.referral_id, "outcome": outcome,
                        "dissent": bool(dissent), "again_after_refusal": again})
    return item


@transaction.atomic
def meeting_case_discuss(*, actor, item: AgendaItem, note: str, recommendation: str, dissent: str = "") -> AgendaItem:
    """The meeting's discussion of a case on its agenda: a note, the meeting's
    recommendation (to the case's caseworker, supervisor and consultant, who decide in
    the case's own flow) and any dissent; the members present come from the meeting."""
    item = AgendaItem.objects.select_for_update().get(pk=item.pk)
    meeting = _locked(item.meeting)
    _require_staff(actor, meeting.team_id)
    if not item.is_case:
        raise ApplicationError(NOT_A_CASE_ITEM)
    if meeting.status != Meeting.Status.HELD:
        raise ApplicationError(DECIDE_NOT_HELD)
    if item.decided_at is not None:
        raise ApplicationError(ALREADY_DECIDED)
    if not (note or "").strip():
        raise ApplicationError(NOTE_REQUIRED, field="note")
    if not (recommendation or "").strip():
        raise ApplicationError(RECOMMENDATION_REQUIRED, field="recommendation")
    item.justification, item.recommendation = note.strip(), recommendation.strip()
    item.dissent, item.members_present = (dissent or "").strip(), members_present_text(meeting)
    item.decided_at, item.decided_by = timezone.now(), actor
    item.save(update_fields=["justification", "recommendation", "dissent", "members_present", "decided_at",
                             "decided_by"])
    audit_record(actor=actor, action=AuditAction.MEETING_ITEM_DECIDED, target=item, case_id=item.case_id,
                 extra={"meeting_id": meeting.pk, "case_id": item.case_id, "kind": item.kind,
                        "dissent": bool(item.dissent)})
    return item


@transaction.atomic
def meeting_minutes_approve(*, actor, meeting: Meeting) -> Meeting:
    """The chair approves the minutes; from now on no partner member sees the items."""
    meeting = _locked(meeting)
    if actor is None or actor.pk != meeting.chair_id or not may_use_for_team(actor, Feature.MEETING_PLANNING, meeting.team_id):
        raise ApplicationError(APPROVE_NOT_CHAIR)
    # An item the consultant returned after the meeting counts as dealt with here: the
    # minutes show it as returned, and it can go on a later meeting's agenda.
    if meeting.status != Meeting.Status.HELD or meeting.items.filter(decided_at__isnull=True).exists():
        raise ApplicationError(APPROVE_NOT_HELD)
    meeting.status, meeting.minutes_approved_at = Meeting.Status.MINUTES_APPROVED, timezone.now()
    meeting.save(update_fields=["status", "minutes_approved_at"])
    audit_record(actor=actor, action=AuditAction.MEETING_MINUTES_APPROVED, target=meeting,
                 changes={"status": [Meeting.Status.HELD, meeting.status]},
                 extra={"partner_access_ended_for": list(meeting.members.values_list("user_id", flat=True)),
                        "item_ids": list(meeting.items.values_list("pk", flat=True))})
    return meeting


def partner_members():
    return users_who_may_hold(Duty.MEETING_PARTNER).order_by("first_name", "last_name", "pk")


def team_staff(team_id):
    return users_who_may_hold(Duty.MEETING_STAFF, team_id).order_by("first_name", "last_name", "pk")
