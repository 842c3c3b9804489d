import datetime
import unicodedata

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseflow.core.forms import validate_plausible_moment

from .models import Referral

NAME_MAX = 120


def _no_control_characters(value: str) -> str:
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in value):
        raise forms.ValidationError(_("Remove the control characters."), code="control_characters")
    return value


class ReferralForm(forms.Form):
    """The staff registration form (/referrals/new/). It parses input only; the
    services decide (person_identify, referral_register)."""

    received_at = forms.DateTimeField(
        label=_("Received"), initial=timezone.now,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        validators=[validate_plausible_moment],
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Referral.Channel.choices)
    referrer_type = forms.ChoiceField(label=_("Referrer type"), choices=Referral.ReferrerType.choices)
    is_anonymous = forms.BooleanField(label=_("Anonymous referral"), required=False)
    referrer_name = forms.CharField(label=_("Referrer's name"), max_length=200, required=False)
    referrer_contact = forms.CharField(label=_("Referrer's contact details"), max_length=255, required=False)
    referrer_wishes_anonymity = forms.BooleanField(
        label=_("The referrer does not want to be named to the person"), required=False
    )
    concern_text = forms.CharField(
        label=_("Concern"), max_length=Referral.CONCERN_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What was observed, when and by whom. Facts first."),
    )
    warning_signs = forms.MultipleChoiceField(
        label=_("Warning signs"), choices=Referral.WarningSign.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Referral.Urgency.choices, initial=Referral.Urgency.NORMAL)
    cpr = forms.CharField(label=_("CPR number"), max_length=11, required=False,
                          help_text=_("DDMMYY-XXXX. Leave empty if unknown."))
    first_name = forms.CharField(label=_("First name"), max_length=NAME_MAX, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=NAME_MAX, required=False)
    birth_date = forms.DateField(label=_("Date of birth"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def clean_received_at(self):
        value = self.cleaned_data["received_at"]
        if value > timezone.now() + datetime.timedelta(minutes=5):
            raise forms.ValidationError(_("The referral cannot be received in the future."), code="future")
        return value

    def clean(self):
        data = super().clean()
        for name in ("referrer_name", "referrer_contact", "first_name", "last_name", "concern_text", "cpr"):
            value = data.get(name)
            if value:
                try:
                    _no_control_characters(value if name != "concern_text" else value)
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        if data.get("is_anonymous") and (data.get("referrer_name") or data.get("referrer_contact")):
            self.add_error("referrer_name", _("An anonymous referral has no referrer's name or contact details."))
        return data
