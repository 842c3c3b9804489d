"""Reads of cases. Every read goes through the policy's visibility querysets and leaves
one audit event (a list page is one event carrying the ids it showed)."""

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404

from caseflow.audit.actions import AuditAction
from caseflow.audit.selectors import audit_events_for_case
from caseflow.audit.services import audit_record
from caseflow.core.queries import summed_counts
from caseflow.interventions.models import Intervention
from caseflow.referrals.models import Referral
from permissions.policy import AccessDenied, case_actions, case_visibility, visible_cases
from permissions.rules import Action

from .models import Case, TeamCaseCount

PURPOSE_CASE_WORK = "case_work"
CASES_PER_PAGE = 50


_LIST_ORDER = ("-opened_at", "-pk")
_LIST_RELATED = ("person", "responsible", "team")


def case_list_for(*, actor) -> QuerySet[Case]:
    """The cases ``actor`` may see, newest first, with what the list shows joined in."""
    return visible_cases(actor).select_related(*_LIST_RELATED).order_by(*_LIST_ORDER)


class CaseListPages:
    """The case list as the Paginator sees it: an exact count and slices, each one
    statement whose cost follows what the actor may see, not the size of the table.

    The visible ids are the union of the actor's grants and, for a supervisor, their
    team's cases (``permissions.policy.case_visibility``). The count adds the team's cases
    (the trigger-kept ``TeamCaseCount``) to the granted ones outside the team, instead of
    de-duplicating a whole team at every view; a page takes, from the team, only its
    newest ``stop`` cases (the ``(team, opened_at, id)`` index) before merging them with
    the granted ids, and from the grants only their newest ``stop`` cases (the grants
    carry their case's opening time, ``CaseGrantFields.case_opened_at``). Other databases
    than PostgreSQL (SQLite in ``make run``) get the plain list.
    """

    ordered = True  # for the Paginator's unordered-list warning

    def __init__(self, actor):
        self.actor = actor
        self.visibility = case_visibility(actor)
        # The bounded team branch needs ORDER BY/LIMIT inside a UNION, the count the
        # trigger-kept TeamCaseCount: PostgreSQL only.
        self.plain = connection.vendor != "postgresql"

    def count(self) -> int:
        visibility = self.visibility
        if not visibility.granted and visibility.team_id is None:
            return 0
        if self.plain:
            return case_list_for(actor=self.actor).count()
        if visibility.team_id is None:
            return visibility.granted_ids().count()
        outside = Case.objects.filter(pk__in=visibility.granted_ids()).exclude(team_id=visibility.team_id)
        team = TeamCaseCount.objects.filter(team_id=visibility.team_id).values("cases")
        return summed_counts(counted=(outside.values("pk"),), values=(team,))

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Case]:
        visibility = self.visibility
        if not visibility.granted and visibility.team_id is None:
            return []
        if self.plain:
            return list(case_list_for(actor=self.actor)[index])
        # The newest ``stop`` cases of every part, from the grants' (who, case opened,
        # case) index and the team's (team, opened, id) index: never every granted case.
        parts = [part.order_by("-case_opened_at", "-content_object_id")
                 .values("content_object_id", "case_opened_at").distinct()[: index.stop]
                 for part in visibility.granted]
        if visibility.team_id is not None:
            parts.append(Case.objects.filter(team_id=visibility.team_id).order_by(*_LIST_ORDER)
                         .values("pk", "opened_at")[: index.stop])
        compiled = _compiled(parts)
        if not compiled:
            return []
        # Only the ORM's compiled SQL is joined here; every value is a bound parameter.
        candidates = RawSQL("SELECT id FROM (" + " UNION ".join(f"({sql})" for sql, _ in compiled)  # noqa: S608, S611
                            + ") AS candidates (id, opened_at)", [p for _, params in compiled for p in params])
        page_ids = Case.objects.filter(pk__in=candidates).order_by(*_LIST_ORDER).values("pk")[index]
        return list(Case.objects.filter(pk__in=page_ids).select_related(*_LIST_RELATED).order_by(*_LIST_ORDER))


def _compiled(querysets) -> list[tuple[str, tuple]]:
    """The SQL of each queryset that can match anything (a part with an empty ``IN``
    list, such as the group grants of a user in no group, matches nothing)."""
    compiled = []
    for queryset in querysets:
        try:
            compiled.append(queryset.query.get_compiler(connection=connection).as_sql())
        except EmptyResultSet:
            continue
    return compiled


def case_page_for(*, actor, page_number=1, per_page=CASES_PER_PAGE, purpose=PURPOSE_CASE_WORK) -> Page:
    """One page of the actor's case list (page of 50 plus the exact count), recorded as
    one read event with the ids shown. Three statements: the actor's roles, the count,
    the page (see ``CaseListPages``)."""
    page = Paginator(CaseListPages(actor), per_page).get_page(page_number)
    audit_record(actor=actor, action=AuditAction.CASE_LISTED, purpose=purpose,
                 extra={"page": page.number, "count": page.paginator.count,
                        "ids": [case.pk for case in page.object_list]})
    return page


def case_get_for(*, actor, case_id, purpose=PURPOSE_CASE_WORK) -> Case:
    """The case with what its page shows, if ``actor`` may see it; otherwise Http404 and
    an ``access.denied`` event (existence is never confirmed)."""
    case = (
        visible_cases(actor)
        .select_related("person", "responsible", "team", "bbu_contact")
        .prefetch_related(
            Prefetch("interventions", queryset=Intervention.objects.select_related("provider")),
            Prefetch("referrals", queryset=Referral.objects.order_by("received_at")),
            "decisions__decided_by",
        )
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target_type="cases.case",
                     target_id=str(case_id), case_id=_int_or_none(case_id), purpose=purpose)
        raise Http404
    audit_record(actor=actor, action=AuditAction.CASE_VIEWED, target=case, purpose=purpose)
    return case


PURPOSE_SUPERVISION = "supervision"
HISTORY_EVENTS_PER_PAGE = 200


def case_history_for(*, actor, case_id, page_number=1, purpose=PURPOSE_SUPERVISION):
    """A case's complete history for its supervisor: decisions with justifications and
    deciders, and every audit event about it (workflow steps, grants, who viewed what
    and when, exports), newest first. Returns (case, decisions, page of events).

    Invisible cases answer 404 (``access.denied``); a visible case without the
    history right raises ``AccessDenied``. The read is one ``case.history_viewed`` event."""
    case = visible_cases(actor).select_related("person", "responsible", "team").filter(pk=case_id).first()
    if case is None:
        audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target_type="cases.case",
                     target_id=str(case_id), case_id=_int_or_none(case_id), purpose=purpose)
        raise Http404
    if Action.VIEW_HISTORY not in case_actions(actor, case):
        audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target=case, purpose=purpose,
                     extra={"wanted": Action.VIEW_HISTORY})
        raise AccessDenied(Action.VIEW_HISTORY)
    decisions = list(case.decisions.select_related("decided_by").order_by("-decided_at", "-pk"))
    events = audit_events_for_case(case_id=case.pk).order_by("-sequence")
    page = Paginator(events, HISTORY_EVENTS_PER_PAGE).get_page(page_number)
    audit_record(actor=actor, action=AuditAction.CASE_HISTORY_VIEWED, target=case, purpose=purpose,
                 extra={"page": page.number, "sequences": [event.sequence for event in page.object_list]})
    return case, decisions, page


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
