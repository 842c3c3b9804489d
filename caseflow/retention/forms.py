from django import forms
from django.utils.translation import gettext_lazy as _

from .services import KEEP_MAX_YEARS


class ReviewDecideForm(forms.Form):
    DELETE = "delete"
    KEEP = "keep"

    decision = forms.ChoiceField(
        label=_("Decision"), widget=forms.RadioSelect,
        choices=[(DELETE, _("Delete the case now")), (KEEP, _("Keep the case for more years"))],
    )
    keep_years = forms.IntegerField(
        label=_("Keep for (years)"), min_value=1, max_value=KEEP_MAX_YEARS, required=False,
        help_text=_("Only when keeping the case."),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.KEEP and not data.get("keep_years"):
            self.add_error("keep_years", _("Say for how many years the case is kept."))
        return data


class LegalHoldForm(forms.Form):
    reference = forms.CharField(
        label=_("Case or referral reference"), max_length=20,
        help_text=_("For example KE-2026-0012 or HV-2026-0040, of your team."),
    )
    whole_person = forms.BooleanField(
        label=_("Hold everything about the person"), required=False,
        help_text=_("The hold is recorded on the person instead of on this case or referral. Either way no "
                    "retention rule touches anything of the person while the hold is active."),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class LegalHoldLiftForm(forms.Form):
    reason = forms.CharField(label=_("Reason for lifting"), widget=forms.Textarea(attrs={"rows": 2}),
                             max_length=2000)
