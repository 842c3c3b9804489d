"""Process models of the workflows: real child models of viewflow's Process with a
foreign key to the domain object (design.md §3, viewflow-notes §1 option 2)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

#: Declared here, not left to ``Flow.__init_subclass__`` (viewflow-notes P8).
PROCESS_PERMISSIONS = ("add", "change", "delete", "view", "manage")


class ReferralProcess(Process):
    """One ReferralFlow run: the screening of one referral."""

    referral = models.ForeignKey(
        "referrals.Referral",
        verbose_name=_("referral"),
        on_delete=models.PROTECT,
        null=True,
        related_name="processes",
    )
    bbu_contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("BBU contact"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The named BBU contact of a referral about a minor (set at the initial assessment)."),
    )
    bbu_reported_at = models.DateTimeField(
        _("reported to BBU"), null=True, blank=True,
        help_text=_("When the report (underretning) went to BBU; BBU's 24-hour clock starts here."),
    )
    pending_screening = models.ForeignKey(
        "cases.Decision",
        verbose_name=_("screening awaiting co-signature"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("A minor's screening outcome, recorded by the caseworker, that takes effect only when the "
                    "child-focused consultant co-signs it."),
    )
    pending_responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed responsible caseworker"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("referral process")
        verbose_name_plural = _("referral processes")
        default_permissions = PROCESS_PERMISSIONS
        ordering = ["-created"]


class CaseProcess(Process):
    """One CaseFlow run: a case from clarification to archive (a reopening starts a
    new run on the same case, which keeps its number and history)."""

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, null=True, related_name="processes"
    )

    class Meta:
        verbose_name = _("case process")
        verbose_name_plural = _("case processes")
        default_permissions = PROCESS_PERMISSIONS
        ordering = ["-created"]


class InterventionProcess(Process):
    """One InterventionFlow run: an intervention from consent to its end."""

    intervention = models.ForeignKey(
        "interventions.Intervention",
        verbose_name=_("intervention"),
        on_delete=models.PROTECT,
        null=True,
        related_name="processes",
    )

    class Meta:
        verbose_name = _("intervention process")
        verbose_name_plural = _("intervention processes")
        default_permissions = PROCESS_PERMISSIONS
        ordering = ["-created"]


class DeadlineBreach(models.Model):
    """A human task that was not done by its deadline. Recorded by the flow's
    non-interrupting timeout (the task stays open), escalated to the supervisors of
    the team, and listed on their dashboard until the task is done."""

    task = models.OneToOneField(
        "viewflow.Task", verbose_name=_("task"), on_delete=models.CASCADE, related_name="deadline_breach"
    )
    process = models.ForeignKey(
        "viewflow.Process", verbose_name=_("process"), on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    referral = models.ForeignKey(
        "referrals.Referral", verbose_name=_("referral"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="+",
    )
    deadline = models.CharField(_("deadline"), max_length=60)
    due_at = models.DateTimeField(_("due"))
    breached_at = models.DateTimeField(_("breached"), default=timezone.now)

    class Meta:
        verbose_name = _("deadline breach")
        verbose_name_plural = _("deadline breaches")
        ordering = ["-breached_at", "-pk"]
        indexes = [models.Index(fields=["team", "-breached_at"])]

    def __str__(self):
        return f"{self.deadline} ({self.due_at:%Y-%m-%d})"


class OpenTask(models.Model):
    """An open human task with the objects its permission is checked on, for the task
    lists (inbox, queue) at national scale.

    On PostgreSQL, triggers on ``viewflow_task``, the process tables, cases, referrals and
    interventions keep one row per open (new, assigned, started) human task with a
    permission, with its owner, status, creation time and subject: the referral, the
    case (for an intervention's task the intervention's case), the intervention, and the
    team (the referral's or the case's). A list then filters and sorts one narrow table
    by owner or team instead of joining every task to its process and subject. Rows are
    never written by the application; other databases leave the table empty and the
    lists join viewflow's tables (``workflows.selectors``).
    """

    task = models.OneToOneField(
        "viewflow.Task", verbose_name=_("task"), primary_key=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, on_delete=models.DO_NOTHING,
        db_constraint=False, db_index=False, related_name="+",
    )
    owner_permission = models.CharField(_("permission"), max_length=255)
    status = models.CharField(_("status"), max_length=50)
    created = models.DateTimeField(_("created"))
    referral = models.ForeignKey(
        "referrals.Referral", verbose_name=_("referral"), null=True, on_delete=models.DO_NOTHING,
        db_constraint=False, db_index=False, related_name="+",
    )
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), null=True, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
        related_name="+",
    )
    intervention = models.ForeignKey(
        "interventions.Intervention", verbose_name=_("intervention"), null=True, on_delete=models.DO_NOTHING,
        db_constraint=False, db_index=False, related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("open task")
        verbose_name_plural = _("open tasks")
        indexes = [
            # The inbox: one owner's tasks, oldest first (index-only: the whole row).
            models.Index(fields=["owner", "owner_permission", "created", "task"], name="wf_opentask_owner",
                         include=["status", "referral", "case", "intervention", "team"]),
            # The queue: unassigned tasks of a team (a supervisor's approvals), oldest first.
            models.Index(fields=["team", "created", "task"], name="wf_opentask_team_queue",
                         include=["owner_permission", "status"], condition=models.Q(owner__isnull=True)),
            # The queue's look-up of each granted subject's unassigned tasks (index-only).
            *(models.Index(fields=[subject], include=["task", "created", "owner_permission", "status"],
                           condition=models.Q(owner__isnull=True), name=f"wf_opentask_{subject}_queue")
              for subject in ("case", "referral", "intervention")),
            # The triggers' look-ups when a subject moves to another team or case.
            *(models.Index(fields=[subject], name=f"wf_opentask_{subject}")
              for subject in ("case", "referral", "intervention")),
        ]

    def __str__(self):
        return f"{self.owner_permission} ({self.status})"
