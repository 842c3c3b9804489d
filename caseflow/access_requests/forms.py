"""Forms of the access-request pages. They parse input only; the services decide."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AccessRequest, ReleaseBasis, WithholdBasis

DATE_INPUT = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
              "input_formats": ["%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"]}


class RegisterForm(forms.Form):
    received_on = forms.DateField(label=_("Received on"), initial=timezone.localdate, **DATE_INPUT)
    legal_basis = forms.ChoiceField(label=_("Legal basis"), choices=AccessRequest.LegalBasis.choices,
                                    widget=forms.RadioSelect)
    requester = forms.ChoiceField(label=_("Requester"), choices=AccessRequest.Requester.choices,
                                  widget=forms.RadioSelect, initial=AccessRequest.Requester.SUBJECT)
    representative_note = forms.CharField(
        label=_("Representative"), required=False, max_length=500,
        help_text=_("Who represents the person, and on what authority (e.g. a power of attorney)."),
        widget=forms.Textarea(attrs={"rows": 2}))
    representative_authority = forms.ChoiceField(
        label=_("The representative's documented authority"), required=False,
        choices=[("", "—"), *AccessRequest.Authority.choices],
        help_text=_("Without a documented authority nothing is released by default and the CPR number is "
                    "never handed out."))


class DelayForm(forms.Form):
    letter_on = forms.DateField(label=_("Delay letter sent on"), initial=timezone.localdate, **DATE_INPUT)
    reason = forms.CharField(label=_("Reason for the delay"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))
    expected_on = forms.DateField(label=_("Answer expected by"), **DATE_INPUT)


class ItemDecisionForm(forms.Form):
    RELEASE = "release"
    WITHHOLD = "withhold"

    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect,
                                 choices=[(RELEASE, _("Release")), (WITHHOLD, _("Withhold"))])
    withhold_basis = forms.ChoiceField(label=_("Legal basis for withholding"), required=False,
                                       choices=[("", "—"), *WithholdBasis.choices])
    release_basis = forms.ChoiceField(
        label=_("Basis for releasing"), required=False, choices=[("", "—"), *ReleaseBasis.choices],
        help_text=_('Needed for material tagged "må ikke videregives" or of police origin.'))
    note = forms.CharField(label=_("Note"), required=False, max_length=300,
                           help_text=_("For example who was consulted and when."))

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.WITHHOLD and not data.get("withhold_basis"):
            self.add_error("withhold_basis", _("Choose the legal basis for withholding the item."))
        return data
