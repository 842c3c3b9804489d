"""Age and minority, always derived from the birth date at a given day."""

from datetime import date

AGE_OF_MAJORITY = 18


def age_on(birth_date: date, on: date) -> int:
    """Completed years on ``on``. A person born on 29 February turns a year older on
    1 March in years without that day."""
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def is_minor_on(birth_date: date | None, on: date) -> bool:
    """Under 18 on ``on``. An unknown birth date is not treated as a minor here; the
    intake assessment must establish it (design: minor check in initial assessment)."""
    if birth_date is None:
        return False
    return age_on(birth_date, on) < AGE_OF_MAJORITY
