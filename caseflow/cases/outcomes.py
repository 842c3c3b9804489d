"""Labels of the outcome codes decisions carry (``Decision.outcome`` is a short code
chosen by the service that records the decision)."""

import re

from django.utils.translation import gettext_lazy as _

OUTCOME_LABELS = {
    "approved": _("Approved"),
    "refused": _("Refused"),
    "concern_conversation": _("Concern conversation held"),
    "consent_exception": _("Consent exception justified"),
    "continue": _("Continue"),
    "level_change": _("Level change proposed"),
    "closure": _("Closure proposed"),
    "adult_transition_planned": _("Move to the adult track planned"),
    "police_alerted": _("Police alerted"),
    "report_made": _("Report to BBU made"),
    "no_report": _("No report to BBU"),
    "sent_to_another_municipality": _("Sent to another municipality"),
    "shelved": _("Shelved"),
    "shelved_info_timeout": _("Shelved automatically: no information"),
    "bbu_acknowledged": _("Acknowledged by BBU"),
}
LEVEL_CHANGE = re.compile(r"^(\d)->(\d)$")


def outcome_label(code: str) -> str:
    """A readable label for ``code``: our own codes, then the screening outcomes,
    closure reasons and case states; a level change "2->3" reads "level 2 → 3"."""
    from caseflow.referrals.models import Referral

    from .models import Case

    if not code:
        return ""
    if code in OUTCOME_LABELS:
        return str(OUTCOME_LABELS[code])
    for choices in (Referral.Outcome, Case.ClosureReason, Case.Status):
        if code in choices.values:
            return str(choices(code).label)
    match = LEVEL_CHANGE.match(code)
    if match:
        return str(_("Level %(before)s → %(after)s") % {"before": match.group(1), "after": match.group(2)})
    return code
