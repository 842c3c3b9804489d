from datetime import date

import pytest

from caseflow.core.workdays import add_working_days, is_working_day, working_days_between


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 11, 23), 0, date(2026, 11, 23)),  # Monday, nothing to add
        (date(2026, 11, 23), 1, date(2026, 11, 24)),
        (date(2026, 11, 27), 1, date(2026, 11, 30)),  # Friday -> Monday
        (date(2026, 11, 28), 1, date(2026, 11, 30)),  # Saturday -> Monday
        # Easter 2026: Maundy Thursday 2 Apr, Good Friday 3 Apr, Easter Monday 6 Apr.
        (date(2026, 4, 1), 1, date(2026, 4, 7)),
        (date(2026, 3, 31), 3, date(2026, 4, 8)),
        # Christmas 2026: 24 Dec is not a public holiday; 25 and 26 Dec are.
        (date(2026, 12, 23), 1, date(2026, 12, 24)),
        (date(2026, 12, 24), 1, date(2026, 12, 28)),
        # New Year's Day 2027 is a Friday.
        (date(2026, 12, 31), 1, date(2027, 1, 4)),
        (date(2026, 11, 24), -1, date(2026, 11, 23)),
        (date(2026, 4, 7), -1, date(2026, 4, 1)),
    ],
)
def test_add_working_days_skips_weekends_and_danish_holidays(start, days, expected):
    assert add_working_days(start, days) == expected


def test_is_working_day_knows_danish_holidays():
    assert not is_working_day(date(2026, 4, 3))  # Good Friday
    assert not is_working_day(date(2026, 12, 25))
    assert not is_working_day(date(2026, 5, 14))  # Ascension Day
    assert not is_working_day(date(2026, 11, 21))  # Saturday
    assert is_working_day(date(2026, 11, 23))


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (date(2026, 11, 23), date(2026, 11, 23), 0),
        (date(2026, 11, 23), date(2026, 11, 30), 5),
        (date(2026, 4, 1), date(2026, 4, 7), 1),  # over Easter
        (date(2026, 12, 23), date(2026, 12, 31), 5),  # 24, 28, 29, 30 and 31 Dec
        (date(2026, 11, 30), date(2026, 11, 23), -5),
    ],
)
def test_working_days_between(a, b, expected):
    assert working_days_between(a, b) == expected


@pytest.mark.parametrize("days", [0, 1, 2, 5, 10, 23, 60])
def test_working_days_between_inverts_add_working_days(days):
    start = date(2026, 12, 18)
    assert working_days_between(start, add_working_days(start, days)) == days
