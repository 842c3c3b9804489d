"""Forms for consents and disclosures. They parse input only; the services decide
(consent_record, consent_withdraw, disclosure_record)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Consent, Disclosure

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_DATE_FORMATS = ["%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"]


def _today():
    return timezone.localdate()


class ConsentForm(forms.Form):
    scope = forms.ChoiceField(label=_("What the consent covers"), choices=Consent.Scope.choices)
    recipient = forms.CharField(
        label=_("Recipient"), max_length=200, required=False,
        help_text=_("For sharing: the authority the data may be passed on to, e.g. the jobcentre."),
    )
    intervention = forms.TypedChoiceField(
        label=_("Intervention"), required=False, coerce=int, empty_value=None,
        help_text=_("For consent to an intervention."),
    )
    given_by = forms.ChoiceField(label=_("Given by"), choices=Consent.GivenBy.choices, widget=forms.RadioSelect)
    given_by_name = forms.CharField(
        label=_("Name of the custody holder"), max_length=200, required=False,
        help_text=_("Only when a custody holder gave the consent."),
    )
    given_on = forms.DateField(label=_("Given on"), initial=_today, widget=_DATE, input_formats=_DATE_FORMATS)
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=_DATE, input_formats=_DATE_FORMATS)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("How the consent was given (written or oral) and anything it leaves out."),
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        # The case's interventions (prefetched on the case page): no query per row.
        self.interventions = {intervention.pk: intervention for intervention in case.interventions.all()}
        self.fields["intervention"].choices = [("", "—")] + [
            (pk, intervention.get_kind_display()) for pk, intervention in self.interventions.items()
        ]

    def clean_intervention(self):
        value = self.cleaned_data["intervention"]
        return None if value is None else self.interventions[value]


class ConsentWithdrawForm(forms.Form):
    withdrawn_on = forms.DateField(label=_("Withdrawn on"), initial=_today, widget=_DATE,
                                   input_formats=_DATE_FORMATS)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DisclosureForm(forms.Form):
    recipient = forms.CharField(label=_("Recipient (authority)"), max_length=200)
    data = forms.CharField(label=_("Data disclosed"), widget=forms.Textarea(attrs={"rows": 4}),
                           help_text=_("What was passed on: which information, documents or notes."))
    legal_basis = forms.ChoiceField(label=_("Legal basis"), choices=Disclosure.LegalBasis.choices,
                                    widget=forms.RadioSelect)
    legal_basis_other = forms.CharField(label=_("Other legal basis"), max_length=200, required=False,
                                        help_text=_("Only when the basis is not in the list."))
    justification = forms.CharField(label=_("Justification"), widget=forms.Textarea(attrs={"rows": 4}),
                                    help_text=_("Why the disclosure is necessary and lawful on this basis."))
    restricted_included = forms.BooleanField(
        label=_("The data include material tagged “may not be passed on”"), required=False,
        help_text=_("Police material received under § 115 may not be passed on."),
    )
