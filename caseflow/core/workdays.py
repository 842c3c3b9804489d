"""Deadlines in Danish working days (design.md §3): weekends and Danish public holidays
(the ``holidays`` package) are not working days."""

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _danish_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("DK", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _danish_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (before it, if negative).
    ``start`` itself is never counted; zero returns ``start`` unchanged."""
    step = 1 if days >= 0 else -1
    remaining, day = abs(days), start
    while remaining:
        day += timedelta(days=step)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(a: date, b: date) -> int:
    """Working days after ``a`` up to and including ``b`` (negative if ``b`` is before ``a``),
    so that ``add_working_days(a, working_days_between(a, b)) <= b``."""
    if b < a:
        return -working_days_between(b, a)
    return sum(1 for offset in range(1, (b - a).days + 1) if is_working_day(a + timedelta(days=offset)))
