"""The audit tables.

The models are ``managed = False`` (see ``caseflow/audit/models.py``: Django's ``flush``
must never try to empty the append-only trail), so the tables are created here through
``SeparateDatabaseAndState``: the database side creates them like managed models (table,
indexes, constraints), the state side records them as unmanaged. A later schema change
needs the same pattern, written by hand: the autodetector does not follow unmanaged models.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

ACTION_CHOICES = [
    ("case.viewed", "Case viewed"),
    ("case.listed", "Case list viewed"),
    ("case.opened", "Case opened"),
    ("case.changed", "Case changed"),
    ("case.reassigned", "Case reassigned"),
    ("case.minor_flag_changed", "Minor flag changed"),
    ("case.closed", "Case closed"),
    ("case.history_viewed", "Case history viewed"),
    ("decision.recorded", "Decision recorded"),
    ("referral.registered", "Referral registered"),
    ("referral.viewed", "Referral viewed"),
    ("referral.listed", "Referral list viewed"),
    ("referral.screened", "Referral screened"),
    ("referral.changed", "Referral changed"),
    ("intervention.proposed", "Intervention proposed"),
    ("intervention.matched", "Intervention provider matched"),
    ("intervention.started", "Intervention started"),
    ("intervention.viewed", "Intervention viewed"),
    ("person.created", "Person registered"),
    ("person.searched", "Person search"),
    ("person.cpr_revealed", "CPR number revealed"),
    ("access.granted", "Access granted"),
    ("access.revoked", "Access revoked"),
    ("access.denied", "Access denied"),
    ("access.break_glass_opened", "Emergency access opened"),
    ("access.break_glass_reviewed", "Emergency access reviewed"),
    ("auth.logged_in", "Signed in"),
    ("auth.login_failed", "Sign-in failed"),
    ("auth.logged_out", "Signed out"),
    ("export.created", "Export created"),
    ("document.downloaded", "Document downloaded"),
    ("audit.searched", "Audit log searched"),
    ("audit.exported", "Audit log exported"),
    ("audit.pruned", "Old read events pruned"),
    ("audit.user_log_viewed", "User access log viewed"),
    ("audit.head_exported", "Audit chain head exported"),
    ("workflow.task_started", "Workflow task started"),
    ("workflow.task_finished", "Workflow task finished"),
    ("workflow.task_failed", "Workflow task failed"),
    ("case.plan_recorded", "Case plan recorded"),
    ("case.reviewed", "Case progress reviewed"),
    ("case.level_changed", "Case level changed"),
    ("case.reopened", "Case reopened"),
    ("case.followed_up", "Case follow-up recorded"),
    ("case.archived", "Case archived"),
    ("consent.recorded", "Consent recorded"),
    ("consent.withdrawn", "Consent withdrawn"),
    ("referral.bbu_reported", "Report to BBU sent"),
    ("referral.bbu_acknowledged", "Report acknowledged by BBU"),
    ("intervention.accepted", "Intervention accepted by the provider"),
    ("intervention.declined", "Intervention declined by the provider"),
    ("intervention.session_logged", "Intervention session logged"),
    ("intervention.reviewed", "Intervention reviewed"),
    ("intervention.provider_dropped", "Intervention provider dropped out"),
    ("intervention.unstaffed_alerted", "Intervention without a provider for too long"),
    ("intervention.ended", "Intervention ended"),
    ("intervention.consent_obtained", "Intervention consent obtained"),
    ("deadline.breached", "Deadline breached and escalated"),
    ("workflow.job_requeued", "Stuck workflow job enqueued again"),
    ("notification.sent", "Notification e-mail sent"),
    ("journal.note_created", "Journal note written"),
    ("journal.note_changed", "Journal note draft changed"),
    ("journal.note_finalised", "Journal note made final"),
    ("journal.note_deleted", "Journal note draft deleted"),
    ("journal.note_viewed", "Journal note viewed"),
    ("document.uploaded", "Document uploaded"),
    ("document.refused", "Document upload refused"),
    ("disclosure.recorded", "Disclosure recorded"),
    ("disclosure.refused", "Disclosure refused"),
    ("meeting.created", "Meeting created"),
    ("meeting.viewed", "Meeting viewed"),
    ("meeting.member_invited", "Meeting member invited"),
    ("meeting.item_added", "Referral put on a meeting's agenda"),
    ("meeting.agenda_sent", "Meeting agenda sent"),
    ("meeting.register_check_recorded", "Register check recorded"),
    ("meeting.held", "Meeting held: members present recorded"),
    ("meeting.item_decided", "Agenda item decided"),
    ("meeting.minutes_approved", "Meeting minutes approved"),
    ("meeting.minutes_exported", "Meeting minutes downloaded as PDF"),
    ("meeting.item_removed", "Item taken off a meeting's agenda"),
    ("workflow.task_reassigned", "Workflow task reassigned"),
    ("supervision.viewed", "Supervisor workspace viewed"),
    ("statistics.viewed", "Statistics viewed"),
    ("statistics.exported", "Statistics downloaded as CSV"),
    ("statistics.refreshed", "Statistics store refreshed"),
    ("access_request.registered", "Access request registered"),
    ("access_request.viewed", "Access request viewed"),
    ("access_request.listed", "Access requests listed"),
    ("access_request.item_decided", "Access request item released or withheld"),
    ("access_request.delayed", "Access request delay letter recorded"),
    ("access_request.exported", "Access request file exported"),
    ("access_request.completed", "Access request completed"),
    ("retention.run", "Retention run"),
    ("retention.anonymised", "Record anonymised by retention"),
    ("retention.deleted", "Record deleted by retention"),
    ("retention.review_queued", "Case put in the archive-review queue"),
    ("retention.review_decided", "Archive review decided"),
    ("retention.review_listed", "Archive-review queue viewed"),
    ("retention.legal_hold_set", "Legal hold set"),
    ("retention.legal_hold_lifted", "Legal hold lifted"),
    ("notification.preferences_changed", "Notification preferences changed"),
    ("notification.digest_sent", "Notification digest sent"),
    ("outbox.delivered", "Queued background work delivered after an outage"),
    ("auth.locked_out", "Sign-in locked after repeated failures"),
    ("auth.lockout_reset", "Sign-in lockout lifted"),
    ("auth.otp_enrolled", "Two-factor device enrolled"),
    ("auth.otp_verified", "Second factor verified"),
    ("auth.otp_failed", "Second factor refused"),
    ("auth.recovery_code_used", "Recovery code used"),
    ("auth.recovery_codes_created", "Recovery codes created"),
    ("auth.otp_reset", "Two-factor devices reset"),
    ("auth.session_expired", "Session ended by timeout"),
    ("person.cpr_key_rotated", "CPR encryption key rotated"),
]


def audit_event(*, managed):
    return migrations.CreateModel(
        name="AuditEvent",
        fields=[
            ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
            ("sequence", models.BigIntegerField(editable=False, unique=True, verbose_name="sequence number")),
            ("occurred_at", models.DateTimeField(editable=False, verbose_name="time")),
            (
                "actor",
                models.ForeignKey(
                    blank=True,
                    db_constraint=False,
                    db_index=False,
                    editable=False,
                    null=True,
                    on_delete=django.db.models.deletion.PROTECT,
                    related_name="audit_events",
                    to=settings.AUTH_USER_MODEL,
                    verbose_name="actor",
                ),
            ),
            ("actor_username", models.CharField(blank=True, max_length=150, verbose_name="actor's user name")),
            ("actor_role", models.CharField(blank=True, max_length=255, verbose_name="actor's roles")),
            (
                "system_actor",
                models.CharField(
                    blank=True, help_text="For example the task that acted.", max_length=200,
                    verbose_name="system actor",
                ),
            ),
            ("action", models.CharField(choices=ACTION_CHOICES, max_length=64, verbose_name="action")),
            ("target_type", models.CharField(blank=True, max_length=100, verbose_name="target type")),
            ("target_id", models.CharField(blank=True, max_length=64, verbose_name="target id")),
            ("case_id", models.BigIntegerField(blank=True, null=True, verbose_name="case id")),
            ("purpose", models.CharField(blank=True, max_length=200, verbose_name="purpose")),
            ("reason", models.CharField(blank=True, max_length=500, verbose_name="reason")),
            ("changes", models.JSONField(blank=True, default=dict, verbose_name="changes")),
            ("extra", models.JSONField(blank=True, default=dict, verbose_name="details")),
            ("request_id", models.CharField(blank=True, max_length=64, verbose_name="request id")),
            ("ip", models.CharField(blank=True, max_length=45, verbose_name="IP address")),
            ("user_agent", models.CharField(blank=True, max_length=256, verbose_name="user agent")),
            ("prev_hash", models.CharField(max_length=64, verbose_name="previous hash")),
            ("hash", models.CharField(max_length=64, verbose_name="hash")),
        ],
        options={
            "verbose_name": "audit event",
            "verbose_name_plural": "audit events",
            "ordering": ["sequence"],
            "managed": managed,
            "indexes": [
                models.Index(fields=["case_id", "sequence"], name="audit_event_case_seq_idx"),
                models.Index(fields=["actor", "occurred_at"], name="audit_event_actor_time_idx"),
                models.Index(fields=["action", "occurred_at"], name="audit_event_action_time_idx"),
            ],
        },
    )


def audit_anchor(*, managed):
    return migrations.CreateModel(
        name="AuditAnchor",
        fields=[
            ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
            ("prune_sequence", models.BigIntegerField(db_index=True, verbose_name="pruning event")),
            ("pruned_from_sequence", models.BigIntegerField(verbose_name="first pruned sequence number")),
            ("first_retained_sequence", models.BigIntegerField(verbose_name="first retained sequence number")),
            ("prev_hash", models.CharField(max_length=64, verbose_name="previous hash")),
            ("deleted_count", models.PositiveIntegerField(verbose_name="events deleted")),
            ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="created")),
        ],
        options={
            "verbose_name": "audit anchor",
            "verbose_name_plural": "audit anchors",
            "ordering": ["first_retained_sequence", "pruned_from_sequence"],
            "managed": managed,
            "constraints": [
                models.UniqueConstraint(
                    fields=["first_retained_sequence", "pruned_from_sequence"], name="audit_anchor_gap_uniq"
                ),
            ],
        },
    )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[audit_event(managed=True), audit_anchor(managed=True)],
            state_operations=[audit_event(managed=False), audit_anchor(managed=False)],
        ),
    ]
