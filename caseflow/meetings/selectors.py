"""Reads of the coordination unit's meetings, with the access rules of design.md §2:

- The unit's staff (caseworkers and supervisors of the meeting's team) see their team's
  meetings: every item with a link to its referral, and every register check not tagged
  "må ikke videregives". A tagged check only reaches staff who may see the restricted
  material of the item's case (or, before there is a case, its referral's screening
  team): ``permissions.policy.register_checks_visible``.
- A partner member sees a meeting only while they are an invited member of it and its
  agenda has been sent, until the minutes are approved. Of each item they see only what
  a register search needs (need to know): the referral's reference, the person's name
  and date of birth, whether they are a minor, the warning-sign categories and the
  urgency. Never the concern text, the referrer, the CPR number, or a link to the
  referral or case (those pages stay 404 for them through the policy). Of the register
  checks they see their own and the other partners' checks that are not tagged
  "må ikke videregives".

The same holds for a case on the agenda: a partner sees its reference, the person's
name and date of birth, never the case page.

Each page read is one ``meeting.viewed`` event (with the referrals and cases shown), the
list one ``meeting.viewed`` event with the meetings listed; a refused read is
``access.denied`` and a 404. The minutes PDF is for the team's staff only
(``meeting.minutes_exported``); partners never get it.
"""

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.cases.models import Case
from caseflow.core.exceptions import ApplicationError
from caseflow.referrals.models import Referral
from permissions.policy import (  # noqa: F401 (PARTNER_VISIBLE_STATUSES, visible_meetings: read here by the views)
    PARTNER_VISIBLE_STATUSES,
    meeting_viewer_is_staff,
    register_checks_visible,
    visible_cases,
    visible_meetings,
)

from .models import (
    COSIGN_APPROVED,
    COSIGN_REFUSED,
    AgendaItem,
    Meeting,
    MeetingMember,
    RegisterCheck,
    items_with_cosignature,
    open_items,
)
from .services import MINUTES_NOT_READY, cases_due_for_agenda

PURPOSE_MEETING = "coordination_meeting"




def meeting_list_for(*, actor) -> QuerySet[Meeting]:
    """The meetings the actor may open, newest first (dates, places and chairs). The
    page shown is recorded by :func:`meeting_list_record`."""
    return visible_meetings(actor).select_related("chair").order_by("-starts_at", "-pk")


def meeting_list_record(*, actor, meetings) -> None:
    """One read event for a page of the meeting list, with the meetings it showed."""
    audit_record(actor=actor, action=AuditAction.MEETING_VIEWED, target_type="meetings.meeting",
                 purpose=PURPOSE_MEETING, extra={"listed": [meeting.pk for meeting in meetings]})


def viewer_is_staff(actor, meeting: Meeting) -> bool:
    return meeting_viewer_is_staff(actor, meeting)


def _checks_visible_to(actor, meeting: Meeting) -> QuerySet[RegisterCheck]:
    checks = RegisterCheck.objects.select_related("member").order_by("authority", "pk")
    return register_checks_visible(actor, checks, as_staff=viewer_is_staff(actor, meeting))


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
    meeting = _meeting_loaded(actor, meeting)
    items = meeting.items.all()
    audit_record(actor=actor, action=AuditAction.MEETING_VIEWED, target=meeting, purpose=purpose,
                 extra={"referral_ids": [item.referral_id for item in items if item.referral_id],
                        "case_ids": [item.case_id for item in items if item.case_id],
                        "as_partner": not viewer_is_staff(actor, meeting)})
    return meeting


def _items_queryset():
    return items_with_cosignature(AgendaItem.objects.select_related(
        "referral__person", "case__person", "decided_by")).order_by("order", "pk")


def _meeting_loaded(actor, meeting: Meeting) -> Meeting:
    """The meeting with members, items (subject, person, co-signature state, what the
    actor may see of the register checks) in a fixed number of queries."""
    meeting = Meeting.objects.select_related("chair", "minute_taker", "team").prefetch_related(
        Prefetch("members", queryset=MeetingMember.objects.select_related("user").order_by("authority", "pk")),
        Prefetch("items", queryset=_items_queryset()),
        Prefetch("items__register_checks", queryset=_checks_visible_to(actor, meeting), to_attr="visible_checks"),
    ).get(pk=meeting.pk)
    for item in meeting.items.all():
        item.cosignature = cosignature_status(item)
    return meeting


