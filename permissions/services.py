"""The only writers of grants. Domain services (assign, reassign, minor flag, match,
close, emergency access) call these inside their own transaction; each grant and
revocation leaves an audit event."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseflow.accounts.otp import otp_devices_remove
from caseflow.accounts.roles import Role
from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.cases.models import Case
from caseflow.core.exceptions import ApplicationError
from caseflow.interventions.models import Intervention
from caseflow.referrals.models import Referral

from .models import (
    BreakGlassAccess,
    CaseGroupGrant,
    CaseUserGrant,
    GrantKind,
    InterventionGroupGrant,
    InterventionUserGrant,
    ReferralGroupGrant,
    ReferralUserGrant,
)
from .policy import Action, can, may_reset_second_factor

REASON_REQUIRED = _("Give a reason for the emergency access.")
ALREADY_HAS_ACCESS = _("You already have access to this case.")
NOT_A_CASEWORKER = _("Only caseworkers and supervisors can use emergency access.")
REVIEW_NOT_ALLOWED = _("Only a supervisor of the case's team can review emergency access.")
ALREADY_REVIEWED = _("This emergency access has already been reviewed.")

_TABLES = {
    Case: (CaseUserGrant, CaseGroupGrant, "cases.view_case"),
    Referral: (ReferralUserGrant, ReferralGroupGrant, "referrals.view_referral"),
    Intervention: (InterventionUserGrant, InterventionGroupGrant, "interventions.view_intervention"),
}


def _permission(label: str) -> Permission:
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _tables(obj):
    for model, tables in _TABLES.items():
        if isinstance(obj, model):
            return tables
    raise TypeError(f"no grant tables for {type(obj).__name__}")


def _case_id(obj):
    return obj.pk if isinstance(obj, Case) else getattr(obj, "case_id", None)


@transaction.atomic
def access_grant(*, actor, obj, kind: str, user=None, group: Group | None = None, reason: str = "",
                 valid_until=None):
    """Grant ``user`` (or ``group``) access of ``kind`` to ``obj``. Granting the same
    kind again renews it (the later of the two validities wins)."""
    if (user is None) == (group is None):
        raise ValueError("grant to exactly one of user or group")
    user_model, group_model, perm_label = _tables(obj)
    model, holder = (user_model, {"user": user}) if user is not None else (group_model, {"group": group})
    grant, created = model.objects.get_or_create(
        permission=_permission(perm_label), content_object=obj, kind=kind, **holder,
        defaults={"granted_by": actor, "reason": reason, "valid_until": valid_until},
    )
    if not created:
        if grant.valid_until is not None and (valid_until is None or valid_until > grant.valid_until):
            grant.valid_until = valid_until
            grant.granted_by, grant.reason = actor, reason
            grant.save(update_fields=["valid_until", "granted_by", "reason"])
        else:
            return grant
    audit_record(
        actor=actor, action=AuditAction.ACCESS_GRANTED, target=obj, case_id=_case_id(obj),
        extra={"kind": kind, "user_id": getattr(user, "pk", None), "group": getattr(group, "name", None),
               "valid_until": valid_until.isoformat() if valid_until else None},
    )
    return grant


@transaction.atomic
def access_revoke(*, actor, obj, kind: str, user=None, group: Group | None = None) -> int:
    """Remove the ``kind`` grant of ``user`` (or ``group``; or everybody's, if neither
    is given) on ``obj``. Returns the number of grants removed."""
    user_model, group_model, _label = _tables(obj)
    removed = 0
    if group is None:
        rows = user_model.objects.filter(content_object=obj, kind=kind)
        if user is not None:
            rows = rows.filter(user=user)
        holders = list(rows.values_list("user_id", flat=True))
        removed += rows.delete()[0]
        for user_id in holders:
            audit_record(actor=actor, action=AuditAction.ACCESS_REVOKED, target=obj, case_id=_case_id(obj),
                         extra={"kind": kind, "user_id": user_id})
    if user is None:
        rows = group_model.objects.filter(content_object=obj, kind=kind)
        if group is not None:
            rows = rows.filter(group=group)
        names = list(rows.values_list("group__name", flat=True))
        removed += rows.delete()[0]
        for name in names:
            audit_record(actor=actor, action=AuditAction.ACCESS_REVOKED, target=obj, case_id=_case_id(obj),
                         extra={"kind": kind, "group": name})
    return removed


@transaction.atomic
def access_move(*, actor, obj, kind: str, previous, new, reason: str = "") -> None:
    """Hand one holder's ``kind`` access to ``obj`` over to another (reassignment,
    rematching, a new BBU contact). Either side may be None."""
    if previous is not None:
        access_revoke(actor=actor, obj=obj, kind=kind, user=previous)
    if new is not None:
        access_grant(actor=actor, obj=obj, kind=kind, user=new, reason=reason)


def case_access_grant(*, actor, case: Case, kind: str, user=None, group=None, reason="", valid_until=None):
    return access_grant(actor=actor, obj=case, kind=kind, user=user, group=group, reason=reason,
                        valid_until=valid_until)


def case_access_revoke(*, actor, case: Case, kind: str, user=None, group=None) -> int:
    return access_revoke(actor=actor, obj=case, kind=kind, user=user, group=group)


def consultant_group() -> Group:
    return Group.objects.get_or_create(name=Role.CHILD_CONSULTANT.value)[0]


@transaction.atomic
def case_consultant_access_sync(*, actor, case: Case) -> None:
    """The child-focused consultants reach a case exactly while it is a minor's."""
    if case.is_minor:
        case_access_grant(actor=actor, case=case, kind=GrantKind.CONSULTANT, group=consultant_group(),
                          reason="minor")
    else:
        case_access_revoke(actor=actor, case=case, kind=GrantKind.CONSULTANT, group=consultant_group())


