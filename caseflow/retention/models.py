"""Retention and deletion (design.md §4, domain.md §4.7).

- :class:`LegalHold`: a supervisor's hold on a person, a case or a referral. While it
  is active no retention rule touches anything of that person.
- :class:`DeletionRecord`: what the retention run (or a supervisor's archive review)
  deleted or anonymised: rule, time, object type, id and reference number, and how many
  rows of each kind went. Never a name, a CPR number or any content.
- :class:`ArchiveReview`: a minor's case whose retention period has passed waits here for
  a supervisor of its team: delete it now, or keep it for some more years with a reason.

The links to cases, referrals and people are ``SET_NULL``: a record outlives its object
(and keeps the reference number that named it); nothing here stops a deletion at the
database level. The retention services check the holds under a row lock instead.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TargetType(models.TextChoices):
    PERSON = "person", _("Person")
    CASE = "case", _("Case")
    REFERRAL = "referral", _("Referral")


class Rule(models.TextChoices):
    UNFOUNDED_ANONYMISED = "unfounded_referral", _("Unfounded or shelved concern: anonymised")
    ADULT_CASE_DELETED = "closed_adult_case", _("Closed adult case: deleted")
    MINOR_CASE_REVIEWED = "minor_case_review", _("Minor's case: deleted after archive review")


class LegalHold(models.Model):
    """A legal hold (retsligt forbehold): stops every retention rule for everything of
    the target's person (or, for a referral without a person, for that referral)."""

    target_type = models.CharField(_("held object"), max_length=10, choices=TargetType.choices)
    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    referral = models.ForeignKey(
        "referrals.Referral", verbose_name=_("referral"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    target_reference = models.CharField(
        _("reference"), max_length=40,
        help_text=_("The case or referral reference the hold was set through (kept after a lift)."),
    )
    team = models.ForeignKey("accounts.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("set by"), on_delete=models.PROTECT, related_name="+"
    )
    set_at = models.DateTimeField(_("set"), default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("lifted by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lift_reason = models.TextField(_("reason for lifting"), blank=True)

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["-set_at", "-pk"]
        indexes = [models.Index(fields=["team", "lifted_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lifted_at__isnull=True, lifted_by__isnull=True)
                | models.Q(lifted_at__isnull=False, lifted_by__isnull=False),
                name="retention_hold_lift_complete",
            ),
        ]

    def __str__(self):
        return f"{self.get_target_type_display()} {self.target_reference}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


class DeletionRecord(models.Model):
    """One deletion or anonymisation. ``object_id`` is the deleted row's id (audit
    events carry the same id); ``reference`` its KE-/HV- number. ``counts`` says how many
    rows of each kind went, e.g. ``{"journal.journalnote": 4, "documents.document": 1}``.
    Unique per object and action, so two runs can never record the same deletion twice."""

    class Action(models.TextChoices):
        DELETED = "deleted", _("Deleted")
        ANONYMISED = "anonymised", _("Anonymised")

    rule = models.CharField(_("rule"), max_length=24, choices=Rule.choices)
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=10, choices=TargetType.choices)
    object_id = models.BigIntegerField(_("object id"))
    reference = models.CharField(_("reference"), max_length=20)
    performed_at = models.DateTimeField(_("performed"), default=timezone.now)
    counts = models.JSONField(_("rows removed or cleared, by kind"), default=dict)
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", help_text=_("The supervisor of an archive review; empty for the nightly run."),
    )

    class Meta:
        verbose_name = _("deletion record")
        verbose_name_plural = _("deletion records")
        ordering = ["-performed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["object_type", "object_id", "action"], name="retention_record_once"),
        ]

    def __str__(self):
        return f"{self.reference} ({self.get_action_display()} {self.performed_at:%Y-%m-%d})"


class ArchiveReview(models.Model):
    """A minor's case past its retention period, waiting for a supervisor's decision."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        KEPT = "kept", _("Kept")
        DELETED = "deleted", _("Deleted")

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    case_reference = models.CharField(_("case"), max_length=20)
    team = models.ForeignKey("accounts.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="+")
    queued_at = models.DateTimeField(_("queued"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    keep_until = models.DateField(_("kept until"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("archive review")
        verbose_name_plural = _("archive reviews")
        ordering = ["queued_at", "pk"]
        indexes = [models.Index(fields=["team", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(status="pending"), name="retention_review_pending_once"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="kept") | models.Q(keep_until__isnull=False),
                name="retention_review_kept_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.case_reference} ({self.get_status_display()})"
