"""The transactional outbox (background work recorded in the same transaction as the
change that causes it) and the e-mail notifications (one row per user, kind and
object: sent exactly once, or counted in a daily digest)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A Celery task to be published: written inside the service's transaction, so it
    exists exactly when the change does. Published right after the commit; if the
    broker is down the row stays and the relay publishes it later. The arguments are
    ids only (never names, CPR numbers or case text)."""

    task_name = models.CharField(_("task"), max_length=200)
    kwargs = models.JSONField(_("arguments"), default=dict)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["created_at"], name="outbox_pending_idx",
                         condition=models.Q(delivered_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.task_name} #{self.pk}"


class Notification(models.Model):
    """Something a user should look at, recorded once per (user, kind, object): two
    scanners (two beats) or a redelivered task cannot make a second one. ``sent_at``:
    mailed on its own; ``digested_at``: counted in a daily digest."""

    class Kind(models.TextChoices):
        TASK_ASSIGNED = "task_assigned", _("A task was assigned to you")
        DEADLINE_SOON = "deadline_soon", _("A deadline is due soon")
        DEADLINE_BREACHED = "deadline_breached", _("A deadline has passed")
        BREAK_GLASS = "break_glass", _("An emergency access waits for review")
        APPROVAL_WAITING = "approval_waiting", _("An approval or co-signature waits")
        BBU_REPORT = "bbu_report", _("A report (underretning) waits for BBU")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="notifications")
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    #: What it is about, as type and id only (``task:42``, ``breach:7``).
    object_key = models.CharField(_("object"), max_length=100)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    digested_at = models.DateTimeField(_("in digest"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "object_key"], name="notification_once"),
        ]
        indexes = [
            models.Index(fields=["user", "created_at"], name="notification_pending_idx",
                         condition=models.Q(sent_at__isnull=True, digested_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.kind} {self.object_key} → {self.user_id}"


class NotificationPreference(models.Model):
    """How a user wants to be told: each notification at once (the default) or one
    daily digest with counts per kind."""

    class Mode(models.TextChoices):
        IMMEDIATE = "immediate", _("Each notification at once")
        DIGEST = "digest", _("One daily digest")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                                related_name="notification_preference")
    mode = models.CharField(_("e-mail notifications"), max_length=20, choices=Mode.choices,
                            default=Mode.IMMEDIATE)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    last_digest_at = models.DateTimeField(_("last digest"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self):
        return f"{self.user_id}: {self.mode}"
