"""The cases app's own sections of the case page (see views.CASE_PAGE_SECTIONS)."""

from permissions.rules import Action


def consents_section(*, actor, case, actions):
    """Consents and disclosures: part of the case file (VIEW_FILE); the forms for those
    who may change the case. Two queries (plus the case's interventions for the form
    if the page has not prefetched them), whatever the number of rows."""
    from .consent_forms import ConsentForm, ConsentWithdrawForm
    from .consents import consent_list_for_case
    from .models import Disclosure

    if Action.VIEW_FILE not in actions:
        return None
    may_change = Action.CHANGE in actions
    disclosures = list(Disclosure.objects.filter(case=case).select_related("decided_by", "consent")
                       .order_by("-decided_at", "-pk"))
    return {
        "template": "cases/_consents_section.html",
        "case": case,
        "consents": consent_list_for_case(case=case),
        "disclosures": disclosures,
        "may_change": may_change,
        "consent_form": ConsentForm(case=case, auto_id="consent_%s") if may_change else None,
        "withdraw_form": ConsentWithdrawForm() if may_change else None,
    }
