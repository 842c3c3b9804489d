"""Form helpers shared by the apps."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

#: Moments a form accepts. Year 1 at Copenhagen time is before year 1 in UTC, which
#: PostgreSQL stores as a BC timestamp Python cannot read back: outside this range a form
#: says so instead of storing a value that breaks every page showing it.
EARLIEST_DATE = datetime.date(1970, 1, 1)
LATEST_DATE = datetime.date(2999, 12, 31)


def validate_plausible_moment(value: datetime.datetime) -> None:
    if not EARLIEST_DATE <= value.date() <= LATEST_DATE:
        raise forms.ValidationError(
            _("Enter a date between %(earliest)s and %(latest)s."), code="date_out_of_range",
            params={"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()})
