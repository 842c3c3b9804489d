"""Object grants in guardian's direct foreign-key tables (design.md §3 "Permissions").

Each row says that a user (or group) may reach one object, why (``kind``), who granted
it and until when. What a grant allows is not stored per row: the policy reads the
rules for the grant's kind (``permissions.rules``). Grants are written only by the
services in ``permissions.services``.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.managers import GroupObjectPermissionManager, UserObjectPermissionManager
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class GrantKind(models.TextChoices):
    ASSIGNED = "assigned", _("Responsible caseworker")
    CO_WORKER = "co_worker", _("Co-worker")
    CONSULTANT = "consultant", _("Child-focused consultant")
    BBU = "bbu", _("BBU contact")
    PROVIDER = "provider", _("Intervention provider")
    BREAK_GLASS = "break_glass", _("Emergency access")
    STAND_IN = "stand_in", _("Temporary stand-in")


class GrantQuerySet(models.QuerySet):
    def valid_now(self, now=None):
        """The grants valid at ``now`` (default: this moment): ``valid_until`` empty or
        later. The one definition of "a grant that counts"; time-boxed access (emergency
        access, a stand-in) ends on the second."""
        now = now or timezone.now()
        return self.filter(models.Q(valid_until__isnull=True) | models.Q(valid_until__gt=now))


class UserGrantManager(UserObjectPermissionManager.from_queryset(GrantQuerySet)):
    pass


class GroupGrantManager(GroupObjectPermissionManager.from_queryset(GrantQuerySet)):
    pass


class GrantFields(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=GrantKind.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    valid_until = models.DateTimeField(
        _("valid until"), null=True, blank=True, help_text=_("Empty: until revoked.")
    )
    created_at = models.DateTimeField(_("granted"), auto_now_add=True)

    class Meta:
        abstract = True


class CaseGrantFields(GrantFields):
    # The case's opening time on its grant, so that a case list takes its newest granted
    # cases from one index range instead of looking up every granted case. Written by a
    # PostgreSQL trigger on insert and kept when a case's opening time changes; empty on
    # other databases, which list cases without it.
    case_opened_at = models.DateTimeField(_("case opened"), null=True, editable=False)

    class Meta:
        abstract = True


class QueueHintFields(models.Model):
    # Whether the granted object has an open task without an owner, so that a user's task
    # queue looks up only the grants that lead to one instead of every grant (at national
    # scale a caseworker holds thousands). Kept by PostgreSQL triggers on the open-task
    # index and on the grant tables (``workflows`` migration 0005), which serialise on the
    # object; false on other databases, which build the queue without it.
    has_unassigned_task = models.BooleanField(_("has an unassigned task"), db_default=False, editable=False)

    class Meta:
        abstract = True


def _queue_index(table: str) -> models.Index:
    """The grants of a user that lead to an unassigned task (the queue's look-ups)."""
    return models.Index(fields=["user", "kind", "content_object"], include=["valid_until"], name=f"perm_{table}_queue",
                        condition=models.Q(has_unassigned_task=True))


class CaseUserGrant(UserObjectPermissionBase, CaseGrantFields, QueueHintFields):
    content_object = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="user_grants")

    objects = UserGrantManager()

    class Meta:
        verbose_name = _("case grant (user)")
        verbose_name_plural = _("case grants (user)")
        unique_together = [("user", "permission", "content_object", "kind")]
        # The second index answers the list's "ids granted to this user" from the index
        # alone; the third its newest granted cases.
        indexes = [models.Index(fields=["user", "content_object"], name="perm_caseuser_user_obj"),
                   models.Index(fields=["user", "kind", "content_object"], include=["valid_until"], name="perm_caseuser_list"),
                   models.Index(fields=["user", "-case_opened_at", "-content_object"], include=["kind", "valid_until"],
                                name="perm_caseuser_newest"),
                   _queue_index("caseuser")]