def cosignature_status(item: AgendaItem) -> str:
    """The child-focused consultant's co-signature of a minor's screening decided at
    the meeting: awaited, given or refused (""; not needed for adults and cases)."""
    from workflows.services import referral_is_minor

    if item.is_case or item.decided_at is None or item.referral is None or not referral_is_minor(item.referral):
        return ""
    outcome = getattr(item, "cosign_outcome", None)
    if outcome == COSIGN_APPROVED:
        return str(_("Co-signed by the child-focused consultant"))
    if outcome == COSIGN_REFUSED:
        return str(_("Refused by the child-focused consultant: to be decided again"))
    return str(_("Awaiting the child-focused consultant's co-signature"))


def agenda_item_get_for(*, actor, item_id, purpose=PURPOSE_MEETING) -> AgendaItem:
    """One agenda item of a meeting the actor may see (with the checks they may see),
    or Http404 with ``access.denied``. Audited as a read of its meeting."""
    item = AgendaItem.objects.select_related("meeting").filter(pk=item_id).first() \
        if str(item_id).isdigit() else None
    if item is None or not visible_meetings(actor).filter(pk=item.meeting_id).exists():
        audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target_type="meetings.agendaitem",
                     target_id=str(item_id), purpose=purpose)
        raise Http404
    item = items_with_cosignature(AgendaItem.objects.select_related(
        "meeting__chair", "meeting__minute_taker", "referral__person", "case__person")).get(pk=item.pk)
    item.visible_checks = list(_checks_visible_to(actor, item.meeting).filter(item=item))
    item.cosignature = cosignature_status(item)
    audit_record(actor=actor, action=AuditAction.MEETING_VIEWED, target=item.meeting, purpose=purpose,
                 case_id=item.case_id,
                 extra={"item_id": item.pk, "referral_ids": [item.referral_id] if item.referral_id else [],
                        "case_ids": [item.case_id] if item.case_id else [],
                        "as_partner": not viewer_is_staff(actor, item.meeting)})
    return item


def referrals_awaiting_screening(*, team_id) -> QuerySet[Referral]:
    """The team's referrals at the screening task and not on an undecided agenda item
    of a meeting in progress: the candidates for an agenda."""
    from workflows.flows.referral import ReferralFlow

    waiting = Task.objects.filter(flow_task=ReferralFlow.screen, status__in=(STATUS.NEW, STATUS.ASSIGNED)).values(
        "process__referralprocess__referral_id")
    on_agenda = open_items().filter(referral__isnull=False).values("referral_id")
    return (Referral.objects.filter(team_id=team_id, status=Referral.Status.TO_COORDINATION_UNIT,
                                    closed_at__isnull=True, pk__in=waiting)
            .exclude(pk__in=on_agenda).select_related("person").order_by("received_at", "pk"))


def cases_for_agenda(*, actor, team_id) -> QuerySet[Case]:
    """The team's cases the actor may see that are due for discussion at a meeting
    (``services.cases_due_for_agenda``): the candidates for a case item."""
    return (cases_due_for_agenda(team_id).filter(pk__in=visible_cases(actor).values("pk"))
            .select_related("person").order_by("opened_at", "pk"))


def meeting_minutes_for(*, actor, meeting_id, purpose=PURPOSE_MEETING) -> Meeting:
    """The meeting loaded for its minutes, for the team's staff only (partners and
    everyone else: 404 and ``access.denied``); ApplicationError before it is held.
    Records ``meeting.minutes_exported``."""
    meeting = visible_meetings(actor).filter(pk=meeting_id).first() if str(meeting_id).isdigit() else None
    if meeting is None or not viewer_is_staff(actor, meeting):
        _deny(actor, meeting_id, purpose)
    if meeting.status not in (Meeting.Status.HELD, Meeting.Status.MINUTES_APPROVED):
        raise ApplicationError(MINUTES_NOT_READY)
    meeting = _meeting_loaded(actor, meeting)
    items = meeting.items.all()
    audit_record(actor=actor, action=AuditAction.MEETING_MINUTES_EXPORTED, target=meeting, purpose=purpose,
                 extra={"referral_ids": [item.referral_id for item in items if item.referral_id],
                        "case_ids": [item.case_id for item in items if item.case_id],
                        "approved": meeting.status == Meeting.Status.MINUTES_APPROVED})
    return meeting


def meeting_reachable(*, actor, meeting_id, purpose=PURPOSE_MEETING) -> Meeting:
    """The meeting the actor may see, for a write (the service checks the rest); no
    read event (the write records its own), Http404 with ``access.denied`` otherwise."""
    meeting = visible_meetings(actor).filter(pk=meeting_id).first() if str(meeting_id).isdigit() else None
    if meeting is None:
        _deny(actor, meeting_id, purpose)
    return meeting
