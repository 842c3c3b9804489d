"""The deadline clocks of an access request (domain.md §4.4, §6 scenario 8).

- GDPR art. 15 (art. 12(3)): one month from receipt (``CASEFLOW_ACCESS_REQUEST_GDPR_MONTHS``);
  a delay letter may extend it by at most two further months.
- Aktindsigt (forvaltningsloven / offentlighedsloven § 36): 7 working days
  (``CASEFLOW_ACCESS_REQUEST_WORKING_DAYS``; weekends and Danish public holidays do not
  count), unless a delay letter (fristbrev) gives the reason and the expected date.

With a delay letter the expected date it gives is the deadline.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseflow.core.workdays import add_working_days

#: GDPR art. 12(3): the month may be extended by two further months.
GDPR_MAX_EXTENSION_MONTHS = 2

STATE_ON_TIME = "on_time"
STATE_DUE_SOON = "due_soon"
STATE_OVERDUE = "overdue"
STATE_DONE = "done"
STATE_DONE_LATE = "done_late"

STATE_LABELS = {
    STATE_ON_TIME: _("On time"),
    STATE_DUE_SOON: _("Due soon"),
    STATE_OVERDUE: _("Overdue"),
    STATE_DONE: _("Answered in time"),
    STATE_DONE_LATE: _("Answered late"),
}


def original_due_on(*, legal_basis: str, received_on: datetime.date) -> datetime.date:
    """The statutory deadline, before any delay letter."""
    from .models import AccessRequest

    if legal_basis == AccessRequest.LegalBasis.GDPR_15:
        return received_on + relativedelta(months=settings.CASEFLOW_ACCESS_REQUEST_GDPR_MONTHS)
    return add_working_days(received_on, settings.CASEFLOW_ACCESS_REQUEST_WORKING_DAYS)


def latest_delay_on(*, legal_basis: str, received_on: datetime.date) -> datetime.date | None:
    """The latest date a delay letter may promise (GDPR: three months in all); None: no limit."""
    from .models import AccessRequest

    if legal_basis == AccessRequest.LegalBasis.GDPR_15:
        return received_on + relativedelta(
            months=settings.CASEFLOW_ACCESS_REQUEST_GDPR_MONTHS + GDPR_MAX_EXTENSION_MONTHS)
    return None


@dataclass(frozen=True)
class Deadline:
    due_on: datetime.date
    original_due_on: datetime.date
    delayed: bool
    state: str

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def is_overdue(self) -> bool:
        return self.state in (STATE_OVERDUE, STATE_DONE_LATE)


def deadline_of(request, *, today: datetime.date | None = None) -> Deadline:
    """Where ``request`` stands against its deadline, today (or on ``today``)."""
    today = today or timezone.localdate()
    original = original_due_on(legal_basis=request.legal_basis, received_on=request.received_on)
    delayed = request.delay_letter_on is not None and request.delay_expected_on is not None
    due = request.delay_expected_on if delayed else original
    if request.completed_at is not None:
        done_on = timezone.localdate(request.completed_at)
        state = STATE_DONE if done_on <= due else STATE_DONE_LATE
    elif today > due:
        state = STATE_OVERDUE
    elif (due - today).days <= settings.CASEFLOW_ACCESS_REQUEST_DUE_SOON_DAYS:
        state = STATE_DUE_SOON
    else:
        state = STATE_ON_TIME
    return Deadline(due_on=due, original_due_on=original, delayed=delayed, state=state)
