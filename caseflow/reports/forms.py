from django import forms
from django.utils.translation import gettext_lazy as _


class StatisticsPeriodForm(forms.Form):
    """The one filter: a whole calendar year (fixed, non-overlapping periods; see
    ``statistics`` for why there is no free date range)."""

    year = forms.TypedChoiceField(label=_("Year"), coerce=int, error_messages={
        "invalid_choice": _("Choose one of the years in the list."),
    })

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, str(year)) for year in years]
