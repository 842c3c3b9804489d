from django import forms
from django.utils.translation import gettext_lazy as _


class PersonSearchForm(forms.Form):
    q = forms.CharField(label=_("Name"), max_length=120, required=False)
    birth_date = forms.DateField(label=_("Date of birth"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if not (data.get("q") or "").strip() and not data.get("birth_date"):
            raise forms.ValidationError(_("Enter a name or a date of birth."))
        return data
