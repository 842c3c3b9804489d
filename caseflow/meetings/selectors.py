"""Reads of the coordination unit's meetings, with the access rules of design.md §2:

- The unit's staff (caseworkers and supervisors of the meeting's team) see their team's
  meetings whole: every item with a link to its referral, and every register check,
  including those tagged "må ikke videregives" (the unit is where they are shared to).
- A partner member sees a meeting only while they are an invited member of it and its
  agenda has been sent, until the minutes are approved. Of each item they see only what
  a register search needs (need to know): the referral's reference, the person's name
  and date of birth, whether they are a minor, the warning-sign categories and the
  urgency. Never the concern text, the referrer, the CPR number, or a link to the
  referral or case (those pages stay 404 for them through the policy). Of the register
  checks they see their own and the other partners' checks that are not tagged
  "må ikke videregives".

Each page read is one ``meeting.viewed`` event (with the referrals shown); a refused
one is ``access.denied`` and a 404.
"""

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from caseflow.accounts.roles import Role
from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.referrals.models import Referral

from .models import AgendaItem, Meeting, MeetingMember, RegisterCheck
from .services import STAFF_ROLES

PARTNER_VISIBLE_STATUSES = (Meeting.Status.AGENDA_SENT, Meeting.Status.HELD)
PURPOSE_MEETING = "coordination_meeting"


def _active(actor) -> bool:
    return actor is not None and actor.is_authenticated and actor.is_active


def _is_staff(actor) -> bool:
    return bool(actor.team_id) and any(actor.has_role(role) for role in STAFF_ROLES)


def _is_partner(actor) -> bool:
    return actor.has_role(Role.PARTNER_MEMBER)


def visible_meetings(actor) -> QuerySet[Meeting]:
    if not _active(actor):
        return Meeting.objects.none()
    condition = Q(pk__in=[])
    if _is_staff(actor):
        condition |= Q(team_id=actor.team_id)
    if _is_partner(actor):
        condition |= Q(status__in=PARTNER_VISIBLE_STATUSES,
                       pk__in=MeetingMember.objects.filter(user_id=actor.pk, invited=True).values("meeting_id"))
    return Meeting.objects.filter(condition)


def meeting_list_for(*, actor) -> QuerySet[Meeting]:
    """The meetings the actor may open, newest first (dates and places only: no
    personal data, so not a read of case data)."""
    return visible_meetings(actor).select_related("chair").order_by("-starts_at", "-pk")


def viewer_is_staff(actor, meeting: Meeting) -> bool:
    return _active(actor) and _is_staff(actor) and actor.team_id == meeting.team_id


def _checks_visible_to(actor, meeting: Meeting) -> QuerySet[RegisterCheck]:
    checks = RegisterCheck.objects.select_related("member").order_by("authority", "pk")
    if viewer_is_staff(actor, meeting):
        return checks
    return checks.filter(Q(member_id=actor.pk) | Q(restricted=False))


def _deny(actor, meeting_id, purpose):
    audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target_type="meetings.meeting",
                 target_id=str(meeting_id), purpose=purpose)
    raise Http404


def meeting_get_for(*, actor, meeting_id, purpose=PURPOSE_MEETING) -> Meeting:
    """The meeting with its members, items (``referral`` and its person) and the
    register checks the actor may see (``item.visible_checks``), in a fixed number of
    queries; or Http404 with ``access.denied``."""
    meeting = visible_meetings(actor).select_related("chair", "minute_taker", "team").filter(
        pk=meeting_id).first() if str(meeting_id).isdigit() else None
    if meeting is None:
        _deny(actor, meeting_id, purpose)
    meeting = Meeting.objects.select_related("chair", "minute_taker", "team").prefetch_related(
        Prefetch("members", queryset=MeetingMember.objects.select_related("user").order_by("authority", "pk")),
        Prefetch("items", queryset=AgendaItem.objects.select_related("referral__person", "decided_by")
                 .order_by("order", "pk")),
        Prefetch("items__register_checks", queryset=_checks_visible_to(actor, meeting),
                 to_attr="visible_checks"),
    ).get(pk=meeting.pk)
    audit_record(actor=actor, action=AuditAction.MEETING_VIEWED, target=meeting, purpose=purpose,
                 extra={"referral_ids": [item.referral_id for item in meeting.items.all()],
                        "as_partner": not viewer_is_staff(actor, meeting)})
    return meeting


def agenda_item_get_for(*, actor, item_id, purpose=PURPOSE_MEETING) -> AgendaItem:
    """One agenda item of a meeting the actor may see (with the checks they may see),
    or Http404 with ``access.denied``. Audited as a read of its meeting."""
    item = AgendaItem.objects.select_related("meeting").filter(pk=item_id).first() \
        if str(item_id).isdigit() else None
    if item is None or not visible_meetings(actor).filter(pk=item.meeting_id).exists():
        audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target_type="meetings.agendaitem",
                     target_id=str(item_id), purpose=purpose)
        raise Http404
    item = AgendaItem.objects.select_related("meeting__chair", "meeting__minute_taker", "referral__person").get(
        pk=item.pk)
    item.visible_checks = list(_checks_visible_to(actor, item.meeting).filter(item=item))
    audit_record(actor=actor, action=AuditAction.MEETING_VIEWED, target=item.meeting, purpose=purpose,
                 extra={"item_id": item.pk, "referral_ids": [item.referral_id],
                        "as_partner": not viewer_is_staff(actor, item.meeting)})
    return item


def referrals_awaiting_screening(*, team_id) -> QuerySet[Referral]:
    """The team's referrals at the screening task and not on an undecided agenda item
    of a meeting in progress: the candidates for an agenda."""
    from workflows.flows.referral import ReferralFlow

    waiting = Task.objects.filter(flow_task=ReferralFlow.screen, status__in=(STATUS.NEW, STATUS.ASSIGNED)).values(
        "process__referralprocess__referral_id")
    on_agenda = AgendaItem.objects.filter(decided_at__isnull=True).exclude(
        meeting__status=Meeting.Status.MINUTES_APPROVED).values("referral_id")
    return (Referral.objects.filter(team_id=team_id, status=Referral.Status.TO_COORDINATION_UNIT,
                                    closed_at__isnull=True, pk__in=waiting)
            .exclude(pk__in=on_agenda).select_related("person").order_by("received_at", "pk"))


def meeting_reachable(*, actor, meeting_id, purpose=PURPOSE_MEETING) -> Meeting:
    """The meeting the actor may see, for a write (the service checks the rest); no
    read event (the write records its own), Http404 with ``access.denied`` otherwise."""
    meeting = visible_meetings(actor).filter(pk=meeting_id).first() if str(meeting_id).isdigit() else None
    if meeting is None:
        _deny(actor, meeting_id, purpose)
    return meeting
