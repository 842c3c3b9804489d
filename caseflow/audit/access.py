"""Who may read which part of the audit trail, and the recorded reads of it.

Who may read which part is decided by the policy (``permissions.policy.audit_scope_for``);
this module reads the part it is given:

- The auditor (DPO, ``Role.AUDITOR``) reads the whole trail.
- A supervisor reads the events whose actor is a member of their team, and the events
  about their team's cases (design.md §2: "every case of their team, its full history and
  access log"). Membership is today's (``User.team_id``): a user who moved team takes
  their log along to the new team's supervisor.
- Everyone else reads nothing: the search and export answer 403, a user's log 404.

Each read is one audit event (design.md §3: a search is one read event carrying its
criterion and the ids it returned), written here like the domain selectors write theirs.

``caseflow.audit`` otherwise imports no domain model (events carry type and id). This
module is the one exception: a supervisor's part of the trail is defined by which cases
belong to their team, and only ``cases.Case`` knows that. It is used in a subquery (ids
only), never to read case content.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import Http404

from caseflow.cases.models import Case  # the one domain model audit/ reads; see the module docstring

from .actions import AuditAction
from .models import AuditEvent
from .selectors import audit_event_search, audit_events_for_user
from .services import audit_record

PURPOSE_AUDIT = "audit"
EVENTS_PER_PAGE = 100
EXPORT_MAX_ROWS = 50_000
EXPORT_CHUNK_SIZE = 2_000

SCOPE_ALL = "all"
SCOPE_TEAM = "team"


@dataclass(frozen=True)
class AuditScope:
    """The part of the trail an actor may read: everything (``team_id`` None, kind
    ``all``), one team's (kind ``team``), or nothing (``None`` from
    ``permissions.policy.audit_scope_for``)."""

    kind: str
    team_id: int | None = None

    def as_json(self) -> dict:
        return {"kind": self.kind, "team_id": self.team_id} if self.team_id else {"kind": self.kind}


def _active(actor) -> bool:
    return actor is not None and actor.is_authenticated and actor.is_active


def _team_filter(team_id: int | None) -> Q:
    if team_id is None:
        return Q(pk__in=[])
    members = get_user_model().objects.filter(team_id=team_id).values("id")
    cases = Case.objects.filter(team_id=team_id).values("id")
    return Q(actor_id__in=members) | Q(case_id__in=cases)


def _scoped(events: QuerySet[AuditEvent], scope: AuditScope) -> QuerySet[AuditEvent]:
    if scope.kind == SCOPE_ALL:
        return events
    return events.filter(_team_filter(scope.team_id))


def audit_searchable_users(scope: AuditScope):
    """Users a search by user name may name: anyone for the auditor, the own team's
    members for a supervisor (so a search never confirms that another team's user exists)."""
    users = get_user_model().objects.all()
    if scope.kind == SCOPE_ALL:
        return users
    return users.filter(team_id=scope.team_id) if scope.team_id else users.none()


def audit_log_user_get(*, actor, scope: AuditScope | None, user_id):
    """The user whose access log ``actor`` may read, or Http404 (and ``access.denied``)."""
    user = None
    if scope is not None:
        user = audit_searchable_users(scope).filter(pk=user_id).first()
    if user is None:
        audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target_type="accounts.user",
                     target_id=str(user_id), purpose=PURPOSE_AUDIT)
        raise Http404
    return user


# --------------------------------------------------------------------------- recorded reads


def _search(scope: AuditScope, criterion: dict) -> QuerySet[AuditEvent]:
    events = audit_event_search(
        user_id=criterion.get("user_id"),
        case_id=criterion.get("case_id"),
        action=criterion.get("action") or None,
        date_from=criterion.get("date_from"),
        date_to=criterion.get("date_to"),
    )
    return _scoped(events, scope).order_by("-sequence")


def _criterion_json(criterion: dict) -> dict:
    return {
        key: value.isoformat() if isinstance(value, datetime.date) else value
        for key, value in criterion.items()
        if value not in (None, "")
    }


def audit_search_page_for(*, actor, scope: AuditScope, criterion: dict, page_number=1,
                          per_page=EVENTS_PER_PAGE) -> Page:
    """One page of the search, newest first, recorded as one ``audit.searched`` event
    with the criterion and the sequences shown.

    ``criterion``: the cleaned search form (``user``/``user_id``, ``case_id``, ``action``,
    ``date_from``, ``date_to``; all optional)."""
    page = Paginator(_search(scope, criterion), per_page).get_page(page_number)
    audit_record(
        actor=actor, action=AuditAction.AUDIT_SEARCHED, purpose=PURPOSE_AUDIT,
        extra={"criterion": _criterion_json(criterion), "scope": scope.as_json(), "page": page.number,
               "count": page.paginator.count, "ids": [event.sequence for event in page.object_list]},
    )
    return page


def audit_export_rows_for(*, actor, scope: AuditScope, criterion: dict,
                          max_rows=None) -> tuple[int, Iterator[AuditEvent]]:
    """The search's events for an export (newest first, at most ``max_rows``), recorded as
    one ``audit.exported`` event with the criterion and the row count (``max_rows``:
    ``EXPORT_MAX_ROWS`` unless given).

    The export is pinned to the chain head as it was before the export was recorded, so
    the count recorded is exactly the rows streamed (events written meanwhile, the export
    event included, are left out). Returns ``(row count, iterator of events)``; the
    iterator reads in chunks, so memory stays flat however many rows."""
    max_rows = max_rows or EXPORT_MAX_ROWS
    head = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
    events = _search(scope, criterion).filter(sequence__lte=head)
    count = min(events.count(), max_rows)
    audit_record(
        actor=actor, action=AuditAction.AUDIT_EXPORTED, purpose=PURPOSE_AUDIT,
        extra={"criterion": _criterion_json(criterion), "scope": scope.as_json(), "rows": count,
               "through_sequence": head, "max_rows": max_rows},
    )
    return count, events[:count].iterator(chunk_size=EXPORT_CHUNK_SIZE)


def audit_user_log_page_for(*, actor, scope: AuditScope, user, page_number=1, per_page=EVENTS_PER_PAGE) -> Page:
    """One page of what ``user`` did, newest first, recorded as one
    ``audit.user_log_viewed`` event about ``user`` with the sequences shown. The caller
    has checked with :func:`audit_log_user_get` that ``actor`` may read it."""
    events = audit_events_for_user(user_id=user.pk).order_by("-sequence")
    page = Paginator(events, per_page).get_page(page_number)
    audit_record(
        actor=actor, action=AuditAction.AUDIT_USER_LOG_VIEWED, target=user, purpose=PURPOSE_AUDIT,
        extra={"scope": scope.as_json(), "page": page.number, "count": page.paginator.count,
               "ids": [event.sequence for event in page.object_list]},
    )
    return page
