from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import SEARCH_EMPTY


class PersonSearchForm(forms.Form):
    """One search box; the selector decides what was typed (``search_for``)."""

    q = forms.CharField(
        label=_("Name, reference, date of birth or CPR number"), max_length=120, required=False,
        help_text=_("For example KE-2026-0001, HV-2026-0001, Emil Jensen, 17-05-2010 or a CPR number."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_q(self):
        value = (self.cleaned_data.get("q") or "").strip()
        if not value:
            raise forms.ValidationError(SEARCH_EMPTY)
        return value
