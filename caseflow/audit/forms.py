"""The audit search form (GET). Every criterion is optional; bad input is a form error."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from .actions import AuditAction

#: The range a date criterion may take: wide enough for any real search, narrow enough
#: that a day's bounds never overflow a datetime in the local time zone.
EARLIEST_DATE = datetime.date(1970, 1, 1)
LATEST_DATE = datetime.date(2999, 12, 31)
#: case_id is a PostgreSQL bigint.
MAX_CASE_ID = 2**63 - 1


class AuditSearchForm(forms.Form):
    user = forms.CharField(label=_("User name"), required=False, max_length=150)
    case_id = forms.IntegerField(label=_("Case id"), required=False, min_value=1, max_value=MAX_CASE_ID)
    action = forms.ChoiceField(label=_("Action"), required=False,
                               choices=[("", _("All actions")), *AuditAction.choices])
    date_from = forms.DateField(label=_("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    date_to = forms.DateField(label=_("To"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, users, **kwargs):
        """``users``: the users a search may name (``access.audit_searchable_users``); any
        other user name is unknown, whether or not such a user exists."""
        super().__init__(*args, **kwargs)
        self.users = users

    def clean_user(self):
        username = self.cleaned_data["user"].strip()
        self.cleaned_data["user_id"] = None
        if not username:
            return ""
        user_id = self.users.filter(username=username).values_list("pk", flat=True).first()
        if user_id is None:
            raise forms.ValidationError(_("There is no user with that user name."), code="unknown_user")
        self.cleaned_data["user_id"] = user_id
        return username

    def _clean_date(self, name):
        value = self.cleaned_data[name]
        if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
            raise forms.ValidationError(
                _("Enter a date between %(earliest)s and %(latest)s."),
                code="date_out_of_range",
                params={"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()},
            )
        return value

    def clean_date_from(self):
        return self._clean_date("date_from")

    def clean_date_to(self):
        return self._clean_date("date_to")

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", forms.ValidationError(
                _("The end of the period comes before its start."), code="inverted_period"))
        return cleaned

    def criterion(self) -> dict:
        """The cleaned criterion for ``access.audit_search_page_for`` (valid forms only)."""
        data = self.cleaned_data
        return {key: data.get(key) for key in ("user", "user_id", "case_id", "action", "date_from", "date_to")}
