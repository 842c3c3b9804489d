"""E-mail notifications: what happened is recorded once per (user, kind, object) as a
:class:`Notification`; the mail says only that there is something to look at, with a
link (never a name, CPR number, case reference or case text).

* ``notification_scan`` (beat, every few minutes) finds assigned tasks, deadlines due
  soon and breached, emergency accesses waiting for review and approvals waiting, records
  the notifications that are new and mails the ones whose users want them at once;
* ``notification_break_glass`` / ``notification_bbu_report`` record and send at once
  (called by the emergency-access alert task and by the BBU job node);
* ``notification_digest_send`` (beat, daily) sends one mail per user who prefers a
  digest, with counts per kind;
* ``notification_preference_set`` changes a user's preference (audited).

Exactly once: the unique constraint makes a second scanner or a redelivered task find
the row already there; sending locks the row (``SKIP LOCKED``) and marks it sent in the
same transaction, so two senders never mail the same row.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from caseflow.accounts.models import User
from caseflow.audit.actions import READ_ACTIONS, AuditAction
from caseflow.audit.models import AuditEvent
from caseflow.audit.services import audit_diff, audit_record
from caseflow.core.exceptions import ApplicationError
from permissions.policy import Duty, Feature, may_use, users_who_may_hold

from .models import Notification, NotificationPreference

logger = logging.getLogger(__name__)

Kind = Notification.Kind

#: Sent at once whatever the user's preference: someone must act within hours.
URGENT_KINDS = frozenset({Kind.BREAK_GLASS, Kind.BBU_REPORT})

#: Task permissions that make a task an approval or co-signature.
APPROVAL_PERMISSIONS = ("cases.approve_case", "cases.cosign_case", "referrals.cosign_referral")

#: How close in time an audited change made by the assignee must be to the task's
#: creation (or assignment) for the assignment to count as their own doing (no mail):
#: the task came from the request in which they registered, screened or claimed.
OWN_ACTION_WINDOW = datetime.timedelta(seconds=3)

PREFERENCE_INVALID = gettext_lazy("Choose how you want to be notified.")

SUBJECTS = {
    Kind.TASK_ASSIGNED: gettext_lazy("Caseflow: a task has been assigned to you"),
    Kind.DEADLINE_SOON: gettext_lazy("Caseflow: a deadline is due soon"),
    Kind.DEADLINE_BREACHED: gettext_lazy("Caseflow: a deadline has passed"),
    Kind.BREAK_GLASS: gettext_lazy("Caseflow: an emergency access waits for your review"),
    Kind.APPROVAL_WAITING: gettext_lazy("Caseflow: an approval waits for you"),
    Kind.BBU_REPORT: gettext_lazy("Caseflow: a report (underretning) waits for you"),
}
BODIES = {
    Kind.TASK_ASSIGNED: gettext_lazy("A task has been assigned to you in Caseflow:\n%(link)s"),
    Kind.DEADLINE_SOON: gettext_lazy("A task of yours in Caseflow is due soon:\n%(link)s"),
    Kind.DEADLINE_BREACHED: gettext_lazy("The deadline of a task in Caseflow has passed:\n%(link)s"),
    Kind.BREAK_GLASS: gettext_lazy("An emergency access to a case waits for your review in Caseflow:\n%(link)s"),
    Kind.APPROVAL_WAITING: gettext_lazy("An approval or co-signature waits in Caseflow:\n%(link)s"),
    Kind.BBU_REPORT: gettext_lazy(
        "A report (underretning) about a child waits for your acknowledgement in Caseflow, "
        "within %(hours)s hours:\n%(link)s"),
}
DIGEST_SUBJECT = gettext_lazy("Caseflow: your daily summary")
DIGEST_INTRO = gettext_lazy("There is something for you to look at in Caseflow:")
DIGEST_LINK = gettext_lazy("Sign in to see it:\n%(link)s")


def _link(kind: str, user) -> str:
    if kind == Kind.BREAK_GLASS:
        path = reverse("permissions:break_glass_reviews")
    elif kind == Kind.APPROVAL_WAITING:
        path = reverse("workflows:queue")
    elif kind == Kind.DEADLINE_BREACHED and may_use(user, Feature.DEADLINE_BREACHES):
        path = reverse("workflows:deadline_breaches")
    elif kind in (Kind.TASK_ASSIGNED, Kind.BBU_REPORT, Kind.DEADLINE_BREACHED):
        path = reverse("workflows:inbox")
    else:
        path = reverse("dashboard:home")
    return f"{settings.CASEFLOW_BASE_URL}{path}"


def mail_text(kind: str, user) -> tuple[str, str]:
    """Subject and body of one notification: something to look at and a link; nothing else."""
    with translation.override(settings.LANGUAGE_CODE):
        body = str(BODIES[kind]) % {"link": _link(kind, user), "hours": settings.CASEFLOW_BBU_REPORT_HOURS}
        return str(SUBJECTS[kind]), body


# --------------------------------------------------------------------------- preference


def preference_mode_of(user) -> str:
    mode = NotificationPreference.objects.filter(user=user).values_list("mode", flat=True).first()
    return mode or NotificationPreference.Mode.IMMEDIATE


@transaction.atomic
def notification_preference_set(*, actor, mode: str) -> NotificationPreference:
    """The signed-in user chooses immediate mails or a daily digest (their own only)."""
    if not getattr(actor, "is_authenticated", False):
        raise ApplicationError(PREFERENCE_INVALID)
    if mode not in NotificationPreference.Mode.values:
        raise ApplicationError(PREFERENCE_INVALID, field="mode")
    preference, _created = NotificationPreference.objects.select_for_update().get_or_create(user=actor)
    before = {"mode": None if _created else preference.mode}
    preference.mode = mode
    preference.save(update_fields=["mode", "updated_at"])
    changes = audit_diff(before, {"mode": mode})
    if changes:
        audit_record(actor=actor, action=AuditAction.NOTIFICATION_PREFERENCES_CHANGED, target=preference,
                     changes=changes)
    return preference


# --------------------------------------------------------------------------- record and send


def notification_record(*, user_id: int, kind: str, object_key: str) -> Notification | None:
    """Record a notification once; None if (user, kind, object) was recorded before."""
    try:
        with transaction.atomic():
            return Notification.objects.create(user_id=user_id, kind=kind, object_key=object_key)
    except IntegrityError:
        return None


def _wants_now(notification: Notification) -> bool:
    return notification.kind in URGENT_KINDS or preference_mode_of(notification.user) != \
        NotificationPreference.Mode.DIGEST


def notification_send(*, notification_id: int) -> bool:
    """Mail one notification if it is still unsent and its user wants it at once.
    Under the row's lock: two senders never mail the same row."""
    with transaction.atomic():
        notification = (Notification.objects.select_for_update(skip_locked=True, of=("self",))
                        .select_related("user")
                        .filter(pk=notification_id, sent_at__isnull=True, digested_at__isnull=True).first())
        if notification is None or not _wants_now(notification):
            return False
        user = notification.user
        now = timezone.now()
        if not (user.is_active and user.email):
            # Nobody to mail: closed as sent without a mail (nothing to retry).
            Notification.objects.filter(pk=notification.pk).update(sent_at=now)
            return False
        subject, body = mail_text(notification.kind, user)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        Notification.objects.filter(pk=notification.pk).update(sent_at=now)
        audit_record(actor=None, action=AuditAction.NOTIFICATION_SENT, target=notification,
                     extra={"recipient_id": user.pk, "kind": notification.kind, "automatic": True})
    return True


