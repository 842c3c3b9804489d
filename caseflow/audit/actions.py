"""Every auditable action, in one enum (style.md §3: dotted past tense, no free strings)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CASE_VIEWED = "case.viewed", _("Case viewed")
    CASE_LISTED = "case.listed", _("Case list viewed")
    CASE_OPENED = "case.opened", _("Case opened")
    CASE_CHANGED = "case.changed", _("Case changed")
    CASE_REASSIGNED = "case.reassigned", _("Case reassigned")
    CASE_MINOR_FLAG_CHANGED = "case.minor_flag_changed", _("Minor flag changed")
    CASE_CLOSED = "case.closed", _("Case closed")
    CASE_HISTORY_VIEWED = "case.history_viewed", _("Case history viewed")
    CASE_PLAN_RECORDED = "case.plan_recorded", _("Case plan recorded")
    CASE_REVIEWED = "case.reviewed", _("Case progress reviewed")
    CASE_LEVEL_CHANGED = "case.level_changed", _("Case level changed")
    CASE_REOPENED = "case.reopened", _("Case reopened")
    CASE_FOLLOWED_UP = "case.followed_up", _("Case follow-up recorded")
    CASE_ARCHIVED = "case.archived", _("Case archived")

    DECISION_RECORDED = "decision.recorded", _("Decision recorded")
    CONSENT_RECORDED = "consent.recorded", _("Consent recorded")
    CONSENT_WITHDRAWN = "consent.withdrawn", _("Consent withdrawn")
    DEADLINE_BREACHED = "deadline.breached", _("Deadline breached and escalated")

    REFERRAL_REGISTERED = "referral.registered", _("Referral registered")
    REFERRAL_VIEWED = "referral.viewed", _("Referral viewed")
    REFERRAL_LISTED = "referral.listed", _("Referral list viewed")
    REFERRAL_SCREENED = "referral.screened", _("Referral screened")
    REFERRAL_CHANGED = "referral.changed", _("Referral changed")
    REFERRAL_BBU_REPORTED = "referral.bbu_reported", _("Report to BBU sent")
    REFERRAL_BBU_ACKNOWLEDGED = "referral.bbu_acknowledged", _("Report acknowledged by BBU")

    INTERVENTION_PROPOSED = "intervention.proposed", _("Intervention proposed")
    INTERVENTION_STARTED = "intervention.started", _("Intervention started")
    INTERVENTION_MATCHED = "intervention.matched", _("Intervention provider matched")
    INTERVENTION_VIEWED = "intervention.viewed", _("Intervention viewed")
    INTERVENTION_ACCEPTED = "intervention.accepted", _("Intervention accepted by the provider")
    INTERVENTION_DECLINED = "intervention.declined", _("Intervention declined by the provider")
    INTERVENTION_SESSION_LOGGED = "intervention.session_logged", _("Intervention session logged")
    INTERVENTION_REVIEWED = "intervention.reviewed", _("Intervention reviewed")
    INTERVENTION_PROVIDER_DROPPED = "intervention.provider_dropped", _("Intervention provider dropped out")
    INTERVENTION_UNSTAFFED_ALERTED = "intervention.unstaffed_alerted", _("Intervention without a provider for too long")
    INTERVENTION_ENDED = "intervention.ended", _("Intervention ended")
    INTERVENTION_CONSENT_OBTAINED = "intervention.consent_obtained", _("Intervention consent obtained")

    PERSON_CREATED = "person.created", _("Person registered")
    PERSON_SEARCHED = "person.searched", _("Person search")
    PERSON_CPR_REVEALED = "person.cpr_revealed", _("CPR number revealed")

    ACCESS_GRANTED = "access.granted", _("Access granted")
    ACCESS_REVOKED = "access.revoked", _("Access revoked")
    ACCESS_DENIED = "access.denied", _("Access denied")
    BREAK_GLASS_OPENED = "access.break_glass_opened", _("Emergency access opened")
    BREAK_GLASS_REVIEWED = "access.break_glass_reviewed", _("Emergency access reviewed")

    LOGIN = "auth.logged_in", _("Signed in")
    LOGIN_FAILED = "auth.login_failed", _("Sign-in failed")
    LOGOUT = "auth.logged_out", _("Signed out")

    EXPORT_CREATED = "export.created", _("Export created")
    DOCUMENT_DOWNLOADED = "document.downloaded", _("Document downloaded")

    AUDIT_SEARCHED = "audit.searched", _("Audit log searched")
    AUDIT_EXPORTED = "audit.exported", _("Audit log exported")
    AUDIT_PRUNED = "audit.pruned", _("Old read events pruned")
    AUDIT_USER_LOG_VIEWED = "audit.user_log_viewed", _("User access log viewed")
    AUDIT_HEAD_EXPORTED = "audit.head_exported", _("Audit chain head exported")

    WORKFLOW_TASK_STARTED = "workflow.task_started", _("Workflow task started")
    WORKFLOW_TASK_FINISHED = "workflow.task_finished", _("Workflow task finished")
    WORKFLOW_TASK_FAILED = "workflow.task_failed", _("Workflow task failed")
    WORKFLOW_JOB_REQUEUED = "workflow.job_requeued", _("Stuck workflow job enqueued again")

    NOTIFICATION_SENT = "notification.sent", _("Notification e-mail sent")

    JOURNAL_NOTE_CREATED = "journal.note_created", _("Journal note written")
    JOURNAL_NOTE_CHANGED = "journal.note_changed", _("Journal note draft changed")
    JOURNAL_NOTE_FINALISED = "journal.note_finalised", _("Journal note made final")
    JOURNAL_NOTE_DELETED = "journal.note_deleted", _("Journal note draft deleted")
    JOURNAL_NOTE_VIEWED = "journal.note_viewed", _("Journal note viewed")
    DOCUMENT_UPLOADED = "document.uploaded", _("Document uploaded")
    DOCUMENT_REFUSED = "document.refused", _("Document upload refused")
    DISCLOSURE_RECORDED = "disclosure.recorded", _("Disclosure recorded")
    DISCLOSURE_REFUSED = "disclosure.refused", _("Disclosure refused")

    MEETING_CREATED = "meeting.created", _("Meeting created")
    MEETING_VIEWED = "meeting.viewed", _("Meeting viewed")
    MEETING_MEMBER_INVITED = "meeting.member_invited", _("Meeting member invited")
    MEETING_ITEM_ADDED = "meeting.item_added", _("Referral put on a meeting's agenda")
    MEETING_AGENDA_SENT = "meeting.agenda_sent", _("Meeting agenda sent")
    MEETING_REGISTER_CHECK_RECORDED = "meeting.register_check_recorded", _("Register check recorded")
    MEETING_HELD = "meeting.held", _("Meeting held: members present recorded")
    MEETING_ITEM_DECIDED = "meeting.item_decided", _("Agenda item decided")
    MEETING_MINUTES_APPROVED = "meeting.minutes_approved", _("Meeting minutes approved")
    MEETING_MINUTES_EXPORTED = "meeting.minutes_exported", _("Meeting minutes downloaded as PDF")
    MEETING_ITEM_REMOVED = "meeting.item_removed", _("Item taken off a meeting's agenda")

    TASK_REASSIGNED = "workflow.task_reassigned", _("Workflow task reassigned")
    SUPERVISION_VIEWED = "supervision.viewed", _("Supervisor workspace viewed")

    STATISTICS_VIEWED = "statistics.viewed", _("Statistics viewed")
    STATISTICS_EXPORTED = "statistics.exported", _("Statistics downloaded as CSV")
    STATISTICS_REFRESHED = "statistics.refreshed", _("Statistics store refreshed")

    ACCESS_REQUEST_REGISTERED = "access_request.registered", _("Access request registered")
    ACCESS_REQUEST_VIEWED = "access_request.viewed", _("Access request viewed")
    ACCESS_REQUEST_LISTED = "access_request.listed", _("Access requests listed")
    ACCESS_REQUEST_ITEM_DECIDED = "access_request.item_decided", _("Access request item released or withheld")
    ACCESS_REQUEST_DELAYED = "access_request.delayed", _("Access request delay letter recorded")
    ACCESS_REQUEST_EXPORTED = "access_request.exported", _("Access request file exported")
    ACCESS_REQUEST_COMPLETED = "access_request.completed", _("Access request completed")

    RETENTION_RUN = "retention.run", _("Retention run")
    RETENTION_ANONYMISED = "retention.anonymised", _("Record anonymised by retention")
    RETENTION_DELETED = "retention.deleted", _("Record deleted by retention")
    RETENTION_REVIEW_QUEUED = "retention.review_queued", _("Case put in the archive-review queue")
    RETENTION_REVIEW_DECIDED = "retention.review_decided", _("Archive review decided")
    RETENTION_REVIEW_LISTED = "retention.review_listed", _("Archive-review queue viewed")
    LEGAL_HOLD_SET = "retention.legal_hold_set", _("Legal hold set")
    LEGAL_HOLD_LIFTED = "retention.legal_hold_lifted", _("Legal hold lifted")

    NOTIFICATION_PREFERENCES_CHANGED = "notification.preferences_changed", _("Notification preferences changed")
    NOTIFICATION_DIGEST_SENT = "notification.digest_sent", _("Notification digest sent")
    OUTBOX_DELIVERED = "outbox.delivered", _("Queued background work delivered after an outage")

    LOCKED_OUT = "auth.locked_out", _("Sign-in locked after repeated failures")
    LOCKOUT_RESET = "auth.lockout_reset", _("Sign-in lockout lifted")
    OTP_ENROLLED = "auth.otp_enrolled", _("Two-factor device enrolled")
    OTP_VERIFIED = "auth.otp_verified", _("Second factor verified")
    OTP_FAILED = "auth.otp_failed", _("Second factor refused")
    OTP_RECOVERY_CODE_USED = "auth.recovery_code_used", _("Recovery code used")
    OTP_RECOVERY_CODES_CREATED = "auth.recovery_codes_created", _("Recovery codes created")
    OTP_RESET = "auth.otp_reset", _("Two-factor devices reset")
    SESSION_EXPIRED = "auth.session_expired", _("Session ended by timeout")
    CPR_KEY_ROTATED = "person.cpr_key_rotated", _("CPR encryption key rotated")


#: Verbs that make an action a *read*. Reads are pruned after
#: ``CASEFLOW_AUDIT_READ_RETENTION_DAYS``; everything else is kept for the full retention of
#: the case. The database trigger (migration 0002) repeats this rule: it lets the prune
#: function delete only rows whose action ends in one of these verbs.
READ_VERBS = ("viewed", "listed", "searched")

#: ``case.viewed``, ``case.history_viewed``, ``person.searched``, ``audit.user_log_viewed`` ...
#: Not reads in this sense: ``person.cpr_revealed``, ``document.downloaded`` and the exports,
#: which carry personal data out of the case and are kept as long as the writes.
READ_ACTIONS = frozenset(action for action in AuditAction if action.value.endswith(READ_VERBS))
