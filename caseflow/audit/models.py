"""The audit trail: :class:`AuditEvent` (append-only, hash-chained) and :class:`AuditAnchor`.

Both tables are ``managed = False``: their migrations create them explicitly (see
``migrations/0001_initial.py``), and Django's ``flush`` (``manage.py flush`` and the
teardown of transactional tests) therefore leaves them alone instead of trying to
``TRUNCATE`` an append-only log, which the PostgreSQL trigger refuses. The price: the
autodetector does not follow field changes on unmanaged models, so a later schema change
needs a hand-written migration in the style of 0001 (``SeparateDatabaseAndState``).

The trail references users, cases and everything else by id only. ``actor`` is a foreign
key without a database constraint for the same reason: the trail must outlive every row
it mentions, and an event is never rewritten to follow one. Django's ``PROTECT`` still
stops the ORM from deleting a user who has audit history (deactivate them instead);
``SET_NULL`` would have to rewrite audit rows, which the trigger refuses and the hash
chain would report as tampering.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .actions import AuditAction


class AuditAppendOnlyError(Exception):
    """Raised on an attempt to change or delete audit rows through the ORM.

    On PostgreSQL the trigger refuses the same at the database level; this catches it
    earlier everywhere (including SQLite, which has no trigger)."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditAppendOnlyError(f"{self.model.__name__} rows are never updated")

    def delete(self):
        raise AuditAppendOnlyError(f"{self.model.__name__} rows are deleted only by audit_prune_reads")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AuditAppendOnlyError(f"{self.model.__name__} rows are never updated")


class AppendOnlyModel(models.Model):
    """Rows are inserted once and never saved again or deleted through the ORM."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        # An integrity guard, not business logic: an existing row is never written again.
        if not self._state.adding:
            raise AuditAppendOnlyError(f"{type(self).__name__} rows are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditAppendOnlyError(f"{type(self).__name__} rows are deleted only by audit_prune_reads")


class AuditEvent(AppendOnlyModel):
    """One audited action: who did what to which object, when, from where and why.

    Written only by :func:`caseflow.audit.services.audit_record`. ``sequence`` numbers the
    events without gaps (allocated under the chain lock); ``hash`` is
    ``sha256(prev_hash + canonical JSON of the event)`` and ``prev_hash`` the previous
    event's hash, so editing, deleting or inserting a row breaks the chain
    (``manage.py audit_verify``). The only deletions are old read events, removed by
    ``audit_prune_reads`` behind an :class:`AuditAnchor`.

    No CPR number and no free text of a case ever lands here: ``changes`` holds field
    diffs with sensitive values redacted (``audit_diff``), and ``audit_record`` redacts
    anything that looks like a CPR number in ``purpose``, ``reason``, ``changes`` and ``extra``.
    """

    sequence = models.BigIntegerField(_("sequence number"), unique=True, editable=False)
    occurred_at = models.DateTimeField(_("time"), editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        db_constraint=False,
        db_index=False,  # covered by the (actor, occurred_at) index
        related_name="audit_events",
    )
    actor_username = models.CharField(_("actor's user name"), max_length=150, blank=True)
    actor_role = models.CharField(_("actor's roles"), max_length=255, blank=True)
    system_actor = models.CharField(
        _("system actor"), max_length=200, blank=True, help_text=_("For example the task that acted.")
    )
    action = models.CharField(_("action"), max_length=64, choices=AuditAction.choices)
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    case_id = models.BigIntegerField(_("case id"), null=True, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    extra = models.JSONField(_("details"), default=dict, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip = models.CharField(_("IP address"), max_length=45, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=256, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        managed = False  # created by migration 0001; see the module docstring
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["sequence"]
        indexes = [
            models.Index(fields=["case_id", "sequence"], name="audit_event_case_seq_idx"),
            models.Index(fields=["actor", "occurred_at"], name="audit_event_actor_time_idx"),
            models.Index(fields=["action", "occurred_at"], name="audit_event_action_time_idx"),
        ]

    def __str__(self):
        return f"#{self.sequence} {self.action}"


class AuditAnchor(AppendOnlyModel):
    """Where pruning cut the chain, so that verification can step over the gap.

    Pruning deletes runs of old read events. For each run it records the first event
    kept after it (``first_retained_sequence``), that event's ``prev_hash`` (the hash of
    the last deleted event, verified before the deletion) and where the gap starts
    (``pruned_from_sequence``: one past the last event kept before it, or 1). A later
    run that widens a gap records a new anchor; the old one then covers nothing and is
    kept as history.

    Anchors do not vouch for themselves: the ``audit.pruned`` event that created them
    (``prune_sequence``) carries a digest of its anchors in ``extra``, and that event is
    part of the chain. A forged or removed anchor therefore fails verification too.
    """

    prune_sequence = models.BigIntegerField(_("pruning event"), db_index=True)
    pruned_from_sequence = models.BigIntegerField(_("first pruned sequence number"))
    first_retained_sequence = models.BigIntegerField(_("first retained sequence number"))
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    deleted_count = models.PositiveIntegerField(_("events deleted"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        managed = False  # created by migration 0001; see the module docstring
        verbose_name = _("audit anchor")
        verbose_name_plural = _("audit anchors")
        ordering = ["first_retained_sequence", "pruned_from_sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["first_retained_sequence", "pruned_from_sequence"], name="audit_anchor_gap_uniq"
            ),
        ]

    def __str__(self):
        return f"{self.pruned_from_sequence}..{self.first_retained_sequence - 1}"