def notification_send_pending(*, ids=None) -> int:
    """Mail the unsent notifications of users who want them at once. Returns mails sent."""
    pending = Notification.objects.filter(sent_at__isnull=True, digested_at__isnull=True)
    if ids is not None:
        pending = pending.filter(pk__in=ids)
    digest_users = NotificationPreference.objects.filter(mode=NotificationPreference.Mode.DIGEST).values("user_id")
    pending = pending.filter(Q(kind__in=URGENT_KINDS) | ~Q(user_id__in=digest_users))
    return sum(notification_send(notification_id=pk) for pk in pending.order_by("pk").values_list("pk", flat=True))


def _record_all(pairs, kind: str) -> list[int]:
    created = []
    for user_id, key in pairs:
        notification = notification_record(user_id=user_id, kind=kind, object_key=key)
        if notification is not None:
            created.append(notification.pk)
    return created


def _team_supervisor_ids(team_id) -> list[int]:
    if not team_id:
        return []
    return list(users_who_may_hold(Duty.TEAM_SUPERVISOR, team_id).values_list("pk", flat=True))


def notification_break_glass(*, access_id: int) -> int:
    """An emergency access waits for review: tell the team's supervisors at once.
    Returns the mails sent (0 when the access was reviewed already or sent before)."""
    from permissions.models import BreakGlassAccess

    access = BreakGlassAccess.objects.select_related("case").filter(pk=access_id).first()
    if access is None or access.review != BreakGlassAccess.Review.PENDING:
        return 0
    ids = _record_all(((pk, f"break_glass:{access.pk}") for pk in _team_supervisor_ids(access.case.team_id)),
                      Kind.BREAK_GLASS)
    return notification_send_pending(ids=ids)