class CaseGroupGrant(GroupObjectPermissionBase, CaseGrantFields):
    content_object = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="group_grants")

    objects = GroupGrantManager()

    class Meta:
        verbose_name = _("case grant (group)")
        verbose_name_plural = _("case grants (group)")
        unique_together = [("group", "permission", "content_object", "kind")]
        indexes = [models.Index(fields=["group", "content_object"], name="perm_casegroup_group_obj"),
                   models.Index(fields=["group", "kind", "content_object"], include=["valid_until"], name="perm_casegroup_list"),
                   models.Index(fields=["group", "-case_opened_at", "-content_object"], include=["kind", "valid_until"],
                                name="perm_casegroup_newest")]


class ReferralUserGrant(UserObjectPermissionBase, GrantFields, QueueHintFields):
    content_object = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="user_grants"
    )

    objects = UserGrantManager()

    class Meta:
        verbose_name = _("referral grant (user)")
        verbose_name_plural = _("referral grants (user)")
        unique_together = [("user", "permission", "content_object", "kind")]
        indexes = [models.Index(fields=["user", "kind", "content_object"], include=["valid_until"], name="perm_refuser_list"),
                   _queue_index("refuser")]


class ReferralGroupGrant(GroupObjectPermissionBase, GrantFields):
    content_object = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="group_grants"
    )

    objects = GroupGrantManager()

    class Meta:
        verbose_name = _("referral grant (group)")
        verbose_name_plural = _("referral grants (group)")
        unique_together = [("group", "permission", "content_object", "kind")]
        indexes = [models.Index(fields=["group", "kind", "content_object"], include=["valid_until"], name="perm_refgroup_list")]


class InterventionUserGrant(UserObjectPermissionBase, GrantFields, QueueHintFields):
    content_object = models.ForeignKey(
        "interventions.Intervention", on_delete=models.CASCADE, related_name="user_grants"
    )

    objects = UserGrantManager()

    class Meta:
        verbose_name = _("intervention grant (user)")
        verbose_name_plural = _("intervention grants (user)")
        unique_together = [("user", "permission", "content_object", "kind")]
        indexes = [models.Index(fields=["user", "content_object"], name="perm_intuser_user_obj"),
                   models.Index(fields=["user", "kind", "content_object"], include=["valid_until"], name="perm_intuser_list"),
                   _queue_index("intuser")]


class InterventionGroupGrant(GroupObjectPermissionBase, GrantFields):
    content_object = models.ForeignKey(
        "interventions.Intervention", on_delete=models.CASCADE, related_name="group_grants"
    )

    objects = GroupGrantManager()

    class Meta:
        verbose_name = _("intervention grant (group)")
        verbose_name_plural = _("intervention grants (group)")
        unique_together = [("group", "permission", "content_object", "kind")]
        indexes = [models.Index(fields=["group", "kind", "content_object"], include=["valid_until"], name="perm_intgroup_list")]


class BreakGlassAccess(models.Model):
    """An emergency opening of a case (nødadgang): the reason, the time box and the
    supervisor's review afterwards."""

    class Review(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        JUSTIFIED = "justified", _("Justified")
        NOT_JUSTIFIED = "not_justified", _("Not justified")

    case = models.ForeignKey("cases.Case", verbose_name=_("case"), on_delete=models.CASCADE,
                             related_name="break_glass_accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT,
                             related_name="break_glass_accesses")
    reason = models.TextField(_("reason"))
    opened_at = models.DateTimeField(_("opened"))
    expires_at = models.DateTimeField(_("expires"))
    review = models.CharField(_("review"), max_length=16, choices=Review.choices, default=Review.PENDING)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"),
                                    on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)

    class Meta:
        verbose_name = _("emergency access")
        verbose_name_plural = _("emergency accesses")
        ordering = ["-opened_at", "-pk"]
        indexes = [models.Index(fields=["review", "opened_at"])]

    def __str__(self):
        return f"{self.user} → {self.case} ({self.opened_at:%Y-%m-%d %H:%M})"