# --------------------------------------------------------------------------- emergency access


@transaction.atomic
def break_glass_open(*, actor, case: Case, reason: str) -> BreakGlassAccess:
    """Open a case outside the actor's access for a limited time (nødadgang).

    The reason is mandatory; the grant expires by itself after
    ``CASEFLOW_BREAK_GLASS_MINUTES``; the team's supervisors are alerted and must review."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(REASON_REQUIRED, field="reason")
    if not (actor.has_role(Role.CASEWORKER) or actor.has_role(Role.SUPERVISOR)):
        raise ApplicationError(NOT_A_CASEWORKER)
    if can(actor, Action.VIEW, case):
        raise ApplicationError(ALREADY_HAS_ACCESS)
    now = timezone.now()
    access = BreakGlassAccess.objects.create(
        case=case, user=actor, reason=reason, opened_at=now,
        expires_at=now + timedelta(minutes=settings.CASEFLOW_BREAK_GLASS_MINUTES),
    )
    case_access_grant(actor=actor, case=case, kind=GrantKind.BREAK_GLASS, user=actor,
                      reason=f"break-glass #{access.pk}", valid_until=access.expires_at)
    audit_record(actor=actor, action=AuditAction.BREAK_GLASS_OPENED, target=case,
                 extra={"break_glass_id": access.pk, "expires_at": access.expires_at.isoformat()})
    from caseflow.notifications.outbox import outbox_enqueue

    from .tasks import break_glass_alert_task

    outbox_enqueue(break_glass_alert_task, access_id=access.pk)
    return access


@transaction.atomic
def break_glass_review(*, actor, access: BreakGlassAccess, justified: bool, comment: str = "") -> BreakGlassAccess:
    """A supervisor of the case's team reviews an emergency access afterwards. An
    access found not justified ends at once."""
    access = BreakGlassAccess.objects.select_for_update().select_related("case").get(pk=access.pk)
    if not (actor.has_role(Role.SUPERVISOR) and actor.team_id and actor.team_id == access.case.team_id):
        raise ApplicationError(REVIEW_NOT_ALLOWED)
    if access.review != BreakGlassAccess.Review.PENDING:
        raise ApplicationError(ALREADY_REVIEWED)
    access.review = BreakGlassAccess.Review.JUSTIFIED if justified else BreakGlassAccess.Review.NOT_JUSTIFIED
    access.reviewed_by, access.reviewed_at, access.review_comment = actor, timezone.now(), comment.strip()
    access.save(update_fields=["review", "reviewed_by", "reviewed_at", "review_comment"])
    if not justified:
        case_access_revoke(actor=actor, case=access.case, kind=GrantKind.BREAK_GLASS, user=access.user)
    audit_record(actor=actor, action=AuditAction.BREAK_GLASS_REVIEWED, target=access.case,
                 extra={"break_glass_id": access.pk, "justified": justified})
    return access


SECOND_FACTOR_RESET_REFUSED = _("You may not reset this user's two-factor sign-in.")


def second_factor_reset(*, actor, user, reason: str = "") -> int:
    """Reset ``user``'s second factor (they enrol again at the next sign-in), if the
    policy lets ``actor`` (``policy.may_reset_second_factor``); audited
    ``auth.otp_reset``. Returns how many devices were removed."""
    if not may_reset_second_factor(actor, user):
        raise ApplicationError(SECOND_FACTOR_RESET_REFUSED)
    return otp_devices_remove(actor=actor, user=user, reason=reason)