def notification_bbu_report(*, user_id: int, process_id: int) -> int:
    """A report (underretning) waits for the named BBU contact: recorded and mailed in
    the caller's transaction (the BBU job node in a worker), once per referral process."""
    notification = notification_record(user_id=user_id, kind=Kind.BBU_REPORT, object_key=f"referral_process:{process_id}")
    if notification is None:
        return 0
    return int(notification_send(notification_id=notification.pk))


# --------------------------------------------------------------------------- the scan


def _acted_around(user_id: int, moment) -> bool:
    """Was the task created by the user's own request (they registered, screened, did
    the step before)? Their audited changes around ``moment`` whose requests show no
    other user acting. A request of someone else that records changes in the user's name
    (a co-signature that makes the caseworker's screening take effect) is not their own."""
    if moment is None:
        return False
    window = {"occurred_at__gte": moment - OWN_ACTION_WINDOW, "occurred_at__lte": moment + OWN_ACTION_WINDOW}
    requests = set(AuditEvent.objects.filter(actor_id=user_id, **window).exclude(action__in=READ_ACTIONS)
                   .exclude(request_id="").values_list("request_id", flat=True))
    if not requests:
        return False
    return not AuditEvent.objects.filter(request_id__in=requests, actor__isnull=False).exclude(
        actor_id=user_id).exists()


def _existing_keys(kind: str, keys) -> set[tuple[int, str]]:
    keys = list(keys)
    if not keys:
        return set()
    return set(Notification.objects.filter(kind=kind, object_key__in={k for _u, k in keys})
               .values_list("user_id", "object_key"))


def _scan_assigned(since) -> list[int]:
    """Open tasks assigned to someone by another person's action: a task assigned when it
    was created (``.Assign``) in a request of someone else, or reassigned to them
    (``workflow.task_reassigned`` by someone else). Not: a task the owner took from the
    queue, or one that came from their own step."""
    from workflows.selectors import task_reachable

    reassignments = AuditEvent.objects.filter(action=AuditAction.TASK_REASSIGNED, target_type="viewflow.task",
                                              occurred_at__gte=since)
    reassigned: dict[int, set[int]] = {}  # task pk -> users who reassigned it
    for target_id, actor_id in reassignments.values_list("target_id", "actor_id"):
        if target_id.isdigit():
            reassigned.setdefault(int(target_id), set()).add(actor_id)
    tasks = list(Task.objects.filter(Q(created__gte=since) | Q(pk__in=list(reassigned)), flow_task_type="HUMAN",
                                     status=STATUS.ASSIGNED, owner__isnull=False)
                 .only("pk", "owner_id", "created", "flow_task"))
    known = _existing_keys(Kind.TASK_ASSIGNED, [(task.owner_id, f"task:{task.pk}") for task in tasks])
    created = []
    for task in tasks:
        key = f"task:{task.pk}"
        if (task.owner_id, key) in known:
            continue
        if reassigned.get(task.pk, set()) - {task.owner_id}:
            own_doing = False  # reassigned to them by someone else
        elif getattr(task.flow_task, "_owner", None) is not None:
            own_doing = _acted_around(task.owner_id, task.created)  # assigned when it was created
        else:
            own_doing = True  # taken from the queue by the owner
        owner = User.objects.get(pk=task.owner_id)
        if own_doing or task_reachable(actor=owner, task_pk=task.pk) is None:
            # Recorded as done without a mail, so the next scan does not look at it again.
            notification = notification_record(user_id=task.owner_id, kind=Kind.TASK_ASSIGNED, object_key=key)
            if notification is not None:
                Notification.objects.filter(pk=notification.pk).update(sent_at=timezone.now())
            continue
        created += _record_all([(task.owner_id, key)], Kind.TASK_ASSIGNED)
    return created


def _scan_deadlines_soon(now) -> list[int]:
    from caseflow.dashboard.selectors import soon_cutoff

    timers = Task.objects.filter(previous=OuterRef("pk"), status=STATUS.SCHEDULED, flow_task_type="TIMER",
                                 scheduled__gte=now, scheduled__lte=soon_cutoff(now))
    tasks = (Task.objects.filter(flow_task_type="HUMAN", status__in=(STATUS.ASSIGNED, STATUS.STARTED),
                                 owner__isnull=False).filter(Exists(timers))
             .values_list("owner_id", "pk"))
    return _record_all(((owner_id, f"task:{pk}") for owner_id, pk in tasks), Kind.DEADLINE_SOON)


