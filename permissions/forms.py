from django import forms
from django.utils.translation import gettext_lazy as _


class BreakGlassForm(forms.Form):
    case_id = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(
        label=_("Reason for emergency access"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The access expires by itself, and your supervisor reviews it."),
    )


class BreakGlassReviewForm(forms.Form):
    justified = forms.TypedChoiceField(
        label=_("Review"),
        choices=[("yes", _("Justified")), ("no", _("Not justified: end the access"))],
        coerce=lambda value: value == "yes",
    )
    comment = forms.CharField(label=_("Comment"), max_length=1000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
