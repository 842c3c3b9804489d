"""Writes of the coordination unit's meetings. Each service checks who may act, writes
and records one audit event, in one transaction (style.md).

Who does what:
- the unit's staff (caseworkers and supervisors of the meeting's team) plan the
  meeting, put referrals waiting for screening on the agenda, invite the partner members,
  send the agenda, record who was present and the decision on each item;
- an invited partner member records their register check on the items, from the
  agenda's sending until the minutes are approved;
- the chair approves the minutes, which ends the partners' access to the items.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from caseflow.accounts.roles import Role
from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.core.exceptions import ApplicationError
from caseflow.referrals.models import Referral

from .models import AgendaItem, Meeting, MeetingMember, RegisterCheck

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
NOTHING_TO_SEND = _("The agenda needs at least one referral and one invited member before it is sent.")
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

STAFF_ROLES = (Role.CASEWORKER, Role.SUPERVISOR)


def is_staff_of(actor, team_id) -> bool:
    """A caseworker or supervisor of the meeting's team (the unit's secretariat)."""
    return bool(actor is not None and actor.is_authenticated and actor.is_active and actor.team_id
                and actor.team_id == team_id and any(actor.has_role(role) for role in STAFF_ROLES))


def _require_staff(actor, team_id):
    if not is_staff_of(actor, team_id):
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
    if chair is None or not is_staff_of(chair, team_id):
        raise ApplicationError(CHAIR_MUST_BE_STAFF, field="chair")
    if minute_taker is None or not is_staff_of(minute_taker, team_id):
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
    if user is None or not user.is_active or not user.has_role(Role.PARTNER_MEMBER):
        raise ApplicationError(MEMBER_MUST_BE_PARTNER, field="user")
    if not (authority or "").strip():
        raise ApplicationError(AUTHORITY_REQUIRED, field="authority")
    if meeting.members.filter(user=user).exists():
        raise ApplicationError(ALREADY_INVITED, field="user")
    member = MeetingMember.objects.create(meeting=meeting, user=user, authority=authority.strip())
    audit_record(actor=actor, action=AuditAction.MEETING_MEMBER_INVITED, target=meeting,
                 extra={"member_id": user.pk, "authority": member.authority})
    return member


def referral_awaits_screening(referral: Referral) -> bool:
    """Waiting at the ReferralFlow's screening task (open, not yet decided)."""
    from workflows.flows.referral import ReferralFlow

    return (referral.status == Referral.Status.TO_COORDINATION_UNIT and referral.closed_at is None
            and Task.objects.filter(process__referralprocess__referral=referral, flow_task=ReferralFlow.screen,
                                    status__in=(STATUS.NEW, STATUS.ASSIGNED)).exists())


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
    if AgendaItem.objects.filter(referral=referral, decided_at__isnull=True).exclude(
            meeting__status=Meeting.Status.MINUTES_APPROVED).exists():
        raise ApplicationError(REFERRAL_ALREADY_ON_AGENDA, field="referral")
    order = (meeting.items.aggregate(last=Max("order"))["last"] or 0) + 1
    item = AgendaItem.objects.create(meeting=meeting, referral=referral, order=order)
    audit_record(actor=actor, action=AuditAction.MEETING_ITEM_ADDED, target=meeting,
                 extra={"item_id": item.pk, "referral_id": referral.pk, "order": order})
    return item


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
                        "referral_ids": list(meeting.items.values_list("referral_id", flat=True))})
    return meeting


def _member_of(meeting: Meeting, actor) -> MeetingMember | None:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return None
    if not actor.has_role(Role.PARTNER_MEMBER):
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

    item = AgendaItem.objects.select_for_update().get(pk=item.pk)
    meeting = _locked(item.meeting)
    _require_staff(actor, meeting.team_id)
    if meeting.status != Meeting.Status.HELD:
        raise ApplicationError(DECIDE_NOT_HELD)
    if item.is_decided:
        raise ApplicationError(ALREADY_DECIDED)
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
                        "dissent": bool(dissent)})
    return item


@transaction.atomic
def meeting_minutes_approve(*, actor, meeting: Meeting) -> Meeting:
    """The chair approves the minutes; from now on no partner member sees the items."""
    meeting = _locked(meeting)
    if actor is None or actor.pk != meeting.chair_id or not is_staff_of(actor, meeting.team_id):
        raise ApplicationError(APPROVE_NOT_CHAIR)
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
    return get_user_model().objects.filter(groups__name=Role.PARTNER_MEMBER, is_active=True).order_by(
        "first_name", "last_name", "pk")


def team_staff(team_id):
    return get_user_model().objects.filter(groups__name__in=STAFF_ROLES, is_active=True,
                                           team_id=team_id).distinct().order_by("first_name", "last_name", "pk")