def _scan_breaches(since) -> list[int]:
    from workflows.deadlines import OPEN_TASK_STATUSES
    from workflows.models import DeadlineBreach

    pairs = []
    for pk, team_id, owner_id in (DeadlineBreach.objects.filter(breached_at__gte=since,
                                                                task__status__in=OPEN_TASK_STATUSES)
                                  .values_list("pk", "team_id", "task__owner_id")):
        recipients = set(_team_supervisor_ids(team_id))
        if owner_id:
            recipients.add(owner_id)
        pairs += [(user_id, f"breach:{pk}") for user_id in sorted(recipients)]
    return _record_all(pairs, Kind.DEADLINE_BREACHED)


def _scan_break_glass(since) -> list[int]:
    from permissions.models import BreakGlassAccess

    pairs = []
    for pk, team_id in (BreakGlassAccess.objects.filter(review=BreakGlassAccess.Review.PENDING, opened_at__gte=since)
                        .values_list("pk", "case__team_id")):
        pairs += [(user_id, f"break_glass:{pk}") for user_id in _team_supervisor_ids(team_id)]
    return _record_all(pairs, Kind.BREAK_GLASS)


def _scan_approvals(since) -> list[int]:
    """Approvals and co-signatures waiting in the queue of each supervisor and
    child-focused consultant: the policy-scoped queue decides who may take them."""
    from workflows.selectors import task_queue_for

    approvers = users_who_may_hold(Duty.APPROVER)
    pairs = []
    for user in approvers:
        waiting = (task_queue_for(actor=user).filter(owner_permission__in=APPROVAL_PERMISSIONS, created__gte=since)
                   .order_by().values_list("pk", flat=True))
        pairs += [(user.pk, f"task:{pk}") for pk in waiting]
    return _record_all(pairs, Kind.APPROVAL_WAITING)


def notification_scan(*, now=None) -> dict:
    """Record what is new since the look-back window and mail what users want at once.
    Safe to run twice at the same moment (two beats): the rows are unique."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=settings.CASEFLOW_NOTIFICATION_LOOKBACK_DAYS)
    created = {
        Kind.TASK_ASSIGNED: _scan_assigned(since),
        Kind.DEADLINE_SOON: _scan_deadlines_soon(now),
        Kind.DEADLINE_BREACHED: _scan_breaches(since),
        Kind.BREAK_GLASS: _scan_break_glass(since),
        Kind.APPROVAL_WAITING: _scan_approvals(since),
    }
    sent = notification_send_pending()
    return {"recorded": {str(kind): len(ids) for kind, ids in created.items()}, "sent": sent}


# --------------------------------------------------------------------------- the daily digest


def _digest_one(*, preference_id: int, now) -> bool:
    with transaction.atomic():
        preference = (NotificationPreference.objects.select_for_update(skip_locked=True, of=("self",))
                      .select_related("user").filter(pk=preference_id, mode=NotificationPreference.Mode.DIGEST)
                      .first())
        if preference is None:
            return False
        if preference.last_digest_at and now - preference.last_digest_at < datetime.timedelta(hours=20):
            return False  # today's digest went out already (a second beat, a redelivery)
        rows = list(Notification.objects.select_for_update().filter(
            user_id=preference.user_id, sent_at__isnull=True, digested_at__isnull=True,
        ).exclude(kind__in=URGENT_KINDS).order_by("pk").values_list("pk", "kind"))
        if not rows:
            return False
        user = preference.user
        counts: dict[str, int] = {}
        for _pk, kind in rows:
            counts[kind] = counts.get(kind, 0) + 1
        ids = [pk for pk, _kind in rows]
        Notification.objects.filter(pk__in=ids).update(digested_at=now)
        preference.last_digest_at = now
        preference.save(update_fields=["last_digest_at"])
        if not (user.is_active and user.email):
            return False
        with translation.override(settings.LANGUAGE_CODE):
            lines = [str(DIGEST_INTRO), ""]
            lines += [f"- {Kind(kind).label}: {count}" for kind, count in sorted(counts.items())]
            lines += ["", str(DIGEST_LINK) % {"link": f"{settings.CASEFLOW_BASE_URL}{reverse('dashboard:home')}"}]
            send_mail(str(DIGEST_SUBJECT), "\n".join(lines), settings.DEFAULT_FROM_EMAIL, [user.email])
        audit_record(actor=None, action=AuditAction.NOTIFICATION_DIGEST_SENT, target=preference,
                     extra={"recipient_id": user.pk, "counts": counts, "notification_ids": ids, "automatic": True})
    return True


def notification_digest_send(*, now=None) -> int:
    """One mail per user who prefers the daily digest and has something new. Returns mails sent."""
    now = now or timezone.now()
    preferences = NotificationPreference.objects.filter(mode=NotificationPreference.Mode.DIGEST).values_list(
        "pk", flat=True)
    return sum(_digest_one(preference_id=pk, now=now) for pk in list(preferences))

