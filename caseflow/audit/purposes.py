"""Why something was read: the purpose codes the selectors record, with their labels
for the audit pages. A purpose typed by a user (the CPR reveal) is shown as typed."""

from django.utils.translation import gettext_lazy as _

PURPOSE_LABELS = {
    "case_work": _("Case work"),
    "supervision": _("Supervision"),
    "audit": _("Audit"),
    "screening": _("Screening"),
    "consent_work": _("Consent records"),
    "disclosure": _("Disclosure"),
    "intervention_work": _("Intervention work"),
    "dashboard": _("Dashboard"),
    "search": _("Search"),
    "duplicate_check": _("Duplicate check"),
    "task_inbox": _("Task list"),
    "task_queue": _("Task queue"),
    "deadline_breaches": _("Breached deadlines"),
    "statistics": _("Statistics"),
}


def purpose_label(code: str) -> str:
    return str(PURPOSE_LABELS.get(code, code))
