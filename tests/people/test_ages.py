from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseflow.people.ages import age_on, is_minor_on


@pytest.mark.parametrize(
    ("birth", "on", "minor"),
    [
        (date(2008, 11, 23), date(2026, 11, 22), True),   # the day before the 18th birthday
        (date(2008, 11, 23), date(2026, 11, 23), False),  # the 18th birthday itself
        (date(2008, 11, 23), date(2026, 11, 24), False),
        (date(2008, 2, 29), date(2026, 2, 28), True),     # leap-day child: not yet 18 on 28 Feb
        (date(2008, 2, 29), date(2026, 3, 1), False),     # 18 on 1 March in a non-leap year
        (date(2012, 2, 29), date(2030, 2, 28), True),
        (date(2012, 2, 29), date(2030, 3, 1), False),
    ],
)
def test_is_minor_on_18th_birthday_boundary(birth, on, minor):
    assert is_minor_on(birth, on) is minor


def test_is_minor_on_unknown_birth_date_is_not_minor():
    assert is_minor_on(None, date(2026, 1, 1)) is False


@given(
    birth=st.dates(min_value=date(1920, 1, 1), max_value=date(2030, 12, 31)),
    delta=st.integers(min_value=0, max_value=40000),
)
def test_age_on_never_decreases_and_matches_birthdays(birth, delta):
    on = birth + timedelta(days=delta)
    assert age_on(birth, on) >= 0
    assert age_on(birth, on + timedelta(days=1)) >= age_on(birth, on)
    assert age_on(birth, on) <= delta // 365
