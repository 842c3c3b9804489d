"""Reads of the audit trail: plain querysets in chain order.

Who may see which events is the caller's business (the permission policy); so is
recording the read itself (``audit_record(action=AuditAction.AUDIT_SEARCHED, extra={...})``
with the criterion and the ids shown). ``actor`` is joined, so a page of events costs
one query whatever its length.
"""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from .actions import AuditAction
from .models import AuditEvent


def _events() -> QuerySet[AuditEvent]:
    return AuditEvent.objects.select_related("actor").order_by("sequence")


def audit_events_for_case(*, case_id: int) -> QuerySet[AuditEvent]:
    """Every event about the case (its history), oldest first."""
    return _events().filter(case_id=case_id)


def audit_events_for_user(*, user_id: int) -> QuerySet[AuditEvent]:
    """Everything the user did (their access log), oldest first."""
    return _events().filter(actor_id=user_id)


def _period_start(value) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value
    return timezone.make_aware(datetime.datetime.combine(value, datetime.time.min))


def audit_event_search(
    *, user_id=None, case_id=None, action=None, date_from=None, date_to=None
) -> QuerySet[AuditEvent]:
    """The auditor's search. Every criterion is optional and they combine with AND.

    ``action``: one :class:`AuditAction` or several. ``date_from``/``date_to``: dates
    (whole days in the local time zone, both inclusive) or aware datetimes (``date_to``
    exclusive).
    """
    events = _events()
    if user_id is not None:
        events = events.filter(actor_id=user_id)
    if case_id is not None:
        events = events.filter(case_id=case_id)
    if action:
        actions = [action] if isinstance(action, str) else list(action)
        events = events.filter(action__in=[AuditAction(value) for value in actions])
    if date_from is not None:
        events = events.filter(occurred_at__gte=_period_start(date_from))
    if date_to is not None:
        if isinstance(date_to, datetime.datetime):
            events = events.filter(occurred_at__lt=date_to)
        else:
            events = events.filter(occurred_at__lt=_period_start(date_to + datetime.timedelta(days=1)))
    return events
