"""The case page's timeline: one chronology, newest first, of what happened in a case.

Journal notes, decisions, finished workflow steps (the human tasks of the case's
CaseFlow runs and of its interventions' InterventionFlow runs) and interventions (their
proposal, start and end, and their sessions and progress reviews), each entry as far as
the policy lets the viewer see it:

- decisions: everyone who may see the case (``Action.VIEW``; BBU included);
- notes: the case file (``Action.VIEW_FILE``), material that may not be passed on only
  with ``Action.VIEW_RESTRICTED``, a draft only for its author;
- workflow steps and interventions: the case file (``Action.VIEW_FILE``).

The read is part of the case page's one ``case.viewed`` event. A fixed number of
queries, whatever the amount of data: one per source, each with its joins and a LIMIT;
the sources are merged in Python.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.status import STATUS

from permissions.rules import Action

from .models import Case, Decision

#: How many entries the page shows at most (the newest).
TIMELINE_LIMIT = 200


class Kind:
    NOTE = "note"
    DECISION = "decision"
    STEP = "step"
    INTERVENTION = "intervention"


#: (kind, label) in the order of the filter form.
KIND_CHOICES = (
    (Kind.NOTE, _("Journal notes")),
    (Kind.DECISION, _("Decisions")),
    (Kind.STEP, _("Workflow steps")),
    (Kind.INTERVENTION, _("Interventions")),
)
KIND_LABELS = {
    Kind.NOTE: _("Journal note"),
    Kind.DECISION: _("Decision"),
    Kind.STEP: _("Workflow step"),
    Kind.INTERVENTION: _("Intervention"),
}
ALL_KINDS = tuple(kind for kind, _label in KIND_CHOICES)

#: The action each kind needs.
_KIND_ACTION = {
    Kind.NOTE: Action.VIEW_FILE,
    Kind.DECISION: Action.VIEW,
    Kind.STEP: Action.VIEW_FILE,
    Kind.INTERVENTION: Action.VIEW_FILE,
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime.datetime
    kind: str
    title: str
    who: object = None  # a user, or None
    url: str = ""
    detail: str = ""
    #: Dated only (sessions, intervention start and end): shown without a time.
    date_only: bool = False
    #: Textual markers shown as badges, e.g. "Draft", "May not be passed on".
    badges: tuple = field(default_factory=tuple)
    #: Tie-breaker between entries at the same moment (newer rows first).
    order: int = 0

    @property
    def kind_label(self):
        return KIND_LABELS[self.kind]


@dataclass(frozen=True)
class Timeline:
    entries: list[TimelineEntry]
    #: True when older entries were left out (only the newest ``limit`` are shown).
    truncated: bool
    limit: int
    #: The kinds the viewer may see (the filter form offers these) and those shown.
    available_kinds: tuple
    kinds: tuple


def timeline_kinds_parse(values) -> tuple | None:
    """The kinds asked for in ``?kinds=note,decision`` or repeated ``?kinds=note&kinds=...``
    (unknown values ignored); None when nothing valid was asked for (all kinds)."""
    asked = {part.strip() for value in values or () for part in str(value).split(",")}
    kinds = tuple(kind for kind in ALL_KINDS if kind in asked)
    return kinds or None


def case_timeline_for(*, actor, case: Case, actions, kinds=None, limit: int = TIMELINE_LIMIT) -> Timeline:
    """The newest ``limit`` timeline entries of ``case`` that ``actor`` may see, newest
    first, of the ``kinds`` asked for (all by default). ``actions``: the viewer's policy
    actions on the case. The caller has checked that the viewer may see the case and
    records the read."""
    available = tuple(kind for kind in ALL_KINDS if _KIND_ACTION[kind] in actions)
    wanted = tuple(kind for kind in (kinds or ALL_KINDS) if kind in available)
    entries: list[TimelineEntry] = []
    fetch = limit + 1  # one more than shown: tells whether anything was left out
    if Kind.NOTE in wanted:
        entries += _notes(actor, case, actions, fetch)
    if Kind.DECISION in wanted:
        entries += _decisions(case, fetch)
    if Kind.STEP in wanted:
        entries += _steps(case, fetch)
    if Kind.INTERVENTION in wanted:
        entries += _interventions(case, fetch)
    entries.sort(key=lambda entry: (entry.at, entry.order), reverse=True)
    return Timeline(entries=entries[:limit], truncated=len(entries) > limit, limit=limit,
                    available_kinds=available, kinds=wanted)


def _short(text: str, words: int = 20) -> str:
    return Truncator(text or "").words(words, truncate="…")


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _notes(actor, case, actions, fetch) -> list[TimelineEntry]:
    from caseflow.journal.models import JournalNote

    visible = Q(status=JournalNote.Status.FINAL) | Q(author_id=actor.pk)
    if Action.VIEW_RESTRICTED not in actions:
        visible &= Q(restricted=False)
    notes = (JournalNote.objects.filter(visible, case_id=case.pk).select_related("author")
             .only("pk", "event_at", "status", "text", "restricted", "corrects_id", "author")
             .order_by("-event_at", "-pk")[:fetch])
    entries = []
    for note in notes:
        badges = []
        if not note.is_final:
            badges.append(_("Draft"))
        if note.restricted:
            badges.append(_("May not be passed on"))
        if note.corrects_id:
            badges.append(_("Correction"))
        entries.append(TimelineEntry(
            at=note.event_at, kind=Kind.NOTE, title=_short(note.text), who=note.author,
            url=reverse("journal:detail", args=[note.pk]), badges=tuple(badges), order=note.pk,
        ))
    return entries


def _decisions(case, fetch) -> list[TimelineEntry]:
    decisions = (Decision.objects.filter(case_id=case.pk).select_related("decided_by")
                 .order_by("-decided_at", "-pk")[:fetch])
    entries = []
    for decision in decisions:
        title = decision.get_kind_display()
        if decision.outcome:
            title = f"{title}: {decision.outcome_label}"
        badges = (_("Formal decision"),) if decision.is_formal_decision else ()
        entries.append(TimelineEntry(
            at=decision.decided_at, kind=Kind.DECISION, title=title, who=decision.decided_by,
            detail=_short(decision.justification, 40), badges=badges, order=decision.pk,
        ))
    return entries


def _steps(case, fetch) -> list[TimelineEntry]:
    from viewflow.workflow.models import Task

    tasks = (Task.objects.filter(
        Q(process__caseprocess__case_id=case.pk) | Q(process__interventionprocess__intervention__case_id=case.pk),
        flow_task_type="HUMAN", status=STATUS.DONE, finished__isnull=False,
    ).select_related("owner").order_by("-finished", "-pk")[:fetch])
    entries = []
    for task in tasks:
        node = task.flow_task
        title = str(getattr(node, "task_title", "") or getattr(node, "name", "") or _("Step"))
        entries.append(TimelineEntry(at=task.finished, kind=Kind.STEP, title=title, who=task.owner,
                                     order=task.pk))
    return entries


def _interventions(case, fetch) -> list[TimelineEntry]:
    from caseflow.interventions.models import Intervention, InterventionReview, InterventionSession

    entries = []
    interventions = (Intervention.objects.filter(case_id=case.pk).select_related("provider")
                     .order_by("-created_at", "-pk")[:fetch])
    for intervention in interventions:
        url = reverse("interventions:detail", args=[intervention.pk])
        kind_label = intervention.get_kind_display()
        entries.append(TimelineEntry(
            at=intervention.created_at, kind=Kind.INTERVENTION, url=url, order=intervention.pk,
            title=_("%(kind)s proposed") % {"kind": kind_label},
        ))
        if intervention.started_on:
            entries.append(TimelineEntry(
                at=_day_start(intervention.started_on), kind=Kind.INTERVENTION, url=url, date_only=True,
                title=_("%(kind)s started") % {"kind": kind_label}, who=intervention.provider,
                order=intervention.pk,
            ))
        if intervention.ended_on:
            entries.append(TimelineEntry(
                at=_day_start(intervention.ended_on), kind=Kind.INTERVENTION, url=url, date_only=True,
                title=_("%(kind)s ended") % {"kind": kind_label}, who=intervention.provider,
                detail=intervention.get_end_reason_display(), order=intervention.pk,
            ))
    sessions = (InterventionSession.objects.filter(intervention__case_id=case.pk)
                .select_related("intervention", "logged_by").order_by("-held_on", "-pk")[:fetch])
    for session in sessions:
        entries.append(TimelineEntry(
            at=_day_start(session.held_on), kind=Kind.INTERVENTION, date_only=True, who=session.logged_by,
            url=reverse("interventions:detail", args=[session.intervention_id]), order=session.pk,
            title=_("Session (%(kind)s): %(topic)s") % {"kind": session.intervention.get_kind_display(),
                                                         "topic": session.topic},
            detail=_("%(minutes)s minutes") % {"minutes": session.duration_minutes},
        ))
    reviews = (InterventionReview.objects.filter(intervention__case_id=case.pk)
               .select_related("intervention", "reviewed_by").order_by("-reviewed_at", "-pk")[:fetch])
    for review in reviews:
        entries.append(TimelineEntry(
            at=review.reviewed_at, kind=Kind.INTERVENTION, who=review.reviewed_by,
            url=reverse("interventions:detail", args=[review.intervention_id]), order=review.pk,
            title=_("Progress review (%(kind)s)") % {"kind": review.intervention.get_kind_display()},
            detail=f"{review.get_goals_status_display()} · {review.get_outcome_display()}",
        ))
    return entries
